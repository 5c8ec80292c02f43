//! The 报送情况 board: the period folder as a consolidation would decide
//! it, joined with the ledger; deadlines, the open period, a township's
//! accepted file.

use super::{Fail, Period, Service, Session};
use crate::serve::engine::{self, FolderScan};
use crate::serve::{clock, db};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The last scan of a period folder (its period, the previous period it
/// was checked against, the scan), and the files read for it.
#[derive(Default)]
pub(super) struct FolderState {
    last: Option<(Period, Arc<engine::Previous>, Arc<FolderScan>)>,
    cache: engine::FileCache,
}

impl Service {
    pub(crate) fn deadline(&self, period: Period) -> Result<Option<String>, Fail> {
        Ok(self
            .conn()
            .query_row(
                "SELECT date FROM deadlines WHERE period = ?1",
                [period.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The period folder as consolidate would decide it (cached while
    /// neither its files nor the previous period's change).
    pub fn folder(&self, period: Period) -> Arc<FolderScan> {
        let prev = self.previous(period);
        let mut g = self.folder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, used, scan)) = &g.last {
            if *p == period
                && Arc::ptr_eq(used, &prev)
                && !engine::folder_changed(&self.setup, period, scan)
            {
                return scan.clone();
            }
        }
        let scan = Arc::new(engine::scan_folder(
            &self.setup,
            period,
            &prev,
            &mut g.cache,
        ));
        g.last = Some((period, prev, scan.clone()));
        scan
    }

    /// The 报送情况 board (a township sees only its own row).
    pub fn status(&self, s: &Session, period: Option<Period>) -> Result<Board, Fail> {
        let period = period.unwrap_or(self.period());
        let ps = period.to_string();
        let folder = self.folder(period);
        let deadline = self.deadline(period)?;
        let deadline_at = deadline.as_deref().and_then(clock::end_of_day);
        let c = self.conn();
        let mut subs: HashMap<String, (i64, i64, String, String, i64, i64)> = HashMap::new();
        {
            let mut q = c.prepare(
                "SELECT township, id, received, accepted, receipt, late, warnings FROM submissions
                 WHERE period = ?1 AND state = 'done' ORDER BY id",
            )?;
            let rows = q.query_map([&ps], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    (
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ),
                ))
            })?;
            for row in rows {
                let (t, v) = row?;
                subs.insert(t, v);
            }
        }
        let mut returned: HashMap<String, (i64, String)> = HashMap::new();
        {
            let mut q = c.prepare(
                "SELECT township, submission, comment FROM returned WHERE period = ?1 ORDER BY id",
            )?;
            let rows = q.query_map([&ps], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (t, sub, comment) = row?;
                returned.insert(t, (sub.unwrap_or(0), comment));
            }
        }
        let mut uploads: HashMap<String, (i64, i64, i64)> = HashMap::new();
        {
            let mut q = c.prepare(
                "SELECT township, id, errors, warnings FROM uploads WHERE period = ?1 ORDER BY id",
            )?;
            let rows = q.query_map([&ps], |r| {
                Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
            })?;
            for row in rows {
                let (t, v) = row?;
                uploads.insert(t, v);
            }
        }
        let consolidated: Option<i64> = c
            .query_row(
                "SELECT MAX(started) FROM consolidations WHERE period = ?1 AND state = 'done'",
                [&ps],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        drop(c);
        let dir = self.setup.workspace.join(&ps);
        // The roster's townships; without a roster, the previous period's.
        let prev;
        let townships = if self.setup.roster.is_some() {
            &self.setup.townships
        } else {
            prev = self.previous(period);
            &prev.townships
        };
        let mut rows = Vec::with_capacity(townships.len());
        for (code, name) in townships {
            if s.township.as_ref().is_some_and(|t| t != code) {
                continue;
            }
            let ft = folder.townships.get(code);
            let sub = subs.get(code);
            let ret = returned
                .get(code)
                .filter(|(sid, _)| sub.is_none_or(|x| *sid >= x.0));
            let mut row = BoardRow {
                township: code.clone(),
                name: name.clone(),
                status: "未报送",
                source: None,
                received: None,
                file: None,
                errors: None,
                warnings: None,
                comment: None,
                reason: None,
                receipt: None,
                upload: uploads.get(code).map(|u| u.0),
                consolidated: false,
            };
            let used = ft
                .filter(|f| f.status.is_used())
                .and_then(|f| f.file.clone());
            if let Some(file) = used {
                let ft = ft.expect("used implies a folder entry");
                row.errors = Some(ft.errors as i64);
                row.warnings = Some(ft.warnings as i64);
                match sub.filter(|x| x.2 == file) {
                    Some(x) => {
                        row.source = Some("web");
                        row.received = Some(x.1);
                        row.receipt = Some(x.3.clone());
                        row.status = if x.4 != 0 {
                            "逾期报送"
                        } else {
                            "已报送"
                        };
                    }
                    None => {
                        let mtime = std::fs::metadata(dir.join(&file))
                            .and_then(|m| m.modified())
                            .ok()
                            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                            .map(|d| d.as_secs() as i64);
                        row.source = Some("folder");
                        row.received = mtime;
                        row.status = match (mtime, deadline_at) {
                            (Some(m), Some(d)) if m > d => "逾期报送",
                            _ => "已报送",
                        };
                    }
                }
                row.file = Some(file);
                row.consolidated = consolidated.zip(row.received).is_some_and(|(c, r)| c >= r);
            } else if let Some((_, comment)) = ret {
                row.status = "已退回";
                row.comment = Some(comment.clone());
            } else if let Some(ft) = ft.filter(|f| f.file.is_some() || f.reason.is_some()) {
                // A judged file that is not used (errors, unreadable), or
                // files that tie with none used (Y03, with its reason).
                let web = sub.is_some_and(|x| match &ft.file {
                    Some(file) => x.2 == *file,
                    None => ft.files.contains(&x.2),
                });
                row.status = "校验未通过";
                row.source = Some(if web { "web" } else { "folder" });
                row.errors = Some(ft.errors as i64);
                row.warnings = Some(ft.warnings as i64);
                row.reason = ft.reason.clone();
                if let Some(file) = &ft.file {
                    row.received = std::fs::metadata(dir.join(file))
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_secs() as i64);
                    row.file = Some(file.clone());
                }
            } else if let Some(u) = uploads.get(code) {
                row.status = "校验未通过";
                row.errors = Some(u.1);
                row.warnings = Some(u.2);
            }
            rows.push(row);
        }
        let expected = if s.is_county() {
            townships.len()
        } else {
            rows.len()
        };
        let submitted = rows.iter().filter(|r| r.is_in()).count();
        let on_time = rows.iter().filter(|r| r.status == "已报送").count();
        Ok(Board {
            period: ps,
            deadline,
            expected,
            submitted,
            on_time,
            rows,
            // The folder's lines name every township: for the county only.
            summary: if s.is_county() {
                folder.summary.clone()
            } else {
                String::new()
            },
            not_used: if s.is_county() {
                folder.not_used.clone()
            } else {
                Vec::new()
            },
        })
    }

    /// The findings of a township's files in the period folder, as
    /// `consolidate` counts them (the township itself, or the county):
    /// (files, findings).
    pub(crate) fn folder_findings(
        &self,
        s: &Session,
        township: &str,
    ) -> Result<(Vec<String>, Vec<crate::finding::Finding>), Fail> {
        if s.township.as_ref().is_some_and(|t| t != township) {
            return Err(self.forbid(
                s,
                &format!("其他乡镇 {township} 的校验结果"),
                Some(township),
            ));
        }
        let scan = self.folder(self.period());
        let Some(t) = scan.townships.get(township).filter(|t| !t.files.is_empty()) else {
            return Err(Fail::not_found("该乡镇本月文件夹中没有报表文件"));
        };
        Ok((t.files.clone(), t.findings.clone()))
    }

    pub(crate) fn set_deadline(&self, s: &Session, period: &str, date: &str) -> Result<(), Fail> {
        self.county_only(s, "设置截止日期")?;
        let p = Period::parse(period).ok_or_else(|| Fail::bad("月份应写成 YYYY-MM,如 2024-06"))?;
        let date = date.trim();
        if clock::parse_date(date).is_none() {
            return Err(Fail::bad("截止日期应写成 YYYY-MM-DD,如 2024-07-05"));
        }
        self.conn().execute(
            "INSERT INTO deadlines(period, date) VALUES (?1, ?2)
             ON CONFLICT(period) DO UPDATE SET date = excluded.date",
            params![p.to_string(), date],
        )?;
        self.audit(
            Some(s),
            None,
            None,
            "设置截止日期",
            None,
            Some(&p.to_string()),
            None,
            &format!("截止 {date} 当天结束"),
        );
        Ok(())
    }

    pub(crate) fn open_period(&self, s: &Session, period: &str) -> Result<(), Fail> {
        self.county_only(s, "切换月份")?;
        let p = Period::parse(period).ok_or_else(|| Fail::bad("月份应写成 YYYY-MM,如 2024-06"))?;
        *self.period.write().unwrap_or_else(|e| e.into_inner()) = p;
        db::set_setting(&self.conn(), "period", &p.to_string())?;
        self.audit(
            Some(s),
            None,
            None,
            "切换月份",
            None,
            Some(&p.to_string()),
            None,
            "成功",
        );
        Ok(())
    }
}

/// One row of the board.
#[derive(Clone, Debug, Serialize)]
pub struct BoardRow {
    pub(crate) township: String,
    pub(crate) name: String,
    pub(crate) status: &'static str,
    pub(crate) source: Option<&'static str>,
    #[serde(serialize_with = "time_text")]
    pub(crate) received: Option<i64>,
    pub(crate) file: Option<String>,
    pub(crate) errors: Option<i64>,
    pub(crate) warnings: Option<i64>,
    pub(crate) comment: Option<String>,
    /// Why the township's files are not used, when no error of one file
    /// says it (Y03).
    #[serde(skip)]
    pub(crate) reason: Option<String>,
    #[serde(skip)]
    pub(crate) receipt: Option<String>,
    #[serde(skip)]
    pub(crate) upload: Option<i64>,
    #[serde(skip)]
    pub(crate) consolidated: bool,
}

impl BoardRow {
    /// 已报送 or 逾期报送.
    pub(crate) fn is_in(&self) -> bool {
        matches!(self.status, "已报送" | "逾期报送")
    }
}

fn time_text<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&clock::format(*t)),
        None => s.serialize_none(),
    }
}

/// The board.
#[derive(Clone, Debug, Serialize)]
pub struct Board {
    pub(crate) period: String,
    pub(crate) deadline: Option<String>,
    pub(crate) expected: usize,
    pub(crate) submitted: usize,
    pub(crate) on_time: usize,
    pub rows: Vec<BoardRow>,
    /// `pipeline::summary_line` of the period folder (county only).
    #[serde(skip)]
    pub(crate) summary: String,
    /// `pipeline::not_used_lines` of the period folder (county only).
    #[serde(skip)]
    pub(crate) not_used: Vec<String>,
}
