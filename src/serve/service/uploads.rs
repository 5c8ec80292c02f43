//! Uploads: the per-account rate limit, the check of an uploaded file
//! against the previous period, and the upload ledger.

use super::{Fail, Period, Service, Session};
use crate::serve::{clock, engine, store};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::sync::Arc;

/// Uploads per account per minute.
pub(crate) const UPLOADS_PER_MINUTE: usize = 30;

impl Service {
    /// Count an upload against the account's limit (30 a minute).
    pub(crate) fn upload_allowed(&self, s: &Session) -> Result<(), Fail> {
        let now = clock::now();
        let mut m = self.uploads.lock().unwrap_or_else(|p| p.into_inner());
        let q = m.entry(s.user.clone()).or_default();
        while q.front().is_some_and(|t| *t <= now - 60) {
            q.pop_front();
        }
        if q.len() >= UPLOADS_PER_MINUTE {
            drop(m);
            self.audit(
                Some(s),
                None,
                None,
                "上传",
                s.township.as_deref(),
                None,
                None,
                "过于频繁,拒绝",
            );
            return Err(Fail::new(
                429,
                "上传过于频繁(每分钟最多 30 次)。请稍等一分钟再上传",
            ));
        }
        q.push_back(now);
        Ok(())
    }

    /// The previous period's used returns (cached while its folder holds
    /// the same files).
    pub(crate) fn previous(&self, period: Period) -> Arc<engine::Previous> {
        let mut g = self.previous.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, prev)) = g.as_ref() {
            if *p == period && engine::previous_is_current(prev, &self.setup, period) {
                return prev.clone();
            }
        }
        let prev = Arc::new(engine::previous_returns(&self.setup, period));
        *g = Some((period, prev.clone()));
        prev
    }

    /// Store an uploaded file, check it, record it. `file` is the name as
    /// uploaded (text only).
    pub(crate) fn check_upload(
        &self,
        s: &Session,
        file: &str,
        bytes: &[u8],
    ) -> Result<UploadResult, Fail> {
        let township = self.township_only(s, "上传报表")?.to_string();
        let period = self.period();
        let file = store::display_name(file);
        let max = engine::max_upload_bytes(&self.setup.policy);
        if bytes.len() as u64 > max {
            return Err(too_large(max));
        }
        let sha256 = engine::sha256_hex(bytes);
        let ext = store::extension(&file);
        let stored = store::save_version(
            &self.setup.workspace,
            period,
            &township,
            &sha256,
            &ext,
            bytes,
        )
        .map_err(|e| Fail::internal(format!("无法保存上传的文件({e})")))?;
        let prev = self.previous(period);
        let loaded = engine::check_bytes(
            &self.setup,
            &file,
            &stored,
            bytes,
            period,
            prev.returns.get(&township).map(|r| r.as_ref()),
        );
        let findings: Vec<serde_json::Value> =
            loaded.findings.iter().map(engine::finding_json).collect();
        let tally = crate::finding::Tally::of(&loaded.findings);
        let (errors, explained) = (tally.errors, tally.explained);
        // The service shows the warnings still to look at beside those explained.
        let warnings = tally.warnings - explained;
        let cover_code = engine::cover_code(&loaded).map(str::to_string);
        let refusal = if errors > 0 {
            Some(
                "有错误或无法读取,不能提交。请按校验结果在 Excel 或 WPS 中修改后重新上传"
                    .to_string(),
            )
        } else if cover_code.as_deref() != Some(township.as_str()) {
            Some(format!(
                "文件“基本信息”中的乡镇(街道)代码是 {},不是本乡镇的 {township}。只能报送本乡镇的报表",
                cover_code.as_deref().unwrap_or("(空)")
            ))
        } else {
            None
        };
        let can_submit = refusal.is_none();
        let now = clock::now();
        let stored_name = engine::file_name(&stored);
        let id = {
            let c = self.conn();
            c.execute(
                "INSERT INTO uploads(township, period, user, file, stored, size, sha256, time, errors,
                   warnings, explained, can_submit, refusal, findings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    township,
                    period.to_string(),
                    s.user,
                    file,
                    stored_name,
                    bytes.len() as i64,
                    sha256,
                    now,
                    errors as i64,
                    warnings as i64,
                    explained as i64,
                    can_submit,
                    refusal,
                    serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into()),
                ],
            )?;
            c.last_insert_rowid()
        };
        self.audit(
            Some(s),
            None,
            None,
            "上传校验",
            Some(&township),
            Some(&period.to_string()),
            Some(&sha256),
            &format!("上传 {id}:错误 {errors},提示 {warnings},已说明 {explained}"),
        );
        Ok(UploadResult {
            upload: id,
            file,
            sha256,
            findings,
            errors,
            warnings,
            explained,
            can_submit,
        })
    }

    /// An upload row, checked against the session's rights.
    pub(crate) fn upload(&self, s: &Session, id: i64) -> Result<Upload, Fail> {
        let u = self
            .conn()
            .query_row(
                "SELECT id, township, period, user, file, stored, size, sha256, time, errors, warnings,
                   explained, can_submit, refusal, findings,
                   (SELECT receipt FROM submissions WHERE upload = uploads.id AND state = 'done'
                    ORDER BY id DESC LIMIT 1)
                 FROM uploads WHERE id = ?1",
                [id],
                upload_row,
            )
            .optional()?;
        let Some(u) = u else {
            return Err(Fail::not_found(format!("没有编号为 {id} 的上传记录")));
        };
        if let Some(t) = &s.township {
            if *t != u.township {
                return Err(self.forbid(s, &format!("其他乡镇的上传记录 {id}"), Some(&u.township)));
            }
        }
        Ok(u)
    }

    /// Every upload of a township, newest first.
    pub(crate) fn history(&self, s: &Session, township: Option<&str>) -> Result<Vec<Upload>, Fail> {
        let township = match (&s.township, township) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(self.forbid(s, &format!("其他乡镇 {asked} 的报送记录"), Some(asked)))
            }
            (Some(own), _) => own.clone(),
            (None, Some(asked)) => asked.to_string(),
            (None, None) => {
                return Err(Fail::bad("请用 ?township=乡镇(街道)代码 指定要查看的乡镇"))
            }
        };
        let c = self.conn();
        let mut q = c.prepare(
            "SELECT id, township, period, user, file, stored, size, sha256, time, errors, warnings,
               explained, can_submit, refusal, findings,
               (SELECT receipt FROM submissions WHERE upload = uploads.id AND state = 'done'
                    ORDER BY id DESC LIMIT 1)
             FROM uploads WHERE township = ?1 ORDER BY id DESC",
        )?;
        let rows = q.query_map([&township], upload_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// 413 with what to do.
pub(crate) fn too_large(max: u64) -> Fail {
    Fail::new(
        413,
        format!(
            "文件太大:每份报表最多 {} MB。请删除多余的工作表、图片或空行,另存为 .xlsx 后重新上传",
            max / (1024 * 1024)
        ),
    )
}

/// The answer to an upload.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct UploadResult {
    pub(crate) upload: i64,
    pub(crate) file: String,
    pub(crate) sha256: String,
    pub(crate) findings: Vec<serde_json::Value>,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) explained: usize,
    pub(crate) can_submit: bool,
}

/// One upload as the ledger keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) id: i64,
    pub(crate) township: String,
    pub(crate) period: String,
    pub(crate) file: String,
    pub(crate) stored: String,
    pub(crate) size: i64,
    pub(crate) sha256: String,
    pub(crate) time: i64,
    pub(crate) errors: i64,
    pub(crate) warnings: i64,
    pub(crate) explained: i64,
    pub(crate) can_submit: bool,
    pub(crate) refusal: Option<String>,
    pub(crate) findings: Vec<serde_json::Value>,
    pub(crate) receipt: Option<String>,
}

pub(super) fn upload_row(r: &rusqlite::Row) -> rusqlite::Result<Upload> {
    let findings: String = r.get(14)?;
    Ok(Upload {
        id: r.get(0)?,
        township: r.get(1)?,
        period: r.get(2)?,
        file: r.get(4)?,
        stored: r.get(5)?,
        size: r.get(6)?,
        sha256: r.get(7)?,
        time: r.get(8)?,
        errors: r.get(9)?,
        warnings: r.get(10)?,
        explained: r.get(11)?,
        can_submit: r.get(12)?,
        refusal: r.get(13)?,
        findings: serde_json::from_str(&findings).unwrap_or_default(),
        receipt: r.get(15)?,
    })
}
