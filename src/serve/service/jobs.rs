//! 汇总 runs: one at a time, on a thread of their own, through the
//! pipeline's consolidation, with its progress shown as files are read.

use super::{Fail, Period, Service, Session};
use crate::serve::{clock, engine};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A consolidation run.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Job {
    pub(crate) id: i64,
    pub(crate) period: String,
    pub(crate) state: &'static str,
    pub(crate) progress: u32,
    pub(crate) stage: String,
    pub(crate) summary: Option<String>,
    /// The rating's line, the run's notes and one line per township not
    /// used, as `huizong consolidate` prints them (this run only).
    pub(crate) notes: Vec<String>,
    pub(crate) files: Vec<String>,
    pub(crate) started: i64,
    pub(crate) finished: Option<i64>,
}

/// A run's progress as the pipeline reports it: reading is most of a run,
/// so it is shown file by file (5–80 %); checking, rating and writing the
/// workbooks are the rest.
struct Watch<'a> {
    svc: &'a Service,
    id: i64,
    total: AtomicUsize,
    read: AtomicUsize,
}

impl Watch<'_> {
    fn set(&self, progress: u32, stage: String) {
        let mut jobs = self.svc.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = jobs.get_mut(&self.id) {
            j.progress = progress;
            j.stage = stage;
        }
    }
}

impl engine::Progress for Watch<'_> {
    fn reading(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.set(5, format!("正在读取报表(共 {total} 份,含上期)"));
    }

    fn read_one(&self) {
        let n = self.read.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed).max(n);
        let progress = 5 + (75 * n / total) as u32;
        self.set(progress, format!("正在读取报表 {n}/{total}"));
    }

    fn read_done(&self) {
        self.set(
            80,
            "正在校验,并写出县级汇总表、星级经费分档表和反馈表".to_string(),
        );
    }
}

impl Service {
    /// Start a consolidation of the open period; 409 while one runs.
    pub(crate) fn start_consolidation(self: &Arc<Self>, s: &Session) -> Result<i64, Fail> {
        self.county_only(s, "汇总")?;
        let period = self.period();
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.values().any(|j| j.state == "running") {
            return Err(Fail::conflict("已有一个汇总正在进行。请等它完成后再试"));
        }
        let dir = self.setup.workspace.join(period.to_string());
        if !dir.is_dir() {
            return Err(Fail::conflict(format!(
                "本期报表文件夹 {} 不存在:还没有乡镇报送 {period} 的报表",
                dir.display()
            )));
        }
        // A run from the command line holds the output folder's lock.
        engine::output_free(&self.setup, period).map_err(Fail::conflict)?;
        let now = clock::now();
        let id = {
            let c = self.conn();
            c.execute(
                "INSERT INTO consolidations(period, user, started, state) VALUES (?1, ?2, ?3, 'running')",
                params![period.to_string(), s.user, now],
            )?;
            c.last_insert_rowid()
        };
        jobs.insert(
            id,
            Job {
                id,
                period: period.to_string(),
                state: "running",
                progress: 0,
                stage: "正在准备".into(),
                summary: None,
                notes: Vec::new(),
                files: Vec::new(),
                started: now,
                finished: None,
            },
        );
        drop(jobs);
        self.audit(
            Some(s),
            None,
            None,
            "汇总",
            None,
            Some(&period.to_string()),
            None,
            &format!("开始(任务 {id})"),
        );
        let me = self.clone();
        let who = s.clone();
        let handle = std::thread::spawn(move || me.run_consolidation(id, period, who));
        let mut t = self.job_thread.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = t.take() {
            let _ = old.join();
        }
        *t = Some(handle);
        Ok(id)
    }

    fn run_consolidation(&self, id: i64, period: Period, who: Session) {
        let watch = Watch {
            svc: self,
            id,
            total: AtomicUsize::new(0),
            read: AtomicUsize::new(0),
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine::consolidate(&self.setup, period, &watch)
        }));
        let now = clock::now();
        let (state, summary, notes, files) = match result {
            Ok(Ok(out)) => {
                let mut files = Vec::new();
                if out.county.is_some() {
                    files.push(format!("/county/output/{period}/county"));
                }
                if out.tiers.is_some() {
                    files.push(format!("/county/output/{period}/tiers"));
                }
                if out.feedback > 0 {
                    files.push(format!("/county/output/{period}/feedback"));
                }
                let notes = out.tier_summary.into_iter().chain(out.notes).collect();
                ("done", out.summary, notes, files)
            }
            Ok(Err(e)) => (
                "failed",
                format!("汇总没有完成:{e:#}"),
                Vec::new(),
                Vec::new(),
            ),
            Err(_) => (
                "failed",
                "汇总没有完成:程序意外中止,请重试".to_string(),
                Vec::new(),
                Vec::new(),
            ),
        };
        let files_json = serde_json::to_string(&files).unwrap_or_default();
        if let Err(e) = self.conn().execute(
            "UPDATE consolidations SET finished = ?1, state = ?2, summary = ?3, files = ?4 WHERE id = ?5",
            params![now, state, summary, files_json, id],
        ) {
            eprintln!("错误:无法记录汇总结果:{e}");
        }
        self.audit(
            Some(&who),
            None,
            None,
            "汇总",
            None,
            Some(&period.to_string()),
            None,
            // The log is read by the county clerk: the outcome in words.
            &match state {
                "done" => format!("完成:{summary}"),
                _ => summary.clone(),
            },
        );
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = jobs.get_mut(&id) {
            j.state = state;
            j.progress = 100;
            j.stage = if state == "done" {
                "汇总完成".into()
            } else {
                "汇总失败".into()
            };
            j.summary = Some(summary);
            j.notes = notes;
            j.files = files;
            j.finished = Some(now);
        }
    }

    /// Wait for a running consolidation (at shutdown).
    pub(crate) fn wait_jobs(&self) {
        let h = self
            .job_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = h {
            let _ = h.join();
        }
    }

    pub(crate) fn job(&self, s: &Session, id: i64) -> Result<Job, Fail> {
        self.county_only(s, "查看汇总任务")?;
        if let Some(j) = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(j.clone());
        }
        let j = self
            .conn()
            .query_row(
                "SELECT id, period, state, summary, files, started, finished FROM consolidations WHERE id = ?1",
                [id],
                |r| {
                    let state: String = r.get(2)?;
                    let files: Option<String> = r.get(4)?;
                    Ok(Job {
                        id: r.get(0)?,
                        period: r.get(1)?,
                        state: match state.as_str() {
                            "done" => "done",
                            "running" => "failed", // a run the server did not live to finish
                            _ => "failed",
                        },
                        progress: 100,
                        stage: String::new(),
                        summary: r.get(3)?,
                        notes: Vec::new(),
                        files: files.and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default(),
                        started: r.get(5)?,
                        finished: r.get(6)?,
                    })
                },
            )
            .optional()?;
        j.ok_or_else(|| Fail::not_found(format!("没有编号为 {id} 的汇总任务")))
    }

    /// The last consolidation of a period, if any.
    pub(crate) fn last_job(&self, period: Period) -> Option<i64> {
        self.conn()
            .query_row(
                "SELECT MAX(id) FROM consolidations WHERE period = ?1",
                [period.to_string()],
                |r| r.get(0),
            )
            .ok()
            .flatten()
    }
}
