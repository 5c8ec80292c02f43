//! `huizong consolidate`: workspace discovery, statuses (Y01/Y03, 未报送,
//! 无法读取), feedback workbooks, the lock file and the summary line.

use crate::common::{copy_samples, stderr, Workdir};
use huizong::batch::Status;
use huizong::kit::demo;
use huizong::pipeline::{self, Inputs};
use huizong::policy::Policy;
use huizong::read::normalise::{Date, Period};
use huizong::schema::{Col, CoverField, SheetId};
use huizong::write::template::{self, Fill, TemplateInput, Value};
use std::path::{Path, PathBuf};

const JUNE: Period = Period {
    year: 2024,
    month: 6,
};

fn args(ws: &Path) -> Inputs {
    Inputs {
        jobs: Some(2),
        ..Inputs::new(ws, JUNE)
    }
}

fn run_lib(a: &Inputs) -> pipeline::Consolidation {
    let plan = pipeline::plan(a).expect("plan");
    pipeline::ingest(plan, &pipeline::Quiet).expect("consolidate")
}

#[test]
fn samples_consolidate_with_statuses_summary_and_feedback() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    let o = w.run(&["consolidate", "示范县", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // One line per township not used, then the summary line: the expected
    // townships split exactly (2 + 4 + 2 = 8), the orphan file apart, and
    // the findings equal to 汇总's 合计 (错误 5, 提示 2).
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("应报 "))
        .expect(&err);
    assert_eq!(
        lines[at - 6..=at],
        [
            "  樟黄镇(990101102):退回,错误 1 个(P01),改正后重新报送",
            "  溪口乡(990101103):退回,错误 2 个(V02、D02),改正后重新报送",
            "  石门镇(990101105):退回,错误 1 个(D01),改正后重新报送",
            "  枫岭乡(990101106):未报送,没有收到报表;无法读取的文件 枫岭乡_2024-06.xlsx 可能是它的",
            "  云台镇(990101107):未报送,没有收到报表",
            "  南浦街道(990101108):退回,错误 1 个(M01),改正后重新报送",
            "应报 8 个乡镇:已汇总 2,退回 4,未报送 2(其中 1 个可能是无法读取的文件 枫岭乡_2024-06.xlsx);另有无法读取 1 份;错误 5,提示 2(另有无法归属乡镇的文件中错误 1)",
        ]
    );
    let mut feedback: Vec<String> = std::fs::read_dir(ws.join("输出/2024-06/反馈"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    feedback.sort();
    assert_eq!(
        feedback,
        [
            "990101102_樟黄镇_2024-06.xlsx",
            "990101103_溪口乡_2024-06.xlsx",
            "990101104_青湖街道_2024-06.xlsx",
            "990101105_石门镇_2024-06.xlsx",
            "990101108_南浦街道_2024-06.xlsx",
            "枫岭乡_2024-06_校验结果.xlsx",
        ]
    );
    assert!(
        !ws.join("输出/2024-06/.huizong.lock").exists(),
        "lock removed after the run"
    );

    let c = run_lib(&args(&ws));
    let status = |code: &str| {
        c.batch
            .townships
            .iter()
            .find(|t| t.code == code)
            .unwrap()
            .status
    };
    assert_eq!(status("990101101"), Status::Used);
    assert_eq!(status("990101102"), Status::Rejected);
    assert_eq!(status("990101104"), Status::Used, "warnings only");
    assert_eq!(
        status("990101106"),
        Status::NotSent,
        "its only file could not be told apart"
    );
    assert_eq!(status("990101107"), Status::NotSent);
    assert_eq!(c.batch.orphans.len(), 1);
    assert_eq!(
        c.previous.as_ref().map(|p| p.period),
        Some(Period {
            year: 2024,
            month: 5
        })
    );
}

/// A one-township workspace (白砂镇 990101103, four villages) with the
/// given June returns: (file name, fill).
fn workspace(w: &Workdir, returns: &[(&str, &Fill)], roster: bool) -> PathBuf {
    let ws = w.path("ws");
    std::fs::create_dir_all(ws.join("2024-06")).unwrap();
    std::fs::write(
        ws.join("county.toml"),
        "name = \"示范县\"\ncode = \"990101\"\nbudget = 1000000\n",
    )
    .unwrap();
    let t = demo::small_township(4, 7);
    if roster {
        demo::write_roster(&ws.join("roster.xlsx"), &t.roster_rows()).unwrap();
    }
    let policy = Policy::default_rules();
    for (name, fill) in returns {
        let input = TemplateInput {
            policy: &policy,
            period: Some(JUNE),
            fill,
        };
        template::write_file(&input, &ws.join("2024-06").join(name)).unwrap();
    }
    ws
}

fn base() -> Fill {
    demo::fill(&demo::small_township(4, 7))
}

fn dated(mut f: Fill, day: u32) -> Fill {
    f.cover.insert(
        CoverField::FillDate,
        Value::Date(Date::new(2024, 6, day).unwrap()),
    );
    f
}

fn with_wall_rules(mut f: Fill, delta: f64) -> Fill {
    let spec = huizong::schema::data_sheet(SheetId::Signs).unwrap();
    for col in [Col::WallRules, Col::SignsBefore] {
        let i = spec.index_of(col);
        let row = &mut f.rows.get_mut(&SheetId::Signs).unwrap()[0];
        if let Value::Number(n) = row[i] {
            row[i] = Value::Number(n + delta);
        }
    }
    f
}

#[test]
fn y01_latest_fill_date_wins_and_the_old_file_lists_what_changed() {
    let w = Workdir::new();
    let old = dated(base(), 20);
    let new = with_wall_rules(dated(base(), 25), 1.0);
    let ws = workspace(&w, &[("a_初稿.xlsx", &old), ("b_终稿.xlsx", &new)], true);
    let c = run_lib(&args(&ws));
    let t = &c.batch.townships[0];
    assert_eq!(t.status, Status::Used);
    assert_eq!(c.batch.files[t.judged.unwrap()].loaded.file, "b_终稿.xlsx");
    let old = &c.batch.files[0];
    assert_eq!(old.status, Status::Superseded);
    assert_eq!(
        old.loaded.findings.len(),
        1,
        "only Y01: {:?}",
        old.loaded.findings
    );
    let y01 = &old.loaded.findings[0];
    assert_eq!(y01.code.as_str(), "Y01");
    assert_eq!(y01.cell, None);
    assert!(y01.message.contains("“b_终稿.xlsx”"), "{}", y01.message);
    let w0 =
        base().rows[&SheetId::Signs][0][huizong::schema::SIGNS.index_of(Col::WallRules)].clone();
    let Value::Number(w0) = w0 else { panic!() };
    assert!(
        y01.message
            .contains(&format!("990101103201 上墙制度数 {}→{}", w0, w0 + 1.0)),
        "{}",
        y01.message
    );
    assert_eq!(
        (t.errors, t.warnings),
        (0, 1),
        "the Y01 counts as a warning"
    );
}

#[test]
fn y03_same_date_different_figures_sends_the_township_back() {
    let w = Workdir::new();
    let a = dated(base(), 25);
    let b = with_wall_rules(dated(base(), 25), 1.0);
    let ws = workspace(&w, &[("a.xlsx", &a), ("b.xlsx", &b)], true);
    let c = run_lib(&args(&ws));
    let t = &c.batch.townships[0];
    assert_eq!(t.status, Status::Rejected);
    assert_eq!(t.judged, None);
    for f in &c.batch.files {
        assert_eq!(f.status, Status::Rejected);
        let codes: Vec<&str> = f.loaded.findings.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["Y03"]);
        assert!(f.loaded.findings[0].message.contains("a.xlsx、b.xlsx"));
    }
    assert_eq!(t.errors, 2);
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(w.path("ws/输出/2024-06/反馈/a_校验结果.xlsx").exists());
    assert!(w.path("ws/输出/2024-06/反馈/b_校验结果.xlsx").exists());
}

#[test]
fn identical_files_same_date_first_by_name_is_used() {
    let w = Workdir::new();
    let a = dated(base(), 25);
    let ws = workspace(&w, &[("乙.xlsx", &a), ("甲.xlsx", &a)], true);
    let c = run_lib(&args(&ws));
    let t = &c.batch.townships[0];
    assert_eq!(t.status, Status::Used);
    // Code point order: 乙 (U+4E59) before 甲 (U+7532).
    assert_eq!(c.batch.files[t.judged.unwrap()].loaded.file, "乙.xlsx");
    assert!(c.batch.files[1].loaded.findings[0]
        .message
        .contains("数据完全相同"));
}

#[test]
fn without_roster_the_run_says_which_rules_were_skipped() {
    let w = Workdir::new();
    let _ws = workspace(&w, &[("a.xlsx", &base())], false);
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("未找到名册") && err.contains("X04"), "{err}");
    // With no roster and no earlier month, the townships that sent a
    // return are the ones expected.
    assert!(
        err.contains("\n应报 1 个乡镇:已汇总 1;错误 0,提示 0\n"),
        "{err}"
    );
}

/// The rows of 报送情况 as (代码, 乡镇, 状态, 文件).
fn submissions(path: &Path) -> Vec<[String; 4]> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range("报送情况").unwrap();
    range
        .rows()
        .skip(1)
        .map(|r| std::array::from_fn(|i| crate::common::cell_text(&r[i])))
        .collect()
}

#[test]
fn every_file_in_the_period_folder_is_accounted_for() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    let june = ws.join("2024-06");
    // A first run makes a county workbook; a copy of it lands among the
    // returns under another name (recognised by its marker, not its name).
    let o = w.run(&[
        "consolidate",
        "示范县",
        "--period",
        "2024-06",
        "-o",
        "first",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    std::fs::copy(
        w.path("first/县级汇总_示范县_2024-06.xlsx"),
        june.join("汇总表(发给领导).xlsx"),
    )
    .unwrap();
    // A return named like the tool's output is still a return: 白砂镇's
    // file under a new name (same figures, same date: first by name used).
    std::fs::rename(
        june.join("白砂镇_2024-06.xlsx"),
        june.join("县级汇总_白砂镇.xlsx"),
    )
    .unwrap();
    // A scan renamed .xlsx, named after 云台镇 which sent nothing else.
    std::fs::copy(
        june.join("枫岭乡_2024-06.xlsx"),
        june.join("云台镇月报.xlsx"),
    )
    .unwrap();
    // Excel's lock file and a Word file.
    std::fs::write(june.join("~$青湖街道_2024-06.xlsx"), b"lock").unwrap();
    std::fs::write(june.join("说明.docx"), b"PK not a return").unwrap();

    let o = w.run(&["consolidate", "示范县", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("\n应报 8 个乡镇:已汇总 2,退回 4,未报送 2(其中 2 个可能是无法读取的文件 云台镇月报.xlsx、枫岭乡_2024-06.xlsx);另有无法读取 2 份、已忽略 2 份;错误 5,提示 2(另有无法归属乡镇的文件中错误 2)\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "  云台镇(990101107):未报送,没有收到报表;无法读取的文件 云台镇月报.xlsx 可能是它的\n"
        ),
        "{err}"
    );
    let rows = submissions(&ws.join("输出/2024-06/县级汇总_示范县_2024-06.xlsx"));
    let row = |file: &str| {
        rows.iter()
            .find(|r| r[3] == file)
            .unwrap_or_else(|| panic!("{file} not in 报送情况: {rows:?}"))
            .clone()
    };
    assert_eq!(
        row("县级汇总_白砂镇.xlsx")[..3],
        ["990101101", "白砂镇", "已汇总"]
    );
    assert_eq!(
        row("云台镇月报.xlsx")[..3],
        ["", "", "无法读取(可能是 云台镇)"]
    );
    assert_eq!(
        row("枫岭乡_2024-06.xlsx")[..3],
        ["", "", "无法读取(可能是 枫岭乡)"]
    );
    assert_eq!(
        row("汇总表(发给领导).xlsx")[..3],
        ["", "", "已忽略:本工具生成的县级汇总表,不是乡镇月报"]
    );
    assert_eq!(
        row("说明.docx")[..3],
        [
            "",
            "",
            "已忽略:不是电子表格文件(月报应为 .xlsx 等 Excel 工作簿)"
        ]
    );
    // The townships those files may be still read 未报送; no row for the
    // lock file; every other file has its row.
    let town = |code: &str| rows.iter().find(|r| r[0] == code).unwrap()[2].clone();
    assert_eq!(town("990101106"), "未报送");
    assert_eq!(town("990101107"), "未报送");
    assert!(rows.iter().all(|r| !r[3].starts_with("~$")), "{rows:?}");
    let listed: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    for e in std::fs::read_dir(&june).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert_eq!(
            listed.contains(name.as_str()),
            !name.starts_with("~$"),
            "{name}"
        );
    }
}

/// The file names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn files_of_one_name_each_get_their_own_feedback_run_after_run() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    let june = ws.join("2024-06");
    // The unreadable scan sent twice, once renamed .xls: one name without
    // the extension, two files.
    std::fs::copy(
        june.join("枫岭乡_2024-06.xlsx"),
        june.join("枫岭乡_2024-06.xls"),
    )
    .unwrap();
    for run in 1..=2 {
        let o = w.run(&["consolidate", "示范县", "--period", "2024-06"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "run {run}: {err}");
        // One township may be theirs; both files are named and counted.
        assert!(
            err.contains("\n应报 8 个乡镇:已汇总 2,退回 4,未报送 2(其中 1 个可能是无法读取的文件 枫岭乡_2024-06.xls、枫岭乡_2024-06.xlsx);另有无法读取 2 份;错误 5,提示 2(另有无法归属乡镇的文件中错误 2)\n"),
            "run {run}: {err}"
        );
        let feedback = names_in(&ws.join("输出/2024-06/反馈"));
        assert_eq!(
            feedback[5..],
            [
                "枫岭乡_2024-06.xls_校验结果.xlsx",
                "枫岭乡_2024-06.xlsx_校验结果.xlsx"
            ],
            "run {run}"
        );
        assert_eq!(feedback.len(), 7, "run {run}: {feedback:?}");
    }
}

#[test]
fn an_unreadable_file_beside_a_township_s_return_is_accounted_for() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    // 石门镇 sends last month's file again beside this month's.
    std::fs::copy(
        ws.join("2024-05/石门镇_2024-05.xlsx"),
        ws.join("2024-06/石门镇_2024-05.xlsx"),
    )
    .unwrap();
    let o = w.run(&["consolidate", "示范县", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // Its C03 counts among the township's errors, and is named.
    assert!(
        err.contains("\n  石门镇(990101105):退回,错误 2 个(D01、C03),改正后重新报送\n"),
        "{err}"
    );
    assert!(
        err.contains("\n应报 8 个乡镇:已汇总 2,退回 4,未报送 2(其中 1 个可能是无法读取的文件 枫岭乡_2024-06.xlsx);另有无法读取 2 份;错误 6,提示 2(另有无法归属乡镇的文件中错误 1)\n"),
        "{err}"
    );
    let out = ws.join("输出/2024-06");
    let rows = submissions(&out.join("县级汇总_示范县_2024-06.xlsx"));
    let of = |file: &str| {
        rows.iter()
            .filter(|r| r[3] == file)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("石门镇_2024-06.xlsx"),
        [["990101105", "石门镇", "退回", "石门镇_2024-06.xlsx"].map(String::from)]
    );
    assert_eq!(
        of("石门镇_2024-05.xlsx"),
        [["990101105", "石门镇", "无法读取", "石门镇_2024-05.xlsx"].map(String::from)]
    );
    // Each file hears of its own findings in its own workbook.
    let feedback = names_in(&out.join("反馈"));
    assert!(
        feedback.contains(&"990101105_石门镇_2024-06.xlsx".to_string())
            && feedback.contains(&"石门镇_2024-05_校验结果.xlsx".to_string()),
        "{feedback:?}"
    );
    let results =
        crate::common::sheet_cells(&out.join("反馈/石门镇_2024-05_校验结果.xlsx"), "校验结果");
    assert_eq!(results["C4"], "B6");
    assert_eq!(results["F4"], "C03");
    assert!(!results.contains_key("F5"), "{results:?}");
    let own =
        crate::common::sheet_cells(&out.join("反馈/990101105_石门镇_2024-06.xlsx"), "校验结果");
    assert_eq!(own["F4"], "D01");
    assert!(!own.values().any(|v| v == "C03"), "{own:?}");
}

#[test]
fn a_clean_return_beside_an_unreadable_one_gets_no_empty_feedback() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    // 白砂镇's clean return, and a copy of it whose 标牌清理 sheet was
    // renamed: the cover still tells the township, the file is unreadable.
    let june = ws.join("2024-06");
    let broken = june.join("白砂镇_2024-06_改.xlsx");
    std::fs::copy(june.join("白砂镇_2024-06.xlsx"), &broken).unwrap();
    crate::rules::patch_xlsx(&broken, "xl/workbook.xml", |x| {
        assert!(x.contains("name=\"标牌清理\""), "sample layout changed");
        x.replace("name=\"标牌清理\"", "name=\"标牌\"")
    });
    let o = w.run(&["consolidate", "示范县", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = ws.join("输出/2024-06");
    let rows = submissions(&out.join("县级汇总_示范县_2024-06.xlsx"));
    assert!(
        rows.contains(&["990101101", "白砂镇", "已汇总", "白砂镇_2024-06.xlsx"].map(String::from))
    );
    assert!(rows.contains(
        &["990101101", "白砂镇", "无法读取", "白砂镇_2024-06_改.xlsx"].map(String::from)
    ));
    // The unreadable file has its workbook; the clean return, with no
    // finding of its own, has none.
    let feedback = names_in(&out.join("反馈"));
    assert!(
        feedback.contains(&"白砂镇_2024-06_改_校验结果.xlsx".to_string()),
        "{feedback:?}"
    );
    assert!(
        !feedback.iter().any(|f| f.starts_with("990101101_")),
        "{feedback:?}"
    );
}

#[test]
fn a_second_run_into_a_locked_folder_stops_with_exit_2() {
    let w = Workdir::new();
    let ws = workspace(&w, &[("a.xlsx", &base())], true);
    let out = ws.join("输出/2024-06");
    std::fs::create_dir_all(&out).unwrap();
    // A live process holds the lock (this test's own process).
    std::fs::write(out.join(".huizong.lock"), std::process::id().to_string()).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("另一个汇总"), "{}", stderr(&o));
    // A lock left by a process that is gone is taken over.
    std::fs::write(out.join(".huizong.lock"), "4000000000").unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn missing_period_folder_or_county_file_is_exit_2_saying_what_to_create() {
    let w = Workdir::new();
    let ws = workspace(&w, &[("a.xlsx", &base())], true);
    let o = w.run(&["consolidate", "ws", "--period", "2024-07"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("找不到本期报表文件夹"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(ws.join("county.toml")).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("county.toml"), "{}", stderr(&o));
}

#[test]
fn v06_without_roster_names_the_township_whose_return_has_the_village() {
    let w = Workdir::new();
    let a = base();
    // 樟黄镇's return: the same villages under its own code, but the first
    // row of each sheet keeps 白砂镇's village code.
    let mut b = base();
    b.cover
        .insert(CoverField::TownshipCode, Value::Text("990101104".into()));
    b.cover
        .insert(CoverField::Township, Value::Text("樟黄镇".into()));
    for (sheet, rows) in b.rows.iter_mut() {
        let code_col = huizong::schema::data_sheet(*sheet)
            .unwrap()
            .index_of(Col::VillageCode);
        for row in rows.iter_mut() {
            if let Value::Text(c) = &row[code_col] {
                let keep = c == "990101103201";
                if !keep {
                    row[code_col] = Value::Text(c.replacen("990101103", "990101104", 1));
                }
            }
        }
    }
    let ws = workspace(&w, &[("a.xlsx", &a), ("b.xlsx", &b)], false);
    let c = run_lib(&args(&ws));
    let b_file = c
        .batch
        .files
        .iter()
        .find(|f| f.loaded.file == "b.xlsx")
        .unwrap();
    let v06: Vec<_> = b_file
        .loaded
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "V06")
        .collect();
    assert!(!v06.is_empty());
    assert_eq!(v06[0].cell.as_deref(), Some("B3"));
    assert!(
        v06[0].message.contains("白砂镇(990101103)的报表中有此村"),
        "{}",
        v06[0].message
    );
    // `consolidate` wrote b.xlsx's feedback while reading it, before the
    // other return placed the village: the workbook it keeps names 白砂镇.
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let fb = std::fs::read_dir(ws.join("输出/2024-06/反馈"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("990101104_")
        })
        .expect("樟黄镇's feedback workbook");
    let cells = crate::common::sheet_cells(&fb, "校验结果");
    assert!(
        cells
            .values()
            .any(|v| v.contains("白砂镇(990101103)的报表中有此村")),
        "{cells:?}"
    );
}

#[test]
fn timings_list_every_stage_and_the_peak_memory() {
    let w = Workdir::new();
    let _ws = workspace(&w, &[("a.xlsx", &base())], true);
    let o = w.run(&[
        "consolidate",
        "ws",
        "--period",
        "2024-06",
        "--quiet",
        "--timings",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    for stage in [
        "准备",
        "读取报表",
        "校验",
        "星级评定",
        "环比",
        "县级汇总表",
        "反馈表",
        "合计",
        "峰值内存:",
    ] {
        assert!(err.contains(stage), "{stage} missing in {err}");
    }
}

/// A small filesystem mounted for one test, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// `None` where this process may not mount (not root, no tmpfs).
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_ends_the_run_with_exit_2_and_one_chinese_line() {
    // rust_xlsxwriter panics when its temporary sheet files cannot be
    // written: the run must still end as "could not do the job", say why
    // in Chinese, release its lock and leave no workbook behind.
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    let tmp = w.path("小磁盘");
    let Some(_disk) = SmallDisk::mount(&tmp, "16k") else {
        eprintln!("SKIP a_full_disk_ends_the_run_with_exit_2_and_one_chinese_line: 无法挂载 tmpfs(需要 root)");
        return;
    };
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args(["consolidate", "示范县", "--period", "2024-06", "--quiet"])
        .current_dir(w.root())
        .env("TMPDIR", &tmp)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("错误:磁盘空间不足,写出工作簿时无法写入临时文件,本次汇总没有完成。"),
        "{err}"
    );
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = ws.join("输出/2024-06");
    assert!(!out.join(".huizong.lock").exists());
    assert!(!out.join("县级汇总_示范县_2024-06.xlsx").exists());
}

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_county_workbook_that_cannot_be_written_leaves_the_previous_set_whole() {
    let w = Workdir::new();
    let ws = w.path("示范县");
    copy_samples(&ws);
    let o = w.run(&["consolidate", "示范县", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = ws.join("输出/2024-06");
    // A folder where the county workbook goes: the new set cannot go in.
    let county = out.join("县级汇总_示范县_2024-06.xlsx");
    std::fs::remove_file(&county).unwrap();
    std::fs::create_dir(&county).unwrap();
    std::fs::write(county.join("占位.txt"), b"x").unwrap();
    let before = tree(&out);
    assert!(before.contains_key("星级经费分档_示范县_2024-06.xlsx"));
    assert_eq!(before.keys().filter(|k| k.starts_with("反馈")).count(), 6);
    // A township's figures change, so every new workbook would differ.
    std::fs::remove_file(ws.join("2024-06/石门镇_2024-06.xlsx")).unwrap();
    let o = w.run(&["consolidate", "示范县", "--period", "2024-06", "--quiet"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "错误:无法写入 {}:这个位置有一个同名的文件夹。请把该文件夹移走或改名后重新运行",
            Path::new("示范县/输出/2024-06/县级汇总_示范县_2024-06.xlsx").display()
        )
    );
    assert!(tree(&out) == before, "the previous set is byte-identical");
}

/// The feedback workbooks `consolidate` writes under `out/反馈`, by name,
/// and any hidden (temporary) file left there.
fn feedback_files(out: &Path) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let mut files = Vec::new();
    let mut hidden = Vec::new();
    for e in std::fs::read_dir(out.join("反馈")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            hidden.push(name);
        } else {
            files.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    files.sort();
    (files, hidden)
}

/// `consolidate` writes a township's feedback workbook while its return is
/// read, and keeps it only when the township's findings are the same in
/// the end; otherwise (a superseded file's Y01 joins them) it writes it
/// again from the file. Either way the workbook is byte for byte the one
/// written from the file after the period is decided.
#[test]
fn feedback_written_while_reading_is_the_one_written_from_the_file() {
    let w = Workdir::new();
    let samples = w.path("示范县");
    copy_samples(&samples);
    let old = dated(base(), 20);
    let new = with_wall_rules(dated(base(), 25), 1.0);
    let ws = workspace(&w, &[("a_初稿.xlsx", &old), ("b_终稿.xlsx", &new)], true);
    for (dir, n) in [(&samples, 6), (&ws, 1)] {
        let out = dir.join("输出/2024-06");
        let o = w.run(&["consolidate", dir.to_str().unwrap(), "--period", "2024-06"]);
        assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
        let (early, hidden) = feedback_files(&out);
        assert_eq!(early.len(), n);
        assert!(hidden.is_empty(), "temporary files left: {hidden:?}");

        let c = run_lib(&args(dir));
        let late = w.path("late");
        let _ = std::fs::remove_dir_all(&late);
        let written = pipeline::write_feedback(&late, &c.batch, &c.plan.policy).unwrap();
        assert_eq!(written, n);
        let (late, _) = feedback_files(&late);
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&early), names(&late));
        for ((name, a), (_, b)) in early.iter().zip(&late) {
            assert!(a == b, "{name}: the early workbook differs");
        }
    }
    // The township of the Y01 workspace: its judged file's workbook lists
    // the superseded file's Y01 with its own findings.
    let fb = ws.join("输出/2024-06/反馈/990101103_白砂镇_2024-06.xlsx");
    let cells = crate::common::sheet_cells(&fb, "校验结果");
    assert!(
        cells.values().any(|v| v == "Y01"),
        "Y01 in 校验结果: {cells:?}"
    );
}
