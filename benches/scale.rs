//! Scale benchmark (issue 6): generate workspaces of N townships, time
//! `huizong consolidate` end to end in release, and beside it the floor — the
//! least any tool must do on the same files: open every return with calamine
//! touching every cell (rayon over files), and write as many cells as the
//! output workbooks hold with rust_xlsxwriter in constant-memory mode at zip
//! level 3. Beside each clean workspace, a month with findings (every
//! township with catalogue warnings, every seventh with an error, so every
//! township gets a feedback workbook) is timed too. Prints figures (each
//! the fastest of three runs, the clean run, the run with findings and the
//! floor taking turns; one run past N = 10,000, clean only; and the stages
//! of the fastest runs as `--timings` gives them); asserts nothing about
//! time. The floor runs in this process with the tool's own allocator
//! (the library sets it), so both sides allocate alike.
//!
//! cargo bench --bench scale                 # N = 20, 500, 2500
//! cargo bench --bench scale -- 20           # just N = 20 (CI smoke test)
//! cargo bench --bench scale -- --big        # also N = 38000

use calamine::{open_workbook_auto, Data, Reader};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![20, 500, 2500];
    }
    if args.iter().any(|a| a == "--big") {
        sizes.push(38_000);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    // Each run writes into a folder of its own, removed when the bench
    // ends: a run started right after hundreds of files were deleted would
    // pay for the file system (ext4 passes over recently freed inodes when
    // it makes a file: 4 % of a findings run), which is the bench's doing,
    // not consolidate's.
    let outs = root.join("runs");
    let _ = std::fs::remove_dir_all(&outs);
    let mut run_no = 0;
    let mut next_out = || {
        run_no += 1;
        outs.join(run_no.to_string())
    };
    let mut clean_rows = Vec::new();
    let mut findings_rows = Vec::new();
    for n in sizes {
        let ws = workspace(&root, n, false);
        // The month in which every township has findings and gets a
        // feedback workbook (past 10,000 townships: the clean case only).
        let wsf = (n <= BIG_N).then(|| workspace(&root, n, true));
        // The machine is shared and its speed drifts: each figure is the
        // fastest of RUNS runs (one run past BIG_N: a run takes minutes),
        // each started with no unwritten files pending.
        let runs = if n > BIG_N { 1 } else { RUNS };
        let returns = returns_of(&ws);
        let returns_f = wsf.as_deref().map(returns_of).unwrap_or_default();
        let mut clean = Best::default();
        let mut with_findings = Best::default();
        let (mut read_floor, mut write_floor, mut cells) = (f64::INFINITY, f64::INFINITY, 0);
        let mut written = 0;
        let mut feedback = 0;
        // The clean run, the run with findings and the floor take turns, so
        // that a slower or faster spell of the machine falls on all alike.
        // Each run starts with its files just read into the page cache:
        // some machines drop cached files within seconds, and a run that
        // found its files cold would be timing the disk.
        for _ in 0..runs {
            let out = next_out();
            warm(&ws, &returns);
            clean.add(consolidate(&ws, &out));
            if written == 0 {
                written = output_cells(&out);
            }
            if let Some(f) = &wsf {
                let out = next_out();
                warm(f, &returns_f);
                with_findings.add(consolidate(f, &out));
                feedback = std::fs::read_dir(out.join("反馈")).map_or(0, |d| d.count());
            }
            settle();
            warm(&ws, &returns);
            let (r, c) = read_floor_of(&returns);
            (read_floor, cells) = (read_floor.min(r), c);
            settle();
            write_floor = write_floor.min(write_floor_of(written));
        }
        let floor = read_floor + write_floor;
        clean_rows.push(format!(
            "| {n} | {} | {:.2} | {:.0} | {:.0} | {floor:.2}({read_floor:.2}+{write_floor:.2}) | {:.2} |",
            returns.len(),
            clean.wall,
            clean.peak_mb,
            returns.len() as f64 / clean.wall,
            clean.wall / floor
        ));
        eprintln!("  N={n}: 输入 {cells} 个单元格,输出 {written} 个单元格;无问题最快一次的各阶段:");
        for line in clean.stages.lines() {
            eprintln!("    {line}");
        }
        if wsf.is_some() {
            findings_rows.push(format!(
                "| {n} | {:.2} | {:.0} | {:.2} | {:.0} | {feedback} | {:.2} | {:.2} |",
                clean.wall,
                clean.peak_mb,
                with_findings.wall,
                with_findings.peak_mb,
                with_findings.wall / clean.wall,
                with_findings.peak_mb / clean.peak_mb
            ));
            eprintln!("  N={n}: 有问题最快一次的各阶段:");
            for line in with_findings.stages.lines() {
                eprintln!("    {line}");
            }
        }
    }
    println!("| 乡镇数 N | 报表数 | 用时(秒) | 峰值内存(MB) | 报表/秒 | 下限(秒):读取+写出 | 为下限的倍数 |");
    println!("|---|---|---|---|---|---|---|");
    for r in clean_rows {
        println!("{r}");
    }
    println!();
    println!("| 乡镇数 N | 无问题:用时(秒) | 峰值(MB) | 有问题:用时(秒) | 峰值(MB) | 反馈工作簿 | 用时倍数 | 峰值倍数 |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in findings_rows {
        println!("{r}");
    }
    let _ = std::fs::remove_dir_all(&outs);
}

/// A workspace of `n` townships (with findings in June, or clean), made
/// the first time it is asked for.
fn workspace(root: &Path, n: usize, findings: bool) -> PathBuf {
    let ws = root.join(if findings {
        format!("ws_{n}_findings")
    } else {
        format!("ws_{n}")
    });
    let marker = ws.join(".generated");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&ws);
        let t = Instant::now();
        huizong::kit::samples::generate_with(&ws, Some(n), 2024, findings)
            .expect("generate workspace");
        std::fs::write(&marker, b"ok").unwrap();
        eprintln!(
            "生成 {} 用时 {:.1} 秒",
            ws.display(),
            t.elapsed().as_secs_f64()
        );
    }
    ws
}

/// Both months' returns of a workspace.
fn returns_of(ws: &Path) -> Vec<PathBuf> {
    ["2024-05", "2024-06"]
        .iter()
        .flat_map(|m| huizong::read::spreadsheet_files(&ws.join(m)).unwrap())
        .collect()
}

/// The fastest run so far: its wall time and stages; the highest peak.
struct Best {
    wall: f64,
    peak_mb: f64,
    stages: String,
}

impl Default for Best {
    fn default() -> Best {
        Best {
            wall: f64::INFINITY,
            peak_mb: 0.0,
            stages: String::new(),
        }
    }
}

impl Best {
    fn add(&mut self, (took, peak, stages): (f64, f64, String)) {
        self.peak_mb = self.peak_mb.max(peak);
        if took < self.wall {
            self.wall = took;
            self.stages = stages;
        }
    }
}

/// One `consolidate --timings` of `ws` into the new folder `out`, from a
/// settled disk: (seconds, peak MB, what it printed).
fn consolidate(ws: &Path, out: &Path) -> (f64, f64, String) {
    settle();
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args([
            "consolidate",
            ws.to_str().unwrap(),
            "--period",
            "2024-06",
            "--quiet",
            "--timings",
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .expect("run huizong");
    let took = t.elapsed().as_secs_f64();
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let peak = reported_peak_mb(&err).unwrap_or_else(children_peak_rss_mb);
    (took, peak, err)
}

/// Runs per figure; the fastest one counts.
const RUNS: usize = 3;
/// Sizes above this are timed once.
const BIG_N: usize = 10_000;

/// Read every input file once, so that it is in the page cache.
fn warm(ws: &Path, returns: &[PathBuf]) {
    for p in returns
        .iter()
        .cloned()
        .chain(["roster.xlsx", "county_scores.xlsx"].map(|f| ws.join(f)))
    {
        let _ = std::fs::read(p);
    }
}

/// Let the system write out files still pending from the run before, so
/// that the next timing does not pay for them.
fn settle() {
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// The peak resident memory consolidate reports for itself (`--timings`
/// reads its VmHWM), in MB. Preferred to the children's `ru_maxrss`: Linux
/// carries the spawning process's own high-water mark into a child's at
/// `exec`, so after the bench generated a workspace in-process every child
/// would be reported at least as large as the bench (N = 500 showed 137 MB
/// for a run whose own peak was 80 MB).
fn reported_peak_mb(stderr: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("峰值内存:"))
        .and_then(|rest| rest.strip_suffix(" MB"))
        .and_then(|mb| mb.trim().parse().ok())
}

/// Peak resident memory of the largest child process so far, in MB.
fn children_peak_rss_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc == 0 {
        usage.ru_maxrss as f64 / 1024.0
    } else {
        f64::NAN
    }
}

/// Open every return with calamine and touch every cell, rayon over files.
fn read_floor_of(files: &[PathBuf]) -> (f64, usize) {
    let t = Instant::now();
    let cells: usize = files
        .par_iter()
        .map(|p| {
            let Ok(mut wb) = open_workbook_auto(p) else {
                return 0;
            };
            let mut n = 0;
            for name in wb.sheet_names() {
                if let Ok(range) = wb.worksheet_range(&name) {
                    n += range
                        .used_cells()
                        .filter(|(_, _, v)| !matches!(v, Data::Empty))
                        .count();
                }
            }
            n
        })
        .sum();
    (t.elapsed().as_secs_f64(), cells)
}

/// Cells in the workbooks the run wrote (county and tier workbooks).
fn output_cells(out: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(out).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "xlsx") {
            let mut wb = open_workbook_auto(&p).unwrap();
            for name in wb.sheet_names() {
                if let Ok(range) = wb.worksheet_range(&name) {
                    n += range.used_cells().count();
                }
            }
        }
    }
    n
}

/// Write `cells` cells (a mix of numbers and short text, 20 columns wide)
/// in constant-memory mode at zip level 3.
fn write_floor_of(cells: usize) -> f64 {
    let t = Instant::now();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.set_zip_compression_level(3);
    let mut remaining = cells;
    while remaining > 0 {
        let ws = wb.add_worksheet_with_constant_memory().unwrap();
        let rows = (remaining / 20).clamp(1, 1_000_000);
        for r in 0..rows as u32 {
            for c in 0..20u16 {
                if c % 4 == 0 {
                    ws.write_string(r, c, "990101101201").unwrap();
                } else {
                    ws.write_number(r, c, (r as f64) * 1.5 + c as f64).unwrap();
                }
            }
        }
        remaining = remaining.saturating_sub(rows * 20);
    }
    let path = std::env::temp_dir().join(format!("huizong_floor_{}.xlsx", std::process::id()));
    wb.save(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    t.elapsed().as_secs_f64()
}
