//! A month's reporting through the service: check, submit, receipt and
//! history; the county's board, deadline and hand-placed files; one
//! consolidation at a time giving the command line's workbooks; a restart
//! that reconciles the ledger with the folders.

use super::*;

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
async fn an_earlier_upload_submitted_again_is_the_return_again() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let q = township(&f, &app, QINGHU).await;
    let accepted =
        f.ws.join("2024-06")
            .join(format!("{QINGHU}_青湖街道_2024-06.xlsx"));
    let in_place = || huizong::serve::engine::sha256_hex(&std::fs::read(&accepted).unwrap());
    // Two good versions of the return: the sample, and the sample with
    // another title in its document properties.
    let first = Fixture::sample("2024-06/青湖街道_2024-06.xlsx");
    let second = f.work.path("青湖街道_2024-06_改.xlsx");
    std::fs::copy(&first, &second).unwrap();
    crate::rules::patch_xlsx(&second, "docProps/core.xml", |x| {
        x.replace(
            "<dc:title>乡镇(街道)党群服务中心月报</dc:title>",
            "<dc:title>第二版</dc:title>",
        )
    });
    let a = q.upload_file(&first).await.json();
    let b = q.upload_file(&second).await.json();
    assert_ne!(a["sha256"], b["sha256"]);
    let submit = |up: &serde_json::Value| {
        let body = serde_json::json!({"upload": up["upload"]});
        let q = &q;
        async move {
            let r = q.post_json("/api/submit", body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    let r1 = submit(&a).await;
    assert_eq!(in_place(), a["sha256"].as_str().unwrap());
    let r2 = submit(&b).await;
    assert_ne!(r2["receipt"], r1["receipt"]);
    assert_eq!(in_place(), b["sha256"].as_str().unwrap());
    // The first upload again (the browser's Back, then 提交): it is the
    // return again, under a receipt of its own; the page sent twice more
    // gives that same receipt.
    let r3 = submit(&a).await;
    assert_ne!(r3["receipt"], r1["receipt"]);
    assert_ne!(r3["receipt"], r2["receipt"]);
    assert_eq!(r3["sha256"], a["sha256"]);
    assert_eq!(in_place(), a["sha256"].as_str().unwrap());
    assert_eq!(submit(&a).await["receipt"], r3["receipt"]);
    // History names each upload's latest receipt.
    let h = q.get("/api/history").await.json();
    let receipt_of = |sha: &serde_json::Value| {
        h.as_array()
            .unwrap()
            .iter()
            .find(|u| u["sha256"] == *sha)
            .unwrap()["receipt"]
            .clone()
    };
    assert_eq!(receipt_of(&a["sha256"]), r3["receipt"]);
    assert_eq!(receipt_of(&b["sha256"]), r2["receipt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_placed_by_hand_beside_web_ones_are_shown_as_consolidate_takes_them() {
    let f = Fixture::new();
    let (app, _) = f.router("2024-06");
    let june = f.ws.join("2024-06");
    // 青湖街道 submits on the web; the county has also placed by hand a
    // copy that came by e-mail, of the same 填报日期 with one figure
    // changed: neither is used (Y03).
    let q = township(&f, &app, QINGHU).await;
    let up = q
        .upload_file(&Fixture::sample("2024-06/青湖街道_2024-06.xlsx"))
        .await
        .json();
    let receipt = q
        .post_json("/api/submit", serde_json::json!({"upload": up["upload"]}))
        .await
        .json();
    let hand = june.join("青湖街道_2024-06.xlsx");
    std::fs::copy(Fixture::sample("2024-06/青湖街道_2024-06.xlsx"), &hand).unwrap();
    crate::rules::patch_xlsx(&hand, "xl/worksheets/sheet6.xml", |x| {
        let from = r#"<c r="G3" s="11"><v>26</v></c>"#;
        assert!(x.contains(from), "sample layout changed");
        x.replace(from, r#"<c r="G3" s="11"><v>27</v></c>"#)
    });
    let st = q.get("/api/status").await.json();
    let row = &st["rows"][0];
    assert_eq!(row["status"], "校验未通过");
    assert_eq!(row["errors"], 2, "one Y03 for each file: {row}");
    // The township is told why, and where to see it.
    let home = q.get("/home").await.text();
    assert!(
        home.contains("本月报表未能计入汇总:")
            && home.contains("2 份填报日期相同而数据不同的报表")
            && home.contains(&format!("/files/{QINGHU}/findings")),
        "{home}"
    );
    let page = q.get(&format!("/files/{QINGHU}/findings")).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert_eq!(page.matches(">Y03<").count(), 2, "{page}");
    assert!(
        page.contains("990101104_青湖街道_2024-06.xlsx、青湖街道_2024-06.xlsx"),
        "{page}"
    );
    // Its receipt says a file placed by hand is weighed against it.
    let rp = q
        .get(&format!(
            "/receipts/{}",
            receipt["receipt"].as_str().unwrap()
        ))
        .await
        .text();
    assert!(
        rp.contains("县里的本月文件夹中另有本乡镇的报表 青湖街道_2024-06.xlsx"),
        "{rp}"
    );
    // No other township sees those findings.
    let b = township(&f, &app, BAISHA).await;
    assert_eq!(
        b.get(&format!("/files/{QINGHU}/findings")).await.status,
        StatusCode::FORBIDDEN
    );
    // The county cannot 退回 the web file while the hand file would take
    // its place unseen by the township.
    let c = county(&f, &app).await;
    let r = c
        .post_json(
            "/api/return",
            serde_json::json!({"township": QINGHU, "comment": "请核对"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.error()
            .contains("另有手工放入的文件 青湖街道_2024-06.xlsx"),
        "{}",
        r.error()
    );
    assert!(june
        .join(format!("{QINGHU}_青湖街道_2024-06.xlsx"))
        .exists());
    // A file placed by hand has its findings linked on the board.
    std::fs::copy(
        Fixture::sample("2024-06/樟黄镇_2024-06.xlsx"),
        june.join("樟黄镇_2024-06.xlsx"),
    )
    .unwrap();
    let board = c.get("/county").await.text();
    assert!(board.contains("/files/990101102/findings"), "{board}");
    let page = c.get("/files/990101102/findings").await.text();
    assert!(
        page.contains("标牌清理!G5") && page.contains("P01"),
        "{page}"
    );
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
