//! Files of the service: every uploaded version under
//! `报送/<period>/<乡镇代码>/` (named by the server), the accepted return
//! `<period>/<乡镇代码>_<乡镇名>_<period>.<ext>` replaced atomically.
//!
//! Every file is written to a hidden temporary file in its own folder,
//! synced, renamed into place, and the folder synced: a crash leaves the
//! old file or the new one, never a partial one. Temporary files are named
//! `.huizong-<pid>-<n>.tmp` and removed at the next start.

use super::engine;
use super::engine::Month as Period;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

const TEMP_PREFIX: &str = ".huizong-";
const TEMP_SUFFIX: &str = ".tmp";

/// The uploaded name as text to show: control characters dropped, at most
/// 200 characters; never used as a path.
pub(crate) fn display_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() {
        "(未命名文件)".into()
    } else {
        clean
    }
}

/// The extension to keep: the uploaded name's, when it is one of the
/// return endings; else `xlsx`.
pub(crate) fn extension(uploaded: &str) -> String {
    let base = uploaded.rsplit(['/', '\\']).next().unwrap_or(uploaded);
    match base.rsplit_once('.') {
        Some((_, e)) if engine::return_extensions().contains(&e.to_ascii_lowercase().as_str()) => {
            e.to_ascii_lowercase()
        }
        _ => "xlsx".into(),
    }
}

/// `<乡镇代码>_<乡镇名>_<period>.<ext>`.
pub(crate) fn accepted_name(township: &str, name: &str, period: Period, ext: &str) -> String {
    engine::safe_file_name(&format!("{township}_{name}_{period}.{ext}"))
}

/// The folder of a township's uploaded versions.
pub(crate) fn versions_dir(ws: &Path, period: Period, township: &str) -> PathBuf {
    ws.join("报送").join(period.to_string()).join(township)
}

pub(crate) fn version_path(ws: &Path, period: Period, township: &str, stored: &str) -> PathBuf {
    versions_dir(ws, period, township).join(stored)
}

/// Keep an uploaded version, named by its SHA-256: `<sha256>.<ext>`.
pub(crate) fn save_version(
    ws: &Path,
    period: Period,
    township: &str,
    sha256: &str,
    ext: &str,
    bytes: &[u8],
) -> io::Result<PathBuf> {
    let dir = versions_dir(ws, period, township);
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{sha256}.{ext}"));
    if sha256_of(&path).as_deref() != Some(sha256) {
        write_atomic(&dir, &path, bytes)?;
    }
    Ok(path)
}

/// Put the accepted return in place atomically.
pub(crate) fn accept(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    write_atomic(dir, &dir.join(name), bytes)
}

/// Remove an earlier accepted file of the same township under another
/// extension, so two web submissions never meet (Y01/Y03).
pub(crate) fn remove_other_extensions(
    dir: &Path,
    township: &str,
    name: &str,
    period: Period,
    keep: &str,
) {
    let mut removed = false;
    for ext in engine::return_extensions() {
        if *ext == keep {
            continue;
        }
        let p = dir.join(accepted_name(township, name, period, ext));
        if p.exists() && fs::remove_file(&p).is_ok() {
            removed = true;
        }
    }
    if removed {
        sync_dir(dir);
    }
}

/// Take a returned file out of the period folder, when it is still the
/// one the ledger accepted (a file replaced by hand is left alone).
pub(crate) fn withdraw(dir: &Path, name: &str, sha256: &str) -> io::Result<()> {
    let p = dir.join(name);
    if sha256_of(&p).as_deref() == Some(sha256) {
        fs::remove_file(&p)?;
        sync_dir(dir);
    }
    Ok(())
}

/// The SHA-256 of a file, if it can be read.
pub fn sha256_of(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    Some(engine::sha256_hex(&bytes))
}

fn temp_in(dir: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(
        "{TEMP_PREFIX}{}-{n}{TEMP_SUFFIX}",
        std::process::id()
    ))
}

/// Temporary file in `dir`, fsync, rename over `path`, fsync `dir`.
pub(crate) fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_in(dir);
    let r = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir);
        Ok(())
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r
}

/// Make a rename durable (on systems that can sync a folder).
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A scratch file for a workbook made on request (removed by the caller).
pub(crate) fn scratch_path(ws: &Path, ext: &str) -> PathBuf {
    let dir = ws.join("报送").join("临时");
    let _ = fs::create_dir_all(&dir);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let r = super::accounts::random_hex::<8>();
    dir.join(format!("{}-{n}-{r}.{ext}", std::process::id()))
}

/// A new empty scratch folder for workbooks made on request (removed by
/// the caller; whatever a crash leaves is removed at the next start).
pub(crate) fn scratch_dir(ws: &Path) -> io::Result<PathBuf> {
    let dir = scratch_path(ws, "d");
    fs::create_dir(&dir)?;
    Ok(dir)
}

/// Remove the service's temporary files left by a crash: in `报送/`
/// (recursively) and in each month folder of the workspace.
pub(crate) fn remove_temp_files(ws: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    fn walk(dir: &Path, depth: usize, removed: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if depth > 0 {
                    walk(&p, depth - 1, removed);
                }
            } else if name.starts_with(TEMP_PREFIX)
                && name.ends_with(TEMP_SUFFIX)
                && fs::remove_file(&p).is_ok()
            {
                removed.push(p);
            }
        }
    }
    walk(&ws.join("报送"), 3, &mut removed);
    let _ = fs::remove_dir_all(ws.join("报送").join("临时"));
    if let Ok(entries) = fs::read_dir(ws) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() && Period::parse(&name).is_some_and(|p| p.to_string() == name) {
                walk(&e.path(), 0, &mut removed);
            }
        }
    }
    removed
}

/// The `.xlsx` files of a folder in one zip (in memory).
pub(crate) fn zip_folder(dir: &Path) -> io::Result<Vec<u8>> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = engine::file_name(p);
            p.is_file() && n.ends_with(".xlsx") && !n.starts_with('.')
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "文件夹中没有反馈工作簿",
        ));
    }
    let mut out = io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for p in names {
            z.start_file(engine::file_name(&p), opts)
                .map_err(io::Error::other)?;
            z.write_all(&fs::read(&p)?)?;
        }
        z.finish().map_err(io::Error::other)?;
    }
    Ok(out.into_inner())
}
