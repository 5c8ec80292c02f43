//! The service's database, `<workspace>/报送/huizong.sqlite`: logins,
//! sessions, uploads, submissions (the ledger), county comments,
//! deadlines, consolidations and the append-only audit log.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The schema; every statement is idempotent.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS accounts (
    user      TEXT PRIMARY KEY,          -- 9-digit township code, or 'county'
    township  TEXT,                      -- township code; NULL for the county
    name      TEXT NOT NULL,             -- township name (县名 for the county)
    hash      TEXT NOT NULL,             -- Argon2id PHC string; never the password
    created   INTEGER NOT NULL,
    reset     INTEGER                    -- last --reset
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,       -- SHA-256 of the cookie's token
    user      TEXT NOT NULL REFERENCES accounts(user),
    csrf      TEXT NOT NULL,
    created   INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    address   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id        INTEGER PRIMARY KEY,
    township  TEXT NOT NULL,
    period    TEXT NOT NULL,
    user      TEXT NOT NULL,
    file      TEXT NOT NULL,             -- the name as uploaded: text only
    stored    TEXT NOT NULL,             -- server-made name under 报送/<period>/<township>/
    size      INTEGER NOT NULL,
    sha256    TEXT NOT NULL,
    time      INTEGER NOT NULL,
    errors    INTEGER NOT NULL,          -- fatal + error findings
    warnings  INTEGER NOT NULL,          -- open warnings
    explained INTEGER NOT NULL,          -- explained warnings
    can_submit INTEGER NOT NULL,
    refusal   TEXT,                      -- why it cannot be submitted, besides errors
    findings  TEXT NOT NULL              -- JSON array, as check --format json
);
CREATE INDEX IF NOT EXISTS uploads_by_township ON uploads(period, township, id);
CREATE TABLE IF NOT EXISTS submissions (
    id        INTEGER PRIMARY KEY,
    receipt   TEXT NOT NULL UNIQUE,
    upload    INTEGER NOT NULL REFERENCES uploads(id),
    township  TEXT NOT NULL,
    period    TEXT NOT NULL,
    user      TEXT NOT NULL,
    file      TEXT NOT NULL,             -- the name as uploaded
    accepted  TEXT NOT NULL,             -- file name in <workspace>/<period>/
    size      INTEGER NOT NULL,
    sha256    TEXT NOT NULL,
    received  INTEGER NOT NULL,
    late      INTEGER NOT NULL,
    rules_version TEXT NOT NULL,
    rules_sha256  TEXT NOT NULL,
    warnings  INTEGER NOT NULL,
    explained INTEGER NOT NULL,
    state     TEXT NOT NULL              -- pending → done (receipt given) or abandoned
);
CREATE INDEX IF NOT EXISTS submissions_by_township ON submissions(period, township, id);
CREATE TABLE IF NOT EXISTS returned (
    id        INTEGER PRIMARY KEY,
    township  TEXT NOT NULL,
    period    TEXT NOT NULL,
    submission INTEGER REFERENCES submissions(id),
    comment   TEXT NOT NULL,
    time      INTEGER NOT NULL,
    user      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deadlines (
    period    TEXT PRIMARY KEY,
    date      TEXT NOT NULL              -- YYYY-MM-DD; the end of that day
);
CREATE TABLE IF NOT EXISTS settings (
    key       TEXT PRIMARY KEY,
    value     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consolidations (
    id        INTEGER PRIMARY KEY,
    period    TEXT NOT NULL,
    user      TEXT NOT NULL,
    started   INTEGER NOT NULL,
    finished  INTEGER,
    state     TEXT NOT NULL,             -- running, done, failed
    summary   TEXT,
    files     TEXT                       -- JSON array of download paths
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY,
    time      INTEGER NOT NULL,
    account   TEXT,
    address   TEXT,
    action    TEXT NOT NULL,
    township  TEXT,
    period    TEXT,
    sha256    TEXT,
    outcome   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit(time);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, '操作日志只能追加,不能修改'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, '操作日志只能追加,不能删除'); END;
"#;

/// Open (creating) the database in `dir` and bring its schema up.
pub fn open(dir: &Path) -> anyhow::Result<Connection> {
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!("无法创建文件夹 {}:{e}。请检查工作区是否可写", dir.display())
    })?;
    let path = dir.join("huizong.sqlite");
    let c = Connection::open(&path)
        .map_err(|e| anyhow::anyhow!("无法打开数据库 {}:{e}", path.display()))?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL with a full sync at each commit: a committed ledger row survives
    // a crash or a power cut.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.execute_batch(SCHEMA)
        .map_err(|e| anyhow::anyhow!("无法建立数据库 {} 的表:{e}", path.display()))?;
    Ok(c)
}

/// One row of the audit log.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub(crate) struct Audit {
    pub(crate) time: String,
    pub(crate) account: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) action: String,
    pub(crate) township: Option<String>,
    pub(crate) period: Option<String>,
    pub(crate) sha256: Option<String>,
    pub(crate) outcome: String,
}

/// Append one audit row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit(
    c: &Connection,
    time: i64,
    account: Option<&str>,
    address: Option<&str>,
    action: &str,
    township: Option<&str>,
    period: Option<&str>,
    sha256: Option<&str>,
    outcome: &str,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO audit(time, account, address, action, township, period, sha256, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![time, account, address, action, township, period, sha256, outcome],
    )?;
    Ok(())
}

pub(crate) fn setting(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

pub(crate) fn set_setting(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
