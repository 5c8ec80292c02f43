//! A fuzzer for the return reader that runs on the stable toolchain
//! (cargo-fuzz needs nightly): random, coverage-free damage to seed files
//! (the sample returns, the LibreOffice and hostile fixtures, earlier
//! crashes), each read by `huizong::read::read_bytes_traced`, checked by
//! the rules, and now and then written back as a feedback workbook.
//!
//! ```text
//! cargo run --release --example fuzz_reader -- --seconds 300
//!     [--jobs N] [--seed S] [--timeout SECS] [--out tests/fixtures/fuzz_crashes]
//! ```
//!
//! It runs N worker processes (one per core by default), each under a 4 GB
//! address-space limit, so that an allocation the file provokes aborts the
//! worker instead of the machine. A worker stops at the first failure: a
//! panic (one that escapes, or one that `catch_unwind` stopped inside
//! calamine), a file that takes longer than `--timeout` (default 10 s), a
//! feedback workbook that cannot be built, or an abort. The input is then
//! saved under `--out` and the fuzzer exits with status 1.
//!
//! The damage is the mutation test's (`tests/it/mutate.rs`): a run is
//! repeatable from its seed, up to timing.

#[path = "../tests/it/mutate.rs"]
mod mutate;

use huizong::kit::demo::Rng;
use huizong::policy::Policy;
use huizong::read::{self, ReadPath};
use huizong::rules::{self, Context};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    seconds: u64,
    jobs: usize,
    seed: u64,
    timeout: u64,
    out: PathBuf,
    worker: Option<usize>,
}

fn usage() -> ! {
    eprintln!(
        "用法:cargo run --release --example fuzz_reader -- [--seconds N] [--jobs N] [--seed S] [--timeout 秒] [--out 文件夹]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        seconds: 60,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seed: 1,
        timeout: 10,
        out: root.join("tests/fixtures/fuzz_crashes"),
        worker: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--seconds" => a.seconds = value().parse().unwrap_or_else(|_| usage()),
            "--jobs" => a.jobs = value().parse().unwrap_or_else(|_| usage()),
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage()),
            "--timeout" => a.timeout = value().parse().unwrap_or_else(|_| usage()),
            "--out" => a.out = PathBuf::from(value()),
            "--worker" => a.worker = Some(value().parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    a.jobs = a.jobs.max(1);
    a
}

/// Where the workers keep the input they are on (read back after an abort).
fn state_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz_reader")
}

fn main() {
    let args = parse_args();
    match args.worker {
        Some(k) => worker(&args, k),
        None => supervise(&args),
    }
}

// ------------------------------------------------------------ supervisor

fn supervise(args: &Args) {
    let state = state_dir();
    std::fs::create_dir_all(&state).expect("state folder");
    let exe = std::env::current_exe().expect("own path");
    println!(
        "fuzz_reader: {} s, {} worker(s), seed {}, timeout {} s",
        args.seconds, args.jobs, args.seed, args.timeout
    );
    let started = Instant::now();
    let children: Vec<_> = (0..args.jobs)
        .map(|k| {
            // 4 GB of address space: a runaway allocation aborts the worker.
            let child = Command::new("sh")
                .arg("-c")
                .arg("ulimit -v 4194304 2>/dev/null; exec \"$0\" \"$@\"")
                .arg(&exe)
                .args(["--worker", &k.to_string()])
                .args(["--seconds", &args.seconds.to_string()])
                .args([
                    "--seed",
                    &(args.seed.wrapping_add(k as u64 * 7919)).to_string(),
                ])
                .args(["--timeout", &args.timeout.to_string()])
                .spawn()
                .expect("start worker");
            (k, child)
        })
        .collect();
    let mut failed = Vec::new();
    for (k, mut child) in children {
        let status = child.wait().expect("wait for worker");
        if !status.success() {
            failed.push((k, status));
        }
    }
    let mut saved = Vec::new();
    for (k, status) in &failed {
        let input = state.join(format!("current-{k}.bin"));
        let name = std::fs::read_to_string(state.join(format!("current-{k}.name")))
            .unwrap_or_else(|_| "unknown.xlsx".into());
        match std::fs::read(&input) {
            Ok(bytes) => {
                std::fs::create_dir_all(&args.out).expect("crash folder");
                let ext = Path::new(name.trim())
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "bin".into());
                let path = args.out.join(format!("crash-{:016x}.{ext}", fnv(&bytes)));
                std::fs::write(&path, &bytes).expect("save crash");
                eprintln!(
                    "worker {k} failed ({status}) on a damaged copy of {}: saved as {}",
                    name.trim(),
                    path.display()
                );
                saved.push(path);
            }
            Err(_) => eprintln!("worker {k} failed ({status}) before its first input"),
        }
    }
    for k in 0..args.jobs {
        let _ = std::fs::remove_file(state.join(format!("current-{k}.bin")));
        let _ = std::fs::remove_file(state.join(format!("current-{k}.name")));
    }
    println!(
        "fuzz_reader: {} worker(s) done in {:.0?}; {} failure(s)",
        args.jobs,
        started.elapsed(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

/// FNV-1a, for crash file names.
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------- worker

fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "samples/示范县/2024-05",
        "samples/示范县/2024-06",
        "tests/fixtures/lo",
        "tests/fixtures/hostile",
        "tests/fixtures/fuzz_crashes",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for p in files {
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !read::RETURN_EXTENSIONS.contains(&ext.as_str()) {
                continue;
            }
            if let Ok(b) = std::fs::read(&p) {
                if b.len() <= 1 << 20 {
                    out.push((read::display_name(&p), b));
                }
            }
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    execs: u64,
    refused: u64,
    open_failed: u64,
    read: u64,
    fatal: u64,
    feedback: u64,
}

fn fail(what: &str, name: &str, how: &[&str]) -> ! {
    eprintln!("FAILURE: {what} — damaged {name} [{}]", how.join("+"));
    std::process::exit(1)
}

fn worker(args: &Args, k: usize) {
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no seed files found");
    let policy = Policy::default_rules();
    let state = state_dir();
    let input_path = state.join(format!("current-{k}.bin"));
    let name_path = state.join(format!("current-{k}.name"));
    let mut rng = Rng::new(args.seed);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);

    // Watchdog: an input that takes longer than the timeout is a hang.
    let epoch = Instant::now();
    let busy_since = Arc::new(AtomicU64::new(0));
    {
        let busy_since = busy_since.clone();
        let timeout = args.timeout * 1000;
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let since = busy_since.load(Ordering::SeqCst);
            let now = epoch.elapsed().as_millis() as u64 + 1;
            if since != 0 && now - since > timeout {
                eprintln!("FAILURE: no result after {} s (a hang)", timeout / 1000);
                std::process::exit(1);
            }
        });
    }

    // Inputs that got past the pre-scan: damaged further, they reach deeper.
    let mut pool: Vec<(String, Vec<u8>)> = Vec::new();
    let mut t = Tally::default();
    while Instant::now() < deadline {
        let (name, base) = if !pool.is_empty() && rng.chance(40) {
            pool[(rng.next() % pool.len() as u64) as usize].clone()
        } else {
            seeds[(rng.next() % seeds.len() as u64) as usize].clone()
        };
        let Some((how, bytes)) = mutate::mutate(&mut rng, &base) else {
            continue;
        };
        // Kept on disk for the supervisor, should this process abort.
        let _ = std::fs::write(&input_path, &bytes);
        let _ = std::fs::write(&name_path, &name);

        busy_since.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (mut loaded, path) =
                read::read_bytes_traced(&name, Path::new(&name), &bytes, &policy, None);
            if path == ReadPath::Panicked {
                return Err("calamine panicked inside catch_unwind");
            }
            let ctx = Context {
                policy: &policy,
                office_code: Some("990101"),
                roster: None,
                previous: None,
                placements: None,
            };
            rules::check_loaded(&mut loaded, &ctx);
            let built = path == ReadPath::Read && t.read % 16 == 0;
            if built {
                let wb =
                    huizong::write::feedback::build(&huizong::write::feedback::FeedbackInput {
                        raw: &loaded.raw,
                        ret: loaded.ret.as_ref(),
                        findings: &loaded.findings,
                        title: "模糊测试",
                        period: None,
                        policy: &policy,
                    });
                match wb.map(|mut wb| wb.save_to_buffer()) {
                    Ok(Ok(_)) => {}
                    _ => return Err("the feedback workbook could not be built"),
                }
            }
            Ok((path, loaded.ret.is_some(), built))
        }));
        busy_since.store(0, Ordering::SeqCst);
        t.execs += 1;
        match result {
            Ok(Ok((path, has_return, built))) => {
                match path {
                    ReadPath::Refused => t.refused += 1,
                    ReadPath::OpenFailed => t.open_failed += 1,
                    _ => {
                        t.read += 1;
                        if !has_return {
                            t.fatal += 1;
                        }
                        if pool.len() < 256 {
                            pool.push((name.clone(), bytes.clone()));
                        } else {
                            let i = (rng.next() % 256) as usize;
                            pool[i] = (name.clone(), bytes.clone());
                        }
                    }
                }
                if built {
                    t.feedback += 1;
                }
            }
            Ok(Err(what)) => fail(what, &name, &how),
            Err(_) => fail("a panic escaped", &name, &how),
        }
        if t.execs % 5000 == 0 {
            eprintln!("worker {k}: {} inputs", t.execs);
        }
    }
    println!(
        "worker {k}: {} inputs — refused by the pre-scan {}, calamine error {}, read {} (fatal {}), feedback workbooks {}",
        t.execs, t.refused, t.open_failed, t.read, t.fatal, t.feedback
    );
}
