//! Logins, sessions and the lockout after failed logins (`serve.md`
//! "Security").

use super::{Fail, Service, Session};
use crate::serve::accounts;
use crate::serve::{clock, engine};
use rusqlite::{params, OptionalExtension};
use std::collections::{HashMap, VecDeque};

/// Idle time after which a session ends.
pub(crate) const SESSION_IDLE_SECS: i64 = 8 * 3600;
/// Failed logins that lock an account or an address…
pub(crate) const LOCK_FAILURES: usize = 5;
/// …within this window, for this long.
pub(crate) const LOCK_SECS: i64 = 15 * 60;
/// Failures within the window, and when a lock ends.
#[derive(Default)]
pub(super) struct Lockout {
    failures: HashMap<String, VecDeque<i64>>,
    locked_until: HashMap<String, i64>,
}
impl Service {
    fn locked(&self, keys: &[String], now: i64) -> Option<i64> {
        let l = self.lockout.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| l.locked_until.get(k).copied())
            .filter(|t| *t > now)
            .max()
    }

    fn failed(&self, keys: &[String], now: i64) {
        let mut l = self.lockout.lock().unwrap_or_else(|p| p.into_inner());
        for k in keys {
            let q = l.failures.entry(k.clone()).or_default();
            q.push_back(now);
            while q.front().is_some_and(|t| *t <= now - LOCK_SECS) {
                q.pop_front();
            }
            if q.len() >= LOCK_FAILURES {
                q.clear();
                l.locked_until.insert(k.clone(), now + LOCK_SECS);
            }
        }
    }

    /// Log in: the session's token (for the cookie) and the session.
    pub(crate) fn login(
        &self,
        user: &str,
        password: &str,
        address: &str,
    ) -> Result<(String, Session), Fail> {
        let user = user.trim();
        let now = clock::now();
        let keys = vec![format!("u:{user}"), format!("a:{address}")];
        if let Some(until) = self.locked(&keys, now) {
            self.audit(
                None,
                Some(user),
                Some(address),
                "登录",
                None,
                None,
                None,
                "已锁定,拒绝",
            );
            let minutes = (until - now + 59) / 60;
            return Err(Fail::new(
                429,
                format!("登录失败次数过多,该账号或本机地址已被锁定。请 {minutes} 分钟后再试;忘记密码请联系县里重设"),
            ));
        }
        let row: Option<(Option<String>, String, String)> = self
            .conn()
            .query_row(
                "SELECT township, name, hash FROM accounts WHERE user = ?1",
                [user],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let ok = match &row {
            Some((_, _, h)) => accounts::verify(password, h),
            None => {
                let _ = accounts::verify(password, &self.dummy_hash);
                false
            }
        };
        let Some((township, name, _)) = row.filter(|_| ok) else {
            self.failed(&keys, now);
            self.audit(
                None,
                Some(user),
                Some(address),
                "登录",
                None,
                None,
                None,
                "失败:用户名或密码错误",
            );
            return Err(Fail::new(
                401,
                "用户名或密码错误。用户名是9位乡镇(街道)代码(县里为 county);连续错 5 次将锁定 15 分钟",
            ));
        };
        {
            let mut l = self.lockout.lock().unwrap_or_else(|p| p.into_inner());
            l.failures.remove(&keys[0]);
        }
        let token = accounts::random_hex::<32>();
        let csrf = accounts::random_hex::<32>();
        {
            let c = self.conn();
            c.execute(
                "DELETE FROM sessions WHERE last_seen < ?1",
                [now - SESSION_IDLE_SECS],
            )?;
            c.execute(
                "INSERT INTO sessions(token_sha256, user, csrf, created, last_seen, address)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![token_key(&token), user, csrf, now, address],
            )?;
        }
        let s = Session {
            user: user.to_string(),
            township: township.clone(),
            name,
            csrf,
            address: address.to_string(),
        };
        self.audit(
            Some(&s),
            None,
            None,
            "登录",
            township.as_deref(),
            None,
            None,
            "成功",
        );
        Ok((token, s))
    }

    /// The session of a cookie's token, when it exists and is not idle.
    pub(crate) fn session(&self, token: &str, address: &str) -> Option<Session> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let now = clock::now();
        let key = token_key(token);
        let c = self.conn();
        let row: (String, String, i64, Option<String>, String) = c
            .query_row(
                "SELECT s.user, s.csrf, s.last_seen, a.township, a.name
                 FROM sessions s JOIN accounts a ON a.user = s.user WHERE s.token_sha256 = ?1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .ok()?;
        let (user, csrf, last_seen, township, name) = row;
        if last_seen + SESSION_IDLE_SECS < now {
            let _ = c.execute("DELETE FROM sessions WHERE token_sha256 = ?1", [&key]);
            return None;
        }
        if now - last_seen >= 60 {
            let _ = c.execute(
                "UPDATE sessions SET last_seen = ?1 WHERE token_sha256 = ?2",
                params![now, key],
            );
        }
        Some(Session {
            user,
            township,
            name,
            csrf,
            address: address.to_string(),
        })
    }

    pub(crate) fn logout(&self, s: &Session, token: &str) -> Result<(), Fail> {
        self.conn().execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            [token_key(token)],
        )?;
        self.audit(
            Some(s),
            None,
            None,
            "退出",
            s.township.as_deref(),
            None,
            None,
            "成功",
        );
        Ok(())
    }
}

/// Sessions are stored by the SHA-256 of their token, never the token.
pub(crate) fn token_key(token: &str) -> String {
    engine::sha256_hex(token.as_bytes())
}
