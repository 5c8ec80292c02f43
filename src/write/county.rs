//! The county workbook `县级汇总_<县名>_<period>.xlsx` (`outputs.md`
//! "County workbook"): 说明, 汇总 (with its 合计 row and a chart of 摘牌率),
//! every used village row of the five data sheets, 环比 (with a previous
//! period), 报送情况 and 校验问题.
//!
//! The figures come from `crate::aggregate` (polars); this file only lays
//! them out. Every table has a styled, frozen header row, an autofilter and
//! column widths that fit Chinese text; text is always written as text
//! (never a formula) and cut to Excel's cell limit; the document date is the
//! first day of the period, so the same input gives the same bytes.

use crate::aggregate;
use crate::batch::{Batch, FileEntry, Status};
use crate::finding::Finding;
use crate::model::Cover;
use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::schema::{self, Kind, SheetId};
use crate::workspace::CountyConfig;
use crate::write::{atomic, style, template};
use anyhow::Context as _;
use polars::prelude::{DataFrame, DataType};
use rayon::prelude::*;
use rust_xlsxwriter::{
    Chart, ChartType, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Excel's limit of rows in one worksheet (header included).
pub const EXCEL_MAX_ROWS: usize = 1_048_576;

/// Sheet names.
pub const README_SHEET: &str = "说明";
pub const SUMMARY_SHEET: &str = "汇总";
pub const MOM_SHEET: &str = "环比";
pub const SUBMISSIONS_SHEET: &str = "报送情况";
pub const FINDINGS_SHEET: &str = "校验问题";

/// The data sheets copied village by village, in template order.
pub const DETAIL_SHEETS: [SheetId; 5] = [
    SheetId::Signs,
    SheetId::SignDetail,
    SheetId::Rooms,
    SheetId::Duty,
    SheetId::Stars,
];

/// Headers of 报送情况.
pub const SUBMISSION_HEADERS: [&str; 10] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "报送状态",
    "文件",
    "填报人",
    "联系电话",
    "填报日期",
    "错误数",
    "提示数",
    "已说明提示数",
];

/// Headers of 校验问题.
pub const FINDING_HEADERS: [&str; 10] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "文件",
    "工作表",
    "单元格",
    "村(社区)代码",
    "规则编号",
    "级别",
    "说明",
    "原值",
];

/// Headers of the input-file table of 说明.
pub const FILE_HEADERS: [&str; 5] = ["文件", "SHA-256", "乡镇(街道)代码", "乡镇(街道)", "状态"];

/// What the county workbook is made of.
pub struct CountyInput<'a> {
    pub county: &'a CountyConfig,
    pub period: Period,
    pub batch: &'a Batch,
    /// The 环比 table ([`aggregate::month_over_month`]), when there is a
    /// previous period. The caller makes it before the writers start, so
    /// its query's working memory and the previous period's rows are gone
    /// before the long tables are made.
    pub month_over_month: Option<&'a DataFrame>,
    pub policy: &'a Policy,
    pub tool_version: &'a str,
    /// Lines for 说明, e.g. which roster rules were skipped.
    pub notes: &'a [String],
    /// Findings on files that are not returns (the county scores file: its
    /// V/X findings and T01), listed in 校验问题 with the batch's.
    pub extra_findings: &'a [Finding],
}

/// `县级汇总_<县名>_<period>.xlsx`, safe as a file name.
pub fn file_name(county: &str, period: Period) -> String {
    crate::write::safe_file_name(&format!("县级汇总_{county}_{period}.xlsx"))
}

/// Build the county workbook in memory.
pub fn build(input: &CountyInput) -> anyhow::Result<Workbook> {
    build_with_limit(input, EXCEL_MAX_ROWS)
}

/// Build and save the county workbook atomically in `dir`; returns its path.
pub fn write_file(input: &CountyInput, dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(file_name(&input.county.name, input.period));
    let mut wb = build(input)?;
    atomic::save(&mut wb, &path).map_err(|e| anyhow::anyhow!("无法写入 {}:{e}", path.display()))?;
    Ok(path)
}

/// [`build`] with a row limit per sheet (tests use a small one).
fn build_with_limit(input: &CountyInput, max_rows: usize) -> anyhow::Result<Workbook> {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(super::ZIP_LEVEL);
    let title = format!("{}{}县级汇总", input.county.name, input.period);
    wb.set_properties(&template::properties(Some(input.period), &title)?);

    let looks = Looks::new();
    write_readme(wb.add_worksheet().set_name(README_SHEET)?, input, &looks)?;
    // 汇总 has a row per township (a province's has thousands): written in
    // row order, in constant-memory mode like the long tables.
    write_summary(
        wb.add_worksheet_with_constant_memory()?
            .set_name(SUMMARY_SHEET)?,
        input,
        &looks,
    )?;

    // The long tables, each made and written on its own rayon task.
    let mut jobs: Vec<LongTable> = DETAIL_SHEETS
        .iter()
        .map(|id| LongTable::Data(*id))
        .collect();
    if input.month_over_month.is_some() {
        jobs.push(LongTable::MonthOverMonth);
    }
    jobs.extend([LongTable::Submissions, LongTable::Findings]);
    add_split_sheets(&mut wb, &jobs, |job| job.make(input), max_rows, &looks)?;
    Ok(wb)
}

/// A grid that writer threads can share.
type SyncGrid<'a> = dyn Grid + Send + Sync + 'a;

/// The tables that may run long, in sheet order after 说明 and 汇总.
enum LongTable {
    /// A data sheet, village by village.
    Data(SheetId),
    MonthOverMonth,
    Submissions,
    Findings,
}

impl LongTable {
    /// The table and the name of its (first) sheet.
    fn make<'a>(
        &self,
        input: &CountyInput<'a>,
    ) -> anyhow::Result<(&'static str, Box<SyncGrid<'a>>)> {
        Ok(match self {
            LongTable::Data(id) => {
                let rows = aggregate::VillageRows::of(input.batch, *id)
                    .with_context(|| format!("无法汇总“{}”", schema::sheet_name(*id)))?;
                (schema::sheet_name(*id), Box::new(RowsGrid::new(rows)))
            }
            LongTable::MonthOverMonth => {
                let df = input
                    .month_over_month
                    .context("没有上期数据,无法计算环比")?;
                (MOM_SHEET, Box::new(FrameGrid::new(df)?))
            }
            LongTable::Submissions => (SUBMISSIONS_SHEET, Box::new(submissions_table(input.batch))),
            LongTable::Findings => (
                FINDINGS_SHEET,
                Box::new(findings_table(input.batch, input.extra_findings)),
            ),
        })
    }
}

// ---------------------------------------------------------------------------
// Tables

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Blank,
    Text(String),
    Num(f64),
    Date(Date),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Blank
        } else {
            Cell::Text(s)
        }
    }

    fn opt(s: Option<&str>) -> Cell {
        s.map(Cell::text).unwrap_or(Cell::Blank)
    }

    fn count(n: usize) -> Cell {
        Cell::Num(n as f64)
    }
}

/// How a column's cells look.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ColFmt {
    Text,
    /// Long text, wrapped in a column of this width.
    Wrap(f64),
    Integer,
    OneDecimal,
    Percent,
    Money,
    Date,
}

impl ColFmt {
    fn format(self) -> Format {
        match self {
            ColFmt::Text => Format::new(),
            ColFmt::Wrap(_) => style::wrap(),
            ColFmt::Integer => style::integer(),
            ColFmt::OneDecimal => style::one_decimal(),
            ColFmt::Percent => style::percent(),
            ColFmt::Money => style::money(),
            ColFmt::Date => style::date(),
        }
    }
}

/// The look of a column by its header: shares as percent, then the schema
/// column's kind (also for the 环比 columns `<列名>本期/上期/变动`), else
/// numbers as whole numbers.
fn format_for(header: &str) -> ColFmt {
    if header == aggregate::REMOVAL_RATE || header == aggregate::SERVICE_SHARE {
        return ColFmt::Percent;
    }
    let base = [
        aggregate::THIS_PERIOD,
        aggregate::LAST_PERIOD,
        aggregate::CHANGE,
    ]
    .iter()
    .find_map(|s| header.strip_suffix(s))
    .unwrap_or(header);
    let kind = schema::DATA_SHEETS
        .iter()
        .flat_map(|s| s.columns.iter())
        .find(|c| c.header == base)
        .map(|c| c.kind);
    match kind {
        Some(Kind::Area | Kind::Score) => ColFmt::OneDecimal,
        Some(Kind::Money) => ColFmt::Money,
        Some(Kind::Count | Kind::Star) => ColFmt::Integer,
        Some(_) => ColFmt::Text,
        None => ColFmt::Integer,
    }
}

/// A table: a header row and rows of cells.
#[derive(Clone, Debug)]
struct Table {
    headers: Vec<String>,
    cols: Vec<ColFmt>,
    rows: Vec<Vec<Cell>>,
    /// Rows written bold (合计, 小计).
    bold: Vec<bool>,
    /// Rows covered by the autofilter (from the first); the rest (合计)
    /// stays below it.
    filter_rows: usize,
    /// Columns frozen left of the data.
    freeze_cols: u16,
}

impl Table {
    fn new(headers: &[&str], cols: Vec<ColFmt>) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            cols,
            rows: Vec::new(),
            bold: Vec::new(),
            filter_rows: 0,
            freeze_cols: 0,
        }
    }

    fn push(&mut self, row: Vec<Cell>, bold: bool) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
        self.bold.push(bold);
        self.filter_rows = self.rows.len();
    }
}

/// A cell as a writer sees it, borrowed from a table or a polars column.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CellRef<'a> {
    Blank,
    Text(&'a str),
    Num(f64),
    Date(Date),
}

impl Cell {
    fn view(&self) -> CellRef<'_> {
        match self {
            Cell::Blank => CellRef::Blank,
            Cell::Text(s) => CellRef::Text(s),
            Cell::Num(n) => CellRef::Num(*n),
            Cell::Date(d) => CellRef::Date(*d),
        }
    }
}

/// A column's cells, one after another, borrowed.
type Column<'a> = Box<dyn Iterator<Item = CellRef<'a>> + 'a>;

/// What `write_table` writes: headers, column looks and the cells column by
/// column, borrowed (a polars frame is never copied into rows of strings).
trait Grid {
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
struct FrameGrid {
    headers: Vec<String>,
    cols: Vec<ColFmt>,
    columns: Vec<FrameColumn>,
    len: usize,
}

enum FrameColumn {
    Text(polars::prelude::StringChunked),
    Bool(polars::prelude::BooleanChunked),
    Num(polars::prelude::Float64Chunked),
    Null,
}

impl FrameGrid {
    fn new(df: &DataFrame) -> anyhow::Result<FrameGrid> {
        let headers: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = headers.iter().map(|h| format_for(h)).collect();
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

/// A data sheet's rows straight from the returns, in county order (the
/// same cells as [`aggregate::village_frame`] would hold, without building
/// it).
struct RowsGrid<'a> {
    headers: Vec<String>,
    cols: Vec<ColFmt>,
    rows: aggregate::VillageRows<'a>,
    /// Text that is not borrowed from a row: a number typed into a text
    /// column, shown as read. By (row, schema column).
    shown: BTreeMap<(usize, usize), String>,
}

impl<'a> RowsGrid<'a> {
    fn new(rows: aggregate::VillageRows<'a>) -> RowsGrid<'a> {
        let headers: Vec<String> = rows.headers().map(str::to_string).collect();
        let cols = headers.iter().map(|h| format_for(h)).collect();
        let mut shown = BTreeMap::new();
        for i in (0..rows.spec.columns.len()).filter(|i| !rows.is_number(*i)) {
            for k in 0..rows.len() {
                if let Some(std::borrow::Cow::Owned(s)) = rows.text(k, i) {
                    shown.insert((k, i), s);
                }
            }
        }
        RowsGrid {
            headers,
            cols,
            rows,
            shown,
        }
    }
}

impl Grid for RowsGrid<'_> {
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
        fn text(s: &str) -> CellRef<'_> {
            if s.is_empty() {
                CellRef::Blank
            } else {
                CellRef::Text(s)
            }
        }
        match c {
            0 => Box::new(range.map(|k| text(&self.rows.get(k).0.code))),
            1 => Box::new(range.map(|k| text(&self.rows.get(k).0.name))),
            _ if self.rows.is_number(c - 2) => {
                Box::new(range.map(move |k| match self.rows.number(k, c - 2) {
                    Some(x) if x.is_finite() => CellRef::Num(x),
                    _ => CellRef::Blank,
                }))
            }
            _ => Box::new(range.map(move |k| match self.rows.text(k, c - 2) {
                Some(std::borrow::Cow::Borrowed(s)) => text(s),
                Some(std::borrow::Cow::Owned(_)) => text(&self.shown[&(k, c - 2)]),
                None => CellRef::Blank,
            })),
        }
    }
}

/// A polars frame as an owned table (for the small tables that get rows
/// added or marked bold).
fn frame_table(df: &DataFrame) -> anyhow::Result<Table> {
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
fn split_ranges(n: usize, max_rows: usize) -> Vec<Range<usize>> {
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
fn part_name(base: &str, k: usize) -> String {
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
fn add_split_sheets<'a, J: Sync>(
    wb: &mut Workbook,
    jobs: &[J],
    make: impl Fn(&J) -> anyhow::Result<(&'static str, Box<SyncGrid<'a>>)> + Sync,
    max_rows: usize,
    looks: &Looks,
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
                write_table(&mut ws, 0, table.as_ref(), range, looks)?;
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
struct Looks {
    plain: Vec<Format>,
    bold: Vec<Format>,
    header: Format,
}

impl Looks {
    /// Column looks in a fixed order; `Wrap`'s width does not change its
    /// format.
    const ALL: [ColFmt; 7] = [
        ColFmt::Text,
        ColFmt::Wrap(0.0),
        ColFmt::Integer,
        ColFmt::OneDecimal,
        ColFmt::Percent,
        ColFmt::Money,
        ColFmt::Date,
    ];

    fn new() -> Looks {
        let plain: Vec<Format> = Looks::ALL.iter().map(|c| c.format()).collect();
        let bold = plain.iter().map(|f| f.clone().set_bold()).collect();
        Looks {
            plain,
            bold,
            header: style::header(),
        }
    }

    fn index(c: ColFmt) -> usize {
        match c {
            ColFmt::Text => 0,
            ColFmt::Wrap(_) => 1,
            ColFmt::Integer => 2,
            ColFmt::OneDecimal => 3,
            ColFmt::Percent => 4,
            ColFmt::Money => 5,
            ColFmt::Date => 6,
        }
    }

    fn plain(&self, c: ColFmt) -> &Format {
        &self.plain[Looks::index(c)]
    }

    fn bold(&self, c: ColFmt) -> &Format {
        &self.bold[Looks::index(c)]
    }

    /// Give every format its workbook index now, in this order: a scratch
    /// constant-memory sheet (never added) writes one blank cell in each.
    fn register(&self, wb: &mut Workbook) -> Result<(), XlsxError> {
        let mut scratch = wb.new_worksheet_with_constant_memory()?;
        let all = self.plain.iter().chain(&self.bold).chain([&self.header]);
        for (c, f) in all.enumerate() {
            scratch.write_blank(0, c as u16, f)?;
        }
        Ok(())
    }
}

/// Write one cell; `f` is `None` where the column's format applies.
fn write_cell(
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
        CellRef::Num(n) if n.is_finite() => {
            // Sums of one- or two-decimal figures in f64 carry residue
            // (1234.5000000000002): such a value is stored rounded to 6
            // places; a true ratio (0.41818181…) is kept as it is.
            let r = (n * 1e6).round() / 1e6;
            let v = if (n - r).abs() <= 1e-9 * n.abs().max(1.0) {
                r
            } else {
                n
            };
            match f {
                Some(f) => ws.write_number_with_format(row, col, v, f)?,
                None => ws.write_number(row, col, v)?,
            };
        }
        CellRef::Num(_) => {}
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
fn width_bounds(c: ColFmt) -> (f64, f64) {
    match c {
        ColFmt::Wrap(w) => (w, w),
        ColFmt::Text => (8.0, 50.0),
        ColFmt::Date => (12.0, 12.0),
        _ => (8.0, 20.0),
    }
}

/// The width of the text a cell shows in a column of look `fmt`, without
/// allocating for text cells (`buf` is reused for numbers).
fn shown_width(fmt: ColFmt, cell: CellRef<'_>, buf: &mut String) -> f64 {
    use std::fmt::Write as _;
    buf.clear();
    match cell {
        CellRef::Blank => return 0.0,
        CellRef::Text(s) => return style::text_width(s),
        CellRef::Date(d) => {
            let _ = write!(buf, "{d}");
        }
        CellRef::Num(n) => {
            let _ = match fmt {
                ColFmt::OneDecimal => write!(buf, "{n:.1}"),
                ColFmt::Percent => write!(buf, "{:.1}%", n * 100.0),
                ColFmt::Money => {
                    let _ = write!(buf, "{n:.0}");
                    let commas = buf.trim_start_matches('-').len().saturating_sub(1) / 3;
                    buf.extend(std::iter::repeat_n(',', commas));
                    Ok(())
                }
                _ => write!(buf, "{n:.0}"),
            };
        }
    }
    buf.len() as f64
}

/// Write rows `range` of a table with its header at `top`: header styled
/// and frozen, autofilter over the table, widths that fit. Rows are written
/// in order (constant-memory sheets need that); a column's format is set
/// once on the column, so plain cells carry no format of their own.
fn write_table(
    ws: &mut Worksheet,
    top: u32,
    table: &dyn Grid,
    range: Range<usize>,
    looks: &Looks,
) -> Result<(), XlsxError> {
    let ncols = table.headers().len();
    if ncols == 0 {
        return Ok(());
    }
    let last_col = (ncols - 1) as u16;

    // Widths: the widest value; a long header wraps (at most 14 wide).
    let mut header_lines = 1;
    let mut buf = String::new();
    for (c, h) in table.headers().iter().enumerate() {
        let fmt = table.cols()[c];
        let (min, max) = width_bounds(fmt);
        let widest = table
            .column(c, range.clone())
            .map(|v| shown_width(fmt, v, &mut buf))
            .fold(0.0, f64::max);
        let header_w = style::text_width(h).min(14.0) + 2.0;
        let width = (widest + 2.0)
            .clamp(min, max)
            .max(header_w)
            .min(max.max(header_w));
        ws.set_column_width(c as u16, width)?;
        if fmt != ColFmt::Text {
            ws.set_column_format(c as u16, looks.plain(fmt))?;
        }
        header_lines = header_lines.max(style::wrapped_lines(h, width));
    }

    for (c, text) in table.headers().iter().enumerate() {
        style::write_text(ws, top, c as u16, text, &looks.header)?;
    }
    ws.set_row_height(top, 16.0 * header_lines as f64 + 6.0)?;

    let wraps: Vec<f64> = table
        .cols()
        .iter()
        .map(|c| match c {
            ColFmt::Wrap(w) => *w,
            _ => 0.0,
        })
        .collect();
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
        let lines = cells
            .iter()
            .zip(&wraps)
            .filter(|(_, w)| **w > 0.0)
            .map(|(cell, w)| match cell {
                CellRef::Text(s) => style::wrapped_lines(s, *w),
                _ => 1,
            })
            .max()
            .unwrap_or(1)
            .min(20);
        // A row's height goes before its cells (constant-memory sheets
        // write a row out when the next one starts).
        if lines > 1 {
            ws.set_row_height(row, 16.0 * lines as f64 + 2.0)?;
        }
        let is_bold = table.is_bold(i);
        for (c, (cell, fmt)) in cells.iter().zip(table.cols()).enumerate() {
            // A date always carries the date format; other plain cells
            // take their column's.
            let f = match (is_bold, cell) {
                (true, CellRef::Date(_)) => Some(looks.bold(ColFmt::Date)),
                (true, _) => Some(looks.bold(*fmt)),
                (false, CellRef::Date(_)) => Some(looks.plain(ColFmt::Date)),
                (false, _) => None,
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
    Ok(())
}

// ---------------------------------------------------------------------------
// 说明

/// The audit lines every 说明 sheet opens with: the county, the period,
/// the document date, the tool and the rules file with its SHA-256.
pub(crate) fn audit_lines(
    c: &CountyConfig,
    period_label: &'static str,
    p: Period,
    tool_version: &str,
    policy: &Policy,
) -> Vec<(&'static str, String)> {
    vec![
        ("县(市、区)", c.name.clone()),
        ("县(市、区)代码", c.code.clone()),
        (period_label, p.to_string()),
        ("文档日期", format!("{:04}-{:02}-01", p.year, p.month)),
        ("工具版本", format!("huizong {tool_version}")),
        ("规则文件", policy.source.clone()),
        ("规则版本", policy.version.clone()),
        ("规则文件 SHA-256", policy.sha256.clone()),
    ]
}

/// The top of a 说明 sheet: the title, then label/value rows (the notes
/// appended under 备注). Returns the row after a blank line.
pub(crate) fn write_audit_block(
    ws: &mut Worksheet,
    title: &str,
    lines: &mut Vec<(&'static str, String)>,
    notes: &[String],
) -> Result<u32, XlsxError> {
    ws.merge_range(0, 0, 0, 4, title, &style::title())?;
    ws.set_row_height(0, 28.0)?;
    for (i, n) in notes.iter().enumerate() {
        lines.push((if i == 0 { "备注" } else { "" }, n.clone()));
    }
    let label = style::bold();
    let plain = Format::new().set_align(FormatAlign::Left);
    let mut row = 2;
    for (l, v) in lines.iter() {
        style::write_text(ws, row, 0, l, &label)?;
        style::write_text(ws, row, 1, v, &plain)?;
        row += 1;
    }
    Ok(row + 1)
}

fn write_readme(ws: &mut Worksheet, input: &CountyInput, looks: &Looks) -> Result<(), XlsxError> {
    let c = input.county;
    let p = input.period;
    let title = format!(
        "{}{}年{}月党群服务中心月报县级汇总 说明",
        c.name, p.year, p.month
    );
    let mut lines = audit_lines(c, "汇总期间", p, input.tool_version, input.policy);
    lines.push(("汇总情况", aggregate::total_status(input.batch)));
    let row = write_audit_block(ws, &title, &mut lines, input.notes)?;

    let mut table = Table::new(&FILE_HEADERS, vec![ColFmt::Text; FILE_HEADERS.len()]);
    for r in input_files(input.batch) {
        table.push(r.iter().map(|v| Cell::opt(*v)).collect(), false);
    }
    let n = table.rows.len();
    write_table(ws, row, &table, 0..n, looks)?;
    // The labels above share column A with the file names: wide enough
    // for both.
    let labels = lines.iter().map(|(l, _)| *l);
    let files = input.batch.files.iter().map(|f| f.loaded.file.as_str());
    ws.set_column_width(0, style::fit_width(labels.chain(files), 12.0, 50.0))?;
    let values = lines.iter().map(|(_, v)| v.as_str());
    let shas = input.batch.files.iter().map(|f| f.loaded.sha256.as_str());
    ws.set_column_width(1, style::fit_width(values.chain(shas), 20.0, 80.0))?;
    Ok(())
}

/// The rows of the input-file table of a 说明 sheet ([`FILE_HEADERS`]):
/// file, SHA-256, township code and name (the roster's or the period's name,
/// else the file's cover), status.
pub(crate) fn input_files(batch: &Batch) -> Vec<[Option<&str>; 5]> {
    let names: BTreeMap<&str, &str> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    batch
        .files
        .iter()
        .map(|f| {
            let code = f.loaded.township_code();
            let name = code
                .and_then(|c| names.get(c).copied())
                .or_else(|| cover(f).and_then(|c| c.township.as_deref()));
            [
                Some(f.loaded.file.as_str()),
                Some(f.loaded.sha256.as_str()),
                code,
                name,
                Some(f.status.zh()),
            ]
        })
        .collect()
}

fn cover(f: &FileEntry) -> Option<&Cover> {
    f.loaded.cover.as_ref()
}

// ---------------------------------------------------------------------------
// 汇总

fn write_summary(ws: &mut Worksheet, input: &CountyInput, looks: &Looks) -> anyhow::Result<()> {
    let by_county = input.county.code.len() < 6;
    let df = if by_county {
        aggregate::summary_by_county(input.batch)
    } else {
        aggregate::summary(input.batch)
    }
    .context("无法计算汇总")?;
    let total = aggregate::total_row(&df, input.batch).context("无法计算合计")?;

    let mut table = frame_table(&df)?;
    let code_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::TOWNSHIP_CODE)
        .unwrap_or(0);
    // Subtotal rows have no township code.
    for (i, row) in table.rows.iter().enumerate() {
        table.bold[i] = row[code_col] == Cell::Blank;
    }
    let n = table.rows.len();
    let total = frame_table(&total)?;
    for r in total.rows {
        table.push(r, true);
    }
    table.filter_rows = n;
    let name_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::TOWNSHIP)
        .unwrap_or(1);
    table.freeze_cols = name_col as u16 + 1;
    let rows = table.rows.len();
    write_table(ws, 0, &table, 0..rows, looks)?;

    // Chart of 摘牌率 over the township rows (and subtotals), below 合计.
    let rate_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::REMOVAL_RATE)
        .unwrap_or(0);
    if n > 0 {
        let (first, last) = (1u32, n as u32);
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name("各乡镇(街道)摘牌率");
        chart
            .add_series()
            .set_name(aggregate::REMOVAL_RATE)
            .set_categories((SUMMARY_SHEET, first, name_col as u16, last, name_col as u16))
            .set_values((SUMMARY_SHEET, first, rate_col as u16, last, rate_col as u16));
        chart.y_axis().set_num_format("0%");
        chart.legend().set_hidden();
        chart
            .set_width((n as u32 * 48).clamp(480, 1600))
            .set_height(320);
        ws.insert_chart(rows as u32 + 2, 0, &chart)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 报送情况

fn cover_cells(cover: Option<&Cover>) -> [Cell; 3] {
    match cover {
        Some(c) => [
            Cell::opt(c.filler.as_deref()),
            Cell::opt(c.phone.as_deref()),
            c.fill_date.map(Cell::Date).unwrap_or(Cell::Blank),
        ],
        None => [Cell::Blank, Cell::Blank, Cell::Blank],
    }
}

/// (错误数, 提示数, 已说明提示数) of one file.
fn file_counts(f: &FileEntry) -> [Cell; 3] {
    let fs = &f.loaded.findings;
    let errors = fs.iter().filter(|x| x.level.is_error()).count();
    let explained = fs
        .iter()
        .filter(|x| !x.level.is_error() && x.explained)
        .count();
    let open = fs.len() - errors - explained;
    [
        Cell::count(errors),
        Cell::count(open),
        Cell::count(explained),
    ]
}

fn submissions_table(batch: &Batch) -> Table {
    let mut cols = vec![ColFmt::Text; 10];
    cols[6] = ColFmt::Date;
    for c in &mut cols[7..] {
        *c = ColFmt::Integer;
    }
    let mut table = Table::new(&SUBMISSION_HEADERS, cols);
    table.freeze_cols = 2;
    for t in &batch.townships {
        let (file, cover) = match t.judged {
            Some(i) => (batch.files[i].loaded.file.clone(), cover(&batch.files[i])),
            // Y03: no file is used; name every file that was not superseded.
            None => (
                t.files
                    .iter()
                    .filter(|i| batch.files[**i].status != Status::Superseded)
                    .map(|i| batch.files[*i].loaded.file.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                None,
            ),
        };
        let mut row = vec![
            Cell::text(&t.code),
            Cell::text(&t.name),
            Cell::text(t.status.zh()),
            Cell::text(file),
        ];
        row.extend(cover_cells(cover));
        row.extend([
            Cell::count(t.errors),
            Cell::count(t.warnings),
            Cell::count(t.explained),
        ]);
        table.push(row, false);
    }
    for t in &batch.townships {
        for i in &t.files {
            let f = &batch.files[*i];
            if f.status != Status::Superseded {
                continue;
            }
            let mut row = vec![
                Cell::text(&t.code),
                Cell::text(&t.name),
                Cell::text(Status::Superseded.zh()),
                Cell::text(&f.loaded.file),
            ];
            row.extend(cover_cells(cover(f)));
            row.extend(file_counts(f));
            table.push(row, false);
        }
    }
    for i in &batch.orphans {
        let f = &batch.files[*i];
        let mut row = vec![
            Cell::Blank,
            Cell::Blank,
            Cell::text(Status::Unreadable.zh()),
            Cell::text(&f.loaded.file),
        ];
        row.extend(cover_cells(cover(f)));
        row.extend(file_counts(f));
        table.push(row, false);
    }
    table
}

// ---------------------------------------------------------------------------
// 校验问题

fn findings_table(batch: &Batch, extra: &[Finding]) -> Table {
    let mut cols = vec![ColFmt::Text; FINDING_HEADERS.len()];
    cols[8] = ColFmt::Wrap(60.0);
    cols[9] = ColFmt::Text;
    let mut table = Table::new(&FINDING_HEADERS, cols);
    let names: BTreeMap<&str, &str> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    let mut all = batch.findings();
    all.extend(extra.iter().cloned());
    crate::finding::sort(&mut all);
    for f in all {
        let town = f.township.as_deref();
        let level = if f.explained {
            format!("{}(已说明)", f.level.zh())
        } else {
            f.level.zh().to_string()
        };
        table.push(
            vec![
                Cell::opt(town),
                Cell::opt(town.and_then(|c| names.get(c).copied())),
                Cell::text(&f.file),
                Cell::opt(f.sheet.as_deref()),
                Cell::opt(f.cell.as_deref()),
                Cell::opt(f.village.as_deref()),
                Cell::text(f.code.as_str()),
                Cell::text(level),
                Cell::text(&f.message),
                Cell::opt(f.value.as_deref()),
            ],
            false,
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::fixtures::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    fn county(code: &str) -> CountyConfig {
        CountyConfig {
            name: "示范县".into(),
            code: code.into(),
            budget: 1_000_000,
        }
    }

    fn bytes(
        county: &CountyConfig,
        batch: &Batch,
        previous: Option<&Batch>,
        policy: &Policy,
    ) -> Vec<u8> {
        let notes = vec!["未提供名册:未检查 X04、X05".to_string()];
        let mom = previous.map(|p| aggregate::month_over_month(batch, p).unwrap());
        let input = CountyInput {
            county,
            period: JUNE,
            batch,
            month_over_month: mom.as_ref(),
            policy,
            tool_version: "0.1.0",
            notes: &notes,
            extra_findings: &[],
        };
        build(&input).unwrap().save_to_buffer().unwrap()
    }

    fn show(d: &Data) -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) => format!("{f}"),
            Data::Int(i) => format!("{i}"),
            Data::Bool(b) => format!("{b}"),
            Data::DateTime(dt) => Date::from_serial(dt.as_f64())
                .map(|d| d.to_string())
                .unwrap_or_default(),
            other => format!("{other:?}"),
        }
    }

    /// Every row of a sheet as shown text.
    fn sheet(wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
        let r = wb.worksheet_range(name).unwrap();
        assert_eq!(r.start(), Some((0, 0)), "{name} starts at A1");
        r.rows().map(|row| row.iter().map(show).collect()).collect()
    }

    fn open(b: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(b)).unwrap()
    }

    #[test]
    fn file_name_is_safe() {
        assert_eq!(file_name("示范县", JUNE), "县级汇总_示范县_2024-06.xlsx");
        assert_eq!(file_name("a/b", JUNE), "县级汇总_a_b_2024-06.xlsx");
    }

    #[test]
    fn county_workbook_cells() {
        let j = june();
        let policy = Policy::default_rules();
        let b = bytes(&county("990101"), &j.batch, None, &policy);
        let mut wb = open(b);
        assert_eq!(
            wb.sheet_names(),
            [
                "说明",
                "汇总",
                "标牌清理",
                "标牌明细",
                "功能室",
                "坐班值守",
                "星级申报",
                "报送情况",
                "校验问题"
            ]
        );

        // 汇总: header, three townships, 合计.
        let s = sheet(&mut wb, "汇总");
        assert_eq!(s[0], aggregate::summary_headers());
        assert_eq!(s.len(), 5);
        let col = |h: &str| s[0].iter().position(|x| x == h).unwrap();
        let status: Vec<&str> = s[1..].iter().map(|r| r[col("报送状态")].as_str()).collect();
        assert_eq!(status, ["已汇总", "退回", "未报送", "已汇总 1/3"]);
        assert_eq!(s[4][0], "");
        assert_eq!(s[4][1], "合计");
        let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
        assert_eq!(s[4][col("清理前标牌数")], format!("{before}"));
        assert_eq!(s[1][col("清理前标牌数")], format!("{before}"));
        assert_eq!(s[2][col("清理前标牌数")], "", "退回: no figures");
        let removed = total(&j.a.villages, |v| v.removed);
        assert_eq!(s[4][col("摘牌率")], format!("{}", removed / before));
        assert_eq!(s[4][col("错误数")], "1");
        assert_eq!(s[4][col("提示数")], "2");
        assert_eq!(s[2][col("错误数")], "1");
        assert_eq!(s[3][col("错误数")], "0");

        // Village sheets: the used township's rows only.
        let signs = sheet(&mut wb, "标牌清理");
        let mut want = vec!["乡镇(街道)代码".to_string(), "乡镇(街道)".to_string()];
        want.extend(schema::SIGNS.columns.iter().map(|c| c.header.to_string()));
        assert_eq!(signs[0], want);
        assert_eq!(signs.len(), 1 + 3);
        assert_eq!(signs[1][..3], [A, "白砂镇", j.a.villages[0].code.as_str()]);
        let detail = sheet(&mut wb, "标牌明细");
        let n: usize = j.a.villages.iter().map(|v| v.signs.len()).sum();
        assert_eq!(detail.len(), 1 + n + 2);

        // 报送情况.
        let r = sheet(&mut wb, "报送情况");
        assert_eq!(r[0], SUBMISSION_HEADERS);
        assert_eq!(r.len(), 4);
        let a = &j.a;
        assert_eq!(
            r[1],
            [
                A,
                "白砂镇",
                "已汇总",
                FILE_A,
                a.filler.as_str(),
                a.phone.as_str(),
                a.fill_date.to_string().as_str(),
                "0",
                "2",
                "0"
            ]
        );
        assert_eq!(r[2][..4], [B, "樟黄镇", "退回", FILE_B]);
        assert_eq!(r[2][4], j.b.filler);
        assert_eq!(r[2][7..], ["1", "0", "0"]);
        assert_eq!(r[3], [C, "溪口乡", "未报送", "", "", "", "", "0", "0", "0"]);

        // 校验问题: P03, P04 (A), M01 (B) at 功能室!D3 (序号 A, 代码 B, 名称 C, 房间总数 D).
        let f = sheet(&mut wb, "校验问题");
        assert_eq!(f[0], FINDING_HEADERS);
        assert_eq!(f.len(), 4);
        let codes: Vec<&str> = f[1..].iter().map(|r| r[6].as_str()).collect();
        assert_eq!(codes, ["P03", "P04", "M01"]);
        let m01 = &f[3];
        let rooms = j.b.villages[0].rooms_office + j.b.villages[0].rooms_service + 1;
        assert_eq!(
            m01[..8],
            [
                B,
                "樟黄镇",
                FILE_B,
                "功能室",
                "D3",
                j.b.villages[0].code.as_str(),
                "M01",
                "错误"
            ]
        );
        assert!(!m01[8].is_empty());
        assert_eq!(m01[9], rooms.to_string());
        assert_eq!(f[1][7], "提示");

        // 说明: county, period, date, rules hash, every file with its hash.
        let d = sheet(&mut wb, "说明");
        let text: Vec<String> = d.iter().map(|r| r.join("|")).collect();
        let all = text.join("\n");
        for want in [
            "县(市、区)|示范县",
            "汇总期间|2024-06",
            "文档日期|2024-06-01",
            "工具版本|huizong 0.1.0",
            "汇总情况|已汇总 1/3",
            "备注|未提供名册:未检查 X04、X05",
        ] {
            assert!(text.iter().any(|l| l.starts_with(want)), "{want} in\n{all}");
        }
        assert!(all.contains(&policy.sha256), "{all}");
        let header = text
            .iter()
            .position(|l| l.starts_with("文件|SHA-256|乡镇(街道)代码|乡镇(街道)|状态"))
            .expect("file table");
        assert_eq!(
            d[header + 1][..],
            [
                FILE_A,
                j.batch.files[0].loaded.sha256.as_str(),
                A,
                "白砂镇",
                "已汇总"
            ]
        );
        assert_eq!(d[header + 2][4], "退回");
        assert_eq!(d.len(), header + 3);
    }

    #[test]
    fn data_sheets_show_numbers_in_text_columns_as_read() {
        // The reader gives text columns text; a table made otherwise (a
        // number in 备案文号) still shows the number as text, in its row.
        let mut j = june();
        let used = j.batch.townships[0].judged.unwrap();
        let ret = j.batch.files[used].loaded.ret.as_mut().unwrap();
        let t = ret
            .tables
            .iter_mut()
            .find(|t| t.id() == SheetId::SignDetail)
            .unwrap();
        let (i, _) = t.spec.column(crate::schema::Col::SignFiling).unwrap();
        let n = t.rows.len();
        let second = t.rows[1];
        t.set(
            &second,
            i,
            crate::model::Field::Ok(crate::model::Val::Num(rust_decimal::Decimal::new(125, 1))),
        );
        let policy = Policy::default_rules();
        let mut wb = open(bytes(&county("990101"), &j.batch, None, &policy));
        let r = wb.worksheet_range("标牌明细").unwrap();
        let col = 2 + i as u32;
        assert_eq!(r.get_value((2, col)), Some(&Data::String("12.5".into())));
        assert_eq!(r.get_value((1, col)), Some(&Data::Empty));
        assert_eq!(r.get_value((n as u32, 0)), Some(&Data::String(A.into())));
    }

    #[test]
    fn same_input_same_bytes() {
        let j = june();
        let m = two_months();
        let policy = Policy::default_rules();
        let c = county("990101");
        assert_eq!(
            bytes(&c, &j.batch, None, &policy),
            bytes(&c, &j.batch, None, &policy)
        );
        assert_eq!(
            bytes(&c, &m.june, Some(&m.may), &policy),
            bytes(&c, &m.june, Some(&m.may), &policy)
        );
    }

    #[test]
    fn previous_period_adds_month_over_month() {
        let m = two_months();
        let policy = Policy::default_rules();
        let mut wb = open(bytes(&county("990101"), &m.june, Some(&m.may), &policy));
        let names = wb.sheet_names();
        assert_eq!(names[7], "环比");
        assert_eq!(names[8], "报送情况");
        let s = sheet(&mut wb, "环比");
        assert_eq!(
            s[0][..5],
            [
                "乡镇(街道)代码",
                "乡镇(街道)",
                "村(社区)代码",
                "村(社区)名称",
                "清理前标牌数本期"
            ]
        );
        assert_eq!(s[0].last().map(String::as_str), Some("环比提示"));
        assert_eq!(s.len(), 5);
        let flags: Vec<&str> = s[1..].iter().map(|r| r.last().unwrap().as_str()).collect();
        assert_eq!(flags, ["", "H03", "H04", "H04"]);
        assert_eq!(s[2][6], "1", "清理前标牌数变动");
    }

    #[test]
    fn city_summary_has_counties_and_subtotals() {
        let j = june();
        let mut batch = j.batch;
        batch.townships[1].county_code = Some("990102".into());
        batch.townships[1].county_name = Some("样板区".into());
        let policy = Policy::default_rules();
        let mut c = county("9901");
        c.name = "示范市".into();
        let mut wb = open(bytes(&c, &batch, None, &policy));
        let s = sheet(&mut wb, "汇总");
        let mut want = vec!["县(市、区)代码".to_string(), "县(市、区)".to_string()];
        want.extend(aggregate::summary_headers().iter().map(|h| h.to_string()));
        assert_eq!(s[0], want);
        let rows: Vec<[&str; 5]> = s[1..]
            .iter()
            .map(|r| [&r[0], &r[1], &r[2], &r[3], &r[4]].map(String::as_str))
            .collect();
        assert_eq!(
            rows,
            [
                ["990101", "示范县", A, "白砂镇", "已汇总"],
                ["990101", "示范县", C, "溪口乡", "未报送"],
                ["990101", "示范县", "", "示范县小计", "已汇总 1/2"],
                ["990102", "样板区", B, "樟黄镇", "退回"],
                ["990102", "样板区", "", "样板区小计", "已汇总 0/1"],
                ["", "", "", "合计", "已汇总 1/3"],
            ]
        );
        let col = s[0].iter().position(|h| h == "清理前标牌数").unwrap();
        let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
        assert_eq!(s[3][col], format!("{before}"));
        assert_eq!(s[6][col], format!("{before}"), "subtotals not counted");
        let e = s[0].iter().position(|h| h == "错误数").unwrap();
        assert_eq!(s[6][e], "1");
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn split_ranges_keep_a_header_row_each() {
        assert_eq!(split_ranges(0, 3), [0..0]);
        assert_eq!(split_ranges(2, 3), [0..2]);
        assert_eq!(split_ranges(5, 3), [0..2, 2..4, 4..5]);
        assert_eq!(split_ranges(4, 3), [0..2, 2..4]);
        assert_eq!(split_ranges(3, EXCEL_MAX_ROWS), [0..3]);
        assert_eq!(
            split_ranges(EXCEL_MAX_ROWS, EXCEL_MAX_ROWS),
            [0..EXCEL_MAX_ROWS - 1, EXCEL_MAX_ROWS - 1..EXCEL_MAX_ROWS]
        );
    }

    #[test]
    fn long_tables_continue_on_numbered_sheets_and_text_stays_text() {
        let mut t = Table::new(&["名称", "数"], vec![ColFmt::Text, ColFmt::Integer]);
        for (i, s) in ["=1+1", "+86", "-x", "@a", "普通"].iter().enumerate() {
            t.push(vec![Cell::text(*s), Cell::count(i)], false);
        }
        let mut wb = Workbook::new();
        let make = |_: &()| Ok(("标牌明细", Box::new(t.clone()) as Box<SyncGrid>));
        let names = add_split_sheets(&mut wb, &[()], make, 3, &Looks::new()).unwrap();
        assert_eq!(names, ["标牌明细", "标牌明细2", "标牌明细3"]);
        let b = wb.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(b.clone())).unwrap();
        for i in 1..=3 {
            let mut xml = String::new();
            std::io::Read::read_to_string(
                &mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).unwrap(),
                &mut xml,
            )
            .unwrap();
            assert!(!xml.contains("<f>"), "{xml}");
            assert!(xml.contains("autoFilter"), "{xml}");
            assert!(xml.contains("state=\"frozen\""), "{xml}");
        }
        let mut x = open(b);
        assert_eq!(
            sheet(&mut x, "标牌明细"),
            [["名称", "数"], ["=1+1", "0"], ["+86", "1"]]
        );
        assert_eq!(
            sheet(&mut x, "标牌明细2"),
            [["名称", "数"], ["-x", "2"], ["@a", "3"]]
        );
        assert_eq!(sheet(&mut x, "标牌明细3"), [["名称", "数"], ["普通", "4"]]);
    }

    #[test]
    fn long_text_is_cut() {
        let mut t = Table::new(&["说明"], vec![ColFmt::Wrap(60.0)]);
        t.push(
            vec![Cell::text("字".repeat(style::EXCEL_MAX_TEXT + 10))],
            false,
        );
        let mut wb = Workbook::new();
        let make = |_: &()| Ok(("校验问题", Box::new(t.clone()) as Box<SyncGrid>));
        add_split_sheets(&mut wb, &[()], make, EXCEL_MAX_ROWS, &Looks::new()).unwrap();
        let mut x = open(wb.save_to_buffer().unwrap());
        let s = sheet(&mut x, "校验问题");
        assert_eq!(s[1][0].chars().count(), style::EXCEL_MAX_TEXT);
    }

    #[test]
    fn formats_follow_the_schema() {
        assert_eq!(format_for("摘牌率"), ColFmt::Percent);
        assert_eq!(format_for("服务面积占比"), ColFmt::Percent);
        assert_eq!(format_for("服务场所面积(㎡)"), ColFmt::OneDecimal);
        assert_eq!(format_for("服务场所面积(㎡)变动"), ColFmt::OneDecimal);
        assert_eq!(format_for("群众代表评议得分"), ColFmt::OneDecimal);
        assert_eq!(format_for("上年度奖励经费(元)"), ColFmt::Money);
        assert_eq!(format_for("清理前标牌数上期"), ColFmt::Integer);
        assert_eq!(format_for("村(社区)数"), ColFmt::Integer);
        assert_eq!(format_for("村(社区)名称"), ColFmt::Text);
    }

    #[test]
    fn writes_atomically_into_a_folder() {
        let j = june();
        let policy = Policy::default_rules();
        let c = county("990101");
        let dir = tempfile::tempdir().unwrap();
        let input = CountyInput {
            county: &c,
            period: JUNE,
            batch: &j.batch,
            month_over_month: None,
            policy: &policy,
            tool_version: "0.1.0",
            notes: &[],
            extra_findings: &[],
        };
        let path = write_file(&input, dir.path()).unwrap();
        assert_eq!(path, dir.path().join("县级汇总_示范县_2024-06.xlsx"));
        assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
    }

    #[test]
    fn submissions_list_superseded_y03_and_orphans() {
        let mut a = township(A, "白砂镇", 2, JUNE, 31);
        a.fill_date = Date::new(2024, 6, 25).unwrap();
        let mut old = a.clone();
        old.fill_date = Date::new(2024, 6, 20).unwrap();
        old.villages[0].wall_rules += 1;
        old.villages[0].signs_before += 1;
        let b = township(B, "樟黄镇", 2, JUNE, 32);
        let mut b2 = b.clone();
        b2.villages[1].cadres += 1;
        let policy = Policy::default_rules();
        let garbage = crate::read::read_bytes(
            "坏文件.xlsx",
            Path::new("坏文件.xlsx"),
            b"not a workbook",
            &policy,
            Some(JUNE),
        );
        let old_name = "990101103_白砂镇_旧.xlsx";
        let b2_name = "990101104_樟黄镇_改.xlsx";
        let mut files = vec![
            load(FILE_A, &crate::kit::demo::fill(&a), JUNE, None),
            load(old_name, &crate::kit::demo::fill(&old), JUNE, None),
            load(FILE_B, &crate::kit::demo::fill(&b), JUNE, None),
            load(b2_name, &crate::kit::demo::fill(&b2), JUNE, None),
            garbage,
        ];
        files.sort_by(|x, y| x.file.cmp(&y.file));
        let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
        let batch = crate::batch::decide(JUNE, files, &exp, false);
        let mut wb = open(bytes(&county("990101"), &batch, None, &policy));
        let r = sheet(&mut wb, "报送情况");
        let heads: Vec<[&str; 4]> = r[1..]
            .iter()
            .map(|x| [&x[0], &x[1], &x[2], &x[3]].map(String::as_str))
            .collect();
        let both = format!("{FILE_B}、{b2_name}");
        assert_eq!(
            heads,
            [
                [A, "白砂镇", "已汇总", FILE_A],
                [B, "樟黄镇", "退回", both.as_str()],
                [C, "溪口乡", "未报送", ""],
                [A, "白砂镇", "已替代", old_name],
                ["", "", "无法读取", "坏文件.xlsx"],
            ]
        );
        // Y03: no cover shown; one Y03 per file counted.
        assert_eq!(r[2][4..], ["", "", "", "2", "0", "0"]);
        // The superseded file: its Y01 is an open warning.
        assert_eq!(r[4][4], old.filler);
        assert_eq!(r[4][6], "2024-06-20");
        assert_eq!(r[4][7..], ["0", "1", "0"]);
        assert_eq!(r[5][7..], ["1", "0", "0"]);
        // The township row counts the superseded file's Y01 too.
        assert_eq!(r[1][7..], ["0", "1", "0"]);

        let f = sheet(&mut wb, "校验问题");
        let codes: Vec<(&str, &str, &str)> = f[1..]
            .iter()
            .map(|x| (x[0].as_str(), x[2].as_str(), x[6].as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (A, old_name, "Y01"),
                (B, FILE_B, "Y03"),
                (B, b2_name, "Y03"),
                ("", "坏文件.xlsx", "S01"),
            ]
        );
        assert_eq!(f[4][7], "无法读取");

        let d = sheet(&mut wb, "说明");
        let at = d.iter().position(|x| x[0] == "文件").unwrap();
        let statuses: Vec<(&str, &str)> = d[at + 1..]
            .iter()
            .map(|x| (x[0].as_str(), x[4].as_str()))
            .collect();
        assert_eq!(
            statuses,
            [
                (FILE_A, "已汇总"),
                (old_name, "已替代"),
                (FILE_B, "退回"),
                (b2_name, "退回"),
                ("坏文件.xlsx", "无法读取"),
            ]
        );
        let s = sheet(&mut wb, "汇总");
        assert_eq!(s[4][2], "已汇总 1/3");
    }

    #[test]
    fn an_empty_batch_still_makes_a_workbook() {
        let batch = Batch {
            period: JUNE,
            files: Vec::new(),
            townships: Vec::new(),
            orphans: Vec::new(),
        };
        let policy = Policy::default_rules();
        let mut wb = open(bytes(&county("990101"), &batch, Some(&batch), &policy));
        assert_eq!(wb.sheet_names().len(), 10);
        let s = sheet(&mut wb, "汇总");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1][1], "合计");
        assert_eq!(s[1][2], "已汇总 0/0");
        assert_eq!(sheet(&mut wb, "环比").len(), 1);
        assert_eq!(sheet(&mut wb, "标牌明细").len(), 1);
    }
}
