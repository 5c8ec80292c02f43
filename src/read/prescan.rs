//! Safety pre-scan (S01/S06): decide from the raw bytes — zip directory,
//! declared sizes, streamed XML, the CFB/BIFF record stream — whether calamine
//! may open the file at all.
//!
//! calamine 0.38 trusts numbers written in the file. A failed allocation
//! aborts the process (no `catch_unwind` helps), so every place where it
//! sizes memory from the file is bounded here first, streaming, with bounded
//! memory (a reused XML buffer, a counting reader that stops at the limit)
//! and without inflating anything into a `Vec`:
//!
//! | calamine 0.38 site | what the file controls | guard here |
//! |---|---|---|
//! | `xlsx/mod.rs:364` `strings.reserve(uniqueCount)` | `<sst uniqueCount>` | > 2,000,000 or > part size / 8 + 16 → S06; the `<si>` themselves counted only in a part big enough to hold more than 2,000,000 |
//! | `xlsx/cells_reader.rs:434` `formulas.resize(si + 1)` | `<f t="shared" si>` | not reached: `workbook::open` reads with `next_cell_with_formula_metadata` (no expansion) |
//! | `xlsx/cells_reader.rs:448` shared formula expanded per derived cell | anchor formula × derived cells | not reached (as above); the anchor's text is counted once |
//! | `xlsx/cells_reader.rs` `SharedString` (cloned by `workbook.rs`) | one long shared string × many cells | counted before the copy ([`CellGuard`], text budget) |
//! | xlsx worksheet rows / cells | the sheet's `<row>`/`<c>` | [`CellGuard`] as calamine streams: > {max_rows} rows, > 2,000,000 cells → S06 |
//! | xlsx worksheet part inflated by calamine | its zip entry; one XML event buffered whole | the zip crate stops every part at its declared size (more: S06 from `workbook::open`) and the declared sizes are held to the inflate budget here; a part declared over 16 MB is inflated here once, no stretch > 16 MB without a `<` → S06 |
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
//! Not bounded by us because calamine does not allocate from them: an xlsx
//! `<dimension ref>` and a cell's `r` far away (our xlsx/xlsb reading is
//! sparse, `worksheet_cells_reader`), XML nesting inside a worksheet (the
//! streaming reader does not recurse; a garbled reference there is calamine's
//! error, S01, or in a debug build its overflow panic, caught, S01); xlsb `BrtWsDim`; XLS SST `cstUnique`
//! (read string by string), BLANK/MULBLANK records (calamine skips them,
//! `xls.rs:669`). They are still checked where the rules ask (SST counts).

// `Finding` is the error type the signature asks for; findings are rare and
// never on a hot path.
#![allow(clippy::result_large_err)]

use crate::finding::{Code, Finding};
use crate::policy::Limits;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::io::{self, BufReader, Cursor, Read};
use zip::ZipArchive;

/// The container a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

const MIB: u64 = 1024 * 1024;
/// Zip parts: a return has 15–40 (one per sheet, styles, theme, rels,
/// docProps, a few pictures); 1,000 is far beyond any real workbook and
/// bounds the directory walked here and the path cache calamine builds.
const MAX_ZIP_ENTRIES: usize = 1_000;
/// Sheets: the template has 7; 255 (Excel's classic default ceiling) is far
/// beyond a real return and bounds per-sheet work.
const MAX_SHEETS: usize = 255;
/// XML nesting: a worksheet is ~6 deep, drawings ~15; 64 is never reached by
/// Excel, WPS or LibreOffice output.
const MAX_XML_DEPTH: usize = 64;
/// One XML event (a tag or a run of text) may not exceed this many inflated
/// bytes: keeps the reused XML buffer, and so our memory, bounded.
const MAX_XML_EVENT_BYTES: u64 = 16 * MIB;
/// Shared strings in a table, any format.
const MAX_SST_ENTRIES: u64 = 2_000_000;
/// Smallest possible `<si>`: `<si><t/></si>` is 12 bytes; 8 leaves slack.
const MIN_XML_SI_BYTES: u64 = 8;
/// The shortest shared string element, `<si/>`.
const MIN_SI_ELEMENT_BYTES: u64 = 5;
/// Smallest BrtSSTItem: 1 type + 1 length + 1 flags + 4 cch bytes.
const MIN_XLSB_SI_BYTES: u64 = 7;
/// Smallest XLS SST string: cch (2) + flags (1).
const MIN_XLS_SI_BYTES: u64 = 3;
/// Non-empty cells in the whole workbook (a return has ~10^4–10^5).
const MAX_CELLS: u64 = 2_000_000;
/// A county file (the county scores) has one row per village and a few
/// columns: its cell budget is its row limit times this, when larger.
const CELLS_PER_ROW: u64 = 4;
/// Dense grid (xls, ods) of one sheet, in cells.
const MAX_DENSE_CELLS: u64 = 2_000_000;
/// Dense grids of all sheets together (calamine keeps them all).
const MAX_DENSE_CELLS_TOTAL: u64 = 4_000_000;
/// Cells calamine's ODS `read_row` materialises before building the grid.
const MAX_ODS_MATERIALISED: u64 = 8_000_000;
/// Text materialised from references: shared strings cloned per cell, shared
/// formulas expanded per cell, ODS values cloned per repeat, XLS formulas.
const MAX_CELL_TEXT_BYTES: u64 = 128 * MIB;
/// `<text:s text:c>`: calamine pushes that many spaces one by one.
const MAX_ODS_SPACES: u64 = 65_536;
/// CONTINUE records after one BIFF record (calamine removes them from the
/// front of a Vec one by one: quadratic).
const MAX_CONTINUE_RECORDS: usize = 16_384;
/// Byte moves calamine's XLS formula decoder may make (inserts, splits).
const MAX_FORMULA_WORK: u64 = 1 << 31;
const EXCEL_ROWS: u64 = 1_048_576;
const EXCEL_COLS: u64 = 16_384;
const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

// ---------------------------------------------------------------- messages

const RESAVE: &str = "请用 Excel 或 WPS 打开后「另存为」Excel 工作簿(.xlsx),再重新报送。";
const TRIM: &str = "请只保留月报模板中的工作表和数据,删除图片、多余的行列和格式后,用 Excel 或 WPS 另存为 .xlsx 再报送。";

fn damaged(detail: impl Display) -> Finding {
    Finding::new(
        Code::S01,
        format!("文件已损坏({detail}),无法打开。{RESAVE}"),
    )
}

fn encrypted() -> Finding {
    Finding::new(
        Code::S01,
        "文件设置了打开密码(已加密),本工具无法读取。请在 Excel 或 WPS 中去掉密码后另存为 .xlsx,再重新报送。",
    )
}

fn wps_et() -> Finding {
    Finding::new(
        Code::S01,
        "该文件是 WPS 表格专用格式(.et/.ett),本工具无法读取。请在 WPS 中打开,用「另存为」选择 Excel 工作簿(.xlsx)后重新报送。",
    )
}

fn not_workbook(kind: &str) -> Finding {
    Finding::new(
        Code::S01,
        format!("该文件不是 Excel 工作簿(实际是{kind}),可能只是改了扩展名。请用 Excel 或 WPS 打开原表格,另存为 .xlsx 后重新报送。"),
    )
}

fn office_doc(kind: &str) -> Finding {
    Finding::new(
        Code::S01,
        format!("该文件是{kind},不是 Excel 工作簿。请把数据填入月报模板(Excel 表格),用 Excel 或 WPS 另存为 .xlsx 后重新报送。"),
    )
}

fn too_large(detail: impl Display) -> Finding {
    Finding::new(Code::S06, format!("文件过大,无法安全读取:{detail}。{TRIM}"))
}

fn suspicious(detail: impl Display) -> Finding {
    Finding::new(
        Code::S06,
        format!("文件结构异常,无法安全读取:{detail}。{RESAVE}"),
    )
}

/// S06 when `error` (a read error's text) is the zip crate stopping a part
/// at its declared size: more came out than the directory said (a zip
/// bomb's lie). `part` says which part, for the message.
pub fn bigger_than_declared(error: &str, part: &str) -> Option<Finding> {
    error
        .contains("declared uncompressed size")
        .then(|| suspicious(format!("{part}解压后比它声明的大小更大(疑似“压缩炸弹”)")))
}

fn too_many_rows(sheet: &str, max_rows: u64) -> Finding {
    too_large(format!(
        "工作表「{sheet}」的非空数据超过 {max_rows} 行,超出月报的合理规模"
    ))
}

fn dense_too_big(sheet: &str, rows: u64, cols: u64) -> Finding {
    too_large(format!(
        "工作表「{sheet}」的数据区域达 {rows} 行 × {cols} 列,超过 {MAX_DENSE_CELLS} 个单元格的安全上限(常见原因:在很远的单元格里误填了内容)"
    ))
}

fn sst_lie(n: u64) -> Finding {
    suspicious(format!("共享字符串表声明了 {n} 个字符串,与文件大小不符"))
}

// --------------------------------------------------------------- entry

/// Check a file before any workbook library parses it. `file_name` is the
/// name as shown to users (its extension helps name a WPS `.et`).
/// Returns the format, or the S01/S06 finding (anchor blank) to report.
pub fn prescan(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Finding> {
    prescan_keeping(file_name, bytes, limits).map(|s| s.format)
}

/// What a pre-scan that passed hands the reader.
pub struct Scanned {
    pub format: Format,
    /// An `.xlsx` whose worksheets the pre-scan inflated, repacked with
    /// those parts stored uncompressed: the same workbook, which calamine
    /// reads without inflating the worksheets a second time. `None` when
    /// there was nothing to repack (or it could not be): read the file's
    /// own bytes.
    pub repacked: Option<Vec<u8>>,
}

impl Scanned {
    /// The bytes for calamine: the repacked archive, else the file's own.
    pub fn parsed<'a>(&'a self, own: &'a [u8]) -> &'a [u8] {
        self.repacked.as_deref().unwrap_or(own)
    }
}

/// [`prescan`], keeping the inflated worksheets for the reader.
pub fn prescan_keeping(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Scanned, Finding> {
    let format = |format| Scanned {
        format,
        repacked: None,
    };
    if bytes.is_empty() {
        return Err(Finding::new(
            Code::S01,
            "文件是空的(0 字节),不是 Excel 工作簿,可能保存或传送时出错。请用 Excel 或 WPS 重新另存为 .xlsx 后报送。",
        ));
    }
    if is_wps_name(file_name) {
        return Err(wps_et());
    }
    if let Some(f) = file_too_large(bytes.len() as u64, limits) {
        return Err(f);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return scan_zip(bytes, limits);
    }
    if bytes.starts_with(&CFB_MAGIC) {
        return scan_cfb(file_name, bytes, limits).map(format);
    }
    Err(not_workbook(sniff(bytes)))
}

/// S06 for a file of `len` bytes over {max_file_mb}: decided from the size
/// alone, so `read_file` can say it before reading the file into memory.
pub fn file_too_large(len: u64, limits: &Limits) -> Option<Finding> {
    (len > max_file_bytes(limits)).then(|| {
        too_large(format!(
            "文件大小 {:.1} MB,超过允许的 {} MB",
            len as f64 / MIB as f64,
            limits.max_file_mb
        ))
    })
}

/// {max_file_mb} in bytes.
pub fn max_file_bytes(limits: &Limits) -> u64 {
    limits.max_file_mb.saturating_mul(MIB)
}

fn is_wps_name(file_name: &str) -> bool {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.eq_ignore_ascii_case("et") || ext.eq_ignore_ascii_case("ett"),
        None => false,
    }
}

/// What a file that is neither zip nor CFB probably is, for the message.
fn sniff(b: &[u8]) -> &'static str {
    let starts = |p: &[u8]| b.starts_with(p);
    if starts(b"%PDF") {
        return "PDF 文件";
    }
    if starts(b"\x89PNG") {
        return "PNG 图片";
    }
    if starts(b"\xFF\xD8\xFF") {
        return "JPEG 图片";
    }
    if starts(b"GIF8") {
        return "GIF 图片";
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return "TIFF 图片";
    }
    if starts(b"Rar!") {
        return "RAR 压缩包";
    }
    if starts(b"7z\xBC\xAF\x27\x1C") {
        return "7z 压缩包";
    }
    if starts(b"\x1F\x8B") {
        return "gzip 压缩包";
    }
    if starts(b"{\\rtf") {
        return "RTF 文档";
    }
    let head = &b[..b.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let has = |p: &[u8]| lower.windows(p.len()).any(|w| w == p);
    if has(b"urn:schemas-microsoft-com:office:spreadsheet") {
        return "Excel 2003 XML 表格";
    }
    if has(b"<html") || has(b"<table") || has(b"<!doctype html") {
        return "网页(HTML)文件";
    }
    if has(b"mime-version:") {
        return "单个网页文件(.mht)";
    }
    if starts(b"BM") && b.len() > 14 && !head.is_ascii() {
        return "BMP 图片";
    }
    let texty = !head.contains(&0)
        && head
            .iter()
            .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\r' | b'\n'))
            .count()
            * 100
            <= head.len();
    if texty {
        if head.contains(&b',') || head.contains(&b'\t') {
            return "CSV 或文本文件";
        }
        return "文本文件";
    }
    "其他类型的文件"
}

// ------------------------------------------------------------- budgets

/// Counters shared by all parts of one file.
struct Budget {
    cells: u64,
    text: u64,
    work: u64,
    dense: u64,
    max_cells: u64,
}

impl Budget {
    /// [`MAX_CELLS`], or for a file allowed more rows than a return (a
    /// province's county scores: a row per village), its rows × a few.
    fn new(limits: &Limits) -> Budget {
        Budget {
            cells: 0,
            text: 0,
            work: 0,
            dense: 0,
            max_cells: MAX_CELLS.max(limits.max_rows.saturating_mul(CELLS_PER_ROW)),
        }
    }
    fn cells(&mut self, n: u64) -> Result<(), Finding> {
        self.cells = self.cells.saturating_add(n);
        if self.cells > self.max_cells {
            return Err(too_large(format!("非空单元格超过 {} 个", self.max_cells)));
        }
        Ok(())
    }
    fn text(&mut self, n: u64) -> Result<(), Finding> {
        self.text = self.text.saturating_add(n);
        if self.text > MAX_CELL_TEXT_BYTES {
            return Err(suspicious(format!(
                "大量单元格重复引用很长的文字或公式,展开后超过 {} MB",
                MAX_CELL_TEXT_BYTES / MIB
            )));
        }
        Ok(())
    }
    fn work(&mut self, n: u64) -> Result<(), Finding> {
        self.work = self.work.saturating_add(n);
        if self.work > MAX_FORMULA_WORK {
            return Err(suspicious("公式过长或过于复杂"));
        }
        Ok(())
    }
    fn dense(&mut self, n: u64) -> Result<(), Finding> {
        self.dense = self.dense.saturating_add(n);
        if self.dense > MAX_DENSE_CELLS_TOTAL {
            return Err(too_large(format!(
                "各工作表的数据区域合计超过 {MAX_DENSE_CELLS_TOTAL} 个单元格"
            )));
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
        if self.last_row != Some(row) {
            self.last_row = Some(row);
            self.rows += 1;
            if self.rows > self.max_rows {
                return Err(too_many_rows(name, self.max_rows));
            }
        }
        self.budget.cells(1)?;
        self.budget.text(text as u64)
    }
}

/// An unsigned number as calamine's parsers read it (digits only, leading
/// zeros allowed); overflow reads as `u64::MAX`, to err on the safe side.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

// ----------------------------------------------------------------- zip

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trip {
    Total,
    Window,
}

/// Counts the inflated bytes read and fails once a limit is crossed: over
/// the file's whole budget (`limit`), or within one XML event (`window`).
struct Counted<R> {
    inner: R,
    total: u64,
    limit: u64,
    window: u64,
    window_limit: u64,
    tripped: Option<Trip>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tripped.is_none() {
            let n = self.inner.read(buf)?;
            self.total += n as u64;
            self.window += n as u64;
            if self.total > self.limit {
                self.tripped = Some(Trip::Total);
            } else if self.window > self.window_limit {
                self.tripped = Some(Trip::Window);
            } else {
                return Ok(n);
            }
        }
        Err(io::Error::other("prescan limit reached"))
    }
}

fn norm(path: &str) -> String {
    path.replace('\\', "/").to_ascii_lowercase()
}

fn entry_error(name: &str, e: zip::result::ZipError) -> Finding {
    match e {
        zip::result::ZipError::UnsupportedArchive(m)
            if m == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            encrypted()
        }
        _ => damaged(format!("部件 {name} 无法读取")),
    }
}

/// A zip archive being scanned: each part is read at most once, through a
/// counting reader, and the inflated total is bounded.
struct Zip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    names: Vec<String>,
    /// Lower-cased, `/`-separated name → index (calamine looks parts up the
    /// same way, `utils.rs:214`).
    index: HashMap<String, usize>,
    sizes: Vec<u64>,
    done: Vec<bool>,
    inflated: u64,
    limit: u64,
    /// Worksheet parts as inflated, by part index (for [`Zip::repack`]).
    sheets: Vec<(usize, Vec<u8>)>,
}

enum XmlStop {
    Finding(Finding),
    TooDeep,
    Xml(quick_xml::Error),
}

impl From<Finding> for XmlStop {
    fn from(f: Finding) -> Self {
        XmlStop::Finding(f)
    }
}

/// Receives the events of one XML part. An empty element arrives as
/// `start` then `end`.
trait XmlSink {
    fn start(&mut self, _e: &BytesStart<'_>) -> Result<(), Finding> {
        Ok(())
    }
    fn end(&mut self, _local: &str) -> Result<(), Finding> {
        Ok(())
    }
    /// The raw (prefixed) name of an end tag, just before `end`.
    fn end_name(&mut self, _qname: &str) -> Result<(), Finding> {
        Ok(())
    }
    fn text(&mut self, _t: &str) -> Result<(), Finding> {
        Ok(())
    }
    /// The end of the part.
    fn eof(&mut self) -> Result<(), Finding> {
        Ok(())
    }
    /// Seen all it needs: the rest of the part is left unread (and `eof`
    /// is not called).
    fn finished(&self) -> bool {
        false
    }
}

struct Noop;
impl XmlSink for Noop {}

/// Receives the records of one XLSB part: `head` holds the first
/// `head_len(typ)` bytes of the record (the rest is skipped unread).
trait BinSink {
    fn head_len(&self, _typ: u16) -> usize {
        0
    }
    fn record(&mut self, typ: u16, len: u64, head: &[u8]) -> Result<(), Finding>;
}

struct NoopBin;
impl BinSink for NoopBin {
    fn record(&mut self, _: u16, _: u64, _: &[u8]) -> Result<(), Finding> {
        Ok(())
    }
}

fn drive_xml<R: Read>(
    xml: &mut quick_xml::Reader<BufReader<Counted<R>>>,
    sink: &mut dyn XmlSink,
) -> Result<(), XmlStop> {
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    loop {
        buf.clear();
        xml.get_mut().get_mut().window = 0;
        match xml.read_event_into(&mut buf).map_err(XmlStop::Xml)? {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(XmlStop::TooDeep);
                }
                sink.start(&e)?;
                if sink.finished() {
                    return Ok(());
                }
            }
            Event::Empty(e) => {
                if depth + 1 > MAX_XML_DEPTH {
                    return Err(XmlStop::TooDeep);
                }
                sink.start(&e)?;
                sink.end_name(e.name().as_ref())?;
                sink.end(e.local_name().as_ref())?;
                if sink.finished() {
                    return Ok(());
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                sink.end_name(e.name().as_ref())?;
                sink.end(e.local_name().as_ref())?;
            }
            Event::Text(t) => sink.text(&t)?,
            Event::CData(t) => sink.text(&t)?,
            // An entity or character reference: at most 4 bytes of UTF-8.
            Event::GeneralRef(_) => sink.text("&#0;")?,
            Event::Eof => {
                sink.eof()?;
                return Ok(());
            }
            _ => {}
        }
    }
}

fn read_u8<R: Read>(r: &mut R) -> io::Result<Option<u8>> {
    let mut b = [0u8];
    loop {
        match r.read(&mut b) {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(b[0])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

impl<'a> Zip<'a> {
    fn open(bytes: &'a [u8], limits: &Limits) -> Result<Zip<'a>, Finding> {
        // zip 9.4 sizes its directory by min(entries, directory bytes / 46)
        // and checks both against the file, so opening is bounded.
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|_| damaged("压缩结构不完整,可能下载或复制时被截断"))?;
        let n = archive.len();
        if n > MAX_ZIP_ENTRIES {
            return Err(suspicious(format!(
                "文件内部有 {n} 个部件,超过 {MAX_ZIP_ENTRIES} 个"
            )));
        }
        let limit = limits.max_inflated_mb.saturating_mul(MIB);
        let mut z = Zip {
            archive,
            names: Vec::with_capacity(n),
            index: HashMap::with_capacity(n),
            sizes: Vec::with_capacity(n),
            done: vec![false; n],
            inflated: 0,
            limit,
            sheets: Vec::new(),
        };
        let mut declared = 0u64;
        for i in 0..n {
            let e = z
                .archive
                .by_index_data(i)
                .map_err(|_| damaged("压缩目录无法读取"))?;
            let name = match e.name() {
                Ok(s) => s.into_owned(),
                Err(_) => String::from_utf8_lossy(e.name_raw()).into_owned(),
            };
            if e.encrypted() {
                return Err(encrypted());
            }
            declared = declared.saturating_add(e.size());
            z.sizes.push(e.size());
            z.index.insert(norm(&name), i);
            z.names.push(name);
        }
        if declared > limit {
            return Err(too_large(format!(
                "解压后约 {} MB,超过允许的 {} MB",
                declared / MIB,
                limits.max_inflated_mb
            )));
        }
        Ok(z)
    }

    fn find(&self, path: &str) -> Option<usize> {
        self.index.get(&norm(path)).copied()
    }

    fn has_prefix(&self, prefix: &str) -> bool {
        self.index.keys().any(|k| k.starts_with(prefix))
    }

    fn read_failure(&self, idx: usize, tripped: Option<Trip>, error: &str) -> Finding {
        let name = &self.names[idx];
        match tripped {
            Some(Trip::Total) => too_large(format!("解压后超过允许的 {} MB", self.limit / MIB)),
            Some(Trip::Window) => suspicious(format!(
                "部件 {name} 中有单段超过 {} MB 的内容",
                MAX_XML_EVENT_BYTES / MIB
            )),
            None => match bigger_than_declared(error, &format!("部件 {name} ")) {
                Some(f) => f,
                None => damaged(format!("部件 {name} 无法解压")),
            },
        }
    }

    /// Part `idx` opened through the counting reader, with what is left of
    /// the file's inflate budget and `window` bytes per XML event; `None`
    /// when the part has been read already.
    fn open_part(
        &mut self,
        idx: usize,
        window: u64,
    ) -> Result<Option<Counted<zip::read::ZipFile<'_, Cursor<&'a [u8]>>>>, Finding> {
        if std::mem::replace(&mut self.done[idx], true) {
            return Ok(None);
        }
        let remaining = self.limit.saturating_sub(self.inflated);
        let file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        Ok(Some(Counted {
            inner: file,
            total: 0,
            limit: remaining,
            window: 0,
            window_limit: window,
            tripped: None,
        }))
    }

    /// Stream one XML part through `sink`. `strict`: calamine parses this
    /// part, so malformed XML is reported (our parser must never stop
    /// earlier than calamine's would).
    fn scan_xml(
        &mut self,
        idx: usize,
        strict: bool,
        sink: &mut dyn XmlSink,
    ) -> Result<(), Finding> {
        let Some(counted) = self.open_part(idx, MAX_XML_EVENT_BYTES)? else {
            return Ok(());
        };
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(counted));
        {
            let c = xml.config_mut();
            c.check_end_names = false;
            c.check_comments = false;
            c.allow_dangling_amp = true;
            c.allow_unmatched_ends = true;
        }
        let outcome = drive_xml(&mut xml, sink);
        let (total, tripped) = {
            let c = xml.get_ref().get_ref();
            (c.total, c.tripped)
        };
        drop(xml);
        self.inflated += total;
        match outcome {
            Ok(()) => Ok(()),
            Err(XmlStop::Finding(f)) => Err(f),
            Err(XmlStop::TooDeep) => Err(suspicious(format!(
                "部件 {} 的 XML 嵌套超过 {MAX_XML_DEPTH} 层",
                self.names[idx]
            ))),
            Err(XmlStop::Xml(quick_xml::Error::Io(e))) => {
                Err(self.read_failure(idx, tripped, &e.to_string()))
            }
            Err(XmlStop::Xml(e)) if tripped.is_some() => {
                Err(self.read_failure(idx, tripped, &e.to_string()))
            }
            Err(XmlStop::Xml(_)) if strict => {
                Err(damaged(format!("部件 {} 的内容格式错误", self.names[idx])))
            }
            Err(XmlStop::Xml(_)) => Ok(()),
        }
    }

    /// Inflate a worksheet part once through the counting reader, without
    /// parsing it: the file's inflated total, the zip's declared sizes, and
    /// no stretch of more than `MAX_XML_EVENT_BYTES` without a `<` (one XML
    /// event: calamine's reader would buffer it whole).
    fn inflate_sheet(&mut self, idx: usize) -> Result<(), Finding> {
        let declared = self.sizes[idx];
        let Some(mut counted) = self.open_part(idx, u64::MAX)? else {
            return Ok(());
        };
        // The declared size is a hint only (the counting reader enforces
        // the budget); capped so a lying header cannot reserve much.
        let mut sheet: Vec<u8> = Vec::with_capacity(declared.min(64 * MIB) as usize);
        let mut buf = vec![0u8; 64 * 1024];
        let mut since_tag = 0u64;
        let outcome = loop {
            let n = match counted.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e.to_string()),
            };
            sheet.extend_from_slice(&buf[..n]);
            let mut prev: Option<usize> = None;
            let mut longest = 0u64;
            for i in memchr::memchr_iter(b'<', &buf[..n]) {
                let gap = match prev {
                    None => since_tag + i as u64,
                    Some(p) => (i - p - 1) as u64,
                };
                longest = longest.max(gap);
                prev = Some(i);
            }
            since_tag = match prev {
                Some(p) => (n - 1 - p) as u64,
                None => since_tag + n as u64,
            };
            if longest > MAX_XML_EVENT_BYTES {
                break Err(String::new());
            }
            if since_tag > MAX_XML_EVENT_BYTES {
                break Err(String::new());
            }
        };
        let (total, tripped) = (counted.total, counted.tripped);
        drop(counted);
        self.inflated += total;
        match outcome {
            Ok(()) => {
                self.sheets.push((idx, sheet));
                Ok(())
            }
            Err(e) if e.is_empty() => Err(self.read_failure(idx, Some(Trip::Window), "")),
            Err(e) => Err(self.read_failure(idx, tripped, &e)),
        }
    }

    /// Stream one XLSB part record by record (varint type, varint length).
    fn scan_bin(&mut self, idx: usize, sink: &mut dyn BinSink) -> Result<(), Finding> {
        let declared = self.sizes[idx];
        let Some(counted) = self.open_part(idx, u64::MAX)? else {
            return Ok(());
        };
        let mut r = BufReader::new(counted);
        let mut head = Vec::new();
        let outcome: Result<Result<(), Finding>, io::Error> = (|| loop {
            let Some(b) = read_u8(&mut r)? else {
                return Ok(Ok(()));
            };
            let typ = if b & 0x80 != 0 {
                let Some(b2) = read_u8(&mut r)? else {
                    return Ok(Ok(()));
                };
                u16::from(b & 0x7F) | (u16::from(b2 & 0x7F) << 7)
            } else {
                u16::from(b)
            };
            let mut len = 0u64;
            for i in 0..4 {
                let Some(b) = read_u8(&mut r)? else {
                    return Ok(Ok(()));
                };
                len |= u64::from(b & 0x7F) << (7 * i);
                if b & 0x80 == 0 {
                    break;
                }
            }
            if len > declared {
                return Ok(Err(damaged("记录长度超出部件大小")));
            }
            let want = (sink.head_len(typ) as u64).min(len) as usize;
            head.resize(want, 0);
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Ok(())),
                Err(e) => return Err(e),
            }
            io::copy(&mut (&mut r).take(len - want as u64), &mut io::sink())?;
            if let Err(f) = sink.record(typ, len, &head) {
                return Ok(Err(f));
            }
        })();
        let (total, tripped) = (r.get_ref().total, r.get_ref().tripped);
        drop(r);
        self.inflated += total;
        match outcome {
            Ok(res) => res,
            Err(e) => Err(self.read_failure(idx, tripped, &e.to_string())),
        }
    }

    fn read_small(&mut self, idx: usize, max: u64) -> Result<Vec<u8>, Finding> {
        self.done[idx] = true;
        let mut file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        let mut out = Vec::new();
        (&mut file)
            .take(max)
            .read_to_end(&mut out)
            .map_err(|_| damaged(format!("部件 {} 无法解压", self.names[idx])))?;
        self.inflated += out.len() as u64;
        Ok(out)
    }

    /// The archive again, its inflated worksheets stored uncompressed and
    /// every other part copied as it is (still compressed, same checksum).
    /// `None` when nothing was inflated or the zip writer refuses the
    /// archive (say, two parts of one name): then the reader takes the
    /// file's own bytes, as before.
    fn repack(&mut self, original_len: usize) -> Option<Vec<u8>> {
        use zip::write::{SimpleFileOptions, ZipWriter};
        if self.sheets.is_empty() {
            return None;
        }
        let extra: usize = self.sheets.iter().map(|(_, b)| b.len()).sum();
        let mut w = ZipWriter::new(Cursor::new(Vec::with_capacity(original_len + extra)));
        let sheets: HashMap<usize, Vec<u8>> =
            std::mem::take(&mut self.sheets).into_iter().collect();
        for i in 0..self.names.len() {
            match sheets.get(&i) {
                Some(bytes) => {
                    let options = SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Stored)
                        .large_file(bytes.len() as u64 >= u32::MAX as u64);
                    w.start_file(self.names[i].as_str(), options).ok()?;
                    std::io::Write::write_all(&mut w, bytes).ok()?;
                }
                None => {
                    let raw = self.archive.by_index_raw(i).ok()?;
                    w.raw_copy_file(raw).ok()?;
                }
            }
        }
        Some(w.finish().ok()?.into_inner())
    }

    /// Every XML part not yet read: nesting depth and inflated size only.
    /// A part declared at most one XML event's worth is skipped: the zip
    /// crate stops any read of it at that size, so neither its inflated
    /// size nor one event in it can exceed what `Zip::open` allowed.
    fn scan_rest(&mut self) -> Result<(), Finding> {
        for i in 0..self.names.len() {
            let n = norm(&self.names[i]);
            if !self.done[i]
                && self.sizes[i] > MAX_XML_EVENT_BYTES
                && (n.ends_with(".xml") || n.ends_with(".rels"))
            {
                self.scan_xml(i, false, &mut Noop)?;
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------- XML attributes

fn attrs<'e>(
    e: &'e BytesStart<'_>,
) -> impl Iterator<Item = quick_xml::events::attributes::Attribute<'e>> {
    let mut a = e.attributes();
    a.with_checks(false);
    a.filter_map(Result::ok)
}

/// Raw (still escaped) value of the attribute with this local name.
fn attr<'e>(e: &'e BytesStart<'_>, local: &str) -> Option<Cow<'e, str>> {
    attrs(e)
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.value)
}

/// Unescaped value of the attribute with this local name.
fn attr_text(e: &BytesStart<'_>, local: &str) -> Option<String> {
    attrs(e)
        .find(|a| a.key.local_name().as_ref() == local)
        .map(
            |a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(_) => a.value.into_owned(),
            },
        )
}

// ---------------------------------------------------------- XML sinks

struct Rel {
    id: String,
    typ: String,
    target_raw: String,
    target: String,
}

#[derive(Default)]
struct RelsSink {
    rels: Vec<Rel>,
}

impl RelsSink {
    fn get(&self, id: &str) -> Option<&Rel> {
        self.rels.iter().rev().find(|r| r.id == id)
    }
    fn office_document(&self) -> Option<&Rel> {
        self.rels
            .iter()
            .rev()
            .find(|r| r.typ.ends_with("/relationships/officeDocument"))
    }
}

impl XmlSink for RelsSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
        if e.local_name().as_ref() == "Relationship" {
            if let Some(id) = attr_text(e, "Id") {
                self.rels.push(Rel {
                    id,
                    typ: attr_text(e, "Type").unwrap_or_default(),
                    target_raw: attr(e, "Target").map(Cow::into_owned).unwrap_or_default(),
                    target: attr_text(e, "Target").unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}

/// xlsx `workbook.xml`: the sheets and their relationship ids.
#[derive(Default)]
struct WorkbookSink {
    sheets: Vec<(String, String)>,
}

impl XmlSink for WorkbookSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
        if e.local_name().as_ref() == "sheet" {
            let name = attr_text(e, "name").unwrap_or_default();
            let rid = attr(e, "id").map(Cow::into_owned).unwrap_or_default();
            self.sheets.push((name, rid));
            if self.sheets.len() > MAX_SHEETS {
                return Err(too_large(format!("工作表超过 {MAX_SHEETS} 个")));
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
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
        match e.local_name().as_ref() {
            "sst" => {
                self.head_seen = true;
                if let Some(n) = attr(e, "uniqueCount").and_then(|v| parse_uint(&v)) {
                    if n > MAX_SST_ENTRIES || n > self.declared / MIN_XML_SI_BYTES + 16 {
                        return Err(sst_lie(n));
                    }
                }
                // `count` counts references (cells), not strings: only an
                // absurd value is a lie (more than every cell of a sheet).
                if let Some(n) = attr(e, "count").and_then(|v| parse_uint(&v)) {
                    if n > EXCEL_ROWS * EXCEL_COLS {
                        return Err(sst_lie(n));
                    }
                }
            }
            "si" => self.si_depth += 1,
            _ => {}
        }
        Ok(())
    }
    fn end(&mut self, local: &str) -> Result<(), Finding> {
        if local == "si" && self.si_depth > 0 {
            self.si_depth -= 1;
            if self.si_depth == 0 {
                self.count += 1;
                if self.count > MAX_SST_ENTRIES {
                    return Err(sst_lie(self.count));
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

/// ODS `META-INF/manifest.xml`: the package's media type, encryption.
#[derive(Default)]
struct ManifestSink {
    root_media: Option<String>,
    encrypted: bool,
}

impl XmlSink for ManifestSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
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

fn ods_unbalanced() -> Finding {
    damaged("content.xml 中的标记没有正确配对或没有结束,文件不完整")
}

impl XmlSink for OdsSink<'_> {
    fn end_name(&mut self, qname: &str) -> Result<(), Finding> {
        match self.open.pop() {
            Some(open) if open == qname => Ok(()),
            _ => Err(ods_unbalanced()),
        }
    }

    fn eof(&mut self) -> Result<(), Finding> {
        if self.open.is_empty() {
            Ok(())
        } else {
            Err(ods_unbalanced())
        }
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
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
                        return Err(suspicious(format!("单元格中声明了 {c} 个连续空格")));
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
                    return Err(too_large(format!("工作表超过 {MAX_SHEETS} 个")));
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

    fn end(&mut self, _local: &str) -> Result<(), Finding> {
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
                return Err(too_large(format!(
                    "工作表「{}」展开后的单元格超过 {MAX_ODS_MATERIALISED} 个",
                    s.name
                )));
            }
            if let Some(first) = row.first {
                s.content_rows += row.repeats;
                if s.content_rows > self.max_rows {
                    return Err(too_many_rows(&s.name, self.max_rows));
                }
                s.first_row.get_or_insert(row.start);
                s.last_row_end = row.start + row.repeats;
                s.col_min = s.col_min.min(first);
                s.col_max = s.col_max.max(row.last_end.saturating_sub(1));
                let (rows, cols) = s.dense();
                if rows.saturating_mul(cols) > MAX_DENSE_CELLS {
                    return Err(dense_too_big(&s.name, rows, cols));
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

    fn text(&mut self, t: &str) -> Result<(), Finding> {
        if let Some(cell) = self.cell.as_mut() {
            cell.text += t.len() as u64;
        }
        Ok(())
    }
}

// ---------------------------------------------------------- XLSB sinks

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

/// `xl/sharedStrings.bin`: BrtBeginSst counts, BrtSSTItem lengths.
struct SstBin {
    declared: u64,
    lens: Vec<u32>,
}

impl BinSink for SstBin {
    fn head_len(&self, typ: u16) -> usize {
        match typ {
            0x009F => 8,
            0x0013 => 5,
            _ => 0,
        }
    }
    fn record(&mut self, typ: u16, len: u64, head: &[u8]) -> Result<(), Finding> {
        match typ {
            0x009F => {
                let unique = u64::from(le_u32(head, 4).unwrap_or(0));
                if unique > MAX_SST_ENTRIES || unique > self.declared / MIN_XLSB_SI_BYTES + 16 {
                    return Err(sst_lie(unique));
                }
            }
            0x0013 => {
                let cch = u64::from(le_u32(head, 1).unwrap_or(0));
                let cch = cch.min(len.saturating_sub(5) / 2);
                self.lens.push((cch * 3).min(u64::from(u32::MAX)) as u32);
                if self.lens.len() as u64 > MAX_SST_ENTRIES {
                    return Err(sst_lie(self.lens.len() as u64));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `xl/workbook.bin`: BrtBundleSh (sheet name and relationship id).
#[derive(Default)]
struct WorkbookBin {
    sheets: Vec<(String, Option<String>)>,
}

fn wide_str(b: &[u8], at: usize) -> (Option<String>, usize) {
    let Some(cch) = le_u32(b, at) else {
        return (None, b.len());
    };
    if cch == u32::MAX {
        return (None, at + 4);
    }
    let end = (at + 4).saturating_add(cch as usize * 2).min(b.len());
    let units: Vec<u16> = b[(at + 4).min(end)..end]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    (Some(String::from_utf16_lossy(&units)), end)
}

impl BinSink for WorkbookBin {
    fn head_len(&self, typ: u16) -> usize {
        if typ == 0x009C {
            4096
        } else {
            0
        }
    }
    fn record(&mut self, typ: u16, _len: u64, head: &[u8]) -> Result<(), Finding> {
        if typ == 0x009C {
            let (rel, next) = wide_str(head, 8);
            let (name, _) = wide_str(head, next);
            let name = name.unwrap_or_else(|| format!("第{}个工作表", self.sheets.len() + 1));
            self.sheets.push((name, rel));
            if self.sheets.len() > MAX_SHEETS {
                return Err(too_large(format!("工作表超过 {MAX_SHEETS} 个")));
            }
        }
        Ok(())
    }
}

/// An XLSB worksheet: rows with values, cells, shared-string clones.
struct SheetBin<'s> {
    name: &'s str,
    sst: &'s [u32],
    max_rows: u64,
    budget: &'s mut Budget,
    row: Option<u32>,
    row_content: bool,
    rows: u64,
}

impl SheetBin<'_> {
    fn close_row(&mut self) -> Result<(), Finding> {
        if self.row.is_some() && self.row_content {
            self.rows += 1;
            if self.rows > self.max_rows {
                return Err(too_many_rows(self.name, self.max_rows));
            }
        }
        self.row_content = false;
        Ok(())
    }
}

impl BinSink for SheetBin<'_> {
    fn head_len(&self, typ: u16) -> usize {
        match typ {
            0x0000 => 4,
            0x0002..=0x000B => 12,
            _ => 0,
        }
    }
    fn record(&mut self, typ: u16, _len: u64, head: &[u8]) -> Result<(), Finding> {
        match typ {
            // BrtRowHdr
            0x0000 => {
                self.close_row()?;
                self.row = Some(le_u32(head, 0).unwrap_or(0));
            }
            // BrtCellRk … BrtFmlaError: a cell with a value (0x0001 is blank).
            0x0002..=0x000B => {
                self.row_content = true;
                if self.row.is_none() {
                    self.row = Some(0);
                }
                self.budget.cells(1)?;
                if typ == 0x0007 {
                    let i = le_u32(head, 8).unwrap_or(u32::MAX) as usize;
                    let n = self.sst.get(i).copied().unwrap_or(0);
                    self.budget.text(u64::from(n))?;
                }
            }
            // BrtEndSheetData
            0x0092 => self.close_row()?,
            _ => {}
        }
        Ok(())
    }
}

// ----------------------------------------------------------- zip flows

enum ZipKind {
    /// xlsx/xlsm, with the workbook part's path as calamine computes it.
    Xlsx(String),
    Xlsb,
    Ods,
}

fn scan_zip(bytes: &[u8], limits: &Limits) -> Result<Scanned, Finding> {
    let mut z = Zip::open(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let format = match classify(&mut z)? {
        ZipKind::Xlsx(wb) => {
            scan_xlsx(&mut z, &wb)?;
            Format::Xlsx
        }
        ZipKind::Xlsb => {
            scan_xlsb(&mut z, limits, &mut budget)?;
            Format::Xlsb
        }
        ZipKind::Ods => {
            scan_ods(&mut z, limits, &mut budget)?;
            Format::Ods
        }
    };
    z.scan_rest()?;
    let repacked = match format {
        Format::Xlsx => z.repack(bytes.len()),
        _ => None,
    };
    Ok(Scanned { format, repacked })
}

fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    }
}

fn classify(z: &mut Zip<'_>) -> Result<ZipKind, Finding> {
    if let Some(i) = z.find("mimetype") {
        let m = z.read_small(i, 256)?;
        let m = String::from_utf8_lossy(&m);
        let m = m.trim();
        if m.starts_with(ODS_MIME) {
            return Ok(ZipKind::Ods);
        }
        if m.starts_with("application/vnd.oasis.opendocument.text") {
            return Err(office_doc("文字处理文档(.odt)"));
        }
        if m.starts_with("application/vnd.oasis.opendocument.presentation") {
            return Err(office_doc("演示文稿(.odp)"));
        }
    }
    if let Some(i) = z.find("_rels/.rels") {
        let mut rels = RelsSink::default();
        z.scan_xml(i, true, &mut rels)?;
        if let Some(doc) = rels.office_document() {
            // calamine `read_package_relationships` (xlsx/mod.rs:335-345).
            let (dir, name) = split_dir(&doc.target);
            let dir = dir.strip_prefix('/').unwrap_or(dir);
            let path = format!("{dir}{name}");
            let lower = path.to_ascii_lowercase();
            if lower.starts_with("word/") {
                return Err(office_doc("Word 文档(.docx)"));
            }
            if lower.starts_with("ppt/") {
                return Err(office_doc("PowerPoint 演示文稿(.pptx)"));
            }
            if lower.ends_with(".bin") {
                if z.find("xl/workbook.bin").is_none() {
                    return Err(damaged("缺少工作簿主体 xl/workbook.bin"));
                }
                return Ok(ZipKind::Xlsb);
            }
            return Ok(ZipKind::Xlsx(path));
        }
    }
    if z.has_prefix("word/") {
        return Err(office_doc("Word 文档(.docx)"));
    }
    if z.has_prefix("ppt/") {
        return Err(office_doc("PowerPoint 演示文稿(.pptx)"));
    }
    if z.find("xl/workbook.bin").is_some() {
        return Ok(ZipKind::Xlsb);
    }
    if z.find("xl/workbook.xml").is_some() {
        return Err(damaged("缺少 _rels/.rels,找不到工作簿主体"));
    }
    if z.has_prefix("xl/") {
        return Err(damaged("缺少工作簿主体 xl/workbook.xml"));
    }
    if z.find("content.xml").is_some() {
        if let Some(i) = z.find("META-INF/manifest.xml") {
            let mut m = ManifestSink::default();
            z.scan_xml(i, true, &mut m)?;
            if m.encrypted {
                return Err(encrypted());
            }
            if m.root_media
                .as_deref()
                .is_some_and(|t| t.starts_with(ODS_MIME))
            {
                return Ok(ZipKind::Ods);
            }
        }
    }
    Err(Finding::new(
        Code::S01,
        "该文件是一个压缩包(zip),里面没有 Excel 工作簿,不是 Excel 工作簿。请直接报送用 Excel 或 WPS 另存的 .xlsx 文件,不要打包压缩。",
    ))
}

fn scan_xlsx(z: &mut Zip<'_>, wb_path: &str) -> Result<(), Finding> {
    let (dir, name) = split_dir(wb_path);
    let wb_idx = z
        .find(wb_path)
        .ok_or_else(|| damaged(format!("缺少工作簿主体 {wb_path}")))?;
    let rels_path = format!("{dir}_rels/{name}.rels");
    let rels_idx = z
        .find(&rels_path)
        .ok_or_else(|| damaged(format!("缺少 {rels_path}")))?;
    let mut rels = RelsSink::default();
    z.scan_xml(rels_idx, true, &mut rels)?;
    let mut wb = WorkbookSink::default();
    z.scan_xml(wb_idx, true, &mut wb)?;

    // calamine `read_workbook` (xlsx/mod.rs:641-660).
    let mut parts = Vec::new();
    for (sheet, rid) in &wb.sheets {
        let rel = rels
            .get(rid)
            .ok_or_else(|| damaged(format!("工作表「{sheet}」找不到对应的部件")))?;
        let path = match rel.target_raw.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("{dir}{}", rel.target_raw),
        };
        match rel.typ.rsplit('/').next() {
            Some("worksheet") | Some("dialogsheet") => {}
            Some("chartsheet") => continue,
            _ => return Err(damaged(format!("工作表「{sheet}」的类型无法识别"))),
        }
        let idx = z
            .find(&path)
            .ok_or_else(|| damaged(format!("缺少工作表「{sheet}」的部件 {path}")))?;
        parts.push((sheet.clone(), idx));
    }

    if let Some(i) = z.find(&format!("{dir}sharedStrings.xml")) {
        z.scan_xml(i, true, &mut SstSink::new(z.sizes[i]))?;
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
    // inflate as it streams (once, like any reader). Only a larger part is
    // inflated here first, byte-searched, and handed on stored.
    for (_, idx) in &parts {
        if z.sizes[*idx] > MAX_XML_EVENT_BYTES {
            z.inflate_sheet(*idx)?;
        } else {
            z.done[*idx] = true;
        }
    }
    Ok(())
}

fn scan_xlsb(z: &mut Zip<'_>, limits: &Limits, budget: &mut Budget) -> Result<(), Finding> {
    // calamine `Xlsb::new` (xlsb/mod.rs:522-548): fixed part names.
    let mut sst = Vec::new();
    if let Some(i) = z.find("xl/sharedStrings.bin") {
        let mut s = SstBin {
            declared: z.sizes[i],
            lens: Vec::new(),
        };
        z.scan_bin(i, &mut s)?;
        sst = s.lens;
    }
    if let Some(i) = z.find("xl/styles.bin") {
        z.scan_bin(i, &mut NoopBin)?;
    }
    let mut rels = RelsSink::default();
    if let Some(i) = z.find("xl/_rels/workbook.bin.rels") {
        z.scan_xml(i, true, &mut rels)?;
    }
    let wb_idx = z
        .find("xl/workbook.bin")
        .ok_or_else(|| damaged("缺少工作簿主体 xl/workbook.bin"))?;
    let mut wb = WorkbookBin::default();
    z.scan_bin(wb_idx, &mut wb)?;
    for (sheet, rel) in &wb.sheets {
        let Some(rel) = rel else { continue };
        let target = rels
            .get(rel)
            .ok_or_else(|| damaged(format!("工作表「{sheet}」找不到对应的部件")))?;
        let path = format!("xl/{}", target.target);
        match path.split('/').nth(1) {
            Some("worksheets") | Some("dialogsheets") => {}
            Some("chartsheets") => continue,
            _ => return Err(damaged(format!("工作表「{sheet}」的类型无法识别"))),
        }
        let idx = z
            .find(&path)
            .ok_or_else(|| damaged(format!("缺少工作表「{sheet}」的部件 {path}")))?;
        let mut s = SheetBin {
            name: sheet,
            sst: &sst,
            max_rows: limits.max_rows,
            budget: &mut *budget,
            row: None,
            row_content: false,
            rows: 0,
        };
        z.scan_bin(idx, &mut s)?;
        s.close_row()?;
    }
    Ok(())
}

fn scan_ods(z: &mut Zip<'_>, limits: &Limits, budget: &mut Budget) -> Result<(), Finding> {
    // calamine `Ods::new` (ods.rs:207-240) needs both parts.
    let manifest = z
        .find("META-INF/manifest.xml")
        .ok_or_else(|| damaged("缺少 META-INF/manifest.xml"))?;
    let mut m = ManifestSink::default();
    z.scan_xml(manifest, true, &mut m)?;
    if m.encrypted {
        return Err(encrypted());
    }
    let content = z
        .find("content.xml")
        .ok_or_else(|| damaged("缺少 content.xml"))?;
    let mut s = OdsSink::new(budget, limits.max_rows);
    z.scan_xml(content, true, &mut s)
}

// ------------------------------------------------------------- CFB

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;

struct CfbEntry {
    name: String,
    start: u32,
    size: u64,
}

/// A compound file, read the way calamine's `cfb.rs` reads it, but with
/// every sector chain checked for cycles and bounds (calamine follows a
/// chain until ENDOFCHAIN or the stated size, `cfb.rs:328-345`, so a cycle
/// means an endless loop growing a Vec).
struct Cfb<'a> {
    bytes: &'a [u8],
    ssz: usize,
    nsec: usize,
    fat: Vec<u32>,
    minifat: Vec<u32>,
    ministream: Vec<u8>,
    entries: Vec<CfbEntry>,
}

fn bad_cfb() -> Finding {
    damaged("复合文档结构错误")
}

impl<'a> Cfb<'a> {
    fn sector(&self, id: u32) -> Result<&'a [u8], Finding> {
        let id = id as usize;
        if id >= self.nsec {
            return Err(bad_cfb());
        }
        let start = (id + 1) * self.ssz;
        Ok(&self.bytes[start..(start + self.ssz).min(self.bytes.len())])
    }

    /// The sector ids of a chain; a cycle, an id outside the table or a
    /// chain longer than `max` is damage.
    fn chain(table: &[u32], start: u32, max: usize) -> Result<Vec<u32>, Finding> {
        let mut seen = vec![false; table.len()];
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let i = id as usize;
            if i >= table.len() || seen[i] || out.len() >= max {
                return Err(bad_cfb());
            }
            seen[i] = true;
            out.push(id);
            id = table[i];
        }
        Ok(out)
    }

    fn parse(bytes: &'a [u8]) -> Result<Cfb<'a>, Finding> {
        if bytes.len() < 512 {
            return Err(bad_cfb());
        }
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let ssz = match u16_at(30) {
            9 => 512,
            12 => 4096,
            _ => return Err(bad_cfb()),
        };
        if u16_at(32) != 6 || bytes.len() < ssz {
            return Err(bad_cfb());
        }
        let nsec = (bytes.len() - ssz).div_ceil(ssz);
        let mut cfb = Cfb {
            bytes,
            ssz,
            nsec,
            fat: Vec::new(),
            minifat: Vec::new(),
            ministream: Vec::new(),
            entries: Vec::new(),
        };
        // DIFAT: 109 ids in the header, then a chain of DIFAT sectors.
        let mut difat: Vec<u32> = (0..109).map(|i| u32_at(76 + 4 * i)).collect();
        let mut next = u32_at(68);
        let mut hops = 0;
        while next < 0xFFFF_FFFA {
            hops += 1;
            if hops > nsec {
                return Err(bad_cfb());
            }
            let s = cfb.sector(next)?;
            let ids: Vec<u32> = s
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let Some((&last, rest)) = ids.split_last() else {
                return Err(bad_cfb());
            };
            difat.extend_from_slice(rest);
            next = last;
        }
        let fat_ids: Vec<u32> = difat.into_iter().filter(|&id| id < 0xFFFF_FFFC).collect();
        if fat_ids.len() > nsec {
            return Err(bad_cfb());
        }
        let mut fat = Vec::with_capacity(fat_ids.len() * ssz / 4);
        for id in fat_ids {
            fat.extend(
                cfb.sector(id)?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        cfb.fat = fat;
        let dir_chain = Self::chain(&cfb.fat, u32_at(48), nsec)?;
        for id in dir_chain {
            let s = cfb.sector(id)?;
            for e in s.chunks_exact(128) {
                let units: Vec<u16> = e[..64]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                let size = if ssz == 512 {
                    u64::from(u32::from_le_bytes([e[120], e[121], e[122], e[123]]))
                } else {
                    u64::from_le_bytes([
                        e[120], e[121], e[122], e[123], e[124], e[125], e[126], e[127],
                    ])
                };
                cfb.entries.push(CfbEntry {
                    name: String::from_utf16_lossy(&units),
                    start: u32::from_le_bytes([e[116], e[117], e[118], e[119]]),
                    size,
                });
            }
        }
        if cfb.entries.is_empty() {
            return Err(bad_cfb());
        }
        if u32_at(64) > 0 {
            let root = Self::chain(&cfb.fat, cfb.entries[0].start, nsec)?;
            let minifat = Self::chain(&cfb.fat, u32_at(60), nsec)?;
            let mut mf = Vec::new();
            for id in minifat {
                mf.extend(
                    cfb.sector(id)?
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
            let mut ms = Vec::new();
            for id in root {
                ms.extend_from_slice(cfb.sector(id)?);
            }
            cfb.minifat = mf;
            cfb.ministream = ms;
        }
        Ok(cfb)
    }

    fn find(&self, name: &str) -> Option<&CfbEntry> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }

    fn stream(&self, e: &CfbEntry) -> Result<Vec<u8>, Finding> {
        if e.size > (self.nsec * self.ssz) as u64 {
            return Err(bad_cfb());
        }
        let size = e.size as usize;
        let mut out = Vec::with_capacity(size);
        if e.size < 4096 {
            let max = self.ministream.len() / 64 + 1;
            for id in Self::chain(&self.minifat, e.start, max)? {
                let at = id as usize * 64;
                let s = self
                    .ministream
                    .get(at..(at + 64).min(self.ministream.len()));
                out.extend_from_slice(s.ok_or_else(bad_cfb)?);
                if out.len() >= size {
                    break;
                }
            }
        } else {
            for id in Self::chain(&self.fat, e.start, self.nsec)? {
                out.extend_from_slice(self.sector(id)?);
                if out.len() >= size {
                    break;
                }
            }
        }
        out.truncate(size);
        Ok(out)
    }
}

fn scan_cfb(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Finding> {
    let cfb = Cfb::parse(bytes)?;
    if cfb.find("EncryptionInfo").is_some() || cfb.find("EncryptedPackage").is_some() {
        return Err(encrypted());
    }
    let Some(entry) = cfb.find("Workbook").or_else(|| cfb.find("Book")) else {
        if file_name.to_ascii_lowercase().ends_with(".et") {
            return Err(wps_et());
        }
        if cfb.find("WordDocument").is_some() {
            return Err(office_doc("Word 97-2003 文档(.doc)"));
        }
        if cfb.find("PowerPoint Document").is_some() {
            return Err(office_doc("PowerPoint 97-2003 演示文稿(.ppt)"));
        }
        return Err(not_workbook(
            "不含 Excel 工作簿的 Office 复合文档(也可能是 WPS 表格 .et 文件)",
        ));
    };
    let stream = cfb.stream(entry)?;
    scan_biff(&stream, limits)?;
    Ok(Format::Xls)
}

// ------------------------------------------------------------ BIFF

struct BiffRec<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// calamine's `RecordIter` (xls.rs:1383): a record and its CONTINUEs.
struct BiffIter<'a> {
    s: &'a [u8],
}

impl<'a> Iterator for BiffIter<'a> {
    type Item = Result<BiffRec<'a>, Finding>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.s.len() < 4 {
            return (!self.s.is_empty()).then(|| Err(damaged("工作簿记录不完整")));
        }
        let typ = u16::from_le_bytes([self.s[0], self.s[1]]);
        let len = u16::from_le_bytes([self.s[2], self.s[3]]) as usize;
        if self.s.len() < len + 4 {
            return Some(Err(damaged("工作簿记录不完整")));
        }
        let data = &self.s[4..4 + len];
        self.s = &self.s[4 + len..];
        let mut cont = Vec::new();
        while self.s.len() > 4 && u16::from_le_bytes([self.s[0], self.s[1]]) == 0x003C {
            let len = u16::from_le_bytes([self.s[2], self.s[3]]) as usize;
            if self.s.len() < len + 4 {
                return Some(Err(damaged("工作簿记录不完整")));
            }
            cont.push(&self.s[4..4 + len]);
            self.s = &self.s[4 + len..];
            if cont.len() > MAX_CONTINUE_RECORDS {
                return Some(Err(suspicious(format!(
                    "一条记录后跟着超过 {MAX_CONTINUE_RECORDS} 条续接记录"
                ))));
            }
        }
        Some(Ok(BiffRec { typ, data, cont }))
    }
}

/// calamine's `Record` cursor over a record and its CONTINUEs.
struct BiffCur<'r, 'a> {
    data: &'a [u8],
    cont: &'r [&'a [u8]],
}

impl BiffCur<'_, '_> {
    fn next_cont(&mut self) -> bool {
        match self.cont.split_first() {
            Some((first, rest)) => {
                self.data = first;
                self.cont = rest;
                true
            }
            None => false,
        }
    }
    fn skip(&mut self, mut n: usize) -> bool {
        while n > 0 {
            if self.data.is_empty() && !self.next_cont() {
                return false;
            }
            let l = n.min(self.data.len());
            self.data = &self.data[l..];
            n -= l;
        }
        true
    }
}

/// The SST's counts against its size, and each string's UTF-8 length
/// bound, walking the strings as calamine's `parse_sst` does (xls.rs:1160).
fn biff_sst(rec: &BiffRec<'_>) -> Result<Vec<u32>, Finding> {
    if rec.data.len() < 8 {
        return Ok(Vec::new());
    }
    let unique = u64::from(le_u32(rec.data, 4).unwrap_or(0));
    let bytes = rec.data.len() as u64 + rec.cont.iter().map(|c| c.len() as u64).sum::<u64>();
    if unique > MAX_SST_ENTRIES || unique > bytes / MIN_XLS_SI_BYTES + 16 {
        return Err(sst_lie(unique));
    }
    let mut cur = BiffCur {
        data: &rec.data[8..],
        cont: &rec.cont,
    };
    let mut lens = Vec::new();
    'strings: while !cur.data.is_empty() || cur.next_cont() {
        if cur.data.is_empty() {
            lens.push(0);
            continue;
        }
        if cur.data.len() < 3 {
            break;
        }
        let cch = u16::from_le_bytes([cur.data[0], cur.data[1]]) as usize;
        let flags = cur.data[2];
        cur.data = &cur.data[3..];
        let mut runs = 0;
        let mut ext = 0;
        if flags & 0x8 != 0 {
            let Some(n) = le_u16(cur.data, 0) else { break };
            runs = n as usize;
            cur.data = &cur.data[2..];
        }
        if flags & 0x4 != 0 {
            let Some(n) = le_u32(cur.data, 0) else { break };
            ext = n as i32 as usize;
            cur.data = &cur.data[4..];
        }
        let mut left = cch;
        let mut high = flags & 1 != 0;
        loop {
            let l = if high {
                (cur.data.len() / 2).min(left)
            } else {
                cur.data.len().min(left)
            };
            cur.data = &cur.data[l * if high { 2 } else { 1 }..];
            left -= l;
            if left == 0 {
                break;
            }
            if !cur.next_cont() || cur.data.is_empty() {
                break 'strings;
            }
            high = cur.data[0] & 1 != 0;
            cur.data = &cur.data[1..];
        }
        if !cur.skip(runs * 4) || !cur.skip(ext) {
            break;
        }
        lens.push(cch as u32 * 3);
        if lens.len() as u64 > MAX_SST_ENTRIES {
            return Err(sst_lie(lens.len() as u64));
        }
    }
    Ok(lens)
}

/// Upper bounds of the text calamine's `parse_formula` (xls.rs:1519) makes
/// from one formula's tokens, and of the bytes it moves doing so.
fn formula_cost(rgce: &[u8], biff8: bool, name_max: u64, sheet_max: u64) -> (u64, u64) {
    let mut i = 0;
    let mut out = 0u64;
    let mut work = 0u64;
    while i < rgce.len() {
        let ptg = rgce[i];
        i += 1;
        let at = |k: usize| rgce.get(i + k).copied();
        let (adv, add, inserts) = match ptg {
            0x3a | 0x5a | 0x7a => (6, sheet_max + 16, 0),
            0x3b | 0x5b | 0x7b => (10, sheet_max + 32, 0),
            0x3c | 0x5c | 0x7c => (6, sheet_max + 8, 0),
            0x3d | 0x5d | 0x7d => (10, sheet_max + 8, 0),
            0x01 => (4, 0, 0),
            0x03..=0x11 => (0, 2, 0),
            0x12 | 0x13 | 0x15 => (0, 2, 1),
            0x14 => (0, 1, 0),
            0x16 => (0, 0, 0),
            0x17 => {
                let Some(cch) = at(0) else { break };
                let cch = cch as usize;
                let chars = if biff8 {
                    let Some(flags) = at(1) else { break };
                    1 + if flags & 1 != 0 { 2 * cch } else { cch }
                } else {
                    cch
                };
                (1 + chars, cch as u64 * 3 + 2, 0)
            }
            0x18 => (5, 0, 0),
            0x19 => match at(0) {
                Some(0x01 | 0x02 | 0x08 | 0x20 | 0x21) => (3, 0, 0),
                Some(0x04) => {
                    let (Some(a), Some(b)) = (at(1), at(2)) else {
                        break;
                    };
                    let n = u16::from_le_bytes([a, b]) as usize + 1;
                    (3 + 2 * n, 0, 0)
                }
                Some(0x10) => (3, 5, 0),
                Some(0x40 | 0x41) => {
                    let Some(cch) = at(2) else { break };
                    (3, u64::from(cch), u64::from(cch))
                }
                _ => break,
            },
            0x1C => (1, 13, 0),
            0x1D => (1, 5, 0),
            0x1E => (2, 5, 0),
            0x1F => (8, 24, 0),
            0x20 | 0x40 | 0x60 => (7, 10, 0),
            0x21 | 0x41 | 0x61 => (2, 40, 0),
            0x22 | 0x42 | 0x62 => (3, 40 + 255, 0),
            0x23 | 0x43 | 0x63 => (4, name_max.max(5), 0),
            0x24 | 0x44 | 0x64 => (if biff8 { 4 } else { 3 }, 12, 0),
            0x25 | 0x45 | 0x65 => (if biff8 { 8 } else { 6 }, 24, 0),
            0x2A | 0x4A | 0x6A => (if biff8 { 4 } else { 3 }, 5, 0),
            0x2B | 0x4B | 0x6B => (if biff8 { 8 } else { 6 }, 5, 0),
            0x39 | 0x59 => (6, 10, 0),
            _ => break,
        };
        out += add;
        work = work.saturating_add(out.saturating_mul(1 + inserts));
        i += adv;
    }
    (out, work)
}

/// Would calamine's `parse_formula` (xls.rs:1519-1925) read past the end
/// of this formula? It slices the token stream without checking and
/// panics. `data` is a FORMULA record from offset 20: `cce`, then `rgce`.
/// Where calamine returns an error instead (unknown token, short string,
/// bad function index) it stops there, so the rest is not looked at;
/// operand-stack errors are not modelled, so a formula that is already
/// broken there may be refused a little early.
fn formula_overruns(data: &[u8], biff8: bool) -> bool {
    let Some(cce) = le_u16(data, 0) else {
        return true;
    };
    let Some(rgce) = data.get(2..2 + cce as usize) else {
        return true;
    };
    let mut i = 0;
    while i < rgce.len() {
        let ptg = rgce[i];
        i += 1;
        let left = rgce.len() - i;
        let at = |k: usize| rgce.get(i + k).copied();
        let need = match ptg {
            0x3a | 0x5a | 0x7a | 0x3c | 0x5c | 0x7c | 0x39 | 0x59 => 6,
            0x3b | 0x5b | 0x7b | 0x3d | 0x5d | 0x7d => 10,
            // PtgExp checks its length; PtgStr reads checked.
            0x01 if left < 4 => return false,
            0x01 => 4,
            0x17 => return false,
            0x03..=0x16 => 0,
            0x18 => 5,
            0x19 => match at(0) {
                None => return true,
                Some(0x01 | 0x02 | 0x08 | 0x20 | 0x21 | 0x10 | 0x40 | 0x41) => 3,
                Some(0x04) => match (at(1), at(2)) {
                    (Some(a), Some(b)) => 3 + 2 * (u16::from_le_bytes([a, b]) as usize + 1),
                    _ => return true,
                },
                Some(_) => return false,
            },
            0x1C | 0x1D => 1,
            0x1E | 0x21 | 0x41 | 0x61 => 2,
            0x1F => 8,
            0x20 | 0x40 | 0x60 => 7,
            0x22 | 0x42 | 0x62 => 3,
            // A name index of 0 underflows (`iname - 1`, xls.rs:1818).
            0x23 | 0x43 | 0x63 if left >= 4 && rgce[i..i + 4] == [0, 0, 0, 0] => return true,
            0x23 | 0x43 | 0x63 => 4,
            0x24 | 0x44 | 0x64 | 0x2A | 0x4A | 0x6A => {
                if biff8 {
                    4
                } else {
                    3
                }
            }
            0x25 | 0x45 | 0x65 | 0x2B | 0x4B | 0x6B => {
                if biff8 {
                    8
                } else {
                    6
                }
            }
            _ => return false,
        };
        if left < need {
            return true;
        }
        i += need;
    }
    false
}

#[derive(Clone, Copy, Default)]
struct BiffSheet {
    rows: u64,
    cells: u64,
    text: u64,
    work: u64,
    dense: (u64, u64),
}

struct BiffCtx<'s> {
    sst: &'s [u32],
    biff8: bool,
    name_max: u64,
    sheet_max: u64,
}

/// One worksheet substream, walked as calamine's `parse_workbook` does
/// (xls.rs:632-722): nested substreams skipped, every record that becomes a
/// cell bounds the grid.
fn biff_sheet(
    s: &[u8],
    name: &str,
    ctx: &BiffCtx<'_>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<BiffSheet, Finding> {
    let mut out = BiffSheet::default();
    let mut rows = vec![0u64; 65536 / 64];
    let (mut rmin, mut rmax, mut cmin, mut cmax) = (u32::MAX, 0u32, u32::MAX, 0u32);
    let mut fmla = (0u32, 0u32);
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut cell =
        |r: u32, c: u32, out: &mut BiffSheet, budget: &mut Budget| -> Result<(), Finding> {
            rmin = rmin.min(r);
            rmax = rmax.max(r);
            cmin = cmin.min(c);
            cmax = cmax.max(c);
            let w = &mut rows[(r as usize & 0xFFFF) / 64];
            let bit = 1u64 << (r % 64);
            if *w & bit == 0 {
                *w |= bit;
                out.rows += 1;
                if out.rows > limits.max_rows {
                    return Err(too_many_rows(name, limits.max_rows));
                }
            }
            out.cells += 1;
            budget.cells(1)
        };
    let rc = |d: &[u8]| -> Option<(u32, u32)> {
        Some((u32::from(le_u16(d, 0)?), u32::from(le_u16(d, 2)?)))
    };
    for rec in (BiffIter { s }) {
        let rec = rec?;
        if depth > 0 {
            match rec.typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let d = rec.data;
        match rec.typ {
            // MergeCells: calamine reads `count` 8-byte ranges unchecked
            // (`parse_merge_cells`, xls.rs:949).
            0x00E5 if le_u16(d, 0).is_none_or(|n| 2 + 8 * n as usize > d.len()) => {
                return Err(damaged(format!(
                    "工作表「{name}」中有不完整的合并单元格记录"
                )));
            }
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            // DIMENSIONS: calamine reserves rows × cols cells, with u32
            // arithmetic that wraps on reversed bounds (xls.rs:663-667).
            0x0200 => {
                let (rf, rl, mut cf, cl) = match d.len() {
                    10 => (
                        u32::from(le_u16(d, 0).unwrap_or(0)),
                        u32::from(le_u16(d, 2).unwrap_or(0)),
                        u32::from(le_u16(d, 4).unwrap_or(0)),
                        u32::from(le_u16(d, 6).unwrap_or(0)),
                    ),
                    14 | 16 => (
                        le_u32(d, 0).unwrap_or(0),
                        le_u32(d, 4).unwrap_or(0),
                        u32::from(le_u16(d, 8).unwrap_or(0)),
                        u32::from(le_u16(d, 10).unwrap_or(0)),
                    ),
                    _ => return Err(damaged("工作表尺寸记录错误")),
                };
                if 0xFF < cf || cl < cf {
                    cf = 0;
                }
                let (start, end) = if rl >= 1 && cl >= 1 {
                    ((rf, cf), (rl - 1, cl - 1))
                } else {
                    ((rf, cf), (rf, cf))
                };
                let r = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
                let c = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
                if r.saturating_mul(c) > MAX_DENSE_CELLS {
                    return Err(too_large(format!(
                        "工作表「{name}」声明的数据区域达 {r} 行 × {c} 列,超过 {MAX_DENSE_CELLS} 个单元格的安全上限"
                    )));
                }
            }
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E => {
                if let Some((r, c)) = rc(d) {
                    cell(r, c, &mut out, budget)?;
                }
            }
            0x00FD => {
                if let Some((r, c)) = rc(d) {
                    cell(r, c, &mut out, budget)?;
                    let i = le_u32(d, 6).unwrap_or(u32::MAX) as usize;
                    let n = u64::from(ctx.sst.get(i).copied().unwrap_or(0));
                    out.text += n;
                    budget.text(n)?;
                }
            }
            0x0207 => cell(fmla.0, fmla.1, &mut out, budget)?,
            0x00BD => {
                if let Some((r, c)) = rc(d) {
                    if d.len() >= 6 {
                        let n = (d.len() - 6) / 6;
                        for k in 0..n as u32 {
                            cell(r, c + k, &mut out, budget)?;
                        }
                    }
                }
            }
            0x0006 => {
                if let Some((r, c)) = rc(d) {
                    fmla = (r, c);
                    cell(r, c, &mut out, budget)?;
                    // calamine parses formulas of 20 bytes or more (xls.rs:684).
                    if d.len() >= 20 && formula_overruns(&d[20..], ctx.biff8) {
                        return Err(damaged(format!("工作表「{name}」中有不完整的公式记录")));
                    }
                    if let Some(cce) = le_u16(d, 20) {
                        let end = (22 + cce as usize).min(d.len());
                        let (text, work) = formula_cost(
                            &d[22.min(end)..end],
                            ctx.biff8,
                            ctx.name_max,
                            ctx.sheet_max,
                        );
                        out.text += text;
                        out.work += work;
                        budget.text(text)?;
                        budget.work(work)?;
                    }
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    if rmin <= rmax {
        out.dense = (u64::from(rmax - rmin) + 1, u64::from(cmax - cmin) + 1);
        if out.dense.0.saturating_mul(out.dense.1) > MAX_DENSE_CELLS {
            return Err(dense_too_big(name, out.dense.0, out.dense.1));
        }
    }
    Ok(out)
}

fn biff_sheet_name(d: &[u8], biff8: bool, n: usize) -> (String, u64) {
    let fallback = || format!("第{n}个工作表");
    let Some(&cch) = d.get(6) else {
        return (fallback(), 0);
    };
    let cch = cch as usize;
    let est = cch as u64 * 3;
    if biff8 {
        let Some(&flags) = d.get(7) else {
            return (fallback(), est);
        };
        let body = &d[8.min(d.len())..];
        let name = if flags & 1 != 0 {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .take(cch)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            body.iter().take(cch).map(|&b| b as char).collect()
        };
        (name, est)
    } else {
        let body = &d[7.min(d.len())..];
        let body = &body[..cch.min(body.len())];
        if body.is_ascii() {
            (String::from_utf8_lossy(body).into_owned(), est)
        } else {
            (fallback(), est)
        }
    }
}

/// Globals records that calamine reads without checking their length
/// (and would panic on, stopped by `catch_unwind`): BOF (`parse_bof`,
/// xls.rs:772), BoundSheet8 (xls.rs:803-815), Lbl (xls.rs:838-850, also
/// `len - cce`), ExternSheet (xls.rs:860). Found by the fuzzer
/// (examples/fuzz_reader.rs) on a BOF cut to one byte.
fn globals_record_too_short(rec: &BiffRec<'_>, biff8: bool) -> bool {
    let d = rec.data;
    match rec.typ {
        0x0809 => d.len() < 2,
        0x0085 => d.len() < 6,
        0x0018 => d.len() < 14 || le_u16(d, 4).is_none_or(|cce| cce as usize > d.len()),
        0x0017 => biff8 && d.len() < 2,
        _ => false,
    }
}

fn scan_biff(stream: &[u8], limits: &Limits) -> Result<(), Finding> {
    let mut budget = Budget::new(limits);
    let mut biff8 = true;
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst = Vec::new();
    let mut name_max = 0u64;
    let mut sheet_max = 4u64;
    // Globals, up to the first EOF (xls.rs:526-580).
    for rec in (BiffIter { s: stream }) {
        let rec = rec?;
        if globals_record_too_short(&rec, biff8) {
            return Err(damaged(format!("记录 0x{:04X} 不完整", rec.typ)));
        }
        match rec.typ {
            0x002F => return Err(encrypted()),
            0x0809 => {
                let vers = le_u16(rec.data, 0).unwrap_or(0x0600);
                let dt = le_u16(rec.data, 2).unwrap_or(0);
                biff8 = match vers {
                    0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
                    0 => dt != 0x1000,
                    _ => true,
                };
            }
            0x0085 => {
                let Some(pos) = le_u32(rec.data, 0) else {
                    return Err(damaged("工作表目录记录错误"));
                };
                let (name, est) = biff_sheet_name(rec.data, biff8, sheets.len() + 1);
                sheet_max = sheet_max.max(est);
                sheets.push((pos as usize, name));
                if sheets.len() > MAX_SHEETS {
                    return Err(too_large(format!("工作表超过 {MAX_SHEETS} 个")));
                }
            }
            0x0018 => {
                if let Some(&cch) = rec.data.get(3) {
                    name_max = name_max.max(u64::from(cch) * 3);
                }
            }
            0x00FC => sst = biff_sst(&rec)?,
            0x000A => break,
            _ => {}
        }
    }
    let ctx = BiffCtx {
        sst: &sst,
        biff8,
        name_max,
        sheet_max,
    };
    // Each BoundSheet is built and kept by calamine, even when two point at
    // the same substream: the per-sheet figures are added once per sheet.
    let mut seen: HashMap<usize, BiffSheet> = HashMap::new();
    for (pos, name) in &sheets {
        if *pos > stream.len() {
            return Err(damaged(format!("工作表「{name}」的位置超出文件")));
        }
        let s = match seen.get(pos) {
            Some(s) => {
                if s.rows > limits.max_rows {
                    return Err(too_many_rows(name, limits.max_rows));
                }
                budget.cells(s.cells)?;
                budget.text(s.text)?;
                budget.work(s.work)?;
                *s
            }
            None => {
                let s = biff_sheet(&stream[*pos..], name, &ctx, limits, &mut budget)?;
                seen.insert(*pos, s);
                s
            }
        };
        budget.dense(s.dense.0.saturating_mul(s.dense.1))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::workbook;
    use std::io::Write;
    use std::time::{Duration, Instant};
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    fn limits() -> Limits {
        crate::policy::Policy::default_rules().limits
    }

    #[test]
    fn a_county_file_may_hold_a_province_of_cells() {
        // A return: 2,000,000 non-empty cells at most.
        let mut b = Budget::new(&limits());
        assert!(b.cells(2_000_000).is_ok());
        let f = b.cells(1).unwrap_err();
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
        let f = b.cells(8 * 1_048_576 - 759_324 * 6 + 1).unwrap_err();
        assert!(
            f.message.contains("非空单元格超过 8388608 个"),
            "{}",
            f.message
        );
    }

    /// Asserts the finding's code and a key phrase of its message.
    /// The pre-scan, then (for a file it lets through) calamine's streaming
    /// read with the cell budgets: the refusal a file gets, if any.
    fn outcome(name: &str, bytes: &[u8]) -> Result<Format, Finding> {
        let scanned = prescan_keeping(name, bytes, &limits())?;
        let fmt = scanned.format;
        // As `read::read_bytes` does: calamine reads the repacked archive.
        match workbook::open(scanned.parsed(bytes), fmt, &limits()) {
            Err(workbook::OpenError::Refused(f)) => Err(*f),
            Ok(_) | Err(workbook::OpenError::Damaged(_)) => Ok(fmt),
        }
    }

    fn rejects(name: &str, bytes: &[u8], code: Code, phrase: &str) -> Finding {
        let f = match outcome(name, bytes) {
            Ok(fmt) => panic!("{name}: accepted as {fmt:?}, expected {code:?} ({phrase})"),
            Err(f) => f,
        };
        assert_eq!(f.code, code, "{name}: {}", f.message);
        assert!(
            f.message.contains(phrase),
            "{name}: {phrase:?} not in {:?}",
            f.message
        );
        assert!(
            f.cell.is_none() && f.sheet.is_none(),
            "anchor must be blank"
        );
        f
    }

    // ------------------------------------------------------ builders

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            let method = if *name == "mimetype" {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            let opts = SimpleFileOptions::default().compression_method(method);
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    // Hand-made zips (lying sizes, zip bombs), shared with the integration
    // tests and the fuzzer.
    use crate::kit::handzip::{
        self, bomb_xlsx, crc32, raw_zip, zeros_deflate, RawEntry, CONTENT_TYPES, PKG_RELS,
        WORKBOOK, WORKBOOK_RELS,
    };

    fn sheet_xml(inner: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{inner}</sheetData></worksheet>"#
        )
    }

    /// A hand-made xlsx: one sheet `基本信息`, optional shared strings.
    fn xlsx(sheet: &str, sst: Option<&str>) -> Vec<u8> {
        let mut parts: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("_rels/.rels", PKG_RELS.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ];
        if let Some(s) = sst {
            parts.push(("xl/sharedStrings.xml", s.as_bytes()));
        }
        zip_of(&parts)
    }

    /// A real small return made by rust_xlsxwriter.
    fn small_xlsx() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("基本信息").unwrap();
        ws.write_string(0, 0, "乡镇(街道)代码").unwrap();
        ws.write_string(0, 1, "990101103").unwrap();
        ws.write_string(1, 0, "填报期间").unwrap();
        ws.write_string(1, 1, "2024-06").unwrap();
        ws.write_number(2, 1, 12.0).unwrap();
        ws.write_formula(3, 1, "=B3*2").unwrap();
        wb.save_to_buffer().unwrap()
    }

    fn stray_far_cell_xlsx() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "县(市、区)").unwrap();
        ws.write_number(1_048_575, 16_383, 1.0).unwrap();
        wb.save_to_buffer().unwrap()
    }

    const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

    const ODS_ROW: &str = r#"<table:table-row><table:table-cell office:value-type="string" calcext:value-type="string"><text:p>乡镇(街道)代码</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="990101103" calcext:value-type="float"><text:p>990101103</text:p></table:table-cell></table:table-row>"#;

    /// A minimal ODS with one table `基本信息` holding `rows`.
    fn ods(rows: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="基本信息">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        zip_of(&[
            ("mimetype", ODS_MIME.as_bytes()),
            ("META-INF/manifest.xml", MANIFEST.as_bytes()),
            ("content.xml", content.as_bytes()),
        ])
    }

    /// LibreOffice's usual tail: the rest of the sheet as one repeated row
    /// of empty cells.
    const ODS_EMPTY_TAIL: &str = r#"<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;
    const ODS_HUGE_CONTENT: &str = r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1" calcext:value-type="float"><text:p>1</text:p></table:table-cell></table:table-row>"#;

    const FREESECT: u32 = 0xFFFF_FFFF;
    const FATSECT: u32 = 0xFFFF_FFFD;

    /// A version-3 compound file holding `streams`, each padded to 4096
    /// bytes so it lives in regular sectors (no mini stream).
    fn cfb_file(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let streams: Vec<(&str, Vec<u8>)> = streams
            .iter()
            .map(|(n, d)| {
                let mut d = d.clone();
                if d.len() < 4096 {
                    d.resize(4096, 0);
                }
                (*n, d)
            })
            .collect();
        let dir_secs = ((streams.len() + 1) * 128).div_ceil(512);
        let data_secs: Vec<usize> = streams.iter().map(|(_, d)| d.len().div_ceil(512)).collect();
        let mut fat_secs = 1;
        while fat_secs + dir_secs + data_secs.iter().sum::<usize>() > fat_secs * 128 {
            fat_secs += 1;
        }
        let mut fat = vec![FREESECT; fat_secs * 128];
        for f in fat.iter_mut().take(fat_secs) {
            *f = FATSECT;
        }
        let mut next = fat_secs;
        let mut chain = |fat: &mut Vec<u32>, n: usize| -> u32 {
            let start = next;
            for i in 0..n {
                fat[start + i] = if i + 1 == n {
                    ENDOFCHAIN
                } else {
                    (start + i + 1) as u32
                };
            }
            next += n;
            start as u32
        };
        let dir_start = chain(&mut fat, dir_secs);
        let starts: Vec<u32> = data_secs.iter().map(|&n| chain(&mut fat, n)).collect();

        let mut out = vec![0u8; 512];
        out[..8].copy_from_slice(&CFB_MAGIC);
        out[24..26].copy_from_slice(&0x003Eu16.to_le_bytes());
        out[26..28].copy_from_slice(&3u16.to_le_bytes());
        out[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        out[30..32].copy_from_slice(&9u16.to_le_bytes());
        out[32..34].copy_from_slice(&6u16.to_le_bytes());
        out[44..48].copy_from_slice(&(fat_secs as u32).to_le_bytes());
        out[48..52].copy_from_slice(&dir_start.to_le_bytes());
        out[56..60].copy_from_slice(&4096u32.to_le_bytes());
        out[60..64].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        out[68..72].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        for i in 0..109 {
            let v = if i < fat_secs { i as u32 } else { FREESECT };
            out[76 + 4 * i..80 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        for v in &fat {
            out.extend(v.to_le_bytes());
        }
        let mut dir = Vec::new();
        let entry = |name: &str, typ: u8, child: u32, right: u32, start: u32, size: u32| {
            let mut e = vec![0u8; 128];
            let units: Vec<u16> = name.encode_utf16().collect();
            for (i, u) in units.iter().enumerate() {
                e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
            }
            e[64..66].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
            e[66] = typ;
            e[67] = 1;
            e[68..72].copy_from_slice(&FREESECT.to_le_bytes());
            e[72..76].copy_from_slice(&right.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&size.to_le_bytes());
            e
        };
        dir.extend(entry("Root Entry", 5, 1, FREESECT, ENDOFCHAIN, 0));
        for (i, (name, data)) in streams.iter().enumerate() {
            let right = if i + 1 < streams.len() {
                (i + 2) as u32
            } else {
                FREESECT
            };
            dir.extend(entry(
                name,
                2,
                FREESECT,
                right,
                starts[i],
                data.len() as u32,
            ));
        }
        dir.resize(dir_secs * 512, 0);
        out.extend(dir);
        for (_, d) in &streams {
            let mut d = d.clone();
            d.resize(d.len().div_ceil(512) * 512, 0);
            out.extend(d);
        }
        out
    }

    fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend(typ.to_le_bytes());
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn bof(dt: u16) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(0x0600u16.to_le_bytes());
        d.extend(dt.to_le_bytes());
        d.extend(0x0DBBu16.to_le_bytes());
        d.extend(0x07CCu16.to_le_bytes());
        d.extend(0u32.to_le_bytes());
        d.extend(6u32.to_le_bytes());
        rec(0x0809, &d)
    }

    fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(row.to_le_bytes());
        d.extend(col.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(v.to_le_bytes());
        rec(0x0203, &d)
    }

    fn dimensions(rows: (u32, u32), cols: (u16, u16)) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(rows.0.to_le_bytes());
        d.extend(rows.1.to_le_bytes());
        d.extend(cols.0.to_le_bytes());
        d.extend(cols.1.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        rec(0x0200, &d)
    }

    /// A BIFF8 workbook stream: globals (BOF, `globals`, one BOUNDSHEET
    /// `Sheet1`, EOF) then the sheet (BOF, `sheet`, EOF).
    fn biff_stream(globals: &[Vec<u8>], sheet: &[Vec<u8>]) -> Vec<u8> {
        let name = b"Sheet1";
        let mut out = bof(0x0005);
        for g in globals {
            out.extend(g);
        }
        let pos = out.len() + 4 + 8 + name.len() + 4;
        let mut bs = Vec::new();
        bs.extend((pos as u32).to_le_bytes());
        bs.extend([0u8, 0, name.len() as u8, 0]);
        bs.extend(name);
        out.extend(rec(0x0085, &bs));
        out.extend(rec(0x000A, &[]));
        assert_eq!(out.len(), pos);
        out.extend(bof(0x0010));
        for r in sheet {
            out.extend(r);
        }
        out.extend(rec(0x000A, &[]));
        out
    }

    fn xls(globals: &[Vec<u8>], sheet: &[Vec<u8>]) -> Vec<u8> {
        cfb_file(&[("Workbook", biff_stream(globals, sheet))])
    }

    fn encrypted_ooxml() -> Vec<u8> {
        let mut info = vec![4u8, 0, 4, 0, 0x40, 0, 0, 0];
        info.extend(b"<?xml version=\"1.0\"?><encryption/>");
        cfb_file(&[
            ("EncryptionInfo", info),
            ("EncryptedPackage", vec![0x5A; 5000]),
        ])
    }

    fn many_rows_xlsx(n: usize) -> Vec<u8> {
        let rows: String = (1..=n)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
            .collect();
        xlsx(&sheet_xml(&rows), None)
    }

    fn deep_xlsx(depth: usize) -> Vec<u8> {
        let open = "<x>".repeat(depth);
        let close = "</x>".repeat(depth);
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><extLst>{open}{close}</extLst></worksheet>"#
        );
        xlsx(&sheet, None)
    }

    fn huge_sst_xlsx() -> Vec<u8> {
        let sst = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>乡镇</t></si></sst>"#;
        let sheet = sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#);
        xlsx(&sheet, Some(sst))
    }

    fn docx_like() -> Vec<u8> {
        let rels = PKG_RELS.replace("xl/workbook.xml", "word/document.xml");
        zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            (
                "word/document.xml",
                br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>"#,
            ),
        ])
    }

    fn missing_sheet_xlsx() -> Vec<u8> {
        zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("_rels/.rels", PKG_RELS.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ])
    }

    fn truncated_xlsx() -> Vec<u8> {
        let full = small_xlsx();
        full[..full.len() / 2].to_vec()
    }

    fn shared_formula_xlsx(si: &str) -> Vec<u8> {
        let sheet = sheet_xml(&format!(
            r#"<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="{si}">B1</f><v>1</v></c></row><row r="2"><c r="A2"><f t="shared" si="{si}"/><v>1</v></c></row>"#
        ));
        xlsx(&sheet, None)
    }

    /// One XLSB record: varint type, varint length, body.
    fn brt(typ: u16, body: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        if typ < 0x80 {
            r.push(typ as u8);
        } else {
            r.push((typ & 0x7F) as u8 | 0x80);
            r.push((typ >> 7) as u8);
        }
        let mut len = body.len();
        loop {
            let b = (len & 0x7F) as u8;
            len >>= 7;
            if len == 0 {
                r.push(b);
                break;
            }
            r.push(b | 0x80);
        }
        r.extend(body);
        r
    }

    fn wide(s: &str) -> Vec<u8> {
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut b = (units.len() as u32).to_le_bytes().to_vec();
        for u in units {
            b.extend(u.to_le_bytes());
        }
        b
    }

    /// A minimal xlsb: one sheet `Sheet1` whose records sit between
    /// BrtBeginSheetData and BrtEndSheetData; optional sharedStrings.bin.
    fn xlsb(sheet_data: &[Vec<u8>], sst: Option<Vec<u8>>) -> Vec<u8> {
        let mut bundle = Vec::new();
        bundle.extend(0u32.to_le_bytes());
        bundle.extend(1u32.to_le_bytes());
        bundle.extend(wide("rId1"));
        bundle.extend(wide("Sheet1"));
        let mut wb = brt(0x0083, &[]);
        wb.extend(brt(0x009C, &bundle));
        wb.extend(brt(0x0090, &[]));
        wb.extend(brt(0x009D, &[]));
        let mut sheet = brt(0x0081, &[]);
        sheet.extend(brt(0x0094, &[0u8; 16]));
        sheet.extend(brt(0x0091, &[]));
        for r in sheet_data {
            sheet.extend(r);
        }
        sheet.extend(brt(0x0092, &[]));
        sheet.extend(brt(0x0082, &[]));
        let rels = PKG_RELS.replace("xl/workbook.xml", "xl/workbook.bin");
        let wb_rels = WORKBOOK_RELS.replace("sheet1.xml", "sheet1.bin");
        let mut parts: Vec<(&str, &[u8])> = vec![
            ("_rels/.rels", rels.as_bytes()),
            ("xl/workbook.bin", &wb),
            ("xl/_rels/workbook.bin.rels", wb_rels.as_bytes()),
            ("xl/worksheets/sheet1.bin", &sheet),
        ];
        if let Some(s) = &sst {
            parts.push(("xl/sharedStrings.bin", s));
        }
        zip_of(&parts)
    }

    fn brt_row(row: u32) -> Vec<u8> {
        let mut b = row.to_le_bytes().to_vec();
        b.extend([0u8; 13]);
        brt(0x0000, &b)
    }

    fn brt_real(col: u32, v: f64) -> Vec<u8> {
        let mut b = col.to_le_bytes().to_vec();
        b.extend(0u32.to_le_bytes());
        b.extend(v.to_le_bytes());
        brt(0x0005, &b)
    }

    // ------------------------------------------------------ S01

    #[test]
    fn empty_file_is_s01() {
        rejects("空表.xlsx", b"", Code::S01, "空的");
    }

    #[test]
    fn pdf_png_jpeg_csv_html_renamed_are_not_workbooks() {
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
        let f = rejects("白砂镇.xlsx", pdf, Code::S01, "不是 Excel 工作簿");
        assert!(f.message.contains("PDF") && f.message.contains("另存为 .xlsx"));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        rejects("白砂镇.xlsx", png, Code::S01, "PNG 图片");
        rejects(
            "白砂镇.xlsx",
            b"\xFF\xD8\xFF\xE0\0\x10JFIF\0",
            Code::S01,
            "JPEG",
        );
        let csv = "县(市、区),乡镇(街道),乡镇(街道)代码\n示范县,白砂镇,990101103\n";
        let f = rejects("白砂镇.xlsx", csv.as_bytes(), Code::S01, "CSV");
        assert!(f.message.contains("不是 Excel 工作簿"));
        let html = "<html><body><table><tr><td>白砂镇</td></tr></table></body></html>";
        rejects("导出.xls", html.as_bytes(), Code::S01, "网页");
    }

    #[test]
    fn word_and_powerpoint_are_named() {
        rejects("白砂镇.xlsx", &docx_like(), Code::S01, "Word 文档");
        let rels = PKG_RELS.replace("xl/workbook.xml", "ppt/presentation.xml");
        let pptx = zip_of(&[
            ("_rels/.rels", rels.as_bytes()),
            ("ppt/presentation.xml", b"<p:presentation xmlns:p=\"p\"/>"),
        ]);
        rejects("白砂镇.xlsx", &pptx, Code::S01, "PowerPoint");
        let doc = cfb_file(&[("WordDocument", vec![0xEC, 0xA5, 0xC1, 0])]);
        rejects("白砂镇.xls", &doc, Code::S01, "Word 97-2003");
    }

    #[test]
    fn zip_without_workbook_is_s01() {
        let z = zip_of(&[("说明.txt", "请查收".as_bytes())]);
        rejects("白砂镇.xlsx", &z, Code::S01, "压缩包");
        let z = zip_of(&[]);
        rejects("白砂镇.xlsx", &z, Code::S01, "没有 Excel 工作簿");
    }

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

    #[test]
    fn truncated_xlsx_is_damaged() {
        let f = rejects("白砂镇.xlsx", &truncated_xlsx(), Code::S01, "文件已损坏");
        assert!(f.message.contains("另存为"));
    }

    #[test]
    fn encrypted_workbooks_are_s01() {
        let f = rejects(
            "白砂镇.xlsx",
            &encrypted_ooxml(),
            Code::S01,
            "文件设置了打开密码",
        );
        assert!(f.message.contains("去掉密码后另存为 .xlsx"));
        let mut filepass = Vec::new();
        filepass.extend(1u16.to_le_bytes());
        filepass.extend([0u8; 52]);
        let x = xls(&[rec(0x002F, &filepass)], &[number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &x, Code::S01, "打开密码");
        // XOR obfuscation (type 0) is encryption too, though calamine lets it through.
        let x = xls(&[rec(0x002F, &[0, 0, 1, 2, 3, 4])], &[number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &x, Code::S01, "打开密码");
    }

    #[test]
    fn wps_et_files_are_s01_by_name() {
        for name in ["白砂镇6月.et", "模板.ETT", "d:\\报表\\白砂镇.et"] {
            let f = rejects(name, &small_xlsx(), Code::S01, "WPS");
            assert!(f.message.contains("另存为") && f.message.contains(".xlsx"));
        }
        assert!(prescan("et.xlsx", &small_xlsx(), &limits()).is_ok());
    }

    #[test]
    fn cfb_with_a_cycle_is_damaged_not_a_hang() {
        let mut x = xls(&[], &[number(0, 0, 1.0)]);
        // Point the directory sector's FAT entry at itself.
        let dir_start = u32::from_le_bytes(x[48..52].try_into().unwrap()) as usize;
        let at = 512 + 4 * dir_start;
        x[at..at + 4].copy_from_slice(&(dir_start as u32).to_le_bytes());
        rejects("白砂镇.xls", &x, Code::S01, "已损坏");
    }

    // ------------------------------------------------------ accepted

    #[test]
    fn small_worksheets_are_left_to_calamine() {
        // Sheets declared at most one XML event's worth are not inflated
        // here: calamine reads the file's own bytes.
        let b = small_xlsx();
        let scanned = prescan_keeping("白砂镇.xlsx", &b, &limits()).unwrap();
        assert_eq!(scanned.format, Format::Xlsx);
        assert!(scanned.repacked.is_none());
        // Formats other than xlsx are read from their own bytes.
        let xls_bytes = xls(&[], &[number(0, 0, 1.0)]);
        let s = prescan_keeping("白砂镇.xls", &xls_bytes, &limits()).unwrap();
        assert!(s.repacked.is_none());
    }

    #[test]
    fn repacked_workbook_stores_the_big_sheet_and_reads_the_same() {
        // A sheet declared over 16 MB (comments between short cells, so
        // no one event is long) is inflated here once and handed on stored.
        let pad = format!("<!--{}-->", " ".repeat(1000));
        let mut inner = String::from(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>白砂镇</t></is></c><c r="B1"><v>12</v></c></row>"#,
        );
        inner.push_str(&pad.repeat(17_000));
        inner.push_str(r#"<row r="2"><c r="A2"><v>3.5</v></c></row>"#);
        let sheet = sheet_xml(&inner);
        assert!(sheet.len() as u64 > MAX_XML_EVENT_BYTES);
        let b = xlsx(&sheet, None);
        let scanned = prescan_keeping("白砂镇.xlsx", &b, &limits()).unwrap();
        let repacked = scanned.repacked.expect("the big sheet is repacked");
        let mut before = ZipArchive::new(Cursor::new(&b[..])).unwrap();
        let mut after = ZipArchive::new(Cursor::new(&repacked[..])).unwrap();
        assert_eq!(before.len(), after.len());
        for i in 0..before.len() {
            let (x, y) = (
                before.by_index_raw(i).unwrap(),
                after.by_index_raw(i).unwrap(),
            );
            let name = x.name().unwrap().into_owned();
            assert_eq!(y.name().unwrap(), name);
            assert_eq!((x.crc32(), x.size()), (y.crc32(), y.size()), "{name}");
            if name == "xl/worksheets/sheet1.xml" {
                assert_eq!(y.compression(), CompressionMethod::Stored);
            } else {
                assert_eq!(x.compression(), y.compression(), "{name}");
                assert_eq!(x.compressed_size(), y.compressed_size(), "{name}");
            }
        }
        drop((before, after));
        let a = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        let r = workbook::open(&repacked, Format::Xlsx, &limits()).unwrap();
        assert_eq!(a, r);
        assert_eq!(
            a.sheets[0].get(1, 0),
            Some(&workbook::CellValue::Number(3.5))
        );
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

    fn handzip_part(zip: &[u8], name: &str) -> Vec<u8> {
        let mut a = ZipArchive::new(Cursor::new(zip)).unwrap();
        let mut out = Vec::new();
        a.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        out
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
    fn small_xls_is_accepted_and_opens() {
        let b = xls(
            &[],
            &[
                dimensions((0, 2), (0, 2)),
                number(0, 0, 7.0),
                number(1, 1, 8.5),
            ],
        );
        assert_eq!(prescan("白砂镇.xls", &b, &limits()), Ok(Format::Xls));
        let wb = workbook::open(&b, Format::Xls, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(1, 1),
            Some(&workbook::CellValue::Number(8.5))
        );
    }

    #[test]
    fn small_xlsb_is_accepted_and_opens() {
        let b = xlsb(
            &[brt_row(0), brt_real(0, 7.0), brt_row(2), brt_real(1, 8.5)],
            None,
        );
        assert_eq!(prescan("白砂镇.xlsb", &b, &limits()), Ok(Format::Xlsb));
        let wb = workbook::open(&b, Format::Xlsb, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(2, 1),
            Some(&workbook::CellValue::Number(8.5))
        );
    }

    #[test]
    fn xlsb_hostile_records() {
        let rows: Vec<Vec<u8>> = (0..5001u32)
            .flat_map(|r| [brt_row(r), brt_real(0, 1.0)])
            .collect();
        rejects("白砂镇.xlsb", &xlsb(&rows, None), Code::S06, "超过 5000 行");
        // A record claiming more bytes than its part holds.
        let mut lie = vec![0x05u8, 0xFF, 0xFF, 0xFF, 0x7F];
        lie.extend([0u8; 16]);
        rejects(
            "白砂镇.xlsb",
            &xlsb(&[brt_row(0), lie], None),
            Code::S01,
            "记录长度",
        );
        let mut sst = Vec::new();
        sst.extend(1u32.to_le_bytes());
        sst.extend(1_000_000_000u32.to_le_bytes());
        let sst = brt(0x009F, &sst);
        rejects(
            "白砂镇.xlsb",
            &xlsb(&[], Some(sst)),
            Code::S06,
            "共享字符串",
        );
    }

    // ------------------------------------------------------ S06

    #[test]
    fn file_over_max_file_mb_is_s06() {
        let mut l = limits();
        l.max_file_mb = 0;
        let f = prescan("白砂镇.xlsx", &small_xlsx(), &l).unwrap_err();
        assert_eq!(f.code, Code::S06);
        assert!(f.message.contains("超过允许的 0 MB"), "{}", f.message);
    }

    /// 300 MB of zeros in ~300 KB, its headers declaring 1,000 bytes: the
    /// read stops at the declared size, long before inflating the rest.
    #[test]
    fn zip_bomb_with_lying_sizes_is_s06_within_a_second() {
        let matches = 300 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, 1000);
        assert!(b.len() < 400 * 1024, "bomb is {} bytes", b.len());
        let t = Instant::now();
        // calamine's read of the sheet stops at the declared size.
        rejects(
            "白砂镇.xlsx",
            &b,
            Code::S06,
            "工作表「基本信息」的部件解压后比它声明的大小更大(疑似“压缩炸弹”)",
        );
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    #[test]
    fn declared_sizes_over_max_inflated_are_s06_at_once() {
        let matches = 300 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, (matches * 258 + 1) as u32);
        let t = Instant::now();
        rejects("白砂镇.xlsx", &b, Code::S06, "解压后约 300 MB");
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn hand_made_deflate_really_inflates() {
        // The honest small variant reads back in full through the zip crate.
        let matches = 40;
        let data = vec![0u8; 1 + 258 * matches];
        let z = raw_zip(&[RawEntry {
            name: "zeros.bin".to_string(),
            deflated: true,
            data: zeros_deflate(matches),
            crc: crc32(&data),
            size: data.len() as u32,
        }]);
        let mut a = ZipArchive::new(Cursor::new(&z[..])).unwrap();
        let mut out = Vec::new();
        a.by_index(0).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn one_huge_xml_token_is_s06() {
        // 20 MB of text with no tag in it: honest sizes, under the inflate
        // limit, but one XML event may not grow the buffer past 16 MB.
        let matches = 20 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, (matches * 258 + 1) as u32);
        rejects("白砂镇.xlsx", &b, Code::S06, "单段超过 16 MB");
    }

    #[test]
    fn too_many_zip_entries_is_s06() {
        let names: Vec<String> = (0..1001).map(|i| format!("xl/media/p{i}.txt")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        rejects("白砂镇.xlsx", &zip_of(&parts), Code::S06, "1001 个部件");
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

    #[test]
    fn xls_far_cell_and_huge_dimensions_are_s06() {
        let far = xls(&[], &[number(0, 0, 1.0), number(65535, 255, 2.0)]);
        rejects("白砂镇.xls", &far, Code::S06, "65536 行 × 256 列");
        let dims = xls(
            &[],
            &[dimensions((0, 1_000_000), (0, 200)), number(0, 0, 1.0)],
        );
        rejects("白砂镇.xls", &dims, Code::S06, "声明的数据区域");
        // Reversed bounds wrap around in calamine's u32 arithmetic.
        let reversed = xls(&[], &[dimensions((100, 50), (0, 2)), number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &reversed, Code::S06, "声明的数据区域");
    }

    #[test]
    fn xls_too_many_rows_is_s06() {
        let rows: Vec<Vec<u8>> = (0..5001).map(|r| number(r, 0, 1.0)).collect();
        rejects("白砂镇.xls", &xls(&[], &rows), Code::S06, "超过 5000 行");
    }

    #[test]
    fn xls_sst_count_out_of_proportion_is_s06() {
        let mut sst = Vec::new();
        sst.extend(1_000_000u32.to_le_bytes());
        sst.extend(1_000_000u32.to_le_bytes());
        sst.extend([1, 0, 0, b'a']);
        rejects(
            "白砂镇.xls",
            &xls(&[rec(0x00FC, &sst)], &[]),
            Code::S06,
            "共享字符串",
        );
    }

    #[test]
    fn xls_formula_bomb_is_s06() {
        // PtgInt then 2,000 PtgAttrSpace of 255 spaces: calamine would insert
        // 510,000 spaces one by one at the front of the formula.
        let mut rgce = vec![0x1E, 1, 0];
        for _ in 0..2000 {
            rgce.extend([0x19, 0x40, 0x00, 0xFF]);
        }
        let mut d = Vec::new();
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(1.0f64.to_le_bytes());
        d.extend([0u8; 6]);
        d.extend((rgce.len() as u16).to_le_bytes());
        d.extend(&rgce);
        let formulas: Vec<Vec<u8>> = (0..20).map(|_| rec(0x0006, &d)).collect();
        rejects("白砂镇.xls", &xls(&[], &formulas), Code::S06, "公式");
    }

    /// calamine slices a formula's tokens unchecked: each case below
    /// panics inside it (checked by hand against calamine 0.38; stopped by
    /// `catch_unwind`, but a panic all the same). Found by
    /// examples/fuzz_reader.rs on a damaged .xls.
    #[test]
    fn xls_formula_cut_short_is_s01() {
        let formula = |rgce: &[u8], cce: u16| {
            let mut d = Vec::new();
            d.extend([0u8; 6]);
            d.extend(1.0f64.to_le_bytes());
            d.extend([0u8; 6]);
            d.extend(cce.to_le_bytes());
            d.extend(rgce);
            xls(&[], &[number(0, 0, 1.0), rec(0x0006, &d)])
        };
        // Whole: PtgInt 1, PtgRef A1, PtgAdd.
        let ok = [0x1E, 1, 0, 0x24, 0, 0, 0, 0xC0, 0x03];
        assert_eq!(
            prescan("白砂镇.xls", &formula(&ok, ok.len() as u16), &limits()),
            Ok(Format::Xls)
        );
        for (rgce, cce) in [
            (&ok[..5], 5),                // PtgRef cut short
            (&ok[..], 40),                // cce past the record
            (&[0x1F, 0, 0][..], 3),       // PtgNum without its 8 bytes
            (&[0x19][..], 1),             // PtgAttr without its type
            (&[0x23, 0, 0, 0, 0][..], 5), // PtgName 0 (underflows)
        ] {
            rejects("白砂镇.xls", &formula(rgce, cce), Code::S01, "不完整的公式");
        }
        // Where calamine stops with an error itself the file is accepted.
        let unknown = [0x1E, 1, 0, 0xFF, 0x1F];
        assert_eq!(
            prescan("白砂镇.xls", &formula(&unknown, 5), &limits()),
            Ok(Format::Xls)
        );
    }

    /// Records calamine parses unchecked, cut short (BOF, Lbl, MergeCells):
    /// each panics inside calamine 0.38 (checked by hand); S01 first.
    #[test]
    fn xls_records_cut_short_are_s01() {
        let cases = [
            xls(&[rec(0x0809, &[6])], &[number(0, 0, 1.0)]),
            xls(&[rec(0x0018, &[0, 0, 0, 1, 0, 0])], &[number(0, 0, 1.0)]),
            xls(&[], &[number(0, 0, 1.0), rec(0x00E5, &[5, 0, 0, 0])]),
        ];
        for b in &cases {
            rejects("白砂镇.xls", b, Code::S01, "不完整");
        }
    }

    /// The real workbooks kept in the repository (the template, the files
    /// LibreOffice saved as xlsx/xls/ods) pass, in a few ms each. (samples/
    /// is left out: it holds a PDF renamed to .xlsx on purpose.)
    #[test]
    fn real_workbooks_in_the_repo_are_accepted() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("tests/fixtures/lo")];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("xlsx" | "xls" | "ods")
                ) {
                    files.push(p);
                }
            }
        }
        assert!(!files.is_empty());
        for p in files {
            let bytes = std::fs::read(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let expected = match p.extension().and_then(|x| x.to_str()) {
                Some("xls") => Format::Xls,
                Some("ods") => Format::Ods,
                _ => Format::Xlsx,
            };
            let t = Instant::now();
            assert_eq!(
                prescan(&name, &bytes, &limits()),
                Ok(expected),
                "{}",
                p.display()
            );
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "{}: {:?}",
                p.display(),
                t.elapsed()
            );
        }
    }

    // ------------------------------------------------------ fixtures

    type Expected = Result<Format, Code>;

    /// The committed files under tests/fixtures/hostile: name, expected
    /// outcome, what it is (中文 / English).
    fn fixture_table() -> Vec<(&'static str, Expected, &'static str, &'static str)> {
        vec![
            (
                "empty.xlsx",
                Err(Code::S01),
                "空文件(0 字节)",
                "empty file (0 bytes)",
            ),
            (
                "pdf_renamed.xlsx",
                Err(Code::S01),
                "PDF 改了扩展名",
                "a PDF renamed to .xlsx",
            ),
            (
                "png_renamed.xlsx",
                Err(Code::S01),
                "PNG 图片改了扩展名",
                "a PNG picture renamed to .xlsx",
            ),
            (
                "csv_renamed.xlsx",
                Err(Code::S01),
                "CSV 文本改了扩展名",
                "CSV text renamed to .xlsx",
            ),
            (
                "docx_renamed.xlsx",
                Err(Code::S01),
                "Word 文档改了扩展名",
                "a Word .docx renamed to .xlsx",
            ),
            (
                "zip_no_workbook.xlsx",
                Err(Code::S01),
                "没有工作簿的 zip 压缩包",
                "a zip holding no workbook",
            ),
            (
                "missing_sheet_part.xlsx",
                Err(Code::S01),
                "workbook.xml 引用的工作表部件缺失",
                "workbook.xml names a sheet part that is missing",
            ),
            (
                "truncated.xlsx",
                Err(Code::S01),
                "被截去一半的 xlsx",
                "an xlsx cut in half",
            ),
            (
                "encrypted.xlsx",
                Err(Code::S01),
                "设置了打开密码(加密的复合文档)",
                "password-protected (encrypted CFB package)",
            ),
            (
                "wps.et",
                Err(Code::S01),
                "WPS 表格 .et 文件(按扩展名)",
                "a WPS .et file (by its extension)",
            ),
            (
                "xls_filepass.xls",
                Err(Code::S01),
                "带 FILEPASS 记录的加密 .xls",
                "an .xls with a FILEPASS record",
            ),
            (
                "zip_bomb.xlsx",
                Err(Code::S06),
                "约 150 MB 的零,声明只有 1000 字节(压缩炸弹)",
                "~150 MB of zeros declared as 1,000 bytes (zip bomb)",
            ),
            (
                "huge_sst.xlsx",
                Err(Code::S06),
                "共享字符串表声明 10^11 个字符串",
                "sharedStrings uniqueCount = 10^11",
            ),
            (
                "too_many_rows.xlsx",
                Err(Code::S06),
                "5001 行非空数据",
                "5,001 non-empty rows",
            ),
            (
                "deep_nesting.xlsx",
                Ok(Format::Xlsx),
                "工作表内 XML 嵌套 100 层(流式读取不受影响)",
                "XML nested 100 deep inside a worksheet (harmless to the streaming reader)",
            ),
            (
                "shared_formula_index.xlsx",
                Ok(Format::Xlsx),
                "共享公式编号 si=4000000000(公式不展开,无害)",
                "shared formula si = 4,000,000,000 (formulas are not expanded: harmless)",
            ),
            (
                "ods_repeated_content.ods",
                Err(Code::S06),
                "有内容的行重复 1048576 次、列重复 16384 次",
                "a row with content repeated 1,048,576 × 16,384",
            ),
            (
                "xls_far_cell.xls",
                Err(Code::S06),
                "A1 和 IV65536 各有一个数(稠密网格 1670 万格)",
                "cells at A1 and IV65536 (16.7M-cell dense grid)",
            ),
            (
                "xls_huge_dimensions.xls",
                Err(Code::S06),
                "DIMENSIONS 声明 100 万行 × 200 列",
                "DIMENSIONS claims 1,000,000 × 200",
            ),
            (
                "stray_far_cell.xlsx",
                Ok(Format::Xlsx),
                "A1 和 XFD1048576 各有内容,按稀疏方式读取,应接受",
                "cells at A1 and XFD1048576: read sparsely, accepted",
            ),
            (
                "ods_trailing_empty.ods",
                Ok(Format::Ods),
                "LibreOffice 式的空行尾部重复,应接受",
                "LibreOffice-style repeated empty tail: accepted",
            ),
        ]
    }

    fn fixture_bytes(name: &str) -> Vec<u8> {
        match name {
            "empty.xlsx" => Vec::new(),
            "pdf_renamed.xlsx" => b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec(),
            "png_renamed.xlsx" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\0IEND\xaeB`\x82".to_vec(),
            "csv_renamed.xlsx" => "县(市、区),乡镇(街道),乡镇(街道)代码,填报期间\n示范县,白砂镇,990101103,2024-06\n".as_bytes().to_vec(),
            "docx_renamed.xlsx" => docx_like(),
            "zip_no_workbook.xlsx" => zip_of(&[("说明.txt", "请查收附件".as_bytes())]),
            "missing_sheet_part.xlsx" => missing_sheet_xlsx(),
            "truncated.xlsx" => truncated_xlsx(),
            "encrypted.xlsx" => encrypted_ooxml(),
            "wps.et" => small_xlsx(),
            "xls_filepass.xls" => {
                let mut fp = vec![1u8, 0];
                fp.extend([0u8; 52]);
                xls(&[rec(0x002F, &fp)], &[number(0, 0, 1.0)])
            }
            "zip_bomb.xlsx" => bomb_xlsx(150 * 1024 * 1024 / 258, 1000),
            "huge_sst.xlsx" => huge_sst_xlsx(),
            "too_many_rows.xlsx" => many_rows_xlsx(5001),
            "deep_nesting.xlsx" => deep_xlsx(100),
            "shared_formula_index.xlsx" => shared_formula_xlsx("4000000000"),
            "ods_repeated_content.ods" => ods(&format!("{ODS_ROW}{ODS_HUGE_CONTENT}")),
            "xls_far_cell.xls" => xls(&[], &[number(0, 0, 1.0), number(65535, 255, 2.0)]),
            "xls_huge_dimensions.xls" => {
                xls(&[], &[dimensions((0, 1_000_000), (0, 200)), number(0, 0, 1.0)])
            }
            "stray_far_cell.xlsx" => stray_far_cell_xlsx(),
            "ods_trailing_empty.ods" => ods(&format!("{ODS_ROW}{ODS_EMPTY_TAIL}")),
            other => panic!("no fixture {other}"),
        }
    }

    fn fixture_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
    }

    fn fixture_outcome(name: &str, bytes: &[u8]) -> Expected {
        outcome(name, bytes).map_err(|f| f.code)
    }

    #[test]
    fn generated_fixtures_give_their_expected_outcome() {
        for (name, expected, _, _) in fixture_table() {
            assert_eq!(
                fixture_outcome(name, &fixture_bytes(name)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn committed_fixtures_give_their_expected_outcome() {
        for (name, expected, _, _) in fixture_table() {
            let path = fixture_dir().join(name);
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (run write_hostile_fixtures)", path.display()));
            let limit = if name == "zip_bomb.xlsx" { 200 } else { 50 } * 1024;
            assert!(bytes.len() < limit, "{name} is {} bytes", bytes.len());
            assert_eq!(fixture_outcome(name, &bytes), expected, "{name}");
        }
    }

    /// Regenerates tests/fixtures/hostile and its README:
    /// `cargo test --lib read::prescan -- --ignored write_hostile_fixtures`.
    #[test]
    #[ignore]
    fn write_hostile_fixtures() {
        let dir = fixture_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let mut readme = String::from(
            "# Hostile input fixtures / 异常输入样例\n\n\
             Small files that the reader must reject (S01: cannot be opened; S06: too large \
             or too deep to read safely) or accept: `read::prescan` before calamine sees them, \
             and the cell budgets and declared part sizes while calamine streams an xlsx \
             worksheet. Regenerate with \
             `cargo test --lib read::prescan -- --ignored write_hostile_fixtures`; \
             `committed_fixtures_give_their_expected_outcome` checks them.\n\n\
             这些小文件用于检验读取前的安全预检:S01 表示无法作为工作簿打开,S06 表示过大或结构过深、无法安全读取。\n\n\
             | file | 说明 | what it is | expected |\n|---|---|---|---|\n",
        );
        for (name, expected, zh, en) in fixture_table() {
            let bytes = fixture_bytes(name);
            std::fs::write(dir.join(name), &bytes).unwrap();
            let exp = match expected {
                Ok(f) => format!("accepted ({f:?})"),
                Err(c) => c.as_str().to_string(),
            };
            readme.push_str(&format!("| `{name}` | {zh} | {en} | {exp} |\n"));
        }
        std::fs::write(dir.join("README.md"), readme).unwrap();
    }
}
