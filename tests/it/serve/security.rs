//! Who gets in and what they reach (`serve.md` "Security"): logins and
//! their cookie, lock-outs, sessions, the CSRF token and the origin, one
//! township never reaching another's data, the upload limits, the audit
//! log that cannot be changed, and users' text escaped on every page.

use super::*;

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
async fn malformed_requests_are_refused_in_chinese_in_the_path_s_flavour() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let anon = Client::new(&app);
    // The login form posted with no form body: a page, in Chinese.
    let a = anon.send("POST", "/login", None, Vec::new(), false).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(a.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(a.text().contains("请求内容的格式不对"), "{}", a.text());
    assert!(!a.text().contains("Content-Type"), "{}", a.text());
    // The API with the wrong method: JSON, in Chinese.
    let a = anon.get("/api/login").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        a.error(),
        "这个地址不接受这种请求方式(如该用 POST 的用了 GET)。请按页面或接口说明操作"
    );
    // Bodies that are not what the API takes: what is wrong, without
    // the JSON parser's English.
    let a = anon
        .send(
            "POST",
            "/api/login",
            Some("application/json"),
            b"{1:2}".to_vec(),
            false,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error(), "请求内容不是有效的 JSON。请按接口说明发送");
    let t = township(&f, &app, BAISHA).await;
    let a = t.post_json("/api/submit", serde_json::json!({})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error(), "请求中缺少“upload”一项。请按接口说明发送");
    let a = t
        .post_json("/api/submit", serde_json::json!({"upload": "一"}))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.error(),
        "请求中有一项的类型不对(如该是数字的写成了文字)。请按接口说明发送"
    );
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
