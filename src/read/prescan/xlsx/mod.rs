//! xlsx/xlsm: the parts calamine reads when it opens the workbook (the
//! relationships, the workbook, the shared strings) checked here; the
//! worksheets are left to calamine's streaming read and [`CellGuard`],
//! except one declared too large to trust to it (`sheet.rs`).

mod sheet;

use super::limits::{
    CellGuard, EXCEL_COLS, EXCEL_ROWS, MAX_SHEETS, MAX_SST_ENTRIES, MAX_XML_EVENT_BYTES,
    MIN_SI_ELEMENT_BYTES, MIN_XML_SI_BYTES,
};
use super::refusal::{Damage, Refusal};
use super::split_dir;
use super::xml::{attr, attr_text, parse_uint, RelsSink, XmlSink};
use super::zip::Zip;
use crate::policy::Limits;
use quick_xml::events::BytesStart;
use std::borrow::Cow;

/// xlsx `workbook.xml`: the sheets and their relationship ids.
#[derive(Default)]
struct WorkbookSink {
    sheets: Vec<(String, String)>,
}

impl XmlSink for WorkbookSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Refusal> {
        if e.local_name().as_ref() == "sheet" {
            let name = attr_text(e, "name").unwrap_or_default();
            let rid = attr(e, "id").map(Cow::into_owned).unwrap_or_default();
            self.sheets.push((name, rid));
            if self.sheets.len() > MAX_SHEETS {
                return Err(Refusal::TooManySheets);
            }
        }
        Ok(())
    }
}

/// xlsx `sharedStrings.xml`: the declared counts against the part's size
/// and the strings really there.
struct SstSink {
    declared: u64,
    si_depth: u32,
    count: u64,
    /// The `<sst>` tag has been read.
    head_seen: bool,
}

impl SstSink {
    fn new(declared: u64) -> SstSink {
        SstSink {
            declared,
            si_depth: 0,
            count: 0,
            head_seen: false,
        }
    }
}

impl XmlSink for SstSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Refusal> {
        match e.local_name().as_ref() {
            "sst" => {
                self.head_seen = true;
                if let Some(n) = attr(e, "uniqueCount").and_then(|v| parse_uint(&v)) {
                    if n > MAX_SST_ENTRIES || n > self.declared / MIN_XML_SI_BYTES + 16 {
                        return Err(Refusal::SharedStringCount(n));
                    }
                }
                // `count` counts references (cells), not strings: only an
                // absurd value is a lie (more than every cell of a sheet).
                if let Some(n) = attr(e, "count").and_then(|v| parse_uint(&v)) {
                    if n > EXCEL_ROWS * EXCEL_COLS {
                        return Err(Refusal::SharedStringCount(n));
                    }
                }
            }
            "si" => self.si_depth += 1,
            _ => {}
        }
        Ok(())
    }
    fn end(&mut self, local: &str) -> Result<(), Refusal> {
        if local == "si" && self.si_depth > 0 {
            self.si_depth -= 1;
            if self.si_depth == 0 {
                self.count += 1;
                if self.count > MAX_SST_ENTRIES {
                    return Err(Refusal::SharedStringCount(self.count));
                }
            }
        }
        Ok(())
    }
    /// Past the `<sst>` tag, counting strings only matters when the part
    /// could hold more than [`MAX_SST_ENTRIES`] (the shortest is `<si/>`);
    /// a smaller part is left to calamine, which the zip crate holds to
    /// its declared size.
    fn finished(&self) -> bool {
        self.head_seen && self.declared <= MAX_SST_ENTRIES * MIN_SI_ELEMENT_BYTES
    }
}

/// The workbook at `wb_path` (as calamine computes it from `_rels/.rels`).
pub(super) fn scan_xlsx(z: &mut Zip<'_>, wb_path: &str, limits: &Limits) -> Result<(), Refusal> {
    let (dir, name) = split_dir(wb_path);
    let wb_idx = z
        .find(wb_path)
        .ok_or_else(|| Damage::MissingWorkbook(wb_path.to_string()))?;
    let rels_path = format!("{dir}_rels/{name}.rels");
    let rels_idx = z
        .find(&rels_path)
        .ok_or_else(|| Damage::MissingPart(rels_path.clone()))?;
    let mut rels = RelsSink::default();
    z.scan_xml(rels_idx, true, &mut rels)?;
    let mut wb = WorkbookSink::default();
    z.scan_xml(wb_idx, true, &mut wb)?;

    // calamine `read_workbook` (xlsx/mod.rs:641-660).
    let mut parts = Vec::new();
    for (sheet, rid) in &wb.sheets {
        let rel = rels
            .get(rid)
            .ok_or_else(|| Damage::SheetWithoutPart(sheet.clone()))?;
        let path = match rel.target_raw.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("{dir}{}", rel.target_raw),
        };
        match rel.typ.rsplit('/').next() {
            Some("worksheet") | Some("dialogsheet") => {}
            Some("chartsheet") => continue,
            _ => return Err(Damage::SheetKindUnknown(sheet.clone()).into()),
        }
        let idx = z.find(&path).ok_or_else(|| Damage::MissingSheetPart {
            sheet: sheet.clone(),
            path: path.clone(),
        })?;
        parts.push((sheet.clone(), idx));
    }

    if let Some(i) = z.find(&format!("{dir}sharedStrings.xml")) {
        let declared = z.sizes[i];
        z.scan_xml(i, true, &mut SstSink::new(declared))?;
    }

    // The worksheets themselves are not parsed here: calamine streams them
    // once (`workbook::open`) and [`CellGuard`] applies this file's row,
    // cell and text budgets cell by cell as they arrive. Nothing in a
    // worksheet makes calamine allocate before a cell reaches us once
    // shared formulas are not expanded (`next_cell_with_formula_metadata`);
    // what is left to bound is the part's inflated size (a zip bomb) and
    // the longest stretch without a tag (one XML event, which calamine
    // would hold in one buffer). The zip crate stops any part at its
    // declared size (a lie is an error mid-stream, S06 in
    // `workbook::open`), and the declared sizes are held to the file's
    // inflate budget in `Zip::open`: so a part declared at most one event's
    // worth cannot hold a longer stretch, and is left for calamine to
    // inflate as it streams. Only a larger part is streamed here first.
    let mut guard = Some(CellGuard::new(limits));
    for (sheet, idx) in &parts {
        if z.sizes[*idx] > MAX_XML_EVENT_BYTES {
            sheet::check(z, *idx, sheet, &mut guard)?;
        } else {
            z.done[*idx] = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use super::super::{prescan, Format};
    use crate::finding::Code;
    use crate::kit::handzip::{
        self, crc32, raw_zip, RawEntry, CONTENT_TYPES, PKG_RELS, WORKBOOK, WORKBOOK_RELS,
    };
    use crate::read::workbook;
    use std::io::{Cursor, Read};
    use std::time::{Duration, Instant};
    use zip::ZipArchive;

    #[test]
    fn missing_workbook_or_sheet_part_is_s01() {
        rejects(
            "白砂镇.xlsx",
            &missing_sheet_xlsx(),
            Code::S01,
            "缺少工作表「基本信息」的部件",
        );
        let no_wb = zip_of(&[
            ("_rels/.rels", PKG_RELS.as_bytes()),
            ("xl/styles.xml", b"<styleSheet/>"),
        ]);
        rejects("白砂镇.xlsx", &no_wb, Code::S01, "缺少工作簿主体");
        let no_rels = zip_of(&[("xl/workbook.xml", WORKBOOK.as_bytes())]);
        rejects("白砂镇.xlsx", &no_rels, Code::S01, "已损坏");
    }

    /// A shared strings part whose `<sst>` head is honest but which
    /// inflates to ~100 KB past its declared 50 KB: the pre-scan reads only
    /// the head, and calamine's read stops at the declared size — S06.
    #[test]
    fn shared_strings_past_their_declared_size_are_s06() {
        let mut sst = String::from(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>甲</t></si>"#,
        );
        sst.push_str(&"<si><t>x</t></si>".repeat(6000));
        sst.push_str("</sst>");
        let honest = zip_of(&[("s.xml", sst.as_bytes())]);
        let mut z = ZipArchive::new(Cursor::new(&honest[..])).unwrap();
        let mut deflated = Vec::new();
        z.by_index_raw(0)
            .unwrap()
            .read_to_end(&mut deflated)
            .unwrap();
        let b = raw_zip(&[
            handzip::stored("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            handzip::stored("_rels/.rels", PKG_RELS.as_bytes()),
            handzip::stored("xl/workbook.xml", WORKBOOK.as_bytes()),
            handzip::stored("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
            handzip::stored("xl/worksheets/sheet1.xml", sheet_xml("").as_bytes()),
            RawEntry {
                name: "xl/sharedStrings.xml".to_string(),
                deflated: true,
                data: deflated,
                crc: crc32(sst.as_bytes()),
                size: 50_000,
            },
        ]);
        rejects(
            "白砂镇.xlsx",
            &b,
            Code::S06,
            "文件中的部件解压后比它声明的大小更大",
        );
    }

    #[test]
    fn small_xlsx_is_accepted_quickly() {
        let b = small_xlsx();
        let t = Instant::now();
        assert_eq!(prescan("白砂镇.xlsx", &b, &limits()), Ok(Format::Xlsx));
        assert!(t.elapsed() < Duration::from_secs(1));
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        assert_eq!(wb.sheets[0].name, "基本信息");
    }

    #[test]
    fn hand_made_xlsx_opens_in_calamine() {
        let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>白砂镇</t></si></sst>"#;
        let b = xlsx(
            &sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12</v></c></row>"#),
            Some(sst),
        );
        assert_eq!(prescan("a.xlsx", &b, &limits()), Ok(Format::Xlsx));
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(0, 0),
            Some(&workbook::CellValue::Text("白砂镇".into()))
        );
    }

    /// An xlsx `<dimension>` and a cell at XFD1048576 are harmless: calamine's
    /// `worksheet_cells_reader` only parses the dimension into a struct and
    /// `workbook::open` keeps cells sparsely. A dense grid would be
    /// 17,179,869,184 cells (≈550 GB) and abort the process: finishing at all,
    /// quickly, proves none is built.
    #[test]
    fn xlsx_with_a_stray_far_cell_is_accepted_and_read_sparsely() {
        let b = stray_far_cell_xlsx();
        assert_eq!(prescan("白砂镇.xlsx", &b, &limits()), Ok(Format::Xlsx));
        let t = Instant::now();
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        assert!(t.elapsed() < Duration::from_secs(5));
        let s = &wb.sheets[0];
        assert_eq!(s.rows.len(), 2);
        assert_eq!(
            s.get(1_048_575, 16_383),
            Some(&workbook::CellValue::Number(1.0))
        );
    }

    #[test]
    fn huge_shared_string_count_is_s06() {
        let f = rejects("白砂镇.xlsx", &huge_sst_xlsx(), Code::S06, "共享字符串");
        assert!(f.message.contains("100000000000"));
        // A count the part is too small to hold is a lie as well.
        let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="5000"><si><t>a</t></si></sst>"#;
        let b = xlsx(&sheet_xml(""), Some(sst));
        rejects("白砂镇.xlsx", &b, Code::S06, "共享字符串");
    }

    #[test]
    fn more_than_max_rows_is_s06_and_max_rows_is_fine() {
        let f = rejects(
            "白砂镇.xlsx",
            &many_rows_xlsx(5001),
            Code::S06,
            "超过 5000 行",
        );
        assert!(f.message.contains("基本信息"));
        assert_eq!(
            outcome("白砂镇.xlsx", &many_rows_xlsx(5000)),
            Ok(Format::Xlsx)
        );
        // Rows that only carry formatting are not counted.
        let rows: String = (1..=6000)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}" s="1"/></row>"#))
            .collect();
        assert_eq!(
            outcome("a.xlsx", &xlsx(&sheet_xml(&rows), None)),
            Ok(Format::Xlsx)
        );
    }

    /// Deep nesting inside a worksheet costs calamine's streaming reader
    /// nothing (it does not recurse): the file is read, cell A1 and all.
    /// (Deep nesting in the parts the pre-scan parses is still S06.)
    #[test]
    fn deep_nesting_in_a_worksheet_is_read_harmlessly() {
        let b = deep_xlsx(100);
        assert_eq!(outcome("a.xlsx", &b), Ok(Format::Xlsx));
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(0, 0),
            Some(&workbook::CellValue::Number(1.0))
        );
    }

    /// calamine sizes a table by a shared formula's `si` only when it
    /// expands shared formulas; `workbook::open` asks for them unexpanded,
    /// so a huge `si` is just a number. The derived cell keeps its value.
    #[test]
    fn huge_shared_formula_index_is_harmless() {
        let b = shared_formula_xlsx("4000000000");
        assert_eq!(outcome("a.xlsx", &b), Ok(Format::Xlsx));
        let t = Instant::now();
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(
            wb.sheets[0].get(1, 0),
            Some(&workbook::CellValue::Number(1.0))
        );
    }

    /// A shared formula's derived cell without a saved value shows its
    /// anchor's formula (not re-based: calamine does not expand it).
    #[test]
    fn derived_shared_formula_without_value_shows_the_anchor_formula() {
        let sheet = sheet_xml(
            r#"<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">B1*2</f></c></row><row r="2"><c r="A2"><f t="shared" si="0"/></c></row>"#,
        );
        let wb = workbook::open(&xlsx(&sheet, None), Format::Xlsx, &limits()).unwrap();
        let nocache = workbook::CellValue::NoCachedValue("B1*2".into());
        assert_eq!(wb.sheets[0].get(0, 0), Some(&nocache));
        assert_eq!(wb.sheets[0].get(1, 0), Some(&nocache));
    }

    #[test]
    fn one_long_shared_string_in_many_cells_is_s06() {
        let long = "长".repeat(10_000);
        let sst = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1"><si><t>{long}</t></si></sst>"#
        );
        let cells = r#"<c t="s"><v>0</v></c>"#.repeat(16);
        let rows: String = (1..=4000)
            .map(|r| format!(r#"<row r="{r}">{cells}</row>"#))
            .collect();
        let b = xlsx(&sheet_xml(&rows), Some(&sst));
        rejects("白砂镇.xlsx", &b, Code::S06, "很长的文字");
    }
}
