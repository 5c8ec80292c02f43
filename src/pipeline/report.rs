//! What a finished job tells the clerk: the summary lines of `outputs.md`,
//! the workbooks written and whether any error was found (exit code 1).

use crate::batch::{Batch, Status};
use crate::finding::Finding;
use crate::rating::Tiers;
use crate::timings::Timings;
use crate::write::tiers::money_text;
use std::path::PathBuf;

/// A finished job.
pub struct Report {
    /// Lines for the screen (also in 说明), e.g. no roster found.
    pub notes: Vec<String>,
    /// The rules file in force, as 说明 names it.
    pub rules: String,
    /// [`summary_line`].
    pub summary: String,
    /// [`tier_summary_line`], when there was a rating.
    pub tier_summary: Option<String>,
    pub county_workbook: Option<PathBuf>,
    pub tier_workbook: Option<PathBuf>,
    pub timings: Timings,
    /// Some return (or the county scores file) has an error or is
    /// unreadable.
    pub any_error: bool,
}

/// Did any file of the batch, or any of `extra` (the county scores file's
/// findings), have an error or a fatal finding?
pub fn any_error(batch: &Batch, extra: &[Finding]) -> bool {
    batch
        .files
        .iter()
        .flat_map(|f| f.loaded.findings.iter())
        .chain(extra)
        .any(|x| x.level.is_error())
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

/// `星级评定:已评定 40,待评定 2,不予评定 126;档次经费 800,000 元,核拨 800,000 元(预算 1,100,000 元,结余 300,000 元)`,
/// with `(临时结果:已汇总 2/8 个乡镇,…)` after 星级评定 when not every
/// expected township is used.
pub fn tier_summary_line(t: &Tiers, batch: &Batch) -> String {
    let b = &t.budget;
    let scaled = if b.exceeded {
        format!(",超出预算按系数 {} 压缩", b.scale_shown())
    } else {
        String::new()
    };
    let provisional = crate::write::tiers::provisional(batch)
        .map(|p| format!("({p})"))
        .unwrap_or_default();
    format!(
        "星级评定{provisional}:已评定 {},待评定 {},不予评定 {};档次经费 {} 元,核拨 {} 元(预算 {} 元,结余 {} 元{scaled})",
        t.total.by_star.iter().sum::<usize>(),
        t.total.pending,
        t.total.not_rated,
        money_text(b.tier_total),
        money_text(b.paid),
        money_text(b.budget),
        money_text(b.left_over),
    )
}
