//! HTTP: the router, the guard every request passes (address, Origin,
//! security headers), sessions from the cookie, CSRF, uploads, downloads,
//! and the JSON API of `serve.md`.

use super::pages;
use super::service::{AuditFilter, Fail, Service, Session};
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, Request, State,
};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The session cookie's name.
pub const COOKIE: &str = "hz_session";

/// Shared state of the handlers.
pub struct App {
    pub(crate) svc: Arc<Service>,
    /// Checks (and workbooks made on request) run at most this many at once.
    pub(crate) checks: Semaphore,
    /// Password hashing (memory-hard) at most this many at once.
    pub(crate) logins: Semaphore,
}

impl App {
    pub fn new(svc: Arc<Service>) -> Arc<App> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Arc::new(App {
            svc,
            checks: Semaphore::new(cores.max(1)),
            logins: Semaphore::new(cores.clamp(2, 4)),
        })
    }
}

pub(crate) type St = State<Arc<App>>;

/// Run service work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&Service) -> Result<T, Fail> + Send + 'static,
) -> Result<T, Fail> {
    let svc = app.svc.clone();
    tokio::task::spawn_blocking(move || f(&svc))
        .await
        .unwrap_or_else(|e| Err(Fail::internal(format!("处理请求时出错({e})"))))
}

/// A refusal answered as JSON (`{"error": …}`).
pub(crate) struct ApiFail(pub Fail);

impl From<Fail> for ApiFail {
    fn from(f: Fail) -> ApiFail {
        ApiFail(f)
    }
}

impl IntoResponse for ApiFail {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({ "error": self.0.message }))).into_response()
    }
}

/// A refusal answered as a page (401 goes to the login page).
pub(crate) struct PageFail(pub Fail);

impl From<Fail> for PageFail {
    fn from(f: Fail) -> PageFail {
        PageFail(f)
    }
}

impl IntoResponse for PageFail {
    fn into_response(self) -> Response {
        if self.0.status == 401 {
            return Redirect::to("/login").into_response();
        }
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, pages::error_page(status.as_u16(), &self.0.message)).into_response()
    }
}

/// A refusal in the flavour of the path: JSON under `/api/`, else a page.
pub(crate) fn fail_response(path: &str, f: Fail) -> Response {
    if path.starts_with("/api/") {
        ApiFail(f).into_response()
    } else {
        PageFail(f).into_response()
    }
}

/// The peer's address, as the guard recorded it.
#[derive(Clone)]
pub(crate) struct Addr(pub String);

/// The logged-in session and its token (from the cookie).
pub(crate) struct Who {
    pub(crate) session: Session,
    pub(crate) token: String,
}

/// The rejection of [`Who`]: 401 in the path's flavour.
pub(crate) struct NotLoggedIn(Response);

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<Arc<App>> for Who {
    type Rejection = NotLoggedIn;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_string();
        let token = cookie(&parts.headers, COOKIE);
        let addr = parts
            .extensions
            .get::<Addr>()
            .map(|a| a.0.clone())
            .unwrap_or_else(|| "unknown".into());
        let found = match token {
            Some(t) => {
                let t2 = t.clone();
                blocking(app, move |svc| Ok(svc.session(&t2, &addr)))
                    .await
                    .ok()
                    .flatten()
                    .map(|s| (t, s))
            }
            None => None,
        };
        match found {
            Some((token, session)) => Ok(Who { session, token }),
            None => Err(NotLoggedIn(fail_response(&path, Fail::login()))),
        }
    }
}

impl axum::extract::OptionalFromRequestParts<Arc<App>> for Who {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Arc<App>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Who as FromRequestParts<Arc<App>>>::from_request_parts(parts, app)
                .await
                .ok(),
        )
    }
}

/// A cookie's value.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` of a new session: HttpOnly, SameSite=Strict, Secure under TLS.
pub(crate) fn session_cookie(token: &str, tls: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if tls { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` that ends a session in the browser.
pub(crate) fn clear_cookie(tls: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if tls { "; Secure" } else { "" }
    )
}

/// Equal without an early exit (the CSRF token is a secret).
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session's CSRF token must come in the header `X-CSRF-Token`.
pub(crate) fn csrf_header(headers: &HeaderMap, s: &Session) -> Result<(), Fail> {
    match headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        Some(t) if same(t, &s.csrf) => Ok(()),
        _ => Err(csrf_fail()),
    }
}

pub(crate) fn csrf_fail() -> Fail {
    Fail::forbidden("请求缺少有效的安全令牌(CSRF)。请刷新页面后重试;脚本请在请求头 X-CSRF-Token 中带上登录时返回的 csrf")
}

/// Parse a JSON body, with a Chinese 400.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| {
        // serde's own words are English: only the field it names is kept.
        let text = e.to_string();
        let missing = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        Fail::bad(match (missing, e.classify()) {
            (Some(field), _) => format!("请求中缺少“{field}”一项。请按接口说明发送"),
            (None, serde_json::error::Category::Data) => {
                "请求中有一项的类型不对(如该是数字的写成了文字)。请按接口说明发送".to_string()
            }
            _ => "请求内容不是有效的 JSON。请按接口说明发送".to_string(),
        })
    })
}

/// Read a multipart upload: exactly one field `file` of at most `max`
/// bytes; with `form_csrf`, a `csrf` field must come first and match.
pub(crate) async fn read_upload(
    mut mp: Multipart,
    s: &Session,
    form_csrf: bool,
    max: u64,
) -> Result<(String, Vec<u8>), Fail> {
    let mut csrf_ok = !form_csrf;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mp_fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            super::service::too_large(max)
        } else {
            Fail::bad("上传的数据不完整或格式不对。请重新选择文件上传")
        }
    };
    while let Some(mut field) = mp.next_field().await.map_err(mp_fail)? {
        match field.name() {
            Some("csrf") => {
                let t = field.text().await.map_err(mp_fail)?;
                if !same(t.trim(), &s.csrf) {
                    return Err(csrf_fail());
                }
                csrf_ok = true;
            }
            Some("file") => {
                if !csrf_ok {
                    return Err(csrf_fail());
                }
                if file.is_some() {
                    return Err(Fail::bad("一次只能上传一个文件。请逐个上传"));
                }
                let name = field.file_name().unwrap_or("").to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(mp_fail)? {
                    if (bytes.len() + chunk.len()) as u64 > max {
                        return Err(super::service::too_large(max));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(csrf_fail());
    }
    match file {
        Some((name, bytes)) if !(name.is_empty() && bytes.is_empty()) => Ok((name, bytes)),
        _ => Err(Fail::bad(
            "没有收到文件。请在表单字段 file 中选择要上传的报表文件",
        )),
    }
}

/// A file download: `Content-Disposition` with the name encoded (RFC 5987).
pub(crate) fn download(name: &str, bytes: Vec<u8>) -> Response {
    let kind = if name.ends_with(".zip") {
        "application/zip"
    } else if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "application/octet-stream"
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(name)
    );
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// RFC 3986 unreserved characters kept, every other byte `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every request: record the peer's address; refuse a foreign Origin (or a
/// cross-site fetch); add the security headers.
async fn guard(State(app): St, mut req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(Addr(addr.clone()));
    let path = req.uri().path().to_string();
    let h = req.headers();
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let scheme = if app.svc.tls { "https" } else { "http" };
    let foreign = match h.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("")) {
        Some(origin) => host.is_empty() || origin != format!("{scheme}://{host}"),
        None => false,
    } || (req.method() != Method::GET
        && req.method() != Method::HEAD
        && h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site"));
    if foreign {
        let origin = h
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let a2 = addr.clone();
        let p2 = path.clone();
        let _ = blocking(&app, move |svc| {
            svc.audit(
                None,
                None,
                Some(&a2),
                "越权访问",
                None,
                None,
                None,
                &format!("已拒绝:来自其他网站({origin})的请求 {p2}"),
            );
            Ok(())
        })
        .await;
        return fail_response(
            &path,
            Fail::forbidden("拒绝来自其他网站的请求。请直接在本系统的页面上操作"),
        );
    }
    let mut r = next.run(req).await;
    if let Some(f) = plain_refusal(&r) {
        r = fail_response(&path, f);
    }
    let h = r.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if !path.starts_with("/assets/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// A refusal the framework answered itself (a wrong method, a body that
/// is not a form, a body over the limit) — as English text or nothing —
/// said again in Chinese, as JSON under `/api/` and as a page elsewhere.
/// Every answer of this service's own is JSON or a page.
fn plain_refusal(r: &Response) -> Option<Fail> {
    let ours = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if ours || !(r.status().is_client_error()) {
        return None;
    }
    let status = r.status().as_u16();
    let message = match status {
        405 => "这个地址不接受这种请求方式(如该用 POST 的用了 GET)。请按页面或接口说明操作",
        413 => "上传的内容太大。请检查文件大小后重新上传",
        415 => "请求内容的格式不对(表单应为 application/x-www-form-urlencoded,接口应为 JSON)。请按页面或接口说明操作",
        _ => "请求的内容不完整或格式不对。请按页面或接口说明操作",
    };
    Some(Fail::new(status, message))
}

/// The whole service.
pub fn router(app: Arc<App>) -> Router {
    let max = super::engine::max_upload_bytes(&app.svc.setup.policy);
    // The multipart envelope around a file of `max` bytes.
    let upload_limit = DefaultBodyLimit::max(max as usize + 64 * 1024);
    Router::new()
        .route("/api/login", post(api_login))
        .route("/api/logout", post(api_logout))
        .route("/api/check", post(api_check).layer(upload_limit))
        .route("/api/uploads/{id}/feedback", get(api_feedback))
        .route("/api/submit", post(api_submit))
        .route("/api/status", get(api_status))
        .route("/api/history", get(api_history))
        .route("/api/return", post(api_return))
        .route("/api/deadline", post(api_deadline))
        .route("/api/period", post(api_period))
        .route("/api/consolidate", post(api_consolidate))
        .route("/api/jobs/{id}", get(api_job))
        .route("/api/audit", get(api_audit))
        .route("/api/{*rest}", get(api_missing).post(api_missing))
        .merge(pages::routes(upload_limit))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(app)
}

async fn api_missing() -> ApiFail {
    ApiFail(Fail::not_found(
        "没有这个接口。请查看 serve.md 的 HTTP API 一节",
    ))
}

#[derive(serde::Deserialize)]
struct LoginBody {
    user: String,
    password: String,
}

/// Log in; shared by the API and the login page: (token, session).
pub(crate) async fn login(
    app: &Arc<App>,
    user: String,
    password: String,
    addr: String,
) -> Result<(String, Session), Fail> {
    let _permit = app
        .logins
        .acquire()
        .await
        .map_err(|_| Fail::internal("服务正在停止"))?;
    blocking(app, move |svc| svc.login(&user, &password, &addr)).await
}

async fn api_login(
    State(app): St,
    axum::Extension(addr): axum::Extension<Addr>,
    body: Bytes,
) -> Result<Response, ApiFail> {
    let b: LoginBody = parse_json(&body)?;
    let (token, s) = login(&app, b.user, b.password, addr.0).await?;
    let mut r =
        Json(json!({ "user": s.user, "township": s.township, "csrf": s.csrf })).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&token, app.svc.tls)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn api_logout(State(app): St, who: Who, headers: HeaderMap) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let Who { session, token } = who;
    blocking(&app, move |svc| svc.logout(&session, &token)).await?;
    let mut r = Json(json!({})).into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(app.svc.tls)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Upload and check; shared by the API and the upload page.
pub(crate) async fn check(
    app: &Arc<App>,
    s: Session,
    mp: Multipart,
    form_csrf: bool,
) -> Result<super::service::UploadResult, Fail> {
    let s2 = s.clone();
    blocking(app, move |svc| {
        svc.township_only(&s2, "上传报表")?;
        svc.upload_allowed(&s2)
    })
    .await?;
    let max = super::engine::max_upload_bytes(&app.svc.setup.policy);
    let (name, bytes) = read_upload(mp, &s, form_csrf, max).await?;
    let _permit = app
        .checks
        .acquire()
        .await
        .map_err(|_| Fail::internal("服务正在停止"))?;
    blocking(app, move |svc| svc.check_upload(&s, &name, &bytes)).await
}

async fn api_check(
    State(app): St,
    who: Who,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let r = check(&app, who.session, mp, false).await?;
    Ok(Json(r).into_response())
}

/// The feedback workbook; shared by the API and the pages.
pub(crate) async fn feedback(app: &Arc<App>, s: Session, id: &str) -> Result<Response, Fail> {
    let id: i64 = id
        .parse()
        .map_err(|_| Fail::not_found("没有这个上传记录"))?;
    let _permit = app
        .checks
        .acquire()
        .await
        .map_err(|_| Fail::internal("服务正在停止"))?;
    let (name, bytes) = blocking(app, move |svc| svc.feedback(&s, id)).await?;
    Ok(download(&name, bytes))
}

async fn api_feedback(
    State(app): St,
    who: Who,
    Path(id): Path<String>,
) -> Result<Response, ApiFail> {
    Ok(feedback(&app, who.session, &id).await?)
}

#[derive(serde::Deserialize)]
struct SubmitBody {
    upload: i64,
}

async fn api_submit(
    State(app): St,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let b: SubmitBody = parse_json(&body)?;
    let s = who.session;
    let r = blocking(&app, move |svc| svc.submit(&s, b.upload)).await?;
    Ok(Json(r).into_response())
}

async fn api_status(State(app): St, who: Who) -> Result<Response, ApiFail> {
    let s = who.session;
    let b = blocking(&app, move |svc| svc.status(&s, None)).await?;
    Ok(Json(b).into_response())
}

#[derive(serde::Deserialize)]
struct HistoryQuery {
    township: Option<String>,
}

async fn api_history(
    State(app): St,
    who: Who,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiFail> {
    let s = who.session;
    let rows = blocking(&app, move |svc| svc.history(&s, q.township.as_deref())).await?;
    let out: Vec<serde_json::Value> = rows
        .iter()
        .map(|u| {
            json!({
                "upload": u.id,
                "period": u.period,
                "time": super::clock::format(u.time),
                "file": u.file,
                "size": u.size,
                "sha256": u.sha256,
                "errors": u.errors,
                "warnings": u.warnings,
                "explained": u.explained,
                "submitted": u.receipt.is_some(),
                "receipt": u.receipt,
            })
        })
        .collect();
    Ok(Json(out).into_response())
}

#[derive(serde::Deserialize)]
struct ReturnBody {
    township: String,
    comment: String,
}

async fn api_return(
    State(app): St,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let s = who.session;
    let b: ReturnBody = parse_json(&body)?;
    blocking(&app, move |svc| svc.return_to(&s, &b.township, &b.comment)).await?;
    Ok(Json(json!({})).into_response())
}

#[derive(serde::Deserialize)]
struct DeadlineBody {
    period: String,
    date: String,
}

async fn api_deadline(
    State(app): St,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let s = who.session;
    let b: DeadlineBody = parse_json(&body)?;
    blocking(&app, move |svc| svc.set_deadline(&s, &b.period, &b.date)).await?;
    Ok(Json(json!({})).into_response())
}

#[derive(serde::Deserialize)]
struct PeriodBody {
    period: String,
}

async fn api_period(
    State(app): St,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let s = who.session;
    let b: PeriodBody = parse_json(&body)?;
    blocking(&app, move |svc| svc.open_period(&s, &b.period)).await?;
    Ok(Json(json!({})).into_response())
}

async fn api_consolidate(
    State(app): St,
    who: Who,
    headers: HeaderMap,
) -> Result<Response, ApiFail> {
    csrf_header(&headers, &who.session)?;
    let s = who.session;
    let svc = app.svc.clone();
    let id = tokio::task::spawn_blocking(move || svc.start_consolidation(&s))
        .await
        .unwrap_or_else(|e| Err(Fail::internal(e.to_string())))?;
    Ok(Json(json!({ "job": id })).into_response())
}

async fn api_job(State(app): St, who: Who, Path(id): Path<String>) -> Result<Response, ApiFail> {
    let id: i64 = id
        .parse()
        .map_err(|_| Fail::not_found("没有这个汇总任务"))?;
    let s = who.session;
    let j = blocking(&app, move |svc| svc.job(&s, id)).await?;
    Ok(Json(json!({
        "state": j.state,
        "progress": j.progress,
        "stage": j.stage,
        "summary": j.summary,
        "files": j.files,
    }))
    .into_response())
}

async fn api_audit(
    State(app): St,
    who: Who,
    Query(f): Query<AuditFilter>,
) -> Result<Response, ApiFail> {
    let s = who.session;
    let rows = blocking(&app, move |svc| svc.audit_rows(&s, &f)).await?;
    Ok(Json(rows).into_response())
}
