//! The writer core: one table model ([`Grid`]: headers, column looks and
//! cells read column by column, borrowed) and the one way a table is laid
//! out on a sheet — styled, frozen header row, autofilter, widths that fit
//! Chinese text, text always as text and cut to Excel's limit, long tables
//! continued on numbered sheets past Excel's row limit.

use crate::read::normalise::Date;
use crate::write::columns;
use crate::write::page::Page;
use crate::write::style;
use polars::prelude::{DataFrame, DataType};
use rayon::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::ops::Range;

/// Excel's limit of rows in one worksheet (header included).
pub(crate) const EXCEL_MAX_ROWS: usize = 1_048_576;

/// A grid that writer threads can share.
pub(crate) type SyncGrid<'a> = dyn Grid + Send + Sync + 'a;

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Blank,
    Text(String),
    Num(f64),
    Date(Date),
    /// A number shown its own way, not its column's (a value column of
    /// label/value rows: money in one row, a factor in the next).
    As(f64, ColFmt),
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Blank
        } else {
            Cell::Text(s)
        }
    }

    pub(crate) fn opt(s: Option<&str>) -> Cell {
        s.map(Cell::text).unwrap_or(Cell::Blank)
    }

    pub(crate) fn count(n: usize) -> Cell {
        Cell::Num(n as f64)
    }
}

/// How a column's cells look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ColFmt {
    Text,
    /// Long text, wrapped in a column of this width.
    Wrap(f64),
    Integer,
    OneDecimal,
    Percent,
    Money,
    Date,
    /// A scale factor, six places.
    Factor,
    /// A number as written (a weight, a limit): Excel's General.
    Plain,
}

impl ColFmt {
    /// The cell format of the look: centred vertically, so a row made tall
    /// by one wrapped cell reads as one line of the table.
    pub(crate) fn format(self) -> Format {
        let f = match self {
            ColFmt::Text | ColFmt::Plain => Format::new(),
            ColFmt::Wrap(_) => style::wrap(),
            ColFmt::Integer => style::integer(),
            ColFmt::OneDecimal => style::one_decimal(),
            ColFmt::Percent => style::percent(),
            ColFmt::Money => style::money(),
            ColFmt::Date => style::date(),
            ColFmt::Factor => Format::new().set_num_format(style::NUM_FACTOR),
        };
        f.set_align(rust_xlsxwriter::FormatAlign::VerticalCenter)
    }
}

/// A table: a header row and rows of cells.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub(crate) headers: Vec<String>,
    pub(crate) cols: Vec<ColFmt>,
    pub(crate) rows: Vec<Vec<Cell>>,
    /// Rows written bold (合计, 小计).
    pub(crate) bold: Vec<bool>,
    /// Rows covered by the autofilter (from the first); the rest (合计)
    /// stays below it.
    pub(crate) filter_rows: usize,
    /// Columns frozen left of the data.
    pub(crate) freeze_cols: u16,
}

impl Table {
    /// An empty table with these headers, each column looking as declared
    /// ([`columns::look`]).
    pub(crate) fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            cols: columns::looks(headers),
            rows: Vec::new(),
            bold: Vec::new(),
            filter_rows: 0,
            freeze_cols: 0,
        }
    }

    pub(crate) fn push(&mut self, row: Vec<Cell>, bold: bool) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
        self.bold.push(bold);
        self.filter_rows = self.rows.len();
    }
}

/// A cell as a writer sees it, borrowed from a table or a polars column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CellRef<'a> {
    Blank,
    Text(&'a str),
    Num(f64),
    Date(Date),
    As(f64, ColFmt),
}

impl Cell {
    pub(crate) fn view(&self) -> CellRef<'_> {
        match self {
            Cell::Blank => CellRef::Blank,
            Cell::Text(s) => CellRef::Text(s),
            Cell::Num(n) => CellRef::Num(*n),
            Cell::Date(d) => CellRef::Date(*d),
            Cell::As(n, f) => CellRef::As(*n, *f),
        }
    }
}

/// A column's cells, one after another, borrowed.
pub(crate) type Column<'a> = Box<dyn Iterator<Item = CellRef<'a>> + 'a>;

/// What `write_table` writes: headers, column looks and the cells column by
/// column, borrowed (a polars frame is never copied into rows of strings).
pub(crate) trait Grid {
    fn headers(&self) -> &[String];
    fn cols(&self) -> &[ColFmt];
    fn len(&self) -> usize;
    /// Rows `range` of column `c`.
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_>;
    fn is_bold(&self, _row: usize) -> bool {
        false
    }
    /// Rows covered by the autofilter, from the first.
    fn filter_rows(&self) -> usize {
        self.len()
    }
    fn freeze_cols(&self) -> u16 {
        0
    }
}

impl Grid for Table {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn cols(&self) -> &[ColFmt] {
        &self.cols
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_> {
        Box::new(self.rows[range].iter().map(move |r| r[c].view()))
    }
    fn is_bold(&self, row: usize) -> bool {
        self.bold[row]
    }
    fn filter_rows(&self) -> usize {
        self.filter_rows
    }
    fn freeze_cols(&self) -> u16 {
        self.freeze_cols
    }
}

/// A polars frame read column by column: text as text, numbers as numbers,
/// formats by header.
pub(crate) struct FrameGrid {
    pub(crate) headers: Vec<String>,
    pub(crate) cols: Vec<ColFmt>,
    pub(crate) columns: Vec<FrameColumn>,
    pub(crate) len: usize,
}

pub(crate) enum FrameColumn {
    Text(polars::prelude::StringChunked),
    Bool(polars::prelude::BooleanChunked),
    Num(polars::prelude::Float64Chunked),
    Null,
}

impl FrameGrid {
    pub(crate) fn new(df: &DataFrame) -> anyhow::Result<FrameGrid> {
        let headers: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = columns::looks(&headers);
        let mut columns = Vec::with_capacity(headers.len());
        for column in df.columns() {
            columns.push(match column.dtype() {
                DataType::String => FrameColumn::Text(column.str()?.clone()),
                DataType::Boolean => FrameColumn::Bool(column.bool()?.clone()),
                DataType::Null => FrameColumn::Null,
                _ => FrameColumn::Num(column.cast(&DataType::Float64)?.f64()?.clone()),
            });
        }
        Ok(FrameGrid {
            headers,
            cols,
            columns,
            len: df.height(),
        })
    }
}

impl Grid for FrameGrid {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn cols(&self) -> &[ColFmt] {
        &self.cols
    }
    fn len(&self) -> usize {
        self.len
    }
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_> {
        let (skip, take) = (range.start, range.len());
        match &self.columns[c] {
            FrameColumn::Text(ca) => Box::new(ca.iter().skip(skip).take(take).map(|v| {
                v.filter(|s| !s.is_empty())
                    .map_or(CellRef::Blank, CellRef::Text)
            })),
            FrameColumn::Bool(ca) => Box::new(ca.iter().skip(skip).take(take).map(|v| match v {
                Some(true) => CellRef::Text("是"),
                Some(false) => CellRef::Text("否"),
                None => CellRef::Blank,
            })),
            FrameColumn::Num(ca) => Box::new(ca.iter().skip(skip).take(take).map(|v| match v {
                Some(x) if x.is_finite() => CellRef::Num(x),
                _ => CellRef::Blank,
            })),
            FrameColumn::Null => Box::new(std::iter::repeat_n(CellRef::Blank, take)),
        }
    }
}

/// A polars frame as an owned table (for the small tables that get rows
/// added or marked bold).
pub(crate) fn frame_table(df: &DataFrame) -> anyhow::Result<Table> {
    let grid = FrameGrid::new(df)?;
    let n = grid.len();
    let mut rows: Vec<Vec<Cell>> = (0..n)
        .map(|_| Vec::with_capacity(grid.headers.len()))
        .collect();
    for c in 0..grid.headers.len() {
        for (row, v) in rows.iter_mut().zip(grid.column(c, 0..n)) {
            row.push(match v {
                CellRef::Blank => Cell::Blank,
                CellRef::Text(s) => Cell::Text(s.to_string()),
                CellRef::Num(x) => Cell::Num(x),
                CellRef::Date(d) => Cell::Date(d),
                CellRef::As(x, f) => Cell::As(x, f),
            });
        }
    }
    let mut t = Table {
        headers: grid.headers,
        cols: grid.cols,
        rows: Vec::new(),
        bold: Vec::new(),
        filter_rows: 0,
        freeze_cols: 0,
    };
    for r in rows {
        t.push(r, false);
    }
    Ok(t)
}

#[allow(clippy::single_range_in_vec_init)]
/// Row ranges of the sheets a table of `n` rows needs when a sheet holds
/// `max_rows` rows, header included. Always at least one (maybe empty).
pub(crate) fn split_ranges(n: usize, max_rows: usize) -> Vec<Range<usize>> {
    let per = max_rows.saturating_sub(1).max(1);
    if n == 0 {
        return vec![0..0];
    }
    (0..n)
        .step_by(per)
        .map(|start| start..(start + per).min(n))
        .collect()
}

/// `标牌明细`, `标牌明细2`, `标牌明细3`, …
pub(crate) fn part_name(base: &str, k: usize) -> String {
    if k == 0 {
        base.to_string()
    } else {
        format!("{base}{}", k + 1)
    }
}

/// Add the sheets of tables, in the order of `jobs`: `make` gives a job's
/// table and base name, written on as many sheets as Excel's row limit
/// needs, each with the header row. Each job runs on its own rayon task
/// and its table is dropped once written, so only the tables being written
/// are in memory. The sheets are in rust_xlsxwriter's constant-memory mode
/// (memory stays flat however many rows there are); the formats are
/// registered before, so the workbook's style indices do not depend on
/// which task came first. Returns the sheet names.
pub(crate) fn add_split_sheets<'a, J: Sync>(
    wb: &mut Workbook,
    jobs: &[J],
    make: impl Fn(&J) -> anyhow::Result<(&'static str, Box<SyncGrid<'a>>)> + Sync,
    max_rows: usize,
    looks: &Looks,
    title: &str,
) -> anyhow::Result<Vec<String>> {
    looks.register(wb)?;
    let shared = std::sync::Mutex::new(&mut *wb);
    let sheets = jobs
        .par_iter()
        .map(|job| -> anyhow::Result<Vec<Worksheet>> {
            let (base, table) = make(job)?;
            let mut sheets = Vec::new();
            for (k, range) in split_ranges(table.len(), max_rows).into_iter().enumerate() {
                let mut ws = shared
                    .lock()
                    .map_err(|_| anyhow::anyhow!("另一个工作表写出时出错"))?
                    .new_worksheet_with_constant_memory()?;
                ws.set_name(part_name(base, k))?;
                let width = write_table(&mut ws, 0, table.as_ref(), range, looks)?;
                Page {
                    title,
                    width,
                    repeat: Some((0, 0)),
                    one_page: false,
                }
                .set_up(&mut ws)?;
                sheets.push(ws);
            }
            Ok(sheets)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut names = Vec::new();
    for ws in sheets.into_iter().flatten() {
        names.push(ws.name());
        wb.push_worksheet(ws);
    }
    Ok(names)
}

/// Every format a table cell or header can take, made once: plain and bold
/// for each column look, and the header's.
pub(crate) struct Looks {
    pub(crate) plain: Vec<Format>,
    pub(crate) bold: Vec<Format>,
    pub(crate) header: Format,
}

impl Looks {
    /// Column looks in a fixed order; `Wrap`'s width does not change its
    /// format.
    const ALL: [ColFmt; 9] = [
        ColFmt::Text,
        ColFmt::Wrap(0.0),
        ColFmt::Integer,
        ColFmt::OneDecimal,
        ColFmt::Percent,
        ColFmt::Money,
        ColFmt::Date,
        ColFmt::Factor,
        ColFmt::Plain,
    ];

    pub(crate) fn new() -> Looks {
        let plain: Vec<Format> = Looks::ALL.iter().map(|c| c.format()).collect();
        let bold = plain.iter().map(|f| f.clone().set_bold()).collect();
        Looks {
            plain,
            bold,
            header: style::header(),
        }
    }

    pub(crate) fn index(c: ColFmt) -> usize {
        match c {
            ColFmt::Text => 0,
            ColFmt::Wrap(_) => 1,
            ColFmt::Integer => 2,
            ColFmt::OneDecimal => 3,
            ColFmt::Percent => 4,
            ColFmt::Money => 5,
            ColFmt::Date => 6,
            ColFmt::Factor => 7,
            ColFmt::Plain => 8,
        }
    }

    pub(crate) fn plain(&self, c: ColFmt) -> &Format {
        &self.plain[Looks::index(c)]
    }

    pub(crate) fn bold(&self, c: ColFmt) -> &Format {
        &self.bold[Looks::index(c)]
    }

    /// Give every format its workbook index now, in this order: a scratch
    /// constant-memory sheet (never added) writes one blank cell in each.
    pub(crate) fn register(&self, wb: &mut Workbook) -> Result<(), XlsxError> {
        let mut scratch = wb.new_worksheet_with_constant_memory()?;
        let all = self.plain.iter().chain(&self.bold).chain([&self.header]);
        for (c, f) in all.enumerate() {
            scratch.write_blank(0, c as u16, f)?;
        }
        Ok(())
    }
}

/// A number as a workbook stores it (and the summary file beside it):
/// sums of one- or two-decimal figures in f64 carry residue
/// (1234.5000000000002), so such a value is rounded to 6 places; a true
/// ratio (0.41818181…) is kept as it is.
pub(crate) fn stored(n: f64) -> f64 {
    let r = (n * 1e6).round() / 1e6;
    if (n - r).abs() <= 1e-9 * n.abs().max(1.0) {
        r
    } else {
        n
    }
}

/// End a sheet whose last row (`last`, 0-based) may have a height of its
/// own. rust_xlsxwriter 0.102, in constant-memory mode, writes such a last
/// row a second time, empty (`flush_last_row`), and a row that comes twice
/// is what Excel takes for a damaged file. An empty row after it — a blank
/// in column `past`, beyond the table, where no format shows — becomes the
/// last row instead.
pub(crate) fn close_rows(ws: &mut Worksheet, last: u32, past: u16) -> Result<(), XlsxError> {
    ws.write_blank(last + 1, past, &Format::new())?;
    Ok(())
}

/// Write one cell; `f` is `None` where the column's format applies.
pub(crate) fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: CellRef<'_>,
    f: Option<&Format>,
) -> Result<(), XlsxError> {
    match cell {
        CellRef::Blank => {}
        CellRef::Text(s) => {
            let s = style::cut_to_excel_limit(s);
            match f {
                Some(f) => ws.write_string_with_format(row, col, s, f)?,
                None => ws.write_string(row, col, s)?,
            };
        }
        CellRef::Num(n) | CellRef::As(n, _) if n.is_finite() => {
            let v = stored(n);
            match f {
                Some(f) => ws.write_number_with_format(row, col, v, f)?,
                None => ws.write_number(row, col, v)?,
            };
        }
        CellRef::Num(_) | CellRef::As(..) => {}
        CellRef::Date(d) => {
            let dt = ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
            match f {
                Some(f) => ws.write_datetime_with_format(row, col, &dt, f)?,
                None => ws.write_datetime_with_format(row, col, &dt, &style::date())?,
            };
        }
    }
    Ok(())
}

/// Narrowest and widest width of a column.
pub(crate) fn width_bounds(c: ColFmt) -> (f64, f64) {
    match c {
        ColFmt::Wrap(w) => (w, w),
        ColFmt::Text => (8.0, 50.0),
        ColFmt::Date => (12.0, 12.0),
        _ => (8.0, 20.0),
    }
}

/// The widest a column's cells show, as far as it can matter to a column
/// whose width is kept within `..=max` (two units of padding added). A
/// fixed-width column (`Wrap`) measures nothing; past `max` measuring
/// stops; a text whose [`style::width_bound`] is no more than the widest
/// so far is skipped unmeasured, as it cannot be wider.
/// The 说明 of tens of thousands of findings is never measured.
pub(crate) fn widest_shown<'a>(
    fmt: ColFmt,
    cells: impl Iterator<Item = CellRef<'a>>,
    max: f64,
    buf: &mut String,
) -> f64 {
    if let ColFmt::Wrap(_) = fmt {
        return 0.0;
    }
    let mut widest = 0.0f64;
    for v in cells {
        if widest + 2.0 >= max {
            break;
        }
        if let CellRef::Text(s) = v {
            if style::width_bound(s) <= widest {
                continue;
            }
        }
        widest = widest.max(shown_width(fmt, v, buf));
    }
    widest
}

/// The width of the text a cell shows in a column of look `fmt`, without
/// allocating for text cells (`buf` is reused for numbers).
pub(crate) fn shown_width(fmt: ColFmt, cell: CellRef<'_>, buf: &mut String) -> f64 {
    use std::fmt::Write as _;
    buf.clear();
    match cell {
        CellRef::Blank => return 0.0,
        CellRef::Text(s) => return style::text_width(s),
        CellRef::Date(d) => {
            let _ = write!(buf, "{d}");
        }
        CellRef::Num(n) | CellRef::As(n, _) => {
            let fmt = match cell {
                CellRef::As(_, own) => own,
                _ => fmt,
            };
            let _ = match fmt {
                ColFmt::OneDecimal => write!(buf, "{n:.1}"),
                ColFmt::Percent => write!(buf, "{:.1}%", n * 100.0),
                ColFmt::Money => {
                    let _ = write!(buf, "{n:.0}");
                    let commas = buf.trim_start_matches('-').len().saturating_sub(1) / 3;
                    buf.extend(std::iter::repeat_n(',', commas));
                    Ok(())
                }
                ColFmt::Factor => write!(buf, "{n:.6}"),
                ColFmt::Plain => write!(buf, "{n}"),
                _ => write!(buf, "{n:.0}"),
            };
        }
    }
    buf.len() as f64
}

/// The most lines a wrapped row is made tall enough for.
const MAX_LINES: u8 = 20;

/// The height of a row of `lines` lines: one line is Excel's default.
fn line_height(lines: u8) -> f64 {
    if lines <= 1 {
        15.0
    } else {
        16.0 * lines as f64 + 2.0
    }
}

/// How many lines each row of `range` needs for its wrapped cells.
fn row_lines(table: &dyn Grid, range: Range<usize>) -> Vec<u8> {
    let mut lines = vec![1u8; range.len()];
    for (c, fmt) in table.cols().iter().enumerate() {
        let ColFmt::Wrap(w) = fmt else { continue };
        for (l, cell) in lines.iter_mut().zip(table.column(c, range.clone())) {
            if let CellRef::Text(s) = cell {
                let n = style::wrapped_lines(s, *w).min(MAX_LINES as u32) as u8;
                *l = (*l).max(n);
            }
        }
    }
    lines
}

/// Write rows `range` of a table with its header at `top`: header styled
/// and frozen, autofilter over the table, widths that fit. Rows are written
/// in order (constant-memory sheets need that); a column's format is set
/// once on the column, so plain cells carry no format of their own.
pub(crate) fn write_table(
    ws: &mut Worksheet,
    top: u32,
    table: &dyn Grid,
    range: Range<usize>,
    looks: &Looks,
) -> Result<f64, XlsxError> {
    let ncols = table.headers().len();
    if ncols == 0 {
        return Ok(0.0);
    }
    let last_col = (ncols - 1) as u16;

    // Widths: the widest value, and the header's.
    let mut header_lines = 1;
    let mut total = 0.0;
    let mut buf = String::new();
    for (c, h) in table.headers().iter().enumerate() {
        let fmt = table.cols()[c];
        let (min, max) = width_bounds(fmt);
        let widest = widest_shown(fmt, table.column(c, range.clone()), max, &mut buf);
        // A long header wraps: over a number column in lines of four
        // characters, so a wide table of figures stays narrow on paper.
        let cap = match fmt {
            ColFmt::Text | ColFmt::Wrap(_) | ColFmt::Date => 14.0,
            _ => 8.0,
        };
        let header_w = style::text_width(h).min(cap) + 2.0;
        let width = (widest + 2.0)
            .clamp(min, max)
            .max(header_w)
            .min(max.max(header_w));
        ws.set_column_width(c as u16, width)?;
        total += width;
        ws.set_column_format(c as u16, looks.plain(fmt))?;
        header_lines = header_lines.max(style::wrapped_lines(h, width));
    }

    for (c, text) in table.headers().iter().enumerate() {
        style::write_text(ws, top, c as u16, text, &looks.header)?;
    }
    ws.set_row_height(top, 16.0 * header_lines as f64 + 6.0)?;

    // A row of wrapped text is as tall as its lines. The commonest height
    // is made the sheet's default, so that only the other rows carry a
    // height of their own: rust_xlsxwriter keeps a record of every such row
    // until the sheet is done, and a 校验问题 of tens of thousands of
    // findings, nearly all two lines long, would hold tens of MB of them.
    let lines = row_lines(table, range.clone());
    let mut count = [0usize; MAX_LINES as usize + 1];
    for l in &lines {
        count[*l as usize] += 1;
    }
    let common = (1..=MAX_LINES)
        .max_by_key(|l| (count[*l as usize], std::cmp::Reverse(*l)))
        .unwrap_or(1);
    if common > 1 {
        ws.set_default_row_height(line_height(common));
    }
    let mut columns: Vec<Column<'_>> = (0..ncols).map(|c| table.column(c, range.clone())).collect();
    let mut cells: Vec<CellRef<'_>> = Vec::with_capacity(ncols);
    for (k, i) in range.clone().enumerate() {
        let row = top + 1 + k as u32;
        cells.clear();
        cells.extend(
            columns
                .iter_mut()
                .map(|it| it.next().unwrap_or(CellRef::Blank)),
        );
        // A row's height goes before its cells (constant-memory sheets
        // write a row out when the next one starts).
        if lines[k] != common {
            ws.set_row_height(row, line_height(lines[k]))?;
        }
        let is_bold = table.is_bold(i);
        for (c, (cell, fmt)) in cells.iter().zip(table.cols()).enumerate() {
            // A date always carries the date format, a number shown its
            // own way its own; other plain cells take their column's.
            let own = match cell {
                CellRef::Date(_) => Some(ColFmt::Date),
                CellRef::As(_, f) => Some(*f),
                _ => None,
            };
            let f = match (is_bold, own) {
                (true, Some(o)) => Some(looks.bold(o)),
                (true, None) => Some(looks.bold(*fmt)),
                (false, Some(o)) => Some(looks.plain(o)),
                (false, None) => None,
            };
            write_cell(ws, row, c as u16, *cell, f)?;
        }
    }

    let filtered = range
        .end
        .min(table.filter_rows())
        .saturating_sub(range.start);
    ws.autofilter(top, 0, top + filtered as u32, last_col)?;
    ws.set_freeze_panes(top + 1, table.freeze_cols())?;
    // The header always has its height; a body row may.
    let n = lines.len();
    if n == 0 || lines[n - 1] != common {
        close_rows(ws, top + n as u32, last_col + 1)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column width `widest_shown` leads to is the one measuring every
    /// cell gives, for every column look, over texts and figures in every
    /// order (widest first, last, in between; past the bound; wide text
    /// shorter in bytes than narrow text).
    #[test]
    fn widths_from_the_widest_shown_are_those_of_measuring_every_cell() {
        let texts = [
            "P07",
            "党群服务中心",
            "330102001001",
            "abcdefghijklmn",
            "两行\n第二行更长一些的文字",
            "Ａ全角字符",
            "很长的文字很长的文字很长的文字很长的文字很长的文字很长的文字",
            "abcdefghijklmnop",
            "",
        ];
        let nums = [0.0, -1200.5, 12.25, 1e9, 0.375];
        let cells: Vec<CellRef> = texts
            .iter()
            .map(|t| CellRef::Text(t))
            .chain(nums.iter().map(|n| CellRef::Num(*n)))
            .chain([CellRef::Blank, CellRef::As(0.5, ColFmt::Percent)])
            .collect();
        let mut checked = 0;
        for fmt in Looks::ALL.iter().copied().chain([ColFmt::Wrap(36.0)]) {
            let (min, max) = width_bounds(fmt);
            let width = |w: f64| (w + 2.0).clamp(min, max);
            for start in 0..cells.len() {
                for len in [1, 3, cells.len()] {
                    let column: Vec<CellRef> = cells
                        .iter()
                        .cycle()
                        .skip(start)
                        .take(len)
                        .copied()
                        .collect();
                    let mut buf = String::new();
                    let every = column
                        .iter()
                        .map(|v| shown_width(fmt, *v, &mut buf))
                        .fold(0.0, f64::max);
                    let fast = widest_shown(fmt, column.iter().copied(), max, &mut buf);
                    assert_eq!(width(fast), width(every), "{fmt:?} {column:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 10 * 16 * 3);
    }

    /// The `<sheetFormatPr>` and the `<row>` tags of a table's sheet.
    fn rows_xml(table: &Table) -> (String, Vec<String>) {
        let mut wb = Workbook::new();
        let looks = Looks::new();
        // As the long tables are written: in constant-memory mode.
        let ws = wb.add_worksheet_with_constant_memory().unwrap();
        write_table(ws, 0, table, 0..table.len(), &looks).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        let tag = |from: usize| xml[from..from + xml[from..].find('>').unwrap() + 1].to_string();
        let format = tag(xml.find("<sheetFormatPr").unwrap());
        let rows = xml.match_indices("<row ").map(|(i, _)| tag(i)).collect();
        (format, rows)
    }

    fn table(messages: &[&str]) -> Table {
        let mut t = Table::new(&["规则编号", "说明"]);
        for m in messages {
            t.push(vec![Cell::text("P07"), Cell::text(*m)], false);
        }
        t
    }

    #[test]
    fn rows_are_as_tall_as_their_wrapped_text_and_the_commonest_height_is_the_default() {
        // 说明 wraps at 60 units: 40 CJK characters take two lines, 80 three.
        let two = "类".repeat(40);
        let three = "类".repeat(80);
        let (format, rows) = rows_xml(&table(&[&two, "短", &two, &three, &two]));
        // 34 points (two lines of 16 and 2) is 45 pixels, which Excel stores
        // as 33.75 points.
        assert_eq!(
            format,
            r#"<sheetFormatPr defaultRowHeight="33.75" customHeight="1"/>"#
        );
        assert_eq!(
            rows,
            [
                r#"<row r="1" ht="21.75" customHeight="1">"#,
                r#"<row r="2" ht="33.75" customHeight="1">"#,
                r#"<row r="3" ht="15" customHeight="1">"#,
                r#"<row r="4" ht="33.75" customHeight="1">"#,
                r#"<row r="5" ht="50.25" customHeight="1">"#,
                r#"<row r="6" ht="33.75" customHeight="1">"#,
            ]
        );
        // One-line rows the most common: Excel's default, no height of
        // their own.
        let (format, rows) = rows_xml(&table(&["短", &two, "短"]));
        assert_eq!(format, r#"<sheetFormatPr defaultRowHeight="15"/>"#);
        assert_eq!(rows[1], r#"<row r="2">"#);
        assert_eq!(rows[2], r#"<row r="3" ht="33.75" customHeight="1">"#);
        assert_eq!(rows[3], r#"<row r="4">"#);
    }
}
