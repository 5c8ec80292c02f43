//! OpenDocument spreadsheets: the manifest (media type, encryption) and
//! `content.xml` walked as calamine's ODS reader builds its grids — which
//! cells it materialises, the grid it sizes, the values it clones per
//! repeat — and held to be well-formed, since calamine waits for end tags
//! past the end of the part.

use super::limits::{
    Budget, EXCEL_COLS, EXCEL_ROWS, MAX_DENSE_CELLS, MAX_ODS_MATERIALISED, MAX_ODS_SPACES,
    MAX_SHEETS,
};
use super::refusal::{Damage, Refusal};
use super::xml::{attr, attr_text, attrs, parse_uint, XmlSink};
use super::zip::Zip;
use crate::policy::Limits;
use quick_xml::events::BytesStart;

pub(super) const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// ODS `META-INF/manifest.xml`: the package's media type, encryption.
#[derive(Default)]
pub(super) struct ManifestSink {
    /// The media type of the package itself.
    pub(super) root_media: Option<String>,
    pub(super) encrypted: bool,
}

impl XmlSink for ManifestSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Refusal> {
        match e.local_name().as_ref() {
            "file-entry" if attr(e, "full-path").as_deref() == Some("/") => {
                self.root_media = attr_text(e, "media-type");
            }
            "encryption-data" => self.encrypted = true,
            _ => {}
        }
        Ok(())
    }
}

struct OdsSheet {
    name: String,
    total_rows: u64,
    content_rows: u64,
    first_row: Option<u64>,
    last_row_end: u64,
    col_min: u64,
    col_max: u64,
    materialised: u64,
}

struct OdsRow {
    depth: usize,
    start: u64,
    repeats: u64,
    cur: u64,
    pending: u64,
    first: Option<u64>,
    last_end: u64,
    content: u64,
    text: u64,
}

struct OdsCell {
    depth: usize,
    repeats: u64,
    content: bool,
    text: u64,
}

/// ODS `content.xml`, modelled on calamine's `read_table`/`read_row`/
/// `get_range` (`ods.rs:435-680`): which cells it materialises, the grid it
/// builds, the values it clones per repeat.
///
/// The part must also be well-formed: every end tag names (with its
/// prefix) the element it closes, and every element is closed. calamine's
/// `read_table` (`ods.rs:448`) and its annotation loop (`ods.rs:754`) wait
/// for `</table:table>` / `</office:annotation>` and never stop at the end
/// of the part: without that end tag they loop forever.
struct OdsSink<'b> {
    budget: &'b mut Budget,
    /// Raw names of the open elements.
    open: Vec<String>,
    max_rows: u64,
    depth: usize,
    sheets: usize,
    table_depth: Option<usize>,
    sheet: OdsSheet,
    row: Option<OdsRow>,
    cell: Option<OdsCell>,
}

impl<'b> OdsSink<'b> {
    fn new(budget: &'b mut Budget, max_rows: u64) -> Self {
        OdsSink {
            budget,
            open: Vec::new(),
            max_rows,
            depth: 0,
            sheets: 0,
            table_depth: None,
            sheet: OdsSheet::new(String::new()),
            row: None,
            cell: None,
        }
    }
}

impl OdsSheet {
    fn new(name: String) -> Self {
        OdsSheet {
            name,
            total_rows: 0,
            content_rows: 0,
            first_row: None,
            last_row_end: 0,
            col_min: u64::MAX,
            col_max: 0,
            materialised: 0,
        }
    }
    fn dense(&self) -> (u64, u64) {
        match self.first_row {
            Some(first) => (
                self.last_row_end.saturating_sub(first),
                (self.col_max + 1).saturating_sub(self.col_min),
            ),
            None => (0, 0),
        }
    }
}

fn repeat_attr(e: &BytesStart<'_>, local: &str) -> u64 {
    attr(e, local).and_then(|v| parse_uint(&v)).unwrap_or(1)
}

impl XmlSink for OdsSink<'_> {
    fn end_name(&mut self, qname: &str) -> Result<(), Refusal> {
        match self.open.pop() {
            Some(open) if open == qname => Ok(()),
            _ => Err(Damage::OdsUnbalanced.into()),
        }
    }

    fn eof(&mut self) -> Result<(), Refusal> {
        if self.open.is_empty() {
            Ok(())
        } else {
            Err(Damage::OdsUnbalanced.into())
        }
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Refusal> {
        self.open.push(e.name().as_ref().to_string());
        self.depth += 1;
        let d = self.depth;
        let local = e.local_name();
        let local = local.as_ref();
        if let Some(cell) = self.cell.as_mut() {
            // Inside a cell: its content, read as text when it is a string.
            match local {
                "s" => {
                    let c = repeat_attr(e, "c");
                    if c > MAX_ODS_SPACES {
                        return Err(Refusal::OdsSpaces(c));
                    }
                    cell.text += c;
                }
                "p" | "line-break" | "tab" => cell.text += 1,
                _ => {}
            }
            return Ok(());
        }
        match local {
            "table" if self.table_depth.is_none() => {
                self.table_depth = Some(d);
                self.sheets += 1;
                if self.sheets > MAX_SHEETS {
                    return Err(Refusal::TooManySheets);
                }
                let name =
                    attr_text(e, "name").unwrap_or_else(|| format!("第{}个工作表", self.sheets));
                self.sheet = OdsSheet::new(name);
            }
            "table-row" if self.table_depth.is_some() && self.row.is_none() => {
                let rep = repeat_attr(e, "number-rows-repeated");
                let capped = rep.min(EXCEL_ROWS.saturating_sub(self.sheet.total_rows));
                let start = self.sheet.total_rows;
                self.sheet.total_rows += capped;
                self.row = Some(OdsRow {
                    depth: d,
                    start,
                    repeats: capped,
                    cur: 0,
                    pending: 0,
                    first: None,
                    last_end: 0,
                    content: 0,
                    text: 0,
                });
            }
            "table-cell" | "covered-table-cell" => {
                let Some(row) = self.row.as_mut() else {
                    return Ok(());
                };
                // calamine flushes the previous empty run before every cell.
                let flushed = row.pending.min(EXCEL_COLS - row.cur);
                row.cur += flushed;
                row.pending = 0;
                let rep = repeat_attr(e, "number-columns-repeated");
                let capped = rep.min(EXCEL_COLS - row.cur);
                let mut content = false;
                let mut text = 0u64;
                for a in attrs(e) {
                    match a.key.local_name().as_ref() {
                        "value" | "date-value" | "time-value" | "boolean-value" => {
                            content = true;
                            text += a.value.len() as u64;
                        }
                        "string-value" => {
                            content = true;
                            text += a.value.len() as u64;
                        }
                        "value-type" if a.value == "string" => content = true,
                        "formula" if !a.value.is_empty() => {
                            content = true;
                            text += a.value.len() as u64;
                        }
                        _ => {}
                    }
                }
                self.cell = Some(OdsCell {
                    depth: d,
                    repeats: capped,
                    content,
                    text,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, _local: &str) -> Result<(), Refusal> {
        let d = self.depth;
        self.depth = d.saturating_sub(1);
        if let Some(cell) = &self.cell {
            if cell.depth != d {
                return Ok(());
            }
            let cell = self.cell.take().expect("checked above");
            if let Some(row) = self.row.as_mut() {
                if cell.content {
                    row.first.get_or_insert(row.cur);
                    row.cur += cell.repeats;
                    row.last_end = row.cur;
                    row.content += cell.repeats;
                    row.text = row
                        .text
                        .saturating_add(cell.text.saturating_mul(cell.repeats));
                } else {
                    row.pending = cell.repeats;
                }
            }
            return Ok(());
        }
        if self.row.as_ref().is_some_and(|r| r.depth == d) {
            let row = self.row.take().expect("checked above");
            let s = &mut self.sheet;
            s.materialised += row.cur;
            if s.materialised > MAX_ODS_MATERIALISED {
                return Err(Refusal::OdsMaterialised {
                    sheet: s.name.clone(),
                });
            }
            if let Some(first) = row.first {
                s.content_rows += row.repeats;
                if s.content_rows > self.max_rows {
                    return Err(Refusal::TooManyRows {
                        sheet: s.name.clone(),
                        max_rows: self.max_rows,
                    });
                }
                s.first_row.get_or_insert(row.start);
                s.last_row_end = row.start + row.repeats;
                s.col_min = s.col_min.min(first);
                s.col_max = s.col_max.max(row.last_end.saturating_sub(1));
                let (rows, cols) = s.dense();
                if rows.saturating_mul(cols) > MAX_DENSE_CELLS {
                    return Err(Refusal::DenseTooBig {
                        sheet: s.name.clone(),
                        rows,
                        cols,
                    });
                }
                self.budget.cells(row.content.saturating_mul(row.repeats))?;
                self.budget
                    .text(row.text.saturating_mul(row.repeats.saturating_add(1)))?;
            }
            return Ok(());
        }
        if self.table_depth == Some(d) {
            self.table_depth = None;
            let (rows, cols) = self.sheet.dense();
            self.budget.dense(rows.saturating_mul(cols))?;
        }
        Ok(())
    }

    fn text(&mut self, t: &str) -> Result<(), Refusal> {
        if let Some(cell) = self.cell.as_mut() {
            cell.text += t.len() as u64;
        }
        Ok(())
    }
}

/// The manifest, part `idx`, as read.
pub(super) fn manifest(z: &mut Zip<'_>, idx: usize) -> Result<ManifestSink, Refusal> {
    let mut m = ManifestSink::default();
    z.scan_xml(idx, true, &mut m)?;
    Ok(m)
}

pub(super) fn scan_ods(
    z: &mut Zip<'_>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), Refusal> {
    // calamine `Ods::new` (ods.rs:207-240) needs both parts.
    let idx = z
        .find("META-INF/manifest.xml")
        .ok_or_else(|| Damage::MissingPart("META-INF/manifest.xml".to_string()))?;
    if manifest(z, idx)?.encrypted {
        return Err(Refusal::Encrypted);
    }
    let content = z
        .find("content.xml")
        .ok_or_else(|| Damage::MissingPart("content.xml".to_string()))?;
    let mut s = OdsSink::new(budget, limits.max_rows);
    z.scan_xml(content, true, &mut s)
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use super::super::{prescan, Format};
    use super::ODS_MIME;
    use crate::finding::Code;
    use crate::read::workbook;
    use std::time::{Duration, Instant};

    #[test]
    fn valid_ods_is_accepted_and_opens() {
        let b = ods(ODS_ROW);
        assert_eq!(prescan("白砂镇.ods", &b, &limits()), Ok(Format::Ods));
        let wb = workbook::open(&b, Format::Ods, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(0, 1),
            Some(&workbook::CellValue::Number(990101103.0))
        );
    }

    #[test]
    fn ods_empty_repeated_tail_is_harmless() {
        let b = ods(&format!("{ODS_ROW}{ODS_EMPTY_TAIL}"));
        assert_eq!(prescan("白砂镇.ods", &b, &limits()), Ok(Format::Ods));
        let t = Instant::now();
        let wb = workbook::open(&b, Format::Ods, &limits()).unwrap();
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(wb.sheets[0].rows.len(), 1);
    }

    /// calamine waits for `</table:table>` (and `</office:annotation>`)
    /// past the end of the part, forever: such a part is refused. Found by
    /// examples/fuzz_reader.rs (tests/fixtures/fuzz_crashes/).
    #[test]
    fn ods_table_or_annotation_never_closed_is_s01_not_a_hang() {
        let good = ods(ODS_ROW);
        assert_eq!(prescan("白砂镇.ods", &good, &limits()), Ok(Format::Ods));
        let unclosed = |from: &str, to: &str| {
            let z = zip_of(&[
                ("mimetype", ODS_MIME.as_bytes()),
                ("META-INF/manifest.xml", MANIFEST.as_bytes()),
                (
                    "content.xml",
                    String::from_utf8(handzip_part(&good, "content.xml"))
                        .unwrap()
                        .replace(from, to)
                        .as_bytes(),
                ),
            ]);
            rejects("白砂镇.ods", &z, Code::S01, "没有正确配对")
        };
        unclosed("</table:table>", "</zztable:table>");
        unclosed("</table:table>", "");
        unclosed(
            "<text:p>990101103</text:p>",
            "<text:p>990101103</text:p><office:annotation><text:p>x</text:p>",
        );
        unclosed("</office:document-content>", "");
    }

    #[test]
    fn ods_recognised_from_manifest_without_mimetype() {
        let z = zip_of(&[
            ("META-INF/manifest.xml", MANIFEST.as_bytes()),
            ("content.xml", b"<office:document-content/>"),
        ]);
        assert_eq!(prescan("a.ods", &z, &limits()), Ok(Format::Ods));
    }

    #[test]
    fn ods_repeated_row_with_content_is_s06() {
        let b = ods(&format!("{ODS_ROW}{ODS_HUGE_CONTENT}"));
        rejects("白砂镇.ods", &b, Code::S06, "基本信息");
        // A wide row repeated a little: under max_rows, but 200 × 16,384 cells.
        let wide = r#"<table:table-row table:number-rows-repeated="200"><table:table-cell office:value-type="float" office:value="1"/><table:table-cell table:number-columns-repeated="16382"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#;
        rejects("白砂镇.ods", &ods(wide), Code::S06, "200 行 × 16384 列");
        // Empty cells before the first value are not part of the grid.
        let right = r#"<table:table-row table:number-rows-repeated="200"><table:table-cell table:number-columns-repeated="16383"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#;
        assert_eq!(prescan("a.ods", &ods(right), &limits()), Ok(Format::Ods));
        let spaces = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="1000000000"/></text:p></table:table-cell></table:table-row>"#;
        rejects("白砂镇.ods", &ods(spaces), Code::S06, "空格");
    }

    #[test]
    fn ods_too_many_content_rows_is_s06() {
        let rows = ODS_ROW.repeat(5001);
        rejects("白砂镇.ods", &ods(&rows), Code::S06, "超过 5000 行");
        let repeated = ODS_ROW.replace(
            "<table:table-row>",
            r#"<table:table-row table:number-rows-repeated="5001">"#,
        );
        rejects("白砂镇.ods", &ods(&repeated), Code::S06, "超过 5000 行");
    }
}
