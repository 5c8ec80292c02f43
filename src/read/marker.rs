//! The tool's own county and tier workbooks, told by the marker written
//! inside them (a custom document property, `write::OUTPUT_MARKER`), never
//! by file name: a copy of the county workbook dropped into a period folder
//! is not a township's return, but a feedback workbook (which carries no
//! marker) is.

use crate::write::{OutputKind, OUTPUT_MARKER};
use std::io::{Cursor, Read};

/// The part that holds custom document properties.
const CUSTOM_PART: &str = "docProps/custom.xml";
/// Custom properties are a few hundred bytes; more is not ours.
const MAX_CUSTOM_BYTES: u64 = 64 * 1024;

/// Which of the tool's workbooks an xlsx file is, if it is one. The bytes
/// have passed the pre-scan.
pub(crate) fn output_kind(bytes: &[u8]) -> Option<OutputKind> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let part = zip.by_name(CUSTOM_PART).ok()?;
    let mut xml = String::new();
    part.take(MAX_CUSTOM_BYTES).read_to_string(&mut xml).ok()?;
    let at = xml.find(&format!("name=\"{OUTPUT_MARKER}\""))?;
    let rest = &xml[at..];
    let value = rest
        .split("<vt:lpwstr>")
        .nth(1)?
        .split("</vt:lpwstr>")
        .next()?;
    // The marker's property ends before the next one begins.
    if rest.find("</property>")? < rest.find("<vt:lpwstr>")? {
        return None;
    }
    OutputKind::from_marker(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::normalise::Period;

    fn workbook(marker: Option<OutputKind>) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let p = Period {
            year: 2024,
            month: 6,
        };
        wb.set_properties(&crate::write::template::properties(Some(p), "t", marker).unwrap());
        wb.add_worksheet().write_string(0, 0, "汇总").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn the_marker_names_the_workbook() {
        assert_eq!(
            output_kind(&workbook(Some(OutputKind::County))),
            Some(OutputKind::County)
        );
        assert_eq!(
            output_kind(&workbook(Some(OutputKind::Tiers))),
            Some(OutputKind::Tiers)
        );
        assert_eq!(output_kind(&workbook(None)), None);
        assert_eq!(output_kind(b"not a zip"), None);
    }
}
