//! Atomic saves: a temporary file in the target folder renamed into place.
//!
//! The bytes go to `.<name>.<pid>.<n>.tmp` next to the target, are flushed
//! to disk, and the temporary file is renamed over the target. A crash or an
//! error at any step leaves either the old file or the complete new one —
//! never a half-written workbook — and the temporary file is removed.
//!
//! The output folder's lock (one run at a time) and the clean-up of an
//! interrupted run's temporary files live here too: they guard the same
//! writes.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent saves within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Save a workbook atomically at `path`, streamed into the temporary file
/// (a large workbook is never held whole in memory).
pub fn save(workbook: &mut rust_xlsxwriter::Workbook, path: &Path) -> io::Result<()> {
    write_with(path, |f| stream_workbook(workbook, f))
}

/// Stream a workbook into an open file.
pub(crate) fn stream_workbook(
    workbook: &mut rust_xlsxwriter::Workbook,
    f: &fs::File,
) -> io::Result<()> {
    let mut w = io::BufWriter::new(f);
    workbook
        .save_to_writer(&mut w)
        .map_err(|e| io::Error::other(format!("无法生成工作簿:{e}")))?;
    w.flush()
}

/// Write `bytes` to `path` atomically (temporary file, fsync, rename).
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |mut f| f.write_all(bytes))
}

/// [`write_bytes`] with the error in words a clerk can act on.
pub(crate) fn save_bytes(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_bytes(path, bytes).map_err(|e| anyhow::anyhow!(explain(&e, path)))
}

/// Let `fill` write the temporary file, then flush it to disk and rename it
/// into place; on any error the temporary file is removed.
fn write_with(path: &Path, fill: impl FnOnce(&fs::File) -> io::Result<()>) -> io::Result<()> {
    let tmp = stage(path, |f| {
        fill(f)?;
        f.sync_all()
    })?;
    match fs::rename(&tmp, path) {
        Ok(()) => {
            sync_dir(path.parent().unwrap_or(Path::new(".")));
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Let `fill` write a temporary file beside `path`; the temporary file's
/// path (removed again on any error). The file is not yet flushed to disk:
/// a set of files is flushed at once with [`flush`] before it is renamed
/// into place, rather than each waiting for the disk on its own.
pub(crate) fn stage(
    path: &Path,
    fill: impl FnOnce(&fs::File) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let tmp = hidden_beside(path, "tmp")?;
    let written = (|| {
        let f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        fill(&f)
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Flush written files to disk, so that renaming them into place can never
/// leave a name pointing at a file the disk does not hold yet. On Linux one
/// `syncfs` per file system flushes them all in one go (hundreds of
/// feedback workbooks would otherwise wait for the disk one by one);
/// elsewhere each file is flushed.
pub(crate) fn flush(files: &[&Path]) -> io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        let mut devices: Vec<u64> = Vec::new();
        for p in files {
            let dev = fs::metadata(p)?.dev();
            if devices.contains(&dev) {
                continue;
            }
            devices.push(dev);
            let f = fs::File::open(p)?;
            // SAFETY: `f` is an open file for the duration of the call.
            if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        for p in files {
            OpenOptions::new().write(true).open(p)?.sync_all()?;
        }
        Ok(())
    }
}

/// Where a file is moved aside while a new set goes in.
pub(crate) fn aside_path(path: &Path) -> PathBuf {
    hidden_beside(path, "old").unwrap_or_else(|_| path.with_extension("old"))
}

/// `.<name>.<pid>.<n>.<ending>` in the folder of `path`.
fn hidden_beside(path: &Path, ending: &str) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("“{}”不是文件路径", path.display()),
        )
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hidden = format!(
        ".{}.{}.{}.{ending}",
        name.to_string_lossy(),
        std::process::id(),
        n
    );
    Ok(match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(hidden),
        _ => PathBuf::from(hidden),
    })
}

/// The temporary file's path: same folder, hidden, ends with `.tmp`.
#[cfg(test)]
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    hidden_beside(path, "tmp")
}

/// Flush a folder's entries (best effort; not all systems can).
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A file-system error in words a clerk can act on (`outputs.md`: never a
/// bare operating-system error): the file open in Excel/WPS, a folder in
/// the way, the disk full, a folder not writable.
pub(crate) fn explain(e: &io::Error, path: &Path) -> String {
    use io::ErrorKind as K;
    let p = path.display();
    // Windows: the file is open in another program (sharing/lock violation).
    if matches!(e.raw_os_error(), Some(32 | 33)) {
        return format!("无法写入 {p}:文件正在被其他程序使用(可能在 Excel 或 WPS 中打开)。请关闭该文件后重新运行");
    }
    match e.kind() {
        K::IsADirectory => format!("无法写入 {p}:这个位置有一个同名的文件夹。请把该文件夹移走或改名后重新运行"),
        K::StorageFull => format!("无法写入 {p}:磁盘空间不足。请腾出输出文件夹所在磁盘的空间后重新运行"),
        K::ReadOnlyFilesystem => format!("无法写入 {p}:所在的磁盘是只读的。请用 -o 指定一个可以写入的文件夹"),
        K::PermissionDenied => format!("无法写入 {p}:没有写入权限,或文件正在 Excel 或 WPS 中打开。请关闭该文件、确认对输出文件夹有写入权限后重新运行"),
        K::NotFound => format!("无法写入 {p}:所在的文件夹不存在或已被移走。请确认输出文件夹存在后重新运行"),
        K::DirectoryNotEmpty => format!("无法写入 {p}:这个位置有一个同名的文件夹。请把该文件夹移走或改名后重新运行"),
        _ => format!("无法写入 {p}:{e}。请确认输出文件夹可以写入、文件没有在 Excel 或 WPS 中打开后重新运行"),
    }
}

/// A lock file in the output folder: a second run into the same folder
/// stops with exit 2 while this one runs. A lock left by a process that is
/// gone is taken over.
pub(crate) struct Lock {
    path: PathBuf,
}

impl Lock {
    pub(crate) fn take(dir: &Path) -> anyhow::Result<Lock> {
        use anyhow::{bail, Context as _};
        fs::create_dir_all(dir).with_context(|| format!("无法创建输出文件夹 {}", dir.display()))?;
        let path = dir.join(".huizong.lock");
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&path).unwrap_or_default();
                    let alive = pid
                        .trim()
                        .parse::<u32>()
                        .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if alive || !Path::new("/proc/self").exists() {
                        bail!(
                            "另一个汇总(进程 {})正在写入 {}。请等它结束后再运行;如确认没有在运行,删除 {} 后重试",
                            pid.trim(),
                            dir.display(),
                            path.display()
                        );
                    }
                    let _ = fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("无法在输出文件夹 {} 中创建锁文件", dir.display())
                    })
                }
            }
        }
        bail!("无法取得输出文件夹 {} 的锁", dir.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Temporary files of an interrupted earlier run in `dir` and its `反馈/`
/// (call with the lock held, so no other run is writing them).
pub(crate) fn remove_stale_temp_files(dir: &Path) {
    for d in [dir.to_path_buf(), dir.join("反馈")] {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.xlsx");
        write_bytes(&p, b"one").unwrap();
        write_bytes(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn temp_name_is_hidden_with_pid() {
        let t = temp_path(Path::new("/x/结果.xlsx")).unwrap();
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".结果.xlsx."), "{name}");
        assert!(name.ends_with(".tmp"), "{name}");
        assert!(name.contains(&std::process::id().to_string()), "{name}");
        assert_eq!(t.parent(), Some(Path::new("/x")));
    }

    #[test]
    fn nonexistent_folder_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("没有这个文件夹").join("out.xlsx");
        assert!(write_bytes(&p, b"new").is_err());
        assert!(!p.exists());
    }

    #[test]
    fn failed_rename_leaves_the_target_intact() {
        // The target is a non-empty folder: the rename must fail after the
        // temporary file was written; the folder and its file stay, and the
        // temporary file is gone.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.xlsx");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"old").unwrap();
        assert!(write_bytes(&target, b"new").is_err());
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"old");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[cfg(unix)]
    #[test]
    fn read_only_folder_leaves_the_existing_file_intact() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        fs::create_dir(&sub).unwrap();
        let p = sub.join("out.xlsx");
        fs::write(&p, b"old").unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
        // Root ignores folder permissions; then there is nothing to test.
        let probe = sub.join(".probe");
        let enforced = fs::File::create(&probe).is_err();
        let _ = fs::remove_file(&probe);
        let result = write_bytes(&p, b"new");
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        if enforced {
            assert!(result.is_err());
            assert_eq!(fs::read(&p).unwrap(), b"old");
            assert!(leftovers(&sub).is_empty());
        } else {
            eprintln!(
                "(running as root: read-only folder not enforced, checked the rename path instead)"
            );
        }
    }

    #[test]
    fn flushing_a_file_that_is_gone_fails() {
        let dir = tempfile::tempdir().unwrap();
        let a = stage(&dir.path().join("a.xlsx"), |mut f| f.write_all(b"a")).unwrap();
        let b = stage(&dir.path().join("b.xlsx"), |mut f| f.write_all(b"b")).unwrap();
        flush(&[&a, &b]).unwrap();
        assert_eq!(fs::read(&b).unwrap(), b"b");
        fs::remove_file(&b).unwrap();
        let e = flush(&[&b]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn saves_a_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("wb.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, "好").unwrap();
        save(&mut wb, &p).unwrap();
        assert!(fs::read(&p).unwrap().starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn a_workbook_that_cannot_be_made_leaves_the_old_file() {
        // Two sheets of one name: rust_xlsxwriter refuses at save, after
        // the temporary file was opened for streaming.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("wb.xlsx");
        fs::write(&p, b"old").unwrap();
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().set_name("表").unwrap();
        wb.add_worksheet().set_name("表").unwrap();
        let e = save(&mut wb, &p).unwrap_err();
        assert!(e.to_string().starts_with("无法生成工作簿:"), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert!(leftovers(dir.path()).is_empty());
    }
}
