//! An xlsx worksheet declared over one XML event's worth (16 MB) is streamed
//! here through a small buffer before calamine reads it, and nothing of it
//! is kept. Two things are checked as it streams, and the first limit hit
//! stops the read:
//!
//! - no stretch longer than one event without a `<`: calamine's XML reader
//!   would hold such a stretch whole;
//! - its non-empty rows and cells, counted against the file's limits: a
//!   sheet of millions of rows is refused at row {max_rows} + 1, not after
//!   all of it has been inflated.
//!
//! The count follows calamine's cell reader (`xlsx/cells_reader.rs`) over
//! the plain XML spreadsheet programs write, and gives up — counts nothing
//! more in this file — at anything else: a comment, an entity, a formula,
//! a shared or inline string, a reference it does not read the same way,
//! bytes that are not UTF-8, a part that ends early. It only counts cells
//! that calamine reads as non-empty, in the rows calamine gives them, and
//! stops before any place where calamine would stop with an error: so
//! whatever it refuses, [`CellGuard`] would have refused too (in the same
//! words), and calamine reads the file's own bytes afterwards.

use super::super::limits::{CellGuard, MAX_XML_DEPTH, MAX_XML_EVENT_BYTES};
use super::super::refusal::Refusal;
use super::super::zip::Zip;
use std::io::{self, Read};

/// Bytes inflated per read.
const CHUNK: usize = 64 * 1024;
/// The longest tag the count follows (a `<worksheet>` with its namespaces
/// is a few hundred bytes; a `<c>` a few dozen).
const MAX_TAG: usize = 4096;
/// The longest number read from a `t="n"` cell.
const MAX_NUMBER: usize = 32;

/// Stream worksheet part `idx` of sheet `sheet`. `guard` counts the rows
/// and cells of every such sheet of the file; `None` once the count has
/// given up.
pub(super) fn check(
    z: &mut Zip<'_>,
    idx: usize,
    sheet: &str,
    guard: &mut Option<CellGuard>,
) -> Result<(), Refusal> {
    let Some(mut part) = z.open_part(idx, u64::MAX)? else {
        return Ok(());
    };
    let mut cells = guard.as_mut().map(|g| {
        g.sheet();
        Cells::new(sheet, g)
    });
    let mut buf = vec![0u8; CHUNK];
    let mut gap = Gap::default();
    let outcome = loop {
        let n = match part.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(Stop::Read(e)),
        };
        let chunk = &buf[..n];
        if gap.too_long(chunk) {
            break Err(Stop::Stretch);
        }
        if let Some(c) = cells.as_mut() {
            if let Err(r) = c.feed(chunk) {
                break Err(Stop::Refused(r));
            }
        }
    };
    let counted_to_the_end = cells.is_some_and(|c| c.ended());
    let (total, tripped) = (part.total, part.tripped);
    drop(part);
    z.inflated += total;
    match outcome {
        Ok(()) => {
            if !counted_to_the_end {
                *guard = None;
            }
            Ok(())
        }
        Err(Stop::Stretch) => Err(Refusal::LongStretch {
            part: z.names[idx].clone(),
        }),
        Err(Stop::Refused(r)) => Err(r),
        Err(Stop::Read(e)) => Err(z.read_failure(idx, tripped, Some(&e))),
    }
}

enum Stop {
    /// More than one event's worth without a `<`.
    Stretch,
    /// A row or cell limit.
    Refused(Refusal),
    Read(io::Error),
}

/// The stretch since the last `<`, across chunks.
#[derive(Default)]
struct Gap {
    since_tag: u64,
}

impl Gap {
    /// Does `chunk`, after what came before it, hold more than one XML
    /// event's worth without a `<`?
    fn too_long(&mut self, chunk: &[u8]) -> bool {
        let mut prev: Option<usize> = None;
        let mut longest = 0u64;
        for i in memchr::memchr_iter(b'<', chunk) {
            let gap = match prev {
                None => self.since_tag + i as u64,
                Some(p) => (i - p - 1) as u64,
            };
            longest = longest.max(gap);
            prev = Some(i);
        }
        self.since_tag = match prev {
            Some(p) => (chunk.len() - 1 - p) as u64,
            None => self.since_tag + chunk.len() as u64,
        };
        longest > MAX_XML_EVENT_BYTES || self.since_tag > MAX_XML_EVENT_BYTES
    }
}

/// Where the lexer is between chunks.
#[derive(Clone, Copy)]
enum Lex {
    /// Between tags.
    Text,
    /// Inside `<…>`, its bytes gathered so far; the quote of an attribute
    /// value being read, if any.
    Tag { quote: Option<u8> },
}

/// Where calamine's reader is in the sheet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `<sheetData>` (`XlsxCellReader::new`).
    Prolog,
    /// Reading cells (`next_cell_with_formula_metadata`).
    Data,
    /// Past `</sheetData>`: calamine reads no further.
    Done,
}

/// A cell's `t` attribute, of the kinds followed here.
#[derive(Clone, Copy)]
enum Kind {
    /// No `t`: a number, or the text as it stands.
    Plain,
    /// `t="n"`: a number, or calamine's error.
    Number,
    /// `t="str"`: text, even empty.
    Str,
    /// `t="inlineStr"`: calamine ignores a `<v>` in it.
    Inline,
}

/// The text of a `<v>` element.
#[derive(Default)]
struct Value {
    len: usize,
    head: [u8; MAX_NUMBER],
}

/// A `<c>` being read.
struct Cell {
    row: u32,
    kind: Kind,
    /// calamine will give it a value (as far as its `<v>`s so far say).
    filled: bool,
    /// An open `<v>`.
    value: Option<Value>,
}

/// Follows a worksheet's XML as calamine's cell reader would, counting its
/// non-empty cells into a [`CellGuard`].
struct Cells<'a> {
    sheet: &'a str,
    guard: &'a mut CellGuard,
    lex: Lex,
    tag: Vec<u8>,
    /// Names of the open elements.
    open: Vec<Vec<u8>>,
    /// A tag has been read (the XML declaration must come first).
    seen_tag: bool,
    phase: Phase,
    /// calamine's `row_index` and `col_index`.
    row: u32,
    col: u32,
    cell: Option<Cell>,
    utf8: Utf8,
    gave_up: bool,
}

impl<'a> Cells<'a> {
    fn new(sheet: &'a str, guard: &'a mut CellGuard) -> Cells<'a> {
        Cells {
            sheet,
            guard,
            lex: Lex::Text,
            tag: Vec::new(),
            open: Vec::new(),
            seen_tag: false,
            phase: Phase::Prolog,
            row: 0,
            col: 0,
            cell: None,
            utf8: Utf8::default(),
            gave_up: false,
        }
    }

    fn counting(&self) -> bool {
        !self.gave_up && self.phase != Phase::Done
    }

    /// The sheet was followed to its `</sheetData>`.
    fn ended(&self) -> bool {
        !self.gave_up && self.phase == Phase::Done
    }

    fn give_up(&mut self) {
        self.gave_up = true;
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        if self.counting() && !self.utf8.valid(chunk) {
            self.give_up();
        }
        let mut rest = chunk;
        while !rest.is_empty() && self.counting() {
            match self.lex {
                Lex::Text => {
                    let end = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
                    self.text(&rest[..end]);
                    match rest.get(end) {
                        Some(b'<') => {
                            self.lex = Lex::Tag { quote: None };
                            self.tag.clear();
                            rest = &rest[end + 1..];
                        }
                        // An entity: quick-xml's reference handling is not
                        // followed here.
                        Some(_) => self.give_up(),
                        None => rest = &[],
                    }
                }
                Lex::Tag { quote: Some(q) } => {
                    let end = memchr::memchr(q, rest);
                    let upto = end.map_or(rest.len(), |e| e + 1);
                    self.tag.extend_from_slice(&rest[..upto]);
                    rest = &rest[upto..];
                    if end.is_some() {
                        self.lex = Lex::Tag { quote: None };
                    }
                }
                Lex::Tag { quote: None } => match memchr::memchr3(b'>', b'"', b'\'', rest) {
                    Some(i) if rest[i] == b'>' => {
                        self.tag.extend_from_slice(&rest[..i]);
                        rest = &rest[i + 1..];
                        self.lex = Lex::Text;
                        if self.tag.len() > MAX_TAG {
                            self.give_up();
                            break;
                        }
                        let tag = std::mem::take(&mut self.tag);
                        let done = self.tag_read(&tag);
                        self.tag = tag;
                        self.tag.clear();
                        done?;
                    }
                    Some(i) => {
                        self.tag.extend_from_slice(&rest[..=i]);
                        self.lex = Lex::Tag {
                            quote: Some(rest[i]),
                        };
                        rest = &rest[i + 1..];
                    }
                    None => {
                        self.tag.extend_from_slice(rest);
                        rest = &[];
                    }
                },
            }
            if self.tag.len() > MAX_TAG {
                self.give_up();
            }
        }
        Ok(())
    }

    /// Text between tags: kept only inside a cell's `<v>`.
    fn text(&mut self, t: &[u8]) {
        let Some(v) = self.cell.as_mut().and_then(|c| c.value.as_mut()) else {
            return;
        };
        for &b in t {
            if v.len < MAX_NUMBER {
                v.head[v.len] = b;
            }
            v.len += 1;
        }
    }

    /// One tag, without its `<` and `>`.
    fn tag_read(&mut self, tag: &[u8]) -> Result<(), Refusal> {
        let seen_before = std::mem::replace(&mut self.seen_tag, true);
        match tag.first() {
            Some(b'?') if !seen_before && declaration_is_plain(tag) => Ok(()),
            Some(b'/') => {
                let name = &tag[1..];
                match self.open.last() {
                    Some(open) if open == name => {
                        self.open.pop();
                        self.end(local_name(name))
                    }
                    // Unmatched: quick-xml's reading of it is not followed.
                    _ => {
                        self.give_up();
                        Ok(())
                    }
                }
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let (body, empty) = match tag.strip_suffix(b"/") {
                    Some(body) => (body, true),
                    None => (tag, false),
                };
                let split = body
                    .iter()
                    .position(|b| b.is_ascii_whitespace())
                    .unwrap_or(body.len());
                let (name, attrs) = body.split_at(split);
                if !is_name(name) || self.open.len() >= MAX_XML_DEPTH {
                    self.give_up();
                    return Ok(());
                }
                if !empty {
                    self.open.push(name.to_vec());
                }
                self.start(local_name(name), attrs);
                if empty && self.counting() {
                    self.end(local_name(name))?;
                }
                Ok(())
            }
            // A comment, CDATA, a DOCTYPE, a late declaration, a stray `<`.
            _ => {
                self.give_up();
                Ok(())
            }
        }
    }

    fn start(&mut self, local: &[u8], attrs: &[u8]) {
        match self.phase {
            Phase::Prolog => match local {
                b"dimension" => match attributes(attrs, [b"ref".as_slice()]) {
                    Some([Some(r)]) if dimension_is_plain(r) => {}
                    _ => self.give_up(),
                },
                b"sheetData" => self.phase = Phase::Data,
                _ => {}
            },
            Phase::Data => match self.cell.as_mut() {
                // calamine reads `<v>` (and `<f>`, `<is>`, not followed);
                // any other element in a cell is its error.
                Some(cell) => match (local, &cell.value) {
                    (b"v", None) => cell.value = Some(Value::default()),
                    _ => self.give_up(),
                },
                None => match local {
                    b"row" => match attributes(attrs, [b"r".as_slice()]) {
                        Some([None]) => {}
                        Some([Some(r)]) => match row_number(r) {
                            Some(row) => self.row = row,
                            None => self.give_up(),
                        },
                        None => self.give_up(),
                    },
                    b"c" => self.cell_start(attrs),
                    _ => {}
                },
            },
            Phase::Done => {}
        }
    }

    fn cell_start(&mut self, attrs: &[u8]) {
        let Some([r, _s, t]) = attributes(attrs, [b"r".as_slice(), b"s", b"t"]) else {
            self.give_up();
            return;
        };
        let kind = match t {
            None => Kind::Plain,
            Some(b"n") => Kind::Number,
            Some(b"str") => Kind::Str,
            Some(b"inlineStr" | b"is") => Kind::Inline,
            // Shared strings, booleans, errors, dates: not followed.
            Some(_) => {
                self.give_up();
                return;
            }
        };
        let row = match r {
            None => self.row,
            Some(r) => match cell_reference(r) {
                Some((row, col)) => {
                    self.col = col;
                    row
                }
                None => {
                    self.give_up();
                    return;
                }
            },
        };
        self.cell = Some(Cell {
            row,
            kind,
            filled: false,
            value: None,
        });
    }

    fn end(&mut self, local: &[u8]) -> Result<(), Refusal> {
        if self.phase != Phase::Data {
            return Ok(());
        }
        if let Some(cell) = self.cell.as_mut() {
            // Only a `<v>` opens inside a cell, so this ends it or the cell.
            if let Some(v) = cell.value.take() {
                match filled(cell.kind, &v) {
                    Some(f) => cell.filled = f,
                    None => self.give_up(),
                }
            } else if local == b"c" {
                let cell = self.cell.take().expect("checked above");
                if cell.filled {
                    self.guard.count(self.sheet, cell.row, 0)?;
                }
                self.col = self.col.saturating_add(1);
            }
            return Ok(());
        }
        match local {
            b"row" => {
                self.row = self.row.saturating_add(1);
                self.col = 0;
            }
            b"sheetData" => self.phase = Phase::Done,
            _ => {}
        }
        Ok(())
    }
}

/// UTF-8 checked across chunks: quick-xml stops at the first event that
/// is not.
#[derive(Default)]
struct Utf8 {
    /// The start of a character the last chunk cut.
    cut: Vec<u8>,
}

impl Utf8 {
    fn valid(&mut self, chunk: &[u8]) -> bool {
        let mut rest = chunk;
        if !self.cut.is_empty() {
            let width = match self.cut[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (width - self.cut.len()).min(rest.len());
            self.cut.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.cut.len() < width {
                return true;
            }
            if std::str::from_utf8(&self.cut).is_err() {
                return false;
            }
            self.cut.clear();
        }
        match std::str::from_utf8(rest) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.cut.extend_from_slice(&rest[e.valid_up_to()..]);
                true
            }
            Err(_) => false,
        }
    }
}

/// Will calamine give a cell of this kind, whose `<v>` holds `v`, a value
/// (`None`: calamine's answer is not followed here, or is an error)?
fn filled(kind: Kind, v: &Value) -> Option<bool> {
    match kind {
        Kind::Plain => Some(v.len > 0),
        Kind::Number if v.len == 0 => Some(false),
        Kind::Number => (v.len <= MAX_NUMBER && is_decimal(&v.head[..v.len])).then_some(true),
        Kind::Str => Some(true),
        Kind::Inline => Some(false),
    }
}

/// `-?digits(.digits)?([eE][+-]?digits)?`: a number every float parser reads.
fn is_decimal(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let n = digits(s);
    if n == 0 {
        return false;
    }
    let mut s = &s[n..];
    if let Some(frac) = s.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        s = &frac[n..];
    }
    if let Some(exp) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = digits(exp);
        return n > 0 && n == exp.len();
    }
    s.is_empty()
}

/// An XML name of ASCII letters, digits and `_.-`, with at most one `:`
/// prefix separator.
fn is_name(name: &[u8]) -> bool {
    let Some((&first, rest)) = name.split_first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_')
        && rest
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'))
        && name.iter().filter(|&&b| b == b':').count() <= 1
        && !name.ends_with(b":")
}

/// The name without its prefix, as quick-xml's `local_name`.
fn local_name(name: &[u8]) -> &[u8] {
    match memchr::memchr(b':', name) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The values of the attributes `keys` (matched as written, prefix and
/// all, as calamine does), if the attribute list is plain: each
/// `name="value"` after whitespace, no entity or `<` in a value, none of
/// `keys` twice.
fn attributes<'t, const N: usize>(
    mut s: &'t [u8],
    keys: [&[u8]; N],
) -> Option<[Option<&'t [u8]>; N]> {
    let mut found = [None; N];
    loop {
        let ws = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
        s = &s[ws..];
        if s.is_empty() {
            return Some(found);
        }
        if ws == 0 {
            return None;
        }
        let eq = memchr::memchr(b'=', s)?;
        let key = &s[..eq];
        if !is_name(key) {
            return None;
        }
        let quote = *s.get(eq + 1)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let body = &s[eq + 2..];
        let close = memchr::memchr(quote, body)?;
        let value = &body[..close];
        if value.iter().any(|&b| b == b'<' || b == b'&') {
            return None;
        }
        if let Some(k) = keys.iter().position(|k| *k == key) {
            if found[k].replace(value).is_some() {
                return None;
            }
        }
        s = &body[close + 1..];
    }
}

/// A row number `r` as calamine's `get_row` reads it, 0-based: plain
/// digits, few enough that calamine's arithmetic cannot overflow (it does
/// not hold them to Excel's rows).
fn row_number(r: &[u8]) -> Option<u32> {
    if r.is_empty() || r.len() > 9 || !r.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u32 = std::str::from_utf8(r).ok()?.parse().ok()?;
    n.checked_sub(1)
}

/// A cell reference as calamine's `get_row_column` reads it, 0-based
/// (row, column): one to three letters, then a row number.
fn cell_reference(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let col = r[..letters].iter().fold(0u32, |c, b| {
        c * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    Some((row_number(&r[letters..])?, col - 1))
}

/// A `<dimension ref>` calamine's `get_dimension` reads without error (or,
/// in a debug build, an overflow panic): one cell, or two in order.
fn dimension_is_plain(r: &[u8]) -> bool {
    let mut cells = r.split(|&b| b == b':').map(cell_reference);
    match (cells.next(), cells.next(), cells.next()) {
        (Some(Some(_)), None, None) => true,
        (Some(Some(a)), Some(Some(b)), None) => a.0 <= b.0 && a.1 <= b.1,
        _ => false,
    }
}

/// `<?xml …?>` (given without `<` and `>`), in UTF-8 or saying no
/// encoding: the text that follows is read the same way here as by
/// calamine.
fn declaration_is_plain(tag: &[u8]) -> bool {
    let Some(body) = tag.strip_prefix(b"?xml").and_then(|b| b.strip_suffix(b"?")) else {
        return false;
    };
    if !body.first().is_some_and(u8::is_ascii_whitespace) {
        return false;
    }
    match attributes(body, [b"encoding".as_slice()]) {
        Some([None]) => true,
        Some([Some(e)]) => e.eq_ignore_ascii_case(b"UTF-8"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::kit::*;
    use super::super::super::limits::MAX_XML_EVENT_BYTES;
    use super::super::super::{prescan, prescan_keeping, Format};
    use super::*;
    use crate::finding::{Code, Finding};
    use crate::kit::handzip::bomb_xlsx;
    use crate::read::workbook::{self, CellValue};
    use std::time::{Duration, Instant};

    /// Feed `xml` in chunks of `step` bytes with `max_rows`: the count's
    /// refusal, if any, and whether it followed the sheet to its end.
    fn count(xml: &str, max_rows: u64, step: usize) -> (Option<Finding>, bool) {
        count_bytes(xml.as_bytes(), max_rows, step)
    }

    fn count_bytes(xml: &[u8], max_rows: u64, step: usize) -> (Option<Finding>, bool) {
        let mut l = limits();
        l.max_rows = max_rows;
        let mut g = CellGuard::new(&l);
        let mut c = Cells::new("基本信息", &mut g);
        for chunk in xml.chunks(step) {
            if let Err(r) = c.feed(chunk) {
                return (Some(r.into()), c.ended());
            }
        }
        (None, c.ended())
    }

    /// Rows of one plain number each, `r` given on the row only.
    fn number_rows(n: usize) -> String {
        (1..=n)
            .map(|r| format!(r#"<row r="{r}"><c><v>{r}</v></c></row>"#))
            .collect()
    }

    #[test]
    fn rows_are_counted_as_calamine_gives_them_to_the_guard() {
        for step in [1, 7, 4096] {
            let (f, _) = count(&sheet_xml(&number_rows(4)), 3, step);
            let f = f.expect("four rows over three");
            assert_eq!(f.code, Code::S06);
            assert!(
                f.message
                    .contains("工作表「基本信息」的非空数据超过 3 行,超出月报的合理规模"),
                "{}",
                f.message
            );
            assert_eq!(count(&sheet_xml(&number_rows(3)), 3, step), (None, true));
        }
        let counted = |inner: &str| count(&sheet_xml(inner), 1, 5);
        // Empty cells, formatting only, an empty `<v>`, a `<v>` in an
        // inline-string cell: no value, no row.
        assert_eq!(
            counted(
                r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2" s="1"/><c r="B2"><v></v></c><c t="inlineStr"><v>9</v></c><c t="n"><v/></c></row>"#
            ),
            (None, true)
        );
        // Cells of one row in two `<row>`s are one row to the guard.
        assert_eq!(
            counted(
                r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B1" t="n"><v>-2.5E+3</v></c></row>"#
            ),
            (None, true)
        );
        // Without `r`, rows follow `</row>`; an empty `t="str"` is a value.
        let (f, _) = counted(r#"<row><c><v>1</v></c></row><row><c t="str"><v/></c></row>"#);
        assert!(f.is_some());
        // Prefixed names, a declaration, a dimension, text around tags.
        let prefixed = r#"<?xml version="1.0" encoding="utf-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:B2"/>
<x:sheetData> <x:row r="1" spans="1:2"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="2"><x:c r="A2"><x:v> </x:v></x:c></x:row></x:sheetData></x:worksheet>"#;
        assert!(count(prefixed, 1, 3).0.is_some());
        assert_eq!(count(prefixed, 2, 3), (None, true));
    }

    #[test]
    fn the_count_gives_up_where_calamine_is_not_followed() {
        let two = |cell: &str| {
            sheet_xml(&format!(
                r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2">{cell}</row><row r="3"><c r="A3"><v>1</v></c></row>"#
            ))
        };
        for cell in [
            r#"<c r="A2" t="s"><v>0</v></c>"#,
            r#"<c r="A2" t="b"><v>1</v></c>"#,
            r#"<c r="A2"><f>1+1</f><v>2</v></c>"#,
            r#"<c r="A2" t="inlineStr"><is><t>甲</t></is></c>"#,
            r#"<c r="A2" t="n"><v>1,5</v></c>"#,
            r#"<c r="A2"><v>&amp;</v></c>"#,
            r#"<c r="A2"><!-- x --><v>1</v></c>"#,
            r#"<c r="A2"><v><![CDATA[1]]></v></c>"#,
            r#"<c r="2A"><v>1</v></c>"#,
            r#"<c r="A0"><v>1</v></c>"#,
            r#"<c r="A2" r="B2"><v>1</v></c>"#,
            r#"<c r=A2><v>1</v></c>"#,
            r#"<c r="A2"><x/><v>1</v></c>"#,
            r#"<c r="A2"><v>1</v></x></c>"#,
        ] {
            assert_eq!(count(&two(cell), 2, 64), (None, false), "{cell}");
        }
        let inside = |head: &str| {
            format!(
                r#"{head}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}</sheetData></worksheet>"#,
                number_rows(2)
            )
        };
        for head in [
            r#"<?xml version="1.0" encoding="UTF-16"?>"#,
            r#"<!DOCTYPE worksheet>"#,
            r#"<?xml version="1.0"?><dimension ref="B2:A1"/>"#,
            r#"<?xml version="1.0"?><dimension/>"#,
            r#"<?xml version="1.0"?><?pi x?>"#,
        ] {
            assert_eq!(count(&inside(head), 1, 64), (None, false), "{head}");
        }
        // A part that ends inside `<sheetData>`.
        let cut = format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}"#,
            number_rows(1)
        );
        assert_eq!(count(&cut, 1, 64), (None, false));
    }

    #[test]
    fn text_in_utf8_is_followed_across_chunks_and_other_bytes_are_not() {
        let xml = sheet_xml(
            r#"<row r="1"><c r="A1" t="str"><v>白砂镇</v></c></row><row r="2"><c r="A2"><v>甲</v></c></row>"#,
        );
        for step in [1, 2, 5, 64] {
            assert!(count(&xml, 1, step).0.is_some(), "{step}");
        }
        let mut bad = xml.clone().into_bytes();
        let at = bad.windows(3).position(|w| w == "甲".as_bytes()).unwrap();
        bad[at + 1] = b'x';
        for step in [1, 2, 64] {
            assert_eq!(count_bytes(&bad, 1, step), (None, false), "{step}");
        }
    }

    #[test]
    fn decimals_and_names() {
        for s in ["0", "-12", "3.25", "1E5", "2.5e-3", "007"] {
            assert!(is_decimal(s.as_bytes()), "{s}");
        }
        for s in ["", "-", ".5", "1.", "1e", "1e+", "1 ", "0x10", "1,5"] {
            assert!(!is_decimal(s.as_bytes()), "{s}");
        }
        assert_eq!(cell_reference(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_reference(b"a1"), Some((0, 0)));
        assert_eq!(cell_reference(b"A2000000"), Some((1_999_999, 0)));
        assert_eq!(cell_reference(b"A1234567890"), None);
        assert_eq!(cell_reference(b"A0"), None);
        assert_eq!(cell_reference(b"ABCD1"), None);
        assert!(dimension_is_plain(b"A1:XFD1048576") && dimension_is_plain(b"C3"));
        assert!(!dimension_is_plain(b"A1:B2:C3") && !dimension_is_plain(b""));
        assert!(is_name(b"x14ac:dyDescent") && !is_name(b"a:b:c") && !is_name(b"1a"));
    }

    #[test]
    fn one_huge_xml_token_is_s06() {
        // 20 MB of text with no tag in it: honest sizes, under the inflate
        // limit, but one XML event may not grow the buffer past 16 MB.
        let matches = 20 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, (matches * 258 + 1) as u32);
        rejects("白砂镇.xlsx", &b, Code::S06, "单段超过 16 MB");
    }

    /// A big sheet of `rows` rows of one cell holding a long text, no tag
    /// longer than a few KB: past 16 MB from 3,900 rows on.
    fn long_text_rows(rows: usize) -> Vec<u8> {
        let text = "x".repeat(4_500);
        let inner: String = (1..=rows)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="str"><v>{r}{text}</v></c></row>"#))
            .collect();
        let sheet = sheet_xml(&inner);
        assert!(sheet.len() as u64 > MAX_XML_EVENT_BYTES);
        xlsx(&sheet, None)
    }

    #[test]
    fn a_big_sheet_over_max_rows_is_refused_by_the_pre_scan_as_it_streams() {
        let rows: String = (1..=5001)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
            .collect();
        // The rows first, then 17 MB the count never reaches.
        let pad = format!("<!--{}-->", " ".repeat(1000)).repeat(17_000);
        let b = xlsx(&sheet_xml(&format!("{rows}{pad}")), None);
        let t = Instant::now();
        let f = prescan("白砂镇.xlsx", &b, &limits()).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert_eq!(f.code, Code::S06);
        assert_eq!(
            &*f.message,
            "文件过大,无法安全读取:工作表「基本信息」的非空数据超过 5000 行,超出月报的合理规模。请只保留月报模板中的工作表和数据,删除图片、多余的行列和格式后,用 Excel 或 WPS 另存为 .xlsx 再报送。"
        );
        // The same rows in a sheet calamine's own count meets first.
        assert_eq!(
            rejects(
                "白砂镇.xlsx",
                &many_rows_xlsx(5001),
                Code::S06,
                "超过 5000 行"
            ),
            f
        );
    }

    #[test]
    fn a_big_sheet_the_count_gives_up_on_is_still_refused_by_calamines_count() {
        let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1"><si><t>甲</t></si></sst>"#;
        let rows: String = (1..=5001)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#))
            .collect();
        let pad = format!("<!--{}-->", " ".repeat(1000)).repeat(17_000);
        let b = xlsx(&sheet_xml(&format!("{rows}{pad}")), Some(sst));
        assert_eq!(prescan("白砂镇.xlsx", &b, &limits()), Ok(Format::Xlsx));
        rejects(
            "白砂镇.xlsx",
            &b,
            Code::S06,
            "工作表「基本信息」的非空数据超过 5000 行",
        );
    }

    #[test]
    fn a_big_sheet_under_the_limits_is_read_from_the_files_own_bytes() {
        // Comments between short cells: the count gives up at the first,
        // the stretches stay short, and calamine reads the cells.
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
        assert_eq!(scanned.format, Format::Xlsx);
        assert!(std::ptr::eq(scanned.parsed(&b), &b[..]));
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        let s = &wb.sheets[0];
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.get(0, 0), Some(&CellValue::Text("白砂镇".into())));
        assert_eq!(s.get(0, 1), Some(&CellValue::Number(12.0)));
        assert_eq!(s.get(1, 0), Some(&CellValue::Number(3.5)));

        // Rows of long texts, counted to the end: 4,000 are read…
        let b = long_text_rows(4000);
        assert_eq!(prescan("白砂镇.xlsx", &b, &limits()), Ok(Format::Xlsx));
        let wb = workbook::open(&b, Format::Xlsx, &limits()).unwrap();
        let s = &wb.sheets[0];
        assert_eq!(s.rows.len(), 4000);
        match s.get(3999, 0) {
            Some(CellValue::Text(t)) => assert!(t.starts_with("4000xx") && t.len() == 4504),
            other => panic!("{other:?}"),
        }
        // …5,001 are refused by the pre-scan itself.
        let f = prescan("白砂镇.xlsx", &long_text_rows(5001), &limits()).unwrap_err();
        assert!(f.message.contains("超过 5000 行"), "{}", f.message);
    }
}
