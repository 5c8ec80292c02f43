//! The sample workspace against `samples/README.md`: every listed finding is
//! reported, and nothing else.

use crate::common::{project, stdout, Workdir};
use std::collections::BTreeMap;

/// (file, code, cell, level as the README writes it)
type Row = (String, String, String, String);

fn readme_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(project("samples/README.md")).expect("samples/README.md");
    text.lines()
        .filter(|l| l.starts_with("| 2024-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (
                cells[0].into(),
                cells[1].into(),
                cells[2].into(),
                cells[3].into(),
            )
        })
        .collect()
}

fn level_zh(f: &serde_json::Value) -> String {
    let base = match f["level"].as_str().unwrap() {
        "fatal" => "无法读取",
        "error" => "错误",
        _ => "提示",
    };
    if f["explained"] == true {
        format!("{base}(已说明)")
    } else {
        base.to_string()
    }
}

#[test]
fn samples_match_their_readme() {
    let w = Workdir::new();
    let root = project("samples/示范县");
    let roster = root.join("roster.xlsx");
    let mut want: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for r in readme_rows() {
        want.entry(r.0.clone()).or_default().push(r);
    }
    assert!(want.len() >= 5, "README lists the sample mistakes");
    let mut files = 0;
    for month in ["2024-05", "2024-06"] {
        for entry in std::fs::read_dir(root.join(month)).unwrap() {
            let path = entry.unwrap().path();
            let rel = format!("{month}/{}", path.file_name().unwrap().to_string_lossy());
            let o = w.run(&[
                "check",
                path.to_str().unwrap(),
                "--roster",
                roster.to_str().unwrap(),
                "--period",
                month,
                "--format",
                "json",
            ]);
            let got: Vec<Row> = stdout(&o)
                .lines()
                .map(|l| {
                    let f: serde_json::Value = serde_json::from_str(l).unwrap();
                    let cell = match (f["sheet"].as_str(), f["cell"].as_str()) {
                        (Some(s), Some(c)) => format!("{s}!{c}"),
                        _ => "—".to_string(),
                    };
                    (
                        rel.clone(),
                        f["code"].as_str().unwrap().to_string(),
                        cell,
                        level_zh(&f),
                    )
                })
                .collect();
            let mut got_sorted = got.clone();
            got_sorted.sort();
            let mut expected = want.remove(&rel).unwrap_or_default();
            expected.sort();
            assert_eq!(got_sorted, expected, "{rel}");
            let code = o.status.code().unwrap();
            let has_error = expected.iter().any(|r| r.3 == "错误" || r.3 == "无法读取");
            assert_eq!(code, if has_error { 1 } else { 0 }, "{rel} exit code");
            files += 1;
        }
    }
    assert!(
        want.is_empty(),
        "README lists files that do not exist: {:?}",
        want.keys()
    );
    assert_eq!(files, 15, "8 returns in 2024-05, 7 in 2024-06");
}

#[test]
fn check_on_a_folder_prints_every_file_grouped() {
    let w = Workdir::new();
    let dir = project("samples/示范县/2024-06");
    let o = w.run(&["check", dir.to_str().unwrap(), "--period", "2024-06"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("白砂镇_2024-06.xlsx(白砂镇 990101101):未发现问题"),
        "{out}"
    );
    assert!(
        out.contains("  标牌清理!G5(990101102203 双上村)  P01  错误  现有标牌数"),
        "{out}"
    );
    // Errors first within a file.
    let nanpu = out.split("南浦街道_2024-06.xlsx").nth(1).unwrap();
    assert!(nanpu.find("M01").unwrap() < nanpu.find("D05").unwrap());
    // A total over the folder.
    assert!(
        out.ends_with("共校验 7 个文件:未发现问题 1 个,有错误 4 个,只有提示 1 个,无法读取 1 个;错误 6 个,提示 3 个\n"),
        "{out}"
    );
}

#[test]
fn generator_reproduces_the_committed_samples() {
    let w = Workdir::new();
    let out = w.path("gen");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong-samples"))
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for rel in [
        "roster.xlsx",
        "county_scores.xlsx",
        "county.toml",
        "2024-06/樟黄镇_2024-06.xlsx",
        "2024-05/白砂镇_2024-05.xlsx",
    ] {
        let a = std::fs::read(out.join(rel)).unwrap();
        let b = std::fs::read(project("samples/示范县").join(rel)).unwrap();
        assert!(
            a == b,
            "{rel} differs: run `cargo run --features kit --bin huizong-samples` and commit samples/"
        );
    }
}
