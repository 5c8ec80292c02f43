//! Mutation test: a few hundred damaged copies of the sample returns (and
//! of the LibreOffice .xls/.ods fixtures), made deterministically from a
//! seeded generator — truncated at many offsets, bytes flipped in the zip
//! and in the inflated XML, parts removed or duplicated, XML made malformed,
//! numbers replaced by `1e400`, `NaN`, `-0`, `99999999999999999999999`,
//! `Infinity`, shared-string indexes out of range — each read and checked
//! through the library (no process per file). Each must either read
//! (possibly with findings) or give S01/S06; never a panic (neither one that
//! escapes nor one that `catch_unwind` stops inside the reader), never a
//! hang (each under 5 s), never a broken invariant; every third that reads
//! is also written back as its feedback workbook.

use crate::common::project;
use crate::mutate::{self, Kind, HOSTILE_NUMBERS};
use huizong::finding::{Code, Level};
use huizong::kit::demo::Rng;
use huizong::model::Loaded;
use huizong::policy::Policy;
use huizong::read::normalise::Period;
use huizong::read::{self, ReadPath};
use huizong::rules::{self, Context};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const JUNE: Period = Period {
    year: 2024,
    month: 6,
};
/// Longest one mutant may take (debug build, loaded machine).
const PER_FILE: Duration = Duration::from_secs(5);
/// Longest the test waits for any result before calling it a hang.
const HANG: Duration = Duration::from_secs(60);

struct Mutant {
    /// The seed file's name (its extension matters to the reader).
    seed: String,
    how: String,
    bytes: Vec<u8>,
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let dir = project("samples/示范县/2024-06");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    files.sort();
    for p in files {
        out.push((read::display_name(&p), std::fs::read(&p).unwrap()));
    }
    for f in ["lo_saved.xls", "lo_saved.ods"] {
        out.push((
            f.to_string(),
            std::fs::read(project(&format!("tests/fixtures/lo/{f}"))).unwrap(),
        ));
    }
    out
}

/// Every mutant, in a fixed order: per seed, truncations at fixed offsets,
/// each kind of damage once, the five named numbers, then random stacks.
fn mutants() -> Vec<Mutant> {
    let mut out = Vec::new();
    for (k, (seed, bytes)) in seeds().into_iter().enumerate() {
        let mut rng = Rng::new(0x6D75_7461_6E74 + k as u64);
        let len = bytes.len();
        let mut offsets: Vec<usize> = vec![0, 1, 2, 4, 30, 100, 1000];
        offsets.extend((1..8).map(|i| len * i / 8));
        offsets.extend([len.saturating_sub(100), len.saturating_sub(22), len - 1]);
        offsets.retain(|o| *o < len);
        offsets.sort();
        offsets.dedup();
        for o in offsets {
            out.push(Mutant {
                seed: seed.clone(),
                how: format!("truncate@{o}"),
                bytes: bytes[..o].to_vec(),
            });
        }
        let kind = mutate::kind(&bytes);
        for op in mutate::ops_for(kind) {
            if let Some(b) = (op.run)(&mut rng, &bytes) {
                out.push(Mutant {
                    seed: seed.clone(),
                    how: op.name.to_string(),
                    bytes: b,
                });
            }
        }
        if kind == Kind::Zip {
            for n in &HOSTILE_NUMBERS[..5] {
                if let Some(b) = mutate::with_number(&mut rng, &bytes, n) {
                    out.push(Mutant {
                        seed: seed.clone(),
                        how: format!("number {n}"),
                        bytes: b,
                    });
                }
            }
        }
        for _ in 0..8 {
            if let Some((names, b)) = mutate::mutate(&mut rng, &bytes) {
                out.push(Mutant {
                    seed: seed.clone(),
                    how: names.join("+"),
                    bytes: b,
                });
            }
        }
    }
    out
}

/// How one mutant ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The pre-scan refused it: S01 or S06.
    Refused(String),
    /// calamine refused it: S01.
    OpenFailed,
    /// Read; a fatal finding (S02/S03/C01–C03) keeps it out.
    ReadFatal,
    /// Read and checked, with or without findings.
    Read,
}

/// Read and check one mutant; `Err` says what went wrong.
fn run_one(
    m: &Mutant,
    policy: &Policy,
    previous: Option<&huizong::model::Return>,
    feedback: bool,
) -> Result<Outcome, String> {
    let (mut loaded, path) =
        read::read_bytes_traced(&m.seed, Path::new(&m.seed), &m.bytes, policy, Some(JUNE));
    if path == ReadPath::Panicked {
        return Err(
            "calamine panicked (stopped by catch_unwind): the pre-scan should refuse this file"
                .into(),
        );
    }
    let ctx = Context {
        policy,
        office_code: Some("990101"),
        roster: None,
        previous,
        placements: None,
    };
    rules::check_loaded(&mut loaded, &ctx);
    check_invariants(&loaded, path)?;
    // The township's feedback workbook can always be written.
    if feedback && path == ReadPath::Read {
        let input = huizong::write::feedback::FeedbackInput {
            raw: &loaded.raw,
            ret: loaded.ret.as_ref(),
            findings: &loaded.findings,
            title: &m.seed,
            period: Some(JUNE),
            policy,
        };
        huizong::write::feedback::build(&input)
            .and_then(|mut wb| wb.save_to_buffer())
            .map_err(|e| format!("feedback workbook: {e}"))?;
    }
    Ok(match path {
        ReadPath::Refused => Outcome::Refused(loaded.findings[0].code.as_str().to_string()),
        ReadPath::OpenFailed => Outcome::OpenFailed,
        _ if loaded.ret.is_none() => Outcome::ReadFatal,
        _ => Outcome::Read,
    })
}

fn check_invariants(l: &Loaded, path: ReadPath) -> Result<(), String> {
    let codes: Vec<&str> = l.findings.iter().map(|f| f.code.as_str()).collect();
    if l.findings.iter().any(|f| f.message.trim().is_empty()) {
        return Err(format!("a finding without a message: {codes:?}"));
    }
    match path {
        ReadPath::Refused | ReadPath::OpenFailed => {
            let ok = l.findings.len() == 1
                && matches!(l.findings[0].code, Code::S01 | Code::S06)
                && l.findings[0].level == Level::Fatal
                && l.ret.is_none()
                && l.findings[0].cell.is_none();
            if !ok {
                return Err(format!(
                    "a refused file must have exactly one S01/S06, blank anchor: {codes:?}"
                ));
            }
        }
        ReadPath::Read => {
            let fatal = l.findings.iter().any(|f| f.level == Level::Fatal);
            if fatal != l.ret.is_none() {
                return Err(format!("fatal finding ⇔ no return broken: {codes:?}"));
            }
            if fatal
                && !codes
                    .iter()
                    .all(|c| c.starts_with('S') || matches!(*c, "C01" | "C02" | "C03"))
            {
                return Err(format!("a fatal file keeps only S and C01–C03: {codes:?}"));
            }
            if l.findings.iter().any(|f| *f.file != *l.file) {
                return Err("a finding not stamped with its file".into());
            }
        }
        ReadPath::Own => {
            if !l.findings.is_empty() || l.own_output.is_none() {
                return Err(format!(
                    "the tool's own workbook has no findings: {codes:?}"
                ));
            }
        }
        ReadPath::Panicked => unreachable!(),
    }
    Ok(())
}

#[test]
fn damaged_returns_read_or_give_s01_s06_never_panic_or_hang() {
    let start = Instant::now();
    let mutants = Arc::new(mutants());
    let n = mutants.len();
    assert!(n >= 300, "only {n} mutants");
    let policy = Arc::new(Policy::default_rules());
    // The undamaged returns, as the previous period (H rules see the damage).
    let previous: Arc<BTreeMap<String, huizong::model::Return>> = Arc::new(
        seeds()
            .into_iter()
            .filter_map(|(name, bytes)| {
                let l = read::read_bytes(&name, Path::new(&name), &bytes, &policy, None);
                l.ret.map(|r| (name, r))
            })
            .collect(),
    );

    // Workers take mutants in turn; this thread waits for their results, so
    // a hang fails the test (the stuck worker is left behind) instead of
    // stopping it forever.
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    for _ in 0..workers {
        let (mutants, policy, previous, next, tx) = (
            mutants.clone(),
            policy.clone(),
            previous.clone(),
            next.clone(),
            tx.clone(),
        );
        std::thread::spawn(move || loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(m) = mutants.get(i) else { break };
            let _ = tx.send((i, None));
            let t = Instant::now();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_one(m, &policy, previous.get(&m.seed), i % 3 == 0)
            }))
            .unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panic escaped: {msg}"))
            });
            let _ = tx.send((i, Some((r, t.elapsed()))));
        });
    }
    drop(tx);

    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, 0usize);
    let mut in_flight = std::collections::BTreeSet::new();
    let mut done = 0;
    while done < n {
        match rx.recv_timeout(HANG) {
            Ok((i, None)) => {
                in_flight.insert(i);
            }
            Ok((i, Some((r, took)))) => {
                in_flight.remove(&i);
                done += 1;
                if took > slowest.0 {
                    slowest = (took, i);
                }
                match r {
                    Ok(o) if took <= PER_FILE => {
                        if std::env::var_os("HUIZONG_MUTATION_VERBOSE").is_some() {
                            println!(
                                "  #{i} {} [{}]: {o:?} in {took:?}",
                                mutants[i].seed, mutants[i].how
                            );
                        }
                        *counts.entry(o).or_default() += 1
                    }
                    Ok(_) => failures.push((i, format!("took {took:?}"))),
                    Err(e) => failures.push((i, e)),
                }
            }
            Err(_) => {
                for i in &in_flight {
                    failures.push((*i, format!("no result after {HANG:?}: a hang")));
                }
                break;
            }
        }
    }

    let m = &mutants[slowest.1];
    println!(
        "mutation: {n} mutants from {} seeds in {:.1?} on {workers} threads; slowest {:?} ({} {})",
        seeds().len(),
        start.elapsed(),
        slowest.0,
        m.seed,
        m.how
    );
    for (o, c) in &counts {
        println!("  {o:?}: {c}");
    }
    println!("  failures: {}", failures.len());
    if !failures.is_empty() {
        let dir = std::env::temp_dir().join("huizong-mutants");
        std::fs::create_dir_all(&dir).unwrap();
        let mut report = String::new();
        for (i, why) in &failures {
            let m = &mutants[*i];
            let path = dir.join(format!("mutant-{i}-{}", m.seed));
            std::fs::write(&path, &m.bytes).unwrap();
            report.push_str(&format!(
                "\n#{i} {} [{}]: {why}\n    saved as {}",
                m.seed,
                m.how,
                path.display()
            ));
        }
        panic!("{} of {n} mutants failed:{report}", failures.len());
    }
    // Every path was taken: the damage reaches past the pre-scan.
    assert!(counts
        .keys()
        .any(|o| matches!(o, Outcome::Refused(c) if c == "S01")));
    assert!(counts.contains_key(&Outcome::Read), "{counts:?}");
}
