//! Villages across sheets and sign rows (X01–X03, P rules): counts,
//! totals rows, the catalogue, the negative list, limits, categories and
//! duplicates.

use super::*;

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
    let f = case(
        |f| {
            let rows = f.rows.get_mut(&SheetId::SignDetail).unwrap();
            let i = rows.iter().position(|r| r[0] == t(V1)).unwrap();
            rows.remove(i);
        },
        &[],
        &[("X02", "error", "标牌清理!G3", V1)],
    );
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("但“标牌明细”中该村只列了"), "{m}");
}

#[test]
fn x02_more_sign_rows_than_the_count_says_so() {
    let f = case(
        |f| {
            let rows = f.rows.get_mut(&SheetId::SignDetail).unwrap();
            let i = rows.iter().position(|r| r[0] == t(V1)).unwrap();
            let extra = rows[i].clone();
            rows.insert(i, extra);
        },
        &[],
        &[
            ("X02", "error", "标牌清理!G3", V1),
            ("P08", "warning", "标牌明细!C4", V1),
        ],
    );
    let m = f[0]["message"].as_str().unwrap();
    assert!(
        m.contains("但“标牌明细”中该村列了") && !m.contains("只"),
        "{m}"
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
