//! Feedback workbooks that a township can correct and send back: read
//! back, one gives exactly the findings of its return; corrected in one
//! cell, exactly that finding goes; put in the period folder, it is the
//! township's return.

use crate::common::{copy_samples, openpyxl, project, require_program, stderr, stdout, Workdir};
use serde_json::Value;
use std::path::Path;

/// `check FILE --format json` (with `args`): each finding without its file
/// name, which differs between a return and its feedback workbook.
fn findings(w: &Workdir, file: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["check", file.to_str().unwrap(), "--format", "json"];
    all.extend_from_slice(args);
    let o = w.run(&all);
    assert!(o.status.code() != Some(2), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("file");
            v
        })
        .collect()
}

#[test]
fn a_feedback_workbook_reads_back_as_the_same_findings() {
    let w = Workdir::new();
    let roster = project("samples/示范县/roster.xlsx");
    let args = ["--roster", roster.to_str().unwrap(), "--period", "2024-06"];
    let mut checked = 0;
    for e in std::fs::read_dir(project("samples/示范县/2024-06")).unwrap() {
        let path = e.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut with_feedback = args.to_vec();
        with_feedback.extend(["--feedback", "fb"]);
        let want = findings(&w, &path, &with_feedback);
        let fb = w.path(&format!("fb/{stem}_校验结果.xlsx"));
        if want.is_empty() {
            assert!(!fb.exists(), "{stem}: no finding, no feedback workbook");
            continue;
        }
        if want.iter().any(|f| f["level"] == "fatal") {
            // A file that could not be read: its feedback is 校验结果 only.
            use calamine::Reader;
            let wb: calamine::Xlsx<_> = calamine::open_workbook(&fb).unwrap();
            assert_eq!(wb.sheet_names(), ["校验结果"], "{stem}");
            continue;
        }
        assert_eq!(findings(&w, &fb, &args), want, "{stem}");
        checked += 1;
    }
    assert_eq!(
        checked, 5,
        "five sample returns have findings and are readable"
    );
}

#[test]
fn correcting_one_cell_of_a_feedback_workbook_removes_exactly_that_finding() {
    if !require_program("python3") {
        return;
    }
    let w = Workdir::new();
    let ws = w.path("ws");
    copy_samples(&ws);
    let file = ws.join("2024-06/南浦街道_2024-06.xlsx");
    let codes = |f: &[Value]| -> Vec<String> {
        f.iter()
            .map(|x| format!("{} {}!{}", x["code"], x["sheet"], x["cell"]).replace('"', ""))
            .collect()
    };
    let before = findings(&w, &file, &["--feedback", "fb"]);
    assert_eq!(codes(&before), ["M01 功能室!D5", "D05 坐班值守!F9"]);
    // The township sets 专管员人数 to 1 in its feedback workbook (openpyxl
    // stands in for Excel) and sends it back instead of the return.
    let fb = w.path("fb/南浦街道_2024-06_校验结果.xlsx");
    let corrected = ws.join("2024-06/南浦街道_改正.xlsx");
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({fb:?})\nwb['坐班值守']['F9'] = 1\nwb.save({corrected:?})\n",
        fb = fb.to_str().unwrap(),
        corrected = corrected.to_str().unwrap()
    );
    if openpyxl(&script, &[] as &[&str]).is_none() {
        return;
    }
    let after = findings(&w, &corrected, &[]);
    let mut want = before.clone();
    want.retain(|f| f["code"] != "D05");
    assert_eq!(after, want);
    // In the period folder instead of the return, it is the township's
    // return: 南浦街道 is read (退回 for its M01), not 未报送.
    std::fs::remove_file(&file).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert!(
        err.contains("  南浦街道(990101108):退回,错误 1 个(M01),改正后重新报送\n"),
        "{err}"
    );
}

/// The village code columns of a feedback workbook are text, cells and
/// column alike, as in the template (openpyxl reads them): a code typed
/// into an empty row of a corrected workbook stays a code.
#[test]
fn village_code_columns_of_a_feedback_workbook_are_text() {
    let w = Workdir::new();
    let file = project("samples/示范县/2024-06/南浦街道_2024-06.xlsx");
    let o = w.run(&["check", file.to_str().unwrap(), "--feedback", "fb"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fb = w.path("fb/南浦街道_2024-06_校验结果.xlsx");
    let script = format!(
        r#"import openpyxl
wb = openpyxl.load_workbook({fb:?})
for ws in wb.worksheets[1:]:
    for row in ws.iter_rows(min_row=1, max_row=6):
        for c in row:
            if c.value == "村(社区)代码":
                below = ws.cell(c.row + 1, c.column)
                print(ws.title, c.coordinate, repr(below.value), below.number_format,
                      ws.column_dimensions[c.column_letter].number_format)
"#,
        fb = fb.to_str().unwrap()
    );
    let Some(out) = openpyxl(&script, &[] as &[&str]) else {
        return;
    };
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "标牌清理 B2 '990101108201' @ @\n\
         标牌明细 B2 '990101108201' @ @\n\
         功能室 B2 '990101108201' @ @\n\
         坐班值守 B2 '990101108201' @ @\n\
         星级申报 B2 '990101108201' @ @\n\
         情况说明 C2 None General @\n"
    );
}
