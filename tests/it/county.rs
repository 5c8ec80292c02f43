//! The county workbook on the samples: golden cells, byte-identical reruns,
//! interrupted runs that never leave a broken workbook, and the figures as
//! LibreOffice and openpyxl read them.

use crate::common::{
    cell_text, check_golden, copy_samples, project, require_program, stderr, Workdir,
};
use calamine::{Reader, Xlsx};
use std::path::{Path, PathBuf};
use std::process::Command;

const COUNTY_FILE: &str = "县级汇总_示范县_2024-06.xlsx";
const GOLDEN: &str = "tests/golden/county_2024-06.json";
/// Sheets compared cell by cell with the golden file.
const GOLDEN_SHEETS: [&str; 4] = ["汇总", "报送情况", "校验问题", "环比"];

/// Consolidate a fresh copy of the samples; the county workbook's path.
fn consolidate_samples(w: &Workdir, name: &str) -> PathBuf {
    copy_samples(&w.path(name));
    let o = w.run(&["consolidate", name, "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    w.path(&format!("{name}/输出/2024-06/{COUNTY_FILE}"))
}

#[test]
fn county_workbook_matches_golden_cells() {
    let w = Workdir::new();
    let path = consolidate_samples(&w, "ws");
    let wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "说明",
            "汇总",
            "标牌清理",
            "标牌明细",
            "功能室",
            "坐班值守",
            "星级申报",
            "环比",
            "报送情况",
            "校验问题",
            "进度"
        ]
    );
    let got = check_golden(&path, &GOLDEN_SHEETS, GOLDEN);
    // A few figures spelled out, so the golden file is not the only witness.
    let summary = &got["汇总"];
    assert_eq!(summary["A1"], "乡镇(街道)代码");
    assert_eq!(summary["B10"], "合计");
    assert_eq!(summary["C10"], "已汇总 2/8");
    assert_eq!(summary["C7"], "未报送");
    let report = &got["报送情况"];
    assert_eq!(report["D10"], "枫岭乡_2024-06.xlsx");
    assert_eq!(report["C10"], "无法读取(可能是 枫岭乡)");
    assert_eq!(report["C7"], "未报送");
}

#[test]
fn reruns_are_byte_identical_wherever_the_workspace_lives() {
    let w = Workdir::new();
    let a = consolidate_samples(&w, "a");
    let first = std::fs::read(&a).unwrap();
    let o = w.run(&["consolidate", "a", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&a).unwrap(), first, "same folder, second run");
    let b = consolidate_samples(&w, "b");
    assert_eq!(std::fs::read(&b).unwrap(), first, "another folder");
    for entry in std::fs::read_dir(w.path("a/输出/2024-06/反馈")).unwrap() {
        let name = entry.unwrap().file_name();
        let x = std::fs::read(w.path("a/输出/2024-06/反馈").join(&name)).unwrap();
        let y = std::fs::read(w.path("b/输出/2024-06/反馈").join(&name)).unwrap();
        assert!(x == y, "feedback {name:?} differs");
    }
}

#[test]
fn a_killed_run_never_leaves_a_broken_or_mixed_workbook() {
    let w = Workdir::new();
    let path = consolidate_samples(&w, "ws");
    let old = std::fs::read(&path).unwrap();
    // Change one return so the new workbook differs from the old one.
    std::fs::remove_file(w.path("ws/2024-06/白砂镇_2024-06.xlsx")).unwrap();
    let mut seen_new = None;
    for delay_ms in [0u64, 30, 80, 150, 300, 600, 1200, 2500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
            .args(["consolidate", "ws", "--period", "2024-06", "--quiet"])
            .current_dir(w.root())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(&path).unwrap();
        if now != old {
            // A new workbook is complete: it opens and has every sheet.
            let mut wb: Xlsx<_> = calamine::open_workbook(&path).expect("complete workbook");
            assert_eq!(wb.sheet_names().len(), 11);
            assert!(wb.worksheet_range("汇总").is_ok());
            if let Some(prev) = &seen_new {
                assert_eq!(&now, prev, "every finished run writes the same bytes");
            }
            seen_new = Some(now);
        }
    }
    // After the interruptions a normal run works (stale lock and temp files cleared).
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let leftovers: Vec<String> = std::fs::read_dir(w.path("ws/输出/2024-06"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".old") || n.ends_with(".lock"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

#[test]
fn an_output_folder_that_cannot_be_written_is_exit_2_and_keeps_nothing_half_done() {
    let w = Workdir::new();
    copy_samples(&w.path("ws"));
    // The output "folder" is a file: nothing can be written there.
    std::fs::write(w.path("blocked"), b"not a folder").unwrap();
    let o = w.run(&[
        "consolidate",
        "ws",
        "--period",
        "2024-06",
        "-o",
        "blocked/out",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("无法创建输出文件夹"), "{}", stderr(&o));
}

/// The 汇总 figures as our reader sees them: row → column → value.
fn summary_numbers(path: &Path) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range("汇总").unwrap();
    range
        .rows()
        .take(10)
        .map(|r| r.iter().take(26).map(cell_text).collect())
        .collect()
}

fn close(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() < 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

#[test]
fn openpyxl_reads_the_same_summary_figures() {
    if !require_program("python3") {
        return;
    }
    let probe = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .unwrap();
    if !probe.status.success() {
        if std::env::var_os("CI").is_some() {
            panic!("openpyxl 未安装,但 CI 要求运行此测试");
        }
        eprintln!("\n*** SKIP: python3 openpyxl not installed — interop test not run ***\n");
        return;
    }
    let w = Workdir::new();
    let path = consolidate_samples(&w, "ws");
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["汇总"]
rows = []
for r in ws.iter_rows(min_row=1, max_row=10, max_col=26, values_only=True):
    rows.append(["" if v is None else (repr(float(v)) if isinstance(v, (int, float)) else str(v)) for v in r])
print(json.dumps(rows, ensure_ascii=False))
"#;
    let o = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs: Vec<Vec<String>> = serde_json::from_slice(&o.stdout).unwrap();
    let ours = summary_numbers(&path);
    assert_eq!(theirs.len(), ours.len());
    for (r, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        for (c, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                close(x, y),
                "汇总 row {} col {}: ours {x:?}, openpyxl {y:?}",
                r + 1,
                c + 1
            );
        }
    }
}

#[test]
fn libreoffice_opens_the_county_workbook_with_the_same_summary() {
    if !require_program("soffice") {
        return;
    }
    let w = Workdir::new();
    let path = consolidate_samples(&w, "ws");
    let out = w.path("csv");
    let profile = format!("file://{}", w.path("lo_profile").display());
    // Sheet 2 (汇总), UTF-8, comma separated, numbers as stored (not as shown).
    let o = Command::new("soffice")
        .args([
            &format!("-env:UserInstallation={profile}"),
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
            out.to_str().unwrap(),
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv_path = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .expect("a csv file")
        .unwrap()
        .path();
    let text = std::fs::read_to_string(csv_path).unwrap();
    let ours = summary_numbers(&path);
    let theirs: Vec<Vec<String>> = text
        .lines()
        .take(10)
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    assert_eq!(theirs[0][..4], ours[0][..4], "header row");
    for (r, (a, b)) in ours.iter().zip(&theirs).enumerate().skip(1) {
        for (c, x) in a.iter().enumerate() {
            let y = b.get(c).map(String::as_str).unwrap_or("");
            // LibreOffice writes shares as shown (45.0%): compare those by value.
            let y = match y.strip_suffix('%') {
                Some(p) => p
                    .parse::<f64>()
                    .map(|v| format!("{}", v / 100.0))
                    .unwrap_or_default(),
                None => y.to_string(),
            };
            let ok = close(x, &y)
                || (y.contains('.')
                    && x.parse::<f64>()
                        .is_ok_and(|v| (v - y.parse::<f64>().unwrap_or(f64::NAN)).abs() < 0.0006));
            assert!(
                ok,
                "汇总 row {} col {}: ours {x:?}, LibreOffice {y:?}",
                r + 1,
                c + 1
            );
        }
    }
}

#[test]
fn every_sample_mistake_is_in_the_findings_sheet_and_its_file_has_the_right_status() {
    let w = Workdir::new();
    let path = consolidate_samples(&w, "ws");
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let rows = |wb: &mut Xlsx<_>, sheet: &str| -> Vec<Vec<String>> {
        wb.worksheet_range(sheet)
            .unwrap()
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect()
    };
    let findings = rows(&mut wb, "校验问题");
    let report = rows(&mut wb, "报送情况");
    let readme = std::fs::read_to_string(project("samples/README.md")).unwrap();
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with("| 2024-06/")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let file = cells[0].trim_start_matches("2024-06/");
        let (sheet, cell) = cells[2].split_once('!').unwrap_or(("", ""));
        let found = findings
            .iter()
            .any(|r| r[2] == file && r[3] == sheet && r[4] == cell && r[6] == cells[1]);
        assert!(found, "{line} not in 校验问题");
        let status = &report
            .iter()
            .find(|r| r[3] == file)
            .unwrap_or_else(|| panic!("{file} in 报送情况"))[2];
        let want = match cells[3] {
            // The scan named after 枫岭乡, which sent nothing else.
            "无法读取" => "无法读取(可能是 枫岭乡)",
            _ if readme.lines().any(|l| {
                l.starts_with(&format!("| 2024-06/{file} |")) && l.contains("| 错误 |")
            }) =>
            {
                "退回"
            }
            _ => "已汇总",
        };
        assert_eq!(status, want, "{file}");
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// A sheet's rows as shown text.
fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect()
}

/// The 合计 row of 汇总 as header → shown text.
fn total_of(path: &Path) -> std::collections::BTreeMap<String, String> {
    let rows = sheet_rows(path, "汇总");
    let total = rows.iter().find(|r| r[1] == "合计").unwrap();
    rows[0].iter().cloned().zip(total.iter().cloned()).collect()
}

#[test]
fn progress_has_a_row_per_month_equal_to_each_months_total() {
    let w = Workdir::new();
    copy_samples(&w.path("ws"));
    // June alone: May has no summary yet.
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let june = w.path(&format!("ws/输出/2024-06/{COUNTY_FILE}"));
    let p = sheet_rows(&june, "进度");
    assert_eq!(p[0][..3], ["月份", "已汇总", "清理前标牌数"]);
    assert_eq!(p[1][..3], ["2024-05", "未汇总", ""]);
    assert_eq!(p[2][..2], ["2024-06", "2/8"]);
    // May, then June again: both rows are their month's 合计.
    for period in ["2024-05", "2024-06"] {
        let o = w.run(&["consolidate", "ws", "--period", period, "--quiet"]);
        assert!(o.status.code() != Some(2), "{}", stderr(&o));
        assert!(w
            .path(&format!("ws/输出/{period}/汇总_{period}.json"))
            .is_file());
    }
    let may = w.path("ws/输出/2024-05/县级汇总_示范县_2024-05.xlsx");
    let p = sheet_rows(&june, "进度");
    assert_eq!(p.len(), 3);
    for (row, month) in [(&p[1], &may), (&p[2], &june)] {
        let total = total_of(month);
        let status = total["报送状态"].trim_start_matches("已汇总 ").to_string();
        assert_eq!(row[1], status, "{month:?}");
        for (i, h) in p[0].iter().enumerate().skip(2) {
            assert_eq!(&row[i], &total[h], "{h} of {month:?}");
        }
    }
    assert_eq!(p[1][0], "2024-05");
    assert_eq!(p[1][1], "8/8");
    // Its chart marks each month's point with its value: one month with
    // figures is a point, not an empty line.
    let chart = {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&june).unwrap()).unwrap();
        let names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        names
            .iter()
            .filter(|n| n.starts_with("xl/charts/chart"))
            .map(|n| {
                let mut x = String::new();
                zip.by_name(n).unwrap().read_to_string(&mut x).unwrap();
                x
            })
            .find(|x| x.contains("摘牌率与现有标牌数"))
            .expect("the 进度 chart")
    };
    assert!(
        chart.contains(r#"<c:symbol val="circle"/>"#)
            && chart.contains(r#"<c:symbol val="square"/>"#),
        "{chart}"
    );
    assert_eq!(
        chart.matches(r#"<c:showVal val="1"/>"#).count(),
        2,
        "{chart}"
    );
    // 说明 names May's summary with its SHA-256.
    use sha2::Digest;
    let bytes = std::fs::read(w.path("ws/输出/2024-05/汇总_2024-05.json")).unwrap();
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let readme = sheet_rows(&june, "说明");
    assert!(
        readme.iter().any(|r| r[0] == "进度所用汇总"
            && r[1] == format!("输出/2024-05/汇总_2024-05.json(SHA-256 {sha})")),
        "{readme:?}"
    );
}

#[test]
fn the_summary_file_holds_the_figures_the_workbook_shows() {
    let w = Workdir::new();
    let county = consolidate_samples(&w, "ws");
    let text = std::fs::read_to_string(w.path("ws/输出/2024-06/汇总_2024-06.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let columns: Vec<&str> = j["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let col = |h: &str| columns.iter().position(|c| *c == h).unwrap();
    let rows = j["rows"].as_array().unwrap();
    // 青湖街道's areas are sums of one-decimal figures: the file holds them
    // as 汇总 shows them, with no trace of binary arithmetic.
    let qinghu = rows.iter().find(|r| r[1] == "青湖街道").unwrap();
    assert_eq!(qinghu[col("服务场所面积(㎡)")], serde_json::json!(12185.8));
    assert_eq!(qinghu[col("办公场所面积(㎡)")], serde_json::json!(2528.4));
    assert_eq!(
        j["total"][col("服务场所面积(㎡)")],
        serde_json::json!(24054.8)
    );
    assert!(
        !text.contains("9999999") && !text.contains("0000001"),
        "{text}"
    );
    // Every number is the number of its 汇总 cell.
    let sheet = sheet_rows(&county, "汇总");
    let total = sheet.iter().position(|r| r[1] == "合计").unwrap();
    let body: Vec<&Vec<String>> = sheet[1..total].iter().collect();
    assert_eq!(body.len(), rows.len());
    for (mine, theirs) in rows
        .iter()
        .zip(&body)
        .chain([(&j["total"], &&sheet[total])])
    {
        for (i, v) in mine.as_array().unwrap().iter().enumerate() {
            if let Some(n) = v.as_f64() {
                assert_eq!(
                    theirs[i].parse::<f64>().ok(),
                    Some(n),
                    "{} {}",
                    theirs[1],
                    columns[i]
                );
            }
        }
    }
}

#[test]
fn no_row_of_any_output_comes_twice() {
    // Excel takes a row written twice for a damaged file (LibreOffice
    // and openpyxl let it pass): every sheet of every workbook a month
    // writes has its rows strictly in order, each once.
    use std::io::Read;
    let w = Workdir::new();
    copy_samples(&w.path("ws"));
    for period in ["2024-05", "2024-06"] {
        let o = w.run(&["consolidate", "ws", "--period", period, "--quiet"]);
        assert!(o.status.code() != Some(2), "{}", stderr(&o));
    }
    let mut books = Vec::new();
    for month in ["2024-05", "2024-06"] {
        let out = w.path(&format!("ws/输出/{month}"));
        for dir in [out.clone(), out.join("反馈")] {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "xlsx") {
                    books.push(p);
                }
            }
        }
    }
    assert!(books.len() >= 10, "{books:?}");
    for book in &books {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
        for i in 0..zip.len() {
            let mut part = zip.by_index(i).unwrap();
            let name = part.name().unwrap().to_string();
            if !name.starts_with("xl/worksheets/sheet") {
                continue;
            }
            let mut xml = String::new();
            part.read_to_string(&mut xml).unwrap();
            let rows: Vec<u32> = xml
                .split("<row r=\"")
                .skip(1)
                .map(|r| r.split('"').next().unwrap().parse().unwrap())
                .collect();
            assert!(
                rows.windows(2).all(|p| p[0] < p[1]),
                "{book:?} {name}: rows {rows:?}"
            );
        }
    }
}
