//! `huizong serve` as a real process on a loopback port: durability under
//! SIGKILL during a burst of submissions, and a bounded load of concurrent
//! uploads. Traffic goes to 127.0.0.1 only; every loop is bounded.

use super::common::{project, Workdir};
use super::serve::{multipart, BOUNDARY, SAMPLES};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `huizong serve`.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(ws: &Path, period: &str) -> Server {
        Server::start_with(ws, period, &[])
    }

    /// Started with `extra` arguments too.
    pub fn start_with(ws: &Path, period: &str, extra: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = std::fs::File::create(ws.join(format!("serve-{port}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_huizong"))
            .args([
                "serve",
                ws.to_str().unwrap(),
                "--listen",
                &addr.to_string(),
                "--period",
                period,
            ])
            .args(extra)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, addr }
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An answer of the tiny client.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One HTTP/1.1 request over a fresh connection (Connection: close).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 2 + n + 2..];
    }
    out
}

/// A logged-in session of the tiny client.
#[derive(Clone)]
pub struct Sess {
    pub addr: SocketAddr,
    pub cookie: String,
    pub csrf: String,
}

impl Sess {
    pub fn login(addr: SocketAddr, user: &str, password: &str) -> Sess {
        let body = serde_json::json!({"user": user, "password": password}).to_string();
        let r = request(
            addr,
            "POST",
            "/api/login",
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let cookie = r.headers["set-cookie"]
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Sess {
            addr,
            cookie,
            csrf: r.json()["csrf"].as_str().unwrap().to_string(),
        }
    }

    fn headers(&self, extra: Option<(&str, String)>) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Cookie", self.cookie.clone()),
            ("X-CSRF-Token", self.csrf.clone()),
        ];
        if let Some((k, v)) = extra {
            h.push((if k == "ct" { "Content-Type" } else { "X" }, v));
        }
        h
    }

    pub fn upload(&self, name: &str, bytes: &[u8]) -> std::io::Result<Reply> {
        let body = multipart(&[("file", Some(name), bytes)]);
        request(
            self.addr,
            "POST",
            "/api/check",
            &self.headers(Some((
                "ct",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ))),
            &body,
        )
    }

    pub fn submit(&self, id: i64) -> std::io::Result<Reply> {
        let body = serde_json::json!({"upload": id}).to_string();
        request(
            self.addr,
            "POST",
            "/api/submit",
            &self.headers(Some(("ct", "application/json".into()))),
            body.as_bytes(),
        )
    }

    pub fn get(&self, path: &str) -> Reply {
        request(self.addr, "GET", path, &self.headers(None), b"").unwrap()
    }
}

/// A workspace with logins and no month folder; the 2024-05 sample
/// returns (all submittable) kept aside, by township code.
pub struct LiveFixture {
    /// Keeps the temporary folder alive.
    #[allow(dead_code)]
    pub work: Workdir,
    pub ws: PathBuf,
    pub passwords: HashMap<String, String>,
    /// Township code → (file name, bytes).
    pub returns: BTreeMap<String, (String, Vec<u8>)>,
}

pub fn live_fixture() -> LiveFixture {
    let work = Workdir::new();
    let ws = work.path("示范县");
    std::fs::create_dir_all(&ws).unwrap();
    for f in ["county.toml", "roster.xlsx"] {
        std::fs::copy(project(SAMPLES).join(f), ws.join(f)).unwrap();
    }
    let mut conn = huizong::serve::db::open(&ws.join("报送")).unwrap();
    let (county, townships) = huizong::serve::engine::roster_townships(&ws).unwrap();
    let made =
        huizong::serve::accounts::create_missing(&mut conn, &county.name, &townships).unwrap();
    drop(conn);
    let mut returns = BTreeMap::new();
    for (code, name) in &townships {
        let file = format!("{name}_2024-05.xlsx");
        let bytes = std::fs::read(project(SAMPLES).join("2024-05").join(&file)).unwrap();
        returns.insert(code.clone(), (file, bytes));
    }
    LiveFixture {
        work,
        ws,
        passwords: made.into_iter().map(|l| (l.user, l.password)).collect(),
        returns,
    }
}

/// The same workbook with one harmless extra part: other bytes, same return.
fn variant(bytes: &[u8]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for i in 0..src.len() {
            let f = src.by_index_raw(i).unwrap();
            z.raw_copy_file(f).unwrap();
        }
        z.start_file(
            "docProps/huizong-variant.txt",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(b"variant").unwrap();
        z.finish().unwrap();
    }
    out.into_inner()
}

fn sha(bytes: &[u8]) -> String {
    huizong::serve::engine::sha256_hex(bytes)
}

fn temp_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            temp_files(&p, out);
        } else if e.file_name().to_string_lossy().ends_with(".tmp") {
            out.push(p);
        }
    }
}

#[test]
fn a_sigkill_during_a_burst_of_submissions_loses_nothing() {
    let f = live_fixture();
    let mut server = Server::start(&f.ws, "2024-05");
    let addr = server.addr;
    // Two versions of each township's return; both can be submitted.
    let mut versions: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for (code, (_, bytes)) in &f.returns {
        versions.insert(code.clone(), vec![bytes.clone(), variant(bytes)]);
    }
    let sessions: BTreeMap<String, Sess> = f
        .returns
        .keys()
        .map(|c| (c.clone(), Sess::login(addr, c, &f.passwords[c])))
        .collect();
    // Warm up: each variant checks clean and submittable.
    for (code, s) in &sessions {
        let r = s.upload(&f.returns[code].0, &versions[code][1]).unwrap();
        assert_eq!(r.json()["can_submit"], true, "{code}: {:?}", r.json());
    }
    // The burst: every township uploads and submits in a loop until the
    // server dies (bounded: 200 rounds or 120 s).
    let receipts =
        std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String, String)>::new()));
    let mut handles = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for (code, s) in sessions.clone() {
        let vs = versions[&code].clone();
        let name = f.returns[&code].0.clone();
        let receipts = receipts.clone();
        handles.push(std::thread::spawn(move || {
            for round in 0..200 {
                if Instant::now() > deadline {
                    break;
                }
                let bytes = &vs[round % 2];
                let Ok(up) = s.upload(&name, bytes) else {
                    break;
                };
                let Some(id) = up.json()["upload"].as_i64() else {
                    break;
                };
                let Ok(r) = s.submit(id) else { break };
                if r.status != 200 {
                    break;
                }
                let j = r.json();
                let Some(no) = j["receipt"].as_str() else {
                    break;
                };
                assert_eq!(j["sha256"], sha(bytes));
                receipts
                    .lock()
                    .unwrap()
                    .push((code.clone(), no.to_string(), sha(bytes)));
            }
        }));
    }
    // Let receipts come in, then kill mid-burst.
    let wait = Instant::now();
    while receipts.lock().unwrap().len() < 12 && wait.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(137));
    server.kill();
    for h in handles {
        h.join().unwrap();
    }
    let given = receipts.lock().unwrap().clone();
    assert!(
        given.len() >= 12,
        "the burst gave {} receipts before the kill",
        given.len()
    );
    eprintln!("burst: {} receipts given before SIGKILL", given.len());

    // Restart: it reconciles and serves again.
    let server = Server::start(&f.ws, "2024-05");
    let county = Sess::login(server.addr, "county", &f.passwords["county"]);
    let conn = rusqlite::Connection::open(f.ws.join("报送/huizong.sqlite")).unwrap();
    let pending: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM submissions WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0, "a restart leaves no submission half-done");
    for (code, no, sha256) in &given {
        let (state, ledger_sha): (String, String) = conn
            .query_row(
                "SELECT state, sha256 FROM submissions WHERE receipt = ?1",
                [no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(state, "done", "receipt {no} is in the ledger");
        assert_eq!(&ledger_sha, sha256);
        let version =
            f.ws.join("报送/2024-05")
                .join(code)
                .join(format!("{sha256}.xlsx"));
        assert_eq!(
            huizong::serve::store::sha256_of(&version).as_deref(),
            Some(sha256.as_str())
        );
        let h = county.get(&format!("/api/history?township={code}")).json();
        assert!(
            h.as_array()
                .unwrap()
                .iter()
                .any(|u| u["receipt"] == no.as_str()),
            "{no} in history"
        );
    }
    // The ledger agrees with the folder: each township's file is its last
    // receipted submission, whole.
    for (code, (_, _)) in &f.returns {
        let last: Option<(String, String)> = conn
            .query_row(
                "SELECT accepted, sha256 FROM submissions WHERE township = ?1 AND state = 'done' ORDER BY id DESC LIMIT 1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        let Some((accepted, sha256)) = last else {
            continue;
        };
        let on_disk = huizong::serve::store::sha256_of(&f.ws.join("2024-05").join(&accepted));
        assert_eq!(
            on_disk.as_deref(),
            Some(sha256.as_str()),
            "{code}: folder = ledger"
        );
        assert!(
            versions[code].iter().any(|v| sha(v) == sha256),
            "a whole file, not a partial one"
        );
        // The last receipt given for it is at most the ledger's last.
        if let Some((_, no, _)) = given.iter().rev().find(|(c, _, _)| c == code) {
            let id_given: i64 = conn
                .query_row("SELECT id FROM submissions WHERE receipt = ?1", [no], |r| {
                    r.get(0)
                })
                .unwrap();
            let id_last: i64 = conn
                .query_row(
                    "SELECT MAX(id) FROM submissions WHERE township = ?1 AND state = 'done'",
                    [code],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(id_given <= id_last);
        }
    }
    let reconciled: Vec<String> = conn
        .prepare("SELECT outcome FROM audit WHERE action = '启动核对'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    eprintln!("reconciliation at restart: {reconciled:?}");
    let mut temps = Vec::new();
    temp_files(&f.ws, &mut temps);
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
    // The board sees the same.
    let townships: i64 = conn
        .query_row(
            "SELECT COUNT(DISTINCT township) FROM submissions WHERE state = 'done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let st = county.get("/api/status").json();
    assert_eq!(st["submitted"], townships, "{st}");
    drop(server);
}

#[test]
fn a_hundred_concurrent_uploads_from_twenty_sessions_are_all_answered() {
    let f = live_fixture();
    let server = Server::start(&f.ws, "2024-05");
    let addr = server.addr;
    let codes: Vec<String> = f.returns.keys().cloned().collect();
    let sessions: Vec<(String, Sess)> = (0..20)
        .map(|i| {
            let c = &codes[i % codes.len()];
            (c.clone(), Sess::login(addr, c, &f.passwords[c]))
        })
        .collect();
    // Alone first: each township's findings.
    let mut alone = HashMap::new();
    for (code, s) in sessions.iter().take(codes.len()) {
        let (name, bytes) = &f.returns[code];
        let r = s.upload(name, bytes).unwrap();
        assert_eq!(r.status, 200);
        alone.insert(code.clone(), r.json()["findings"].clone());
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(100));
    let started = Instant::now();
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let (code, s) = sessions[i % 20].clone();
            let (name, bytes) = f.returns[&code].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let r = s.upload(&name, &bytes).expect("answered");
                (code, r.status, r.json())
            })
        })
        .collect();
    let results: Vec<(String, u16, serde_json::Value)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let took = started.elapsed();
    let mut ids = std::collections::BTreeSet::new();
    for (code, status, j) in &results {
        assert_eq!(*status, 200, "{j}");
        assert_eq!(j["findings"], alone[code], "same findings as alone");
        ids.insert(j["upload"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 100, "100 distinct uploads");
    // None lost: each is in its township's history.
    let county = Sess::login(addr, "county", &f.passwords["county"]);
    let mut recorded = 0;
    for code in &codes {
        let h = county.get(&format!("/api/history?township={code}")).json();
        recorded += h
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| ids.contains(&u["upload"].as_i64().unwrap()))
            .count();
    }
    assert_eq!(recorded, 100);
    eprintln!(
        "100 concurrent uploads answered in {:.1} s",
        took.as_secs_f64()
    );
    drop(server);
}

#[test]
fn sigterm_stops_cleanly_after_finishing_what_is_in_flight() {
    let f = live_fixture();
    let mut server = Server::start(&f.ws, "2024-05");
    let addr = server.addr;
    let code = f.returns.keys().next().unwrap().clone();
    let s = Sess::login(addr, &code, &f.passwords[&code]);
    let (name, bytes) = f.returns[&code].clone();
    let inflight = std::thread::spawn(move || s.upload(&name, &bytes));
    std::thread::sleep(Duration::from_millis(60));
    let pid = server.child.id() as i32;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let reply = inflight
        .join()
        .unwrap()
        .expect("the upload in flight is answered");
    assert_eq!(reply.status, 200);
    assert!(reply.json()["findings"].is_array());
    let started = Instant::now();
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(f.ws.join(format!("serve-{}.log", addr.port()))).unwrap();
    assert!(log.contains("服务已停止"), "{log}");
    assert!(TcpStream::connect(addr).is_err(), "no longer listening");
}

#[test]
fn connections_that_go_quiet_are_let_go() {
    let f = live_fixture();
    let server = Server::start_with(&f.ws, "2024-05", &["--idle-secs", "2"]);
    let addr = server.addr;
    let host = format!("Host: {addr}\r\n");
    // Each way a client can hold a connection and say no more: nothing at
    // all, half the headers, a body that stops, a finished request kept
    // open. Each is closed by the server soon after the idle time.
    let quiet: [(&str, String); 4] = [
        ("nothing", String::new()),
        ("half the headers", format!("GET /login HTTP/1.1\r\n{host}")),
        (
            "a body that stops",
            format!("POST /api/login HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"),
        ),
        ("kept open", format!("GET /login HTTP/1.1\r\n{host}\r\n")),
    ];
    let started = Instant::now();
    let waiting: Vec<_> = quiet
        .into_iter()
        .map(|(what, said)| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.write_all(said.as_bytes()).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut got = Vec::new();
                let closed = c.read_to_end(&mut got).is_ok();
                (what, closed, started.elapsed())
            })
        })
        .collect();
    for w in waiting {
        let (what, closed, after) = w.join().unwrap();
        assert!(
            closed && after < Duration::from_secs(10),
            "{what}: closed {closed} after {after:?}"
        );
    }
    // The server still answers.
    let r = request(addr, "GET", "/login", &[], &[]).unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn a_missing_certificate_stops_with_a_chinese_message_before_listening() {
    let f = live_fixture();
    let out = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args([
            "serve",
            f.ws.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
        ])
        .arg(f.ws.join("no-cert.pem"))
        .arg("--tls-key")
        .arg(f.ws.join("no-key.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("无法读取 TLS 证书") && stderr.contains("PEM"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("已启动"));
    // --tls-cert without --tls-key is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args(["serve", f.ws.to_str().unwrap(), "--tls-cert", "c.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn https_with_a_pem_certificate_and_a_secure_cookie() {
    if !super::common::require_program("openssl") || !super::common::require_program("curl") {
        return;
    }
    let f = live_fixture();
    let (cert, key) = (f.ws.join("cert.pem"), f.ws.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let log = std::fs::File::create(f.ws.join("tls.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args([
            "serve",
            f.ws.to_str().unwrap(),
            "--listen",
            &addr,
            "--tls-cert",
        ])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        addr: addr.parse().unwrap(),
    };
    let started = Instant::now();
    while TcpStream::connect(server.addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = serde_json::json!({"user": "county", "password": f.passwords["county"]}).to_string();
    let out = Command::new("curl")
        .args([
            "-sk",
            "-i",
            "--max-time",
            "30",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
        ])
        .arg(format!("https://{addr}/api/login"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.contains(" 200"), "{text}");
    let cookie = text
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap_or_default()
        .to_string();
    assert!(
        cookie.contains("httponly")
            && cookie.contains("samesite=strict")
            && cookie.contains("; secure"),
        "{cookie}"
    );
    let log = std::fs::read_to_string(f.ws.join("tls.log")).unwrap();
    assert!(log.contains(&format!("https://{addr}/")), "{log}");
    assert!(!log.contains("警告"), "no warning on loopback with TLS");
    server.kill();
}
