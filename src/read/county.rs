//! The county's own workbooks (roster, county scores) read the one way
//! every input is read: the pre-scan, then calamine into sparse sheets,
//! under the limits for county files (a province's roster is far larger
//! than a return). Any failure stops the run with a message naming the
//! file: these are the county's files, not a township's.

use super::workbook::{self, OpenError, RawSheet, RawWorkbook};
use crate::policy::{hex, Policy};
use anyhow::{anyhow, bail};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A county file read: its name, SHA-256 and cells.
pub(crate) struct CountyFile {
    pub file: String,
    pub sha256: String,
    pub raw: RawWorkbook,
}

impl CountyFile {
    /// The sheet of that name (after trimming and folding full-width
    /// characters), or an error listing the sheets found.
    pub(crate) fn sheet(&self, name: &str) -> anyhow::Result<&RawSheet> {
        let key = super::normalise::sheet_key(name);
        self.raw
            .sheets
            .iter()
            .find(|s| super::normalise::sheet_key(&s.name) == key)
            .ok_or_else(|| {
                let names: Vec<String> = self
                    .raw
                    .sheets
                    .iter()
                    .map(|s| format!("“{}”", s.name))
                    .collect();
                anyhow!(
                    "没有工作表“{name}”(找到的工作表:{})",
                    if names.is_empty() {
                        "无".to_string()
                    } else {
                        names.join("、")
                    }
                )
            })
    }
}

/// Read a county file. `what` names it in messages (`区级评定文件`,
/// `名册`); `missing` is the whole message when the file is not there.
pub(crate) fn read(
    path: &Path,
    policy: &Policy,
    what: &str,
    missing: &str,
) -> anyhow::Result<CountyFile> {
    let shown = path.display();
    let file = super::display_name(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("{missing}"),
        Err(e) => bail!("无法读取{what} {shown}:{e}"),
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let limits = policy.limits.for_county_files();
    let scanned = super::prescan::prescan_keeping(&file, &bytes, &limits)
        .map_err(|f| anyhow!("无法读取{what} {shown}:{}", f.message))?;
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        workbook::open(scanned.parsed(&bytes), scanned.format, &limits)
    }));
    let raw = match opened {
        Ok(Ok(raw)) => raw,
        Ok(Err(OpenError::Refused(f))) => bail!("无法读取{what} {shown}:{}", f.message),
        Ok(Err(e)) => bail!(
            "无法读取{what} {shown}:文件已损坏,无法作为工作簿打开({e})。请在 Excel 或 WPS 中打开、另存为 .xlsx"
        ),
        Err(_) => bail!(
            "无法读取{what} {shown}:文件已损坏,读取时出错。请在 Excel 或 WPS 中打开、另存为 .xlsx"
        ),
    };
    Ok(CountyFile { file, sha256, raw })
}
