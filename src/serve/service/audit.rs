//! The audit log's page: rows filtered by township, action and date.

use super::{Fail, Service, Session};
use crate::serve::{clock, db};
use rusqlite::params;

impl Service {
    /// Audit rows, newest first, filtered.
    pub(crate) fn audit_rows(&self, s: &Session, f: &AuditFilter) -> Result<Vec<db::Audit>, Fail> {
        self.county_only(s, "查看操作日志")?;
        let from = match f.from.as_deref().filter(|x| !x.is_empty()) {
            Some(d) => Some(
                clock::parse_date(d)
                    .map(|(y, m, d)| clock::day_start(y, m, d))
                    .ok_or_else(|| Fail::bad("起始日期应写成 YYYY-MM-DD"))?,
            ),
            None => None,
        };
        let to = match f.to.as_deref().filter(|x| !x.is_empty()) {
            Some(d) => {
                Some(clock::end_of_day(d).ok_or_else(|| Fail::bad("截止日期应写成 YYYY-MM-DD"))?)
            }
            None => None,
        };
        let c = self.conn();
        let mut q = c.prepare(
            "SELECT time, account, address, action, township, period, sha256, outcome FROM audit
             WHERE (?1 IS NULL OR township = ?1) AND (?2 IS NULL OR action = ?2)
               AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time <= ?4)
             ORDER BY id DESC LIMIT 5000",
        )?;
        let township = f.township.as_deref().filter(|x| !x.is_empty());
        let action = f.action.as_deref().filter(|x| !x.is_empty());
        let rows = q.query_map(params![township, action, from, to], |r| {
            Ok(db::Audit {
                time: clock::format(r.get(0)?),
                account: r.get(1)?,
                address: r.get(2)?,
                action: r.get(3)?,
                township: r.get(4)?,
                period: r.get(5)?,
                sha256: r.get(6)?,
                outcome: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Actions present in the audit log (for the filter's list).
    pub(crate) fn audit_actions(&self) -> Vec<String> {
        let c = self.conn();
        let Ok(mut q) = c.prepare("SELECT DISTINCT action FROM audit ORDER BY action") else {
            return Vec::new();
        };
        q.query_map([], |r| r.get(0))
            .map(|rows| rows.filter_map(|r| r.ok()).collect())
            .unwrap_or_default()
    }
}

/// Filters of the audit log.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct AuditFilter {
    pub(crate) township: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}
