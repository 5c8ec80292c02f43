//! The pages (Simplified Chinese, server-rendered; login, upload and
//! submit are plain forms that work without JavaScript).

use super::clock;
use super::http::{self, blocking, download, same, Addr, App, PageFail, St, Who};
use super::service::{AuditFilter, Board, BoardRow, Fail, Session, Upload};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html, Markup, DOCTYPE};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) const STYLE: &str = include_str!("assets/style.css");
pub(crate) const SCRIPT: &str = include_str!("assets/app.js");

pub(crate) fn routes(upload_limit: DefaultBodyLimit) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login_post))
        .route("/logout", post(logout_post))
        .route("/home", get(home))
        .route("/template", get(template))
        .route("/upload", post(upload_post).layer(upload_limit))
        .route("/uploads/{id}", get(upload_page))
        .route("/uploads/{id}/feedback", get(feedback))
        .route("/submit", post(submit_post))
        .route("/receipts/{no}", get(receipt_page))
        .route("/history", get(history_page))
        .route("/files/{township}", get(accepted_file))
        .route("/files/{township}/findings", get(folder_findings))
        .route("/county", get(board_page))
        .route("/county/deadline", post(deadline_post))
        .route("/county/return", post(return_post))
        .route("/county/period", post(period_post))
        .route("/county/consolidate", post(consolidate_post))
        .route("/county/jobs/{id}", get(job_page))
        .route("/county/audit", get(audit_page))
        .route("/county/output/{period}/{kind}", get(output))
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

pub(crate) async fn not_found() -> Response {
    PageFail(Fail::not_found("没有这个页面。请从首页进入")).into_response()
}

/// The frame of every page.
fn layout(title: &str, s: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="renderer" content="webkit";
                meta http-equiv="X-UA-Compatible" content="IE=edge";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 汇总报送" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    div.brand { "党群服务中心月报 · 网上报送" }
                    @if let Some(s) = s {
                        nav {
                            @if s.is_county() {
                                a href="/county" { "报送情况" }
                                a href="/county/audit" { "操作日志" }
                            } @else {
                                a href="/home" { "首页" }
                                a href="/history" { "报送记录" }
                            }
                        }
                        div.who {
                            span { (s.name) @if let Some(t) = &s.township { " (" (t) ")" } @else { " (县级)" } }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button.link type="submit" { "退出登录" }
                            }
                        }
                    }
                }
                main { (body) }
                footer { "本系统只在本单位网络内使用。数据保存在县里的电脑上,县里汇总时以提交的文件为准。" }
            }
        }
    }
}

fn page(title: &str, s: Option<&Session>, body: Markup) -> Response {
    Html(layout(title, s, body).into_string()).into_response()
}

pub(crate) fn error_page(status: u16, message: &str) -> Response {
    let title = match status {
        403 => "无权访问",
        404 => "找不到",
        409 => "无法办理",
        413 => "文件太大",
        429 => "请稍后再试",
        400 => "请求有误",
        _ => "出错了",
    };
    let body = html! {
        h1 { (title) }
        div.alert.error { p { (message) } }
        p { a href="/" { "返回首页" } }
    };
    Html(layout(title, None, body).into_string()).into_response()
}

fn csrf_form(s: &Session, form: &HashMap<String, String>) -> Result<(), Fail> {
    match form.get("csrf") {
        Some(t) if same(t, &s.csrf) => Ok(()),
        _ => Err(http::csrf_fail()),
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn root(who: Option<Who>) -> Response {
    match who {
        Some(w) if w.session.is_county() => see_other("/county"),
        Some(_) => see_other("/home"),
        None => see_other("/login"),
    }
}

fn login_form(message: Option<&str>, user: &str) -> Markup {
    html! {
        div.login {
            h1 { "登录" }
            p.muted { "乡镇(街道)用户名是 9 位乡镇(街道)代码;县里的用户名是 county。账号和密码由县里发放。" }
            @if let Some(m) = message { div.alert.error { p { (m) } } }
            form method="post" action="/login" {
                label { "用户名" input type="text" name="user" value=(user) autocomplete="username" required autofocus; }
                label { "密码" input type="password" name="password" autocomplete="current-password" required; }
                button.primary type="submit" { "登录" }
            }
        }
    }
}

async fn login_page(who: Option<Who>) -> Response {
    if who.is_some() {
        return see_other("/");
    }
    page("登录", None, login_form(None, ""))
}

async fn login_post(
    State(app): St,
    Extension(addr): Extension<Addr>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let user = f.get("user").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    match http::login(&app, user.clone(), password, addr.0).await {
        Ok((token, s)) => {
            let mut r = see_other(if s.is_county() { "/county" } else { "/home" });
            if let Ok(v) = HeaderValue::from_str(&http::session_cookie(&token, app.svc.tls)) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNAUTHORIZED);
            (
                status,
                page("登录", None, login_form(Some(&e.message), &user)),
            )
                .into_response()
        }
    }
}

async fn logout_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let Who { session, token } = who;
    blocking(&app, move |svc| svc.logout(&session, &token)).await?;
    let mut r = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&http::clear_cookie(app.svc.tls)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

fn status_badge(status: &str) -> Markup {
    let class = match status {
        "已报送" | "已汇总" => "badge ok",
        "逾期报送" => "badge late",
        "已退回" | "校验未通过" => "badge bad",
        _ => "badge none",
    };
    html! { span class=(class) { (status) } }
}

async fn home(State(app): St, who: Who) -> Result<Response, PageFail> {
    let s = who.session;
    if s.is_county() {
        return Ok(see_other("/county"));
    }
    let s2 = s.clone();
    let board = blocking(&app, move |svc| svc.status(&s2, None)).await?;
    let row = board.rows.first().cloned();
    let body = html! {
        h1 { (s.name) " · " (board.period) " 月报" }
        div.card {
            table.facts {
                tr { th { "报送月份" } td { (board.period) } }
                tr { th { "截止日期" } td { @match &board.deadline { Some(d) => { (d) " 当天结束" }, None => { "县里尚未设置" } } } }
                tr { th { "本乡镇状态" } td {
                    @if let Some(r) = &row {
                        @if r.consolidated { (status_badge("已汇总")) " " }
                        (status_badge(r.status))
                        @if let Some(t) = r.received { " 接收时间 " (clock::format(t)) }
                        @if r.source == Some("folder") { " (县里手工放入)" }
                        @if let Some(no) = &r.receipt { " · " a href=(format!("/receipts/{no}")) { "回执 " (no) } }
                    }
                } }
            }
            @if let Some(c) = row.as_ref().and_then(|r| r.comment.as_ref()) {
                div.alert.error { p { strong { "县里已退回,意见:" } (c) } p { "请按意见修改后重新上传、提交。" } }
            }
            @if let Some(r) = row.as_ref().filter(|r| r.reason.is_some() || (r.source == Some("folder") && r.errors.unwrap_or(0) > 0)) {
                div.alert.error {
                    @if let Some(why) = &r.reason { p { strong { "本月报表未能计入汇总:" } (why) } }
                    p { a href=(format!("/files/{}/findings", r.township)) { "查看县里文件夹中本乡镇报表的校验结果" } }
                }
            }
        }
        div.card {
            h2 { "1. 下载本月模板" }
            p { "模板已预填县名、乡镇名称和代码、报送月份和名册中本乡镇的各村(社区);县里有本乡镇上月报表的,各村的清理前标牌数和标牌明细已从中带入(灰色底纹),请核对后只改有变化的。" }
            p { a.button href="/template" { "下载 " (board.period) " 月报模板" } }
        }
        div.card {
            h2 { "2. 上传报表并校验" }
            p { "上传后立即校验。没有错误才能提交;提示需要核实,可在“情况说明”工作表中说明。" }
            form.upload method="post" action="/upload" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(s.csrf);
                div.drop data-drop {
                    input type="file" name="file" accept=".xlsx,.xlsm,.xls,.xlsb,.ods" required;
                    p.muted { "选择文件,或把 Excel/WPS 报表拖到这里" }
                }
                button.primary type="submit" { "上传并校验" }
                div.progress hidden { div.bar {} }
            }
        }
    };
    Ok(page("首页", Some(&s), body))
}

async fn template(State(app): St, who: Who) -> Result<Response, PageFail> {
    let s = who.session;
    let _permit = app
        .checks
        .acquire()
        .await
        .map_err(|_| Fail::internal("服务正在停止"))?;
    let (name, bytes) = blocking(&app, move |svc| svc.template(&s)).await?;
    Ok(download(&name, bytes))
}

async fn upload_post(State(app): St, who: Who, mp: Multipart) -> Result<Response, PageFail> {
    let r = http::check(&app, who.session, mp, true).await?;
    Ok(see_other(&format!("/uploads/{}", r.upload)))
}

fn level_text(level: &str, explained: bool) -> &'static str {
    match (level, explained) {
        ("fatal", _) => "无法读取",
        ("error", _) => "错误",
        ("warning", true) => "提示(已说明)",
        _ => "提示",
    }
}

fn text<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v.get(key).and_then(|x| x.as_str()).unwrap_or("")
}

async fn upload_page(
    State(app): St,
    who: Who,
    Path(id): Path<String>,
) -> Result<Response, PageFail> {
    let id: i64 = id
        .parse()
        .map_err(|_| Fail::not_found("没有这个上传记录"))?;
    let s = who.session;
    let s2 = s.clone();
    let (u, names, town) = blocking(&app, move |svc| {
        let u = svc.upload(&s2, id)?;
        let names = village_names(&svc.setup, &u.findings);
        let town = super::engine::roster_name(&svc.setup, &u.township)
            .unwrap_or("")
            .to_string();
        Ok((u, names, town))
    })
    .await?;
    let order = errors_first(&u.findings);
    let body = html! {
        h1 { "校验结果" }
        p.muted { (town) " (" (u.township) ") · " (u.period) " · 文件 " strong { (u.file) } " · 上传于 " (clock::format(u.time)) }
        p.summary { "错误 " strong { (u.errors) } ",提示 " strong { (u.warnings) } ",已说明 " strong { (u.explained) } }
        @if let Some(no) = &u.receipt {
            div.alert.ok { p { "这份报表已提交。" a href=(format!("/receipts/{no}")) { "查看回执 " (no) } } }
        } @else if u.can_submit {
            div.alert.ok {
                p { "没有错误,可以提交。" @if u.warnings > 0 { "下列提示请核实;确有原因的,可在“情况说明”工作表中说明。" } }
                @if !s.is_county() {
                    form method="post" action="/submit" {
                        input type="hidden" name="csrf" value=(s.csrf);
                        input type="hidden" name="upload" value=(u.id);
                        button.primary type="submit" { "提交报表" }
                    }
                }
            }
        } @else {
            div.alert.error {
                p { strong { "这份报表不能提交。" } (u.refusal.clone().unwrap_or_default()) }
                @if u.errors > 0 { p { "请按下表逐条修改(反馈工作簿中出错的单元格已标红并加了批注),保存后重新上传。" } }
            }
        }
        p {
            @if !u.findings.is_empty() { a.button href=(format!("/uploads/{}/feedback", u.id)) { "下载带批注的反馈工作簿" } " " }
            @if !s.is_county() { a href="/home" { "重新上传" } }
        }
        (findings_table(&order, &names, false))
    };
    Ok(page("校验结果", Some(&s), body))
}

/// The findings as a table, errors first; with `by_file`, each place names
/// its file too (the findings of several files).
fn findings_table(
    order: &[&serde_json::Value],
    names: &HashMap<String, String>,
    by_file: bool,
) -> Markup {
    html! {
        @if order.is_empty() {
            p { "未发现问题。" }
        } @else {
            table.grid.findings {
                thead { tr { th { "序号" } th { "工作表!单元格" } th { "村(社区)代码" } th { "村(社区)名称" } th { "规则编号" } th { "级别" } th { "说明" } th { "原值" } } }
                tbody {
                    @for (i, f) in order.iter().enumerate() {
                        @let level = text(f, "level");
                        @let explained = f.get("explained").and_then(|x| x.as_bool()).unwrap_or(false);
                        @let village = text(f, "village");
                        @let place = match (text(f, "sheet"), text(f, "cell")) { ("", _) => "—".to_string(), (sh, "") => sh.to_string(), (sh, c) => format!("{sh}!{c}") };
                        tr class=(format!("lv-{level}")) {
                            td { (i + 1) }
                            td.nowrap { @if by_file { (text(f, "file")) br; } (place) }
                            td.nowrap { (village) }
                            td { (names.get(village).map(String::as_str).unwrap_or("")) }
                            td.code { (text(f, "code")) }
                            td.nowrap { (level_text(level, explained)) }
                            td { (text(f, "message")) }
                            td { (text(f, "value")) }
                        }
                    }
                }
            }
        }
    }
}

/// The roster's name of each village the findings name.
fn village_names(
    setup: &super::engine::Setup,
    findings: &[serde_json::Value],
) -> HashMap<String, String> {
    findings
        .iter()
        .filter_map(|f| f.get("village").and_then(|v| v.as_str()))
        .filter_map(|c| {
            super::engine::village_name(setup, c).map(|n| (c.to_string(), n.to_string()))
        })
        .collect()
}

/// Errors (fatal first) before warnings, stable within a level.
fn errors_first(findings: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    let mut order: Vec<&serde_json::Value> = findings.iter().collect();
    let rank = |f: &serde_json::Value| match text(f, "level") {
        "fatal" => 0,
        "error" => 1,
        _ => 2,
    };
    order.sort_by_key(|f| rank(f));
    order
}

/// The findings of a township's files in the period folder, as
/// `consolidate` counts them: how the county (or the township) sees what is
/// wrong with a file placed by hand.
async fn folder_findings(
    State(app): St,
    who: Who,
    Path(code): Path<String>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let s2 = s.clone();
    let (files, findings, names, town, period) = blocking(&app, move |svc| {
        let (files, findings) = svc.folder_findings(&s2, &code)?;
        let findings: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| serde_json::to_value(f).unwrap_or_default())
            .collect();
        let names = village_names(&svc.setup, &findings);
        let town = super::engine::roster_name(&svc.setup, &code)
            .map(|n| format!("{n} ({code})"))
            .unwrap_or(code);
        Ok((files, findings, names, town, svc.period()))
    })
    .await?;
    let errors = findings
        .iter()
        .filter(|f| matches!(text(f, "level"), "error" | "fatal"))
        .count();
    let explained = findings
        .iter()
        .filter(|f| {
            f.get("explained")
                .and_then(|x| x.as_bool())
                .unwrap_or(false)
        })
        .count();
    let order = errors_first(&findings);
    let body = html! {
        h1 { "校验结果(本月文件夹中的报表)" }
        p.muted { (town) " · " (period) " · 文件 " strong { (files.join("、")) } }
        p.summary { "错误 " strong { (errors) } ",提示 " strong { (findings.len() - errors - explained) } ",已说明 " strong { (explained) } }
        p.muted { "按 huizong consolidate 的规则校验本月文件夹中的文件(包括县里手工放入的),与汇总时的结果相同。" }
        (findings_table(&order, &names, files.len() > 1))
    };
    Ok(page("校验结果", Some(&s), body))
}

async fn feedback(State(app): St, who: Who, Path(id): Path<String>) -> Result<Response, PageFail> {
    Ok(http::feedback(&app, who.session, &id).await?)
}

async fn submit_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let id: i64 = f
        .get("upload")
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| Fail::bad("没有指明要提交的上传记录"))?;
    let s = who.session;
    let r = blocking(&app, move |svc| svc.submit(&s, id)).await?;
    Ok(see_other(&format!("/receipts/{}", r.receipt)))
}

async fn receipt_page(
    State(app): St,
    who: Who,
    Path(no): Path<String>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let s2 = s.clone();
    let (r, beside) = blocking(&app, move |svc| {
        let r = svc.receipt(&s2, &no)?;
        let beside = svc.beside(&r);
        Ok((r, beside))
    })
    .await?;
    let body = html! {
        div.receipt {
            h1 { "报表接收回执" }
            table.facts.bordered {
                tr { th { "回执编号" } td.code { (r.receipt) } }
                tr { th { "乡镇(街道)" } td { (r.name) " (" (r.township) ")" } }
                tr { th { "报送月份" } td { (r.period) } }
                tr { th { "文件名" } td { (r.file) } }
                tr { th { "文件大小" } td { (r.size) " 字节" } }
                tr { th { "文件 SHA-256" } td.hash { (r.sha256) } }
                tr { th { "接收时间" } td { (r.received) " (服务器时间,北京时间)" @if r.late { " · 逾期报送" } } }
                tr { th { "校验规则" } td { "版本 " (r.rules_version) br; span.hash { "SHA-256 " (r.rules_sha256) } } }
                tr { th { "提示" } td { "未说明的提示 " (r.warnings) " 条,已说明 " (r.explained) " 条" } }
            }
            p.notice { strong { "县里汇总时以此文件为准。" } "如需更正,请重新上传、提交;以最后一次提交为准。" }
            @if !beside.is_empty() {
                div.alert.error { p {
                    strong { "注意:" } "县里的本月文件夹中另有本乡镇的报表 " (beside.join("、"))
                    "(县里手工放入)。汇总时按填报日期以最新的一份为准,填报日期相同而数据不同的都不使用。如有疑问,请与县里联系。"
                } }
            }
            p.noprint { button type="button" data-print { "打印回执" } " " a href=(format!("/uploads/{}", r.upload)) { "查看校验结果" } }
        }
    };
    Ok(page("回执", Some(&s), body))
}

fn history_table(rows: &[Upload]) -> Markup {
    html! {
        table.grid {
            thead { tr { th { "上传时间" } th { "月份" } th { "文件" } th { "大小" } th { "错误" } th { "提示" } th { "已说明" } th { "结果" } th { "回执" } } }
            tbody {
                @for u in rows {
                    tr {
                        td.nowrap { (clock::format(u.time)) }
                        td { (u.period) }
                        td { a href=(format!("/uploads/{}", u.id)) { (u.file) } }
                        td.num { (u.size) }
                        td.num { (u.errors) }
                        td.num { (u.warnings) }
                        td.num { (u.explained) }
                        td { @if u.receipt.is_some() { "已提交" } @else if u.can_submit { "可提交(未提交)" } @else { "校验未通过" } }
                        td { @if let Some(no) = &u.receipt { a href=(format!("/receipts/{no}")) { (no) } } }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct TownshipQuery {
    township: Option<String>,
}

async fn history_page(
    State(app): St,
    who: Who,
    Query(q): Query<TownshipQuery>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let s2 = s.clone();
    let asked = q.township.clone();
    let (rows, name) = blocking(&app, move |svc| {
        let rows = svc.history(&s2, asked.as_deref())?;
        let code = asked.or(s2.township.clone()).unwrap_or_default();
        Ok((
            rows,
            super::engine::roster_name(&svc.setup, &code)
                .unwrap_or("")
                .to_string(),
        ))
    })
    .await?;
    let body = html! {
        h1 { "报送记录 · " (name) }
        @if rows.is_empty() { p { "还没有上传记录。" } } @else { (history_table(&rows)) }
    };
    Ok(page("报送记录", Some(&s), body))
}

async fn accepted_file(
    State(app): St,
    who: Who,
    Path(code): Path<String>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let (name, bytes) = blocking(&app, move |svc| svc.accepted_file(&s, &code)).await?;
    Ok(download(&name, bytes))
}

/// The board as HTML (also used by the bench).
pub fn board_markup(s: &Session, b: &Board, last_job: Option<i64>) -> Markup {
    let missing: Vec<&BoardRow> = b.rows.iter().filter(|r| !r.is_in()).collect();
    html! {
        h1 { "报送情况 · " (b.period) }
        p.summary {
            "应报 " strong { (b.expected) } ",已报送 " strong { (b.submitted) } "(按时 " (b.on_time) ")"
            ",未报送 " strong { (missing.len()) }
            @if !missing.is_empty() {
                ":" @for (i, r) in missing.iter().enumerate() {
                    @if i > 0 { "、" } (r.name)
                    @if r.status != "未报送" { "(" (r.status) ")" }
                }
            }
        }
        p.muted { "按 huizong consolidate 的规则看本期文件夹:" (b.summary) }
        @if !b.not_used.is_empty() {
            details.noprint {
                summary { "未计入汇总的乡镇(" (b.not_used.len()) ")" }
                ul { @for line in &b.not_used { li { (line) } } }
            }
        }
        div.controls.noprint {
            form method="post" action="/county/deadline" {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="period" value=(b.period);
                label { "截止日期 " input type="date" name="date" value=(b.deadline.clone().unwrap_or_default()) required; }
                button type="submit" { "保存" }
            }
            form method="post" action="/county/period" {
                input type="hidden" name="csrf" value=(s.csrf);
                label { "打开月份 " input type="month" name="period" value=(b.period) required; }
                button type="submit" { "打开" }
            }
            form method="post" action="/county/consolidate" {
                input type="hidden" name="csrf" value=(s.csrf);
                button.primary type="submit" { "汇总 " (b.period) }
            }
            @if let Some(j) = last_job { a href=(format!("/county/jobs/{j}")) { "上次汇总结果" } }
        }
        table.grid.board {
            thead { tr { th { "代码" } th { "乡镇(街道)" } th { "状态" } th { "来源" } th { "接收时间" } th { "错误" } th { "提示" } th { "文件" } th.noprint { "查看" } th.noprint { "退回" } } }
            tbody {
                @for r in &b.rows {
                    tr {
                        td.nowrap { (r.township) }
                        td.nowrap { (r.name) }
                        td.nowrap { (status_badge(r.status)) @if let Some(c) = r.comment.as_ref().or(r.reason.as_ref()) { br; span.muted { (c) } } }
                        td.nowrap { @match r.source { Some("web") => "网上", Some("folder") => "手工放入", _ => "" } }
                        td.nowrap { @if let Some(t) = r.received { (clock::format(t)) } }
                        td.num { @if let Some(e) = r.errors { (e) } }
                        td.num { @if let Some(w) = r.warnings { (w) } }
                        td { @if let Some(f) = &r.file { a href=(format!("/files/{}", r.township)) { (f) } } }
                        td.noprint.nowrap {
                            @let in_folder = r.source == Some("folder") || r.reason.is_some();
                            @if in_folder { a href=(format!("/files/{}/findings", r.township)) { "校验结果" } " " }
                            @if let Some(u) = r.upload { a href=(format!("/uploads/{u}")) { @if in_folder { "最近上传" } @else { "校验结果" } } " " }
                            a href=(format!("/history?township={}", r.township)) { "记录" }
                        }
                        td.noprint {
                            @if r.source == Some("web") && r.is_in() {
                                form.inline method="post" action="/county/return" {
                                    input type="hidden" name="csrf" value=(s.csrf);
                                    input type="hidden" name="township" value=(r.township);
                                    input type="text" name="comment" placeholder="退回意见" required;
                                    button type="submit" { "退回" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn board_page(State(app): St, who: Who) -> Result<Response, PageFail> {
    let s = who.session;
    let s2 = s.clone();
    let (b, job) = blocking(&app, move |svc| {
        svc.county_only(&s2, "报送情况")?;
        let b = svc.status(&s2, None)?;
        let job = svc.last_job(svc.period());
        Ok((b, job))
    })
    .await?;
    Ok(page("报送情况", Some(&s), board_markup(&s, &b, job)))
}

async fn deadline_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let s = who.session;
    let period = f.get("period").cloned().unwrap_or_default();
    let date = f.get("date").cloned().unwrap_or_default();
    blocking(&app, move |svc| svc.set_deadline(&s, &period, &date)).await?;
    Ok(see_other("/county"))
}

async fn return_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let s = who.session;
    let t = f.get("township").cloned().unwrap_or_default();
    let c = f.get("comment").cloned().unwrap_or_default();
    blocking(&app, move |svc| svc.return_to(&s, &t, &c)).await?;
    Ok(see_other("/county"))
}

async fn period_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let s = who.session;
    let p = f.get("period").cloned().unwrap_or_default();
    blocking(&app, move |svc| svc.open_period(&s, &p)).await?;
    Ok(see_other("/county"))
}

async fn consolidate_post(
    State(app): St,
    who: Who,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageFail> {
    csrf_form(&who.session, &f)?;
    let s = who.session;
    let svc = app.svc.clone();
    let id = tokio::task::spawn_blocking(move || svc.start_consolidation(&s))
        .await
        .unwrap_or_else(|e| Err(Fail::internal(e.to_string())))?;
    Ok(see_other(&format!("/county/jobs/{id}")))
}

fn file_label(path: &str) -> &'static str {
    if path.ends_with("/county") {
        "县级汇总表"
    } else if path.ends_with("/tiers") {
        "星级经费分档表"
    } else {
        "各乡镇反馈工作簿(zip)"
    }
}

async fn job_page(State(app): St, who: Who, Path(id): Path<String>) -> Result<Response, PageFail> {
    let id: i64 = id
        .parse()
        .map_err(|_| Fail::not_found("没有这个汇总任务"))?;
    let s = who.session;
    let s2 = s.clone();
    let j = blocking(&app, move |svc| svc.job(&s2, id)).await?;
    let running = j.state == "running";
    let body = html! {
        h1 { "汇总 " (j.period) }
        div.card data-job=(j.id) data-state=(j.state) {
            p { "开始于 " (clock::format(j.started)) @if let Some(f) = j.finished { ",结束于 " (clock::format(f)) } }
            progress.job max="100" value=(j.progress) { (j.progress) "%" }
            p.stage { @match j.state { "running" => { (j.stage) "……(页面会自动刷新)" }, "done" => "汇总完成", _ => "汇总失败" } }
            @if let Some(sm) = &j.summary { p.summary { (sm) } }
            @if !j.notes.is_empty() { ul.notes { @for n in &j.notes { li { (n) } } } }
            @if !j.files.is_empty() {
                h2 { "下载" }
                ul { @for f in &j.files { li { a href=(f) { (file_label(f)) } } } }
            }
        }
        p { a href="/county" { "返回报送情况" } }
    };
    let mut r = page("汇总", Some(&s), body);
    if running {
        r.headers_mut()
            .insert("refresh", HeaderValue::from_static("3"));
    }
    Ok(r)
}

async fn output(
    State(app): St,
    who: Who,
    Path((period, kind)): Path<(String, String)>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let (name, bytes) = blocking(&app, move |svc| svc.output(&s, &period, &kind)).await?;
    Ok(download(&name, bytes))
}

async fn audit_page(
    State(app): St,
    who: Who,
    Query(f): Query<AuditFilter>,
) -> Result<Response, PageFail> {
    let s = who.session;
    let s2 = s.clone();
    let f2 = f.clone();
    let (rows, actions, townships) = blocking(&app, move |svc| {
        let rows = svc.audit_rows(&s2, &f2)?;
        Ok((rows, svc.audit_actions(), svc.setup.townships.clone()))
    })
    .await?;
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        h1 { "操作日志" }
        form.controls.noprint method="get" action="/county/audit" {
            label { "乡镇 " select name="township" {
                option value="" { "全部" }
                @for (c, n) in &townships { option value=(c) selected[sel(&f.township, c)] { (c) " " (n) } }
            } }
            label { "操作 " select name="action" {
                option value="" { "全部" }
                @for a in &actions { option value=(a) selected[sel(&f.action, a)] { (a) } }
            } }
            label { "从 " input type="date" name="from" value=(f.from.clone().unwrap_or_default()); }
            label { "到 " input type="date" name="to" value=(f.to.clone().unwrap_or_default()); }
            button type="submit" { "筛选" }
        }
        p.muted { "共 " (rows.len()) " 条(最新在前,最多显示 5000 条)。操作日志只能追加,不能修改或删除。" }
        table.grid.audit {
            thead { tr { th { "时间" } th { "账号" } th { "地址" } th { "操作" } th { "乡镇" } th { "月份" } th { "文件 SHA-256" } th { "结果" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td.nowrap { (r.time) }
                        td { (r.account.clone().unwrap_or_default()) }
                        td { (r.address.clone().unwrap_or_default()) }
                        td.nowrap { (r.action) }
                        td { (r.township.clone().unwrap_or_default()) }
                        td { (r.period.clone().unwrap_or_default()) }
                        td.hash { (r.sha256.as_deref().map(|h| &h[..h.len().min(16)]).unwrap_or("")) }
                        td { (r.outcome) }
                    }
                }
            }
        }
    };
    Ok(page("操作日志", Some(&s), body))
}
