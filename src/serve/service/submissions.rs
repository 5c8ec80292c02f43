//! Submissions: an upload becomes the township's return (file in place,
//! then ledger, then receipt), receipts, and the county's 退回.

use super::{Fail, Period, Service, Session};
use crate::serve::{clock, engine, store};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

impl Service {
    /// Submit an upload: the file goes into `<period>/` as the township's
    /// return; the receipt is given only after the file is synced and
    /// renamed into place and the ledger row is committed.
    pub(crate) fn submit(&self, s: &Session, id: i64) -> Result<Receipt, Fail> {
        self.township_only(s, "提交报表")?;
        let u = self.upload(s, id)?;
        let _one = self.accept.lock().unwrap_or_else(|p| p.into_inner());
        // The upload in place already, submitted again (a page sent twice):
        // its receipt. An earlier upload submitted again after a later
        // one, or after a 退回, becomes the return again, with a new receipt.
        if let Some(r) = &u.receipt {
            if self.in_place(&u.township, &u.period)? == Some(u.id) {
                return self.receipt(s, r);
            }
        }
        if !u.can_submit {
            return Err(Fail::conflict(u.refusal.clone().unwrap_or_else(|| {
                "这份报表不能提交。请按校验结果修改后重新上传".into()
            })));
        }
        let period = Period::parse(&u.period).unwrap_or(self.period());
        let name = engine::roster_name(&self.setup, &u.township)
            .map(str::to_string)
            .unwrap_or_else(|| s.name.clone());
        let ext = store::extension(&u.file);
        let accepted = store::accepted_name(&u.township, &name, period, &ext);
        let version = store::version_path(&self.setup.workspace, period, &u.township, &u.stored);
        let bytes = std::fs::read(&version)
            .map_err(|e| Fail::internal(format!("找不到上传的文件({e})")))?;
        if engine::sha256_hex(&bytes) != u.sha256 {
            return Err(Fail::internal("保存的上传文件已被改动,请重新上传"));
        }
        let now = clock::now();
        let deadline = self.deadline(period)?;
        let late = deadline
            .as_deref()
            .and_then(clock::end_of_day)
            .is_some_and(|d| now > d);
        let (version_no, sha) = engine::rules_identity(&self.setup);
        let row_id = {
            let c = self.conn();
            let n: i64 = c.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM submissions",
                [],
                |r| r.get(0),
            )?;
            let receipt = format!(
                "HZ{}-{}-{n:05}",
                period.to_string().replace('-', ""),
                u.township
            );
            c.execute(
                "INSERT INTO submissions(id, receipt, upload, township, period, user, file, accepted, size,
                   sha256, received, late, rules_version, rules_sha256, warnings, explained, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 'pending')",
                params![
                    n,
                    receipt,
                    u.id,
                    u.township,
                    u.period,
                    s.user,
                    u.file,
                    accepted,
                    u.size,
                    u.sha256,
                    now,
                    late,
                    version_no,
                    sha,
                    u.warnings,
                    u.explained
                ],
            )?;
            n
        };
        let dir = self.setup.workspace.join(period.to_string());
        if let Err(e) = store::accept(&dir, &accepted, &bytes) {
            let c = self.conn();
            c.execute(
                "UPDATE submissions SET state = 'abandoned' WHERE id = ?1",
                [row_id],
            )?;
            drop(c);
            self.audit(
                Some(s),
                None,
                None,
                "提交",
                Some(&u.township),
                Some(&u.period),
                Some(&u.sha256),
                &format!("失败:{e}"),
            );
            return Err(Fail::internal(format!(
                "无法把文件放入 {}({e})",
                dir.display()
            )));
        }
        store::remove_other_extensions(&dir, &u.township, &name, period, &ext);
        self.conn().execute(
            "UPDATE submissions SET state = 'done' WHERE id = ?1",
            [row_id],
        )?;
        let receipt: String = self.conn().query_row(
            "SELECT receipt FROM submissions WHERE id = ?1",
            [row_id],
            |r| r.get(0),
        )?;
        self.audit(
            Some(s),
            None,
            None,
            "提交",
            Some(&u.township),
            Some(&u.period),
            Some(&u.sha256),
            &format!("成功:回执 {receipt}{}", if late { "(逾期)" } else { "" }),
        );
        self.receipt(s, &receipt)
    }

    /// The upload whose file is the township's return of `period` from the
    /// web now: that of its last submission, unless the county returned it.
    fn in_place(&self, township: &str, period: &str) -> Result<Option<i64>, Fail> {
        let last: Option<(i64, bool)> = self
            .conn()
            .query_row(
                "SELECT upload, EXISTS(SELECT 1 FROM returned WHERE submission = submissions.id)
                 FROM submissions WHERE township = ?1 AND period = ?2 AND state = 'done'
                 ORDER BY id DESC LIMIT 1",
                params![township, period],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(last.and_then(|(upload, returned)| (!returned).then_some(upload)))
    }

    /// A receipt by number, checked against the session's rights.
    pub(crate) fn receipt(&self, s: &Session, number: &str) -> Result<Receipt, Fail> {
        let r = self
            .conn()
            .query_row(
                "SELECT receipt, township, period, file, size, sha256, received, rules_version,
                   rules_sha256, warnings, explained, late, upload, accepted
                 FROM submissions WHERE receipt = ?1 AND state = 'done'",
                [number],
                |r| {
                    Ok(Receipt {
                        receipt: r.get(0)?,
                        township: r.get(1)?,
                        name: String::new(),
                        period: r.get(2)?,
                        file: r.get(3)?,
                        size: r.get(4)?,
                        sha256: r.get(5)?,
                        received: clock::format(r.get(6)?),
                        rules_version: r.get(7)?,
                        rules_sha256: r.get(8)?,
                        warnings: r.get(9)?,
                        explained: r.get(10)?,
                        late: r.get(11)?,
                        upload: r.get(12)?,
                        accepted: r.get(13)?,
                    })
                },
            )
            .optional()?;
        let Some(mut r) = r else {
            return Err(Fail::not_found(format!("没有回执 {number}")));
        };
        if let Some(t) = &s.township {
            if *t != r.township {
                return Err(self.forbid(s, &format!("其他乡镇的回执 {number}"), Some(&r.township)));
            }
        }
        r.name = engine::roster_name(&self.setup, &r.township)
            .unwrap_or_default()
            .to_string();
        Ok(r)
    }

    /// 退回: the township's return goes back with a comment and leaves the
    /// period folder (its copy stays under 报送/).
    pub(crate) fn return_to(&self, s: &Session, township: &str, comment: &str) -> Result<(), Fail> {
        self.county_only(s, "退回报表")?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(Fail::bad("请填写退回意见,说明乡镇需要修改什么"));
        }
        if engine::roster_name(&self.setup, township).is_none() {
            return Err(Fail::not_found(format!(
                "名册中没有乡镇(街道)代码 {township}"
            )));
        }
        let period = self.period();
        let ps = period.to_string();
        let _one = self.accept.lock().unwrap_or_else(|p| p.into_inner());
        let sub: Option<(i64, String, String)> = self
            .conn()
            .query_row(
                "SELECT id, accepted, sha256 FROM submissions WHERE period = ?1 AND township = ?2
                 AND state = 'done' ORDER BY id DESC LIMIT 1",
                params![ps, township],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((sid, accepted, sha)) = sub else {
            return Err(Fail::conflict(
                "该乡镇本月没有从网上提交的报表,无法退回(手工放入的文件请直接从文件夹中移走)",
            ));
        };
        // Another file of the township in the folder (one that came by
        // e-mail) would be used once this one goes: the township would not
        // hear of the 退回, so it is refused until that file is moved.
        let others: Vec<String> = self
            .folder(period)
            .townships
            .get(township)
            .map(|t| {
                t.files
                    .iter()
                    .filter(|f| **f != accepted)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if !others.is_empty() {
            return Err(Fail::conflict(format!(
                "本月文件夹中该乡镇另有手工放入的文件 {}:退回网上提交的报表后,汇总会改用它,乡镇也看不到退回意见。请先把它从文件夹中移走,再退回",
                others.join("、")
            )));
        }
        let dir = self.setup.workspace.join(&ps);
        store::withdraw(&dir, &accepted, &sha)
            .map_err(|e| Fail::internal(format!("无法移走已接收的文件({e})")))?;
        self.conn().execute(
            "INSERT INTO returned(township, period, submission, comment, time, user) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![township, ps, sid, comment, clock::now(), s.user],
        )?;
        self.audit(
            Some(s),
            None,
            None,
            "退回",
            Some(township),
            Some(&ps),
            Some(&sha),
            &format!("意见:{comment}"),
        );
        Ok(())
    }
}

/// A receipt.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Receipt {
    pub(crate) receipt: String,
    pub(crate) township: String,
    #[serde(skip)]
    pub(crate) name: String,
    pub(crate) period: String,
    pub(crate) file: String,
    pub(crate) size: i64,
    pub(crate) sha256: String,
    pub(crate) received: String,
    pub(crate) rules_version: String,
    pub(crate) rules_sha256: String,
    pub(crate) warnings: i64,
    #[serde(skip)]
    pub(crate) explained: i64,
    #[serde(skip)]
    pub(crate) late: bool,
    #[serde(skip)]
    pub(crate) upload: i64,
    /// Its name in the period folder.
    #[serde(skip)]
    pub(crate) accepted: String,
}

impl Service {
    /// The township's other files in the receipt's period folder (placed
    /// by hand): `consolidate` weighs them against the submitted one by
    /// 填报日期 (Y01/Y03), so the receipt says so.
    pub(crate) fn beside(&self, r: &Receipt) -> Vec<String> {
        let Some(period) = Period::parse(&r.period) else {
            return Vec::new();
        };
        self.folder(period)
            .townships
            .get(&r.township)
            .map(|t| {
                t.files
                    .iter()
                    .filter(|f| **f != r.accepted)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}
