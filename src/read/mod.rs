//! Reading a return: pre-scan, calamine into sparse sheets, then the typed
//! rows of the schema with the findings met on the way (S, C01–C03, C06, V).

pub(crate) mod county;
pub(crate) mod cover;
pub(crate) mod header;
pub(crate) mod marker;
pub mod normalise;
pub(crate) mod prescan;
pub(crate) mod table;
pub mod workbook;

use crate::finding::{Code, Finding, Level};
use crate::model::{Explanation, Loaded, Return};
use crate::policy::{hex, Policy};
use crate::read::normalise::{sheet_key, Period};
use crate::read::workbook::RawWorkbook;
use crate::schema::{self, Col, SheetId};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Excel's limit on the characters of one cell (S07).
pub(crate) const EXCEL_TEXT_LIMIT: usize = 32_767;

/// The name a file is shown by: its file name.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// File endings read as returns.
pub const RETURN_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "et", "ett"];

/// Does the file's name end as a spreadsheet's (WPS `.et` included, so it
/// gets its S01 saying to save it as .xlsx)?
pub(crate) fn is_spreadsheet_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    RETURN_EXTENSIONS.contains(&ext.as_str())
}

/// The files in a folder that look like returns (by ending), sorted by name
/// in Unicode code point order. Office lock files (`~$…`) and hidden files
/// are left out.
pub fn spreadsheet_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = display_name(&path);
        if name.starts_with("~$")
            || name.starts_with('.')
            || !is_spreadsheet_name(&path)
            || path.is_dir()
        {
            continue;
        }
        out.push(path);
    }
    out.sort_by_key(|p| display_name(p));
    Ok(out)
}

/// Read and check the structure of one return file. Never fails: whatever
/// goes wrong is a finding. `expected` is the period being consolidated (C03).
pub fn read_file(path: &Path, policy: &Policy, expected: Option<Period>) -> Loaded {
    read_file_keeping(path, policy, expected, true)
}

/// [`read_file`] for a batch: the file's cells (`Loaded::raw`) are dropped
/// once the typed rows are read, so memory does not grow with the number
/// of returns; [`raw_of`] reads them again for the few files that need a
/// feedback workbook.
pub(crate) fn read_file_lean(path: &Path, policy: &Policy, expected: Option<Period>) -> Loaded {
    read_file_keeping(path, policy, expected, false)
}

fn read_file_keeping(
    path: &Path,
    policy: &Policy,
    expected: Option<Period>,
    keep_raw: bool,
) -> Loaded {
    let file = display_name(path);
    if let Some(rest) = file.strip_prefix("~$") {
        // Excel and WPS leave this beside a file they have open (for a long
        // name, in place of its first two characters).
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let open = std::fs::read_dir(dir)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("~$") && n.ends_with(rest))
            .min_by_key(|n| n.len())
            .unwrap_or_else(|| rest.to_string());
        let f = Finding::new(
            Code::S01,
            format!("这是 Excel 或 WPS 打开“{open}”时临时生成的锁定文件,不是月报。请在 Excel 或 WPS 中关闭“{open}”,然后校验“{open}”本身"),
        );
        return finish(
            file,
            path,
            String::new(),
            None,
            None,
            RawWorkbook::default(),
            vec![f],
        );
    }
    match read_limited(path, &policy.limits) {
        Ok(bytes) => {
            let mut l = read_bytes(&file, path, &bytes, policy, expected);
            if !keep_raw {
                l.raw = RawWorkbook::default();
            }
            l
        }
        Err(f) => finish(
            file,
            path,
            String::new(),
            None,
            None,
            RawWorkbook::default(),
            vec![f],
        ),
    }
}

/// Ask the system to start reading `path` into its cache and return at
/// once, so that the file is there when its reader comes to it. Only a
/// regular file is touched, opened without waiting (a named pipe would
/// block); anything that fails is left to the reader to report.
pub(crate) fn read_soon(path: &Path) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return;
        }
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path);
        if let Ok(f) = opened {
            // SAFETY: `f` is an open file for the duration of the call; the
            // advice changes no data.
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = path;
}

/// The bytes of a file listed as a return, or the S01/S06 finding that says
/// why not. Only a regular file is opened (a link to one is followed): a
/// named pipe or a device named like a return would block, or never end. A
/// file over {max_file_mb} is not read at all, and no more than that limit
/// is ever read (the file may grow between the look and the read).
#[allow(clippy::result_large_err)] // a finding is rare, never on a hot path
fn read_limited(path: &Path, limits: &crate::policy::Limits) -> Result<Vec<u8>, Finding> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    if meta.is_dir() {
        return Err(Finding::new(
            Code::S01,
            "这是一个文件夹,不是 Excel 文件。请把月报文件本身放入报表文件夹",
        ));
    }
    if !meta.is_file() {
        return Err(Finding::new(
            Code::S01,
            "这不是普通文件(可能是管道、设备或特殊文件),无法作为工作簿读取。请放入用 Excel 或 WPS 保存的 .xlsx 文件",
        ));
    }
    if let Some(f) = prescan::file_too_large(meta.len(), limits) {
        return Err(f);
    }
    let max = prescan::max_file_bytes(limits);
    let f = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, &e))?;
    Ok(bytes)
}

/// A file's cells for its feedback workbook: the ones kept at reading, or
/// the file read again — only when its bytes still hash to what was
/// checked (a file changed during the run gets no copied sheets rather than
/// someone else's cells).
pub(crate) fn raw_of<'a>(l: &'a Loaded, policy: &Policy) -> std::borrow::Cow<'a, RawWorkbook> {
    use std::borrow::Cow;
    if !l.raw.sheets.is_empty() || l.sha256.is_empty() {
        return Cow::Borrowed(&l.raw);
    }
    let Ok(bytes) = read_limited(&l.path, &policy.limits) else {
        return Cow::Owned(RawWorkbook::default());
    };
    if hex(&Sha256::digest(&bytes)) != l.sha256 {
        return Cow::Owned(RawWorkbook::default());
    }
    let Ok(format) = prescan::prescan(&l.file, &bytes, &policy.limits) else {
        return Cow::Owned(RawWorkbook::default());
    };
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        workbook::open(&bytes, format, &policy.limits)
    }));
    Cow::Owned(match opened {
        Ok(Ok(raw)) => raw,
        Ok(Err(_)) | Err(_) => RawWorkbook::default(),
    })
}

/// S01 for a file that cannot be opened or read, saying why in words.
fn unreadable(path: &Path, e: &std::io::Error) -> Finding {
    use std::io::ErrorKind;
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let message = match e.kind() {
        ErrorKind::NotFound if link => {
            let target = std::fs::read_link(path)
                .map(|t| format!("“{}”", t.display()))
                .unwrap_or_default();
            format!("该文件是一个链接(快捷方式),它指向的文件{target}不存在。请把月报文件本身放入报表文件夹,然后重新运行")
        }
        ErrorKind::NotFound => {
            "文件不存在:可能在读取前被移走、改名或删除。请确认文件仍在报表文件夹中,然后重新运行"
                .to_string()
        }
        ErrorKind::PermissionDenied => {
            "没有读取该文件的权限。请检查文件的权限设置,或把文件另存一份后重新运行".to_string()
        }
        _ => format!("无法读取文件({e})。请确认文件存在、未被其他程序占用,然后重新运行"),
    };
    Finding::new(Code::S01, message)
}

/// Which way `read_bytes` went: tests and the fuzzer tell the expected
/// refusals apart from a library panic that `catch_unwind` stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadPath {
    /// The pre-scan refused the file (S01/S06); no library saw it.
    Refused,
    /// calamine returned an error (S01).
    OpenFailed,
    /// calamine panicked; `catch_unwind` turned it into S01. A bug to fix:
    /// the pre-scan should have refused the file.
    Panicked,
    /// The workbook was read (its findings may still include a fatal one,
    /// e.g. a missing sheet).
    Read,
    /// The tool's own county or tier workbook: not read as a return.
    Own,
}

/// Read a return from bytes already in memory (the bytes are hashed once).
pub fn read_bytes(
    file: &str,
    path: &Path,
    bytes: &[u8],
    policy: &Policy,
    expected: Option<Period>,
) -> Loaded {
    read_bytes_traced(file, path, bytes, policy, expected).0
}

/// [`read_bytes`], also saying which way the read went.
pub fn read_bytes_traced(
    file: &str,
    path: &Path,
    bytes: &[u8],
    policy: &Policy,
    expected: Option<Period>,
) -> (Loaded, ReadPath) {
    let sha256 = hex(&Sha256::digest(bytes));
    let done = |cover, ret, raw, findings| {
        finish(
            file.to_string(),
            path,
            sha256.clone(),
            cover,
            ret,
            raw,
            findings,
        )
    };
    let scanned = match prescan::prescan_keeping(file, bytes, &policy.limits) {
        Ok(s) => s,
        Err(finding) => {
            return (
                done(None, None, RawWorkbook::default(), vec![finding]),
                ReadPath::Refused,
            )
        }
    };
    if scanned.format == prescan::Format::Xlsx {
        if let Some(kind) = marker::output_kind(bytes) {
            let mut l = done(None, None, RawWorkbook::default(), Vec::new());
            l.own_output = Some(kind);
            return (l, ReadPath::Own);
        }
    }
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        workbook::open(scanned.parsed(bytes), scanned.format, &policy.limits)
    }));
    let raw = match opened {
        Ok(Ok(raw)) => raw,
        Ok(Err(workbook::OpenError::Refused(f))) => {
            return (
                done(None, None, RawWorkbook::default(), vec![*f]),
                ReadPath::Refused,
            );
        }
        Ok(Err(e)) => {
            let f = Finding::new(
                Code::S01,
                format!("文件已损坏,无法作为工作簿打开({e})。请在 Excel 或 WPS 中打开、另存为 .xlsx 后重新报送"),
            );
            return (
                done(None, None, RawWorkbook::default(), vec![f]),
                ReadPath::OpenFailed,
            );
        }
        Err(_) => {
            let f = Finding::new(
                Code::S01,
                "文件已损坏,读取时出错。请在 Excel 或 WPS 中打开、另存为 .xlsx 后重新报送",
            );
            return (
                done(None, None, RawWorkbook::default(), vec![f]),
                ReadPath::Panicked,
            );
        }
    };
    let (cover, ret, findings) = parse(&raw, expected);
    (done(cover, ret, raw, findings), ReadPath::Read)
}

fn finish(
    file: String,
    path: &Path,
    sha256: String,
    cover: Option<crate::model::Cover>,
    ret: Option<Return>,
    raw: RawWorkbook,
    mut findings: Vec<Finding>,
) -> Loaded {
    let township = cover.as_ref().and_then(|c| c.township_code.as_deref());
    crate::finding::stamp(&mut findings, &file, township);
    Loaded {
        file,
        path: path.to_path_buf(),
        sha256,
        cover,
        ret,
        raw,
        findings,
        own_output: None,
    }
}

/// Sheets, cover and tables of a parsed workbook. With a fatal finding only
/// the S and C01–C03 findings are kept, and there is no return.
pub(crate) fn parse(
    raw: &RawWorkbook,
    expected: Option<Period>,
) -> (Option<crate::model::Cover>, Option<Return>, Vec<Finding>) {
    let mut out = Vec::new();
    let find = |name: &str| {
        raw.sheets
            .iter()
            .find(|s| sheet_key(&s.name) == sheet_key(name))
    };
    let found: Vec<String> = raw.sheets.iter().map(|s| format!("“{}”", s.name)).collect();
    let found = if found.is_empty() {
        "(没有工作表)".to_string()
    } else {
        found.join("、")
    };
    let missing = |name: &str| {
        Finding::new(
            Code::S02,
            format!(
                "缺少工作表“{name}”。文件中的工作表有:{found}。请使用 huizong template 生成的模板填报,不要删除工作表或改动表名"
            ),
        )
    };

    let cover = match find(schema::COVER_SHEET) {
        Some(sheet) => Some(cover::read(sheet, expected, &mut out)),
        None => {
            out.push(missing(schema::COVER_SHEET));
            None
        }
    };
    // Exactly as many as there are data sheets: a province holds 150,000
    // returns' tables until the writers are done.
    let mut tables = Vec::with_capacity(schema::DATA_SHEETS.len());
    for spec in schema::DATA_SHEETS {
        match find(spec.name) {
            Some(sheet) => {
                if let Some(t) = table::read(sheet, spec, &mut out) {
                    tables.push(t);
                }
            }
            None if spec.required => out.push(missing(spec.name)),
            None => {}
        }
    }
    for name in [schema::COVER_SHEET]
        .into_iter()
        .chain(schema::DATA_SHEETS.iter().map(|s| s.name))
    {
        if let Some(sheet) = find(name) {
            long_texts(sheet, &mut out);
        }
    }

    if out.iter().any(|f| f.level == Level::Fatal) {
        out.retain(|f| {
            f.code.as_str().starts_with('S') || matches!(f.code, Code::C01 | Code::C02 | Code::C03)
        });
        return (cover, None, out);
    }
    let cover = cover.expect("no fatal finding means the cover was read");
    let explanations = tables
        .iter()
        .find(|t| t.id() == SheetId::Explanations)
        .map(|t| {
            t.rows
                .iter()
                .filter_map(|r| {
                    let code = t.text(r, Col::RuleCode)?.trim().to_uppercase();
                    // Blank for a warning about the file or its cover.
                    let village = t
                        .text(r, Col::VillageCode)
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default();
                    let text = t.text(r, Col::Explanation)?.trim().to_string();
                    (!text.is_empty()).then_some(Explanation {
                        code,
                        village,
                        text,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let ret = Return {
        cover: cover.clone(),
        tables,
        explanations,
    };
    (Some(cover), Some(ret), out)
}

/// S07: a text longer than Excel's limit.
fn long_texts(sheet: &workbook::RawSheet, out: &mut Vec<Finding>) {
    let order = schema::ALL_SHEETS
        .iter()
        .position(|id| sheet_key(schema::sheet_name(*id)) == sheet_key(&sheet.name))
        .unwrap_or(0) as u8;
    for row in &sheet.rows {
        for cell in &row.cells {
            if let workbook::CellValue::Text(s) = &cell.value {
                // A text of no more bytes than the limit has no more
                // characters.
                if s.len() <= EXCEL_TEXT_LIMIT {
                    continue;
                }
                let n = s.chars().count();
                if n > EXCEL_TEXT_LIMIT {
                    out.push(
                        Finding::new(
                            Code::S07,
                            format!("单元格文字有 {n} 个字符,超过 Excel 上限 32767,输出时将截断。请精简内容"),
                        )
                        .at(&sheet.name, order, row.row, cell.col)
                        .value(s.chars().take(50).collect::<String>() + "…"),
                    );
                }
            }
        }
    }
}

/// Mark warnings that the return's 情况说明 explains: rule and village
/// match. A warning of no village — about the file or its cover (S04, S05,
/// S07, C05) — is explained by a row of its rule whose village code is
/// blank or the township's own code.
pub(crate) fn apply_explanations(
    findings: &mut [Finding],
    explanations: &[Explanation],
    township: Option<&str>,
) {
    for f in findings.iter_mut().filter(|f| f.level == Level::Warning) {
        let village = f.village.as_deref();
        f.explained = explanations.iter().any(|e| {
            e.code == f.code.as_str()
                && match village {
                    Some(v) => e.village == v,
                    None => e.village.is_empty() || Some(e.village.as_str()) == township,
                }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::template::{build, TemplateInput};

    /// Asking for a file to be read soon never waits on it: a named pipe
    /// with no writer (which an ordinary open would wait on for ever), a
    /// folder and a missing file are passed over; a regular file is left
    /// as it was.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn reading_soon_never_waits_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("管道.xlsx");
        let c = std::ffi::CString::new(pipe.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path for the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let file = dir.path().join("白砂镇.xlsx");
        std::fs::write(&file, b"PK\x03\x04 bytes").unwrap();
        let paths = [
            pipe,
            dir.path().to_path_buf(),
            dir.path().join("没有这个文件.xlsx"),
            file.clone(),
        ];
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for p in &paths {
                read_soon(p);
            }
            tx.send(()).unwrap();
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("read_soon waited on a named pipe");
        assert_eq!(std::fs::read(&file).unwrap(), b"PK\x03\x04 bytes");
    }

    /// The demo return as calamine reads it.
    fn demo_raw() -> RawWorkbook {
        let policy = Policy::default_rules();
        let fill = crate::kit::demo::fill(&crate::kit::demo::small_township(3, 1));
        let input = TemplateInput {
            policy: &policy,
            period: Some(Period {
                year: 2024,
                month: 6,
            }),
            fill: &fill,
        };
        let bytes = build(&input).unwrap().save_to_buffer().unwrap();
        workbook::open(
            &bytes,
            prescan::Format::Xlsx,
            &Policy::default_rules().limits,
        )
        .unwrap()
    }

    #[test]
    fn s07_text_longer_than_excel_allows() {
        let mut raw = demo_raw();
        let stars = raw
            .sheets
            .iter_mut()
            .find(|s| s.name == "星级申报")
            .unwrap();
        let col = crate::write::template::col_of(&schema::STARS, Col::Remark) as u32;
        let row = stars.rows.iter_mut().find(|r| r.row == 2).unwrap();
        row.cells.push(workbook::RawCell {
            col,
            value: workbook::CellValue::Text("长".repeat(40_000).into()),
        });
        row.cells.sort_by_key(|c| c.col);
        let (_, ret, findings) = parse(&raw, None);
        assert!(ret.is_some());
        let s07: Vec<_> = findings.iter().filter(|f| f.code == Code::S07).collect();
        assert_eq!(s07.len(), 1, "{findings:?}");
        assert_eq!(s07[0].location(), "星级申报!I3");
        assert_eq!(s07[0].level, Level::Warning);
        assert!(s07[0].message.contains("40000"));
    }

    #[test]
    fn stray_far_cell_is_kept_sparse_and_ignored() {
        let mut raw = demo_raw();
        let rooms = raw.sheets.iter_mut().find(|s| s.name == "功能室").unwrap();
        rooms.rows.push(workbook::RawRow {
            row: 1_048_575,
            cells: vec![workbook::RawCell {
                col: 16_383,
                value: workbook::CellValue::Text("x".into()),
            }],
        });
        let (_, _, findings) = parse(&raw, None);
        // A lone far cell is a row with no known column: blank, no finding.
        assert!(findings.is_empty(), "{findings:?}");
    }
}
