//! Builders for the pre-scan's unit tests: hand-made workbooks of every
//! format (xlsx, xlsb, ODS, CFB/BIFF), small enough to read, each with the
//! one flaw a test needs; and the two ways a test asks what a file gets.

use super::cfb::{CFB_MAGIC, ENDOFCHAIN};
use super::ods::ODS_MIME;
use super::{prescan_keeping, Format};
use crate::finding::{Code, Finding};
use crate::kit::handzip::{CONTENT_TYPES, PKG_RELS, WORKBOOK, WORKBOOK_RELS};
use crate::policy::Limits;
use crate::read::workbook;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive};

pub(super) fn limits() -> Limits {
    crate::policy::Policy::default_rules().limits
}

/// The pre-scan, then (for a file it lets through) calamine's streaming
/// read with the cell budgets: the refusal a file gets, if any.
pub(super) fn outcome(name: &str, bytes: &[u8]) -> Result<Format, Finding> {
    let scanned = prescan_keeping(name, bytes, &limits())?;
    let fmt = scanned.format;
    // As `read::read_bytes` does.
    match workbook::open(scanned.parsed(bytes), fmt, &limits()) {
        Err(workbook::OpenError::Refused(f)) => Err(*f),
        Ok(_) | Err(workbook::OpenError::Damaged(_)) => Ok(fmt),
    }
}

/// The refusal a file gets, asserting its code, a key phrase of its
/// message and the blank anchor.
pub(super) fn rejects(name: &str, bytes: &[u8], code: Code, phrase: &str) -> Finding {
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

pub(super) fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
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

pub(super) fn sheet_xml(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{inner}</sheetData></worksheet>"#
    )
}

/// A hand-made xlsx: one sheet `基本信息`, optional shared strings.
pub(super) fn xlsx(sheet: &str, sst: Option<&str>) -> Vec<u8> {
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
pub(super) fn small_xlsx() -> Vec<u8> {
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

pub(super) fn stray_far_cell_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "县(市、区)").unwrap();
    ws.write_number(1_048_575, 16_383, 1.0).unwrap();
    wb.save_to_buffer().unwrap()
}

pub(super) const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

pub(super) const ODS_ROW: &str = r#"<table:table-row><table:table-cell office:value-type="string" calcext:value-type="string"><text:p>乡镇(街道)代码</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="990101103" calcext:value-type="float"><text:p>990101103</text:p></table:table-cell></table:table-row>"#;

/// A minimal ODS with one table `基本信息` holding `rows`.
pub(super) fn ods(rows: &str) -> Vec<u8> {
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
pub(super) const ODS_EMPTY_TAIL: &str = r#"<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;

pub(super) const ODS_HUGE_CONTENT: &str = r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1" calcext:value-type="float"><text:p>1</text:p></table:table-cell></table:table-row>"#;

pub(super) const FREESECT: u32 = 0xFFFF_FFFF;

pub(super) const FATSECT: u32 = 0xFFFF_FFFD;

/// A version-3 compound file holding `streams`, each padded to 4096
/// bytes so it lives in regular sectors (no mini stream).
pub(super) fn cfb_file(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
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

pub(super) fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend(typ.to_le_bytes());
    r.extend((data.len() as u16).to_le_bytes());
    r.extend(data);
    r
}

pub(super) fn bof(dt: u16) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(0x0600u16.to_le_bytes());
    d.extend(dt.to_le_bytes());
    d.extend(0x0DBBu16.to_le_bytes());
    d.extend(0x07CCu16.to_le_bytes());
    d.extend(0u32.to_le_bytes());
    d.extend(6u32.to_le_bytes());
    rec(0x0809, &d)
}

pub(super) fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(row.to_le_bytes());
    d.extend(col.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    d.extend(v.to_le_bytes());
    rec(0x0203, &d)
}

pub(super) fn dimensions(rows: (u32, u32), cols: (u16, u16)) -> Vec<u8> {
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
pub(super) fn biff_stream(globals: &[Vec<u8>], sheet: &[Vec<u8>]) -> Vec<u8> {
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

pub(super) fn xls(globals: &[Vec<u8>], sheet: &[Vec<u8>]) -> Vec<u8> {
    cfb_file(&[("Workbook", biff_stream(globals, sheet))])
}

pub(super) fn encrypted_ooxml() -> Vec<u8> {
    let mut info = vec![4u8, 0, 4, 0, 0x40, 0, 0, 0];
    info.extend(b"<?xml version=\"1.0\"?><encryption/>");
    cfb_file(&[
        ("EncryptionInfo", info),
        ("EncryptedPackage", vec![0x5A; 5000]),
    ])
}

pub(super) fn many_rows_xlsx(n: usize) -> Vec<u8> {
    let rows: String = (1..=n)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
        .collect();
    xlsx(&sheet_xml(&rows), None)
}

pub(super) fn deep_xlsx(depth: usize) -> Vec<u8> {
    let open = "<x>".repeat(depth);
    let close = "</x>".repeat(depth);
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><extLst>{open}{close}</extLst></worksheet>"#
    );
    xlsx(&sheet, None)
}

pub(super) fn huge_sst_xlsx() -> Vec<u8> {
    let sst = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>乡镇</t></si></sst>"#;
    let sheet = sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#);
    xlsx(&sheet, Some(sst))
}

pub(super) fn docx_like() -> Vec<u8> {
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

pub(super) fn missing_sheet_xlsx() -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PKG_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
    ])
}

pub(super) fn truncated_xlsx() -> Vec<u8> {
    let full = small_xlsx();
    full[..full.len() / 2].to_vec()
}

pub(super) fn shared_formula_xlsx(si: &str) -> Vec<u8> {
    let sheet = sheet_xml(&format!(
        r#"<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="{si}">B1</f><v>1</v></c></row><row r="2"><c r="A2"><f t="shared" si="{si}"/><v>1</v></c></row>"#
    ));
    xlsx(&sheet, None)
}

/// One XLSB record: varint type, varint length, body.
pub(super) fn brt(typ: u16, body: &[u8]) -> Vec<u8> {
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

pub(super) fn wide(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut b = (units.len() as u32).to_le_bytes().to_vec();
    for u in units {
        b.extend(u.to_le_bytes());
    }
    b
}

/// A minimal xlsb: one sheet `Sheet1` whose records sit between
/// BrtBeginSheetData and BrtEndSheetData; optional sharedStrings.bin.
pub(super) fn xlsb(sheet_data: &[Vec<u8>], sst: Option<Vec<u8>>) -> Vec<u8> {
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

pub(super) fn brt_row(row: u32) -> Vec<u8> {
    let mut b = row.to_le_bytes().to_vec();
    b.extend([0u8; 13]);
    brt(0x0000, &b)
}

pub(super) fn brt_real(col: u32, v: f64) -> Vec<u8> {
    let mut b = col.to_le_bytes().to_vec();
    b.extend(0u32.to_le_bytes());
    b.extend(v.to_le_bytes());
    brt(0x0005, &b)
}

pub(super) fn handzip_part(zip: &[u8], name: &str) -> Vec<u8> {
    let mut a = ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = Vec::new();
    a.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}
