//! At start: the ledger and the period folders brought to agree.

use super::Service;
use crate::serve::store;
use rusqlite::{params, OptionalExtension};

impl Service {
    /// At start: finish or abandon submissions a crash interrupted, remove
    /// our temporary files, and log every difference between the ledger
    /// and the period folders.
    pub(crate) fn reconcile(&self) -> anyhow::Result<()> {
        let ws = &self.setup.workspace;
        let removed = store::remove_temp_files(ws);
        for p in &removed {
            self.audit(
                None,
                Some("(系统)"),
                None,
                "启动核对",
                None,
                None,
                None,
                &format!("删除未完成的临时文件 {}", p.display()),
            );
        }
        let pending: Vec<(i64, String, String, String, String)> = {
            let c = self.conn();
            let mut q = c.prepare(
                "SELECT id, township, period, accepted, sha256 FROM submissions WHERE state = 'pending'",
            )?;
            let rows = q.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, township, period, accepted, sha) in pending {
            let path = ws.join(&period).join(&accepted);
            let in_place = store::sha256_of(&path).is_some_and(|s| s == sha);
            let state = if in_place { "done" } else { "abandoned" };
            self.conn().execute(
                "UPDATE submissions SET state = ?1 WHERE id = ?2",
                params![state, id],
            )?;
            let outcome = if in_place {
                format!("提交 {id} 在中断前文件已就位,补记为已提交")
            } else {
                format!("提交 {id} 在文件就位前中断,未生效(未发回执)")
            };
            self.audit(
                None,
                Some("(系统)"),
                None,
                "启动核对",
                Some(&township),
                Some(&period),
                Some(&sha),
                &outcome,
            );
        }
        // The latest submission of each township and period, unless returned.
        let latest: Vec<(String, String, String, String, i64)> = {
            let c = self.conn();
            let mut q = c.prepare(
                "SELECT s.township, s.period, s.accepted, s.sha256, s.id FROM submissions s
                 WHERE s.state = 'done' AND s.id = (SELECT MAX(id) FROM submissions x
                   WHERE x.township = s.township AND x.period = s.period AND x.state = 'done')",
            )?;
            let rows = q.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        for (township, period, accepted, sha, id) in latest {
            let returned: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT 1 FROM returned WHERE township = ?1 AND period = ?2 AND submission >= ?3",
                    params![township, period, id],
                    |r| r.get(0),
                )
                .optional()?;
            let path = ws.join(&period).join(&accepted);
            let actual = store::sha256_of(&path);
            let problem = match (returned.is_some(), actual) {
                (true, Some(_)) => Some(format!("已退回的报表 {accepted} 仍在本期文件夹中")),
                (true, None) => None,
                (false, None) => Some(format!(
                    "账本记录的报表 {accepted} 不在本期文件夹中(可能被手工移走或删除)"
                )),
                (false, Some(a)) if a != sha => Some(format!(
                    "本期文件夹中的 {accepted} 与账本记录的 SHA-256 不同(可能被手工改动或替换)"
                )),
                _ => None,
            };
            if let Some(p) = problem {
                eprintln!("提示:{p}");
                self.audit(
                    None,
                    Some("(系统)"),
                    None,
                    "启动核对",
                    Some(&township),
                    Some(&period),
                    Some(&sha),
                    &p,
                );
            }
        }
        self.audit(
            None,
            Some("(系统)"),
            None,
            "启动核对",
            None,
            None,
            None,
            "完成",
        );
        Ok(())
    }
}
