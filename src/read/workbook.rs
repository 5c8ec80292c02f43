//! calamine → a sparse grid of cells per sheet: only the cells that hold
//! something are kept, so a stray cell at XFD1048576 costs one entry.

use super::prescan::{CellGuard, Format};
use crate::policy::Limits;
use calamine::{Data, DataRef, Reader, XlsxFormulaMetadata};
use compact_str::CompactString;
use std::collections::BTreeMap;
use std::io::Cursor;

/// A cell's value as the file stores it (formulas by their cached value).
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    /// Short text (most cells) is held inline, without an allocation.
    Text(CompactString),
    Number(f64),
    Bool(bool),
    /// An Excel serial date-time.
    Date(f64),
    /// An Excel error value such as `#DIV/0!`.
    Error(String),
    /// A formula with no saved result (its text).
    NoCachedValue(String),
}

impl CellValue {
    /// The raw text found, for messages and 原值.
    pub(crate) fn show(&self) -> String {
        match self {
            CellValue::Text(s) => s.to_string(),
            CellValue::Number(v) => super::normalise::show_number(*v),
            CellValue::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            CellValue::Date(v) => match super::normalise::Date::from_serial(*v) {
                Some(d) => d.to_string(),
                None => super::normalise::show_number(*v),
            },
            CellValue::Error(e) => e.clone(),
            CellValue::NoCachedValue(f) => format!("={f}"),
        }
    }

    /// Blank text counts as empty.
    pub(crate) fn is_blank(&self) -> bool {
        matches!(self, CellValue::Text(s) if s.trim().is_empty())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawCell {
    pub col: u32,
    pub value: CellValue,
}

/// One row's non-empty cells, sorted by column.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    pub row: u32,
    pub cells: Vec<RawCell>,
}

impl RawRow {
    pub(crate) fn get(&self, col: u32) -> Option<&CellValue> {
        self.cells
            .binary_search_by_key(&col, |c| c.col)
            .ok()
            .map(|i| &self.cells[i].value)
    }
}

/// One worksheet: its name as in the file and its non-empty rows, sorted.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSheet {
    pub name: String,
    pub rows: Vec<RawRow>,
}

impl RawSheet {
    pub(crate) fn row(&self, row: u32) -> Option<&RawRow> {
        self.rows
            .binary_search_by_key(&row, |r| r.row)
            .ok()
            .map(|i| &self.rows[i])
    }
    pub(crate) fn get(&self, row: u32, col: u32) -> Option<&CellValue> {
        self.row(row).and_then(|r| r.get(col))
    }
}

/// Every worksheet of a file, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawWorkbook {
    pub sheets: Vec<RawSheet>,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// calamine could not parse it (becomes S01).
    #[error("{0}")]
    Damaged(String),
    /// A budget of the pre-scan tripped while streaming a worksheet (the
    /// S06 finding to report).
    #[error("{}", .0.message)]
    Refused(Box<crate::finding::Finding>),
}

fn data_value(d: &Data) -> Option<CellValue> {
    match d {
        Data::Empty => None,
        Data::String(s) => Some(CellValue::Text(s.as_str().into())),
        Data::Int(i) => Some(CellValue::Number(*i as f64)),
        Data::Float(f) => Some(CellValue::Number(*f)),
        Data::Bool(b) => Some(CellValue::Bool(*b)),
        Data::DateTime(dt) => Some(if dt.is_duration() {
            CellValue::Number(dt.as_f64())
        } else {
            CellValue::Date(dt.as_f64())
        }),
        Data::DateTimeIso(s) => Some(CellValue::Text(s.as_str().into())),
        Data::DurationIso(s) => Some(CellValue::Text(s.as_str().into())),
        Data::Error(e) => Some(CellValue::Error(e.to_string())),
    }
}

fn dataref_value(d: DataRef<'_>) -> Option<CellValue> {
    match d {
        DataRef::Empty => None,
        DataRef::String(s) => Some(CellValue::Text(s.into())),
        DataRef::SharedString(s) => Some(CellValue::Text((*s).into())),
        DataRef::Int(i) => Some(CellValue::Number(i as f64)),
        DataRef::Float(f) => Some(CellValue::Number(f)),
        DataRef::Bool(b) => Some(CellValue::Bool(b)),
        DataRef::DateTime(dt) => Some(if dt.is_duration() {
            CellValue::Number(dt.as_f64())
        } else {
            CellValue::Date(dt.as_f64())
        }),
        DataRef::DateTimeIso(s) => Some(CellValue::Text(s.into())),
        DataRef::DurationIso(s) => Some(CellValue::Text(s.into())),
        DataRef::Error(e) => Some(CellValue::Error(e.to_string())),
    }
}

/// Collects (row, col, value) into sorted sparse rows.
#[derive(Default)]
struct Grid {
    cells: Vec<(u32, u32, CellValue)>,
}

impl Grid {
    fn push(&mut self, row: u32, col: u32, v: CellValue) {
        self.cells.push((row, col, v));
    }
    fn finish(mut self, name: String) -> RawSheet {
        self.cells.sort_by_key(|(r, c, _)| (*r, *c));
        self.cells.dedup_by_key(|(r, c, _)| (*r, *c));
        // Each row's length first, so that every vector is allocated once
        // at its size (a return has tens of thousands of rows).
        let lengths: Vec<usize> = self
            .cells
            .chunk_by(|a, b| a.0 == b.0)
            .map(<[_]>::len)
            .collect();
        let mut rows: Vec<RawRow> = Vec::with_capacity(lengths.len());
        let mut cells = self.cells.into_iter();
        for n in lengths {
            let mut row = RawRow {
                row: 0,
                cells: Vec::with_capacity(n),
            };
            for (r, c, v) in cells.by_ref().take(n) {
                row.row = r;
                row.cells.push(RawCell { col: c, value: v });
            }
            rows.push(row);
        }
        RawSheet { name, rows }
    }
}

fn err<E: std::fmt::Display>(e: E) -> OpenError {
    OpenError::Damaged(e.to_string())
}

/// calamine's error reading an xlsx part: the zip crate stops a part at its
/// declared size, and more is a lie (a zip bomb), S06 as the pre-scan says
/// it; anything else is damage.
fn read_error(e: calamine::XlsxError, part: &str) -> OpenError {
    let io = match &e {
        calamine::XlsxError::Io(io) => Some(io),
        calamine::XlsxError::Xml(quick_xml::Error::Io(io)) => Some(&**io),
        calamine::XlsxError::Zip(zip::result::ZipError::Io(io)) => Some(io),
        _ => None,
    };
    match io.and_then(|io| super::prescan::bigger_than_declared(io, part)) {
        Some(f) => OpenError::Refused(Box::new(f)),
        None => OpenError::Damaged(e.to_string()),
    }
}

/// Parse a pre-scanned file's bytes into sparse sheets; xlsx worksheets
/// are held to `limits` cell by cell as calamine streams them.
pub(crate) fn open(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<RawWorkbook, OpenError> {
    match format {
        Format::Xlsx => open_xlsx(bytes, limits),
        Format::Xlsb => open_xlsb(bytes),
        Format::Xls => {
            let wb = calamine::Xls::new(Cursor::new(bytes)).map_err(err)?;
            open_dense(wb)
        }
        Format::Ods => {
            let wb = calamine::Ods::new(Cursor::new(bytes)).map_err(err)?;
            open_dense(wb)
        }
    }
}

fn open_xlsx(bytes: &[u8], limits: &Limits) -> Result<RawWorkbook, OpenError> {
    let mut wb =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| read_error(e, "文件中的部件"))?;
    let mut guard = CellGuard::new(limits);
    let mut out = RawWorkbook::default();
    for name in wb.sheet_names() {
        let fail = |e| read_error(e, &format!("工作表「{name}」的部件"));
        let mut grid = Grid::default();
        let mut reader = match wb.worksheet_cells_reader(&name) {
            Ok(r) => r,
            // A chart sheet or a dialog sheet: not a worksheet, nothing to read.
            Err(
                calamine::XlsxError::WorksheetNotFound(_) | calamine::XlsxError::NotAWorksheet(_),
            ) => continue,
            Err(e) => return Err(fail(e)),
        };
        guard.sheet();
        // Shared formulas stay unexpanded (calamine would size a table by
        // the file's `si` and copy the anchor formula into every derived
        // cell); a derived cell without a saved value shows its anchor's
        // formula, as written in the file.
        let mut anchors: BTreeMap<usize, String> = BTreeMap::new();
        while let Some(cell) = reader.next_cell_with_formula_metadata().map_err(fail)? {
            let (row, col) = cell.pos;
            let formula = match cell.formula {
                Some(XlsxFormulaMetadata::Normal { formula }) => Some(formula),
                Some(XlsxFormulaMetadata::Shared {
                    shared_index,
                    formula,
                    ..
                }) => {
                    anchors
                        .entry(shared_index)
                        .or_insert_with(|| formula.clone());
                    Some(formula)
                }
                Some(XlsxFormulaMetadata::SharedDerived { shared_index }) => {
                    anchors.get(&shared_index).cloned()
                }
                // `XlsxFormulaMetadata` is non-exhaustive: a kind a later
                // calamine adds is read as no formula.
                Some(_) | None => None,
            }
            .filter(|f| !f.is_empty());
            let text = match &cell.value {
                DataRef::SharedString(s) => s.len(),
                DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
                DataRef::Empty
                | DataRef::Int(_)
                | DataRef::Float(_)
                | DataRef::Bool(_)
                | DataRef::DateTime(_)
                | DataRef::Error(_) => 0,
            } + formula.as_ref().map_or(0, String::len);
            if matches!(cell.value, DataRef::Empty) && formula.is_none() {
                continue;
            }
            // Counted before the shared string is copied.
            guard
                .cell(&name, row, text)
                .map_err(|f| OpenError::Refused(Box::new(f)))?;
            let value = match (dataref_value(cell.value), formula) {
                // A formula whose saved result is nothing (no `<v>`, or an
                // empty one) was never calculated.
                (None, Some(f)) => Some(CellValue::NoCachedValue(f)),
                (Some(CellValue::Text(t)), Some(f)) if t.is_empty() => {
                    Some(CellValue::NoCachedValue(f))
                }
                (v, _) => v,
            };
            if let Some(v) = value {
                grid.push(row, col, v);
            }
        }
        drop(reader);
        out.sheets.push(grid.finish(name));
    }
    Ok(out)
}

fn open_xlsb(bytes: &[u8]) -> Result<RawWorkbook, OpenError> {
    let mut wb = calamine::Xlsb::new(Cursor::new(bytes)).map_err(err)?;
    let mut out = RawWorkbook::default();
    for name in wb.sheet_names() {
        let mut grid = Grid::default();
        // A chart sheet has no cells to read.
        let Ok(mut reader) = wb.worksheet_cells_reader(&name) else {
            continue;
        };
        while let Some(cell) = reader.next_cell().map_err(err)? {
            let (row, col) = cell.get_position();
            if let Some(v) = dataref_value(cell.get_value().clone()) {
                grid.push(row, col, v);
            }
        }
        drop(reader);
        out.sheets.push(grid.finish(name));
    }
    Ok(out)
}

/// .xls and .ods: calamine builds the grids at open; the pre-scan has
/// bounded their size. Formulas without a saved value are looked up per sheet.
fn open_dense<RS, R>(mut wb: R) -> Result<RawWorkbook, OpenError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let mut out = RawWorkbook::default();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(err)?;
        let mut grid = Grid::default();
        if let Some((r0, c0)) = range.start() {
            for (r, c, v) in range.used_cells() {
                if let Some(v) = data_value(v) {
                    grid.push(r0 + r as u32, c0 + c as u32, v);
                }
            }
        }
        // A formula whose cell holds no value was never calculated and saved.
        if let Ok(formulas) = wb.worksheet_formula(&name) {
            if let Some((r0, c0)) = formulas.start() {
                for (r, c, f) in formulas.used_cells() {
                    let (row, col) = (r0 + r as u32, c0 + c as u32);
                    if !f.is_empty()
                        && range
                            .get_value((row, col))
                            .is_none_or(|v| *v == Data::Empty)
                    {
                        grid.push(row, col, CellValue::NoCachedValue(f.clone()));
                    }
                }
            }
        }
        out.sheets.push(grid.finish(name));
    }
    Ok(out)
}
