//! A period's job, stage by stage: ingest (read every return in parallel,
//! check it, decide who is used) → 环比 → rating → the workbooks, written
//! side by side. `consolidate`, `tiers` and the reporting service all run
//! it; they differ only in which workbooks they ask for.

use super::feedback::Early;
use super::plan::Plan;
use super::report::{self, Report};
use crate::batch::{Batch, Expected};
use crate::ingest::{self, Setup};
use crate::model::Loaded;
use crate::rating::{self, TierInput, Tiers};
use crate::scores::CountyScores;
use crate::timings::{timed, Timings};
use crate::write::atomic::{self, Lock};
use crate::write::county::history::{summary_file_name, Meta, SummaryFile};
use crate::write::set::OutputSet;
use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// What a caller sees of a running job. Every method has a default that
/// does nothing, so a caller implements only what it shows.
pub trait Progress: Sync {
    /// Reading starts: `total` files (this period's and the previous).
    fn reading(&self, _total: usize) {}
    /// One more file read.
    fn read_one(&self) {}
    /// Reading is over.
    fn read_done(&self) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// Which workbooks a job writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// The county workbook, the feedback workbooks and, with county scores,
    /// the tier workbook (`huizong consolidate`).
    Consolidate,
    /// The tier workbook only; without county scores, nothing to do
    /// (`huizong tiers`).
    Tiers,
}

/// The period read, checked and decided; nothing written yet.
pub struct Consolidation {
    pub plan: Plan,
    pub batch: Batch,
    pub previous: Option<Batch>,
    /// Reading and checking so far; the later stages add theirs.
    pub timings: Timings,
}

/// Townships expected this period: the roster's, else the previous period's.
fn expected(plan: &Plan, previous: Option<&Batch>) -> Vec<Expected> {
    if plan.roster.is_some() {
        plan.roster_townships.clone()
    } else {
        previous
            .map(|b| {
                b.townships
                    .iter()
                    .filter(|t| !t.files.is_empty())
                    .map(|t| Expected {
                        code: t.code.clone(),
                        name: t.name.clone(),
                        county_code: None,
                        county_name: None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Read both periods in parallel, check this period's returns against the
/// previous one and decide every file's and township's status.
pub fn ingest(plan: Plan, progress: &dyn Progress) -> anyhow::Result<Consolidation> {
    ingest_writing(plan, progress, None)
}

/// [`ingest`]; with `early`, each return's feedback workbook is written
/// while its cells are in memory ([`Early`]).
fn ingest_writing(
    plan: Plan,
    progress: &dyn Progress,
    early: Option<&Early>,
) -> anyhow::Result<Consolidation> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = plan.jobs {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder.build().context("无法创建线程池")?;
    let total = plan.returns.len() + plan.previous.as_ref().map(|p| p.1.len()).unwrap_or(0);
    progress.reading(total);
    let tick = || progress.read_one();
    let mut timings = Timings::default();
    let setup = Setup {
        policy: &plan.policy,
        office_code: &plan.county.code,
        roster: plan.roster.as_ref(),
        period: plan.period,
        include_errors: plan.include_errors,
    };
    // The previous period first: this period's returns are checked against
    // it as they are read, for their early feedback workbooks.
    let (previous_batch, current) = timings.time("读取报表", || {
        let previous = plan.previous.as_ref().map(|(p, files)| {
            let loaded = ingest::read_previous_files(&pool, files, &plan.policy, &tick);
            // Without a roster the previous period's own townships are expected.
            ingest::decide_previous(*p, loaded, &expected(&plan, None))
        });
        let baselines = previous.as_ref().map(ingest::baselines).unwrap_or_default();
        // Each return is checked as it is read (with everything the rules
        // see, or all but where the other returns place its villages) and
        // its feedback workbook written from its cells.
        let write_early = early.map(|e| {
            let baselines = &baselines;
            let setup = &setup;
            move |l: &mut Loaded| {
                let ctx = setup.context(l, baselines, None);
                let found = crate::rules::completed(l, &ctx);
                e.write(l, &found, setup.policy);
                let complete = !setup.placements_matter();
                if complete {
                    l.findings = found;
                }
                complete
            }
        });
        let see = write_early
            .as_ref()
            .map(|f| f as &(dyn Fn(&mut Loaded) -> bool + Sync));
        let current = ingest::read_files(
            &pool,
            &plan.returns,
            &plan.policy,
            Some(plan.period),
            &tick,
            see,
        );
        (previous, current)
    });
    let baselines = previous_batch
        .as_ref()
        .map(ingest::baselines)
        .unwrap_or_default();
    progress.read_done();
    let exp = expected(&plan, previous_batch.as_ref());
    // The findings are shared as part of this stage, so that `--timings`
    // still adds up to the whole run.
    let mut batch = timings.time("校验", || {
        let mut batch = ingest::check_and_decide(&pool, current, &setup, &exp, &baselines);
        crate::finding::share_strings(batch.files.iter_mut().flat_map(|f| &mut f.loaded.findings));
        batch
    });
    batch.ignored.extend(plan.ignored.iter().cloned());
    batch.ignored.sort_by(|a, b| a.file.cmp(&b.file));
    drop(baselines);
    let mut previous_batch = previous_batch;
    for f in previous_batch.iter_mut().flat_map(|b| b.files.iter_mut()) {
        if let Some(ret) = &mut f.loaded.ret {
            ret.keep_after_comparison();
        }
    }
    crate::memory::release_freed();
    Ok(Consolidation {
        plan,
        batch,
        previous: previous_batch,
        timings,
    })
}

/// Rate the consolidated period with the county scores (`previous`: the
/// previous period's batch, when there is one and no roster).
pub fn rate(c: &Consolidation, previous: Option<&Batch>, scores: &CountyScores) -> Tiers {
    rating::tiers(&TierInput {
        batch: &c.batch,
        previous,
        roster: c.plan.roster.as_ref(),
        scores,
        policy: &c.plan.policy,
        budget: c.plan.county.budget,
    })
}

/// The message when `tiers` has no county scores to rate with.
fn no_scores(plan: &Plan) -> anyhow::Error {
    anyhow::anyhow!(
        "找不到区级评定文件 {}。星级评定需要区级评定得分:请在工作区放入 county_scores.xlsx(工作表“{}”,列为 {}、{}、{}),或用 --county-scores 指定",
        plan.scores_path.display(),
        crate::scores::SCORES_SHEET,
        crate::scores::H_VILLAGE_CODE,
        crate::scores::H_VILLAGE,
        crate::scores::H_SCORE,
    )
}

/// Run `job` over a planned period into the plan's output folder, holding
/// the folder's lock throughout.
pub fn run(plan: Plan, job: Job, progress: &dyn Progress) -> anyhow::Result<Report> {
    if job == Job::Tiers && plan.scores.is_none() {
        return Err(no_scores(&plan));
    }
    let _lock = Lock::take(&plan.output)?;
    atomic::remove_stale_temp_files(&plan.output);
    let output = plan.output.clone();
    match job {
        Job::Consolidate => {
            let early = Early::new(&output, plan.period);
            let c = ingest_writing(plan, progress, Some(&early))?;
            consolidate(c, &output, &early)
        }
        Job::Tiers => tiers_only(ingest(plan, progress)?, &output),
    }
}

/// Write the tier workbook for `dir` into `set`; its path.
fn write_tiers(
    c: &Consolidation,
    scores: &CountyScores,
    tiers: &Tiers,
    dir: &Path,
    set: &OutputSet,
) -> anyhow::Result<PathBuf> {
    let input = crate::write::tiers::TierWorkbookInput {
        county: &c.plan.county,
        period: c.plan.period,
        batch: &c.batch,
        tiers,
        scores,
        policy: &c.plan.policy,
        tool_version: env!("CARGO_PKG_VERSION"),
        notes: &c.plan.notes,
    };
    crate::write::tiers::write_into(&input, dir, set)
}

fn tiers_only(c: Consolidation, output: &Path) -> anyhow::Result<Report> {
    let Some(scores) = c.plan.scores.as_ref() else {
        bail!(no_scores(&c.plan));
    };
    let tiers = rate(&c, c.previous.as_ref(), scores);
    let set = OutputSet::new();
    let written = write_tiers(&c, scores, &tiers, output, &set)?;
    set.commit()?;
    let any_error = report::any_error(&c.batch, &scores.findings);
    Ok(Report {
        notes: c.plan.notes.clone(),
        rules: c.plan.policy.source.clone(),
        not_used: report::not_used_lines(&c.batch),
        summary: report::summary_line(&c.batch),
        tier_summary: Some(report::tier_summary_line(&tiers, &c.batch)),
        county_workbook: None,
        tier_workbook: Some(written),
        timings: c.timings,
        any_error,
    })
}

fn consolidate(mut c: Consolidation, output: &Path, early: &Early) -> anyhow::Result<Report> {
    let mut timings = std::mem::take(&mut c.timings);
    // The previous period is wanted only by 环比 and, without a roster (its
    // villages are then expected), by the rating. Both are made here, before
    // the writers: then neither the previous period's rows nor the 环比
    // query's working memory are held while the long tables are made and
    // written. 环比 goes first: with a roster the previous period is gone
    // before the rating (a province's peak was the two together).
    let mut previous = c.previous.take();
    let month_over_month = timings
        .time("环比", || {
            previous
                .as_ref()
                .map(|p| crate::aggregate::month_over_month(&c.batch, p))
                .transpose()
        })
        .context("无法计算环比")?;
    fn release_previous(previous: &mut Option<Batch>) {
        if previous.take().is_some() {
            crate::memory::release_freed();
        }
    }
    if c.plan.roster.is_some() {
        release_previous(&mut previous);
    }
    // With county scores: the rating, whose T01 and the scores file's own
    // findings join 校验问题.
    let rated = timings.time("星级评定", || {
        c.plan
            .scores
            .as_ref()
            .map(|s| (s, rate(&c, previous.as_ref(), s)))
    });
    release_previous(&mut previous);
    let mut notes = c.plan.notes.clone();
    let mut extra = Vec::new();
    if let Some((s, t)) = &rated {
        notes.push(format!(
            "区级评定 {}(SHA-256 {}):星级评定见 {}",
            s.file,
            s.sha256,
            crate::write::tiers::file_name(&c.plan.county.name, c.plan.period)
        ));
        extra.extend(s.findings.iter().cloned());
        extra.extend(t.findings.iter().cloned());
    }
    // 汇总, made once: for its sheet, for this month's summary file and for
    // 进度 with the summaries earlier runs left.
    let by_county = c.plan.county.code.len() < 6;
    let summary = crate::write::county::summary_table(&c.batch, by_county)?;
    let summary_file = SummaryFile::of(
        &summary,
        Meta {
            tool_version: env!("CARGO_PKG_VERSION"),
            rules_version: &c.plan.policy.version,
            rules_sha256: &c.plan.policy.sha256,
            county: &c.plan.county.name,
            county_code: &c.plan.county.code,
            period: c.plan.period,
        },
    );
    let history = super::history::months(&c.plan.workspace, c.plan.period, &summary_file);
    let county = crate::write::county::CountyInput {
        county: &c.plan.county,
        period: c.plan.period,
        batch: &c.batch,
        month_over_month: month_over_month.as_ref(),
        policy: &c.plan.policy,
        tool_version: env!("CARGO_PKG_VERSION"),
        notes: &notes,
        extra_findings: &extra,
        summary: &summary,
        history: &history,
    };
    // The three workbooks are written side by side: each writer is one
    // thread, and the county workbook (the longest) sets the pace.
    let group = std::time::Instant::now();
    // A writer thread that panicked takes the run down with its panic.
    fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
    // They are one set: put in place together once all are complete.
    let mut set = OutputSet::new();
    set.own_folder(&output.join(crate::write::feedback::FOLDER));
    set.write_bytes(
        &output.join(summary_file_name(c.plan.period)),
        &summary_file.to_bytes(),
    )?;
    let ((county_out, county_t), (tier_out, tier_t), (fed_out, fed_t)) = std::thread::scope(|s| {
        let set = &set;
        let tier = s.spawn(|| {
            timed(|| {
                rated
                    .as_ref()
                    .map(|(sc, t)| write_tiers(&c, sc, t, output, set))
                    .transpose()
            })
        });
        let fed = s.spawn(|| {
            timed(|| super::feedback::write_all(set, output, &c.batch, &c.plan.policy, Some(early)))
        });
        let county = timed(|| crate::write::county::write_into(&county, output, set));
        (county, join(tier), join(fed))
    });
    let mut stages = vec![("县级汇总表", county_t)];
    if rated.is_some() {
        stages.push(("星级经费分档表", tier_t));
    }
    stages.push(("反馈表", fed_t));
    timings.parallel(stages, group.elapsed());
    let written = county_out?;
    let tier_file = tier_out?;
    fed_out?;
    set.commit()?;
    let any_error = report::any_error(&c.batch, &extra);
    Ok(Report {
        notes: c.plan.notes.clone(),
        rules: c.plan.policy.source.clone(),
        not_used: report::not_used_lines(&c.batch),
        summary: report::summary_line(&c.batch),
        tier_summary: rated
            .as_ref()
            .map(|(_, t)| report::tier_summary_line(t, &c.batch)),
        county_workbook: Some(written),
        tier_workbook: tier_file,
        timings,
        any_error,
    })
}
