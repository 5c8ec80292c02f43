//! 进度's months: every month folder of the workspace up to the period, each
//! with the figures of the summary its own run left (`<工作区>/输出/<月份>/
//! 汇总_<月份>.json`), or none (未汇总); this run's month from this run.

use crate::read::normalise::Period;
use crate::write::county::history::{summary_file_name, Month, SummaryFile};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The months of 进度, oldest first, this run's (`current`) last.
pub(crate) fn months(workspace: &Path, period: Period, current: &SummaryFile) -> Vec<Month> {
    let mut earlier: Vec<Period> = std::fs::read_dir(workspace)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            Period::parse(&name).filter(|p| *p < period && p.to_string() == name)
        })
        .collect();
    earlier.sort();
    let mut out: Vec<Month> = earlier
        .into_iter()
        .map(|p| earlier_month(workspace, p))
        .collect();
    out.push(Month {
        period,
        cells: Some(current.progress_cells()),
        source: None,
    });
    out
}

/// An earlier month from the summary its run left, if it can be read.
fn earlier_month(workspace: &Path, p: Period) -> Month {
    let rel = format!("输出/{p}/{}", summary_file_name(p));
    let read = std::fs::read(workspace.join(&rel)).ok().and_then(|bytes| {
        let file: SummaryFile = serde_json::from_slice(&bytes).ok()?;
        let sha = crate::policy::hex(&Sha256::digest(&bytes));
        Some((file, sha))
    });
    match read {
        Some((file, sha)) => Month {
            period: p,
            cells: Some(file.progress_cells()),
            source: Some((rel, sha)),
        },
        None => Month {
            period: p,
            cells: None,
            source: None,
        },
    }
}
