//! Safety pre-scan (S01/S06): decide from the raw bytes — zip directory,
//! declared sizes, streamed XML, the CFB/BIFF record stream — whether calamine
//! may open the file at all. calamine trusts numbers written in the file and
//! a failed allocation aborts the process, so each of its allocation sites
//! is bounded here first (the table is in `limits.rs`).
//!
//! One module per container and format, as calamine splits its readers:
//! `zip.rs` (the bounded zip reader) and `xml.rs` (the XML driver) serve
//! `xlsx/`, `xlsb.rs` and `ods.rs`; `cfb.rs` (the compound file) serves
//! `biff.rs` (.xls). Every check answers with a `Refusal`, which
//! `refusal.rs` alone words as the finding.

// `Finding` is the error type the callers' signatures ask for; findings
// are rare and never on a hot path.
#![allow(clippy::result_large_err)]

mod biff;
mod cfb;
mod limits;
mod ods;
mod refusal;
mod xlsb;
mod xlsx;
mod xml;
mod zip;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod kit;

pub use limits::CellGuard;

use self::xml::RelsSink;
use self::zip::Zip;
use crate::finding::Finding;
use crate::policy::Limits;
use limits::{Budget, MIB};
use refusal::{past_declared_size, Damage, Refusal};

/// The container a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

/// Check a file before any workbook library parses it. `file_name` is the
/// name as shown to users (its extension helps name a WPS `.et`).
/// Returns the format, or the S01/S06 finding (anchor blank) to report.
pub fn prescan(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Finding> {
    prescan_keeping(file_name, bytes, limits).map(|s| s.format)
}

/// What a pre-scan that passed hands the reader.
pub struct Scanned {
    pub format: Format,
}

impl Scanned {
    /// The bytes for calamine: the file's own (the pre-scan keeps nothing
    /// of what it reads).
    pub fn parsed<'a>(&'a self, own: &'a [u8]) -> &'a [u8] {
        own
    }
}

/// [`prescan`], as a [`Scanned`] for the reader.
pub fn prescan_keeping(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Scanned, Finding> {
    scan(file_name, bytes, limits)
        .map(|format| Scanned { format })
        .map_err(Finding::from)
}

fn scan(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::EmptyFile);
    }
    if is_wps_name(file_name) {
        return Err(Refusal::WpsEt);
    }
    if let Some(r) = too_large(bytes.len() as u64, limits) {
        return Err(r);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return scan_zip(bytes, limits);
    }
    if bytes.starts_with(&cfb::CFB_MAGIC) {
        return cfb::scan_cfb(file_name, bytes, limits);
    }
    Err(Refusal::NotWorkbook(sniff(bytes)))
}

/// S06 for a file of `len` bytes over {max_file_mb}: decided from the size
/// alone, so `read_file` can say it before reading the file into memory.
pub fn file_too_large(len: u64, limits: &Limits) -> Option<Finding> {
    too_large(len, limits).map(Finding::from)
}

fn too_large(len: u64, limits: &Limits) -> Option<Refusal> {
    (len > max_file_bytes(limits)).then_some(Refusal::FileTooLarge {
        bytes: len,
        max_mb: limits.max_file_mb,
    })
}

/// {max_file_mb} in bytes.
pub fn max_file_bytes(limits: &Limits) -> u64 {
    limits.max_file_mb.saturating_mul(MIB)
}

/// S06 when `error`, from reading a part of an xlsx, is the zip crate
/// stopping it at its declared size: more came out than the directory
/// said (a zip bomb's lie). `part` says which part, for the message.
pub fn bigger_than_declared(error: &std::io::Error, part: &str) -> Option<Finding> {
    past_declared_size(error).then(|| {
        Refusal::BiggerThanDeclared {
            part: part.to_string(),
        }
        .into()
    })
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

// ------------------------------------------------------------ zip packages

enum ZipKind {
    /// xlsx/xlsm, with the workbook part's path as calamine computes it.
    Xlsx(String),
    Xlsb,
    Ods,
}

fn scan_zip(bytes: &[u8], limits: &Limits) -> Result<Format, Refusal> {
    let mut z = Zip::open(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let format = match classify(&mut z)? {
        ZipKind::Xlsx(wb) => {
            xlsx::scan_xlsx(&mut z, &wb, limits)?;
            Format::Xlsx
        }
        ZipKind::Xlsb => {
            xlsb::scan_xlsb(&mut z, limits, &mut budget)?;
            Format::Xlsb
        }
        ZipKind::Ods => {
            ods::scan_ods(&mut z, limits, &mut budget)?;
            Format::Ods
        }
    };
    z.scan_rest()?;
    Ok(format)
}

/// A path's folder (with its `/`) and file name.
fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    }
}

/// Which package a zip is, as calamine would open it.
fn classify(z: &mut Zip<'_>) -> Result<ZipKind, Refusal> {
    if let Some(i) = z.find("mimetype") {
        let m = z.read_small(i, 256)?;
        let m = String::from_utf8_lossy(&m);
        let m = m.trim();
        if m.starts_with(ods::ODS_MIME) {
            return Ok(ZipKind::Ods);
        }
        if m.starts_with("application/vnd.oasis.opendocument.text") {
            return Err(Refusal::OfficeDocument("文字处理文档(.odt)"));
        }
        if m.starts_with("application/vnd.oasis.opendocument.presentation") {
            return Err(Refusal::OfficeDocument("演示文稿(.odp)"));
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
                return Err(Refusal::OfficeDocument("Word 文档(.docx)"));
            }
            if lower.starts_with("ppt/") {
                return Err(Refusal::OfficeDocument("PowerPoint 演示文稿(.pptx)"));
            }
            if lower.ends_with(".bin") {
                if z.find("xl/workbook.bin").is_none() {
                    return Err(Damage::MissingWorkbook("xl/workbook.bin".to_string()).into());
                }
                return Ok(ZipKind::Xlsb);
            }
            return Ok(ZipKind::Xlsx(path));
        }
    }
    if z.has_prefix("word/") {
        return Err(Refusal::OfficeDocument("Word 文档(.docx)"));
    }
    if z.has_prefix("ppt/") {
        return Err(Refusal::OfficeDocument("PowerPoint 演示文稿(.pptx)"));
    }
    if z.find("xl/workbook.bin").is_some() {
        return Ok(ZipKind::Xlsb);
    }
    if z.find("xl/workbook.xml").is_some() {
        return Err(Damage::MissingPackageRels.into());
    }
    if z.has_prefix("xl/") {
        return Err(Damage::MissingWorkbook("xl/workbook.xml".to_string()).into());
    }
    if z.find("content.xml").is_some() {
        if let Some(i) = z.find("META-INF/manifest.xml") {
            let m = ods::manifest(z, i)?;
            if m.encrypted {
                return Err(Refusal::Encrypted);
            }
            if m.root_media
                .as_deref()
                .is_some_and(|t| t.starts_with(ods::ODS_MIME))
            {
                return Ok(ZipKind::Ods);
            }
        }
    }
    Err(Refusal::ZipWithoutWorkbook)
}

// ------------------------------------------------------- binary records

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

#[cfg(test)]
mod tests {
    use super::kit::*;
    use super::*;
    use crate::finding::Code;
    use crate::kit::handzip::PKG_RELS;
    use std::time::{Duration, Instant};

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
    fn wps_et_files_are_s01_by_name() {
        for name in ["白砂镇6月.et", "模板.ETT", "d:\\报表\\白砂镇.et"] {
            let f = rejects(name, &small_xlsx(), Code::S01, "WPS");
            assert!(f.message.contains("另存为") && f.message.contains(".xlsx"));
        }
        assert!(prescan("et.xlsx", &small_xlsx(), &limits()).is_ok());
    }

    #[test]
    fn file_over_max_file_mb_is_s06() {
        let mut l = limits();
        l.max_file_mb = 0;
        let f = prescan("白砂镇.xlsx", &small_xlsx(), &l).unwrap_err();
        assert_eq!(f.code, Code::S06);
        assert!(f.message.contains("超过允许的 0 MB"), "{}", f.message);
        assert_eq!(file_too_large(1, &l), Some(f));
        assert_eq!(file_too_large(0, &l), None);
    }

    #[test]
    fn worksheets_are_read_from_the_files_own_bytes() {
        for (name, b) in [
            ("白砂镇.xlsx", small_xlsx()),
            ("白砂镇.xls", xls(&[], &[number(0, 0, 1.0)])),
        ] {
            let scanned = prescan_keeping(name, &b, &limits()).unwrap();
            assert!(std::ptr::eq(scanned.parsed(&b), &b[..]), "{name}");
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
}
