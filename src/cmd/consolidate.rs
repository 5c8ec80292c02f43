//! `huizong consolidate`: the county's monthly job — read every return of
//! the period in parallel, check it, decide who is used, and write the
//! county workbook, the feedback workbooks and, with county scores, the
//! tier workbook.

use super::period::PeriodArgs;
use super::Outcome;
use crate::pipeline::Job;

/// `consolidate`'s arguments: a period's inputs.
pub(crate) type Args = PeriodArgs;

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let report = args.run(Job::Consolidate)?;
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
        if let Some(p) = &report.county_workbook {
            eprintln!("县级汇总表:{}", p.display());
        }
        if let Some(p) = &report.tier_workbook {
            eprintln!("星级经费分档表:{}", p.display());
        }
    }
    Ok(Outcome::of(report.any_error))
}
