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
use std::path::PathBuf;

/// Read files in parallel; `tick` is called once per file read.
pub(crate) fn read_files(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    policy: &Policy,
    period: Option<Period>,
    tick: &(dyn Fn() + Sync),
) -> Vec<Loaded> {
    read_each(pool, paths, policy, period, tick, |_| {})
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
    read_each(pool, paths, policy, None, tick, |l| {
        if let Some(ret) = &mut l.ret {
            ret.keep_for_comparison();
        }
    })
}

fn read_each(
    pool: &rayon::ThreadPool,
    paths: &[PathBuf],
    policy: &Policy,
    period: Option<Period>,
    tick: &(dyn Fn() + Sync),
    then: impl Fn(&mut Loaded) + Sync,
) -> Vec<Loaded> {
    pool.install(|| {
        paths
            .par_iter()
            .map(|p| {
                let mut loaded = crate::read::read_file_lean(p, policy, period);
                then(&mut loaded);
                tick();
                loaded
            })
            .collect()
    })
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

/// Run the single-return rules over every file (in parallel), then decide
/// the period's statuses (Y01/Y03).
pub(crate) fn check_and_decide(
    pool: &rayon::ThreadPool,
    mut files: Vec<Loaded>,
    setup: &Setup,
    expected: &[Expected],
    baselines: &BTreeMap<String, &Return>,
) -> Batch {
    let placements = rules::placements(files.iter());
    pool.install(|| {
        files.par_iter_mut().for_each(|loaded| {
            let previous = loaded
                .township_code()
                .and_then(|c| baselines.get(c))
                .copied();
            let ctx = Context {
                policy: setup.policy,
                office_code: Some(setup.office_code),
                roster: setup.roster,
                previous,
                placements: Some(&placements),
            };
            rules::check_loaded(loaded, &ctx);
        })
    });
    batch::decide(setup.period, files, expected, setup.include_errors)
}

/// Decide a previous period's batch (no rules needed beyond reading).
pub(crate) fn decide_previous(period: Period, files: Vec<Loaded>, expected: &[Expected]) -> Batch {
    batch::decide(period, files, expected, false)
}
