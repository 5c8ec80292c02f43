//! What the service does, without HTTP: logins and sessions, uploads and
//! checks, submissions and the ledger, the board, county actions, the
//! audit log. Every function here is synchronous and may block (database,
//! files, checks): the HTTP layer calls it on the blocking pool.

use super::accounts::{self, COUNTY_USER};
use super::engine::Month as Period;
use super::engine::{self, FolderScan, Setup};
use super::{clock, db, store};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Idle time after which a session ends.
pub const SESSION_IDLE_SECS: i64 = 8 * 3600;
/// Failed logins that lock an account or an address…
pub const LOCK_FAILURES: usize = 5;
/// …within this window, for this long.
pub const LOCK_SECS: i64 = 15 * 60;
/// Uploads per account per minute.
pub const UPLOADS_PER_MINUTE: usize = 30;

/// A refusal: an HTTP status and a Chinese message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub status: u16,
    pub message: String,
}

impl Fail {
    pub fn new(status: u16, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
        }
    }
    pub fn bad(m: impl Into<String>) -> Fail {
        Fail::new(400, m)
    }
    pub fn login() -> Fail {
        Fail::new(401, "请先登录(登录已过期或尚未登录)")
    }
    pub fn forbidden(m: impl Into<String>) -> Fail {
        Fail::new(403, m)
    }
    pub fn not_found(m: impl Into<String>) -> Fail {
        Fail::new(404, m)
    }
    pub fn conflict(m: impl Into<String>) -> Fail {
        Fail::new(409, m)
    }
    pub fn internal(m: impl std::fmt::Display) -> Fail {
        Fail::new(
            500,
            format!("服务器内部错误:{m}。请稍后重试;如果反复出现,请联系县里的管理员"),
        )
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::internal(format!("数据库错误({e})"))
    }
}

/// Who is logged in, as the session says.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    /// The township code; `None` for the county.
    pub township: Option<String>,
    pub name: String,
    pub csrf: String,
    pub address: String,
}

impl Session {
    pub fn is_county(&self) -> bool {
        self.township.is_none()
    }
}

/// A consolidation run.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    pub id: i64,
    pub period: String,
    pub state: &'static str,
    pub progress: u32,
    pub stage: String,
    pub summary: Option<String>,
    pub files: Vec<String>,
    pub started: i64,
    pub finished: Option<i64>,
}

/// Failures within the window, and when a lock ends.
#[derive(Default)]
struct Lockout {
    failures: HashMap<String, VecDeque<i64>>,
    locked_until: HashMap<String, i64>,
}

/// The last scan of a period folder, and the files read for it.
type FolderState = (Option<(Period, Arc<FolderScan>)>, engine::FileCache);

/// The service.
pub struct Service {
    pub setup: Setup,
    db: Mutex<Connection>,
    pub tls: bool,
    period: RwLock<Period>,
    lockout: Mutex<Lockout>,
    uploads: Mutex<HashMap<String, VecDeque<i64>>>,
    previous: Mutex<Option<(Period, Arc<engine::Previous>)>>,
    folder: Mutex<FolderState>,
    /// One submission at a time moves files and writes the ledger.
    accept: Mutex<()>,
    jobs: Mutex<HashMap<i64, Job>>,
    job_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// A hash to verify against for unknown users (same time as a real one).
    dummy_hash: String,
}

/// The name a township's files go by in the ledger and folders.
pub fn state_dir(setup: &Setup) -> PathBuf {
    setup.workspace.join("报送")
}

impl Service {
    /// Open the service over a workspace: database, reconciliation, period.
    pub fn open(setup: Setup, period: Option<Period>, tls: bool) -> anyhow::Result<Service> {
        let conn = db::open(&state_dir(&setup))?;
        let period = period.unwrap_or_else(clock::current_period);
        db::set_setting(&conn, "period", &period.to_string())?;
        let svc = Service {
            setup,
            db: Mutex::new(conn),
            tls,
            period: RwLock::new(period),
            lockout: Mutex::new(Lockout::default()),
            uploads: Mutex::new(HashMap::new()),
            previous: Mutex::new(None),
            folder: Mutex::new((None, engine::FileCache::default())),
            accept: Mutex::new(()),
            jobs: Mutex::new(HashMap::new()),
            job_thread: Mutex::new(None),
            dummy_hash: accounts::hash(&accounts::new_password())?,
        };
        svc.reconcile()?;
        Ok(svc)
    }

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn period(&self) -> Period {
        *self.period.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Append to the audit log (a failure to log is reported, not hidden).
    #[allow(clippy::too_many_arguments)]
    pub fn audit(
        &self,
        who: Option<&Session>,
        user: Option<&str>,
        address: Option<&str>,
        action: &str,
        township: Option<&str>,
        period: Option<&str>,
        sha256: Option<&str>,
        outcome: &str,
    ) {
        let c = self.conn();
        let r = db::audit(
            &c,
            clock::now(),
            who.map(|s| s.user.as_str()).or(user),
            who.map(|s| s.address.as_str()).or(address),
            action,
            township,
            period,
            sha256,
            outcome,
        );
        if let Err(e) = r {
            eprintln!("错误:无法写入操作日志:{e}");
        }
    }

    /// 403 for another township's thing (or a county page), logged.
    pub fn forbid(&self, s: &Session, what: &str, township: Option<&str>) -> Fail {
        self.audit(
            Some(s),
            None,
            None,
            "越权访问",
            township,
            Some(&self.period().to_string()),
            None,
            &format!("已拒绝:{what}"),
        );
        Fail::forbidden(format!(
            "无权访问:{what}。每个乡镇只能查看和报送本乡镇的报表"
        ))
    }

    /// Only the county may do this.
    pub fn county_only(&self, s: &Session, what: &str) -> Result<(), Fail> {
        if s.is_county() {
            Ok(())
        } else {
            Err(self.forbid(s, &format!("{what}(仅限县里的账号)"), s.township.as_deref()))
        }
    }

    /// Only a township may do this; its code.
    pub fn township_only<'a>(&self, s: &'a Session, what: &str) -> Result<&'a str, Fail> {
        match &s.township {
            Some(t) => Ok(t),
            None => Err(Fail::forbidden(format!(
                "{what}只能由乡镇(街道)账号办理;县里的账号请使用报送情况页面"
            ))),
        }
    }

    // ----------------------------------------------------------------- login

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
    pub fn login(
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
    pub fn session(&self, token: &str, address: &str) -> Option<Session> {
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

    pub fn logout(&self, s: &Session, token: &str) -> Result<(), Fail> {
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

    // ---------------------------------------------------------------- upload

    /// Count an upload against the account's limit (30 a minute).
    pub fn upload_allowed(&self, s: &Session) -> Result<(), Fail> {
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
    pub fn previous(&self, period: Period) -> Arc<engine::Previous> {
        let mut g = self.previous.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, prev)) = g.as_ref() {
            if *p == period && engine::previous_is_current(prev, &self.setup.workspace, period) {
                return prev.clone();
            }
        }
        let prev = Arc::new(engine::previous_returns(&self.setup, period));
        *g = Some((period, prev.clone()));
        prev
    }

    /// Store an uploaded file, check it, record it. `file` is the name as
    /// uploaded (text only).
    pub fn check_upload(
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
        let errors = loaded
            .findings
            .iter()
            .filter(|f| f.level.is_error())
            .count();
        let warnings = loaded
            .findings
            .iter()
            .filter(|f| f.level == engine::Level::Warning && !f.explained)
            .count();
        let explained = loaded
            .findings
            .iter()
            .filter(|f| f.level == engine::Level::Warning && f.explained)
            .count();
        let (cover_code, _) = engine::cover_township(&loaded);
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
            refusal,
        })
    }

    /// An upload row, checked against the session's rights.
    pub fn upload(&self, s: &Session, id: i64) -> Result<Upload, Fail> {
        let u = self
            .conn()
            .query_row(
                "SELECT id, township, period, user, file, stored, size, sha256, time, errors, warnings,
                   explained, can_submit, refusal, findings,
                   (SELECT receipt FROM submissions WHERE upload = uploads.id AND state = 'done')
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

    /// The annotated feedback workbook of an upload: (file name, bytes).
    pub fn feedback(&self, s: &Session, id: i64) -> Result<(String, Vec<u8>), Fail> {
        let u = self.upload(s, id)?;
        if u.findings.is_empty() {
            return Err(Fail::not_found("这份报表没有发现问题,没有反馈工作簿"));
        }
        let period = Period::parse(&u.period).unwrap_or(self.period());
        let path = store::version_path(&self.setup.workspace, period, &u.township, &u.stored);
        let bytes =
            std::fs::read(&path).map_err(|e| Fail::internal(format!("找不到上传的文件({e})")))?;
        let prev = self.previous(period);
        let loaded = engine::check_bytes(
            &self.setup,
            &u.file,
            &path,
            &bytes,
            period,
            prev.returns.get(&u.township).map(|r| r.as_ref()),
        );
        let tmp = store::scratch_path(&self.setup.workspace, "xlsx");
        let r = engine::write_feedback(&loaded, period, &tmp)
            .map_err(|e| Fail::internal(format!("{e:#}")))
            .and_then(|_| std::fs::read(&tmp).map_err(|e| Fail::internal(e.to_string())));
        let _ = std::fs::remove_file(&tmp);
        let stem = std::path::Path::new(&u.file)
            .file_stem()
            .map(|x| x.to_string_lossy().into_owned())
            .unwrap_or_else(|| "报表".into());
        self.audit(
            Some(s),
            None,
            None,
            "下载反馈",
            Some(&u.township),
            Some(&u.period),
            Some(&u.sha256),
            "成功",
        );
        Ok((format!("{stem}_校验结果.xlsx"), r?))
    }

    /// This month's pre-filled template for the session's township.
    pub fn template(&self, s: &Session) -> Result<(String, Vec<u8>), Fail> {
        let township = self.township_only(s, "下载模板")?.to_string();
        let period = self.period();
        let tmp = store::scratch_path(&self.setup.workspace, "xlsx");
        let r = engine::write_template(&self.setup, &township, period, &tmp)
            .map_err(|e| Fail::internal(format!("{e:#}")))
            .and_then(|_| std::fs::read(&tmp).map_err(|e| Fail::internal(e.to_string())));
        let _ = std::fs::remove_file(&tmp);
        Ok((format!("{}_{period}_月报.xlsx", s.name), r?))
    }

    // ---------------------------------------------------------------- submit

    /// Submit an upload: the file goes into `<period>/` as the township's
    /// return; the receipt is given only after the file is synced and
    /// renamed into place and the ledger row is committed.
    pub fn submit(&self, s: &Session, id: i64) -> Result<Receipt, Fail> {
        self.township_only(s, "提交报表")?;
        let u = self.upload(s, id)?;
        if let Some(r) = &u.receipt {
            return self.receipt(s, r);
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
        let _one = self.accept.lock().unwrap_or_else(|p| p.into_inner());
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

    /// A receipt by number, checked against the session's rights.
    pub fn receipt(&self, s: &Session, number: &str) -> Result<Receipt, Fail> {
        let r = self
            .conn()
            .query_row(
                "SELECT receipt, township, period, file, size, sha256, received, rules_version,
                   rules_sha256, warnings, explained, late, upload
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

    // ---------------------------------------------------------------- status

    pub fn deadline(&self, period: Period) -> Result<Option<String>, Fail> {
        Ok(self
            .conn()
            .query_row(
                "SELECT date FROM deadlines WHERE period = ?1",
                [period.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The period folder as consolidate would decide it (cached while the
    /// folder's files do not change).
    pub fn folder(&self, period: Period) -> Arc<FolderScan> {
        let mut g = self.folder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, scan)) = &g.0 {
            if *p == period && !engine::folder_changed(&self.setup, period, scan) {
                return scan.clone();
            }
        }
        let prev = self.previous(period);
        let scan = Arc::new(engine::scan_folder(&self.setup, period, &prev, &mut g.1));
        g.0 = Some((period, scan.clone()));
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
                receipt: None,
                upload: uploads.get(code).map(|u| u.0),
                consolidated: false,
            };
            let used = ft
                .filter(|f| f.status.is_used())
                .and_then(|f| f.file.clone());
            let judged = ft.and_then(|f| f.file.clone());
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
            } else if let Some(file) = judged {
                let ft = ft.expect("judged implies a folder entry");
                row.received = std::fs::metadata(dir.join(&file))
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs() as i64);
                row.status = "校验未通过";
                row.source = Some(if sub.is_some_and(|x| x.2 == file) {
                    "web"
                } else {
                    "folder"
                });
                row.errors = Some(ft.errors as i64);
                row.warnings = Some(ft.warnings as i64);
                row.file = Some(file);
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
            summary: folder.summary.clone(),
        })
    }

    /// Every upload of a township, newest first.
    pub fn history(&self, s: &Session, township: Option<&str>) -> Result<Vec<Upload>, Fail> {
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
               (SELECT receipt FROM submissions WHERE upload = uploads.id AND state = 'done')
             FROM uploads WHERE township = ?1 ORDER BY id DESC",
        )?;
        let rows = q.query_map([&township], upload_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // ---------------------------------------------------------------- county

    /// 退回: the township's return goes back with a comment and leaves the
    /// period folder (its copy stays under 报送/).
    pub fn return_to(&self, s: &Session, township: &str, comment: &str) -> Result<(), Fail> {
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

    pub fn set_deadline(&self, s: &Session, period: &str, date: &str) -> Result<(), Fail> {
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

    pub fn open_period(&self, s: &Session, period: &str) -> Result<(), Fail> {
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

    /// Start a consolidation of the open period; 409 while one runs.
    pub fn start_consolidation(self: &Arc<Self>, s: &Session) -> Result<i64, Fail> {
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
                progress: 10,
                stage: "正在读取、校验各乡镇报表并写出汇总表".into(),
                summary: None,
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
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine::consolidate(&self.setup, period)
        }));
        let now = clock::now();
        let (state, summary, files) = match result {
            Ok(Ok(out)) => {
                let scan = self.folder(period);
                let mut files = vec![format!("/county/output/{period}/county")];
                if out.tiers.is_some() {
                    files.push(format!("/county/output/{period}/tiers"));
                }
                if !out.feedback.is_empty() {
                    files.push(format!("/county/output/{period}/feedback"));
                }
                ("done", scan.summary.clone(), files)
            }
            Ok(Err(e)) => ("failed", format!("汇总没有完成:{e:#}"), Vec::new()),
            Err(_) => (
                "failed",
                "汇总没有完成:程序意外中止,请重试".to_string(),
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
            &format!("{state}:{summary}"),
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
            j.files = files;
            j.finished = Some(now);
        }
    }

    /// Wait for a running consolidation (at shutdown).
    pub fn wait_jobs(&self) {
        let h = self
            .job_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = h {
            let _ = h.join();
        }
    }

    pub fn job(&self, s: &Session, id: i64) -> Result<Job, Fail> {
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
    pub fn last_job(&self, period: Period) -> Option<i64> {
        self.conn()
            .query_row(
                "SELECT MAX(id) FROM consolidations WHERE period = ?1",
                [period.to_string()],
                |r| r.get(0),
            )
            .ok()
            .flatten()
    }

    /// A consolidation output: (file name, bytes). `kind`: county, tiers, feedback (zip).
    pub fn output(&self, s: &Session, period: &str, kind: &str) -> Result<(String, Vec<u8>), Fail> {
        self.county_only(s, "下载汇总结果")?;
        let p = Period::parse(period).ok_or_else(|| Fail::bad("月份应写成 YYYY-MM"))?;
        let dir = engine::output_folder(&self.setup, p);
        let county = &self.setup.county.name;
        let read = |name: String| -> Result<(String, Vec<u8>), Fail> {
            let bytes = std::fs::read(dir.join(&name))
                .map_err(|_| Fail::not_found(format!("还没有 {name}。请先汇总")))?;
            Ok((name, bytes))
        };
        let (county_name, tiers_name) = engine::output_names(&self.setup, p);
        let r = match kind {
            "county" => read(county_name),
            "tiers" => read(tiers_name),
            "feedback" => store::zip_folder(&dir.join("反馈"))
                .map(|b| (format!("反馈_{county}_{p}.zip"), b))
                .map_err(|e| Fail::not_found(format!("没有反馈工作簿({e})"))),
            _ => Err(Fail::not_found("没有这种汇总结果")),
        };
        if r.is_ok() {
            self.audit(
                Some(s),
                None,
                None,
                "下载汇总结果",
                None,
                Some(&p.to_string()),
                None,
                kind,
            );
        }
        r
    }

    /// The township's accepted return file of the open period.
    pub fn accepted_file(&self, s: &Session, township: &str) -> Result<(String, Vec<u8>), Fail> {
        if s.township.as_ref().is_some_and(|t| t != township) {
            return Err(self.forbid(
                s,
                &format!("其他乡镇 {township} 的报表文件"),
                Some(township),
            ));
        }
        let period = self.period();
        let scan = self.folder(period);
        let Some(file) = scan.townships.get(township).and_then(|t| t.file.clone()) else {
            return Err(Fail::not_found("该乡镇本月没有报表文件"));
        };
        let bytes = std::fs::read(self.setup.workspace.join(period.to_string()).join(&file))
            .map_err(|_| Fail::not_found("文件已不在本期文件夹中"))?;
        self.audit(
            Some(s),
            None,
            None,
            "下载报表",
            Some(township),
            Some(&period.to_string()),
            None,
            &file,
        );
        Ok((file, bytes))
    }

    /// Audit rows, newest first, filtered.
    pub fn audit_rows(&self, s: &Session, f: &AuditFilter) -> Result<Vec<db::Audit>, Fail> {
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
    pub fn audit_actions(&self) -> Vec<String> {
        let c = self.conn();
        let Ok(mut q) = c.prepare("SELECT DISTINCT action FROM audit ORDER BY action") else {
            return Vec::new();
        };
        q.query_map([], |r| r.get(0))
            .map(|rows| rows.filter_map(|r| r.ok()).collect())
            .unwrap_or_default()
    }

    // ------------------------------------------------------------- reconcile

    /// At start: finish or abandon submissions a crash interrupted, remove
    /// our temporary files, and log every difference between the ledger
    /// and the period folders.
    pub fn reconcile(&self) -> anyhow::Result<()> {
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

/// 413 with what to do.
pub fn too_large(max: u64) -> Fail {
    Fail::new(
        413,
        format!(
            "文件太大:每份报表最多 {} MB。请删除多余的工作表、图片或空行,另存为 .xlsx 后重新上传",
            max / (1024 * 1024)
        ),
    )
}

/// Sessions are stored by the SHA-256 of their token, never the token.
pub fn token_key(token: &str) -> String {
    engine::sha256_hex(token.as_bytes())
}

/// The answer to an upload.
#[derive(Clone, Debug, Serialize)]
pub struct UploadResult {
    pub upload: i64,
    pub file: String,
    pub sha256: String,
    pub findings: Vec<serde_json::Value>,
    pub errors: usize,
    pub warnings: usize,
    pub explained: usize,
    pub can_submit: bool,
    #[serde(skip)]
    pub refusal: Option<String>,
}

/// One upload as the ledger keeps it.
#[derive(Clone, Debug)]
pub struct Upload {
    pub id: i64,
    pub township: String,
    pub period: String,
    pub user: String,
    pub file: String,
    pub stored: String,
    pub size: i64,
    pub sha256: String,
    pub time: i64,
    pub errors: i64,
    pub warnings: i64,
    pub explained: i64,
    pub can_submit: bool,
    pub refusal: Option<String>,
    pub findings: Vec<serde_json::Value>,
    pub receipt: Option<String>,
}

fn upload_row(r: &rusqlite::Row) -> rusqlite::Result<Upload> {
    let findings: String = r.get(14)?;
    Ok(Upload {
        id: r.get(0)?,
        township: r.get(1)?,
        period: r.get(2)?,
        user: r.get(3)?,
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

/// A receipt.
#[derive(Clone, Debug, Serialize)]
pub struct Receipt {
    pub receipt: String,
    pub township: String,
    #[serde(skip)]
    pub name: String,
    pub period: String,
    pub file: String,
    pub size: i64,
    pub sha256: String,
    pub received: String,
    pub rules_version: String,
    pub rules_sha256: String,
    pub warnings: i64,
    #[serde(skip)]
    pub explained: i64,
    #[serde(skip)]
    pub late: bool,
    #[serde(skip)]
    pub upload: i64,
}

/// One row of the board.
#[derive(Clone, Debug, Serialize)]
pub struct BoardRow {
    pub township: String,
    pub name: String,
    pub status: &'static str,
    pub source: Option<&'static str>,
    #[serde(serialize_with = "time_text")]
    pub received: Option<i64>,
    pub file: Option<String>,
    pub errors: Option<i64>,
    pub warnings: Option<i64>,
    pub comment: Option<String>,
    #[serde(skip)]
    pub receipt: Option<String>,
    #[serde(skip)]
    pub upload: Option<i64>,
    #[serde(skip)]
    pub consolidated: bool,
}

impl BoardRow {
    /// 已报送 or 逾期报送.
    pub fn is_in(&self) -> bool {
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
    pub period: String,
    pub deadline: Option<String>,
    pub expected: usize,
    pub submitted: usize,
    pub on_time: usize,
    pub rows: Vec<BoardRow>,
    #[serde(skip)]
    pub summary: String,
}

/// Filters of the audit log.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditFilter {
    pub township: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The county's user name, for pages.
pub fn county_user() -> &'static str {
    COUNTY_USER
}
