//! The sample and benchmark workspace generator: county.toml, roster,
//! county scores and two months of returns — the demo county with the
//! mistakes of `samples/README.md`, or N seeded townships (a city or a
//! province past 40) for benchmarks.

use crate::kit::demo::{self, Rng, Township};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::schema::{self, Col, SheetId};
use crate::write::template::{self, Fill, TemplateInput, Value};
use anyhow::Context;
use std::path::Path;

const COUNTY: &str = "示范县";
const COUNTY_CODE: &str = "990101";
const PREVIOUS: Period = Period {
    year: 2024,
    month: 5,
};
const CURRENT: Period = Period {
    year: 2024,
    month: 6,
};

/// Townships per county in a generated city or province.
const TOWNSHIPS_PER_COUNTY: usize = 25;

/// The consolidating office: one county, a city of counties (4-digit
/// code), or a province (2-digit code), by how many townships there are.
struct Office {
    name: String,
    code: String,
    /// (code6, name) of each county.
    counties: Vec<(String, String)>,
}

fn office(n: usize) -> anyhow::Result<Office> {
    let counties = n.div_ceil(TOWNSHIPS_PER_COUNTY);
    // A county has a few dozen townships at most.
    if n <= 40 {
        return Ok(Office {
            name: COUNTY.into(),
            code: COUNTY_CODE.into(),
            counties: vec![(COUNTY_CODE.into(), COUNTY.into())],
        });
    }
    if counties <= 99 {
        let list = (1..=counties)
            .map(|c| (format!("9901{c:02}"), format!("示范市第{c}县")))
            .collect();
        return Ok(Office {
            name: "示范市".into(),
            code: "9901".into(),
            counties: list,
        });
    }
    anyhow::ensure!(
        counties <= 99 * 99,
        "--townships 最多 {}",
        99 * 99 * TOWNSHIPS_PER_COUNTY
    );
    let list = (0..counties)
        .map(|k| {
            let (city, county) = (k / 99 + 1, k % 99 + 1);
            (
                format!("99{city:02}{county:02}"),
                format!("示范省{city}市{county}县"),
            )
        })
        .collect();
    Ok(Office {
        name: "示范省".into(),
        code: "99".into(),
        counties: list,
    })
}

/// What was generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub townships: usize,
    pub villages: usize,
}

/// Write a workspace into `out`: the demo county (with its sample mistakes)
/// when `townships` is None, else that many clean townships.
pub fn generate(out: &Path, townships: Option<usize>, seed: u64) -> anyhow::Result<Generated> {
    generate_with(out, townships, seed, false)
}

/// [`generate`] N townships whose June returns have findings, as a month
/// early in a campaign has (`findings`): every township has catalogue
/// warnings — about one sign in three filed under another 类别 (P07), one
/// in twelve renamed off the catalogue without 备案文号 (P04) — and every
/// seventh an error too (one village's 现有标牌数 one too many: P01, X02).
/// So every township gets a feedback workbook.
pub fn generate_with(
    out: &Path,
    townships: Option<usize>,
    seed: u64,
    findings: bool,
) -> anyhow::Result<Generated> {
    let policy = Policy::default_rules();
    let demo_mode = townships.is_none();
    let n = townships.unwrap_or(8);
    anyhow::ensure!(n >= 1, "--townships 至少为 1");
    let office = office(n)?;
    let single = office.counties.len() == 1;
    let mut rng = Rng::new(seed);
    for month in [PREVIOUS, CURRENT] {
        let dir = out.join(month.to_string());
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("无法清理 {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
    }
    let budget = 1_100_000 * ((n as i64 + 7) / 8);
    std::fs::write(
        out.join("county.toml"),
        format!(
            "# 示例工作区(虚构)。name 名称,code 区划代码(县6位、市4位、省2位),budget 本年度星级奖励经费预算(元)\nname = \"{}\"\ncode = \"{}\"\nbudget = {budget}\n",
            office.name, office.code
        ),
    )?;

    let mut roster = Vec::new();
    let mut roster_counties = Vec::new();
    let mut scores = Vec::new();
    // The townships are made in seed order on this thread and their files
    // written in batches on all cores (writing is most of the work): the
    // same seed gives the same files whatever the thread count.
    let mut pending: Vec<(std::path::PathBuf, Fill, Period)> = Vec::new();
    for i in 0..n {
        let name = demo::township_name(i, &mut rng);
        let (county_code, county_name) =
            &office.counties[if single { 0 } else { i / TOWNSHIPS_PER_COUNTY }];
        let k = if single { i } else { i % TOWNSHIPS_PER_COUNTY };
        let code = format!("{county_code}{:03}", 101 + k);
        let street = name.ends_with("街道");
        let count = rng.range(15, 25) as usize;
        let names = demo::village_names(count, street, &mut rng);
        let villages: Vec<(String, String)> = names
            .into_iter()
            .enumerate()
            .map(|(k, v)| (format!("{code}{:03}", 201 + k), v))
            .collect();
        for (vc, vn) in &villages {
            roster.push((code.clone(), name.clone(), vc.clone(), vn.clone()));
            roster_counties.push((county_code.clone(), county_name.clone()));
            // About one village in fifty has no county score yet (待评定);
            // in the demo county 白砂镇's third village is one, so the used
            // returns show a 待评定 and its T01.
            let score = (!rng.chance(2)).then(|| rng.range(550, 985) as f64 / 10.0);
            let score = score.filter(|_| !(demo_mode && i == 0 && vc.ends_with("203")));
            scores.push((vc.clone(), vn.clone(), score));
        }
        let prev = demo::township(
            county_name,
            &code,
            &name,
            &villages,
            PREVIOUS,
            &policy,
            &mut rng,
        );
        let mut cur = prev.clone();
        cur.period = CURRENT;
        cur.fill_date =
            crate::read::normalise::Date::new(2024, 6, rng.range(20, 28) as u32).expect("date");
        cur.villages = prev
            .villages
            .iter()
            .map(|v| demo::next_month(v, CURRENT, &mut rng))
            .collect();

        // Generated township names repeat across a city or province: the
        // code keeps every file name unique there.
        let file = |t: &Township| match demo_mode {
            true => format!("{}_{}.xlsx", t.name, t.period),
            false => format!("{}_{}_{}.xlsx", t.code, t.name, t.period),
        };
        let mut prev_fill = demo::fill(&prev);
        if demo_mode && i == 3 {
            // The board already hung last month: it "still hangs" (P03, not H01).
            hang_negative_sign(&mut prev_fill, &prev);
        }
        pending.push((
            out.join(PREVIOUS.to_string()).join(file(&prev)),
            prev_fill,
            PREVIOUS,
        ));
        if demo_mode {
            mistakes(i, &cur, out, &policy)?;
        } else {
            let mut fill = demo::fill(&cur);
            if findings {
                with_findings(&mut fill, i, &policy);
            }
            pending.push((
                out.join(CURRENT.to_string()).join(file(&cur)),
                fill,
                CURRENT,
            ));
        }
        if pending.len() >= WRITE_BATCH {
            write_all(&mut pending, &policy)?;
        }
    }
    write_all(&mut pending, &policy)?;
    let counties = (!single).then_some(roster_counties.as_slice());
    demo::write_roster_with_counties(&out.join("roster.xlsx"), &roster, counties)?;
    demo::write_scores(&out.join("county_scores.xlsx"), &scores)?;
    Ok(Generated {
        townships: n,
        villages: roster.len(),
    })
}

/// Give a clean return the findings of [`generate_with`].
fn with_findings(fill: &mut Fill, i: usize, policy: &Policy) {
    let spec = &schema::SIGN_DETAIL;
    let (cat, name, filing) = (
        spec.index_of(Col::SignCategory),
        spec.index_of(Col::SignName),
        spec.index_of(Col::SignFiling),
    );
    let categories = &policy.categories;
    if let Some(rows) = fill.rows.get_mut(&SheetId::SignDetail) {
        for (k, row) in rows.iter_mut().enumerate() {
            if k % 3 == 1 {
                // Filed under the next category of the catalogue (P07).
                if let Value::Text(c) = &row[cat] {
                    let at = categories.iter().position(|x| x == c).unwrap_or(0);
                    row[cat] = Value::Text(categories[(at + 1) % categories.len()].clone());
                }
            }
            if k % 12 == 5 && row[filing] == Value::Empty {
                // A name on neither list, with no approval (P04).
                row[name] = text(&format!("自设工作室{k}"));
            }
        }
    }
    if i % 7 == 3 {
        let now = number(fill, SheetId::Signs, 0, Col::SignsNow);
        set(
            fill,
            SheetId::Signs,
            0,
            Col::SignsNow,
            Value::Number(now + 1.0),
        );
    }
}

/// Returns made before their files are written side by side.
const WRITE_BATCH: usize = 512;

fn write_all(
    pending: &mut Vec<(std::path::PathBuf, Fill, Period)>,
    policy: &Policy,
) -> anyhow::Result<()> {
    use rayon::prelude::*;
    std::mem::take(pending)
        .par_iter()
        .try_for_each(|(path, fill, period)| write(path, fill, *period, policy))
}

fn write(path: &Path, fill: &Fill, period: Period, policy: &Policy) -> anyhow::Result<()> {
    template::write_file(
        &TemplateInput {
            policy,
            period: Some(period),
            fill,
        },
        path,
    )
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn set(fill: &mut Fill, sheet: SheetId, k: usize, col: Col, v: Value) {
    let i = schema::data_sheet(sheet).expect("data sheet").index_of(col);
    fill.rows.get_mut(&sheet).expect("rows")[k][i] = v;
}

fn number(fill: &Fill, sheet: SheetId, k: usize, col: Col) -> f64 {
    let i = schema::data_sheet(sheet).expect("data sheet").index_of(col);
    match fill.rows[&sheet][k][i] {
        Value::Number(n) => n,
        _ => 0.0,
    }
}

/// 青湖街道's second village still has a board on the negative list.
fn hang_negative_sign(fill: &mut Fill, t: &Township) {
    let code = t.villages[1].code.clone();
    let row = demo::row(
        &schema::SIGN_DETAIL,
        vec![
            (Col::VillageCode, text(&code)),
            (Col::SignName, text("廉洁工作站")),
            (Col::SignPlace, text("室内")),
        ],
    );
    fill.rows
        .get_mut(&SheetId::SignDetail)
        .expect("rows")
        .push(row);
    for col in [Col::SignsNow, Col::SignsBefore] {
        let v = number(fill, SheetId::Signs, 1, col);
        set(fill, SheetId::Signs, 1, col, Value::Number(v + 1.0));
    }
}

/// The current month of the demo county, township by township, with the
/// mistakes that `samples/README.md` lists (keep the two in step).
fn mistakes(i: usize, t: &Township, out: &Path, policy: &Policy) -> anyhow::Result<()> {
    let dir = out.join(CURRENT.to_string());
    let name = format!("{}_{}.xlsx", t.name, t.period);
    let mut fill = demo::fill(t);
    match i {
        // 白砂镇: clean.
        0 => {}
        // 樟黄镇: 上墙制度数 one too many for its third village (P01).
        1 => {
            let w = number(&fill, SheetId::Signs, 2, Col::WallRules);
            set(
                &mut fill,
                SheetId::Signs,
                2,
                Col::WallRules,
                Value::Number(w + 1.0),
            );
        }
        // 溪口乡: "12个" typed into 累计摘除数 (V02), and a 坐班天数 of 31 in June (D02).
        2 => {
            set(
                &mut fill,
                SheetId::Signs,
                0,
                Col::SignsRemoved,
                text("12个"),
            );
            set(
                &mut fill,
                SheetId::Duty,
                4,
                Col::DutyDays,
                Value::Number(31.0),
            );
        }
        // 青湖街道: a negative-list board still hangs (P03), and cadres not in
        // one hall (M03), explained in 情况说明.
        3 => {
            hang_negative_sign(&mut fill, t);
            set(&mut fill, SheetId::Rooms, 5, Col::SharedOffice, text("否"));
            let village = t.villages[5].code.clone();
            fill.rows.insert(
                SheetId::Explanations,
                vec![demo::row(
                    &schema::EXPLANATIONS,
                    vec![
                        (Col::RuleCode, text("M03")),
                        (Col::VillageCode, text(&village)),
                        (
                            Col::Explanation,
                            text("服务中心改造施工中,预计8月底完成集中办公"),
                        ),
                    ],
                )],
            );
        }
        // 石门镇: more cadres on the rota than on the committee (D01).
        4 => {
            let c = number(&fill, SheetId::Duty, 3, Col::Cadres);
            set(
                &mut fill,
                SheetId::Duty,
                3,
                Col::OnDuty,
                Value::Number(c + 2.0),
            );
        }
        // 枫岭乡: sent a PDF renamed .xlsx (S01).
        5 => {
            std::fs::write(dir.join(&name), b"%PDF-1.4\n% scanned return\n")?;
            return Ok(());
        }
        // 云台镇: did not send this month.
        6 => return Ok(()),
        // 南浦街道: rooms that do not add up (M01) and no dedicated manager (D05).
        7 => {
            let o = number(&fill, SheetId::Rooms, 2, Col::RoomsOffice);
            set(
                &mut fill,
                SheetId::Rooms,
                2,
                Col::RoomsOffice,
                Value::Number(o + 1.0),
            );
            set(
                &mut fill,
                SheetId::Duty,
                6,
                Col::Managers,
                Value::Number(0.0),
            );
        }
        _ => {}
    }
    write(&dir.join(name), &fill, CURRENT, policy)?;
    Ok(())
}
