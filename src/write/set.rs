//! The workbooks of one run as one set (`outputs.md`): each is written
//! completely to a temporary file beside its place, and only when every one
//! is complete are they flushed to disk together and renamed into place —
//! the files they replace moved aside first and put back if any rename
//! fails. So a failure leaves the previous set whole, never a new tier
//! workbook beside an old county workbook, and a crash leaves whole files
//! only.

use super::atomic::{self, explain};
use anyhow::anyhow;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files written but not yet in place.
#[derive(Default)]
pub(crate) struct OutputSet {
    /// (temporary file, final place), in the order written.
    staged: Mutex<Vec<(PathBuf, PathBuf)>>,
    /// Folders this run owns whole (反馈/): a file there that the new set
    /// does not write is the previous run's and goes with it.
    owned: Vec<PathBuf>,
}

impl OutputSet {
    pub(crate) fn new() -> OutputSet {
        OutputSet::default()
    }

    /// Own folder `dir` whole: its `.xlsx` files not in the new set are
    /// removed when the set is put in place.
    pub(crate) fn own_folder(&mut self, dir: &Path) {
        self.owned.push(dir.to_path_buf());
    }

    /// Write a workbook to a temporary file for `path`.
    pub(crate) fn save(
        &self,
        wb: &mut rust_xlsxwriter::Workbook,
        path: &Path,
    ) -> anyhow::Result<()> {
        let tmp = atomic::stage(path, |f| atomic::stream_workbook(wb, f))
            .map_err(|e| anyhow!(explain(&e, path)))?;
        self.push(tmp, path);
        Ok(())
    }

    /// Write bytes to a temporary file for `path`.
    pub(crate) fn write_bytes(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        use std::io::Write;
        let tmp = atomic::stage(path, |mut f| f.write_all(bytes))
            .map_err(|e| anyhow!(explain(&e, path)))?;
        self.push(tmp, path);
        Ok(())
    }

    /// Take a temporary file written elsewhere (in the folder of `path`)
    /// into the set, for `path`.
    pub(crate) fn adopt(&self, tmp: PathBuf, path: &Path) {
        self.push(tmp, path);
    }

    fn push(&self, tmp: PathBuf, path: &Path) {
        // A poisoned lock means another writer panicked: the run is over.
        if let Ok(mut s) = self.staged.lock() {
            s.push((tmp, path.to_path_buf()));
        }
    }

    /// Put every file in place; on any failure nothing of the new set is,
    /// and every file it would have replaced is back.
    pub(crate) fn commit(mut self) -> anyhow::Result<()> {
        let staged = std::mem::take(
            self.staged
                .get_mut()
                .map_err(|_| anyhow!("写出工作簿的线程出错,本次没有写出任何文件"))?,
        );
        let mut finals: std::collections::HashSet<&Path> = std::collections::HashSet::new();
        // Two files for one place: one would be lost. Nothing is put in
        // place rather than that.
        if let Some((_, twice)) = staged.iter().find(|(_, p)| !finals.insert(p.as_path())) {
            for (tmp, _) in &staged {
                let _ = fs::remove_file(tmp);
            }
            return Err(anyhow!(
                "内部错误:本次要写出的两个文件同名({}),为免其中一个丢失,没有写出任何文件。请把这条信息告诉开发者",
                twice.display()
            ));
        }
        // The files to move aside: the finals that exist, and the previous
        // run's files of owned folders.
        let mut aside: Vec<PathBuf> = staged
            .iter()
            .map(|(_, p)| p.clone())
            .filter(|p| fs::symlink_metadata(p).is_ok())
            .collect();
        for dir in &self.owned {
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.')
                    && name.ends_with(".xlsx")
                    && !finals.contains(p.as_path())
                {
                    aside.push(p);
                }
            }
        }
        // Every new file on disk before any name points at it.
        let tmps: Vec<&Path> = staged.iter().map(|(t, _)| t.as_path()).collect();
        let result = match atomic::flush(&tmps) {
            Ok(()) => swap(&staged, &aside),
            Err(e) => Err(anyhow!(explain(
                &e,
                staged.first().map_or(Path::new("."), |(_, p)| p.as_path())
            ))),
        };
        if result.is_err() {
            for (tmp, _) in &staged {
                let _ = fs::remove_file(tmp);
            }
        }
        result
    }
}

impl Drop for OutputSet {
    /// A set dropped without being put in place leaves nothing behind.
    fn drop(&mut self) {
        if let Ok(staged) = self.staged.get_mut() {
            for (tmp, _) in staged.drain(..) {
                let _ = fs::remove_file(tmp);
            }
        }
    }
}

/// Move `aside` out of the way, the staged files in, then drop what was
/// moved aside; undo on the first failure.
fn swap(staged: &[(PathBuf, PathBuf)], aside: &[PathBuf]) -> anyhow::Result<()> {
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let undo_aside = |moved: &[(PathBuf, PathBuf)]| {
        for (from, to) in moved.iter().rev() {
            let _ = fs::rename(to, from);
        }
    };
    for p in aside {
        if staged.iter().any(|(_, f)| f == p) && p.is_dir() {
            undo_aside(&moved);
            return Err(anyhow!(explain(
                &std::io::ErrorKind::IsADirectory.into(),
                p
            )));
        }
        let backup = atomic::aside_path(p);
        if let Err(e) = fs::rename(p, &backup) {
            undo_aside(&moved);
            return Err(anyhow!(explain(&e, p)));
        }
        moved.push((p.clone(), backup));
    }
    let mut placed: Vec<&Path> = Vec::new();
    for (tmp, path) in staged {
        if let Err(e) = fs::rename(tmp, path) {
            for p in &placed {
                let _ = fs::remove_file(p);
            }
            undo_aside(&moved);
            return Err(anyhow!(explain(&e, path)));
        }
        placed.push(path);
    }
    for (_, backup) in &moved {
        let _ = fs::remove_file(backup);
    }
    let mut dirs: Vec<&Path> = staged.iter().filter_map(|(_, p)| p.parent()).collect();
    dirs.dedup();
    for d in dirs {
        atomic::sync_dir(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_set_goes_in_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let fb = d.join("反馈");
        fs::create_dir(&fb).unwrap();
        fs::write(d.join("a.xlsx"), b"old a").unwrap();
        fs::write(fb.join("stale.xlsx"), b"old feedback").unwrap();
        // The second target is a folder: nothing of the new set goes in.
        fs::create_dir(d.join("b.xlsx")).unwrap();
        let mut set = OutputSet::new();
        set.own_folder(&fb);
        set.write_bytes(&d.join("a.xlsx"), b"new a").unwrap();
        set.write_bytes(&d.join("b.xlsx"), b"new b").unwrap();
        set.write_bytes(&fb.join("x.xlsx"), b"new x").unwrap();
        let e = set.commit().unwrap_err().to_string();
        assert!(e.contains("同名的文件夹") && e.contains("b.xlsx"), "{e}");
        assert_eq!(fs::read(d.join("a.xlsx")).unwrap(), b"old a");
        assert_eq!(names(&fb), ["stale.xlsx"]);
        assert_eq!(names(d), ["a.xlsx", "b.xlsx", "反馈"]);
        // With the folder gone, the set goes in, the stale feedback out.
        fs::remove_dir(d.join("b.xlsx")).unwrap();
        let mut set = OutputSet::new();
        set.own_folder(&fb);
        set.write_bytes(&d.join("a.xlsx"), b"new a").unwrap();
        set.write_bytes(&fb.join("x.xlsx"), b"new x").unwrap();
        set.commit().unwrap();
        assert_eq!(fs::read(d.join("a.xlsx")).unwrap(), b"new a");
        assert_eq!(names(&fb), ["x.xlsx"]);
        assert_eq!(names(d), ["a.xlsx", "反馈"]);
    }

    #[test]
    fn two_files_for_one_place_put_nothing_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.xlsx"), b"old a").unwrap();
        let set = OutputSet::new();
        set.write_bytes(&d.join("a.xlsx"), b"first").unwrap();
        set.write_bytes(&d.join("a.xlsx"), b"second").unwrap();
        let e = set.commit().unwrap_err().to_string();
        assert!(e.contains("两个文件同名") && e.contains("a.xlsx"), "{e}");
        assert_eq!(fs::read(d.join("a.xlsx")).unwrap(), b"old a");
        assert_eq!(names(d), ["a.xlsx"]);
    }

    #[test]
    fn a_dropped_set_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let set = OutputSet::new();
        set.write_bytes(&dir.path().join("a.xlsx"), b"a").unwrap();
        drop(set);
        assert!(names(dir.path()).is_empty());
    }
}
