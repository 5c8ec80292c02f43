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
use std::path::{Path, PathBuf};

/// Write `l`'s feedback workbook, with `findings`, named `of`, into `set`.
fn write_one(
    set: &OutputSet,
    dir: &Path,
    of: FeedbackOf<'_>,
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
    feedback::write_into(set, dir, of, &input)
}

/// Write the batch's feedback workbooks under `<dir>/反馈/` into `set`, in
/// parallel (each is its own file); how many.
pub(crate) fn write_all(
    set: &OutputSet,
    dir: &Path,
    batch: &Batch,
    policy: &Policy,
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
    }
    jobs.extend(
        batch
            .orphans
            .iter()
            .map(|i| Job::File(&batch.files[*i].loaded)),
    );
    jobs.par_iter()
        .map(|job| match job {
            Job::File(l) => write_one(
                set,
                &target,
                FeedbackOf::File(&l.file),
                l,
                &l.findings,
                policy,
                period,
            ),
            Job::Township(t, l) => {
                // The judged file's findings and the Y01 of its superseded files.
                let mut findings = l.findings.clone();
                for i in &t.files {
                    if batch.files[*i].status == Status::Superseded {
                        findings.extend(batch.files[*i].loaded.findings.iter().cloned());
                    }
                }
                crate::finding::sort(&mut findings);
                let of = FeedbackOf::Township {
                    code: &t.code,
                    name: &t.name,
                    period: batch.period,
                };
                write_one(set, &target, of, l, &findings, policy, period)
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(|written| written.len())
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
    let n = write_all(&set, dir, batch, policy)?;
    set.commit()?;
    Ok(n)
}

/// The feedback workbook of one checked file, named by the file
/// (`<文件名>_校验结果.xlsx`) in `dir`: its path, or `None` when the file
/// has no finding (`check --feedback`, the reporting service).
pub fn write_file_feedback(
    dir: &Path,
    loaded: &Loaded,
    policy: &Policy,
    period: Option<Period>,
) -> anyhow::Result<Option<PathBuf>> {
    if loaded.findings.is_empty() {
        return Ok(None);
    }
    let period = period.or_else(|| loaded.cover.as_ref().and_then(|c| c.period));
    let set = OutputSet::new();
    let of = FeedbackOf::File(&loaded.file);
    let path = write_one(&set, dir, of, loaded, &loaded.findings, policy, period)?;
    set.commit()?;
    Ok(Some(path))
}
