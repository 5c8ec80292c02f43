//! What the service does, without HTTP: logins and sessions, uploads and
//! checks, submissions and the ledger, the board, county actions, the
//! audit log. Every function here is synchronous and may block (database,
//! files, checks): the HTTP layer calls it on the blocking pool.
//!
//! One file per concern, each adding its methods to [`Service`]: `auth`
//! (logins, sessions, lockout), `uploads` (upload, check, the upload
//! ledger), `submissions` (submit, receipts, 退回), `board` (报送情况,
//! deadlines, the open period), `jobs` (汇总 runs and their progress),
//! `downloads` (feedback, template, outputs, accepted files), `audit` (the
//! log's pages) and `reconcile` (ledger against folders at start).

mod audit;
mod auth;
mod board;
mod downloads;
mod jobs;
mod reconcile;
mod submissions;
mod uploads;

pub(crate) use audit::AuditFilter;
pub use board::{Board, BoardRow};
pub(crate) use jobs::Job;
pub(crate) use uploads::{too_large, Upload, UploadResult};

use super::accounts;
use super::engine::Month as Period;
use super::engine::{self, Setup};
use super::{clock, db};
use rusqlite::Connection;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// A refusal: an HTTP status and a Chinese message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub(crate) status: u16,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad(m: impl Into<String>) -> Fail {
        Fail::new(400, m)
    }
    pub(crate) fn login() -> Fail {
        Fail::new(401, "请先登录(登录已过期或尚未登录)")
    }
    pub(crate) fn forbidden(m: impl Into<String>) -> Fail {
        Fail::new(403, m)
    }
    pub(crate) fn not_found(m: impl Into<String>) -> Fail {
        Fail::new(404, m)
    }
    pub(crate) fn conflict(m: impl Into<String>) -> Fail {
        Fail::new(409, m)
    }
    pub(crate) fn internal(m: impl std::fmt::Display) -> Fail {
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
    pub(crate) fn is_county(&self) -> bool {
        self.township.is_none()
    }
}

/// The service.
pub struct Service {
    pub setup: Setup,
    db: Mutex<Connection>,
    pub(crate) tls: bool,
    period: RwLock<Period>,
    lockout: Mutex<auth::Lockout>,
    uploads: Mutex<HashMap<String, VecDeque<i64>>>,
    previous: Mutex<Option<(Period, Arc<engine::Previous>)>>,
    folder: Mutex<board::FolderState>,
    /// One submission at a time moves files and writes the ledger.
    accept: Mutex<()>,
    jobs: Mutex<HashMap<i64, Job>>,
    job_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// A hash to verify against for unknown users (same time as a real one).
    dummy_hash: String,
}

/// The name a township's files go by in the ledger and folders.
pub(crate) fn state_dir(setup: &Setup) -> PathBuf {
    setup.workspace.join("报送")
}

impl Service {
    /// Open the service over a workspace: database, reconciliation, period.
    pub(crate) fn open(setup: Setup, period: Option<Period>, tls: bool) -> anyhow::Result<Service> {
        let conn = db::open(&state_dir(&setup))?;
        let period = period.unwrap_or_else(clock::current_period);
        db::set_setting(&conn, "period", &period.to_string())?;
        let svc = Service {
            setup,
            db: Mutex::new(conn),
            tls,
            period: RwLock::new(period),
            lockout: Mutex::new(auth::Lockout::default()),
            uploads: Mutex::new(HashMap::new()),
            previous: Mutex::new(None),
            folder: Mutex::new(board::FolderState::default()),
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

    pub(crate) fn period(&self) -> Period {
        *self.period.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Append to the audit log (a failure to log is reported, not hidden).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn audit(
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
    pub(crate) fn forbid(&self, s: &Session, what: &str, township: Option<&str>) -> Fail {
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
    pub(crate) fn county_only(&self, s: &Session, what: &str) -> Result<(), Fail> {
        if s.is_county() {
            Ok(())
        } else {
            Err(self.forbid(s, &format!("{what}(仅限县里的账号)"), s.township.as_deref()))
        }
    }

    /// Only a township may do this; its code.
    pub(crate) fn township_only<'a>(&self, s: &'a Session, what: &str) -> Result<&'a str, Fail> {
        match &s.township {
            Some(t) => Ok(t),
            None => Err(Fail::forbidden(format!(
                "{what}只能由乡镇(街道)账号办理;县里的账号请使用报送情况页面"
            ))),
        }
    }
}
