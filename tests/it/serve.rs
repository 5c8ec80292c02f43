//! `huizong serve` in-process: every API row and every security rule of
//! `serve.md`, through the router without a socket, each test trying to
//! break what it checks.

use super::common::{project, Workdir};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use huizong::serve::{accounts, db, http, service::Service};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

pub const SAMPLES: &str = "samples/示范县";

/// A workspace copied from the samples (inputs only, never `输出/`), with
/// logins made; `current` sample returns are left out of `2024-06/`.
pub struct Fixture {
    pub work: Workdir,
    pub ws: PathBuf,
    pub passwords: HashMap<String, String>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_rules(None)
    }

    /// With a `rules.toml` of the workspace made from the shipped one by
    /// replacing `from` with `to`.
    pub fn with_rules(edit: Option<(&str, &str)>) -> Fixture {
        let work = Workdir::new();
        let ws = work.path("示范县");
        std::fs::create_dir_all(ws.join("2024-06")).unwrap();
        for f in ["county.toml", "roster.xlsx", "county_scores.xlsx"] {
            std::fs::copy(project(SAMPLES).join(f), ws.join(f)).unwrap();
        }
        super::common::copy_dir(&project(SAMPLES).join("2024-05"), &ws.join("2024-05"));
        if let Some((from, to)) = edit {
            let text = std::fs::read_to_string(project("templates/rules.toml")).unwrap();
            assert!(text.contains(from));
            std::fs::write(ws.join("rules.toml"), text.replace(from, to)).unwrap();
        }
        let mut conn = db::open(&ws.join("报送")).unwrap();
        let (county, townships) = huizong::serve::engine::roster_townships(&ws).unwrap();
        let made = accounts::create_missing(&mut conn, &county.name, &townships).unwrap();
        let passwords = made.into_iter().map(|l| (l.user, l.password)).collect();
        Fixture {
            work,
            ws,
            passwords,
        }
    }

    pub fn sample(name: &str) -> PathBuf {
        project(SAMPLES).join(name)
    }

    pub fn service(&self, period: &str) -> Arc<Service> {
        huizong::serve::open(&self.ws, None, Some(period.parse().unwrap()), false).unwrap()
    }

    pub fn router(&self, period: &str) -> (Router, Arc<Service>) {
        let svc = self.service(period);
        (http::router(http::App::new(svc.clone())), svc)
    }
}

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The Chinese error of a refusal.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A client of the in-process router: a cookie, a CSRF token, an address.
#[derive(Clone)]
pub struct Client {
    pub app: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub addr: SocketAddr,
    pub origin: Option<String>,
}

pub const BOUNDARY: &str = "----huizongtestboundary7MA4YWxkTrZu0gW";

/// A multipart body with one field per (name, file name, bytes).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, file, bytes) in parts {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

impl Client {
    pub fn new(app: &Router) -> Client {
        Client {
            app: app.clone(),
            cookie: None,
            csrf: None,
            addr: "192.0.2.10:50000".parse().unwrap(),
            origin: None,
        }
    }

    pub fn from(mut self, addr: &str) -> Client {
        self.addr = format!("{addr}:50000").parse().unwrap();
        self
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        csrf: bool,
    ) -> Answer {
        let mut r = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:8080");
        if let Some(c) = &self.cookie {
            r = r.header(header::COOKIE, format!("{}={c}", http::COOKIE));
        }
        if let (true, Some(t)) = (csrf, &self.csrf) {
            r = r.header("x-csrf-token", t);
        }
        if let Some(o) = &self.origin {
            r = r.header(header::ORIGIN, o);
        }
        if let Some(ct) = content_type {
            r = r.header(header::CONTENT_TYPE, ct);
        }
        let mut req = r.body(Body::from(body)).unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.addr));
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, Vec::new(), false).await
    }

    pub async fn post_json(&self, path: &str, v: serde_json::Value) -> Answer {
        self.send(
            "POST",
            path,
            Some("application/json"),
            v.to_string().into_bytes(),
            true,
        )
        .await
    }

    pub async fn post_form(&self, path: &str, form: &str) -> Answer {
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            form.as_bytes().to_vec(),
            false,
        )
        .await
    }

    pub async fn upload(&self, name: &str, bytes: &[u8]) -> Answer {
        self.send(
            "POST",
            "/api/check",
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart(&[("file", Some(name), bytes)]),
            true,
        )
        .await
    }

    pub async fn upload_file(&self, path: &Path) -> Answer {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        self.upload(&name, &std::fs::read(path).unwrap()).await
    }

    /// Log in; panics unless it succeeds.
    pub async fn login(mut self, user: &str, password: &str) -> Client {
        let a = self.try_login(user, password).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let cookie = a.headers[header::SET_COOKIE].to_str().unwrap().to_string();
        let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
        self.cookie = Some(token.to_string());
        self.csrf = Some(a.json()["csrf"].as_str().unwrap().to_string());
        self
    }

    pub async fn try_login(&self, user: &str, password: &str) -> Answer {
        self.post_json(
            "/api/login",
            serde_json::json!({"user": user, "password": password}),
        )
        .await
    }
}

const BAISHA: &str = "990101101";
const ZHANGHUANG: &str = "990101102";
const XIKOU: &str = "990101103";
const QINGHU: &str = "990101104";

async fn township(f: &Fixture, app: &Router, code: &str) -> Client {
    Client::new(app).login(code, &f.passwords[code]).await
}

async fn county(f: &Fixture, app: &Router) -> Client {
    Client::new(app)
        .login("county", &f.passwords["county"])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_cookie_is_httponly_strict_and_a_wrong_password_is_401() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let c = Client::new(&app);
    let a = c.try_login(BAISHA, &f.passwords[BAISHA]).await;
    assert_eq!(a.status, StatusCode::OK);
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(token.len() >= 32, "≥128 bits: {token}");
    let j = a.json();
    assert_eq!(j["user"], BAISHA);
    assert_eq!(j["township"], BAISHA);
    assert!(j["csrf"].as_str().unwrap().len() >= 32);
    let county_login = c.try_login("county", &f.passwords["county"]).await.json();
    assert!(county_login["township"].is_null());

    let bad = c.try_login(BAISHA, "wrong-password").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.error().contains("用户名或密码错误"), "{}", bad.error());
    assert!(bad.headers.get(header::SET_COOKIE).is_none());
    let bad_json = c
        .send(
            "POST",
            "/api/login",
            Some("application/json"),
            b"{not json".to_vec(),
            false,
        )
        .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    assert!(bad_json.error().contains("JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_cookie_is_secure() {
    let f = Fixture::new();
    let svc = huizong::serve::open(&f.ws, None, Some("2024-06".parse().unwrap()), true).unwrap();
    let app = http::router(http::App::new(svc));
    let mut c = Client::new(&app);
    c.origin = None;
    let a = c.try_login(BAISHA, &f.passwords[BAISHA]).await;
    assert!(a.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("; Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let f = Fixture::new();
    let (app, svc) = f.router("2024-06");
    // Each try from its own address: the account's lock alone is tested.
    for i in 0..5 {
        let c = Client::new(&app).from(&format!("192.0.2.{}", 20 + i));
        assert_eq!(
            c.try_login(XIKOU, "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let c = Client::new(&app).from("192.0.2.40");
    let a = c.try_login(XIKOU, "guess").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let right = c.try_login(XIKOU, &f.passwords[XIKOU]).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(right.error().contains("锁定"), "{}", right.error());
    // Another account is not locked.
    assert_eq!(
        c.try_login(BAISHA, &f.passwords[BAISHA]).await.status,
        StatusCode::OK
    );
    // Every login is logged, failed or not.
    let c2 = county(&f, &app).await;
    let rows = c2
        .get(&format!("/api/audit?action={}", enc("登录")))
        .await
        .json();
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter()
            .filter(|r| r["outcome"].as_str().unwrap().starts_with("失败"))
            .count()
            >= 5
    );
    assert!(rows
        .iter()
        .any(|r| r["outcome"].as_str().unwrap().contains("锁定")));
    drop(svc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_from_one_address_lock_that_address_across_accounts() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let attacker = Client::new(&app).from("192.0.2.66");
    for user in [
        "990101101",
        "990101102",
        "990101103",
        "990101104",
        "990101105",
    ] {
        assert_eq!(
            attacker.try_login(user, "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let a = attacker.try_login(QINGHU, &f.passwords[QINGHU]).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let other = Client::new(&app).from("192.0.2.67");
    assert_eq!(
        other.try_login(QINGHU, &f.passwords[QINGHU]).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_but_login_needs_a_session_and_logout_ends_it() {
    let f = Fixture::new();
    let (app, svc) = f.router("2024-06");
    let anon = Client::new(&app);
    for p in [
        "/api/status",
        "/api/history",
        "/api/audit",
        "/api/jobs/1",
        "/api/uploads/1/feedback",
    ] {
        let a = anon.get(p).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{p}");
        assert!(a.error().contains("登录"), "{p}");
    }
    for p in [
        "/home",
        "/county",
        "/history",
        "/uploads/1",
        "/receipts/x",
        "/template",
        "/county/audit",
    ] {
        let a = anon.get(p).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{p}");
        assert_eq!(a.headers[header::LOCATION], "/login", "{p}");
    }
    assert_eq!(anon.get("/login").await.status, StatusCode::OK);
    // A made-up cookie is no session.
    let mut forged = Client::new(&app);
    forged.cookie = Some("a".repeat(64));
    assert_eq!(
        forged.get("/api/status").await.status,
        StatusCode::UNAUTHORIZED
    );

    let c = township(&f, &app, BAISHA).await;
    assert_eq!(c.get("/api/status").await.status, StatusCode::OK);
    // Idle for more than 8 hours: the session is gone.
    {
        let conn = svc.conn();
        conn.execute(
            "UPDATE sessions SET last_seen = last_seen - 8 * 3600 - 5",
            [],
        )
        .unwrap();
    }
    assert_eq!(c.get("/api/status").await.status, StatusCode::UNAUTHORIZED);
    let c = township(&f, &app, BAISHA).await;
    let out = c.post_json("/api/logout", serde_json::json!({})).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(c.get("/api/status").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_need_the_sessions_csrf_token() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, BAISHA).await;
    let good = std::fs::read(Fixture::sample("2024-06/白砂镇_2024-06.xlsx")).unwrap();
    let body = multipart(&[("file", Some("白砂镇_2024-06.xlsx"), &good)]);
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    // No token, a wrong token, another session's token.
    let none = t
        .send("POST", "/api/check", Some(&ct), body.clone(), false)
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    assert!(none.error().contains("CSRF"));
    let mut wrong = t.clone();
    wrong.csrf = Some("0".repeat(64));
    assert_eq!(
        wrong
            .send("POST", "/api/check", Some(&ct), body.clone(), true)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let other = township(&f, &app, BAISHA).await;
    let mut crossed = t.clone();
    crossed.csrf = other.csrf.clone();
    assert_eq!(
        crossed
            .send("POST", "/api/check", Some(&ct), body.clone(), true)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // With it, the upload goes through; submitting needs it too.
    let up = t.upload("白砂镇_2024-06.xlsx", &good).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text());
    let id = up.json()["upload"].as_i64().unwrap();
    let sub = t
        .send(
            "POST",
            "/api/submit",
            Some("application/json"),
            format!("{{\"upload\":{id}}}").into_bytes(),
            false,
        )
        .await;
    assert_eq!(sub.status, StatusCode::FORBIDDEN);
    // The page forms: the token is a form field.
    let page = t.post_form("/submit", &format!("upload={id}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = t
        .post_form("/submit", &format!("upload={id}&csrf={}", "1".repeat(64)))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page_upload = t
        .send(
            "POST",
            "/upload",
            Some(&ct),
            multipart(&[("file", Some("a.xlsx"), &good)]),
            false,
        )
        .await;
    assert_eq!(
        page_upload.status,
        StatusCode::FORBIDDEN,
        "a form upload without its csrf field"
    );
    let c = county(&f, &app).await;
    for (path, body) in [
        (
            "/api/deadline",
            serde_json::json!({"period": "2024-06", "date": "2024-07-05"}),
        ),
        ("/api/period", serde_json::json!({"period": "2024-05"})),
        (
            "/api/return",
            serde_json::json!({"township": BAISHA, "comment": "x"}),
        ),
        ("/api/consolidate", serde_json::json!({})),
        ("/api/logout", serde_json::json!({})),
    ] {
        let a = c
            .send(
                "POST",
                path,
                Some("application/json"),
                body.to_string().into_bytes(),
                false,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing changed.
    assert!(c.get("/api/status").await.json()["deadline"].is_null());
    // A GET never changes anything: the state-changing paths answer no GET.
    for p in [
        "/api/submit",
        "/api/return",
        "/api/deadline",
        "/api/period",
        "/api/consolidate",
        "/api/logout",
    ] {
        assert_ne!(c.get(p).await.status, StatusCode::OK, "{p}");
    }
    assert_eq!(c.get("/api/status").await.json()["period"], "2024-06");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_is_refused() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let mut evil = Client::new(&app);
    evil.origin = Some("http://evil.example".into());
    let a = evil.try_login(BAISHA, &f.passwords[BAISHA]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.error().contains("其他网站"));
    let mut t = township(&f, &app, BAISHA).await;
    t.origin = Some("http://127.0.0.1:8080".into());
    assert_eq!(
        t.get("/api/status").await.status,
        StatusCode::OK,
        "same origin"
    );
    t.origin = Some("https://127.0.0.1:8080".into());
    assert_eq!(
        t.get("/api/status").await.status,
        StatusCode::FORBIDDEN,
        "other scheme"
    );
    t.origin = Some("null".into());
    assert_eq!(
        t.post_json("/api/submit", serde_json::json!({"upload": 1}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    t.origin = Some("http://127.0.0.1:8080.evil.example".into());
    let page = t.post_form("/logout", "csrf=x").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("其他网站"));
    let c = county(&f, &app).await;
    let rows = c
        .get(&format!("/api/audit?action={}", enc("越权访问")))
        .await
        .json();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["outcome"].as_str().unwrap().contains("evil.example")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_township_never_reaches_another_townships_anything() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let a = township(&f, &app, BAISHA).await;
    let b = township(&f, &app, XIKOU).await;
    let up = a
        .upload_file(&Fixture::sample("2024-06/白砂镇_2024-06.xlsx"))
        .await
        .json();
    let id = up["upload"].as_i64().unwrap();
    let receipt = a
        .post_json("/api/submit", serde_json::json!({"upload": id}))
        .await
        .json();
    let no = receipt["receipt"].as_str().unwrap().to_string();
    // A's error upload too (for its feedback).
    let bad = a.upload("其他.xlsx", b"not a workbook").await.json();
    let bad_id = bad["upload"].as_i64().unwrap();

    for (path, what) in [
        (format!("/api/uploads/{bad_id}/feedback"), "feedback"),
        (format!("/api/history?township={BAISHA}"), "history"),
        (format!("/uploads/{id}"), "upload page"),
        (format!("/uploads/{bad_id}/feedback"), "feedback page"),
        (format!("/receipts/{no}"), "receipt"),
        (format!("/history?township={BAISHA}"), "history page"),
        (format!("/files/{BAISHA}"), "accepted file"),
    ] {
        assert_eq!(
            b.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{what}: {path}"
        );
    }
    let sub = b
        .post_json("/api/submit", serde_json::json!({"upload": id}))
        .await;
    assert_eq!(
        sub.status,
        StatusCode::FORBIDDEN,
        "submitting another township's upload"
    );
    // The township is the session's: B's status shows B only.
    let st = b.get("/api/status").await.json();
    let rows = st["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["township"], XIKOU);
    let hist = b.get("/api/history").await.json();
    assert!(hist.as_array().unwrap().is_empty());
    // A still reaches its own.
    assert_eq!(
        a.get(&format!("/receipts/{no}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.get(&format!("/api/uploads/{bad_id}/feedback"))
            .await
            .status,
        StatusCode::OK
    );
    // Every refusal is logged.
    let c = county(&f, &app).await;
    let rows = c
        .get(&format!(
            "/api/audit?action={}&township={BAISHA}",
            enc("越权访问")
        ))
        .await
        .json();
    assert!(rows.as_array().unwrap().len() >= 7, "{rows}");
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["account"] == XIKOU));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn county_only_endpoints_refuse_a_township_and_township_ones_refuse_the_county() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, BAISHA).await;
    for (path, body) in [
        (
            "/api/return",
            serde_json::json!({"township": XIKOU, "comment": "x"}),
        ),
        (
            "/api/deadline",
            serde_json::json!({"period": "2024-06", "date": "2024-07-05"}),
        ),
        ("/api/period", serde_json::json!({"period": "2024-05"})),
        ("/api/consolidate", serde_json::json!({})),
    ] {
        let a = t.post_json(path, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!a.error().is_empty());
    }
    for p in [
        "/api/jobs/1",
        "/api/audit",
        "/county",
        "/county/audit",
        "/county/jobs/1",
        "/county/output/2024-06/county",
    ] {
        assert_eq!(t.get(p).await.status, StatusCode::FORBIDDEN, "{p}");
    }
    let c = county(&f, &app).await;
    let up = c
        .upload_file(&Fixture::sample("2024-06/白砂镇_2024-06.xlsx"))
        .await;
    assert_eq!(
        up.status,
        StatusCode::FORBIDDEN,
        "the county does not upload returns"
    );
    assert_eq!(c.get("/template").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/api/history").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        c.get(&format!("/api/history?township={BAISHA}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_one_byte_over_the_limit_is_413_with_a_chinese_json_error() {
    let f = Fixture::with_rules(Some(("max_file_mb = 20", "max_file_mb = 1")));
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, BAISHA).await;
    let limit = 1024 * 1024;
    let over = vec![b'x'; limit + 1];
    let a = t.upload("大文件.xlsx", &over).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(
        a.error().contains("文件太大") && a.error().contains("1 MB"),
        "{}",
        a.error()
    );
    // Far over (the body limit cuts it): still 413 with the same message.
    let far = vec![b'x'; 3 * limit];
    let a = t.upload("大文件.xlsx", &far).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.error().contains("文件太大"));
    // The page says it as a page.
    let page = t
        .send(
            "POST",
            "/upload",
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart(&[
                ("csrf", None, t.csrf.as_ref().unwrap().as_bytes()),
                ("file", Some("大.xlsx"), &over),
            ]),
            false,
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.text().contains("文件太大"));
    // At the limit it is read (and refused by the checker, not the door).
    let at = t.upload("刚好.xlsx", &vec![b'x'; limit]).await;
    assert_eq!(at.status, StatusCode::OK, "{}", at.text());
    assert_eq!(at.json()["findings"][0]["code"], "S01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_name_is_text_never_a_path() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, BAISHA).await;
    let bytes = std::fs::read(Fixture::sample("2024-06/白砂镇_2024-06.xlsx")).unwrap();
    for name in [
        "../../x.xlsx",
        "..\\..\\y.xlsx",
        "/etc/z.xlsx",
        "报送/huizong.sqlite",
    ] {
        let a = t.upload(name, &bytes).await;
        assert_eq!(a.status, StatusCode::OK, "{name}: {}", a.text());
        assert_eq!(a.json()["file"], name, "kept as text");
    }
    let id = t.upload("../../x.xlsx", &bytes).await.json()["upload"]
        .as_i64()
        .unwrap();
    let r = t
        .post_json("/api/submit", serde_json::json!({"upload": id}))
        .await
        .json();
    assert_eq!(r["file"], "../../x.xlsx");
    // Nothing was written by those names.
    let root = f.work.root();
    for p in [
        root.join("x.xlsx"),
        f.ws.join("x.xlsx"),
        f.ws.join("报送").join("x.xlsx"),
        root.parent().unwrap().join("x.xlsx"),
    ] {
        assert!(!p.exists(), "{}", p.display());
    }
    assert!(std::fs::read(f.ws.join("报送/huizong.sqlite"))
        .unwrap()
        .starts_with(b"SQLite format 3"));
    // Versions are named by the server; the accepted file by the rules.
    let versions: Vec<String> = std::fs::read_dir(f.ws.join("报送/2024-06").join(BAISHA))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        versions
            .iter()
            .all(|v| v.len() == 64 + 5 && v.ends_with(".xlsx")),
        "{versions:?}"
    );
    let accepted: Vec<String> = std::fs::read_dir(f.ws.join("2024-06"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(accepted, vec![format!("{BAISHA}_白砂镇_2024-06.xlsx")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_30_uploads_a_minute_is_429_and_two_files_are_400() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, BAISHA).await;
    let two = t
        .send(
            "POST",
            "/api/check",
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart(&[
                ("file", Some("a.xlsx"), b"a"),
                ("file", Some("b.xlsx"), b"b"),
            ]),
            true,
        )
        .await;
    assert_eq!(two.status, StatusCode::BAD_REQUEST);
    assert!(two.error().contains("一个文件"));
    let none = t
        .send(
            "POST",
            "/api/check",
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart(&[]),
            true,
        )
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    // 2 counted already; 28 more are fine, the next is not.
    for i in 0..28 {
        let a = t.upload(&format!("{i}.xlsx"), b"tiny").await;
        assert_eq!(a.status, StatusCode::OK, "upload {i}");
    }
    let a = t.upload("again.xlsx", b"tiny").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.error().contains("30"));
    // Another account is not limited by it.
    let other = township(&f, &app, XIKOU).await;
    assert_eq!(other.upload("a.xlsx", b"tiny").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_submit_receipt_history_and_downloads() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let t = township(&f, &app, XIKOU).await;
    // The sample with errors: cannot be submitted.
    let bad = t
        .upload_file(&Fixture::sample("2024-06/溪口乡_2024-06.xlsx"))
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    let j = bad.json();
    assert_eq!(j["errors"], 2);
    assert_eq!(j["can_submit"], false);
    for k in [
        "upload",
        "file",
        "sha256",
        "findings",
        "errors",
        "warnings",
        "explained",
        "can_submit",
    ] {
        assert!(j.get(k).is_some(), "{k}");
    }
    let id = j["upload"].as_i64().unwrap();
    let refused = t
        .post_json("/api/submit", serde_json::json!({"upload": id}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.error().contains("不能提交"));
    assert!(
        !f.ws.join("2024-06").read_dir().unwrap().any(|_| true),
        "nothing submitted"
    );
    // Its feedback workbook, with an encoded name and nosniff.
    let fb = t.get(&format!("/api/uploads/{id}/feedback")).await;
    assert_eq!(fb.status, StatusCode::OK);
    let cd = fb.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''"),
        "{cd}"
    );
    assert!(
        cd.contains(&http::percent_encode("溪口乡_2024-06_校验结果.xlsx")),
        "{cd}"
    );
    assert_eq!(fb.headers["x-content-type-options"], "nosniff");
    assert!(fb.body.starts_with(b"PK"));
    // The results page shows the cell and the code, errors first.
    let page = t.get(&format!("/uploads/{id}")).await.text();
    assert!(page.contains("标牌清理!E3") && page.contains("V02") && page.contains("不能提交"));
    assert!(page.contains("错误 <strong>2</strong>"));
    // A township's own wrong-township file cannot be submitted either.
    let foreign = t
        .upload_file(&Fixture::sample("2024-06/白砂镇_2024-06.xlsx"))
        .await
        .json();
    assert_eq!(foreign["errors"], 0);
    assert_eq!(foreign["can_submit"], false);
    let r = t
        .post_json(
            "/api/submit",
            serde_json::json!({"upload": foreign["upload"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.error().contains("990101101"), "{}", r.error());

    // 青湖街道: warnings only, submittable.
    let q = township(&f, &app, QINGHU).await;
    let up = q
        .upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
        .await
        .json();
    assert_eq!(up["can_submit"], true);
    assert_eq!(up["warnings"], 1);
    assert_eq!(up["explained"], 1);
    let receipt = q
        .post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text());
    let r = receipt.json();
    for k in [
        "receipt",
        "township",
        "period",
        "file",
        "size",
        "sha256",
        "received",
        "rules_version",
        "rules_sha256",
        "warnings",
    ] {
        assert!(!r[k].is_null(), "{k}");
    }
    assert_eq!(r["township"], QINGHU);
    assert_eq!(r["period"], "2024-06");
    assert_eq!(r["warnings"], 1);
    assert_eq!(r["sha256"], up["sha256"]);
    let accepted =
        f.ws.join("2024-06")
            .join(format!("{QINGHU}_青湖街道_2024-06.xlsx"));
    let bytes = std::fs::read(&accepted).unwrap();
    assert_eq!(bytes.len() as i64, r["size"].as_i64().unwrap());
    assert_eq!(
        huizong::serve::engine::sha256_hex(&bytes),
        r["sha256"].as_str().unwrap()
    );
    // Submitting again gives the same receipt.
    let again = q
        .post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await
        .json();
    assert_eq!(again["receipt"], r["receipt"]);
    let page = q
        .get(&format!("/receipts/{}", r["receipt"].as_str().unwrap()))
        .await
        .text();
    assert!(
        page.contains("县里汇总时以此文件为准") && page.contains(r["sha256"].as_str().unwrap())
    );
    // History.
    let h = q.get("/api/history").await.json();
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["submitted"], true);
    assert_eq!(h[0]["receipt"], r["receipt"]);
    for k in ["time", "sha256", "errors", "warnings"] {
        assert!(!h[0][k].is_null(), "{k}");
    }
    // Status: itself, 已报送 from the web.
    let st = q.get("/api/status").await.json();
    assert_eq!(st["rows"][0]["status"], "已报送");
    assert_eq!(st["rows"][0]["source"], "web");
    assert_eq!(st["submitted"], 1);
    // The template of the month.
    let tpl = q.get("/template").await;
    assert_eq!(tpl.status, StatusCode::OK);
    assert!(tpl.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(&http::percent_encode("青湖街道_2024-06_月报.xlsx")));
    // The same template as `huizong template` makes (last month's signs
    // carried over), byte for byte.
    let cli_tpl = f.work.path("cli_template.xlsx");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args(["template", "--township", QINGHU, "--period", "2024-06"])
        .arg("--workspace")
        .arg(&f.ws)
        .arg("-o")
        .arg(&cli_tpl)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tpl.body, std::fs::read(&cli_tpl).unwrap());
    // A file with no finding has no feedback workbook.
    let clean = township(&f, &app, BAISHA).await;
    let up = clean
        .upload_file(&Fixture::sample("2024-06/白砂镇_2024-06.xlsx"))
        .await
        .json();
    assert_eq!(up["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        clean
            .get(&format!("/api/uploads/{}/feedback", up["upload"]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        clean.get("/api/uploads/999/feedback").await.status,
        StatusCode::NOT_FOUND
    );
    // No directory listing anywhere.
    for p in ["/报送/", "/2024-06/", "/assets/", "/files/", "/%2e%2e/"] {
        let a = clean.get(p).await;
        assert!(
            a.status == StatusCode::NOT_FOUND || a.status == StatusCode::FORBIDDEN,
            "{p}: {}",
            a.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_deadline_return_period_and_hand_placed_files() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let c = county(&f, &app).await;
    // Hand-placed files (returns that came by e-mail).
    for name in ["白砂镇_2024-06.xlsx", "石门镇_2024-06.xlsx"] {
        std::fs::copy(
            Fixture::sample(&format!("2024-06/{name}")),
            f.ws.join("2024-06").join(name),
        )
        .unwrap();
    }
    let d = c
        .post_json(
            "/api/deadline",
            serde_json::json!({"period": "2024-06", "date": "2024-07-05"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json(), serde_json::json!({}));
    let bad = c
        .post_json(
            "/api/deadline",
            serde_json::json!({"period": "2024-06", "date": "2024-02-30"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The deadline has passed (2024): a web submission now is late.
    let q = township(&f, &app, QINGHU).await;
    let up = q
        .upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
        .await
        .json();
    q.post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await;
    let x = township(&f, &app, XIKOU).await;
    x.upload_file(&Fixture::sample("2024-06/溪口乡_2024-06.xlsx"))
        .await;

    let st = c.get("/api/status").await.json();
    assert_eq!(st["period"], "2024-06");
    assert_eq!(st["deadline"], "2024-07-05");
    assert_eq!(st["expected"], 8);
    let row = |code: &str| {
        st["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["township"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        row(BAISHA)["status"],
        "逾期报送",
        "hand-placed, after the deadline (its file is new)"
    );
    assert_eq!(row(BAISHA)["source"], "folder");
    assert_eq!(
        row("990101105")["status"],
        "校验未通过",
        "石门镇's hand file has an error"
    );
    assert_eq!(row("990101105")["source"], "folder");
    assert_eq!(row(QINGHU)["status"], "逾期报送");
    assert_eq!(row(QINGHU)["source"], "web");
    assert_eq!(row(QINGHU)["warnings"], 1);
    assert_eq!(row(XIKOU)["status"], "校验未通过");
    assert!(row(XIKOU)["source"].is_null());
    assert_eq!(row(ZHANGHUANG)["status"], "未报送");
    assert_eq!(st["submitted"], 2);
    assert_eq!(st["on_time"], 0);
    for k in [
        "township", "name", "status", "source", "received", "file", "errors", "warnings", "comment",
    ] {
        assert!(row(QINGHU).get(k).is_some(), "{k}");
    }
    // Without a deadline nothing is late; the hand file is 已报送 (手工放入).
    {
        let page = c.get("/county").await.text();
        assert!(page.contains("手工放入") && page.contains("应报 <strong>8</strong>"));
    }

    // 退回 with a comment: the township sees it; the file leaves the folder.
    let r = c
        .post_json(
            "/api/return",
            serde_json::json!({"township": QINGHU, "comment": "请核实负面清单标牌"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!f
        .ws
        .join("2024-06")
        .join(format!("{QINGHU}_青湖街道_2024-06.xlsx"))
        .exists());
    let mine = q.get("/api/status").await.json();
    assert_eq!(mine["rows"][0]["status"], "已退回");
    assert_eq!(mine["rows"][0]["comment"], "请核实负面清单标牌");
    assert!(q.get("/home").await.text().contains("请核实负面清单标牌"));
    assert_eq!(
        c.post_json(
            "/api/return",
            serde_json::json!({"township": ZHANGHUANG, "comment": "x"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        c.post_json(
            "/api/return",
            serde_json::json!({"township": "990101999", "comment": "x"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.post_json(
            "/api/return",
            serde_json::json!({"township": QINGHU, "comment": "  "})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // Submitting again ends 已退回.
    let up = q
        .upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
        .await
        .json();
    q.post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await;
    assert_eq!(
        q.get("/api/status").await.json()["rows"][0]["status"],
        "逾期报送"
    );

    // Another period.
    assert_eq!(
        c.post_json("/api/period", serde_json::json!({"period": "2024-13"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.post_json("/api/period", serde_json::json!({"period": "2024-05"}))
            .await
            .status,
        StatusCode::OK
    );
    let st = c.get("/api/status").await.json();
    assert_eq!(st["period"], "2024-05");
    assert_eq!(st["submitted"], 8, "every 2024-05 return is in its folder");
    assert!(st["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"] == "folder"));
    // Audit: filter by township, action and date.
    let all = c.get("/api/audit").await.json();
    assert!(all.as_array().unwrap().len() > 5);
    let rows = c
        .get(&format!(
            "/api/audit?township={QINGHU}&action={}",
            enc("退回")
        ))
        .await
        .json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    for k in [
        "time", "account", "address", "action", "township", "period", "sha256", "outcome",
    ] {
        assert!(rows[0].get(k).is_some(), "{k}");
    }
    assert_eq!(rows[0]["account"], "county");
    let none = c
        .get("/api/audit?from=2000-01-01&to=2000-01-02")
        .await
        .json();
    assert!(none.as_array().unwrap().is_empty());
    assert_eq!(
        c.get("/api/audit?from=yesterday").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(c.get("/county/audit").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consolidate_runs_once_at_a_time_and_gives_the_workbooks() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    for name in [
        "白砂镇_2024-06.xlsx",
        "南浦街道_2024-06.xlsx",
        "樟黄镇_2024-06.xlsx",
    ] {
        std::fs::copy(
            Fixture::sample(&format!("2024-06/{name}")),
            f.ws.join("2024-06").join(name),
        )
        .unwrap();
    }
    let c = county(&f, &app).await;
    // A run from the command line holds the output folder's lock: 409 with
    // its message, and nothing starts.
    let out_dir = f.ws.join("输出/2024-06");
    std::fs::create_dir_all(&out_dir).unwrap();
    let lock = out_dir.join(".huizong.lock");
    std::fs::write(&lock, std::process::id().to_string()).unwrap();
    let held = c.post_json("/api/consolidate", serde_json::json!({})).await;
    assert_eq!(held.status, StatusCode::CONFLICT, "{}", held.text());
    assert!(held.error().contains("另一个汇总"), "{}", held.error());
    std::fs::remove_file(&lock).unwrap();
    let a = c.post_json("/api/consolidate", serde_json::json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let job = a.json()["job"].as_i64().unwrap();
    let b = c.post_json("/api/consolidate", serde_json::json!({})).await;
    assert_eq!(b.status, StatusCode::CONFLICT, "only one at a time");
    assert!(b.error().contains("正在进行"));
    // Uploads keep working meanwhile.
    let t = township(&f, &app, QINGHU).await;
    assert_eq!(
        t.upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
            .await
            .status,
        StatusCode::OK
    );
    let mut state = serde_json::Value::Null;
    for _ in 0..600 {
        state = c.get(&format!("/api/jobs/{job}")).await.json();
        if state["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state["state"], "done", "{state}");
    assert_eq!(state["progress"], 100);
    assert_eq!(state["stage"], "汇总完成");
    let summary = state["summary"].as_str().unwrap().to_string();
    assert!(summary.starts_with("应报 8 个乡镇:已汇总 1,"), "{state}");
    let files: Vec<String> = state["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let county_book = c.get(&files[0]).await;
    assert_eq!(county_book.status, StatusCode::OK);
    assert!(county_book.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(&http::percent_encode("县级汇总_示范县_2024-06.xlsx")));
    let disk = std::fs::read(f.ws.join("输出/2024-06/县级汇总_示范县_2024-06.xlsx")).unwrap();
    assert_eq!(county_book.body, disk, "the same file as consolidate wrote");
    let zip = c.get(&files[2]).await;
    assert_eq!(zip.status, StatusCode::OK);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(names.iter().any(|n| n.contains("南浦街道")), "{names:?}");
    assert_eq!(c.get("/api/jobs/99").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(&format!("/county/jobs/{job}")).await.status,
        StatusCode::OK
    );
    // The same as the command line over the same folder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args([
            "consolidate",
            f.ws.to_str().unwrap(),
            "--period",
            "2024-06",
            "-o",
        ])
        .arg(f.work.path("cli"))
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = std::fs::read(f.work.path("cli/县级汇总_示范县_2024-06.xlsx")).unwrap();
    assert_eq!(
        cli, disk,
        "button and command line give byte-identical workbooks"
    );
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.lines().any(|l| l == summary),
        "the run's summary is the command line's: {summary}\n{said}"
    );
}

/// The board takes every file of the period folder as `consolidate` does:
/// the tool's own county workbook and a text file ignored, a township's
/// corrected feedback workbook read as its return, lock files skipped; its
/// summary line and its lines on townships not used are the command
/// line's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_takes_every_file_as_consolidate_does() {
    let f = Fixture::new();
    let dir = f.ws.join("2024-06");
    for name in [
        "白砂镇_2024-06.xlsx",
        "南浦街道_2024-06.xlsx",
        "枫岭乡_2024-06.xlsx",
    ] {
        std::fs::copy(Fixture::sample(&format!("2024-06/{name}")), dir.join(name)).unwrap();
    }
    let consolidate = |out: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
            .args(["consolidate", f.ws.to_str().unwrap(), "--period", "2024-06"])
            .arg("-o")
            .arg(f.work.path(out))
            .output()
            .unwrap();
        assert!(o.status.code().unwrap() <= 1, "{o:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    consolidate("first");
    // The county workbook dropped into the month folder, a note, an open
    // Excel's lock file, and 南浦街道's feedback workbook sent back as a
    // corrected return.
    std::fs::copy(
        f.work.path("first/县级汇总_示范县_2024-06.xlsx"),
        dir.join("县级汇总_示范县_2024-06.xlsx"),
    )
    .unwrap();
    std::fs::write(dir.join("说明.txt"), "邮件附件").unwrap();
    std::fs::write(dir.join("~$白砂镇_2024-06.xlsx"), b"lock").unwrap();
    let feedback: Vec<PathBuf> = std::fs::read_dir(f.work.path("first/反馈"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("南浦街道"))
        .collect();
    assert_eq!(feedback.len(), 1, "{feedback:?}");
    std::fs::copy(&feedback[0], dir.join("南浦街道_2024-06_校验结果.xlsx")).unwrap();
    let said = consolidate("second");
    let summary = said.lines().find(|l| l.starts_with("应报 ")).unwrap();
    assert!(summary.contains("已忽略 2 份"), "{summary}");
    let not_used: Vec<&str> = said
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| l.contains(':'))
        .collect();
    assert!(!not_used.is_empty(), "{said}");

    let (app, svc) = f.router("2024-06");
    let c = county(&f, &app).await;
    let page = c.get("/county").await.text();
    assert!(page.contains(summary), "{summary}\n{page}");
    for line in &not_used {
        assert!(page.contains(line), "{line}");
    }
    // 南浦街道 as consolidate decides it: two files, one judged.
    let scan = svc.folder("2024-06".parse().unwrap());
    let nanpu = svc
        .setup
        .townships
        .iter()
        .find(|(_, n)| n == "南浦街道")
        .map(|(c, _)| c.clone())
        .unwrap();
    let t = &scan.townships[&nanpu];
    assert_eq!(t.files.len(), 2, "{t:?}");
    assert!(scan.townships.values().all(|t| t
        .files
        .iter()
        .all(|f| !f.starts_with("县级汇总") && !f.starts_with("~$"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_cannot_be_updated_or_deleted() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    township(&f, &app, BAISHA).await;
    let conn = rusqlite::Connection::open(f.ws.join("报送/huizong.sqlite")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(n > 0);
    let up = conn.execute("UPDATE audit SET outcome = 'x'", []);
    assert!(up.unwrap_err().to_string().contains("只能追加"));
    let del = conn.execute("DELETE FROM audit", []);
    assert!(del.unwrap_err().to_string().contains("只能追加"));
    let n2: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, n2);
    // Passwords are only Argon2id hashes.
    let hashes: Vec<String> = conn
        .prepare("SELECT hash FROM accounts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|h| h.unwrap())
        .collect();
    assert!(hashes.iter().all(|h| h.starts_with("$argon2id$")));
    for p in f.passwords.values() {
        assert!(!hashes.iter().any(|h| h.contains(p.as_str())));
    }
}

#[test]
fn accounts_command_makes_the_workbook_once_adds_new_townships_and_resets() {
    use calamine::Reader;
    let work = Workdir::new();
    let ws = work.path("ws");
    std::fs::create_dir_all(&ws).unwrap();
    for f in ["county.toml", "roster.xlsx"] {
        std::fs::copy(project(SAMPLES).join(f), ws.join(f)).unwrap();
    }
    let o = work.run(&["accounts", ws.to_str().unwrap()]);
    assert!(o.status.success(), "{}", super::common::stderr(&o));
    let book = ws.join("账号_示范县.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let range = wb.worksheet_range("账号").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        vec!["乡镇(街道)代码", "乡镇(街道)", "用户名", "密码", "登录地址"]
    );
    assert_eq!(rows.len(), 1 + 1 + 8);
    assert_eq!(rows[1][0], "");
    assert_eq!(rows[1][2], "county");
    assert!(rows[2..].iter().all(|r| r[0] == r[2] && r[0].len() == 9));
    let pw = |r: &Vec<String>| r[3].clone();
    assert!(rows[1..]
        .iter()
        .all(|r| pw(r).len() >= 10 && !pw(r).chars().any(|c| "0Oo1lIiL".contains(c))));
    // Print setup: A4, fit to width, header row repeated, page header and footer.
    let sheet = read_zip_text(&book, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("paperSize=\"9\""), "{sheet}");
    assert!(sheet.contains("fitToHeight=\"0\""));
    assert!(sheet.contains("第 &amp;P 页 共 &amp;N 页"));
    assert!(sheet.contains("党群服务中心月报报送账号"));
    let wbxml = read_zip_text(&book, "xl/workbook.xml");
    assert!(wbxml.contains("_xlnm.Print_Titles"), "{wbxml}");
    // A second run: no new township, no new workbook.
    let o = work.run(&["accounts", ws.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(super::common::stdout(&o).contains("没有新建"));
    // --reset prints one new password once.
    let o = work.run(&["accounts", ws.to_str().unwrap(), "--reset", "990101101"]);
    let out = super::common::stdout(&o);
    assert!(o.status.success() && out.contains("新密码"), "{out}");
    let o = work.run(&["accounts", ws.to_str().unwrap(), "--reset", "990109999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(super::common::stderr(&o).contains("没有账号"));
    // A township new in the roster gets a login in a new workbook.
    let mut rr = roster_rows(&ws.join("roster.xlsx"));
    let mut extra = rr[0].clone();
    extra.0 = "990101109".into();
    extra.1 = "新设镇".into();
    extra.2 = "990101109201".into();
    rr.push(extra);
    std::fs::remove_file(ws.join("roster.xlsx")).unwrap();
    huizong::kit::demo::write_roster(&ws.join("roster.xlsx"), &rr).unwrap();
    let o = work.run(&[
        "accounts",
        ws.to_str().unwrap(),
        "-o",
        work.path("新增.xlsx").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", super::common::stderr(&o));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(work.path("新增.xlsx")).unwrap();
    let range = wb.worksheet_range("账号").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "990101109");
    // Chinese --help for both commands.
    for cmd in ["accounts", "serve"] {
        let o = work.run(&[cmd, "--help"]);
        let h = super::common::stdout(&o);
        assert!(
            h.contains("用法") && h.contains("工作区") && h.contains("显示帮助"),
            "{h}"
        );
    }
}

/// The rows of a roster workbook (sheet 名册) as the demo kit writes them:
/// (township code, township, village code, village).
fn roster_rows(path: &Path) -> Vec<huizong::kit::demo::RosterRow> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range("名册").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|r| r.iter().any(|c| c == "乡镇(街道)代码"))
        .unwrap();
    let col = |name: &str| rows[head].iter().position(|c| c == name).unwrap();
    let (tc, tn, vc, vn) = (
        col("乡镇(街道)代码"),
        col("乡镇(街道)"),
        col("村(社区)代码"),
        col("村(社区)名称"),
    );
    rows[head + 1..]
        .iter()
        .filter(|r| !r[vc].is_empty())
        .map(|r| (r[tc].clone(), r[tn].clone(), r[vc].clone(), r[vn].clone()))
        .collect()
}

fn read_zip_text(path: &Path, part: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(part).unwrap(), &mut s).unwrap();
    s
}

pub fn enc(s: &str) -> String {
    http::percent_encode(s)
}

/// `/api/check` gives exactly what `huizong check --format json` prints, with
/// the same roster, rules and previous return, for every sample return.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_check_equals_the_command_line_for_every_sample() {
    let f = Fixture::new();
    let (app, svc) = f.router("2024-06");
    let dir = project(SAMPLES).join("2024-06");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    let period: huizong::read::normalise::Period = "2024-06".parse().unwrap();
    let mut compared = 0;
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // The township whose login uploads it: by its name in the roster.
        let code = svc
            .setup
            .townships
            .iter()
            .find(|(_, n)| name.starts_with(n.as_str()))
            .map(|(c, _)| c.clone())
            .unwrap();
        let client = township(&f, &app, &code).await;
        let api = client.upload_file(&file).await;
        assert_eq!(api.status, StatusCode::OK, "{name}");
        let api = api.json()["findings"].clone();
        let prev = huizong::serve::engine::previous_file(&svc.setup, period, &code);
        let copy = f.work.path(&format!("cli/{name}"));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(&file, &copy).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"));
        cmd.args([
            "check",
            copy.to_str().unwrap(),
            "--period",
            "2024-06",
            "--format",
            "json",
            "--roster",
        ])
        .arg(f.ws.join("roster.xlsx"));
        if let Some(p) = &prev {
            cmd.arg("--previous").arg(p);
        }
        let out = cmd.output().unwrap();
        let cli: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            api,
            serde_json::Value::Array(cli),
            "{name} (previous {prev:?})"
        );
        if name.starts_with("枫岭乡") {
            assert_eq!(api[0]["code"], "S01");
        } else {
            assert!(prev.is_some(), "{name} has a previous return");
        }
        compared += 1;
    }
    assert_eq!(compared, 7);
}

/// A crash between the rename and the ledger's last commit, temporary
/// files, and a file changed by hand: the next start settles and logs each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reconciles_the_ledger_with_the_folders() {
    let f = Fixture::new();
    let (app, svc) = f.router("2024-06");
    let q = township(&f, &app, QINGHU).await;
    let up = q
        .upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
        .await
        .json();
    let r = q
        .post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await
        .json();
    let b = township(&f, &app, BAISHA).await;
    let bup = b
        .upload_file(&Fixture::sample("2024-06/白砂镇_2024-06.xlsx"))
        .await
        .json();
    {
        let c = svc.conn();
        // 青湖街道's file was renamed into place, then the process died
        // before the ledger said 'done'.
        c.execute(
            "UPDATE submissions SET state = 'pending' WHERE receipt = ?1",
            [r["receipt"].as_str().unwrap()],
        )
        .unwrap();
        // 白砂镇's submission died before its file was in place.
        c.execute(
            "INSERT INTO submissions(receipt, upload, township, period, user, file, accepted, size, sha256,
               received, late, rules_version, rules_sha256, warnings, explained, state)
             VALUES ('HZ-X', ?1, ?2, '2024-06', ?2, 'b.xlsx', ?3, 1, ?4, 0, 0, 'v', 's', 0, 0, 'pending')",
            rusqlite::params![bup["upload"].as_i64().unwrap(), BAISHA, format!("{BAISHA}_白砂镇_2024-06.xlsx"), bup["sha256"].as_str().unwrap()],
        )
        .unwrap();
    }
    drop(app);
    drop(svc);
    // Temporary files a crash left, and nothing else of ours.
    let tmp1 = f.ws.join("2024-06/.huizong-4242-0.tmp");
    let tmp2 =
        f.ws.join("报送/2024-06")
            .join(BAISHA)
            .join(".huizong-4242-1.tmp");
    std::fs::write(&tmp1, b"half").unwrap();
    std::fs::write(&tmp2, b"half").unwrap();
    let theirs = f.ws.join("2024-06/.other.tmp");
    std::fs::write(&theirs, b"not ours").unwrap();

    let (app, svc) = f.router("2024-06");
    assert!(
        !tmp1.exists() && !tmp2.exists(),
        "our temporary files are gone"
    );
    assert!(theirs.exists(), "other programs' files are left alone");
    let state = |receipt: &str| -> String {
        svc.conn()
            .query_row(
                "SELECT state FROM submissions WHERE receipt = ?1",
                [receipt],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        state(r["receipt"].as_str().unwrap()),
        "done",
        "file in place: completed"
    );
    assert_eq!(state("HZ-X"), "abandoned", "file not in place: no receipt");
    assert!(!f
        .ws
        .join("2024-06")
        .join(format!("{BAISHA}_白砂镇_2024-06.xlsx"))
        .exists());
    // A file changed by hand is reported at the next start.
    let accepted =
        f.ws.join("2024-06")
            .join(format!("{QINGHU}_青湖街道_2024-06.xlsx"));
    std::fs::write(&accepted, b"edited by hand").unwrap();
    drop(app);
    drop(svc);
    let (app, _svc) = f.router("2024-06");
    let c = county(&f, &app).await;
    let rows = c
        .get(&format!("/api/audit?action={}", enc("启动核对")))
        .await
        .json();
    let outcomes: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect();
    assert!(
        outcomes.iter().any(|o| o.contains("补记为已提交")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.contains("未生效")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.contains("临时文件")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.contains("SHA-256 不同")),
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_roster_the_previous_periods_townships_are_expected() {
    let f = Fixture::new();
    std::fs::remove_file(f.ws.join("roster.xlsx")).unwrap();
    std::fs::copy(
        Fixture::sample("2024-06/白砂镇_2024-06.xlsx"),
        f.ws.join("2024-06/白砂镇_2024-06.xlsx"),
    )
    .unwrap();
    let (app, _) = f.router("2024-06");
    let c = county(&f, &app).await;
    let st = c.get("/api/status").await.json();
    assert_eq!(st["expected"], 8, "{st}");
    let rows = st["rows"].as_array().unwrap();
    assert!(rows
        .iter()
        .any(|r| r["name"] == "云台镇" && r["status"] == "未报送"));
    assert!(rows
        .iter()
        .any(|r| r["name"] == "白砂镇" && r["status"] == "已报送" && r["source"] == "folder"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_from_users_is_escaped_on_every_page() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let q = township(&f, &app, QINGHU).await;
    let evil = "<script>alert(1)</script>.xlsx";
    let up = q
        .upload(
            evil,
            &std::fs::read(Fixture::sample("2024-06/青湖街道_2024-06.xlsx")).unwrap(),
        )
        .await
        .json();
    assert_eq!(up["file"], evil);
    let id = up["upload"].as_i64().unwrap();
    let page = q.get(&format!("/uploads/{id}")).await.text();
    assert!(!page.contains("<script>alert"), "raw markup on the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.xlsx"));
    q.post_json("/api/submit", serde_json::json!({"upload": id}))
        .await;
    let c = county(&f, &app).await;
    c.post_json(
        "/api/return",
        serde_json::json!({"township": QINGHU, "comment": "<img src=x onerror=alert(2)>"}),
    )
    .await;
    for (who, path) in [
        (&q, "/home".to_string()),
        (&c, "/county".to_string()),
        (&c, format!("/history?township={QINGHU}")),
    ] {
        let html = who.get(&path).await.text();
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{path}"
        );
    }
    assert!(q
        .get("/home")
        .await
        .text()
        .contains("&lt;img src=x onerror=alert(2)&gt;"));
}
