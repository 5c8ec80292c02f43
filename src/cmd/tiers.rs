//! `huizong tiers`: star ratings and funding tiers only — the same inputs
//! and the same reading of the period as `consolidate`, but it writes just
//! the tier workbook. Without a county scores file there is nothing to rate:
//! exit code 2, naming the file.

use super::consolidate::{self, Consolidation, Inputs, Lock};
use super::Outcome;
use crate::batch::Batch;
use crate::rating::{self, TierInput, Tiers};
use crate::scores::CountyScores;
use crate::write::tiers::{money_text, TierWorkbookInput};
use anyhow::{bail, Context as _};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Rate the consolidated period with the county scores (`previous`: the
/// previous period's batch, when there is one).
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

/// Write the tier workbook into `dir`; its path.
pub fn write(
    c: &Consolidation,
    scores: &CountyScores,
    tiers: &Tiers,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let input = TierWorkbookInput {
        county: &c.plan.county,
        period: c.plan.period,
        batch: &c.batch,
        tiers,
        scores,
        policy: &c.plan.policy,
        tool_version: env!("CARGO_PKG_VERSION"),
        notes: &c.plan.notes,
    };
    crate::write::tiers::write_file(&input, dir)
        .with_context(|| format!("无法写出星级经费分档表到 {}", dir.display()))
}

/// `星级评定:已评定 40,待评定 2,不予评定 126;档次经费 800,000 元,核拨 800,000 元(预算 1,100,000 元,结余 300,000 元)`
pub fn summary_line(t: &Tiers) -> String {
    let b = &t.budget;
    let scaled = if b.exceeded {
        format!(",超出预算按系数 {} 压缩", b.scale_shown())
    } else {
        String::new()
    };
    format!(
        "星级评定:已评定 {},待评定 {},不予评定 {};档次经费 {} 元,核拨 {} 元(预算 {} 元,结余 {} 元{scaled})",
        t.total.by_star.iter().sum::<usize>(),
        t.total.pending,
        t.total.not_rated,
        money_text(b.tier_total),
        money_text(b.paid),
        money_text(b.budget),
        money_text(b.left_over),
    )
}

pub fn run(args: Inputs) -> anyhow::Result<Outcome> {
    let plan = consolidate::plan(&args)?;
    if plan.scores.is_none() {
        bail!(
            "找不到区级评定文件 {}。星级评定需要区级评定得分:请在工作区放入 county_scores.xlsx(工作表“{}”,列为 {}、{}、{}),或用 --county-scores 指定",
            plan.scores_path.display(),
            crate::scores::SCORES_SHEET,
            crate::scores::H_VILLAGE_CODE,
            crate::scores::H_VILLAGE,
            crate::scores::H_SCORE,
        );
    }
    let _lock = Lock::take(&plan.output)?;
    consolidate::remove_stale_temp_files(&plan.output);
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let output = plan.output.clone();
    let c = consolidate::consolidate(plan, args.jobs, args.include_errors, progress)?;
    let scores = c.plan.scores.as_ref().expect("checked above");
    let tiers = rate(&c, c.previous.as_ref(), scores);
    let written = write(&c, scores, &tiers, &output)?;
    if !args.quiet {
        for n in &c.plan.notes {
            eprintln!("说明:{n}");
        }
        eprintln!("{}", consolidate::summary_line(&c.batch));
        eprintln!("{}", summary_line(&tiers));
        eprintln!("星级经费分档表:{}", written.display());
    }
    let any_error = c
        .batch
        .files
        .iter()
        .flat_map(|f| f.loaded.findings.iter())
        .chain(&scores.findings)
        .any(|x| x.level.is_error());
    Ok(if any_error {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
