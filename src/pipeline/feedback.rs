//! Which feedback workbooks a period's batch gets (`outputs.md` "Feedback
//! workbook"): one per township with counted findings, named by the
//! township; a Y03 file or an unreadable file of no known township gets its
//! own, named by the file. And the one feedback workbook of a file checked
//! on its own (`check --feedback`, the reporting service).

use crate::batch::{Batch, Status};
use crate::finding::Finding;
use crate::model::Loaded;
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::write::feedback::{self, FeedbackInput, FeedbackOf};
use crate::write::set::OutputSet;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Write `l`'s feedback workbook, with `findings`, named `name`, into `set`.
fn write_one(
    set: &OutputSet,
    dir: &Path,
    name: &str,
    l: &Loaded,
    findings: &[Finding],
    policy: &Policy,
    period: Option<Period>,
) -> anyhow::Result<PathBuf> {
    let raw = crate::read::raw_of(l, policy);
    let input = FeedbackInput {
        raw: &raw,
        ret: l.ret.as_ref(),
        findings,
        title: &l.file,
        period,
        policy,
    };
    feedback::write_into(set, dir, name, &input)
}

/// Write the batch's feedback workbooks under `<dir>/反馈/` into `set`, in
/// parallel (each is its own file); how many.
pub(crate) fn write_all(
    set: &OutputSet,
    dir: &Path,
    batch: &Batch,
    policy: &Policy,
    early: Option<&Early>,
) -> anyhow::Result<usize> {
    use rayon::prelude::*;
    let period = Some(batch.period);
    let target = dir.join(feedback::FOLDER);
    // (whose, file, findings): a township's judged file with its findings
    // and the Y01 of its superseded files; a Y03 or orphan file on its own.
    // Each job's findings are gathered only when it runs: the findings of
    // a month with many are held once, not twice over.
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for t in &batch.townships {
        if t.errors + t.warnings == 0 {
            continue;
        }
        if t.status == Status::Rejected && t.judged.is_none() {
            // Y03: no file is used; each tied file hears of its own.
            let tied = t.files.iter().map(|i| &batch.files[*i]);
            jobs.extend(
                tied.filter(|f| f.status == Status::Rejected)
                    .map(|f| Job::File(&f.loaded)),
            );
            continue;
        }
        if let Some(j) = t.judged {
            jobs.push(Job::Township(t, &batch.files[j].loaded));
        }
        // An unreadable file beside the township's judged one hears of its
        // own fatal finding, under its own name.
        jobs.extend(
            batch
                .unreadable_beside(t)
                .map(|i| Job::File(&batch.files[i].loaded)),
        );
    }
    jobs.extend(
        batch
            .orphans
            .iter()
            .map(|i| Job::File(&batch.files[*i].loaded)),
    );
    let ofs: Vec<FeedbackOf<'_>> = jobs
        .iter()
        .map(|job| match job {
            Job::File(l) => FeedbackOf::File(&l.file),
            Job::Township(t, _) => FeedbackOf::Township {
                code: &t.code,
                name: &t.name,
                period: batch.period,
            },
        })
        .collect();
    let names = feedback::unique_names(&ofs);
    // A workbook written while reading, with exactly these findings, is
    // the one this would write: it is taken as it is.
    let write = |name: &str, l: &Loaded, findings: &[Finding]| {
        if let Some(tmp) = early.and_then(|e| e.take(l, findings)) {
            let path = target.join(name);
            set.adopt(tmp, &path);
            return Ok(path);
        }
        write_one(set, &target, name, l, findings, policy, period)
    };
    jobs.par_iter()
        .zip(&names)
        .map(|(job, name)| match job {
            Job::File(l) => write(name, l, &l.findings).map(Some),
            Job::Township(t, l) => {
                // The judged file's findings and the Y01 of its superseded files.
                let mut findings = l.findings.clone();
                for i in &t.files {
                    if batch.files[*i].status == Status::Superseded {
                        findings.extend(batch.files[*i].loaded.findings.iter().cloned());
                    }
                }
                // A clean return whose township counts only the finding of
                // an unreadable file beside it: that file's own workbook
                // says it all.
                if findings.is_empty() {
                    return Ok(None);
                }
                crate::finding::sort(&mut findings);
                write(name, l, &findings).map(Some)
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(|written| written.iter().flatten().count())
}

/// Feedback workbooks written while the returns are read. A return's cells
/// are in memory then, so its feedback workbook is made from them with the
/// findings the return's own checks give, instead of the file being read a
/// second time once the period is decided. The workbook is kept when the
/// findings its feedback ends up with are exactly those — for most files
/// they are; where they are not (a Y01 of a superseded file joins them, say)
/// it is dropped and written again from the file. The same writer makes
/// it from the same cells and findings either way, so the workbook is the
/// same.
pub(crate) struct Early {
    /// `<output>/反馈/`.
    dir: PathBuf,
    period: Period,
    /// Return file → (temporary workbook, digest of its findings).
    staged: Mutex<HashMap<PathBuf, (PathBuf, [u8; 32])>>,
}

impl Early {
    pub(crate) fn new(output: &Path, period: Period) -> Early {
        Early {
            dir: output.join(feedback::FOLDER),
            period,
            staged: Mutex::default(),
        }
    }

    /// Write `l`'s feedback workbook with `findings` to a temporary file, if
    /// it has any. A failure only means it is written later, where any
    /// error is reported.
    pub(crate) fn write(&self, l: &Loaded, findings: &[Finding], policy: &Policy) {
        use crate::write::atomic;
        if findings.is_empty() || std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let input = FeedbackInput {
            raw: &l.raw,
            ret: l.ret.as_ref(),
            findings,
            title: &l.file,
            period: Some(self.period),
            policy,
        };
        let Ok(mut wb) = feedback::build(&input) else {
            return;
        };
        let near = self
            .dir
            .join(feedback::file_name(FeedbackOf::File(&l.file)));
        let Ok(tmp) = atomic::stage(&near, |f| atomic::stream_workbook(&mut wb, f)) else {
            return;
        };
        if let Ok(mut staged) = self.staged.lock() {
            if let Some((old, _)) = staged.insert(l.path.clone(), (tmp, digest(findings))) {
                let _ = std::fs::remove_file(old);
            }
        }
    }

    /// The temporary workbook of `l`, if it was written with exactly
    /// `findings`; one written with others is removed.
    fn take(&self, l: &Loaded, findings: &[Finding]) -> Option<PathBuf> {
        let (tmp, d) = self.staged.lock().ok()?.remove(&l.path)?;
        if d == digest(findings) {
            Some(tmp)
        } else {
            let _ = std::fs::remove_file(tmp);
            None
        }
    }
}

impl Drop for Early {
    /// The workbooks no township's feedback took are removed.
    fn drop(&mut self) {
        if let Ok(staged) = self.staged.get_mut() {
            for (_, (tmp, _)) in staged.drain() {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// A digest of findings, every field of each.
fn digest(findings: &[Finding]) -> [u8; 32] {
    use std::hash::{Hash, Hasher};
    /// SHA-256 under `Hash`, which feeds every field (strings with their
    /// ends marked).
    struct Feed(Sha256);
    impl Hasher for Feed {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut feed = Feed(Sha256::new());
    findings.hash(&mut feed);
    feed.0.finalize().into()
}

/// One feedback workbook to write: a township's judged file, or a file on
/// its own (a Y03 file, an orphan), named by the file.
enum Job<'a> {
    /// The township and its judged file.
    Township(&'a crate::batch::TownshipEntry, &'a Loaded),
    File(&'a Loaded),
}

/// Write the batch's feedback workbooks under `<dir>/反馈/` as a set of
/// their own (for a caller that writes nothing else); how many.
pub fn write_feedback(dir: &Path, batch: &Batch, policy: &Policy) -> anyhow::Result<usize> {
    let mut set = OutputSet::new();
    set.own_folder(&dir.join(feedback::FOLDER));
    let n = write_all(&set, dir, batch, policy, None)?;
    set.commit()?;
    Ok(n)
}

/// The feedback workbook of one checked file in `dir`, named `name` (one
/// of [`feedback_names`]) or else by the file (`<文件名>_校验结果.xlsx`):
/// its path, or `None` when the file has no finding (`check --feedback`,
/// the reporting service).
pub fn write_file_feedback(
    dir: &Path,
    name: Option<&str>,
    loaded: &Loaded,
    policy: &Policy,
    period: Option<Period>,
) -> anyhow::Result<Option<PathBuf>> {
    if loaded.findings.is_empty() {
        return Ok(None);
    }
    let period = period.or_else(|| loaded.cover.as_ref().and_then(|c| c.period));
    let set = OutputSet::new();
    let name = match name {
        Some(n) => n.to_string(),
        None => feedback::file_name(FeedbackOf::File(&loaded.file)),
    };
    let path = write_one(&set, dir, &name, loaded, &loaded.findings, policy, period)?;
    set.commit()?;
    Ok(Some(path))
}

/// The names the feedback workbooks of `files` (file names, checked into
/// one folder) get, in order: each its own, where two files share a name
/// without their extension too.
pub fn feedback_names(files: &[&str]) -> Vec<String> {
    let ofs: Vec<FeedbackOf<'_>> = files.iter().map(|f| FeedbackOf::File(f)).collect();
    feedback::unique_names(&ofs)
}
