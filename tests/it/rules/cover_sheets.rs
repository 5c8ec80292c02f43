//! The cover and the sheets' structure (C and S rules), a bad rules file,
//! and `check --feedback`.

use super::*;

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
    // A version that is not dotted numbers is not called older.
    let f = case(
        |f| {
            f.cover.insert(CoverField::TemplateVersion, t("v2025.1"));
        },
        &[],
        &[("S05", "warning", "基本信息!B11", "")],
    );
    let m = f[0]["message"].as_str().unwrap();
    assert!(
        m.starts_with("模板版本“v2025.1”不是版本号(应为 2025.1 这样的数字)"),
        "{m}"
    );
}

#[test]
fn warnings_about_the_file_or_its_cover_can_be_explained() {
    // S05 explained by a row with a blank village code; the township's
    // own code serves as well.
    for village in [Value::Empty, t("990101103")] {
        let f = case(
            |f| {
                f.cover.insert(CoverField::TemplateVersion, t("2024.3"));
                f.rows.insert(
                    SheetId::Explanations,
                    vec![demo::row(
                        &schema::EXPLANATIONS,
                        vec![
                            (Col::RuleCode, t("S05")),
                            (Col::VillageCode, village.clone()),
                            (Col::Explanation, t("沿用上月模板,内容已核对")),
                        ],
                    )],
                );
            },
            &[],
            &[("S05", "warning", "基本信息!B11", "")],
        );
        assert_eq!(f[0]["explained"], true, "{village:?}");
    }
}

/// Build the base return, let `edit` change the workbook itself (sheets,
/// headers), save it and check it.
fn structural(
    edit: impl FnOnce(&mut rust_xlsxwriter::Workbook),
    args: &[&str],
) -> (i32, Vec<Json>) {
    let w = Workdir::new();
    let (_, fill) = base();
    let mut wb = june(&fill, |input| template::build(input).unwrap());
    edit(&mut wb);
    huizong::write::atomic::save(&mut wb, &w.path("r.xlsx")).unwrap();
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
