//! Serve benchmark (`serve.md` "Performance"): prints, against the targets,
//! the p95 latency of checking a typical return through the router (upload
//! in, findings out: multipart, pre-scan, read, rules, ledger row), and the
//! render time of the county's 报送情况 board for 2,500 townships (ledger
//! queries, the period folder decided as `consolidate` would — warm — and
//! the HTML). Asserts nothing about time.
//!
//! cargo bench --bench serve              # board for 2,500 townships
//! cargo bench --bench serve -- --quick   # CI smoke test: fewer runs, 100 townships

use axum::body::Body;
use axum::http::{header, Request};
use huizong::serve::{accounts, db, engine, http, pages, service::Session};
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CHECK_TARGET_MS: f64 = 150.0;
const BOARD_TARGET_MS: f64 = 200.0;

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

/// A generated workspace kept between runs under `target/bench/`.
fn workspace(n: usize) -> std::path::PathBuf {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench/serve_ws_{n}"));
    let marker = ws.join(".generated");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&ws);
        let t = Instant::now();
        huizong::kit::samples::generate(&ws, Some(n), 2024).expect("generate workspace");
        std::fs::write(&marker, b"ok").unwrap();
        eprintln!(
            "生成 N={n} 的工作区用时 {:.1} 秒",
            t.elapsed().as_secs_f64()
        );
    }
    // A fresh service state each run.
    let _ = std::fs::remove_dir_all(ws.join("报送"));
    ws
}

fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let b = "----huizongbench";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    body
}

async fn check_latency(runs: usize) {
    let ws = workspace(8);
    let mut conn = db::open(&ws.join("报送")).unwrap();
    let (county, townships) = engine::roster_townships(&ws).unwrap();
    let logins = accounts::create_missing(&mut conn, &county.name, &townships).unwrap();
    drop(conn);
    let svc = huizong::serve::open(&ws, None, Some("2024-06".parse().unwrap()), false).unwrap();
    let app = http::router(http::App::new(svc.clone()));
    // The typical return: the generated file closest to 25 villages.
    let files = huizong::read::spreadsheet_files(&ws.join("2024-06")).unwrap();
    let policy = huizong::policy::Policy::default_rules();
    let (file, villages, signs) = files
        .iter()
        .map(|p| {
            let l = huizong::read::read_file(p, &policy, None);
            let ret = l.ret.expect("a generated return reads");
            let v = ret
                .tables
                .iter()
                .find(|t| t.spec.id == huizong::schema::SheetId::Signs)
                .map(|t| t.rows.len())
                .unwrap_or(0);
            let s = ret
                .tables
                .iter()
                .find(|t| t.spec.id == huizong::schema::SheetId::SignDetail)
                .map(|t| t.rows.len())
                .unwrap_or(0);
            (p.clone(), v, s)
        })
        .min_by_key(|(_, v, _)| v.abs_diff(25))
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    // Sessions of several townships (the limit is 30 uploads a minute each).
    let mut sessions = Vec::new();
    for l in logins.iter().filter(|l| l.township.is_some()) {
        let req = Request::post("/api/login")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"user": l.user, "password": l.password}).to_string(),
            ))
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        let cookie = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        let csrf = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_string();
        sessions.push((cookie, csrf));
    }
    let upload = |i: usize| {
        let (cookie, csrf) = &sessions[i % sessions.len()];
        Request::post("/api/check")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, cookie)
            .header("x-csrf-token", csrf)
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=----huizongbench",
            )
            .body(Body::from(multipart(&name, &bytes)))
            .unwrap()
    };
    // Warm: the previous period is read once and cached.
    let r = app.clone().oneshot(upload(0)).await.unwrap();
    assert_eq!(r.status(), 200);
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        let r = app.clone().oneshot(upload(i + 1)).await.unwrap();
        let status = r.status();
        let _ = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let p50 = percentile(&mut times, 0.5);
    let p95 = percentile(&mut times, 0.95);
    println!(
        "校验一份报表({villages} 个村、{signs} 行标牌明细,{:.0} KB),经路由上传到返回结果,{runs} 次:p50 {p50:.1} 毫秒,p95 {p95:.1} 毫秒(目标 ≤ {CHECK_TARGET_MS:.0} 毫秒){}",
        bytes.len() as f64 / 1024.0,
        if p95 <= CHECK_TARGET_MS { ",达标" } else { ",未达标" }
    );
}

fn board(n: usize, runs: usize) {
    let ws = workspace(n);
    let svc = huizong::serve::open(&ws, None, Some("2024-06".parse().unwrap()), false).unwrap();
    let county = Session {
        user: "county".into(),
        township: None,
        name: "县".into(),
        csrf: "0".repeat(64),
        address: "127.0.0.1".into(),
    };
    // Some of the period's returns came through the web: ledger rows the
    // board joins (uploads of every third township).
    {
        let c = svc.conn();
        for (i, (code, _)) in svc
            .setup
            .townships
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == 0)
        {
            c.execute(
                "INSERT INTO uploads(township, period, user, file, stored, size, sha256, time, errors, warnings,
                   explained, can_submit, findings) VALUES (?1, '2024-06', ?1, 'x.xlsx', 'x', 1, 'x', ?2, 1, 0, 0, 0, '[]')",
                rusqlite::params![code, 1_700_000_000 + i as i64],
            )
            .unwrap();
        }
    }
    let t = Instant::now();
    let first = svc.status(&county, None).unwrap();
    let cold = t.elapsed();
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let b = svc.status(&county, None).unwrap();
        let html = pages::board_markup(&county, &b, None).into_string();
        size = html.len();
        times.push(t.elapsed());
    }
    let p50 = percentile(&mut times, 0.5);
    let p95 = percentile(&mut times, 0.95);
    println!(
        "报送情况页面,{} 个乡镇(本期文件夹 {} 份报表,已读入缓存;首次读取和校验全部文件用时 {:.1} 秒),{runs} 次:p50 {p50:.1} 毫秒,p95 {p95:.1} 毫秒,页面 {:.0} KB(目标 ≤ {BOARD_TARGET_MS:.0} 毫秒){}",
        first.rows.len(),
        huizong::read::spreadsheet_files(&ws.join("2024-06")).unwrap().len(),
        cold.as_secs_f64(),
        size as f64 / 1024.0,
        if p95 <= BOARD_TARGET_MS { ",达标" } else { ",未达标" }
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(check_latency(if quick { 10 } else { 100 }));
    board(if quick { 100 } else { 2500 }, if quick { 5 } else { 30 });
}
