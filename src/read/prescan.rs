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
//! | `xlsx/mod.rs:364` `strings.reserve(uniqueCount)` | `<sst uniqueCount>` | > 2,000,000 or > part size / 8 + 16 → S06 |
//! | `xlsx/cells_reader.rs:434` `formulas.resize(si + 1)` | `<f t="shared" si>` | si ≥ 1,000,000 → S06 |
//! | `xlsx/cells_reader.rs:448` shared formula expanded per derived cell | anchor formula × derived cells | counted in the text budget |
//! | `xlsx/cells_reader.rs` `SharedString` (cloned by `workbook.rs`) | one long shared string × many cells | counted in the text budget |
//! | `xls.rs:667` `cells.reserve(rows * cols)` | DIMENSIONS (0x0200), reversed bounds wrap | > 2,000,000 cells → S06 |
//! | `xls.rs:724-725` `Range::from_sparse` → `lib.rs:1051` `vec![..; rows * cols]` | bounding box of cell / formula records | > 2,000,000 per sheet, 4,000,000 per file → S06 |
//! | `xls.rs:1341` `cont.remove(0)` per CONTINUE (quadratic) | CONTINUE records after one record | > 16,384 → S06 |
//! | `xls.rs:1529..` formula text (`PtgAttrSpace` inserts, names, 3-D refs) | formula tokens | estimated length and work, budgeted |
//! | `xls.rs:1094` LABELSST clones an SST string per cell | SST strings × cells | text budget |
//! | `cfb.rs:137,145,330` `get_chain` loops until ENDOFCHAIN / len | FAT cycles, huge stream sizes | chains walked with cycle detection → S01 |
//! | `ods.rs:532` / `ods.rs:614` `get_range` rebuilds rows × width, clones per repeat | `number-rows-repeated` on rows with content | bounding box > 2,000,000 cells → S06 |
//! | `ods.rs:643-664` `read_row` materialises `number-columns-repeated` | repeats before a non-empty cell | materialised cells > 8,000,000 → S06 |
//! | `ods.rs:764` `for _ in 0..text:c { push(' ') }` | `<text:s text:c>` | > 65,536 → S06, counted in text budget |
//! | `xlsb/mod.rs:734` `buf.resize(record len)` (≤ 256 MB) | record length varint | longer than the part → S01 |
//! | `utils.rs:217` / zip `HashMap::with_capacity(entries)` | zip entry count | > 1,000 → S06 (zip 9.4 bounds its own allocation by the file size) |
//!
//! Not bounded by us because calamine does not allocate from them: an xlsx
//! `<dimension ref>` and a cell's `r` far away (our xlsx/xlsb reading is
//! sparse, `worksheet_cells_reader`); xlsb `BrtWsDim`; XLS SST `cstUnique`
//! (read string by string), BLANK/MULBLANK records (calamine skips them,
//! `xls.rs:671`). They are still checked where the rules ask (SST counts).

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
/// Smallest BrtSSTItem: 1 type + 1 length + 1 flags + 4 cch bytes.
const MIN_XLSB_SI_BYTES: u64 = 7;
/// Smallest XLS SST string: cch (2) + flags (1).
const MIN_XLS_SI_BYTES: u64 = 3;
/// Non-empty cells in the whole workbook (a return has ~10^4–10^5).
const MAX_CELLS: u64 = 2_000_000;
/// Dense grid (xls, ods) of one sheet, in cells.
const MAX_DENSE_CELLS: u64 = 2_000_000;
/// Dense grids of all sheets together (calamine keeps them all).
const MAX_DENSE_CELLS_TOTAL: u64 = 4_000_000;
/// Cells calamine's ODS `read_row` materialises before building the grid.
const MAX_ODS_MATERIALISED: u64 = 8_000_000;
/// Text materialised from references: shared strings cloned per cell, shared
/// formulas expanded per cell, ODS values cloned per repeat, XLS formulas.
const MAX_CELL_TEXT_BYTES: u64 = 128 * MIB;
/// `<f t="shared" si>`: calamine resizes a Vec to `si + 1` entries.
const MAX_SHARED_FORMULA_INDEX: u64 = 1_000_000;
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
    if bytes.is_empty() {
        return Err(Finding::new(
            Code::S01,
            "文件是空的(0 字节),不是 Excel 工作簿,可能保存或传送时出错。请用 Excel 或 WPS 重新另存为 .xlsx 后报送。",
        ));
    }
    if is_wps_name(file_name) {
        return Err(wps_et());
    }
    let max_file = limits.max_file_mb.saturating_mul(MIB);
    if bytes.len() as u64 > max_file {
        return Err(too_large(format!(
            "文件大小 {:.1} MB,超过允许的 {} MB",
            bytes.len() as f64 / MIB as f64,
            limits.max_file_mb
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return scan_zip(bytes, limits);
    }
    if bytes.starts_with(&CFB_MAGIC) {
        return scan_cfb(file_name, bytes, limits);
    }
    Err(not_workbook(sniff(bytes)))
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
#[derive(Default)]
struct Budget {
    cells: u64,
    text: u64,
    work: u64,
    dense: u64,
}

impl Budget {
    fn cells(&mut self, n: u64) -> Result<(), Finding> {
        self.cells = self.cells.saturating_add(n);
        if self.cells > MAX_CELLS {
            return Err(too_large(format!("非空单元格超过 {MAX_CELLS} 个")));
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

/// An unsigned number as calamine's parsers read it (digits only, leading
/// zeros allowed); overflow reads as `u64::MAX`, to err on the safe side.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// (row, column), 1-based, of an A1 reference as calamine reads it; the
/// column is 0 when absent. None when it is not a reference inside Excel's
/// grid (calamine would fail, or overflow in a debug build).
fn a1(r: &str) -> Option<(u64, u64)> {
    let b = r.as_bytes();
    let mut i = 0;
    let mut col = 0u64;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        col = col * 26 + u64::from(b[i].to_ascii_uppercase() - b'A') + 1;
        if col > EXCEL_COLS {
            return None;
        }
        i += 1;
    }
    let digits = &r[i..];
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let row: u64 = digits.parse().ok()?;
    if row == 0 || row > EXCEL_ROWS {
        return None;
    }
    Some((row, col))
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
    fn text(&mut self, _t: &str) -> Result<(), Finding> {
        Ok(())
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
            }
            Event::Empty(e) => {
                if depth + 1 > MAX_XML_DEPTH {
                    return Err(XmlStop::TooDeep);
                }
                sink.start(&e)?;
                sink.end(e.local_name().as_ref())?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                sink.end(e.local_name().as_ref())?;
            }
            Event::Text(t) => sink.text(&t)?,
            Event::CData(t) => sink.text(&t)?,
            // An entity or character reference: at most 4 bytes of UTF-8.
            Event::GeneralRef(_) => sink.text("&#0;")?,
            Event::Eof => return Ok(()),
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

    fn read_failure(&self, idx: usize, tripped: Option<Trip>, e: &io::Error) -> Finding {
        let name = &self.names[idx];
        match tripped {
            Some(Trip::Total) => too_large(format!("解压后超过允许的 {} MB", self.limit / MIB)),
            Some(Trip::Window) => suspicious(format!(
                "部件 {name} 中有单段超过 {} MB 的内容",
                MAX_XML_EVENT_BYTES / MIB
            )),
            None if e.to_string().contains("declared uncompressed size") => suspicious(format!(
                "部件 {name} 解压后比它声明的大小更大(疑似“压缩炸弹”)"
            )),
            None => damaged(format!("部件 {name} 无法解压")),
        }
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
        if std::mem::replace(&mut self.done[idx], true) {
            return Ok(());
        }
        let remaining = self.limit.saturating_sub(self.inflated);
        let file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        let counted = Counted {
            inner: file,
            total: 0,
            limit: remaining,
            window: 0,
            window_limit: MAX_XML_EVENT_BYTES,
            tripped: None,
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
            Err(XmlStop::Xml(quick_xml::Error::Io(e))) => Err(self.read_failure(idx, tripped, &e)),
            Err(XmlStop::Xml(_)) if strict => {
                Err(damaged(format!("部件 {} 的内容格式错误", self.names[idx])))
            }
            Err(XmlStop::Xml(_)) => Ok(()),
        }
    }

    /// Stream one XLSB part record by record (varint type, varint length).
    fn scan_bin(&mut self, idx: usize, sink: &mut dyn BinSink) -> Result<(), Finding> {
        if std::mem::replace(&mut self.done[idx], true) {
            return Ok(());
        }
        let remaining = self.limit.saturating_sub(self.inflated);
        let declared = self.sizes[idx];
        let file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        let mut r = BufReader::new(Counted {
            inner: file,
            total: 0,
            limit: remaining,
            window: 0,
            window_limit: u64::MAX,
            tripped: None,
        });
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
            if r.read_exact(&mut head).is_err() {
                return Ok(Ok(()));
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
            Err(e) => Err(self.read_failure(idx, tripped, &e)),
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

    /// Every XML part not yet read: nesting depth and inflated size only.
    fn scan_rest(&mut self) -> Result<(), Finding> {
        for i in 0..self.names.len() {
            let n = norm(&self.names[i]);
            if !self.done[i] && (n.ends_with(".xml") || n.ends_with(".rels")) {
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
        .map(|a| match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => a.value.into_owned(),
        })
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

/// xlsx `sharedStrings.xml`: the declared counts against the part's size,
/// and the length of each string (for the clone budget of the sheets).
struct SstSink {
    declared: u64,
    si_depth: u32,
    cur: u64,
    lens: Vec<u32>,
}

impl XmlSink for SstSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
        match e.local_name().as_ref() {
            "sst" => {
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
            "si" => {
                if self.si_depth == 0 {
                    self.cur = 0;
                }
                self.si_depth += 1;
            }
            _ => {}
        }
        Ok(())
    }
    fn end(&mut self, local: &str) -> Result<(), Finding> {
        if local == "si" && self.si_depth > 0 {
            self.si_depth -= 1;
            if self.si_depth == 0 {
                self.lens.push(self.cur.min(u64::from(u32::MAX)) as u32);
                if self.lens.len() as u64 > MAX_SST_ENTRIES {
                    return Err(sst_lie(self.lens.len() as u64));
                }
            }
        }
        Ok(())
    }
    fn text(&mut self, t: &str) -> Result<(), Finding> {
        if self.si_depth > 0 {
            self.cur += t.len() as u64;
        }
        Ok(())
    }
}

struct XCell {
    is_shared_string: bool,
    has_content: bool,
}

struct XFormula {
    si: Option<u64>,
    anchor: bool,
    len: u64,
}

/// One xlsx worksheet: non-empty rows, cells, shared-string clones and
/// shared-formula expansion, cell references.
struct SheetSink<'s> {
    name: &'s str,
    sst: &'s [u32],
    max_rows: u64,
    budget: &'s mut Budget,
    in_data: bool,
    row_open: bool,
    row_content: bool,
    rows: u64,
    cells: u64,
    text: u64,
    cell: Option<XCell>,
    in_v: bool,
    v: String,
    formula: Option<XFormula>,
    anchors: HashMap<u64, u64>,
}

impl SheetSink<'_> {
    fn count_row(&mut self) -> Result<(), Finding> {
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(too_many_rows(self.name, self.max_rows));
        }
        Ok(())
    }
    fn add_text(&mut self, n: u64) -> Result<(), Finding> {
        self.text += n;
        self.budget.text(n)
    }
}

impl XmlSink for SheetSink<'_> {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
        let local = e.local_name();
        let local = local.as_ref();
        if !self.in_data {
            match local {
                "sheetData" => self.in_data = true,
                "dimension" => {
                    // Harmless to the sparse reader, but calamine subtracts
                    // its corners (`get_dimension`): a reversed or garbled
                    // range panics a debug build.
                    if let Some(r) = attr(e, "ref") {
                        let parts: Vec<_> = r.split(':').map(a1).collect();
                        let ok = match parts.as_slice() {
                            [Some(_)] => true,
                            [Some(a), Some(b)] => a.0 <= b.0 && a.1 <= b.1,
                            _ => false,
                        };
                        if !ok {
                            return Err(damaged(format!(
                                "工作表「{}」的区域 {r} 不合法",
                                self.name
                            )));
                        }
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        match local {
            "row" => {
                if let Some(r) = attr(e, "r") {
                    if a1(&r).is_none() {
                        return Err(damaged(format!("工作表「{}」的行号 {r} 不合法", self.name)));
                    }
                }
                self.row_open = true;
                self.row_content = false;
            }
            "c" => {
                if let Some(r) = attr(e, "r") {
                    if !matches!(a1(&r), Some((_, c)) if c > 0) {
                        return Err(damaged(format!(
                            "工作表「{}」的单元格地址 {r} 不合法",
                            self.name
                        )));
                    }
                }
                self.cell = Some(XCell {
                    is_shared_string: attr(e, "t").as_deref() == Some("s"),
                    has_content: false,
                });
            }
            "v" | "is" | "f" if self.cell.is_some() => {
                if let Some(c) = self.cell.as_mut() {
                    c.has_content = true;
                }
                self.row_content = true;
                if local == "v" {
                    self.in_v = true;
                    self.v.clear();
                }
                if local == "f" && attr(e, "t").as_deref() == Some("shared") {
                    let si = attr(e, "si").and_then(|v| parse_uint(&v));
                    if let Some(si) = si {
                        if si >= MAX_SHARED_FORMULA_INDEX {
                            return Err(suspicious(format!(
                                "工作表「{}」的共享公式编号 {si} 过大",
                                self.name
                            )));
                        }
                    }
                    self.formula = Some(XFormula {
                        si,
                        anchor: attr(e, "ref").is_some(),
                        len: 0,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, local: &str) -> Result<(), Finding> {
        if !self.in_data {
            return Ok(());
        }
        match local {
            "v" if self.in_v => {
                self.in_v = false;
                if self.cell.as_ref().is_some_and(|c| c.is_shared_string) {
                    if let Some(i) = parse_uint(self.v.trim()) {
                        let n = usize::try_from(i)
                            .ok()
                            .and_then(|i| self.sst.get(i))
                            .copied()
                            .unwrap_or(0);
                        self.add_text(u64::from(n))?;
                    }
                }
            }
            "f" => {
                if let Some(f) = self.formula.take() {
                    if let Some(si) = f.si {
                        if f.anchor {
                            self.anchors.insert(si, f.len);
                        } else if let Some(&len) = self.anchors.get(&si) {
                            // Relative references may grow when shifted.
                            self.add_text(len.saturating_mul(2) + 16)?;
                        }
                    }
                }
            }
            "c" => {
                if let Some(c) = self.cell.take() {
                    if c.has_content {
                        self.cells += 1;
                        self.budget.cells(1)?;
                        if !self.row_open {
                            self.count_row()?;
                        }
                    }
                }
            }
            "row" => {
                if self.row_open && self.row_content {
                    self.count_row()?;
                }
                self.row_open = false;
            }
            "sheetData" => self.in_data = false,
            _ => {}
        }
        Ok(())
    }

    fn text(&mut self, t: &str) -> Result<(), Finding> {
        if self.in_v && self.v.len() < 32 {
            self.v.push_str(&t[..t.len().min(32)]);
        }
        if let Some(f) = self.formula.as_mut() {
            f.len += t.len() as u64;
        }
        Ok(())
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
            "file-entry" => {
                if attr(e, "full-path").as_deref() == Some("/") {
                    self.root_media = attr_text(e, "media-type");
                }
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
    text: u64,
}

struct OdsCell {
    depth: usize,
    repeats: u64,
    content: bool,
    text: u64,
}

/// ODS `content.xml`, modelled on calamine's `read_table`/`read_row`/
/// `get_range` (`ods.rs:438-680`): which cells it materialises, the grid it
/// builds, the values it clones per repeat.
struct OdsSink<'b> {
    budget: &'b mut Budget,
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
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Finding> {
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
                self.budget
                    .cells(row.cur.saturating_mul(row.repeats.max(1)))?;
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

fn scan_zip(bytes: &[u8], limits: &Limits) -> Result<Format, Finding> {
    let mut z = Zip::open(bytes, limits)?;
    let mut budget = Budget::default();
    let format = match classify(&mut z)? {
        ZipKind::Xlsx(wb) => {
            scan_xlsx(&mut z, &wb, limits, &mut budget)?;
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
    Ok(format)
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

fn scan_xlsx(
    z: &mut Zip<'_>,
    wb_path: &str,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), Finding> {
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

    // calamine `read_workbook` (xlsx/mod.rs:640-660).
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

    let mut sst = Vec::new();
    if let Some(i) = z.find(&format!("{dir}sharedStrings.xml")) {
        let mut s = SstSink {
            declared: z.sizes[i],
            si_depth: 0,
            cur: 0,
            lens: Vec::new(),
        };
        z.scan_xml(i, true, &mut s)?;
        sst = s.lens;
    }

    // A part named by two sheets is read by calamine twice: count it twice.
    let mut seen: HashMap<usize, (u64, u64, u64)> = HashMap::new();
    for (sheet, idx) in &parts {
        if let Some(&(rows, cells, text)) = seen.get(idx) {
            if rows > limits.max_rows {
                return Err(too_many_rows(sheet, limits.max_rows));
            }
            budget.cells(cells)?;
            budget.text(text)?;
            continue;
        }
        let mut s = SheetSink {
            name: sheet,
            sst: &sst,
            max_rows: limits.max_rows,
            budget,
            in_data: false,
            row_open: false,
            row_content: false,
            rows: 0,
            cells: 0,
            text: 0,
            cell: None,
            in_v: false,
            v: String::new(),
            formula: None,
            anchors: HashMap::new(),
        };
        z.scan_xml(*idx, true, &mut s)?;
        seen.insert(*idx, (s.rows, s.cells, s.text));
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
            budget,
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
    // calamine `Ods::new` (ods.rs:206-240) needs both parts.
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
/// chain until ENDOFCHAIN or the stated size, `cfb.rs:319-340`, so a cycle
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
/// (xls.rs:603-722): nested substreams skipped, every record that becomes a
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

fn scan_biff(stream: &[u8], limits: &Limits) -> Result<(), Finding> {
    let mut budget = Budget::default();
    let mut biff8 = true;
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst = Vec::new();
    let mut name_max = 0u64;
    let mut sheet_max = 4u64;
    // Globals, up to the first EOF (xls.rs:520-590).
    for rec in (BiffIter { s: stream }) {
        let rec = rec?;
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
