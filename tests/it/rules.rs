//! One test per rule code: a clean return from `huizong::kit::demo`, one
//! mistake, and the exact finding `huizong check --format json` reports.

use crate::common::{stdout, Workdir};
use huizong::kit::demo::{self, Township};
use huizong::policy::Policy;
use huizong::read::normalise::Period;
use huizong::schema::{self, Col, CoverField, SheetId};
use huizong::write::template::{self, Fill, TemplateInput, Value};
use serde_json::Value as Json;
use std::path::PathBuf;

/// Village codes of the base return: 990101103201 … 990101103204.
fn base() -> (Township, Fill) {
    let t = demo::small_township(4, 7);
    let f = demo::fill(&t);
    (t, f)
}

fn spec(sheet: SheetId) -> &'static schema::SheetSpec {
    schema::data_sheet(sheet).expect("data sheet")
}

/// Set one value of village row `k` (0-based) of a data sheet.
fn set(fill: &mut Fill, sheet: SheetId, k: usize, col: Col, v: Value) {
    let i = spec(sheet).index_of(col);
    fill.rows.get_mut(&sheet).expect("sheet rows")[k][i] = v;
}

fn get(fill: &Fill, sheet: SheetId, k: usize, col: Col) -> Value {
    fill.rows[&sheet][k][spec(sheet).index_of(col)].clone()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Add a sign to village `k` keeping P01 and X02 balanced (现有 and 清理前 +1).
fn add_sign(fill: &mut Fill, k: usize, code: &str, name: &str, category: Value, filing: Value) {
    let row = demo::row(
        &schema::SIGN_DETAIL,
        vec![
            (Col::VillageCode, t(code)),
            (Col::SignName, t(name)),
            (Col::SignCategory, category),
            (Col::SignFiling, filing),
        ],
    );
    fill.rows.get_mut(&SheetId::SignDetail).unwrap().push(row);
    for col in [Col::SignsNow, Col::SignsBefore] {
        let v = num(&get(fill, SheetId::Signs, k, col));
        set(fill, SheetId::Signs, k, col, n(v + 1.0));
    }
}

fn write(w: &Workdir, name: &str, fill: &Fill) -> PathBuf {
    let policy = Policy::default_rules();
    let input = TemplateInput {
        policy: &policy,
        period: Some(Period {
            year: 2024,
            month: 6,
        }),
        fill,
    };
    let path = w.path(name);
    template::write_file(&input, &path).expect("write return");
    path
}

/// `huizong check FILE --format json ARGS…`: every finding as JSON.
fn check(w: &Workdir, file: &str, args: &[&str]) -> (i32, Vec<Json>) {
    let mut all = vec!["check", file, "--format", "json"];
    all.extend_from_slice(args);
    let o = w.run(&all);
    let findings = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    (o.status.code().unwrap_or(-1), findings)
}

/// (code, level, sheet!cell, village) of each finding, in output order.
fn summary(findings: &[Json]) -> Vec<(String, String, String, String)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            let place = match (f["sheet"].as_str(), f["cell"].as_str()) {
                (Some(sh), Some(c)) => format!("{sh}!{c}"),
                (Some(sh), None) => sh.to_string(),
                _ => String::new(),
            };
            (s("code"), s("level"), place, s("village"))
        })
        .collect()
}

fn expect(findings: &[Json], want: &[(&str, &str, &str, &str)]) {
    let got = summary(findings);
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want, "findings: {findings:#?}");
}

/// Run one mutated return and compare the findings exactly.
fn case(
    mutate: impl FnOnce(&mut Fill),
    args: &[&str],
    want: &[(&str, &str, &str, &str)],
) -> Vec<Json> {
    let w = Workdir::new();
    let (_, mut fill) = base();
    mutate(&mut fill);
    write(&w, "r.xlsx", &fill);
    let (_, findings) = check(&w, "r.xlsx", args);
    expect(&findings, want);
    findings
}

const V1: &str = "990101103201";
const V2: &str = "990101103202";
const V3: &str = "990101103203";

#[test]
fn clean_return_has_no_finding_and_exits_0() {
    let w = Workdir::new();
    let (_, fill) = base();
    write(&w, "r.xlsx", &fill);
    let (code, findings) = check(&w, "r.xlsx", &["--period", "2024-06"]);
    assert_eq!(findings, Vec::<Json>::new());
    assert_eq!(code, 0);
}

#[test]
fn json_lines_carry_every_key() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    set(&mut fill, SheetId::Duty, 0, Col::Managers, n(0.0));
    write(&w, "r.xlsx", &fill);
    let (code, findings) = check(&w, "r.xlsx", &[]);
    assert_eq!(code, 0, "warnings only");
    let f = &findings[0];
    let keys: Vec<&str> = f.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut want = vec![
        "file",
        "township",
        "sheet",
        "cell",
        "village",
        "code",
        "level",
        "explained",
        "value",
        "message",
    ];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);
    assert_eq!(f["file"], "r.xlsx");
    assert_eq!(f["township"], "990101103");
    assert_eq!(f["value"], "0");
    assert_eq!(f["explained"], false);
}

#[test]
fn v01_required_cell_empty() {
    let f = case(
        |f| set(f, SheetId::Signs, 1, Col::SignsBefore, Value::Empty),
        &[],
        &[("V01", "error", "标牌清理!D4", V2)],
    );
    assert!(f[0]["message"].as_str().unwrap().contains("清理前标牌数"));
}

#[test]
fn v01_row_with_figures_but_no_code_or_name() {
    case(
        |f| {
            set(f, SheetId::Duty, 2, Col::VillageCode, Value::Empty);
            set(f, SheetId::Duty, 2, Col::VillageName, Value::Empty);
        },
        &[],
        // The village is then missing from 坐班值守 too; V01 explains why.
        &[
            ("X01", "error", "标牌清理!B5", V3),
            ("V01", "error", "坐班值守!B5", ""),
        ],
    );
}

#[test]
fn v02_not_a_number() {
    let f = case(
        |f| set(f, SheetId::Signs, 0, Col::SignsRemoved, t("12个")),
        &[],
        &[("V02", "error", "标牌清理!E3", V1)],
    );
    assert_eq!(f[0]["value"], "12个");
}

#[test]
fn numbers_as_text_full_width_and_separators_are_read() {
    case(
        |f| {
            let v = num(&get(f, SheetId::Signs, 0, Col::SignsRemoved)) as i64;
            let fw: String = v
                .to_string()
                .chars()
                .map(|c| char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap())
                .collect();
            set(
                f,
                SheetId::Signs,
                0,
                Col::SignsRemoved,
                t(&format!(" {fw} ")),
            );
            let p = num(&get(f, SheetId::Duty, 0, Col::Participants)) as i64;
            set(
                f,
                SheetId::Duty,
                0,
                Col::Participants,
                t(format!("{},{:03}", p / 1000, p % 1000).trim_start_matches("0,")),
            );
            set(f, SheetId::Rooms, 0, Col::SharedOffice, t("√"));
        },
        &[],
        &[],
    );
}

#[test]
fn v03_negative() {
    case(
        |f| set(f, SheetId::Signs, 2, Col::WallRules, n(-3.0)),
        &[],
        &[("V03", "error", "标牌清理!H5", V3)],
    );
}

#[test]
fn v04_out_of_range_and_fractions() {
    case(
        |f| set(f, SheetId::Stars, 0, Col::StarApplied, n(6.0)),
        &[],
        &[("V04", "error", "星级申报!D3", V1)],
    );
    case(
        |f| set(f, SheetId::Stars, 1, Col::ScoreTownship, t("85.25")),
        &[],
        &[("V04", "error", "星级申报!F4", V2)],
    );
    case(
        |f| set(f, SheetId::Duty, 0, Col::Cadres, n(7.5)),
        &[],
        &[("V04", "error", "坐班值守!D3", V1)],
    );
}

#[test]
fn v05_yes_no() {
    case(
        |f| set(f, SheetId::Rooms, 0, Col::HasClinic, t("可能")),
        &[],
        &[("V05", "error", "功能室!N3", V1)],
    );
}

#[test]
fn v06_code_malformed_and_x01_names_the_village_it_stood_for() {
    // V06 suppresses no X01: the clerk learns that 990101103202 is the
    // village whose code was broken in 功能室.
    let f = case(
        |f| set(f, SheetId::Rooms, 1, Col::VillageCode, t("99010110320")),
        &[],
        &[
            ("X01", "error", "标牌清理!B4", "990101103202"),
            ("V06", "error", "功能室!B4", ""),
        ],
    );
    assert_eq!(
        f[0]["message"],
        "村(社区)代码 990101103202 在“功能室”中缺少,各表应包含同样的村(社区)。请补齐"
    );
}

#[test]
fn v06_in_sign_detail_and_the_roster_still_report_x02_and_x04() {
    // A sign row's broken code leaves its village one sign short (X02); a
    // village whose code is broken in every sheet is missing from the
    // roster's view (X04), with its code named.
    let (_, mut fill) = base();
    let first = fill.rows[&SheetId::SignDetail]
        .iter()
        .position(|r| r[0] == t(V1))
        .unwrap();
    fill.rows.get_mut(&SheetId::SignDetail).unwrap()[first][0] = t("99010110320");
    for sheet in [
        SheetId::Signs,
        SheetId::Rooms,
        SheetId::Duty,
        SheetId::Stars,
    ] {
        set(&mut fill, sheet, 3, Col::VillageCode, t("9901011032O4"));
    }
    expect(
        &check_with_roster(&fill, |_| {}),
        &[
            ("X02", "error", "标牌清理!G3", V1),
            ("V06", "error", "标牌清理!B6", ""),
            ("X04", "error", "标牌清理", "990101103204"),
            ("V06", "error", "标牌明细!B3", ""),
            ("V06", "error", "功能室!B6", ""),
            ("V06", "error", "坐班值守!B6", ""),
            ("V06", "error", "星级申报!B6", ""),
        ],
    );
}

#[test]
fn v06_code_under_another_township_in_every_cell_where_it_appears() {
    let other = "990101104201";
    let w = Workdir::new();
    let (_, mut fill) = base();
    for sheet in [
        SheetId::Signs,
        SheetId::Rooms,
        SheetId::Duty,
        SheetId::Stars,
    ] {
        set(&mut fill, sheet, 0, Col::VillageCode, t(other));
    }
    for r in fill.rows.get_mut(&SheetId::SignDetail).unwrap() {
        if r[0] == t(V1) {
            r[0] = t(other);
        }
    }
    write(&w, "r.xlsx", &fill);
    let (_, f) = check(&w, "r.xlsx", &[]);
    let signs = fill.rows[&SheetId::SignDetail]
        .iter()
        .filter(|r| r[0] == t(other))
        .count();
    let detail: Vec<String> = (0..signs).map(|k| format!("标牌明细!B{}", k + 3)).collect();
    let mut want = vec![("V06", "error", "标牌清理!B3".to_string(), other)];
    want.extend(detail.into_iter().map(|c| ("V06", "error", c, other)));
    for s in ["功能室!B3", "坐班值守!B3", "星级申报!B3"] {
        want.push(("V06", "error", s.to_string(), other));
    }
    let want: Vec<(&str, &str, &str, &str)> = want
        .iter()
        .map(|(a, b, c, d)| (*a, *b, c.as_str(), *d))
        .collect();
    expect(&f, &want);
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("不属于本乡镇(街道)代码 990101103"));
}

#[test]
fn v07_duplicate_code() {
    case(
        |f| {
            let dup = f.rows[&SheetId::Duty][0].clone();
            f.rows.get_mut(&SheetId::Duty).unwrap().push(dup);
        },
        &[],
        &[("V07", "error", "坐班值守!B7", V1)],
    );
}

#[test]
fn v08_name_differs_between_sheets() {
    case(
        |f| set(f, SheetId::Rooms, 0, Col::VillageName, t("另一个村")),
        &[],
        &[("V08", "warning", "功能室!C3", V1)],
    );
}

/// Rewrite one part of an xlsx (zip) file in place.
pub fn patch_xlsx(path: &std::path::Path, part: &str, edit: impl Fn(&str) -> String) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut entry = zin.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(&String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn v10_error_value_and_uncalculated_formula() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    set(
        &mut fill,
        SheetId::Duty,
        0,
        Col::Activities,
        Value::Formula {
            formula: "1/0".into(),
            result: "#DIV/0!".into(),
        },
    );
    set(
        &mut fill,
        SheetId::Duty,
        1,
        Col::Activities,
        Value::Formula {
            formula: "2+3".into(),
            result: "5".into(),
        },
    );
    let path = write(&w, "r.xlsx", &fill);
    // As a program that never calculates would save it: the formula, no value.
    let duty = 1 + schema::ALL_SHEETS
        .iter()
        .position(|s| *s == SheetId::Duty)
        .unwrap();
    patch_xlsx(&path, &format!("xl/worksheets/sheet{duty}.xml"), |xml| {
        assert!(xml.contains("<f>2+3</f><v>5</v>"), "fixture layout changed");
        xml.replace("<f>2+3</f><v>5</v>", "<f>2+3</f>")
    });
    let (_, f) = check(&w, "r.xlsx", &[]);
    expect(
        &f,
        &[
            ("V10", "error", "坐班值守!J3", V1),
            ("V10", "error", "坐班值守!J4", V2),
        ],
    );
    assert!(f[1]["message"]
        .as_str()
        .unwrap()
        .contains("打开、保存后再报送"));
}

#[test]
fn formulas_are_read_by_cached_value() {
    case(
        |f| {
            let v = num(&get(f, SheetId::Duty, 0, Col::Activities));
            set(
                f,
                SheetId::Duty,
                0,
                Col::Activities,
                Value::Formula {
                    formula: format!("{v}*1"),
                    result: format!("{v}"),
                },
            );
        },
        &[],
        &[],
    );
}

#[test]
fn x01_village_missing_from_a_sheet() {
    let f = case(
        |f| {
            f.rows.get_mut(&SheetId::Stars).unwrap().remove(2);
        },
        &[],
        &[("X01", "error", "标牌清理!B5", V3)],
    );
    assert!(f[0]["message"].as_str().unwrap().contains("星级申报"));
}

#[test]
fn x02_sign_rows_differ_from_count() {
    case(
        |f| {
            let rows = f.rows.get_mut(&SheetId::SignDetail).unwrap();
            let i = rows.iter().position(|r| r[0] == t(V1)).unwrap();
            rows.remove(i);
        },
        &[],
        &[("X02", "error", "标牌清理!G3", V1)],
    );
}

fn totals_row(f: &Fill, sheet: SheetId) -> Vec<Value> {
    let s = spec(sheet);
    let mut out = vec![Value::Empty; s.columns.len()];
    out[s.index_of(Col::VillageName)] = t("合计");
    for (i, c) in s.columns.iter().enumerate() {
        if c.kind.summable() {
            let sum: f64 = f.rows[&sheet]
                .iter()
                .map(|r| if let Value::Number(x) = r[i] { x } else { 0.0 })
                .sum();
            out[i] = n((sum * 10.0).round() / 10.0);
        }
    }
    out
}

#[test]
fn x03_totals_row_checked_and_correct_totals_accepted() {
    case(
        |f| {
            for sheet in [
                SheetId::Signs,
                SheetId::Rooms,
                SheetId::Duty,
                SheetId::Stars,
            ] {
                let row = totals_row(f, sheet);
                f.footer.insert(sheet, vec![row]);
            }
        },
        &[],
        &[],
    );
    case(
        |f| {
            let mut row = totals_row(f, SheetId::Rooms);
            let i = spec(SheetId::Rooms).index_of(Col::RoomsTotal);
            row[i] = n(num(&row[i]) + 1.0);
            f.footer.insert(SheetId::Rooms, vec![row]);
        },
        &[],
        &[("X03", "error", "功能室!D7", "")],
    );
}

#[test]
fn p01_sign_identity() {
    case(
        |f| {
            let v = num(&get(f, SheetId::Signs, 0, Col::WallRules));
            set(f, SheetId::Signs, 0, Col::WallRules, n(v + 1.0));
        },
        &[],
        &[("P01", "error", "标牌清理!G3", V1)],
    );
}

#[test]
fn p02_removed_more_than_ever_hung_hides_p01() {
    case(
        |f| {
            let b = num(&get(f, SheetId::Signs, 1, Col::SignsBefore));
            let a = num(&get(f, SheetId::Signs, 1, Col::SignsFiled));
            set(f, SheetId::Signs, 1, Col::SignsRemoved, n(b + a + 1.0));
        },
        &[],
        &[("P02", "error", "标牌清理!E4", V2)],
    );
}

#[test]
fn p03_negative_list_sign() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    add_sign(
        &mut fill,
        0,
        V1,
        "樟黄村廉洁工作站",
        Value::Empty,
        Value::Empty,
    );
    write(&w, "r.xlsx", &fill);
    let rows = fill.rows[&SheetId::SignDetail].len();
    let (code, f) = check(&w, "r.xlsx", &[]);
    let cell = format!("标牌明细!C{}", rows + 2);
    expect(&f, &[("P03", "warning", &cell, V1)]);
    assert_eq!(code, 0, "a policy breach is a warning");
}

#[test]
fn p04_off_catalogue_sign_without_filing() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    add_sign(
        &mut fill,
        1,
        V2,
        "乡村振兴促进会",
        Value::Empty,
        Value::Empty,
    );
    add_sign(
        &mut fill,
        1,
        V2,
        "乡贤理事会",
        Value::Empty,
        t("示备〔2024〕3号"),
    );
    write(&w, "r.xlsx", &fill);
    let rows = fill.rows[&SheetId::SignDetail].len();
    let (_, f) = check(&w, "r.xlsx", &[]);
    expect(
        &f,
        &[("P04", "warning", &format!("标牌明细!C{}", rows + 1), V2)],
    );
}

#[test]
fn p05_too_many_wall_rules() {
    case(
        |f| {
            let w = num(&get(f, SheetId::Signs, 0, Col::WallRules));
            let b = num(&get(f, SheetId::Signs, 0, Col::SignsBefore));
            set(f, SheetId::Signs, 0, Col::WallRules, n(20.0));
            set(f, SheetId::Signs, 0, Col::SignsBefore, n(b + 20.0 - w));
        },
        &[],
        &[("P05", "warning", "标牌清理!H3", V1)],
    );
}

fn rules_with(from: &str, to: &str) -> String {
    let text = huizong::policy::DEFAULT_RULES;
    assert!(text.contains(from));
    text.replacen(from, to, 1)
}

#[test]
fn p06_too_many_room_signs_with_custom_limit() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    for name in [
        "党员活动室",
        "会议室",
        "图书阅览室",
        "档案室",
        "多功能活动室",
        "电子阅览室",
        "心理咨询室",
        "技能培训中心",
    ] {
        let policy = Policy::default_rules();
        let entry = policy.match_sign(name);
        let listed = fill.rows[&SheetId::SignDetail]
            .iter()
            .any(|r| match (&r[0], &r[1]) {
                (Value::Text(c), Value::Text(s)) => c == V3 && policy.match_sign(s) == entry,
                _ => false,
            });
        if !listed {
            add_sign(&mut fill, 2, V3, name, Value::Empty, Value::Empty);
        }
    }
    write(&w, "r.xlsx", &fill);
    std::fs::write(
        w.path("rules.toml"),
        rules_with("max_room_signs = 21", "max_room_signs = 7"),
    )
    .unwrap();
    let (_, f) = check(&w, "r.xlsx", &["--rules", "rules.toml"]);
    expect(&f, &[("P06", "warning", "标牌清理!G5", V3)]);
}

#[test]
fn p07_category_differs_from_catalogue() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    add_sign(
        &mut fill,
        0,
        V1,
        "退役军人服务站",
        t("组织机构"),
        Value::Empty,
    );
    // Only this village's list decides; drop a duplicate if the base had one.
    write(&w, "r.xlsx", &fill);
    let rows = fill.rows[&SheetId::SignDetail].len();
    let (_, f) = check(&w, "r.xlsx", &[]);
    let already = fill.rows[&SheetId::SignDetail][..rows - 1]
        .iter()
        .any(|r| r[0] == t(V1) && r[1] == t("退役军人服务站"));
    let mut want = vec![("P07", "warning", format!("标牌明细!D{}", rows + 2), V1)];
    if already {
        want.insert(0, ("P08", "warning", format!("标牌明细!C{}", rows + 2), V1));
    }
    let want: Vec<(&str, &str, &str, &str)> = want
        .iter()
        .map(|(a, b, c, d)| (*a, *b, c.as_str(), *d))
        .collect();
    expect(&f, &want);
}

#[test]
fn p08_same_sign_twice() {
    let w = Workdir::new();
    let (_, mut fill) = base();
    let first = fill.rows[&SheetId::SignDetail]
        .iter()
        .find(|r| r[0] == t(V2))
        .unwrap()
        .clone();
    let Value::Text(name) = &first[1] else {
        panic!()
    };
    add_sign(
        &mut fill,
        1,
        V2,
        &format!("（{name}）"),
        Value::Empty,
        Value::Empty,
    );
    write(&w, "r.xlsx", &fill);
    let rows = fill.rows[&SheetId::SignDetail].len();
    let (_, f) = check(&w, "r.xlsx", &[]);
    expect(
        &f,
        &[("P08", "warning", &format!("标牌明细!C{}", rows + 2), V2)],
    );
}

#[test]
fn m01_rooms_do_not_add_up() {
    case(
        |f| {
            let v = num(&get(f, SheetId::Rooms, 0, Col::RoomsOffice));
            set(f, SheetId::Rooms, 0, Col::RoomsOffice, n(v + 1.0));
        },
        &[],
        &[("M01", "error", "功能室!D3", V1)],
    );
}

#[test]
fn m02_office_share_too_high() {
    case(
        |f| {
            let s = num(&get(f, SheetId::Rooms, 1, Col::AreaService));
            set(f, SheetId::Rooms, 1, Col::AreaOffice, n(s));
        },
        &[],
        &[("M02", "warning", "功能室!J4", V2)],
    );
}

#[test]
fn m03_no_shared_office_and_its_explanation() {
    case(
        |f| set(f, SheetId::Rooms, 2, Col::SharedOffice, t("否")),
        &[],
        &[("M03", "warning", "功能室!K5", V3)],
    );
    let f = case(
        |f| {
            set(f, SheetId::Rooms, 2, Col::SharedOffice, t("否"));
            f.rows.insert(
                SheetId::Explanations,
                vec![demo::row(
                    &schema::EXPLANATIONS,
                    vec![
                        (Col::RuleCode, t("M03")),
                        (Col::VillageCode, t(V3)),
                        (Col::Explanation, t("办公楼改造中,9月完成")),
                    ],
                )],
            );
        },
        &[],
        &[("M03", "warning", "功能室!K5", V3)],
    );
    assert_eq!(f[0]["explained"], true);
}

#[test]
fn m04_areas_do_not_fit_rooms() {
    case(
        |f| {
            set(f, SheetId::Rooms, 0, Col::AreaService, n(0.0));
            set(f, SheetId::Rooms, 0, Col::AreaOffice, n(0.0));
        },
        &[],
        &[("M04", "warning", "功能室!D3", V1)],
    );
}

#[test]
fn d01_more_on_duty_than_cadres() {
    case(
        |f| {
            let c = num(&get(f, SheetId::Duty, 0, Col::Cadres));
            set(f, SheetId::Duty, 0, Col::OnDuty, n(c + 1.0));
        },
        &[],
        &[("D01", "error", "坐班值守!E3", V1)],
    );
}

#[test]
fn d02_more_days_than_the_month() {
    case(
        |f| set(f, SheetId::Duty, 1, Col::DutyDays, n(31.0)),
        &[],
        &[("D02", "error", "坐班值守!G4", V2)],
    );
}

#[test]
fn d03_cadres_out_of_range() {
    case(
        |f| {
            set(f, SheetId::Duty, 0, Col::Cadres, n(2.0));
            set(f, SheetId::Duty, 0, Col::OnDuty, n(2.0));
        },
        &[],
        &[("D03", "warning", "坐班值守!D3", V1)],
    );
}

#[test]
fn d04_activities_without_people() {
    case(
        |f| set(f, SheetId::Duty, 2, Col::Participants, n(0.0)),
        &[],
        &[("D04", "warning", "坐班值守!K5", V3)],
    );
}

#[test]
fn d05_no_manager() {
    case(
        |f| set(f, SheetId::Duty, 0, Col::Managers, n(0.0)),
        &[],
        &[("D05", "warning", "坐班值守!F3", V1)],
    );
}

#[test]
fn t02_spent_more_than_given() {
    case(
        |f| {
            set(f, SheetId::Stars, 0, Col::FundsLastYear, n(10000.0));
            set(f, SheetId::Stars, 0, Col::FundsSpent, n(12000.5));
        },
        &[],
        &[("T02", "warning", "星级申报!H3", V1)],
    );
}

#[test]
fn c01_township_code_bad_is_fatal_and_hides_the_rest() {
    let f = case(
        |f| {
            f.cover.insert(CoverField::TownshipCode, t("99010110"));
            set(f, SheetId::Duty, 0, Col::Managers, n(0.0));
        },
        &[],
        &[("C01", "fatal", "基本信息!B5", "")],
    );
    assert_eq!(f[0]["township"], Json::Null);
}

#[test]
fn c02_period_unreadable_and_c03_wrong_period() {
    case(
        |f| {
            f.cover.insert(CoverField::Period, t("六月份"));
        },
        &[],
        &[("C02", "fatal", "基本信息!B6", "")],
    );
    case(
        |_| {},
        &["--period", "2024-07"],
        &[("C03", "fatal", "基本信息!B6", "")],
    );
}

#[test]
fn c06_cover_facts_missing_or_malformed() {
    case(
        |f| {
            f.cover.insert(CoverField::Filler, Value::Empty);
            f.cover.insert(CoverField::Phone, t("12345"));
            f.cover.insert(CoverField::FillDate, t("六月底"));
        },
        &[],
        &[
            ("C06", "error", "基本信息!B7", ""),
            ("C06", "error", "基本信息!B8", ""),
            ("C06", "error", "基本信息!B10", ""),
        ],
    );
}

#[test]
fn cover_accepts_month_and_date_variants() {
    case(
        |f| {
            f.cover.insert(CoverField::Period, t("2024年6月"));
            f.cover.insert(CoverField::FillDate, t("2024年6月28日"));
            f.cover.insert(CoverField::Phone, t("0597-1234567"));
        },
        &["--period", "2024-06"],
        &[],
    );
}

#[test]
fn s05_old_template_version() {
    case(
        |f| {
            f.cover.insert(CoverField::TemplateVersion, t("2024.3"));
        },
        &[],
        &[("S05", "warning", "基本信息!B11", "")],
    );
}

/// Build the base return, let `edit` change the workbook itself (sheets,
/// headers), save it and check it.
fn structural(
    edit: impl FnOnce(&mut rust_xlsxwriter::Workbook),
    args: &[&str],
) -> (i32, Vec<Json>) {
    let w = Workdir::new();
    let (_, fill) = base();
    let policy = Policy::default_rules();
    let input = TemplateInput {
        policy: &policy,
        period: Some(Period {
            year: 2024,
            month: 6,
        }),
        fill: &fill,
    };
    let mut wb = template::build(&input).unwrap();
    edit(&mut wb);
    let path = w.path("r.xlsx");
    huizong::write::atomic::save(&mut wb, &path).unwrap();
    let _ = &path;
    check(&w, "r.xlsx", args)
}

#[test]
fn s02_missing_sheet_names_it_and_lists_the_sheets() {
    let (code, f) = structural(
        |wb| {
            wb.worksheet_from_name("功能室")
                .unwrap()
                .set_name("功能室(旧)")
                .unwrap();
        },
        &[],
    );
    expect(&f, &[("S02", "fatal", "", "")]);
    let m = f[0]["message"].as_str().unwrap();
    assert!(
        m.contains("缺少工作表“功能室”") && m.contains("“功能室(旧)”"),
        "{m}"
    );
    assert_eq!(code, 1);
}

#[test]
fn s03_required_column_missing_and_s04_unknown_column() {
    let rooms = spec(SheetId::Rooms);
    let col = template::col_of(rooms, Col::RoomsTotal);
    let (_, f) = structural(
        |wb| {
            wb.worksheet_from_name("功能室")
                .unwrap()
                .write_string(template::HEADER_ROW, col, "房间数量")
                .unwrap();
        },
        &[],
    );
    expect(
        &f,
        &[
            ("S03", "fatal", "功能室!A2", ""),
            ("S04", "warning", "功能室!D2", ""),
        ],
    );
    assert!(f[0]["message"].as_str().unwrap().contains("房间总数"));
}

#[test]
fn s03_header_not_found() {
    let (_, f) = structural(
        |wb| {
            let ws = wb.worksheet_from_name("坐班值守").unwrap();
            for (i, _) in spec(SheetId::Duty).columns.iter().enumerate() {
                ws.write_string(
                    template::HEADER_ROW,
                    template::sheet_col(i),
                    format!("第{i}列"),
                )
                .unwrap();
            }
        },
        &[],
    );
    expect(&f, &[("S03", "fatal", "坐班值守", "")]);
}

#[test]
fn s04_extra_column_is_ignored_with_a_warning() {
    let last = template::last_col(spec(SheetId::Stars));
    let (code, f) = structural(
        |wb| {
            let ws = wb.worksheet_from_name("星级申报").unwrap();
            ws.write_string(template::HEADER_ROW, last + 1, "联系人")
                .unwrap();
            ws.write_string(template::FIRST_DATA_ROW, last + 1, "张三")
                .unwrap();
        },
        &[],
    );
    expect(&f, &[("S04", "warning", "星级申报!J2", "")]);
    assert_eq!(code, 0);
}

#[test]
fn headers_match_by_alias_in_any_order_below_a_title() {
    let signs = spec(SheetId::Signs);
    let (a, b) = (
        template::col_of(signs, Col::SignsBefore),
        template::col_of(signs, Col::WallRules),
    );
    let (code, f) = structural(
        |wb| {
            let ws = wb.worksheet_from_name("标牌清理").unwrap();
            // 村（社区）代码 in full-width brackets with a line break, an alias.
            ws.write_string(template::HEADER_ROW, 1, "村（社区）\n代码")
                .unwrap();
            ws.write_string(template::HEADER_ROW, a, "原有标牌数")
                .unwrap();
            let _ = b;
        },
        &[],
    );
    assert_eq!(f, Vec::<Json>::new());
    assert_eq!(code, 0);
}

#[test]
fn s06_sheet_with_too_many_rows_under_custom_rules() {
    let w = Workdir::new();
    let (_, fill) = base();
    write(&w, "r.xlsx", &fill);
    std::fs::write(
        w.path("rules.toml"),
        rules_with("max_rows = 5000", "max_rows = 20"),
    )
    .unwrap();
    let (code, f) = check(&w, "r.xlsx", &["--rules", "rules.toml"]);
    expect(&f, &[("S06", "fatal", "", "")]);
    assert_eq!(code, 1);
}

#[test]
fn bad_rules_file_is_exit_2_naming_the_key() {
    let w = Workdir::new();
    let (_, fill) = base();
    write(&w, "r.xlsx", &fill);
    std::fs::write(w.path("rules.toml"), rules_with("max_swing = 0.5 ", "")).unwrap();
    let o = w.run(&["check", "r.xlsx", "--rules", "rules.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::common::stderr(&o);
    assert!(err.contains("缺少键 `max_swing`"), "{err}");
}

#[test]
fn check_feedback_writes_an_annotated_workbook() {
    use calamine::{Reader, Xlsx};
    let w = Workdir::new();
    let (_, mut fill) = base();
    set(&mut fill, SheetId::Signs, 0, Col::SignsRemoved, t("12个"));
    write(&w, "白砂镇_2024-06.xlsx", &fill);
    let o = w.run(&["check", "白砂镇_2024-06.xlsx", "--feedback", "反馈"]);
    assert_eq!(o.status.code(), Some(1));
    let path = w.path("反馈/白砂镇_2024-06_校验结果.xlsx");
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).expect("feedback workbook");
    let names = wb.sheet_names();
    assert_eq!(names[0], "校验结果");
    assert!(names.contains(&"标牌清理".to_string()));
    let results = wb.worksheet_range("校验结果").unwrap();
    let cells: Vec<String> = results
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .find(|r| r.contains(&"V02".to_string()))
        .expect("a row for the V02 finding");
    assert!(
        cells.contains(&"标牌清理".to_string())
            && cells.contains(&"E3".to_string())
            && cells.contains(&"V02".to_string()),
        "{cells:?}"
    );
    let signs = wb.worksheet_range("标牌清理").unwrap();
    assert_eq!(
        signs.get_value((2, 4)).map(|c| c.to_string()),
        Some("12个".to_string())
    );
}

/// Check a mutated return against the unmutated base as previous period.
fn case_with_previous(
    mutate: impl FnOnce(&mut Fill),
    want: &[(&str, &str, &str, &str)],
) -> Vec<Json> {
    let w = Workdir::new();
    let (_, prev) = base();
    write(&w, "prev.xlsx", &prev);
    let mut fill = prev.clone();
    mutate(&mut fill);
    write(&w, "r.xlsx", &fill);
    let (_, f) = check(&w, "r.xlsx", &["--previous", "prev.xlsx"]);
    expect(&f, want);
    f
}

#[test]
fn unchanged_return_against_previous_has_no_finding() {
    case_with_previous(|_| {}, &[]);
}

#[test]
fn h01_sign_rebound_and_it_hides_p04() {
    let (_, fill) = base();
    let rows = fill.rows[&SheetId::SignDetail].len();
    let policy = Policy::default_rules();
    let has = |f: &Fill, name: &str| {
        f.rows[&SheetId::SignDetail].iter().any(|r| matches!((&r[0], &r[1]), (Value::Text(c), Value::Text(s)) if c == V1 && policy.match_sign(s) == policy.match_sign(name)))
    };
    let names: Vec<String> = policy.signs.iter().map(|s| s.name.clone()).collect();
    let new_sign = names.iter().find(|n| !has(&fill, n)).unwrap().clone();
    let new_sign = new_sign.as_str();
    case_with_previous(
        |f| {
            add_sign(f, 0, V1, new_sign, Value::Empty, Value::Empty);
            add_sign(f, 0, V1, "乡村振兴促进会", Value::Empty, Value::Empty);
            add_sign(f, 0, V1, "乡贤理事会", Value::Empty, t("示备〔2024〕5号"));
            // Counted as newly added boards rather than a changed baseline.
            let b = num(&get(f, SheetId::Signs, 0, Col::SignsBefore));
            let a = num(&get(f, SheetId::Signs, 0, Col::SignsFiled));
            set(f, SheetId::Signs, 0, Col::SignsBefore, n(b - 3.0));
            set(f, SheetId::Signs, 0, Col::SignsFiled, n(a + 3.0));
        },
        &[
            ("H01", "warning", &format!("标牌明细!C{}", rows + 3), V1),
            ("H01", "warning", &format!("标牌明细!C{}", rows + 4), V1),
        ],
    );
}

#[test]
fn h02_cumulative_figure_fell() {
    case_with_previous(
        |f| {
            // Taken down one fewer, one more rule on the wall: P01 holds.
            let r = num(&get(f, SheetId::Signs, 1, Col::SignsRemoved));
            let w = num(&get(f, SheetId::Signs, 1, Col::WallRules));
            set(f, SheetId::Signs, 1, Col::SignsRemoved, n(r - 1.0));
            set(f, SheetId::Signs, 1, Col::WallRules, n(w + 1.0));
        },
        &[("H02", "error", "标牌清理!E4", V2)],
    );
}

#[test]
fn h03_baseline_changed() {
    case_with_previous(
        |f| {
            for col in [Col::SignsBefore, Col::SignsRemoved] {
                let v = num(&get(f, SheetId::Signs, 0, col));
                set(f, SheetId::Signs, 0, col, n(v + 2.0));
            }
        },
        &[("H03", "warning", "标牌清理!D3", V1)],
    );
}

#[test]
fn h04_village_gone_without_roster() {
    case_with_previous(
        |f| {
            for sheet in [
                SheetId::Signs,
                SheetId::Rooms,
                SheetId::Duty,
                SheetId::Stars,
            ] {
                f.rows.get_mut(&sheet).unwrap().remove(3);
            }
            f.rows
                .get_mut(&SheetId::SignDetail)
                .unwrap()
                .retain(|r| r[0] != t("990101103204"));
        },
        &[("H04", "warning", "标牌清理", "990101103204")],
    );
}

#[test]
fn h05_stock_jumped_but_signs_coming_down_is_fine() {
    case_with_previous(
        |f| {
            for col in [Col::RoomsTotal, Col::RoomsService] {
                let v = num(&get(f, SheetId::Rooms, 0, col));
                set(f, SheetId::Rooms, 0, col, n(v + 10.0));
            }
            // 现有标牌数 falling a lot is the campaign working: no H05.
            let rows = f.rows.get_mut(&SheetId::SignDetail).unwrap();
            let before = rows.len();
            let mut dropped = 0;
            rows.retain(|r| {
                let drop = r[0] == t(V2) && dropped < 6 && r[4] == Value::Empty;
                dropped += drop as i32;
                !drop
            });
            let dropped = (before - rows.len()) as f64;
            let now = num(&get(f, SheetId::Signs, 1, Col::SignsNow));
            let removed = num(&get(f, SheetId::Signs, 1, Col::SignsRemoved));
            set(f, SheetId::Signs, 1, Col::SignsNow, n(now - dropped));
            set(
                f,
                SheetId::Signs,
                1,
                Col::SignsRemoved,
                n(removed + dropped),
            );
        },
        &[("H05", "warning", "功能室!D3", V1)],
    );
}

/// Write a roster for the base township, letting `edit` change its rows.
fn roster(w: &Workdir, edit: impl FnOnce(&mut Vec<demo::RosterRow>)) -> String {
    let (t, _) = base();
    let mut rows: Vec<demo::RosterRow> = t
        .villages
        .iter()
        .map(|v| {
            (
                t.code.clone(),
                t.name.clone(),
                v.code.clone(),
                v.name.clone(),
            )
        })
        .collect();
    edit(&mut rows);
    demo::write_roster(&w.path("roster.xlsx"), &rows).unwrap();
    "roster.xlsx".to_string()
}

fn check_with_roster(fill: &Fill, edit: impl FnOnce(&mut Vec<demo::RosterRow>)) -> Vec<Json> {
    let w = Workdir::new();
    write(&w, "r.xlsx", fill);
    let r = roster(&w, edit);
    check(&w, "r.xlsx", &["--roster", &r]).1
}

#[test]
fn roster_matching_return_has_no_finding() {
    let (_, fill) = base();
    expect(&check_with_roster(&fill, |_| {}), &[]);
}

#[test]
fn c04_township_not_in_roster_skips_x05() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        for r in rows.iter_mut() {
            r.0 = "990101199".into();
            r.2 = format!("990101199{}", &r.2[9..]);
        }
    });
    expect(&f, &[("C04", "error", "基本信息!B5", "")]);
}

#[test]
fn c05_township_name_differs_from_roster() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        for r in rows.iter_mut() {
            r.1 = "白沙镇".into();
        }
    });
    expect(&f, &[("C05", "warning", "基本信息!B4", "")]);
    assert!(f[0]["message"].as_str().unwrap().contains("“白沙镇”"));
}

#[test]
fn x04_roster_village_missing_and_x05_village_not_in_roster() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        rows.push((
            "990101103".into(),
            "白砂镇".into(),
            "990101103299".into(),
            "新建村".into(),
        ));
        rows.retain(|r| r.2 != V3);
    });
    expect(
        &f,
        &[
            ("X05", "error", "标牌清理!B5", V3),
            ("X04", "error", "标牌清理", "990101103299"),
        ],
    );
}

#[test]
fn v08_against_roster_and_v06_names_the_township_the_roster_gives() {
    let (_, mut fill) = base();
    let other = "990101104201";
    for sheet in [
        SheetId::Signs,
        SheetId::Rooms,
        SheetId::Duty,
        SheetId::Stars,
    ] {
        set(&mut fill, sheet, 3, Col::VillageCode, t(other));
    }
    fill.rows
        .get_mut(&SheetId::SignDetail)
        .unwrap()
        .retain(|r| r[0] != t("990101103204"));
    let now = spec(SheetId::Signs).index_of(Col::SignsNow);
    let dropped = num(&fill.rows[&SheetId::Signs][3][now]);
    let removed = num(&get(&fill, SheetId::Signs, 3, Col::SignsRemoved));
    set(&mut fill, SheetId::Signs, 3, Col::SignsNow, n(0.0));
    set(
        &mut fill,
        SheetId::Signs,
        3,
        Col::SignsRemoved,
        n(removed + dropped),
    );
    set(&mut fill, SheetId::Rooms, 0, Col::VillageName, t("樟溪村"));
    let f = check_with_roster(&fill, |rows| {
        rows.retain(|r| r.2 != "990101103204");
        rows.push((
            "990101104".into(),
            "樟黄镇".into(),
            other.into(),
            "外镇村".into(),
        ));
    });
    expect(
        &f,
        &[
            ("V06", "error", "标牌清理!B6", other),
            ("V08", "warning", "功能室!C3", V1),
            ("V06", "error", "功能室!B6", other),
            ("V06", "error", "坐班值守!B6", other),
            ("V06", "error", "星级申报!B6", other),
        ],
    );
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("名册中它属于樟黄镇(990101104)"),
        "{}",
        f[0]["message"]
    );
}

/// Every rule code of the code table is asserted by at least one test: a
/// test function (here or in any test of the crate) with an assertion (or
/// this file's `case`/`expect`) that names the code, as `Code::X01` or `"X01"`. A new rule without a test
/// fails here.
#[test]
fn every_rule_code_has_a_test_asserting_it() {
    let mut sources = Vec::new();
    let mut dirs = vec![
        crate::common::project("src"),
        crate::common::project("tests"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                sources.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    // Each test function's text, from its #[test] to the next.
    let tests: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.split("#[test]").skip(1))
        .collect();
    assert!(tests.len() > 200, "found only {} tests", tests.len());
    let asserts = |body: &str, code: &str| {
        let named = |at: usize| {
            let b = body.as_bytes();
            // The code as a whole token: not part of a longer name.
            let before = at.checked_sub(1).map(|i| b[i]);
            let after = b.get(at + code.len()).copied();
            matches!(before, Some(b':' | b'"'))
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        };
        // `case` and `expect` are this file's assertions of exact findings.
        ["assert", "expect(&", "case(", "case_with_previous("]
            .iter()
            .any(|a| body.contains(a))
            && body.match_indices(code).any(|(at, _)| named(at))
    };
    let missing: Vec<&str> = huizong::finding::RULES
        .iter()
        .map(|r| r.code.as_str())
        .filter(|code| !tests.iter().any(|body| asserts(body, code)))
        .collect();
    assert!(
        missing.is_empty(),
        "rule codes with no test asserting them: {missing:?}"
    );
}
