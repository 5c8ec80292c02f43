//! The flags of a period's job, shared by `consolidate` and `tiers`
//! (`outputs.md`: `tiers` takes the same inputs as `consolidate`), and the
//! progress bar both show. Not a command itself.

use crate::pipeline::{self, Progress};
use crate::read::normalise::Period;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct PeriodArgs {
    /// 县级工作区文件夹(含 county.toml、roster.xlsx 和各月报表文件夹)
    #[arg(value_name = "工作区")]
    pub workspace: PathBuf,
    /// 汇总月份,如 2024-06
    #[arg(long, value_name = "年-月")]
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
    /// 规则文件(默认:工作区中的 rules.toml;没有时用内置的默认规则)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,
    /// 有错误的报表也计入汇总和评定(状态显示为“退回(已计入)”)
    #[arg(long = "include-errors")]
    pub include_errors: bool,
    /// 并行读取的线程数(默认为处理器核数)
    #[arg(long, value_name = "个数")]
    pub jobs: Option<usize>,
    /// 只输出错误信息
    #[arg(long)]
    pub quiet: bool,
    /// 在屏幕上(标准错误)列出各阶段用时和峰值内存
    #[arg(long)]
    pub timings: bool,
}

impl PeriodArgs {
    /// The flags as the pipeline's inputs.
    pub(crate) fn inputs(&self) -> pipeline::Inputs {
        pipeline::Inputs {
            workspace: self.workspace.clone(),
            period: self.period,
            output: self.output.clone(),
            returns: self.returns.clone(),
            previous: self.previous.clone(),
            roster: self.roster.clone(),
            county_scores: self.county_scores.clone(),
            rules: self.rules.clone(),
            include_errors: self.include_errors,
            jobs: self.jobs,
        }
    }

    /// Plan and run `job`, timing the plan as the first stage; with
    /// `--timings`, print the stages.
    pub(crate) fn run(&self, job: pipeline::Job) -> anyhow::Result<pipeline::Report> {
        let started = std::time::Instant::now();
        let plan = pipeline::plan(&self.inputs())?;
        let planned = started.elapsed();
        let bar = Bar::new(!self.quiet && std::io::stderr().is_terminal());
        let mut report = pipeline::run(plan, job, &bar)?;
        report.timings.prepend("准备", planned);
        if self.timings {
            eprint!("{}", report.timings.report());
        }
        Ok(report)
    }
}

/// The reading progress bar on a terminal's stderr.
pub(crate) struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub(crate) fn new(shown: bool) -> Bar {
        Bar(shown.then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message("读取报表");
            b
        }))
    }
}

impl Progress for Bar {
    fn reading(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
        }
    }
    fn read_one(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    fn read_done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
