//! Deterministic damage to workbook files, for the mutation test
//! (`tests/it/mutation.rs`) and the fuzzer (`examples/fuzz_reader.rs`): a
//! seeded generator picks the damage, so a run is repeatable from its seed.
//!
//! Raw damage works on any file (truncation, flipped or zeroed bytes); zip
//! damage unpacks the archive, changes one part or the list of parts, and
//! packs it again (stored, by hand, so names may repeat and headers may lie);
//! `.xls` damage patches BIFF records in place (numbers, string indexes).

#![allow(dead_code)]

use huizong::kit::demo::Rng;
use huizong::kit::handzip::{crc32, raw_zip, stored, RawEntry};
use std::io::Read;

/// Numbers no return should hold, as the text of a cell or value: the five
/// first are the ones the issue names.
pub const HOSTILE_NUMBERS: &[&str] = &[
    "1e400",
    "NaN",
    "-0",
    "99999999999999999999999",
    "Infinity",
    "-1e400",
    "-Infinity",
    "inf",
    "nan",
    "1e-400",
    "4.9e-324",
    "1.7976931348623157e308",
    "-99999999999999999999999.5",
    "9223372036854775808",
    "0x1F",
    "1,000",
    "１２",
    "",
    " ",
    "1e",
    "--1",
    "+",
    ".",
];

/// Shared-string indexes out of range (or not indexes at all).
pub const HOSTILE_SST_INDEXES: &[&str] = &[
    "999999",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "-1",
    "1.5",
    "abc",
    "",
];

/// Attribute values that break references, types, counts and names.
const HOSTILE_ATTRS: &[&str] = &[
    "",
    "0",
    "-1",
    "XFE1",
    "A0",
    "A1048577",
    "ZZZZZZZZ1",
    "A99999999999",
    "1048577",
    "4294967296",
    "99999999999999999999",
    "A1:XFD1048576",
    "B2:A1",
    "s",
    "str",
    "inlineStr",
    "e",
    "b",
    "d",
    "n",
    "zz",
    "shared",
    "array",
    "../../etc/passwd",
    "/xl/worksheets/sheet1.xml",
    "worksheets/sheet99.xml",
    "rId999",
    "基本信息",
    "\u{202e}x",
    "1e400",
    "NaN",
];

/// The file kinds damage is chosen for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Cfb,
    Other,
}

pub fn kind(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK") {
        Kind::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Kind::Cfb
    } else {
        Kind::Other
    }
}

/// The parts of a zip in order, as (name, inflated bytes).
pub type Parts = Vec<(String, Vec<u8>)>;

/// Unpack a zip (each part at most 64 MB); `None` when it is not one.
pub fn unzip(bytes: &[u8]) -> Option<Parts> {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    if a.len() > 2000 {
        return None;
    }
    let mut out = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        let e = a.by_index(i).ok()?;
        let name = String::from_utf8_lossy(e.name_raw()).into_owned();
        let mut data = Vec::new();
        e.take(64 << 20).read_to_end(&mut data).ok()?;
        out.push((name, data));
    }
    Some(out)
}

/// Pack parts again, stored, honest headers.
pub fn rezip(parts: &Parts) -> Vec<u8> {
    let entries: Vec<RawEntry> = parts.iter().map(|(n, d)| stored(n, d)).collect();
    raw_zip(&entries)
}

fn below(rng: &mut Rng, n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (rng.next() % n as u64) as usize
    }
}

fn pick_pos(rng: &mut Rng, v: &[usize]) -> Option<usize> {
    (!v.is_empty()).then(|| v[below(rng, v.len())])
}

fn nonzero_byte(rng: &mut Rng) -> u8 {
    (rng.next() % 255) as u8 + 1
}

/// Every start of `pat` in `data`.
fn find_all(data: &[u8], pat: &[u8]) -> Vec<usize> {
    if pat.is_empty() || data.len() < pat.len() {
        return Vec::new();
    }
    data.windows(pat.len())
        .enumerate()
        .filter(|(_, w)| *w == pat)
        .map(|(i, _)| i)
        .collect()
}

fn find_from(data: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from > data.len() {
        return None;
    }
    data[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|i| i + from)
}

fn splice(data: &[u8], at: std::ops::Range<usize>, new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + new.len());
    out.extend_from_slice(&data[..at.start]);
    out.extend_from_slice(new);
    out.extend_from_slice(&data[at.end..]);
    out
}

/// The content ranges of `<tag>…</tag>` (also `<tag attr…>`).
fn element_contents(data: &[u8], tag: &str) -> Vec<std::ops::Range<usize>> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    for start in find_all(data, open.as_bytes()) {
        let after = start + open.len();
        match data.get(after) {
            Some(b'>') | Some(b' ') => {}
            _ => continue,
        }
        let Some(gt) = find_from(data, after, b">") else {
            continue;
        };
        if data[gt - 1] == b'/' {
            continue;
        }
        if let Some(end) = find_from(data, gt + 1, close.as_bytes()) {
            out.push(gt + 1..end);
        }
    }
    out
}

/// The value ranges of ` name="…"` attributes.
fn attr_values(data: &[u8], name: &str) -> Vec<std::ops::Range<usize>> {
    let pat = format!(" {name}=\"");
    find_all(data, pat.as_bytes())
        .into_iter()
        .filter_map(|i| {
            let from = i + pat.len();
            find_from(data, from, b"\"").map(|end| from..end)
        })
        .collect()
}

// ------------------------------------------------------------ raw damage

fn truncate_at(bytes: &[u8], at: usize) -> Vec<u8> {
    bytes[..at.min(bytes.len())].to_vec()
}

fn flip(rng: &mut Rng, data: &[u8], lo: usize) -> Option<Vec<u8>> {
    if data.len() <= lo {
        return None;
    }
    let mut out = data.to_vec();
    for _ in 0..1 + below(rng, 8) {
        let i = lo + below(rng, data.len() - lo);
        out[i] ^= nonzero_byte(rng);
    }
    Some(out)
}

fn raw_truncate(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| truncate_at(b, below(rng, b.len())))
}

fn raw_flip(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    flip(rng, b, 0)
}

/// Flips in the last 1,024 bytes: the zip directory, or the end of a
/// compound file.
fn raw_flip_tail(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    flip(rng, b, b.len().saturating_sub(1024))
}

/// Flips in the first 512 bytes: zip local header, CFB header.
fn raw_flip_head(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let n = b.len().min(512);
    flip(rng, &b[..n], 0).map(|head| [&head[..], &b[n..]].concat())
}

fn raw_zero_run(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    if b.is_empty() {
        return None;
    }
    let at = below(rng, b.len());
    let n = (1 + below(rng, 512)).min(b.len() - at);
    let mut out = b.to_vec();
    out[at..at + n].fill(if rng.chance(50) { 0 } else { 0xFF });
    Some(out)
}

fn raw_insert(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let at = below(rng, b.len() + 1);
    let junk: Vec<u8> = (0..1 + below(rng, 64)).map(|_| rng.next() as u8).collect();
    Some(splice(b, at..at, &junk))
}

fn raw_dup_chunk(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    if b.len() < 2 {
        return None;
    }
    let at = below(rng, b.len());
    let n = (1 + below(rng, 4096)).min(b.len() - at);
    let chunk = b[at..at + n].to_vec();
    Some(splice(b, at..at, &chunk))
}

// ----------------------------------------------------------- zip damage

fn with_parts(b: &[u8], f: impl FnOnce(&mut Parts) -> bool) -> Option<Vec<u8>> {
    let mut parts = unzip(b)?;
    f(&mut parts).then(|| rezip(&parts))
}

/// Parts an XML damage may hit, the sheets and string tables twice.
fn xml_parts(parts: &Parts) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, (n, _)) in parts.iter().enumerate() {
        let n = n.to_ascii_lowercase();
        if n.ends_with(".xml") || n.ends_with(".rels") {
            out.push(i);
            if n.contains("worksheets/") || n.contains("sharedstrings") || n == "content.xml" {
                out.push(i);
                out.push(i);
            }
        }
    }
    out
}

/// Apply `f` to one XML part (tries a few until one applies).
fn on_xml_part(
    rng: &mut Rng,
    b: &[u8],
    f: fn(&mut Rng, &[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut parts = unzip(b)?;
    let candidates = xml_parts(&parts);
    if candidates.is_empty() {
        return None;
    }
    for _ in 0..8 {
        let i = *rng.pick(&candidates);
        if let Some(new) = f(rng, &parts[i].1) {
            parts[i].1 = new;
            return Some(rezip(&parts));
        }
    }
    None
}

fn zip_remove(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        if p.is_empty() {
            return false;
        }
        let i = below(rng, p.len());
        p.remove(i);
        true
    })
}

/// A part twice under one name: the same bytes, or another part's.
fn zip_duplicate(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        if p.is_empty() {
            return false;
        }
        let i = below(rng, p.len());
        let data = if rng.chance(50) {
            p[i].1.clone()
        } else {
            p[below(rng, p.len())].1.clone()
        };
        let entry = (p[i].0.clone(), data);
        let at = below(rng, p.len() + 1);
        p.insert(at, entry);
        true
    })
}

fn zip_rename(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        if p.is_empty() {
            return false;
        }
        let i = below(rng, p.len());
        let n = &p[i].0;
        p[i].0 = match below(rng, 6) {
            0 => n.to_uppercase(),
            1 => n.replace('/', "\\"),
            2 => format!("/{n}"),
            3 => format!("{n}x"),
            4 => format!("../../{n}"),
            _ => String::new(),
        };
        true
    })
}

fn zip_swap(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        if p.len() < 2 {
            return false;
        }
        let (i, j) = (below(rng, p.len()), below(rng, p.len()));
        let d = p[i].1.clone();
        p[i].1 = std::mem::replace(&mut p[j].1, d);
        i != j
    })
}

fn zip_empty_part(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        if p.is_empty() {
            return false;
        }
        let i = below(rng, p.len());
        p[i].1.clear();
        true
    })
}

fn zip_junk_parts(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    with_parts(b, |p| {
        for k in 0..1 + below(rng, 40) {
            let name = match below(rng, 4) {
                0 => format!("xl/junk{k}.xml"),
                1 => format!("../../evil{k}.xml"),
                2 => format!("xl/worksheets/_rels/sheet{k}.xml.rels"),
                _ => format!("customXml/item{k}.xml"),
            };
            p.push((name, b"<a><b>x</b></a>".to_vec()));
        }
        true
    })
}

/// Headers that lie about one part's size or CRC.
fn zip_lie(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let parts = unzip(b)?;
    if parts.is_empty() {
        return None;
    }
    let mut entries: Vec<RawEntry> = parts.iter().map(|(n, d)| stored(n, d)).collect();
    let i = below(rng, entries.len());
    let e = &mut entries[i];
    match below(rng, 5) {
        0 => e.size /= 2,
        1 => e.size = e.size.saturating_mul(3).max(1),
        2 => e.size = 0,
        3 => e.size = u32::MAX,
        _ => e.crc = !crc32(&e.data),
    }
    Some(raw_zip(&entries))
}

// ----------------------------------------------------------- XML damage

fn xml_flip(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    flip(rng, d, 0)
}

fn xml_truncate(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    (!d.is_empty()).then(|| truncate_at(d, below(rng, d.len())))
}

fn xml_drop_gt(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = find_all(d, b">");
    let i = pick_pos(rng, &at)?;
    Some(splice(d, i..i + 1, b""))
}

fn xml_insert_lt(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = below(rng, d.len() + 1);
    let what: &[u8] = match below(rng, 4) {
        0 => b"<",
        1 => b"</",
        2 => b"<x a=\"1\" a=\"2\">",
        _ => b"<![CDATA[",
    };
    Some(splice(d, at..at, what))
}

fn xml_bad_close(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = find_all(d, b"</");
    let i = pick_pos(rng, &at)?;
    Some(splice(d, i..i + 2, b"</zz"))
}

fn xml_bad_entity(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = find_all(d, b">");
    let i = pick_pos(rng, &at)? + 1;
    let what: &[u8] = match below(rng, 5) {
        0 => b"&bogus;",
        1 => b"&#xFFFFFFFF;",
        2 => b"&#0;",
        3 => b"&",
        _ => b"&#55296;",
    };
    Some(splice(d, i..i, what))
}

/// A DOCTYPE with nested entities ("billion laughs") and a use of it.
fn xml_doctype(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let mut dtd = String::from("<!DOCTYPE x [<!ENTITY a0 \"lollollollol\">");
    for k in 1..10 {
        dtd.push_str(&format!("<!ENTITY a{k} \""));
        for _ in 0..10 {
            dtd.push_str(&format!("&a{};", k - 1));
        }
        dtd.push_str("\">");
    }
    dtd.push_str("<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>");
    let at = match find_from(d, 0, b"?>") {
        Some(i) => i + 2,
        None => 0,
    };
    let mut out = splice(d, at..at, dtd.as_bytes());
    let gts = find_all(&out, b"<v>");
    let t = find_all(&out, b"<t>");
    let spots: Vec<usize> = gts
        .into_iter()
        .map(|i| i + 3)
        .chain(t.into_iter().map(|i| i + 3))
        .collect();
    if !spots.is_empty() {
        let i = *rng.pick(&spots);
        let entity: &[u8] = if rng.chance(50) { b"&a9;" } else { b"&ext;" };
        out = splice(&out, i..i, entity);
    }
    Some(out)
}

fn xml_bad_utf8(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = below(rng, d.len() + 1);
    let what: &[u8] = match below(rng, 4) {
        0 => &[0xFF, 0xFE],
        1 => &[0xC3],
        2 => &[0xED, 0xA0, 0x80],
        _ => &[0xEF, 0xBB, 0xBF],
    };
    Some(splice(d, at..at, what))
}

fn xml_encoding(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let r = attr_values(d, "encoding").into_iter().next()?;
    let enc: &[u8] = match below(rng, 4) {
        0 => b"UTF-16",
        1 => b"GBK",
        2 => b"bogus",
        _ => b"",
    };
    Some(splice(d, r, enc))
}

/// A number cell (or an ODS value) replaced by a hostile number.
fn xml_number(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let n = HOSTILE_NUMBERS[below(rng, HOSTILE_NUMBERS.len())];
    replace_number(rng, d, n)
}

/// `number` in place of a random `<v>` value (or ODS `office:value`).
pub fn replace_number(rng: &mut Rng, d: &[u8], number: &str) -> Option<Vec<u8>> {
    let mut spots = element_contents(d, "v");
    spots.extend(attr_values(d, "office:value"));
    spots.extend(attr_values(d, "office:date-value"));
    if spots.is_empty() {
        return None;
    }
    let r = spots[below(rng, spots.len())].clone();
    Some(splice(d, r, number.as_bytes()))
}

/// A shared-string cell pointing past the table (or at no number at all).
fn xml_sst_index(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let starts = find_all(d, b" t=\"s\"");
    if starts.is_empty() {
        return None;
    }
    let at = starts[below(rng, starts.len())];
    let v = find_from(d, at, b"<v>")? + 3;
    let end = find_from(d, v, b"</v>")?;
    let idx = HOSTILE_SST_INDEXES[below(rng, HOSTILE_SST_INDEXES.len())];
    Some(splice(d, v..end, idx.as_bytes()))
}

fn xml_attr(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    const NAMES: &[&str] = &[
        "r",
        "s",
        "t",
        "si",
        "ref",
        "count",
        "uniqueCount",
        "table:number-columns-repeated",
        "table:number-rows-repeated",
        "table:number-columns-spanned",
        "text:c",
        "office:value-type",
        "table:name",
        "name",
        "sheetId",
        "r:id",
        "Target",
        "Id",
        "Type",
        "numFmtId",
        "xfId",
        "applyNumberFormat",
        "spans",
    ];
    for _ in 0..6 {
        let name = NAMES[below(rng, NAMES.len())];
        let spots = attr_values(d, name);
        if spots.is_empty() {
            continue;
        }
        let r = spots[below(rng, spots.len())].clone();
        let v = HOSTILE_ATTRS[below(rng, HOSTILE_ATTRS.len())];
        return Some(splice(d, r, v.as_bytes()));
    }
    None
}

/// One attribute written twice in its tag.
fn xml_dup_attr(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let spots = attr_values(d, "r");
    if spots.is_empty() {
        return None;
    }
    let r = spots[below(rng, spots.len())].clone();
    let end = r.end + 1;
    Some(splice(d, end..end, b" r=\"ZZ9\""))
}

/// A text of 40,000 characters, or one that looks like a formula.
fn xml_long_or_formula_text(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let mut spots = element_contents(d, "t");
    spots.extend(element_contents(d, "text:p"));
    if spots.is_empty() {
        return None;
    }
    let r = spots[below(rng, spots.len())].clone();
    let text = match below(rng, 5) {
        0 => "长".repeat(40_000),
        1 => "=HYPERLINK(\"http://example.invalid\",\"点我\")".to_string(),
        2 => "+1+1".to_string(),
        3 => "-2+3".to_string(),
        _ => "@SUM(A1)".to_string(),
    };
    Some(splice(d, r, text.as_bytes()))
}

/// Formulas: one added before a value, a value removed after its formula,
/// or a shared formula with a wild index.
fn xml_formula(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    match below(rng, 3) {
        0 => {
            let at = find_all(d, b"<v>");
            let i = pick_pos(rng, &at)?;
            Some(splice(d, i..i, b"<f>SUM(A1:A3)/0</f>"))
        }
        1 => {
            let vs = element_contents(d, "v");
            let r = vs.get(below(rng, vs.len()))?.clone();
            Some(splice(d, r.start - 3..r.end + 4, b"<f>1+</f>"))
        }
        _ => {
            let at = find_all(d, b"<v>");
            let i = pick_pos(rng, &at)?;
            let si = ["0", "7", "999999", "4294967295"][below(rng, 4)];
            let f = format!("<f t=\"shared\" si=\"{si}\" ref=\"A1:XFD1048576\">A1*2</f>");
            Some(splice(d, i..i, f.as_bytes()))
        }
    }
}

/// Elements nested far deeper than any real file.
fn xml_deep(rng: &mut Rng, d: &[u8]) -> Option<Vec<u8>> {
    let at = find_all(d, b"<v>");
    let i = pick_pos(rng, &at)?;
    let depth = 20 + below(rng, 100);
    let open = "<is>".repeat(depth);
    let close = "</is>".repeat(depth);
    Some(splice(d, i..i, format!("{open}{close}").as_bytes()))
}

// ----------------------------------------------------------- XLS damage

/// BIFF records of `typ` with exactly `len` data bytes: the data offsets
/// (found by their header in the raw file; the compound file keeps the
/// Workbook stream's sectors in place).
fn biff_records(b: &[u8], typ: u16, len: u16) -> Vec<usize> {
    let mut head = typ.to_le_bytes().to_vec();
    head.extend(len.to_le_bytes());
    find_all(b, &head)
        .into_iter()
        .map(|i| i + 4)
        .filter(|i| i + len as usize <= b.len())
        .collect()
}

/// A NUMBER record's value: NaN, ±∞, −0, the largest and the smallest.
fn xls_number(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let spots = biff_records(b, 0x0203, 14);
    let at = pick_pos(rng, &spots)? + 6;
    let v: f64 = match below(rng, 7) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => f64::MAX,
        5 => f64::MIN_POSITIVE / 2.0,
        _ => 1e22,
    };
    let mut out = b.to_vec();
    out[at..at + 8].copy_from_slice(&v.to_le_bytes());
    Some(out)
}

/// A LABELSST record's string index past the table.
fn xls_sst_index(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let spots = biff_records(b, 0x00FD, 10);
    let at = pick_pos(rng, &spots)? + 6;
    let v: u32 = [999_999, u32::MAX, 0x8000_0000][below(rng, 3)];
    let mut out = b.to_vec();
    out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    Some(out)
}

/// An RK record's value bits, or a cell record's row/column, at random.
fn xls_cell_bits(rng: &mut Rng, b: &[u8]) -> Option<Vec<u8>> {
    let mut spots = biff_records(b, 0x027E, 10);
    spots.extend(biff_records(b, 0x0203, 14));
    spots.extend(biff_records(b, 0x00FD, 10));
    let at = pick_pos(rng, &spots)?;
    let mut out = b.to_vec();
    let (off, n) = match below(rng, 3) {
        0 => (0, 2),
        1 => (2, 2),
        _ => (6, 4),
    };
    for k in 0..n {
        out[at + off + k] = if rng.chance(50) {
            0xFF
        } else {
            rng.next() as u8
        };
    }
    Some(out)
}

// ----------------------------------------------------------- the table

/// One kind of damage: its name and where it applies.
pub struct Op {
    pub name: &'static str,
    pub kinds: &'static [Kind],
    pub run: fn(&mut Rng, &[u8]) -> Option<Vec<u8>>,
}

const ANY: &[Kind] = &[Kind::Zip, Kind::Cfb, Kind::Other];
const ZIP: &[Kind] = &[Kind::Zip];
const CFB: &[Kind] = &[Kind::Cfb];

macro_rules! xml_op {
    ($f:ident) => {
        |rng: &mut Rng, b: &[u8]| on_xml_part(rng, b, $f)
    };
}

pub const OPS: &[Op] = &[
    Op {
        name: "truncate",
        kinds: ANY,
        run: raw_truncate,
    },
    Op {
        name: "flip",
        kinds: ANY,
        run: raw_flip,
    },
    Op {
        name: "flip-tail",
        kinds: ANY,
        run: raw_flip_tail,
    },
    Op {
        name: "flip-head",
        kinds: ANY,
        run: raw_flip_head,
    },
    Op {
        name: "zero-run",
        kinds: ANY,
        run: raw_zero_run,
    },
    Op {
        name: "insert",
        kinds: ANY,
        run: raw_insert,
    },
    Op {
        name: "dup-chunk",
        kinds: ANY,
        run: raw_dup_chunk,
    },
    Op {
        name: "zip-remove",
        kinds: ZIP,
        run: zip_remove,
    },
    Op {
        name: "zip-duplicate",
        kinds: ZIP,
        run: zip_duplicate,
    },
    Op {
        name: "zip-rename",
        kinds: ZIP,
        run: zip_rename,
    },
    Op {
        name: "zip-swap",
        kinds: ZIP,
        run: zip_swap,
    },
    Op {
        name: "zip-empty-part",
        kinds: ZIP,
        run: zip_empty_part,
    },
    Op {
        name: "zip-junk-parts",
        kinds: ZIP,
        run: zip_junk_parts,
    },
    Op {
        name: "zip-lie",
        kinds: ZIP,
        run: zip_lie,
    },
    Op {
        name: "xml-flip",
        kinds: ZIP,
        run: xml_op!(xml_flip),
    },
    Op {
        name: "xml-truncate",
        kinds: ZIP,
        run: xml_op!(xml_truncate),
    },
    Op {
        name: "xml-drop-gt",
        kinds: ZIP,
        run: xml_op!(xml_drop_gt),
    },
    Op {
        name: "xml-insert-lt",
        kinds: ZIP,
        run: xml_op!(xml_insert_lt),
    },
    Op {
        name: "xml-bad-close",
        kinds: ZIP,
        run: xml_op!(xml_bad_close),
    },
    Op {
        name: "xml-bad-entity",
        kinds: ZIP,
        run: xml_op!(xml_bad_entity),
    },
    Op {
        name: "xml-doctype",
        kinds: ZIP,
        run: xml_op!(xml_doctype),
    },
    Op {
        name: "xml-bad-utf8",
        kinds: ZIP,
        run: xml_op!(xml_bad_utf8),
    },
    Op {
        name: "xml-encoding",
        kinds: ZIP,
        run: xml_op!(xml_encoding),
    },
    Op {
        name: "xml-number",
        kinds: ZIP,
        run: xml_op!(xml_number),
    },
    Op {
        name: "xml-sst-index",
        kinds: ZIP,
        run: xml_op!(xml_sst_index),
    },
    Op {
        name: "xml-attr",
        kinds: ZIP,
        run: xml_op!(xml_attr),
    },
    Op {
        name: "xml-dup-attr",
        kinds: ZIP,
        run: xml_op!(xml_dup_attr),
    },
    Op {
        name: "xml-text",
        kinds: ZIP,
        run: xml_op!(xml_long_or_formula_text),
    },
    Op {
        name: "xml-formula",
        kinds: ZIP,
        run: xml_op!(xml_formula),
    },
    Op {
        name: "xml-deep",
        kinds: ZIP,
        run: xml_op!(xml_deep),
    },
    Op {
        name: "xls-number",
        kinds: CFB,
        run: xls_number,
    },
    Op {
        name: "xls-sst-index",
        kinds: CFB,
        run: xls_sst_index,
    },
    Op {
        name: "xls-cell-bits",
        kinds: CFB,
        run: xls_cell_bits,
    },
];

/// The operations that apply to a file of this kind.
pub fn ops_for(k: Kind) -> Vec<&'static Op> {
    OPS.iter().filter(|o| o.kinds.contains(&k)).collect()
}

/// Damage `bytes` with 1–3 random operations (each on the result of the
/// one before). Returns the names of the operations applied, or `None`
/// when none applied.
pub fn mutate(rng: &mut Rng, bytes: &[u8]) -> Option<(Vec<&'static str>, Vec<u8>)> {
    let rounds = match below(rng, 10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let mut cur = bytes.to_vec();
    let mut names = Vec::new();
    for _ in 0..rounds {
        let ops = ops_for(kind(&cur));
        for _ in 0..4 {
            let op = *rng.pick(&ops);
            if let Some(next) = (op.run)(rng, &cur) {
                cur = next;
                names.push(op.name);
                break;
            }
        }
    }
    (!names.is_empty()).then_some((names, cur))
}

/// A number in place of one `<v>` in a sheet part of an xlsx, or of one
/// `office:value` in an ODS: the directed cases of the mutation test.
pub fn with_number(rng: &mut Rng, bytes: &[u8], number: &str) -> Option<Vec<u8>> {
    let mut parts = unzip(bytes)?;
    let sheets: Vec<usize> = parts
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| n.contains("worksheets/sheet") || n == "content.xml")
        .map(|(i, _)| i)
        .collect();
    if sheets.is_empty() {
        return None;
    }
    for _ in 0..8 {
        let i = sheets[below(rng, sheets.len())];
        if let Some(new) = replace_number(rng, &parts[i].1, number) {
            parts[i].1 = new;
            return Some(rezip(&parts));
        }
    }
    None
}
