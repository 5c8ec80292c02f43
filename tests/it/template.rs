//! `huizong template` and the feedback workbook, read back with calamine
//! (and, when installed, opened by LibreOffice).

use crate::common::{openpyxl, project, require_program, stderr, stdout, Workdir};
use calamine::{Data, Range, Reader};
use huizong::finding::{Code, Finding};
use huizong::policy::Policy;
use huizong::read::normalise::Period;
use huizong::read::workbook::{CellValue, RawCell, RawRow, RawSheet, RawWorkbook};
use huizong::schema::{self, COVER, DATA_SHEETS, ROW_NO_HEADER, TEMPLATE_VERSION};
use huizong::write::feedback::{self, FeedbackInput};
use huizong::write::template;
use std::io::Read;
use std::path::Path;

const COMMITTED: &str = "templates/乡镇月报模板.xlsx";

fn open(path: &Path) -> calamine::Sheets<std::io::BufReader<std::fs::File>> {
    calamine::open_workbook_auto(path)
        .unwrap_or_else(|e| panic!("calamine cannot open {}: {e}", path.display()))
}

fn range(path: &Path, sheet: &str) -> Range<Data> {
    open(path)
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{sheet}: {e}"))
}

/// A cell as text, by absolute 0-based position ("" when empty).
fn text(r: &Range<Data>, row: u32, col: u32) -> String {
    match r.get_value((row, col)) {
        None | Some(Data::Empty) => String::new(),
        Some(d) => d.to_string(),
    }
}

fn row_texts(r: &Range<Data>, row: u32, cols: u32) -> Vec<String> {
    (0..cols).map(|c| text(r, row, c)).collect()
}

/// Cover label → value (column A → column B).
fn cover(path: &Path) -> Vec<(String, String)> {
    let r = range(path, schema::COVER_SHEET);
    let (h, _) = r.end().expect("cover not empty");
    (0..=h)
        .map(|row| (text(&r, row, 0), text(&r, row, 1)))
        .filter(|(l, _)| !l.is_empty())
        .collect()
}

fn cover_value(c: &[(String, String)], label: &str) -> Option<String> {
    c.iter().find(|(l, _)| l == label).map(|(_, v)| v.clone())
}

fn zip_text(path: &Path, pred: impl Fn(&str) -> bool) -> String {
    let f = std::fs::File::open(path).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let names: Vec<String> = z
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let mut out = String::new();
    for name in names.iter().filter(|n| pred(n)) {
        z.by_name(name).unwrap().read_to_string(&mut out).unwrap();
    }
    out
}

fn run_ok(w: &Workdir, args: &[&str]) {
    let o = w.run(args);
    assert!(
        o.status.success(),
        "huizong {args:?} failed: {}\n{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn template_has_every_sheet_header_and_cover_label() {
    let w = Workdir::new();
    run_ok(&w, &["template", "-o", "x.xlsx"]);
    let path = w.path("x.xlsx");

    let names = open(&path).sheet_names();
    let expected: Vec<&str> = schema::ALL_SHEETS
        .iter()
        .map(|id| schema::sheet_name(*id))
        .collect();
    assert_eq!(names, expected);

    for sheet in DATA_SHEETS {
        let r = range(&path, sheet.name);
        let mut want = vec![ROW_NO_HEADER.to_string()];
        want.extend(sheet.columns.iter().map(|c| c.header.to_string()));
        let got = row_texts(&r, template::HEADER_ROW, want.len() as u32 + 1);
        want.push(String::new()); // nothing to the right of the header
        assert_eq!(got, want, "header of {}", sheet.name);
        // Nothing typed in: the first data row is empty.
        assert!(
            row_texts(&r, template::FIRST_DATA_ROW, want.len() as u32)
                .iter()
                .all(String::is_empty),
            "{}",
            sheet.name
        );
    }

    let c = cover(&path);
    for spec in &COVER {
        assert!(
            c.iter().any(|(l, _)| l == spec.label),
            "cover label {} missing: {c:?}",
            spec.label
        );
    }
    assert_eq!(
        cover_value(&c, "模板版本").as_deref(),
        Some(TEMPLATE_VERSION)
    );
    assert_eq!(TEMPLATE_VERSION, "2025.1");
    assert_eq!(cover_value(&c, "填报期间").as_deref(), Some(""));

    // Blank template: created 2025-01-01, by huizong.
    let core = zip_text(&path, |n| n == "docProps/core.xml");
    assert!(core.contains("2025-01-01T00:00:00Z"), "{core}");
    assert!(core.contains("<dc:creator>huizong</dc:creator>"), "{core}");
}

#[test]
fn template_protects_validates_and_self_checks() {
    let w = Workdir::new();
    run_ok(&w, &["template", "-o", "x.xlsx"]);
    let path = w.path("x.xlsx");
    // Sheet 3 is 标牌清理: protected without password, rows can be inserted,
    // deleted, sorted and filtered; codes must be 12 long; P01 turns red.
    let signs = zip_text(&path, |n| n == "xl/worksheets/sheet3.xml");
    assert!(signs.contains("<sheetProtection sheet=\"1\""), "{signs}");
    assert!(!signs.contains("password="));
    for allowed in [
        "insertRows=\"0\"",
        "deleteRows=\"0\"",
        "sort=\"0\"",
        "autoFilter=\"0\"",
    ] {
        assert!(signs.contains(allowed), "{allowed}");
    }
    assert!(signs.contains("type=\"textLength\""));
    assert!(
        signs.contains("sqref=\"B3:B202\""),
        "60+ village rows validated"
    );
    assert!(signs.contains("$G3+$H3&lt;&gt;$D3-$E3+$F3"), "{signs}");
    assert!(signs.contains("<autoFilter ref=\"A2:H202\"/>"));
    // 标牌明细: 3,000 rows.
    let detail = zip_text(&path, |n| n == "xl/worksheets/sheet4.xml");
    assert!(detail.contains("B3:B3002"), "3,000 detail rows validated");
    assert!(detail.contains("type=\"list\""), "类别/悬挂位置 drop-downs");
    // 功能室 (M01) and 坐班值守 (D01) self-checks.
    let rooms = zip_text(&path, |n| n == "xl/worksheets/sheet5.xml");
    assert!(rooms.contains("cfRule type=\"expression\""), "M01");
    let duty = zip_text(&path, |n| n == "xl/worksheets/sheet6.xml");
    assert!(duty.contains("$E3&gt;$D3"), "D01: {duty}");
    // The instructions are fully protected.
    let guide = zip_text(&path, |n| n == "xl/worksheets/sheet1.xml");
    assert!(guide.contains("<sheetProtection sheet=\"1\""));
    assert!(!guide.contains("insertRows"));
}

#[test]
fn committed_template_is_current() {
    let w = Workdir::new();
    run_ok(&w, &["template", "-o", "fresh.xlsx"]);
    let fresh = std::fs::read(w.path("fresh.xlsx")).unwrap();
    let committed = std::fs::read(project(COMMITTED)).unwrap_or_default();
    assert!(
        fresh == committed,
        "{COMMITTED} 与 `huizong template` 生成的模板不一致。请重新生成并提交:\n    \
         cargo run --bin huizong -- template -o {COMMITTED}"
    );
}

#[test]
fn same_period_gives_the_same_bytes() {
    let w = Workdir::new();
    run_ok(&w, &["template", "--period", "2024-06", "-o", "a.xlsx"]);
    run_ok(&w, &["template", "--period", "2024-6", "-o", "b.xlsx"]);
    let a = std::fs::read(w.path("a.xlsx")).unwrap();
    let b = std::fs::read(w.path("b.xlsx")).unwrap();
    assert!(a == b, "two generations for 2024-06 differ");
    let core = zip_text(&w.path("a.xlsx"), |n| n == "docProps/core.xml");
    assert!(core.contains("2024-06-01T00:00:00Z"), "{core}");
    let c = cover(&w.path("a.xlsx"));
    assert_eq!(cover_value(&c, "填报期间").as_deref(), Some("2024-06"));
}

#[test]
fn default_output_name_and_bad_period() {
    let w = Workdir::new();
    run_ok(&w, &["template"]);
    assert!(w.path("乡镇月报模板.xlsx").is_file());
    let o = w.run(&["template", "--period", "2024-13", "-o", "y.xlsx"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!w.path("y.xlsx").exists());
}

/// county.toml + roster.xlsx with two townships; one village code is a
/// number cell.
fn workspace(w: &Workdir) -> std::path::PathBuf {
    let ws = w.path("示范县");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("county.toml"),
        "name = \"示范县\"\ncode = \"990101\"\nbudget = 1100000\n",
    )
    .unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("名册").unwrap();
    let header = [
        "乡镇(街道)代码",
        "乡镇(街道)",
        "村(社区)代码",
        "村(社区)名称",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        ("990101103", "白砂镇", "990101103207", "樟黄村"),
        ("990101104", "溪源乡", "990101104201", "上坪村"),
        ("990101103", "白砂镇", "990101103201", "白砂社区"),
        ("990101103", "白砂镇", "990101103215", "溪口村"),
    ];
    for (i, (tc, tn, vc, vn)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *tc).unwrap();
        sheet.write_string(r, 1, *tn).unwrap();
        if i == 2 {
            sheet
                .write_number(r, 2, vc.parse::<f64>().unwrap())
                .unwrap();
        } else {
            sheet.write_string(r, 2, *vc).unwrap();
        }
        sheet.write_string(r, 3, *vn).unwrap();
    }
    wb.save(ws.join("roster.xlsx")).unwrap();
    ws
}

#[test]
fn prefill_from_the_workspace() {
    let w = Workdir::new();
    let ws = workspace(&w);
    let ws = ws.to_str().unwrap();
    run_ok(
        &w,
        &[
            "template",
            "--workspace",
            ws,
            "--township",
            "990101103",
            "--period",
            "2024-06",
            "-o",
            "p.xlsx",
        ],
    );
    let path = w.path("p.xlsx");
    let c = cover(&path);
    assert_eq!(cover_value(&c, "县(市、区)").as_deref(), Some("示范县"));
    assert_eq!(cover_value(&c, "乡镇(街道)").as_deref(), Some("白砂镇"));
    assert_eq!(
        cover_value(&c, "乡镇(街道)代码").as_deref(),
        Some("990101103")
    );
    assert_eq!(cover_value(&c, "填报期间").as_deref(), Some("2024-06"));
    assert_eq!(
        cover_value(&c, "模板版本").as_deref(),
        Some(TEMPLATE_VERSION)
    );

    let want = [
        ("990101103207", "樟黄村"),
        ("990101103201", "白砂社区"),
        ("990101103215", "溪口村"),
    ];
    for sheet in schema::VILLAGE_SHEETS {
        let r = range(&path, sheet.name);
        let title = text(&r, template::TITLE_ROW, 0);
        assert!(title.starts_with("白砂镇2024年6月"), "{title}");
        let code_col = template::col_of(sheet, schema::Col::VillageCode) as u32;
        let name_col = template::col_of(sheet, schema::Col::VillageName) as u32;
        for (i, (code, name)) in want.iter().enumerate() {
            let row = template::FIRST_DATA_ROW + i as u32;
            // Codes are text cells, never 9.9E+11.
            assert_eq!(
                r.get_value((row, code_col)),
                Some(&Data::String(code.to_string())),
                "{} row {row}",
                sheet.name
            );
            assert_eq!(text(&r, row, name_col), *name, "{}", sheet.name);
            assert_eq!(text(&r, row, 0), (i + 1).to_string(), "序号");
        }
        let after = template::FIRST_DATA_ROW + want.len() as u32;
        assert_eq!(text(&r, after, code_col), "", "{}: only 白砂镇", sheet.name);
    }
    // 标牌明细 is not pre-filled.
    let r = range(&path, schema::SIGN_DETAIL.name);
    assert_eq!(text(&r, template::FIRST_DATA_ROW, 1), "");
}

#[test]
fn unknown_township_is_named_with_valid_ones() {
    let w = Workdir::new();
    let ws = workspace(&w);
    let o = w.run(&[
        "template",
        "--workspace",
        ws.to_str().unwrap(),
        "--township",
        "990101999",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("990101999"), "{e}");
    assert!(
        e.contains("990101103 白砂镇") && e.contains("990101104 溪源乡"),
        "{e}"
    );
    assert!(!w.path("乡镇月报模板.xlsx").exists());

    // A workspace without county.toml says what to create.
    std::fs::remove_file(ws.join("county.toml")).unwrap();
    let o = w.run(&[
        "template",
        "--workspace",
        ws.to_str().unwrap(),
        "--township",
        "990101103",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("county.toml"), "{}", stderr(&o));
}

#[test]
fn libreoffice_opens_the_template() {
    if !require_program("soffice") {
        return;
    }
    let w = Workdir::new();
    run_ok(&w, &["template", "-o", "template.xlsx"]);
    let out = w.path("csv");
    let profile = format!("file://{}", w.path("lo-profile").display());
    // Filter options: comma, double quote, UTF-8, from line 1, …, sheet 3
    // (标牌清理).
    let o = std::process::Command::new("soffice")
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--norestore", "--convert-to"])
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,3")
        .arg("--outdir")
        .arg(&out)
        .arg(w.path("template.xlsx"))
        .output()
        .expect("run soffice");
    assert!(o.status.success(), "soffice: {}", stderr(&o));
    let csv: String = std::fs::read_dir(&out)
        .unwrap_or_else(|e| panic!("no CSV written ({e}): {}", stderr(&o)))
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(csv.contains("村(社区)代码"), "{csv}");
    assert!(csv.contains("清理前标牌数"), "{csv}");
}

fn cell(col: u32, value: CellValue) -> RawCell {
    RawCell { col, value }
}

#[test]
fn feedback_lists_links_fills_and_notes() {
    let raw = RawWorkbook {
        sheets: vec![
            RawSheet {
                name: "基本信息".into(),
                rows: vec![RawRow {
                    row: 4,
                    cells: vec![
                        cell(0, CellValue::Text("乡镇(街道)代码".into())),
                        cell(1, CellValue::Text("990101103".into())),
                    ],
                }],
            },
            RawSheet {
                name: "标牌清理".into(),
                rows: vec![RawRow {
                    row: 6,
                    cells: vec![
                        cell(1, CellValue::Text("990101103207".into())),
                        cell(2, CellValue::Text("=SUM(A1)".into())),
                        cell(3, CellValue::Date(45471.0)),
                        cell(4, CellValue::Error("#DIV/0!".into())),
                        cell(5, CellValue::Number(12.0)),
                        cell(6, CellValue::NoCachedValue("D7-E7".into())),
                    ],
                }],
            },
        ],
    };
    let findings = vec![
        Finding::new(Code::P05, "上墙制度数偏多,请核对").at("标牌清理", 2, 6, 7),
        Finding::new(Code::S05, "模板版本过旧"),
        Finding::new(Code::P01, "现有标牌数与上墙制度数之和不等于应有数")
            .at("标牌清理", 2, 6, 5)
            .village("990101103207")
            .value("12"),
        Finding::new(Code::D05, "专管员人数为0").at("标牌清理", 2, 6, 5),
    ];
    let w = Workdir::new();
    let path = w.path("反馈.xlsx");
    feedback::build(&FeedbackInput {
        raw: &raw,
        ret: None,
        findings: &findings,
        title: "白砂镇 2024-06 月报校验结果",
        period: Period::parse("2024-06"),
        policy: &Policy::default_rules(),
    })
    .unwrap()
    .save(&path)
    .unwrap();

    assert_eq!(
        open(&path).sheet_names(),
        ["校验结果", "基本信息", "标牌清理"]
    );
    let r = range(&path, "校验结果");
    let header_row = (0..5)
        .find(|row| text(&r, *row, 0) == "序号")
        .expect("header row");
    assert_eq!(
        row_texts(&r, header_row, 10),
        feedback::RESULT_HEADERS.map(String::from)
    );
    // The error first, then the warnings in finding order. No return was
    // read here, so the village has no name to show.
    let first = row_texts(&r, header_row + 1, 10);
    assert_eq!(
        first[1..7],
        ["标牌清理", "F7", "990101103207", "", "P01", "错误"].map(String::from)
    );
    assert_eq!(first[8], "12");
    assert_eq!(first[9], "否");
    let codes: Vec<String> = (1..=4).map(|i| text(&r, header_row + i, 5)).collect();
    assert_eq!(codes, ["P01", "P05", "S05", "D05"]);

    // Values as read: text stays text, never a formula.
    let s = range(&path, "标牌清理");
    assert_eq!(s.get_value((6, 5)), Some(&Data::Float(12.0)));
    assert_eq!(
        s.get_value((6, 1)),
        Some(&Data::String("990101103207".into()))
    );
    assert_eq!(s.get_value((6, 2)), Some(&Data::String("=SUM(A1)".into())));
    assert_eq!(s.get_value((6, 4)), Some(&Data::String("#DIV/0!".into())));
    // The formula the file kept no result of is that formula, still
    // without one.
    assert_eq!(s.get_value((6, 6)), Some(&Data::String(String::new())));
    assert!(matches!(s.get_value((6, 3)), Some(Data::DateTime(_))));
    let sheet_xml = zip_text(&path, |n| n == "xl/worksheets/sheet3.xml");
    assert_eq!(sheet_xml.matches("<f>").count(), 1, "{sheet_xml}");
    assert!(sheet_xml.contains("<f>D7-E7</f><v></v>"), "{sheet_xml}");

    // The link, the notes and the fills.
    let results_xml = zip_text(&path, |n| n == "xl/worksheets/sheet1.xml");
    assert!(
        results_xml.contains("location=\"'标牌清理'!F7\""),
        "{results_xml}"
    );
    let comments = zip_text(&path, |n| n.starts_with("xl/comments"));
    assert!(
        comments.contains("P01 错误:现有标牌数与上墙制度数之和不等于应有数"),
        "{comments}"
    );
    assert!(comments.contains("D05 提示:专管员人数为0"), "{comments}");
    assert!(
        comments.contains("P05 提示"),
        "blank cell H7 gets a note too"
    );
    let styles = zip_text(&path, |n| n == "xl/styles.xml");
    assert!(styles.contains("FFFFC7CE"), "red fill: {styles}");
    assert!(styles.contains("FFFFEB9C"), "yellow fill: {styles}");

    // Deterministic: the same inputs give the same bytes.
    let again = w.path("again.xlsx");
    feedback::build(&FeedbackInput {
        raw: &raw,
        ret: None,
        findings: &findings,
        title: "白砂镇 2024-06 月报校验结果",
        period: Period::parse("2024-06"),
        policy: &Policy::default_rules(),
    })
    .unwrap()
    .save(&again)
    .unwrap();
    assert!(std::fs::read(&path).unwrap() == std::fs::read(&again).unwrap());
}

#[test]
fn feedback_of_an_unreadable_file_has_only_the_results() {
    let w = Workdir::new();
    let path = w.path("f.xlsx");
    let findings = vec![Finding::new(Code::S01, "文件无法打开")];
    feedback::build(&FeedbackInput {
        raw: &RawWorkbook::default(),
        ret: None,
        findings: &findings,
        title: "无法读取",
        period: None,
        policy: &Policy::default_rules(),
    })
    .unwrap()
    .save(&path)
    .unwrap();
    assert_eq!(open(&path).sheet_names(), ["校验结果"]);
    let core = zip_text(&path, |n| n == "docProps/core.xml");
    assert!(core.contains("2025-01-01T00:00:00Z"), "{core}");
}

/// A sheet's rows as shown text.
fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let r = wb.worksheet_range(sheet).unwrap();
    r.rows()
        .map(|row| row.iter().map(crate::common::cell_text).collect())
        .collect()
}

#[test]
fn a_townships_template_carries_last_months_signs_and_nothing_monthly() {
    let w = Workdir::new();
    crate::common::copy_samples(&w.path("ws"));
    let args = [
        "template",
        "--workspace",
        "ws",
        "--township",
        "白砂镇",
        "--period",
        "2024-06",
    ];
    let o = w.run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tpl = w.path("白砂镇_2024-06_月报.xlsx");
    let may = w.path("ws/2024-05/白砂镇_2024-05.xlsx");
    let may_detail = sheet_rows(&may, "标牌明细");
    let signs = may_detail
        .iter()
        .skip(2)
        .filter(|r| !r[1].is_empty())
        .count();
    assert_eq!(
        stdout(&o),
        format!("已生成模板:白砂镇_2024-06_月报.xlsx(已预填 24 个村(社区))\n已从 2024-05 的报表 白砂镇_2024-05.xlsx 带入:24 个村(社区)的清理前标牌数、{signs} 行标牌明细(灰色底纹,请核对;每月数字没有带入,请填写本月数据)\n")
    );
    // 标牌清理: 清理前标牌数 as in May; every monthly figure blank.
    let (got, was) = (sheet_rows(&tpl, "标牌清理"), sheet_rows(&may, "标牌清理"));
    assert_eq!(
        got[1][1..4],
        ["村(社区)代码", "村(社区)名称", "清理前标牌数"]
    );
    for (g, m) in got[2..26].iter().zip(&was[2..26]) {
        assert_eq!(g[1..4], m[1..4], "code, name, 清理前标牌数");
        assert!(
            g[4..].iter().all(String::is_empty),
            "no monthly figure: {g:?}"
        );
    }
    // 标牌明细: May's rows, as they were.
    let detail = sheet_rows(&tpl, "标牌明细");
    assert_eq!(detail[2..2 + signs], may_detail[2..2 + signs]);
    // The cover: names and period, nobody's name or date.
    let cover = sheet_rows(&tpl, "基本信息");
    let value = |label: &str| {
        cover
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap()
    };
    assert_eq!(value("乡镇(街道)"), "白砂镇");
    assert_eq!(value("填报期间"), "2024-06");
    assert_eq!(value("填报人"), "");
    // Never over a file without --force.
    let o = w.run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim_end(),
        "错误:文件 白砂镇_2024-06_月报.xlsx 已经存在,没有覆盖(它可能是已填好的月报)。要覆盖请加 --force,或用 -o 指定另一个文件名"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(w.run(&forced).status.code(), Some(0));
    // --township by a name that is not in the roster lists the townships.
    let o = w.run(&[
        "template",
        "--workspace",
        "ws",
        "--township",
        "云台",
        "-o",
        "x.xlsx",
    ]);
    assert!(
        stderr(&o).starts_with("错误:名册中没有名为“云台”的乡镇(街道)。请给出9位乡镇(街道)代码或名册中的名称:990101101 白砂镇、"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_carried_template_filled_with_the_months_figures_checks_clean() {
    if !crate::common::require_program("python3") {
        return;
    }
    let w = Workdir::new();
    crate::common::copy_samples(&w.path("ws"));
    let o = w.run(&[
        "template",
        "--workspace",
        "ws",
        "--township",
        "白砂镇",
        "--period",
        "2024-06",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The clerk fills in a month in which no sign came down, so the carried
    // 标牌明细 stands as it is: 标牌清理's figures as last month's, the
    // cover, rooms, duty and stars as June's. openpyxl stands in for Excel.
    // The carried cells are shaded grey, the others are not.
    let script = r#"
import sys, openpyxl
tpl, june, may, out = sys.argv[1:]
t = openpyxl.load_workbook(tpl)
sources = {"标牌清理": openpyxl.load_workbook(may)}
j = openpyxl.load_workbook(june)
grey = lambda c: c.fill.fgColor.rgb
assert grey(t["标牌清理"]["D3"]) == "FFE7E6E6", grey(t["标牌清理"]["D3"])
assert grey(t["标牌明细"]["C3"]) == "FFE7E6E6", grey(t["标牌明细"]["C3"])
assert grey(t["标牌清理"]["E3"]) != "FFE7E6E6"
for name in ["基本信息", "标牌清理", "功能室", "坐班值守", "星级申报"]:
    for row in sources.get(name, j)[name].iter_rows():
        for c in row:
            if c.value is not None:
                t[name][c.coordinate] = c.value
t.save(out)
"#;
    let june = w.path("ws/2024-06/白砂镇_2024-06.xlsx");
    let may = w.path("ws/2024-05/白砂镇_2024-05.xlsx");
    let filled = w.path("filled.xlsx");
    let template = w.path("白砂镇_2024-06_月报.xlsx");
    if openpyxl(script, &[&template, &june, &may, &filled]).is_none() {
        return;
    }
    // Against May: no H01 for the carried signs, no finding at all.
    let o = w.run(&[
        "check",
        "filled.xlsx",
        "--period",
        "2024-06",
        "--previous",
        "ws/2024-05/白砂镇_2024-05.xlsx",
        "--roster",
        "ws/roster.xlsx",
    ]);
    assert_eq!(stdout(&o), "filled.xlsx(白砂镇 990101101):未发现问题\n");
    assert_eq!(o.status.code(), Some(0));
}

/// The part of a sheet's XML from `from` to the end of `to`.
fn xml_between<'a>(xml: &'a str, from: &str, to: &str) -> &'a str {
    let start = xml.find(from).unwrap_or_else(|| panic!("{from} in {xml}"));
    let end = xml[start..].find(to).unwrap() + start + to.len();
    &xml[start..end]
}

#[test]
fn a_feedback_workbook_prints_the_return_as_the_template_lays_it_out() {
    let w = Workdir::new();
    let file = project("samples/示范县/2024-06/溪口乡_2024-06.xlsx");
    let o = w.run(&["check", file.to_str().unwrap(), "--feedback", "fb"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fb = w.path("fb/溪口乡_2024-06_校验结果.xlsx");
    // Sheets: 校验结果, then the return's (填报说明, 基本信息, 标牌清理, …).
    let sheet = |n: u32| zip_text(&fb, |p| p == format!("xl/worksheets/sheet{n}.xml"));
    let template = |n: u32| {
        zip_text(&project(COMMITTED), |p| {
            p == format!("xl/worksheets/sheet{n}.xml")
        })
    };
    // 填报说明 as the template has it: the same merged paragraphs and widths.
    let (mine, theirs) = (sheet(2), template(1));
    assert_eq!(
        xml_between(&mine, "<mergeCells", "</mergeCells>"),
        xml_between(&theirs, "<mergeCells", "</mergeCells>")
    );
    assert_eq!(
        xml_between(&mine, "<cols>", "</cols>"),
        xml_between(&theirs, "<cols>", "</cols>")
    );
    // 基本信息: the title across A:C, each item's row 20 pt.
    let cover = sheet(3);
    assert!(cover.contains(r#"<mergeCell ref="A1:C1"/>"#), "{cover}");
    assert!(
        cover.contains(r#"<row r="3" ht="20.25" customHeight="1">"#),
        "{cover}"
    );
    // 标牌清理: the title across the table, the header as tall as the
    // template's, 序号 as narrow.
    let signs = sheet(4);
    let tpl = template(3);
    assert!(signs.contains(r#"<mergeCell ref="A1:H1"/>"#), "{signs}");
    assert!(tpl.contains(r#"<mergeCell ref="A1:H1"/>"#), "{tpl}");
    let header = |x: &str| xml_between(x, "<row r=\"2\"", ">").to_string();
    assert_eq!(header(&signs), header(&tpl).replace(r#" spans="1:8""#, ""));
    assert!(
        signs.contains(r#"<col min="1" max="1" width="6.7109375" customWidth="1"/>"#),
        "{signs}"
    );
    // No row of any sheet comes twice (Excel would call the file damaged).
    for n in 1..=9 {
        let x = sheet(n);
        let mut rows: Vec<&str> = x
            .split("<row r=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
            .collect();
        let all = rows.len();
        rows.dedup();
        assert_eq!(rows.len(), all, "sheet{n}");
    }
}
