//! Parallel ingest: every return of a period read and checked on a rayon
//! pool, files in sorted order and results collected in that order, so no
//! output depends on thread timing.

use crate::batch::{self, Batch, Expected};
use crate::model::{Loaded, Return};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::{self, Context, Roster};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Read files in parallel; `tick` is called once per file read. `early`,
/// when given, sees each file with its cells (`Loaded::raw`) before they
/// are dropped, and says whether it has left the file's findings complete
/// (checked as [`check_and_decide`] would).
pub(crate) fn read_files(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    policy: &Policy,
    period: Option<Period>,
    tick: &(dyn Fn() + Sync),
    early: Option<&(dyn Fn(&mut Loaded) -> bool + Sync)>,
) -> Vec<(Loaded, bool)> {
    in_turn(pool, paths, |p| {
        let read = match early {
            Some(see) => {
                let mut l = crate::read::read_file(p, policy, period);
                let checked = see(&mut l);
                l.raw = Default::default();
                (l, checked)
            }
            None => (crate::read::read_file_lean(p, policy, period), false),
        };
        tick();
        read
    })
}

/// Read a previous period's files in parallel, each return cut to what
/// the comparisons with it need ([`Return::keep_for_comparison`]) as soon
/// as it is read, so a province's two months are never whole in memory
/// together.
pub(crate) fn read_previous_files(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    policy: &Policy,
    tick: &(dyn Fn() + Sync),
) -> Vec<Loaded> {
    in_turn(pool, paths, |p| {
        let mut loaded = crate::read::read_file_lean(p, policy, None);
        if let Some(ret) = &mut loaded.ret {
            ret.keep_for_comparison();
        }
        tick();
        loaded
    })
}

/// How many files ahead of the readers the system is asked to read: enough
/// to keep a disk busy while the files before them are parsed, few enough
/// that a small machine still has them cached when their turn comes.
const READ_AHEAD: usize = 32;

/// `work` on every path on `pool`, the results in `paths` order. Each
/// worker takes the next file in turn, so the files are read in order
/// and the system can be asked for each file [`READ_AHEAD`] files before
/// its turn: returns that are not cached come from the disk while the
/// ones before them are parsed, instead of a reader waiting on each.
fn in_turn<T: Send + Sync>(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    work: impl Fn(&Path) -> T + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;
    for p in paths.iter().take(READ_AHEAD) {
        crate::read::read_soon(p);
    }
    let next = AtomicUsize::new(0);
    // One slot per file, filled by whichever worker took it: the results
    // are never gathered or sorted in a second copy.
    let slots: Vec<OnceLock<T>> = paths.iter().map(|_| OnceLock::new()).collect();
    pool.broadcast(|_| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let (Some(p), Some(slot)) = (paths.get(i), slots.get(i)) else {
            break;
        };
        if let Some(ahead) = paths.get(i + READ_AHEAD) {
            crate::read::read_soon(ahead);
        }
        let _ = slot.set(work(p));
    });
    // Each index is taken exactly once and a worker that panicked has
    // ended the call above, so every slot is filled.
    slots
        .into_iter()
        .map(|s| s.into_inner().expect("every file's slot is filled"))
        .collect()
}

/// The previous period as the rules see it: per township, the return that
/// period would have used (latest 填报日期, even with errors); a township
/// whose file was unreadable, or tied (Y03), gives no baseline.
pub(crate) fn baselines(previous: &Batch) -> BTreeMap<String, &Return> {
    previous
        .townships
        .iter()
        .filter_map(|t| {
            let i = t.judged?;
            let ret = previous.files[i].loaded.ret.as_ref()?;
            Some((t.code.clone(), ret))
        })
        .collect()
}

/// Everything a period's consolidation needs besides the files.
pub(crate) struct Setup<'a> {
    pub policy: &'a Policy,
    pub office_code: &'a str,
    pub roster: Option<&'a Roster>,
    pub period: Period,
    pub include_errors: bool,
}

impl Setup<'_> {
    /// Whether the rules look at where the period's other returns place a
    /// village ([`Context::placements`]): only without a roster, for V06.
    /// Otherwise a file can be checked on its own as soon as it is read.
    pub(crate) fn placements_matter(&self) -> bool {
        self.roster.is_none()
    }

    /// What the rules see beside `loaded`: its township's baseline, and
    /// where the other returns place each village (when known).
    pub(crate) fn context<'x>(
        &'x self,
        loaded: &Loaded,
        baselines: &'x BTreeMap<String, &'x Return>,
        placements: Option<&'x rules::Placements>,
    ) -> Context<'x> {
        Context {
            policy: self.policy,
            office_code: Some(self.office_code),
            roster: self.roster,
            previous: loaded
                .township_code()
                .and_then(|c| baselines.get(c))
                .copied(),
            placements,
        }
    }
}

/// Run the single-return rules over every file not yet checked (in
/// parallel), then decide the period's statuses (Y01/Y03).
pub(crate) fn check_and_decide(
    pool: &rayon::ThreadPool,
    files: Vec<(Loaded, bool)>,
    setup: &Setup,
    expected: &[Expected],
    baselines: &BTreeMap<String, &Return>,
) -> Batch {
    let placements = rules::placements(files.iter().map(|(l, _)| l));
    let mut files = files;
    pool.install(|| {
        files
            .par_iter_mut()
            .filter(|(_, checked)| !checked)
            .for_each(|(loaded, _)| {
                let ctx = setup.context(loaded, baselines, Some(&placements));
                rules::check_loaded(loaded, &ctx);
            })
    });
    let files = files.into_iter().map(|(l, _)| l).collect();
    batch::decide(setup.period, files, expected, setup.include_errors)
}

/// Decide a previous period's batch (no rules needed beyond reading).
pub(crate) fn decide_previous(period: Period, files: Vec<Loaded>, expected: &[Expected]) -> Batch {
    batch::decide(period, files, expected, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files taken in turn come back in the order of the paths, each
    /// exactly once, however many workers and however long each file
    /// takes.
    #[test]
    fn files_taken_in_turn_come_back_in_their_order() {
        let paths: Vec<PathBuf> = (0..150)
            .map(|i| PathBuf::from(format!("/没有/{i:03}.xlsx")))
            .collect();
        for workers in [1, 2, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .unwrap();
            let calls = std::sync::atomic::AtomicUsize::new(0);
            let out = in_turn(&pool, &paths, |p| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let stem = p.file_stem().unwrap().to_str().unwrap();
                let i: usize = stem.parse().unwrap();
                if i.is_multiple_of(7) {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                i
            });
            assert_eq!(out, (0..150).collect::<Vec<_>>(), "{workers} workers");
            assert_eq!(calls.into_inner(), 150, "{workers} workers");
        }
    }
}
