//! `huizong consolidate`: the county's monthly job — read every return of
//! the period in parallel, check it, decide who is used, and write the
//! county workbook and the townships' feedback workbooks.

use super::Outcome;
use crate::batch::{Batch, Expected, Status};
use crate::ingest::{self, Setup};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::{Roster, RosterEntry};
use crate::scores::CountyScores;
use crate::workspace::{self, CountyConfig};
use anyhow::{bail, Context as _};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The inputs of a period's run, shared by `consolidate` and `tiers`
/// (`outputs.md`: `tiers` takes the same inputs as `consolidate`).
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// 县级工作区文件夹(含 county.toml、roster.xlsx 和各月报表文件夹)
    #[arg(value_name = "工作区")]
    pub workspace: PathBuf,
    /// 汇总月份,如 2024-06
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
    /// 输出文件夹(默认 <工作区>/输出/<月份>/)
    #[arg(short = 'o', long = "output", value_name = "文件夹")]
    pub output: Option<PathBuf>,
    /// 本期报表文件夹(默认 <工作区>/<月份>/)
    #[arg(long, value_name = "文件夹")]
    pub returns: Option<PathBuf>,
    /// 上期报表文件夹(默认为工作区中早于本期的最近一个月份文件夹)
    #[arg(long, value_name = "文件夹")]
    pub previous: Option<PathBuf>,
    /// 名册(默认 <工作区>/roster.xlsx)
    #[arg(long, value_name = "文件")]
    pub roster: Option<PathBuf>,
    /// 区级评定得分(默认 <工作区>/county_scores.xlsx)
    #[arg(long = "county-scores", value_name = "文件")]
    pub county_scores: Option<PathBuf>,
    /// 规则文件(默认使用内置的 templates/rules.toml)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,
    /// 有错误的报表也计入汇总和评定(状态显示为“退回(已计入)”)
    #[arg(long = "include-errors")]
    pub include_errors: bool,
    /// 并行读取的线程数(默认为处理器核数)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// 只输出错误信息
    #[arg(long)]
    pub quiet: bool,
    /// 在屏幕上(标准错误)列出各阶段用时和峰值内存
    #[arg(long)]
    pub timings: bool,
}

/// `consolidate`'s arguments: the shared inputs.
pub type Args = Inputs;

impl Inputs {
    /// A workspace and a period with every other input at its default
    /// (workspace files, all cores, quiet), as the library's callers want.
    pub fn new(workspace: impl Into<PathBuf>, period: Period) -> Inputs {
        Inputs {
            workspace: workspace.into(),
            period,
            output: None,
            returns: None,
            previous: None,
            roster: None,
            county_scores: None,
            rules: None,
            include_errors: false,
            jobs: None,
            quiet: true,
            timings: false,
        }
    }
}

/// Raw flags resolved into paths found and policy loaded, before any work.
pub struct Plan {
    pub county: CountyConfig,
    pub policy: Policy,
    pub period: Period,
    pub roster: Option<Roster>,
    /// The roster's townships in file order (its villages are in `roster`).
    pub roster_townships: Vec<Expected>,
    pub returns: Vec<PathBuf>,
    pub previous: Option<(Period, Vec<PathBuf>)>,
    pub output: PathBuf,
    pub notes: Vec<String>,
    /// Where the county scores are looked for (`--county-scores`, else
    /// `<workspace>/county_scores.xlsx`).
    pub scores_path: PathBuf,
    /// The county scores, when the file exists: no file, no rating.
    pub scores: Option<CountyScores>,
}

/// Names of files the tool itself writes: never read back as returns.
pub fn is_own_output(name: &str) -> bool {
    name.starts_with("县级汇总_")
        || name.starts_with("星级经费分档_")
        || name.ends_with("_校验结果.xlsx")
}

fn list_returns(dir: &Path, output: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = crate::read::spreadsheet_files(dir)
        .with_context(|| format!("无法读取文件夹 {}", dir.display()))?;
    let out = output.canonicalize().ok();
    Ok(files
        .into_iter()
        .filter(|p| !is_own_output(&crate::read::display_name(p)))
        .filter(
            |p| match (&out, p.parent().and_then(|d| d.canonicalize().ok())) {
                (Some(o), Some(d)) => &d != o,
                _ => true,
            },
        )
        .collect())
}

/// The latest month folder in the workspace before `period`.
fn previous_folder(workspace: &Path, period: Period) -> Option<(Period, PathBuf)> {
    std::fs::read_dir(workspace)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = Period::parse(&name)?;
            (p < period && p.to_string() == name).then(|| (p, e.path()))
        })
        .max_by_key(|(p, _)| *p)
}

pub fn plan(args: &Args) -> anyhow::Result<Plan> {
    let ws = &args.workspace;
    if !ws.is_dir() {
        bail!(
            "找不到工作区文件夹 {}。请给出含 county.toml 和月份文件夹的工作区路径",
            ws.display()
        );
    }
    let county = workspace::load_county(&ws.join(workspace::COUNTY_FILE))?;
    let policy = match &args.rules {
        Some(p) => Policy::load(p)?,
        None => Policy::default_rules(),
    };
    let mut notes = Vec::new();
    let roster_path = args
        .roster
        .clone()
        .unwrap_or_else(|| ws.join(workspace::ROSTER_FILE));
    let scores_path = args
        .county_scores
        .clone()
        .unwrap_or_else(|| ws.join(workspace::COUNTY_SCORES_FILE));
    let has_roster = roster_path.exists() || args.roster.is_some();
    let has_scores = scores_path.exists() || args.county_scores.is_some();
    // The two workbooks are read side by side; the scores are checked
    // against the roster after.
    let (roster_rows, scores_file) = rayon::join(
        || has_roster.then(|| workspace::load_roster(&roster_path)),
        || has_scores.then(|| crate::scores::read(&scores_path, &policy)),
    );
    let (roster, roster_townships) = if let Some(rows) = roster_rows {
        let rows = rows?;
        let mut seen = std::collections::BTreeSet::new();
        let townships = rows
            .iter()
            .filter(|v| seen.insert(v.township_code.as_str()))
            .map(|v| Expected {
                code: v.township_code.clone(),
                name: v.township_name.clone(),
                county_code: v.county_code.clone(),
                county_name: v.county_name.clone(),
            })
            .collect();
        let roster = Roster::new(rows.into_iter().map(|v| RosterEntry {
            township_code: v.township_code,
            township_name: v.township_name,
            village_code: v.village_code,
            village_name: v.village_name,
        }));
        (Some(roster), townships)
    } else {
        notes.push(format!(
            "未找到名册 {}:应报乡镇和村取自上期报表;跳过对照名册的规则 C04(名册部分)、C05、X04、X05,改用 H04 与上期比对",
            roster_path.display()
        ));
        (None, Vec::new())
    };
    let scores = if let Some(file) = scores_file {
        Some(file?.parse(roster.as_ref())?)
    } else {
        notes.push(no_scores_note(&scores_path));
        None
    };
    let period = args.period;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| ws.join("输出").join(period.to_string()));
    let returns_dir = args
        .returns
        .clone()
        .unwrap_or_else(|| ws.join(period.to_string()));
    if !returns_dir.is_dir() {
        bail!(
            "找不到本期报表文件夹 {}。请创建该文件夹并放入各乡镇 {period} 的月报,或用 --returns 指定",
            returns_dir.display()
        );
    }
    let returns = list_returns(&returns_dir, &output)?;
    let previous = match &args.previous {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("找不到上期报表文件夹 {}", dir.display());
            }
            let p = Period::parse(&crate::read::display_name(dir)).unwrap_or(period.previous());
            Some((p, list_returns(dir, &output)?))
        }
        None => match previous_folder(ws, period) {
            Some((p, dir)) => Some((p, list_returns(&dir, &output)?)),
            None => {
                notes.push("工作区中没有早于本期的月份文件夹:不做环比检查(H 规则)".to_string());
                None
            }
        },
    };
    Ok(Plan {
        county,
        policy,
        period,
        roster,
        roster_townships,
        returns,
        previous,
        output,
        notes,
        scores_path,
        scores,
    })
}

/// The 说明 note (and stderr line) when there is no county scores file.
/// Names the file, not its folder, so the workbook does not depend on where
/// the workspace lives.
pub fn no_scores_note(path: &Path) -> String {
    format!(
        "未找到区级评定 {},不做星级评定(不写星级经费分档表)",
        crate::read::display_name(path)
    )
}

/// A lock file in the output folder: a second run into the same folder
/// stops with exit 2 while this one runs. A lock left by a process that is
/// gone is taken over.
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn take(dir: &Path) -> anyhow::Result<Lock> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建输出文件夹 {}", dir.display()))?;
        let path = dir.join(".huizong.lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = std::fs::read_to_string(&path).unwrap_or_default();
                    let alive = pid
                        .trim()
                        .parse::<u32>()
                        .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if alive || !Path::new("/proc/self").exists() {
                        bail!(
                            "另一个汇总(进程 {})正在写入 {}。请等它结束后再运行;如确认没有在运行,删除 {} 后重试",
                            pid.trim(),
                            dir.display(),
                            path.display()
                        );
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("无法在输出文件夹 {} 中创建锁文件", dir.display())
                    })
                }
            }
        }
        bail!("无法取得输出文件夹 {} 的锁", dir.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Temporary files of an interrupted earlier run (we hold the lock, so no
/// other run is writing them).
pub(crate) fn remove_stale_temp_files(dir: &Path) {
    for d in [dir.to_path_buf(), dir.join("反馈")] {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
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

/// The whole job without writing: plan → ingest → decide.
pub struct Consolidation {
    pub plan: Plan,
    pub batch: Batch,
    pub previous: Option<Batch>,
    /// Reading and checking so far; the writers add theirs.
    pub timings: crate::timings::Timings,
}

pub fn consolidate(
    plan: Plan,
    jobs: Option<usize>,
    include_errors: bool,
    progress: bool,
) -> anyhow::Result<Consolidation> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder.build().context("无法创建线程池")?;
    let total = plan.returns.len() + plan.previous.as_ref().map(|p| p.1.len()).unwrap_or(0);
    let bar = if progress {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message("读取报表");
        Some(b)
    } else {
        None
    };
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let mut timings = crate::timings::Timings::default();
    let (previous, current) = timings.time("读取报表", || {
        let previous = plan.previous.as_ref().map(|(p, files)| {
            let loaded = ingest::read_previous_files(&pool, files, &plan.policy, &tick);
            (p, loaded)
        });
        let current =
            ingest::read_files(&pool, &plan.returns, &plan.policy, Some(plan.period), &tick);
        (previous, current)
    });
    let previous_batch = previous.map(|(p, loaded)| {
        // Without a roster the previous period's own townships are expected.
        let exp = expected(&plan, None);
        ingest::decide_previous(*p, loaded, &exp)
    });
    let baselines = previous_batch
        .as_ref()
        .map(ingest::baselines)
        .unwrap_or_default();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let exp = expected(&plan, previous_batch.as_ref());
    let setup = Setup {
        policy: &plan.policy,
        office_code: &plan.county.code,
        roster: plan.roster.as_ref(),
        period: plan.period,
        include_errors,
    };
    let batch = timings.time("校验", || {
        ingest::check_and_decide(&pool, current, &setup, &exp, &baselines)
    });
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

/// Feedback workbooks under `反馈/`: one per township with counted findings;
/// Y03 and township-less unreadable files get one per file.
pub fn write_feedback(dir: &Path, batch: &Batch, policy: &Policy) -> anyhow::Result<usize> {
    let period = batch.period;
    let target = dir.join("反馈");
    let mut written = 0;
    let mut write = |name: String,
                     raw: &crate::read::workbook::RawWorkbook,
                     findings: &[crate::finding::Finding],
                     title: &str|
     -> anyhow::Result<()> {
        std::fs::create_dir_all(&target)
            .with_context(|| format!("无法创建文件夹 {}", target.display()))?;
        let path = target.join(crate::write::safe_file_name(&name));
        crate::write::feedback::write_file(raw, findings, title, Some(period), &path)
            .with_context(|| format!("无法写出反馈工作簿 {}", path.display()))?;
        written += 1;
        Ok(())
    };
    for t in &batch.townships {
        if t.errors + t.warnings == 0 {
            continue;
        }
        let y03 = t.status == Status::Rejected && t.judged.is_none();
        if y03 {
            for i in t
                .files
                .iter()
                .filter(|i| batch.files[**i].status == Status::Rejected)
            {
                write_own(&mut write, &batch.files[*i].loaded, policy)?;
            }
            continue;
        }
        let Some(j) = t.judged else { continue };
        let l = &batch.files[j].loaded;
        // The judged file's findings, plus the Y01 of superseded files.
        let mut findings = l.findings.clone();
        for i in &t.files {
            if batch.files[*i].status == Status::Superseded {
                findings.extend(batch.files[*i].loaded.findings.iter().cloned());
            }
        }
        crate::finding::sort(&mut findings);
        write(
            format!("{}_{}_{}.xlsx", t.code, t.name, period),
            &crate::read::raw_of(l, policy),
            &findings,
            &l.file,
        )?;
    }
    for i in &batch.orphans {
        write_own(&mut write, &batch.files[*i].loaded, policy)?;
    }
    Ok(written)
}

/// A file's own feedback workbook, `<file name without extension>_校验结果.xlsx`.
fn write_own(
    write: &mut impl FnMut(
        String,
        &crate::read::workbook::RawWorkbook,
        &[crate::finding::Finding],
        &str,
    ) -> anyhow::Result<()>,
    l: &crate::model::Loaded,
    policy: &Policy,
) -> anyhow::Result<()> {
    let stem = Path::new(&l.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    write(
        format!("{stem}_校验结果.xlsx"),
        &crate::read::raw_of(l, policy),
        &l.findings,
        &l.file,
    )
}

/// `已汇总 15/17 个乡镇,退回 1,无法读取 0,未报送 1;错误 6,提示 11`
pub fn summary_line(batch: &Batch) -> String {
    let count = |s: &[Status]| {
        batch
            .townships
            .iter()
            .filter(|t| s.contains(&t.status))
            .count()
    };
    let expected = batch.townships.iter().filter(|t| t.expected).count();
    let used = count(&[Status::Used, Status::UsedWithErrors]);
    let errors: usize = batch.townships.iter().map(|t| t.errors).sum::<usize>()
        + batch
            .orphans
            .iter()
            .map(|i| {
                batch.files[*i]
                    .loaded
                    .findings
                    .iter()
                    .filter(|f| f.level.is_error())
                    .count()
            })
            .sum::<usize>();
    let warnings: usize = batch.townships.iter().map(|t| t.warnings).sum();
    format!(
        "已汇总 {used}/{expected} 个乡镇,退回 {},无法读取 {},未报送 {};错误 {errors},提示 {warnings}",
        count(&[Status::Rejected, Status::UsedWithErrors]),
        count(&[Status::Unreadable]) + batch.orphans.len(),
        count(&[Status::NotSent]),
    )
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let plan = plan(&args)?;
    let planned = started.elapsed();
    let _lock = Lock::take(&plan.output)?;
    remove_stale_temp_files(&plan.output);
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let output = plan.output.clone();
    let mut c = consolidate(plan, args.jobs, args.include_errors, progress)?;
    let mut timings = std::mem::take(&mut c.timings);
    timings.prepend("准备", planned);
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
    fn release_previous(previous: &mut Option<crate::batch::Batch>) {
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
            .map(|s| (s, super::tiers::rate(&c, previous.as_ref(), s)))
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
    let county = crate::write::county::CountyInput {
        county: &c.plan.county,
        period: c.plan.period,
        batch: &c.batch,
        month_over_month: month_over_month.as_ref(),
        policy: &c.plan.policy,
        tool_version: env!("CARGO_PKG_VERSION"),
        notes: &notes,
        extra_findings: &extra,
    };
    // The three workbooks are written side by side: each writer is one
    // thread, and the county workbook (the longest) sets the pace.
    use crate::timings::timed;
    let group = std::time::Instant::now();
    // A writer thread that panicked takes the run down with its panic.
    fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
    let ((county_out, county_t), (tier_out, tier_t), (fed_out, fed_t)) = std::thread::scope(|s| {
        let tier = s.spawn(|| {
            timed(|| {
                rated
                    .as_ref()
                    .map(|(sc, t)| super::tiers::write(&c, sc, t, &output))
                    .transpose()
            })
        });
        let fed = s.spawn(|| timed(|| write_feedback(&output, &c.batch, &c.plan.policy)));
        let county = timed(|| {
            crate::write::county::write_file(&county, &output)
                .with_context(|| format!("无法写出县级汇总表到 {}", output.display()))
        });
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
    if args.timings {
        eprint!("{}", timings.report());
    }
    if !args.quiet {
        for n in &c.plan.notes {
            eprintln!("说明:{n}");
        }
        eprintln!("{}", summary_line(&c.batch));
        if let Some((_, t)) = &rated {
            eprintln!("{}", super::tiers::summary_line(t));
        }
        eprintln!("县级汇总表:{}", written.display());
        if let Some(p) = &tier_file {
            eprintln!("星级经费分档表:{}", p.display());
        }
    }
    let any_error = c
        .batch
        .files
        .iter()
        .any(|f| f.loaded.findings.iter().any(|x| x.level.is_error()))
        || extra.iter().any(|x| x.level.is_error());
    Ok(if any_error {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
