//! `huizong serve` in-process: every API row and every security rule of
//! `serve.md`, through the router without a socket, each test trying to
//! break what it checks. The fixture and the client are here; the tests
//! are split by concern: who gets in and what they reach (`security`), a
//! month's reporting from check to consolidation (`reporting`), and the
//! accounts workbook (`account_book`).

mod account_book;
mod reporting;
mod security;

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

fn read_zip_text(path: &Path, part: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(part).unwrap(), &mut s).unwrap();
    s
}

pub fn enc(s: &str) -> String {
    http::percent_encode(s)
}
