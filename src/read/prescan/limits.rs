//! The pre-scan's fixed limits and the budgets one file spends, beside the
//! places in calamine 0.38 they keep from allocating what a file claims.
//!
//! calamine trusts numbers written in the file. A failed allocation aborts
//! the process (no `catch_unwind` helps), so every place where it sizes
//! memory from the file is bounded first, streaming, with bounded memory (a
//! reused XML buffer, a counting reader that stops at the limit) and
//! without inflating a part into a `Vec`:
//!
//! | calamine 0.38 site | what the file controls | guard |
//! |---|---|---|
//! | `xlsx/mod.rs:364` `strings.reserve(uniqueCount)` | `<sst uniqueCount>` | > 2,000,000 or > part size / 8 + 16 → S06; the `<si>` themselves counted only in a part big enough to hold more than 2,000,000 |
//! | `xlsx/cells_reader.rs:434` `formulas.resize(si + 1)` | `<f t="shared" si>` | not reached: `workbook::open` reads with `next_cell_with_formula_metadata` (no expansion) |
//! | `xlsx/cells_reader.rs:448` shared formula expanded per derived cell | anchor formula × derived cells | not reached (as above); the anchor's text is counted once |
//! | `xlsx/cells_reader.rs` `SharedString` (cloned by `workbook.rs`) | one long shared string × many cells | counted before the copy ([`CellGuard`], text budget) |
//! | xlsx worksheet rows / cells | the sheet's `<row>`/`<c>` | [`CellGuard`] as calamine streams: > {max_rows} rows, > 2,000,000 cells → S06; in a sheet declared over 16 MB, counted by the pre-scan first as the sheet streams (`xlsx/sheet.rs`) |
//! | xlsx worksheet part inflated by calamine | its zip entry; one XML event buffered whole | the zip crate stops every part at its declared size (more: S06 from `workbook::open`) and the declared sizes are held to the inflate budget; a part declared over 16 MB is streamed through a small buffer first: no stretch > 16 MB without a `<` → S06 |
//! | `xls.rs:667` `cells.reserve(rows * cols)` | DIMENSIONS (0x0200), reversed bounds wrap | > 2,000,000 cells → S06 |
//! | `xls.rs:724-725` `Range::from_sparse` → `lib.rs:1051` `vec![..; rows * cols]` | bounding box of cell / formula records | > 2,000,000 per sheet, 4,000,000 per file → S06 |
//! | `xls.rs:1341` `cont.remove(0)` per CONTINUE (quadratic) | CONTINUE records after one record | > 16,384 → S06 |
//! | `xls.rs:1529..` formula text (`PtgAttrSpace` inserts, names, 3-D refs) | formula tokens | estimated length and work, budgeted |
//! | `xls.rs:1094` LABELSST clones an SST string per cell | SST strings × cells | text budget |
//! | `cfb.rs:138,152-153` `get_chain` (`cfb.rs:328-345`) loops until ENDOFCHAIN / len | FAT cycles, huge stream sizes | chains walked with cycle detection → S01 |
//! | `ods.rs:532` / `ods.rs:581` `get_range` rebuilds rows × width, clones per repeat | `number-rows-repeated` on rows with content | bounding box > 2,000,000 cells → S06 |
//! | `ods.rs:643-664` `read_row` materialises `number-columns-repeated` | repeats before a non-empty cell | materialised cells > 8,000,000 → S06 |
//! | `ods.rs:775` `for _ in 0..text:c { push(' ') }` | `<text:s text:c>` | > 65,536 → S06, counted in text budget |
//! | `xlsb/mod.rs:734` `buf.resize(record len)` (≤ 256 MB) | record length varint | longer than the part → S01 |
//! | `utils.rs:217` / zip `HashMap::with_capacity(entries)` | zip entry count | > 1,000 → S06 (zip 9.4 bounds its own allocation by the file size) |
//!
//! Not bounded here because calamine does not allocate from them: an xlsx
//! `<dimension ref>` and a cell's `r` far away (our xlsx/xlsb reading is
//! sparse, `worksheet_cells_reader`), XML nesting inside a worksheet (the
//! streaming reader does not recurse; a garbled reference there is calamine's
//! error, S01, or in a debug build its overflow panic, caught, S01); xlsb `BrtWsDim`; XLS SST `cstUnique`
//! (read string by string), BLANK/MULBLANK records (calamine skips them,
//! `xls.rs:669`). They are still checked where the rules ask (SST counts).

// `Finding` is the error type the callers' signatures ask for; findings
// are rare and never on a hot path.
#![allow(clippy::result_large_err)]

use super::refusal::Refusal;
use crate::finding::Finding;
use crate::policy::Limits;

pub(crate) const MIB: u64 = 1024 * 1024;
/// Zip parts: a return has 15–40 (one per sheet, styles, theme, rels,
/// docProps, a few pictures); 1,000 is far beyond any real workbook and
/// bounds the directory walked here and the path cache calamine builds.
pub(crate) const MAX_ZIP_ENTRIES: usize = 1_000;
/// Sheets: the template has 7; 255 (Excel's classic default ceiling) is far
/// beyond a real return and bounds per-sheet work.
pub(crate) const MAX_SHEETS: usize = 255;
/// XML nesting: a worksheet is ~6 deep, drawings ~15; 64 is never reached by
/// Excel, WPS or LibreOffice output.
pub(crate) const MAX_XML_DEPTH: usize = 64;
/// One XML event (a tag or a run of text) may not exceed this many inflated
/// bytes: keeps the reused XML buffer, and so our memory, bounded.
pub(crate) const MAX_XML_EVENT_BYTES: u64 = 16 * MIB;
/// Shared strings in a table, any format.
pub(crate) const MAX_SST_ENTRIES: u64 = 2_000_000;
/// Smallest possible `<si>`: `<si><t/></si>` is 12 bytes; 8 leaves slack.
pub(crate) const MIN_XML_SI_BYTES: u64 = 8;
/// The shortest shared string element, `<si/>`.
pub(crate) const MIN_SI_ELEMENT_BYTES: u64 = 5;
/// Smallest BrtSSTItem: 1 type + 1 length + 1 flags + 4 cch bytes.
pub(crate) const MIN_XLSB_SI_BYTES: u64 = 7;
/// Smallest XLS SST string: cch (2) + flags (1).
pub(crate) const MIN_XLS_SI_BYTES: u64 = 3;
/// Non-empty cells in the whole workbook (a return has ~10^4–10^5).
pub(crate) const MAX_CELLS: u64 = 2_000_000;
/// A county file (the county scores) has one row per village and a few
/// columns: its cell budget is its row limit times this, when larger.
pub(crate) const CELLS_PER_ROW: u64 = 4;
/// Dense grid (xls, ods) of one sheet, in cells.
pub(crate) const MAX_DENSE_CELLS: u64 = 2_000_000;
/// Dense grids of all sheets together (calamine keeps them all).
pub(crate) const MAX_DENSE_CELLS_TOTAL: u64 = 4_000_000;
/// Cells calamine's ODS `read_row` materialises before building the grid.
pub(crate) const MAX_ODS_MATERIALISED: u64 = 8_000_000;
/// Text materialised from references: shared strings cloned per cell, shared
/// formulas expanded per cell, ODS values cloned per repeat, XLS formulas.
pub(crate) const MAX_CELL_TEXT_BYTES: u64 = 128 * MIB;
/// `<text:s text:c>`: calamine pushes that many spaces one by one.
pub(crate) const MAX_ODS_SPACES: u64 = 65_536;
/// CONTINUE records after one BIFF record (calamine removes them from the
/// front of a Vec one by one: quadratic).
pub(crate) const MAX_CONTINUE_RECORDS: usize = 16_384;
/// Byte moves calamine's XLS formula decoder may make (inserts, splits).
pub(crate) const MAX_FORMULA_WORK: u64 = 1 << 31;
pub(crate) const EXCEL_ROWS: u64 = 1_048_576;
pub(crate) const EXCEL_COLS: u64 = 16_384;

/// Counters shared by all parts of one file.
pub(crate) struct Budget {
    cells: u64,
    text: u64,
    work: u64,
    dense: u64,
    max_cells: u64,
}

impl Budget {
    /// [`MAX_CELLS`], or for a file allowed more rows than a return (a
    /// province's county scores: a row per village), its rows × a few.
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            cells: 0,
            text: 0,
            work: 0,
            dense: 0,
            max_cells: MAX_CELLS.max(limits.max_rows.saturating_mul(CELLS_PER_ROW)),
        }
    }
    pub(crate) fn cells(&mut self, n: u64) -> Result<(), Refusal> {
        self.cells = self.cells.saturating_add(n);
        if self.cells > self.max_cells {
            return Err(Refusal::TooManyCells {
                max: self.max_cells,
            });
        }
        Ok(())
    }
    pub(crate) fn text(&mut self, n: u64) -> Result<(), Refusal> {
        self.text = self.text.saturating_add(n);
        if self.text > MAX_CELL_TEXT_BYTES {
            return Err(Refusal::RepeatedText);
        }
        Ok(())
    }
    pub(crate) fn work(&mut self, n: u64) -> Result<(), Refusal> {
        self.work = self.work.saturating_add(n);
        if self.work > MAX_FORMULA_WORK {
            return Err(Refusal::FormulaTooComplex);
        }
        Ok(())
    }
    pub(crate) fn dense(&mut self, n: u64) -> Result<(), Refusal> {
        self.dense = self.dense.saturating_add(n);
        if self.dense > MAX_DENSE_CELLS_TOTAL {
            return Err(Refusal::DenseTotalTooBig);
        }
        Ok(())
    }
}

/// The pre-scan's per-file budgets applied while calamine streams an xlsx
/// worksheet, cell by cell (`workbook::open`): non-empty rows per sheet
/// ({max_rows}), non-empty cells and materialised text per file. The same
/// S06 findings as the pre-scan gives for the other formats.
pub struct CellGuard {
    max_rows: u64,
    budget: Budget,
    rows: u64,
    last_row: Option<u32>,
}

impl CellGuard {
    pub fn new(limits: &Limits) -> CellGuard {
        CellGuard {
            max_rows: limits.max_rows,
            budget: Budget::new(limits),
            rows: 0,
            last_row: None,
        }
    }

    /// A new worksheet starts: its rows are counted afresh.
    pub fn sheet(&mut self) {
        self.rows = 0;
        self.last_row = None;
    }

    /// A non-empty cell of sheet `name` in 0-based `row` whose value and
    /// formula text take `text` bytes.
    pub fn cell(&mut self, name: &str, row: u32, text: usize) -> Result<(), Finding> {
        self.count(name, row, text).map_err(Finding::from)
    }

    /// [`CellGuard::cell`], for the pre-scan.
    pub(crate) fn count(&mut self, name: &str, row: u32, text: usize) -> Result<(), Refusal> {
        if self.last_row != Some(row) {
            self.last_row = Some(row);
            self.rows += 1;
            if self.rows > self.max_rows {
                return Err(Refusal::TooManyRows {
                    sheet: name.to_string(),
                    max_rows: self.max_rows,
                });
            }
        }
        self.budget.cells(1)?;
        self.budget.text(text as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    fn limits() -> Limits {
        crate::policy::Policy::default_rules().limits
    }

    #[test]
    fn a_county_file_may_hold_a_province_of_cells() {
        // A return: 2,000,000 non-empty cells at most.
        let mut b = Budget::new(&limits());
        assert!(b.cells(2_000_000).is_ok());
        let f = Finding::from(b.cells(1).unwrap_err());
        assert_eq!(f.code, Code::S06);
        assert!(
            f.message.contains("非空单元格超过 2000000 个"),
            "{}",
            f.message
        );
        // The roster of 38,000 townships (759,324 villages × 6 columns)
        // passes; four cells a row of twice Excel's 1,048,576 rows is the
        // most.
        let county = limits().for_county_files();
        let mut b = Budget::new(&county);
        assert!(b.cells(759_324 * 6).is_ok());
        let f = Finding::from(b.cells(8 * 1_048_576 - 759_324 * 6 + 1).unwrap_err());
        assert!(
            f.message.contains("非空单元格超过 8388608 个"),
            "{}",
            f.message
        );
    }

    #[test]
    fn rows_are_counted_where_the_row_changes() {
        let mut l = limits();
        l.max_rows = 2;
        let mut g = CellGuard::new(&l);
        for row in [0, 0, 1, 1] {
            g.cell("基本信息", row, 0).unwrap();
        }
        let f = g.cell("基本信息", 2, 0).unwrap_err();
        assert_eq!(f.code, Code::S06);
        assert_eq!(
            &*f.message,
            "文件过大,无法安全读取:工作表「基本信息」的非空数据超过 2 行,超出月报的合理规模。请只保留月报模板中的工作表和数据,删除图片、多余的行列和格式后,用 Excel 或 WPS 另存为 .xlsx 再报送。"
        );
        g.sheet();
        g.cell("标牌清理", 7, 0).unwrap();
    }
}
