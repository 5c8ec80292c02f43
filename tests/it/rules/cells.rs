//! Cells and values (V rules): required, numeric, ranges, yes/no, codes,
//! duplicates, names between sheets, error values; numbers as text and
//! formulas read by their saved value.

use super::*;

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
    let f = case(
        |f| set(f, SheetId::Signs, 2, Col::WallRules, n(-3.0)),
        &[],
        &[("V03", "error", "标牌清理!H5", V3)],
    );
    assert_eq!(
        f[0]["message"],
        "“上墙制度数”不能为负数,现为 -3。请填 0 或正数"
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
    // Its feedback workbook, sent back unopened, is read with the same
    // findings: the error value kept as its text, the formula still a
    // formula without a result.
    let (code, _) = check(&w, "r.xlsx", &["--feedback", "fb"]);
    assert_eq!(code, 1);
    let (_, back) = check(&w, "fb/r_校验结果.xlsx", &[]);
    expect(
        &back,
        &[
            ("V10", "error", "坐班值守!J3", V1),
            ("V10", "error", "坐班值守!J4", V2),
        ],
    );
    assert_eq!(back[1]["message"], f[1]["message"]);
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
