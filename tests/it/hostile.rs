//! Hostile and broken files through the real binary: each gives its S01 or
//! S06 (never a panic), and a batch with all of them still consolidates the
//! good return around them.

use crate::common::{project, stderr, stdout, Workdir};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// file → expected code, from the fixtures' README table.
fn expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(project("tests/fixtures/hostile/README.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].trim_matches('`').to_string(), cells[3].to_string())
        })
        .collect()
}

#[test]
fn every_hostile_fixture_gives_its_code_through_check() {
    let w = Workdir::new();
    let want = expected();
    assert!(want.len() >= 20);
    for (file, code) in &want {
        let path = project(&format!("tests/fixtures/hostile/{file}"));
        let start = Instant::now();
        let o = w.run(&["check", path.to_str().unwrap(), "--format", "json"]);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{file} took {:?}",
            start.elapsed()
        );
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{file}: {err}");
        let codes: Vec<String> = stdout(&o)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        if code.starts_with("accepted") {
            assert!(
                !codes.iter().any(|c| c == "S01" || c == "S06"),
                "{file}: {codes:?}"
            );
        } else {
            assert_eq!(codes, vec![code.clone()], "{file}");
            assert_eq!(o.status.code(), Some(1), "{file}");
        }
    }
}

#[test]
fn a_batch_of_hostile_files_still_consolidates_the_good_return() {
    let w = Workdir::new();
    let ws = w.path("ws");
    std::fs::create_dir_all(ws.join("2024-06")).unwrap();
    std::fs::write(
        ws.join("county.toml"),
        "name = \"示范县\"\ncode = \"990101\"\nbudget = 1000000\n",
    )
    .unwrap();
    for (file, _) in expected() {
        std::fs::copy(
            project(&format!("tests/fixtures/hostile/{file}")),
            ws.join("2024-06").join(&file),
        )
        .unwrap();
    }
    std::fs::copy(
        project("samples/示范县/2024-06/白砂镇_2024-06.xlsx"),
        ws.join("2024-06/白砂镇_2024-06.xlsx"),
    )
    .unwrap();
    // A directory named like a return is skipped, not an error.
    std::fs::create_dir_all(ws.join("2024-06/目录.xlsx")).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // 白砂镇 is used; the 21 hostile files are unreadable (one of them has a
    // readable cover, so its township shows as 无法读取; the rest have none).
    assert!(
        err.contains("已汇总 1/2 个乡镇,退回 0,无法读取 21,未报送 0"),
        "{err}"
    );
}
