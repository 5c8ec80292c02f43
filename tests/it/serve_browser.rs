//! A real browser against `huizong serve`: headless Chromium driven by
//! Selenium (`tests/browser/serve_flow.py`) through the township's and the
//! county's flow. Screenshots go to `target/browser-shots/`. Skipped with
//! a loud line when chromium, chromedriver or Python's selenium/openpyxl
//! is missing — and failed when `CI` is set.

use super::common::project;
use super::serve_live::{live_fixture, Server};
use std::process::Command;

fn present(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn first_program(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|n| present("sh", &["-c", &format!("command -v {n}")]))
        .map(|n| {
            let o = Command::new("sh")
                .args(["-c", &format!("command -v {n}")])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        })
}

#[test]
fn a_township_and_the_county_in_a_real_browser() {
    let chromium = first_program(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = first_program(&["chromedriver"]);
    let python = present("python3", &["-c", "import selenium, openpyxl"]);
    if chromium.is_none() || driver.is_none() || !python {
        let what = format!(
            "chromium {}, chromedriver {}, python3 selenium+openpyxl {}",
            if chromium.is_some() { "ok" } else { "MISSING" },
            if driver.is_some() { "ok" } else { "MISSING" },
            if python { "ok" } else { "MISSING" }
        );
        if std::env::var_os("CI").is_some() {
            panic!("浏览器测试所需程序缺失({what}),CI 要求运行此测试(.ci/run 应安装它们)");
        }
        eprintln!("\n*** SKIP: browser test not run — {what} ***\n");
        return;
    }
    let f = live_fixture();
    // The month folders as a county has them: last month's returns, and
    // three of this month's that came by e-mail (one with an error).
    super::common::copy_dir(&project("samples/示范县/2024-05"), &f.ws.join("2024-05"));
    std::fs::create_dir_all(f.ws.join("2024-06")).unwrap();
    for name in [
        "白砂镇_2024-06.xlsx",
        "青湖街道_2024-06.xlsx",
        "南浦街道_2024-06.xlsx",
    ] {
        std::fs::copy(
            project("samples/示范县/2024-06").join(name),
            f.ws.join("2024-06").join(name),
        )
        .unwrap();
    }
    std::fs::copy(
        project("samples/示范县/county_scores.xlsx"),
        f.ws.join("county_scores.xlsx"),
    )
    .unwrap();
    let server = Server::start(&f.ws, "2024-06");
    let shots = project("target/browser-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let work = f.work.path("browser");
    std::fs::create_dir_all(&work).unwrap();
    let township = "990101102"; // 樟黄镇: its sample has P01 at 标牌清理!G5
    let config = serde_json::json!({
        "url": format!("http://{}/", server.addr),
        "township": township,
        "password": f.passwords[township],
        "county_password": f.passwords["county"],
        "error_file": project("samples/示范县/2024-06/樟黄镇_2024-06.xlsx"),
        "work": work,
        "shots": shots,
        "chromium": chromium.unwrap(),
        "chromedriver": driver.unwrap(),
    });
    let cfg = work.join("config.json");
    std::fs::write(&cfg, config.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(project("tests/browser/serve_flow.py"))
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("BROWSER FLOW OK"),
        "browser flow failed:\n{stdout}\n{stderr}\nserver log: {}",
        std::fs::read_to_string(f.ws.join(format!("serve-{}.log", server.addr.port())))
            .unwrap_or_default()
    );
    drop(server);
}
