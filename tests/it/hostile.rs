//! Hostile and broken files through the real binary: each gives its S01 or
//! S06 (never a panic), and a batch with all of them still consolidates the
//! good return around them. Also: nothing a township writes becomes a
//! formula, a path or a failed write in our outputs; the batch survives the
//! folder around it (files gone, links, pipes, odd names, locks, unwritable
//! output); and the hostile files, 4 GB zip bombs and a sheet of millions
//! of rows are refused fast in little memory.

use crate::common::{june, project, stderr, stdout, Workdir};
use calamine::{Data, Reader, Xlsx};
use huizong::batch::Status;
use huizong::finding::Code;
use huizong::kit::demo;
use huizong::kit::handzip;
use huizong::pipeline;
use huizong::policy::Policy;
use huizong::read::normalise::Period;
use huizong::schema::{self, Col, CoverField, SheetId};
use huizong::write::template::{self, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// file → expected code, from the fixtures' README table.
fn expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(project("tests/fixtures/hostile/README.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].trim_matches('`').to_string(), cells[3].to_string())
        })
        .collect()
}

#[test]
fn every_hostile_fixture_gives_its_code_through_check() {
    let w = Workdir::new();
    let want = expected();
    assert!(want.len() >= 20);
    for (file, code) in &want {
        let path = project(&format!("tests/fixtures/hostile/{file}"));
        let start = Instant::now();
        let o = w.run(&["check", path.to_str().unwrap(), "--format", "json"]);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{file} took {:?}",
            start.elapsed()
        );
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{file}: {err}");
        let codes: Vec<String> = stdout(&o)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        if code.starts_with("accepted") {
            assert!(
                !codes.iter().any(|c| c == "S01" || c == "S06"),
                "{file}: {codes:?}"
            );
        } else {
            assert_eq!(codes, vec![code.clone()], "{file}");
            assert_eq!(o.status.code(), Some(1), "{file}");
        }
    }
}

#[test]
fn a_batch_of_hostile_files_still_consolidates_the_good_return() {
    let w = Workdir::new();
    let ws = w.path("ws");
    std::fs::create_dir_all(ws.join("2024-06")).unwrap();
    std::fs::write(
        ws.join("county.toml"),
        "name = \"示范县\"\ncode = \"990101\"\nbudget = 1000000\n",
    )
    .unwrap();
    for (file, _) in expected() {
        std::fs::copy(
            project(&format!("tests/fixtures/hostile/{file}")),
            ws.join("2024-06").join(&file),
        )
        .unwrap();
    }
    std::fs::copy(
        project("samples/示范县/2024-06/白砂镇_2024-06.xlsx"),
        ws.join("2024-06/白砂镇_2024-06.xlsx"),
    )
    .unwrap();
    // A directory named like a return is skipped, not an error.
    std::fs::create_dir_all(ws.join("2024-06/目录.xlsx")).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // 白砂镇 is used; the 21 hostile files are unreadable (one of them has a
    // readable cover, so its township shows as 无法读取; the other 20 have
    // none and are counted apart).
    assert!(
        err.contains("\n应报 2 个乡镇:已汇总 1,无法读取 1;另有无法读取 20 份;"),
        "{err}"
    );
}

/// Inputs the fuzzer failed on, kept after the fix: each reads (S01/S06 or
/// a workbook) without a panic, in bounded time.
#[test]
fn fuzz_crashes_read_without_panic_or_hang() {
    let dir = project("tests/fixtures/fuzz_crashes");
    let policy = Policy::default_rules();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let p = policy.clone();
        let file = name.clone();
        std::thread::spawn(move || {
            let (l, path) =
                huizong::read::read_bytes_traced(&file, Path::new(&file), &bytes, &p, None);
            let _ = tx.send((l.findings.iter().map(|f| f.code).collect::<Vec<_>>(), path));
        });
        let (codes, path) = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{name}: no result in 20 s (a hang)"));
        assert_ne!(path, huizong::read::ReadPath::Panicked, "{name}");
        if [
            "ods_unclosed_table.ods",
            "ods_unclosed_table_doctype.ods",
            "xls_formula_cut_short.xls",
            "xls_bof_cut_short.xls",
        ]
        .contains(&name.as_str())
        {
            assert_eq!(codes, [Code::S01], "{name}");
        }
        n += 1;
    }
    assert!(n >= 4);
}

// ------------------------------------------------ what a township writes

/// Texts that a spreadsheet would take for a formula if written carelessly.
const FORMULA_LIKE: [&str; 4] = [
    "=HYPERLINK(\"http://example.invalid\",\"点我\")",
    "@SUM(A1)",
    "+1+1",
    "-2+3",
];
/// A township name that tries to climb out of the feedback folder.
const ESCAPING_NAME: &str = "../../逃逸\\镇:名";
const LONG_PLACEHOLDER: &str = "LONGTEXTPLACEHOLDER";

fn county_toml(ws: &Path) {
    std::fs::create_dir_all(ws.join("2024-06")).unwrap();
    std::fs::write(
        ws.join("county.toml"),
        "name = \"示范县\"\ncode = \"990101\"\nbudget = 1000000\n",
    )
    .unwrap();
}

/// A workspace without a roster (so the cover's township name names the
/// feedback file) whose one return holds formula-like texts, an escaping
/// township name and a text of 40,000 characters.
fn harmful_workspace(w: &Workdir) -> PathBuf {
    let ws = w.path("ws");
    county_toml(&ws);
    let mut fill = demo::fill(&demo::small_township(4, 7));
    fill.cover
        .insert(CoverField::Township, Value::Text(ESCAPING_NAME.to_string()));
    let detail = schema::data_sheet(SheetId::SignDetail).unwrap();
    let rows = fill.rows.get_mut(&SheetId::SignDetail).unwrap();
    for (k, text) in FORMULA_LIKE.iter().enumerate() {
        rows[k][detail.index_of(Col::SignName)] = Value::Text(text.to_string());
        rows[k][detail.index_of(Col::SignFiling)] = Value::Empty;
    }
    let signs = schema::data_sheet(SheetId::Signs).unwrap();
    fill.rows.get_mut(&SheetId::Signs).unwrap()[0][signs.index_of(Col::WallRules)] =
        Value::Text("=1+2".into());
    let stars = schema::data_sheet(SheetId::Stars).unwrap();
    fill.rows.get_mut(&SheetId::Stars).unwrap()[0][stars.index_of(Col::Remark)] =
        Value::Text(LONG_PLACEHOLDER.into());
    let path = ws.join("2024-06/白砂镇_2024-06.xlsx");
    june(&fill, |input| template::write_file(input, &path)).unwrap();
    // The template writer cuts long texts: lengthen it in the file itself.
    crate::rules::patch_xlsx(&path, "xl/sharedStrings.xml", |xml| {
        assert!(xml.contains(LONG_PLACEHOLDER));
        xml.replace(LONG_PLACEHOLDER, &"长".repeat(40_000))
    });
    ws
}

/// Every part of a zip as text.
fn zip_texts(path: &Path) -> Vec<(String, String)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let name = e.name().map(|n| n.to_string()).unwrap_or_default();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap_or_default();
            (name, s)
        })
        .collect()
}

/// No worksheet of the workbook holds a formula.
fn assert_no_formulas(path: &Path) {
    for (name, xml) in zip_texts(path) {
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            assert!(
                !xml.contains("<f>") && !xml.contains("<f "),
                "{}: {name} holds a formula",
                path.display()
            );
        }
    }
}

/// Every text cell of every sheet, as calamine reads it.
fn all_strings(path: &Path) -> Vec<String> {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for c in range.used_cells() {
            if let Data::String(s) = c.2 {
                out.push(s.clone());
            }
        }
    }
    out
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(
                files_under(&p)
                    .into_iter()
                    .map(|f| Path::new(&e.file_name()).join(f)),
            );
        } else {
            out.push(PathBuf::from(e.file_name()));
        }
    }
    out.sort();
    out
}

#[test]
fn nothing_a_township_writes_becomes_a_formula_a_path_or_a_failed_write() {
    let w = Workdir::new();
    let ws = harmful_workspace(&w);
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // Every file written is inside 输出/2024-06 (the feedback in 反馈/).
    let out = ws.join("输出/2024-06");
    let written: Vec<PathBuf> = files_under(w.root())
        .into_iter()
        .filter(|f| !f.starts_with("ws/2024-06") && f != Path::new("ws/county.toml"))
        .collect();
    assert!(
        written
            .iter()
            .all(|f| f.starts_with("ws/输出/2024-06") && f.components().count() <= 5),
        "{written:?}"
    );
    let feedback: Vec<PathBuf> = files_under(&out.join("反馈"));
    assert_eq!(feedback.len(), 1, "{feedback:?}");
    let name = feedback[0].to_string_lossy().into_owned();
    assert!(
        name.starts_with("990101103_") && name.contains("逃逸") && name.ends_with("_2024-06.xlsx"),
        "{name}"
    );
    assert!(
        !name.contains(['/', '\\', ':']) && !name.contains(".."),
        "{name}"
    );

    // Formula-like texts stay texts, in the township's copy and the county's.
    let feedback = out.join("反馈").join(&feedback[0]);
    let county = out.join("县级汇总_示范县_2024-06.xlsx");
    for wb in [&feedback, &county] {
        assert_no_formulas(wb);
    }
    let fb = all_strings(&feedback);
    for text in FORMULA_LIKE.iter().chain([&"=1+2"]) {
        assert!(fb.iter().any(|s| s == text), "{text} not in the feedback");
    }
    let cs = all_strings(&county);
    assert!(cs.iter().any(|s| s == "=1+2"), "V02's value in 校验问题");
    assert!(
        cs.iter().any(|s| s == "@SUM(A1)"),
        "P04's value in 校验问题"
    );
    assert!(cs.iter().any(|s| s == ESCAPING_NAME), "the name as written");

    // The long text is cut to Excel's limit in the copy, with an S07.
    let long: Vec<&String> = fb
        .iter()
        .filter(|s| s.starts_with("长长长") && s.chars().count() > 51)
        .collect();
    assert_eq!(long.len(), 1);
    assert_eq!(long[0].chars().count(), 32_767);
    assert!(
        fb.iter()
            .any(|s| s.contains("40000 个字符") && s.contains("32767")),
        "S07 message in 校验结果"
    );
    assert!(cs.iter().any(|s| s == "S07"), "S07 in 校验问题");
}

#[test]
fn a_township_name_too_long_for_a_file_name_still_gets_its_feedback() {
    let w = Workdir::new();
    let ws = w.path("ws");
    county_toml(&ws);
    let mut fill = demo::fill(&demo::small_township(4, 7));
    fill.cover
        .insert(CoverField::Township, Value::Text("很长的镇名".repeat(60)));
    let signs = schema::data_sheet(SheetId::Signs).unwrap();
    fill.rows.get_mut(&SheetId::Signs).unwrap()[0][signs.index_of(Col::WallRules)] =
        Value::Text("十二".into());
    june(&fill, |input| {
        template::write_file(input, &ws.join("2024-06/长名.xlsx"))
    })
    .unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fb = files_under(&ws.join("输出/2024-06/反馈"));
    assert_eq!(fb.len(), 1, "{fb:?}");
    let name = fb[0].to_string_lossy().into_owned();
    assert!(name.starts_with("990101103_很长的镇名"), "{name}");
    assert!(name.ends_with(".xlsx") && name.len() <= 200, "{name}");
}

// ------------------------------------------------ the world around a batch

#[test]
fn read_file_of_a_path_that_is_gone_is_s01_saying_so() {
    let w = Workdir::new();
    let l = huizong::read::read_file(&w.path("已删除.xlsx"), &Policy::default_rules(), None);
    assert_eq!(l.findings.len(), 1);
    assert_eq!(l.findings[0].code, Code::S01);
    assert!(
        l.findings[0].message.contains("文件不存在"),
        "{}",
        l.findings[0].message
    );
    assert!(l.ret.is_none());
}

#[test]
fn a_return_removed_between_listing_and_reading_is_s01_and_the_batch_goes_on() {
    let w = Workdir::new();
    let ws = w.path("ws");
    county_toml(&ws);
    for f in ["白砂镇_2024-06.xlsx", "石门镇_2024-06.xlsx"] {
        std::fs::copy(
            project(&format!("samples/示范县/2024-06/{f}")),
            ws.join("2024-06").join(f),
        )
        .unwrap();
    }
    let mut args = pipeline::Inputs::new(
        ws.clone(),
        Period {
            year: 2024,
            month: 6,
        },
    );
    args.jobs = Some(2);
    let plan = pipeline::plan(&args).unwrap();
    assert_eq!(plan.returns.len(), 2);
    std::fs::remove_file(ws.join("2024-06/石门镇_2024-06.xlsx")).unwrap();
    let c = pipeline::ingest(plan, &pipeline::Quiet).unwrap();
    let gone = c
        .batch
        .files
        .iter()
        .find(|f| f.loaded.file == "石门镇_2024-06.xlsx")
        .unwrap();
    let codes: Vec<&str> = gone
        .loaded
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(codes, ["S01"]);
    assert!(gone.loaded.findings[0].message.contains("文件不存在"));
    let used = c
        .batch
        .townships
        .iter()
        .filter(|t| t.status == Status::Used || t.status == Status::UsedWithErrors)
        .count();
    assert_eq!(used, 1, "白砂镇 is still used");
    // Its feedback workbook is written like any unreadable file's.
    let out = w.path("out");
    std::fs::create_dir_all(&out).unwrap();
    pipeline::write_feedback(&out, &c.batch, &c.plan.policy).unwrap();
    assert!(out.join("反馈/石门镇_2024-06_校验结果.xlsx").is_file());
}

/// 白砂镇 in GBK, as an old Windows zip tool leaves a Chinese file name.
#[cfg(unix)]
const GBK_NAME: &[u8] = b"\xB0\xD7\xC9\xB0\xD5\xF2_2024-06.xlsx";

#[cfg(unix)]
#[test]
fn links_pipes_folders_and_gbk_names_in_the_period_folder() {
    use std::os::unix::ffi::OsStrExt;
    let w = Workdir::new();
    let ws = w.path("ws");
    county_toml(&ws);
    let month = ws.join("2024-06");
    let elsewhere = w.path("别处");
    std::fs::create_dir_all(elsewhere.join("子目录.xlsx")).unwrap();
    std::fs::copy(
        project("samples/示范县/2024-06/白砂镇_2024-06.xlsx"),
        elsewhere.join("白砂镇.xlsx"),
    )
    .unwrap();
    // A link to a return is followed; a link to nothing is S01; a link to
    // a folder and a folder named like a return are skipped.
    std::os::unix::fs::symlink(
        elsewhere.join("白砂镇.xlsx"),
        month.join("白砂镇_链接.xlsx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(w.path("不存在.xlsx"), month.join("断链.xlsx")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("子目录.xlsx"), month.join("目录链接.xlsx")).unwrap();
    std::fs::create_dir_all(month.join("文件夹.xlsx")).unwrap();
    // A GBK-named copy of a good return is read; a GBK-named broken one is
    // S01 and gets a feedback workbook under a readable name.
    std::fs::copy(
        project("samples/示范县/2024-06/石门镇_2024-06.xlsx"),
        month.join(std::ffi::OsStr::from_bytes(GBK_NAME)),
    )
    .unwrap();
    std::fs::copy(
        project("tests/fixtures/hostile/truncated.xlsx"),
        month.join(std::ffi::OsStr::from_bytes(b"\xBB\xB5_2024-06.xlsx")),
    )
    .unwrap();
    // A named pipe would block a plain read forever.
    let fifo = month.join("管道.xlsx");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    let start = Instant::now();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--jobs", "2"]);
    let err = stderr(&o);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let unreadable = if made { 3 } else { 2 };
    assert!(
        // 石门镇's sample has mistakes: it is read, and sent back (退回).
        err.contains(&format!(
            "\n应报 2 个乡镇:已汇总 1,退回 1;另有无法读取 {unreadable} 份;"
        )),
        "{err}"
    );
    let fb = files_under(&ws.join("输出/2024-06/反馈"));
    let names: Vec<String> = fb
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"断链_校验结果.xlsx".to_string()),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("_2024-06_校验结果.xlsx") && n.contains('\u{FFFD}')),
        "{names:?}"
    );
    let link = all_strings(&ws.join("输出/2024-06/反馈/断链_校验结果.xlsx"));
    assert!(link.iter().any(|s| s.contains("链接")), "{link:?}");
    if made {
        let pipe = all_strings(&ws.join("输出/2024-06/反馈/管道_校验结果.xlsx"));
        assert!(pipe.iter().any(|s| s.contains("不是普通文件")), "{pipe:?}");
    }
}

#[test]
fn a_feedback_folder_that_cannot_be_made_is_exit_2_and_releases_the_lock() {
    let w = Workdir::new();
    let ws = w.path("ws");
    county_toml(&ws);
    std::fs::copy(
        project("samples/示范县/2024-06/南浦街道_2024-06.xlsx"),
        ws.join("2024-06/南浦街道_2024-06.xlsx"),
    )
    .unwrap();
    let out = ws.join("输出/2024-06");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("反馈"), b"a file where the folder goes").unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("反馈"), "{}", stderr(&o));
    assert!(!out.join(".huizong.lock").exists());
    let temp: Vec<PathBuf> = files_under(&out)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temp.is_empty(), "{temp:?}");
}

#[test]
fn runs_started_together_into_one_folder_finish_or_stop_on_the_lock() {
    let w = Workdir::new();
    let ws = w.path("ws");
    county_toml(&ws);
    for f in [
        "白砂镇_2024-06.xlsx",
        "石门镇_2024-06.xlsx",
        "南浦街道_2024-06.xlsx",
    ] {
        std::fs::copy(
            project(&format!("samples/示范县/2024-06/{f}")),
            ws.join("2024-06").join(f),
        )
        .unwrap();
    }
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_huizong"))
                .args(["consolidate", "ws", "--period", "2024-06", "--quiet"])
                .current_dir(w.root())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut finished = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        match o.status.code() {
            Some(1) => finished += 1,
            Some(2) => assert!(stderr(&o).contains("另一个汇总"), "{}", stderr(&o)),
            other => panic!("{other:?}: {}", stderr(&o)),
        }
    }
    assert!(finished >= 1);
    // What was written is whole: the same bytes as a run on its own.
    let out = ws.join("输出/2024-06");
    let county = out.join("县级汇总_示范县_2024-06.xlsx");
    let together = std::fs::read(&county).unwrap();
    let leftovers: Vec<PathBuf> = files_under(&out)
        .into_iter()
        .filter(|f| {
            let s = f.to_string_lossy();
            s.ends_with(".tmp") || s.ends_with(".lock")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(std::fs::read(&county).unwrap() == together);
}

// ------------------------------------------------ peak memory and time

/// Peak resident memory of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time (user and system) this process has used so far, in ms: unlike
/// the wall clock, not stretched by the other tests running beside it.
#[cfg(unix)]
fn cpu_ms() -> Option<f64> {
    // SAFETY: an all-zero `rusage` is a valid value, and `getrusage` only
    // writes into the one it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    Some(ms(u.ru_utime) + ms(u.ru_stime))
}

#[cfg(not(unix))]
fn cpu_ms() -> Option<f64> {
    None
}

/// Read one file (named by `HUIZONG_MEASURE_FILE`) and print the time (on
/// the wall clock and of CPU) and the peak memory. Run in a child process
/// by the test below, so the figures are this read's own.
#[test]
#[ignore = "run in a child process by hostile_files_are_refused_fast_in_little_memory"]
fn measure_one_read() {
    let Some(path) = std::env::var_os("HUIZONG_MEASURE_FILE") else {
        return;
    };
    let policy = Policy::default_rules();
    let base = peak_rss_kib().unwrap_or(0);
    let cpu = cpu_ms().unwrap_or(0.0);
    let t = Instant::now();
    let l = huizong::read::read_file(Path::new(&path), &policy, None);
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu_ms().unwrap_or(f64::NAN) - cpu;
    let peak = peak_rss_kib().unwrap_or(0);
    let codes: Vec<&str> = l.findings.iter().map(|f| f.code.as_str()).collect();
    let codes = if codes.is_empty() {
        "-".to_string()
    } else {
        codes.join(",")
    };
    println!("MEASURE ms={ms:.1} cpu_ms={cpu:.1} base_kib={base} peak_kib={peak} codes={codes}");
}

/// A real xlsx whose one worksheet holds `rows` rows of one number each
/// (2,000,000: ~76 MB of XML, declared honestly, ~10 MB on disk), written
/// as it is deflated so the test never holds the sheet.
fn write_rows_bomb(path: &Path, rows: u32) {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = SimpleFileOptions::default().compression_level(Some(1));
    for (name, text) in [
        ("[Content_Types].xml", handzip::CONTENT_TYPES),
        ("_rels/.rels", handzip::PKG_RELS),
        ("xl/workbook.xml", handzip::WORKBOOK),
        ("xl/_rels/workbook.xml.rels", handzip::WORKBOOK_RELS),
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    z.write_all(
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:A2000000"/><sheetData>"#,
    )
    .unwrap();
    let mut rng = demo::Rng::new(17);
    let mut chunk = String::with_capacity(1 << 20);
    for r in 1..=rows {
        let v = rng.range(0, 9);
        chunk.push_str(&format!(r#"<row r="{r}"><c><v>{v}</v></c></row>"#));
        if chunk.len() > (1 << 20) - 100 {
            z.write_all(chunk.as_bytes()).unwrap();
            chunk.clear();
        }
    }
    chunk.push_str("</sheetData></worksheet>");
    z.write_all(chunk.as_bytes()).unwrap();
    z.finish().unwrap();
}

#[test]
fn hostile_files_are_refused_fast_in_little_memory() {
    if peak_rss_kib().is_none() {
        eprintln!("SKIP: no /proc/self/status here; peak memory not measured");
        return;
    }
    let w = Workdir::new();
    let mut cases: Vec<(String, PathBuf)> = expected()
        .into_keys()
        .map(|f| (f.clone(), project(&format!("tests/fixtures/hostile/{f}"))))
        .collect();
    // Zip bombs inflating to 4 GB: sizes declared honestly (refused from
    // the directory), declared as 1,000 bytes (the read stops there), and
    // declared as 190 MB, under the 200 MB limit (the streamed scan stops
    // at its 16 MB window). And a sheet of 2,000,000 rows, declared
    // honestly: the pre-scan stops counting at row 5,001.
    let m = handzip::MATCHES_4_GB;
    let real = (m * 258 + 1) as u32;
    for (name, declared) in [
        ("bomb_4gb_declared.xlsx", real),
        ("bomb_4gb_lying.xlsx", 1000),
        ("bomb_4gb_190mb.xlsx", 190 << 20),
    ] {
        let p = w.path(name);
        std::fs::write(&p, handzip::bomb_xlsx(m, declared)).unwrap();
        cases.push((name.to_string(), p));
    }
    let p = w.path("rows_bomb.xlsx");
    write_rows_bomb(&p, 2_000_000);
    cases.push(("rows_bomb.xlsx".to_string(), p));
    let exe = std::env::current_exe().unwrap();
    println!(
        "{:<28} {:>9} {:>9} {:>10} {:>10}  codes",
        "file", "ms", "cpu ms", "base MB", "peak MB"
    );
    for (name, path) in &cases {
        let o = Command::new(&exe)
            .args([
                "hostile::measure_one_read",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("HUIZONG_MEASURE_FILE", path)
            .output()
            .unwrap();
        let out = stdout(&o);
        let line = out
            .lines()
            .find_map(|l| l.find("MEASURE ").map(|i| &l[i..]))
            .unwrap_or_else(|| panic!("{name}: no measurement: {out}{}", stderr(&o)));
        let field = |k: &str| -> String {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_string()
        };
        let ms: f64 = field("ms").parse().unwrap();
        let cpu: f64 = field("cpu_ms").parse().unwrap();
        let base: f64 = field("base_kib").parse::<f64>().unwrap() / 1024.0;
        let peak: f64 = field("peak_kib").parse::<f64>().unwrap() / 1024.0;
        let codes = field("codes");
        println!("{name:<28} {ms:>9.1} {cpu:>9.1} {base:>10.1} {peak:>10.1}  {codes}");
        // A debug build: under a second of work, and the file itself (at
        // most 20 MB) and the pre-scan's small buffers in memory, never a
        // part inflated whole. The wall clock only guards against a hang:
        // the other tests of this binary share the machine meanwhile.
        assert!(cpu < 1000.0, "{name}: {cpu} ms of CPU");
        assert!(ms < 5000.0, "{name}: {ms} ms");
        assert!(peak < 50.0, "{name}: peak {peak} MB");
        if name.starts_with("bomb_") || name == "rows_bomb.xlsx" {
            assert_eq!(codes, "S06", "{name}");
        }
    }
}
