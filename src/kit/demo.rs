//! Synthetic but consistent county data, seeded: the sample workspace, the
//! tests' clean returns and the benchmarks all come from here.

use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::schema::{self, Col, CoverField, SheetId, SheetSpec};
use crate::write::template::{Fill, Value};

/// A small deterministic generator (SplitMix64): same seed, same data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    // Not an iterator: a seeded generator whose next value is always there.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// One hanging sign.
#[derive(Clone, Debug, PartialEq)]
pub struct SignRow {
    pub name: String,
    pub category: String,
    pub place: &'static str,
    pub filing: String,
}

/// One village's figures for one month, consistent with every rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Village {
    pub code: String,
    pub name: String,
    pub signs_before: i64,
    pub removed: i64,
    pub filed: i64,
    pub wall_rules: i64,
    pub signs: Vec<SignRow>,
    pub rooms_office: i64,
    pub rooms_service: i64,
    pub rooms_merged: i64,
    pub rooms_new: i64,
    /// Tenths of a square metre.
    pub area_service_dm: i64,
    pub area_office_dm: i64,
    pub shared_office: bool,
    pub seven: [bool; 7],
    pub cadres: i64,
    pub on_duty: i64,
    pub managers: i64,
    pub duty_days: i64,
    pub extended: bool,
    pub weekend: bool,
    pub activities: i64,
    pub participants: i64,
    pub star: i64,
    /// Tenths of a point.
    pub score_rep: i64,
    pub score_town: i64,
    pub funds_last: Option<i64>,
    pub funds_spent: Option<i64>,
}

/// One township's return for one month.
#[derive(Clone, Debug, PartialEq)]
pub struct Township {
    pub county: String,
    pub code: String,
    pub name: String,
    pub period: Period,
    pub filler: String,
    pub phone: String,
    pub fill_date: Date,
    pub villages: Vec<Village>,
}

const SYLLABLES: &[&str] = &[
    "樟", "黄", "溪", "口", "青", "湖", "石", "门", "枫", "岭", "云", "台", "南", "浦", "白", "砂",
    "桃", "源", "梅", "林", "竹", "坑", "龙", "潭", "凤", "山", "柳", "塘", "金", "田", "上", "下",
    "东", "西", "新", "安", "长", "坪", "后", "洋", "坂", "头", "双", "港", "杏", "埠", "茶", "园",
];
const SURNAMES: &[&str] = &["林", "陈", "黄", "吴", "郑", "王", "李", "张", "刘", "何"];
const GIVEN: &[&str] = &[
    "建华", "丽萍", "志强", "秀英", "海燕", "文斌", "小红", "国平", "春梅", "晓东",
];

/// Fictional township names: the first few are fixed for readable samples.
pub const TOWNSHIP_NAMES: &[&str] = &[
    "白砂镇",
    "樟黄镇",
    "溪口乡",
    "青湖街道",
    "石门镇",
    "枫岭乡",
    "云台镇",
    "南浦街道",
];

pub fn township_name(i: usize, rng: &mut Rng) -> String {
    match TOWNSHIP_NAMES.get(i) {
        Some(n) => n.to_string(),
        None => format!(
            "{}{}{}",
            rng.pick(SYLLABLES),
            rng.pick(SYLLABLES),
            rng.pick(&["镇", "乡", "街道"])
        ),
    }
}

/// A person's name, for 填报人.
pub fn person(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
}

/// Village names for a township: unique within it.
pub fn village_names(n: usize, street: bool, rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(n);
    while out.len() < n {
        let suffix = if street { "社区" } else { "村" };
        let name = format!("{}{}{suffix}", rng.pick(SYLLABLES), rng.pick(SYLLABLES));
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A clean village for the first month of the campaign data.
pub fn village(
    code: String,
    name: String,
    period: Period,
    policy: &Policy,
    rng: &mut Rng,
) -> Village {
    // Signs: distinct catalogue entries, some with the village name in front.
    let n_signs = rng.range(10, 30) as usize;
    let mut entries: Vec<usize> = (0..policy.signs.len()).collect();
    for i in (1..entries.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        entries.swap(i, j);
    }
    let room_cap = policy.limits.max_room_signs;
    let mut rooms_signs = 0;
    let mut signs = Vec::new();
    let stem = name.trim_end_matches("社区").trim_end_matches('村');
    for &e in entries.iter() {
        if signs.len() >= n_signs {
            break;
        }
        let entry = &policy.signs[e];
        if entry.category == crate::rules::signs::ROOM_CATEGORY {
            if rooms_signs >= room_cap {
                continue;
            }
            rooms_signs += 1;
        }
        let shown = if rng.chance(40) {
            format!("{stem}{}", entry.name)
        } else {
            entry.name.clone()
        };
        // The name as written must still match this entry (not a longer one).
        if policy.match_sign(&shown) != Some(crate::policy::SignMatch::Catalogue(e)) {
            continue;
        }
        signs.push(SignRow {
            name: shown,
            category: if rng.chance(70) {
                entry.category.clone()
            } else {
                String::new()
            },
            place: if rng.chance(50) { "门外" } else { "室内" },
            filing: String::new(),
        });
    }
    let filed = rng.range(0, 3).min(signs.len() as i64);
    for (i, s) in signs.iter_mut().take(filed as usize).enumerate() {
        s.filing = format!("示备〔{}〕{}号", period.year, 10 + i);
    }
    let wall_rules = rng.range(3, 15);
    let removed = rng.range(5, 40);
    let now = signs.len() as i64;
    let signs_before = now + wall_rules + removed - filed;

    let total = rng.range(6, 15);
    let rooms_office = rng.range(1, 3);
    let area_service_dm = rng.range(2000, 8000);
    let max_office = area_service_dm * 25 / 75; // office share ≤ 25%
    let area_office_dm = rng.range(max_office / 3, max_office);
    let cadres = rng.range(5, 11);
    let activities = rng.range(1, 8);
    let star = rng.range(1, 5);
    let funds_last = rng
        .chance(70)
        .then(|| policy.per_star[rng.range(1, 5) as usize]);
    let funds_spent = funds_last.map(|f| f * rng.range(0, 9) / 10);
    Village {
        code,
        name,
        signs_before,
        removed,
        filed,
        wall_rules,
        signs,
        rooms_office,
        rooms_service: total - rooms_office,
        rooms_merged: rng.range(0, 8),
        rooms_new: rng.range(0, 4),
        area_service_dm,
        area_office_dm,
        shared_office: true,
        seven: std::array::from_fn(|_| rng.chance(85)),
        cadres,
        on_duty: rng.range(2, cadres),
        managers: rng.range(1, 2),
        duty_days: rng.range(18, period.days() as i64),
        extended: rng.chance(70),
        weekend: rng.chance(60),
        activities,
        participants: activities * rng.range(15, 80),
        star,
        score_rep: rng.range(600, 990),
        score_town: rng.range(600, 990),
        funds_last,
        funds_spent,
    }
}

/// The next month of a village: cumulative figures only grow, a sign or
/// two comes down, stocks stay close.
pub fn next_month(v: &Village, period: Period, rng: &mut Rng) -> Village {
    let mut n = v.clone();
    let down = rng
        .range(0, 2)
        .min(n.signs.len().saturating_sub(n.filed as usize) as i64);
    for _ in 0..down {
        n.signs.pop();
    }
    n.removed += down;
    n.rooms_merged += rng.range(0, 1);
    n.duty_days = rng.range(18, period.days() as i64);
    n.activities = rng.range(1, 8);
    n.participants = n.activities * rng.range(15, 80);
    n
}

/// A clean township return with `villages` villages.
pub fn township(
    county: &str,
    code: &str,
    name: &str,
    villages: &[(String, String)],
    period: Period,
    policy: &Policy,
    rng: &mut Rng,
) -> Township {
    let vs = villages
        .iter()
        .map(|(c, n)| village(c.clone(), n.clone(), period, policy, rng))
        .collect();
    Township {
        county: county.to_string(),
        code: code.to_string(),
        name: name.to_string(),
        period,
        filler: person(rng),
        phone: format!("13{:09}", rng.range(0, 999_999_999)),
        fill_date: Date::new(period.year, period.month, rng.range(20, 28) as u32)
            .expect("valid day"),
        villages: vs,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}
fn num(n: i64) -> Value {
    Value::Number(n as f64)
}
fn tenths(n: i64) -> Value {
    Value::Number(n as f64 / 10.0)
}
fn yes(b: bool) -> Value {
    text(if b { "是" } else { "否" })
}

/// A row in the schema's column order from (column, value) pairs.
pub fn row(spec: &SheetSpec, pairs: Vec<(Col, Value)>) -> Vec<Value> {
    let mut out = vec![Value::Empty; spec.columns.len()];
    for (c, v) in pairs {
        out[spec.index_of(c)] = v;
    }
    out
}

/// The township's return as template values.
pub fn fill(t: &Township) -> Fill {
    let mut f = Fill::default();
    f.cover.insert(CoverField::County, text(&t.county));
    f.cover.insert(CoverField::Township, text(&t.name));
    f.cover.insert(CoverField::TownshipCode, text(&t.code));
    f.cover
        .insert(CoverField::Period, text(&t.period.to_string()));
    f.cover.insert(CoverField::Filler, text(&t.filler));
    f.cover.insert(CoverField::Phone, text(&t.phone));
    f.cover
        .insert(CoverField::FillDate, Value::Date(t.fill_date));
    let mut signs = Vec::new();
    let mut detail = Vec::new();
    let mut rooms = Vec::new();
    let mut duty = Vec::new();
    let mut stars = Vec::new();
    for v in &t.villages {
        let id = || {
            vec![
                (Col::VillageCode, text(&v.code)),
                (Col::VillageName, text(&v.name)),
            ]
        };
        let mut p = id();
        p.extend([
            (Col::SignsBefore, num(v.signs_before)),
            (Col::SignsRemoved, num(v.removed)),
            (Col::SignsFiled, num(v.filed)),
            (Col::SignsNow, num(v.signs.len() as i64)),
            (Col::WallRules, num(v.wall_rules)),
        ]);
        signs.push(row(&schema::SIGNS, p));
        for s in &v.signs {
            detail.push(row(
                &schema::SIGN_DETAIL,
                vec![
                    (Col::VillageCode, text(&v.code)),
                    (Col::SignName, text(&s.name)),
                    (
                        Col::SignCategory,
                        if s.category.is_empty() {
                            Value::Empty
                        } else {
                            text(&s.category)
                        },
                    ),
                    (Col::SignPlace, text(s.place)),
                    (
                        Col::SignFiling,
                        if s.filing.is_empty() {
                            Value::Empty
                        } else {
                            text(&s.filing)
                        },
                    ),
                ],
            ));
        }
        let mut p = id();
        p.extend([
            (Col::RoomsTotal, num(v.rooms_office + v.rooms_service)),
            (Col::RoomsOffice, num(v.rooms_office)),
            (Col::RoomsService, num(v.rooms_service)),
            (Col::RoomsMerged, num(v.rooms_merged)),
            (Col::RoomsNew, num(v.rooms_new)),
            (Col::AreaService, tenths(v.area_service_dm)),
            (Col::AreaOffice, tenths(v.area_office_dm)),
            (Col::SharedOffice, yes(v.shared_office)),
        ]);
        p.extend(
            schema::SEVEN_SERVICES
                .iter()
                .zip(v.seven)
                .map(|(c, b)| (*c, yes(b))),
        );
        rooms.push(row(&schema::ROOMS, p));
        let mut p = id();
        p.extend([
            (Col::Cadres, num(v.cadres)),
            (Col::OnDuty, num(v.on_duty)),
            (Col::Managers, num(v.managers)),
            (Col::DutyDays, num(v.duty_days)),
            (Col::ExtendedHours, yes(v.extended)),
            (Col::WeekendService, yes(v.weekend)),
            (Col::Activities, num(v.activities)),
            (Col::Participants, num(v.participants)),
        ]);
        duty.push(row(&schema::DUTY, p));
        let mut p = id();
        p.extend([
            (Col::StarApplied, num(v.star)),
            (Col::ScoreRepresentatives, tenths(v.score_rep)),
            (Col::ScoreTownship, tenths(v.score_town)),
        ]);
        if let Some(m) = v.funds_last {
            p.push((Col::FundsLastYear, num(m)));
        }
        if let Some(m) = v.funds_spent {
            p.push((Col::FundsSpent, num(m)));
        }
        stars.push(row(&schema::STARS, p));
    }
    f.rows.insert(SheetId::Signs, signs);
    f.rows.insert(SheetId::SignDetail, detail);
    f.rows.insert(SheetId::Rooms, rooms);
    f.rows.insert(SheetId::Duty, duty);
    f.rows.insert(SheetId::Stars, stars);
    f
}

/// A small clean return for tests: `n` villages of township 990101103.
pub fn small_township(n: usize, seed: u64) -> Township {
    let policy = Policy::default_rules();
    let mut rng = Rng::new(seed);
    let period = Period {
        year: 2024,
        month: 6,
    };
    let names = village_names(n, false, &mut rng);
    let villages: Vec<(String, String)> = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| (format!("990101103{:03}", 201 + i), name))
        .collect();
    township(
        "示范县",
        "990101103",
        "白砂镇",
        &villages,
        period,
        &policy,
        &mut rng,
    )
}

/// One row of the roster: township code and name, village code and name.
pub type RosterRow = (String, String, String, String);

impl Township {
    /// Its villages as a county's roster lists them.
    pub fn roster_rows(&self) -> Vec<RosterRow> {
        self.villages
            .iter()
            .map(|v| {
                (
                    self.code.clone(),
                    self.name.clone(),
                    v.code.clone(),
                    v.name.clone(),
                )
            })
            .collect()
    }
}

/// Write a roster workbook (sheet 名册) as a county keeps it.
pub fn write_roster(path: &std::path::Path, rows: &[RosterRow]) -> anyhow::Result<()> {
    write_roster_with_counties(path, rows, None)
}

/// A roster of a city or province: each row also names its county
/// (县(市、区)代码, 县(市、区)), `counties[i]` for `rows[i]`.
pub fn write_roster_with_counties(
    path: &std::path::Path,
    rows: &[RosterRow],
    counties: Option<&[(String, String)]>,
) -> anyhow::Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("名册")?;
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let mut headers = vec![
        "乡镇(街道)代码",
        "乡镇(街道)",
        "村(社区)代码",
        "村(社区)名称",
    ];
    if counties.is_some() {
        headers.extend(["县(市、区)代码", "县(市、区)"]);
    }
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
        ws.set_column_width(c as u16, if h.ends_with("代码") { 16 } else { 14 })?;
    }
    for (i, (tc, tn, vc, vn)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string_with_format(r, 0, tc, &text)?;
        ws.write_string(r, 1, tn)?;
        ws.write_string_with_format(r, 2, vc, &text)?;
        ws.write_string(r, 3, vn)?;
        if let Some((cc, cn)) = counties.and_then(|c| c.get(i)) {
            ws.write_string_with_format(r, 4, cc, &text)?;
            ws.write_string(r, 5, cn)?;
        }
    }
    wb.set_properties(&crate::write::template::properties(None, "名册", None)?);
    crate::write::atomic::save(&mut wb, path)?;
    Ok(())
}

/// Write the county's own scores (sheet 区级评定); `None` leaves a blank cell.
pub fn write_scores(
    path: &std::path::Path,
    rows: &[(String, String, Option<f64>)],
) -> anyhow::Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("区级评定")?;
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    for (c, h) in ["村(社区)代码", "村(社区)名称", "区级评定得分"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    for (i, (code, name, score)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string_with_format(r, 0, code, &text)?;
        ws.write_string(r, 1, name)?;
        if let Some(s) = score {
            ws.write_number(r, 2, *s)?;
        }
    }
    ws.set_column_width(0, 16)?;
    ws.set_column_width(1, 14)?;
    ws.set_column_width(2, 14)?;
    wb.set_properties(&crate::write::template::properties(None, "区级评定", None)?);
    crate::write::atomic::save(&mut wb, path)?;
    Ok(())
}
