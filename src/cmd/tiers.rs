//! `huizong tiers`: star ratings and funding tiers only — the same inputs
//! and the same reading of the period as `consolidate`, but it writes just
//! the tier workbook. Without a county scores file there is nothing to rate:
//! exit code 2, naming the file.

use super::period::PeriodArgs;
use super::Outcome;
use crate::pipeline::Job;

pub(crate) fn run(args: PeriodArgs) -> anyhow::Result<Outcome> {
    let report = args.run(Job::Tiers)?;
    if !args.quiet {
        for n in &report.notes {
            eprintln!("说明:{n}");
        }
        eprintln!("规则文件:{}", report.rules);
        for line in &report.not_used {
            eprintln!("  {line}");
        }
        eprintln!("{}", report.summary);
        if let Some(line) = &report.tier_summary {
            eprintln!("{line}");
        }
        if let Some(p) = &report.tier_workbook {
            eprintln!("星级经费分档表:{}", p.display());
        }
    }
    Ok(Outcome::of(report.any_error))
}
