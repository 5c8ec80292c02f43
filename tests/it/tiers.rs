//! `huizong tiers` and the tier workbook on the samples: golden cells of
//! 分档明细 and 预算, money within the budget (also a budget too small for
//! the tiers), byte-identical reruns, T01 and the scores file's own
//! findings in the county workbook, and the runs without county scores.

use crate::common::{cell_text, check_golden, copy_samples, project, stderr, Workdir};
use calamine::{Reader, Xlsx};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const TIER_FILE: &str = "星级经费分档_示范县_2024-06.xlsx";
const COUNTY_FILE: &str = "县级汇总_示范县_2024-06.xlsx";
const GOLDEN: &str = "tests/golden/tiers_2024-06.json";
/// Sheets compared cell by cell with the golden file.
const GOLDEN_SHEETS: [&str; 2] = ["分档明细", "预算"];
const SAMPLE_BUDGET: i64 = 1_100_000;

/// 分档明细 columns (0-based).
const TOWNSHIP: usize = 0;
const VILLAGE: usize = 2;
const COMPOSITE: usize = 7;
const MEASURED: usize = 8;
const REASONS: usize = 10;
const STAR: usize = 11;
const TIER: usize = 12;
const PAID: usize = 13;
const STATUS: usize = 14;
const NOTE: usize = 15;

/// A fresh copy of the samples named `name`.
fn samples(w: &Workdir, name: &str) -> PathBuf {
    let ws = w.path(name);
    copy_samples(&ws);
    ws
}

fn out_dir(w: &Workdir, name: &str) -> PathBuf {
    w.path(&format!("{name}/输出/2024-06"))
}

/// Every row of a sheet as shown text (the sheets start at A1).
fn rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    assert_eq!(range.start(), Some((0, 0)), "{sheet}");
    range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect()
}

fn int(s: &str) -> i64 {
    s.parse::<f64>()
        .map(|f| {
            assert_eq!(f.fract(), 0.0, "{s} is a whole number");
            f as i64
        })
        .unwrap_or_else(|_| panic!("{s:?} is not a number"))
}

/// 预算: label → value.
/// The provisional statement of the samples' rating (2 of 8 used).
const PROVISIONAL: &str = "临时结果:已汇总 2/8 个乡镇,未评定的村不计入经费";

/// A sheet's rows from its header on: a provisional rating's statement in
/// the first row is checked and left out.
fn table(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut all = rows(path, sheet);
    if all[0][0].starts_with("临时结果") {
        assert_eq!(all[0][0], PROVISIONAL, "{sheet}");
        assert!(all[0][1..].iter().all(|c| c.is_empty()), "{sheet}");
        all.remove(0);
    }
    all
}

fn budget(path: &Path) -> BTreeMap<String, String> {
    table(path, "预算")[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

fn set_budget(ws: &Path, budget: i64) {
    let p = ws.join("county.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("budget = 1100000"));
    std::fs::write(
        &p,
        text.replace("budget = 1100000", &format!("budget = {budget}")),
    )
    .unwrap();
}

#[test]
fn tiers_on_the_samples_match_golden_cells_within_the_budget() {
    let w = Workdir::new();
    samples(&w, "ws");
    let o = w.run(&["tiers", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "the samples have errors: {err}");
    assert!(err.contains("星级经费分档表:"), "{err}");
    assert!(
        err.contains(
            "星级评定(临时结果:已汇总 2/8 个乡镇,未评定的村不计入经费):已评定 48,待评定 1,不予评定 119;档次经费 780,000 元,核拨 780,000 元(预算 1,100,000 元,结余 320,000 元)"
        ),
        "{err}"
    );
    // `tiers` writes only the tier workbook.
    let mut written: Vec<String> = std::fs::read_dir(out_dir(&w, "ws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, [TIER_FILE]);
    let path = out_dir(&w, "ws").join(TIER_FILE);
    let wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["说明", "分档明细", "乡镇小计", "星级分布", "预算", "规则"]
    );

    check_golden(&path, &GOLDEN_SHEETS, GOLDEN);

    // The figures spelled out, so the golden file is not the only witness.
    let detail = table(&path, "分档明细");
    assert_eq!(detail[0][0], "乡镇(街道)代码");
    assert_eq!(detail[0][NOTE], "说明");
    assert_eq!(detail.len(), 1 + 168, "every village of the roster");
    let keys: Vec<(&str, &str)> = detail[1..]
        .iter()
        .map(|r| (r[TOWNSHIP].as_str(), r[VILLAGE].as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by township code, then village code");
    let paid: i64 = detail[1..].iter().map(|r| int(&r[PAID])).sum();
    let tier: i64 = detail[1..].iter().map(|r| int(&r[TIER])).sum();
    let b = budget(&path);
    assert_eq!(int(&b["预算(元)"]), SAMPLE_BUDGET);
    assert_eq!(int(&b["档次经费合计(元)"]), tier);
    assert_eq!(int(&b["核拨经费合计(元)"]), paid);
    assert!(paid <= SAMPLE_BUDGET, "{paid} > {SAMPLE_BUDGET}");
    // The samples use 2 of 8 townships: the split is provisional.
    assert_eq!(rows(&path, "分档明细")[0][0], PROVISIONAL);
    assert_eq!(rows(&path, "预算")[0][0], PROVISIONAL);
    assert_eq!(int(&b["结余(元,临时结果)"]), SAMPLE_BUDGET - paid);
    // The samples' tiers fit in their budget: each village gets its tier.
    assert_eq!(b["是否超出预算"], "否");
    assert_eq!(b["压缩系数"], "1");
    assert_eq!(paid, 780_000);
    for r in &detail[1..] {
        assert_eq!(r[PAID], r[TIER], "{}", r[VILLAGE]);
        match r[STATUS].as_str() {
            "已评定" => {
                assert!(!r[COMPOSITE].is_empty() && !r[STAR].is_empty());
                assert!(r[NOTE].starts_with("综合得分"), "{:?}", r);
            }
            "不予评定" | "待评定" => {
                assert_eq!([&r[COMPOSITE], &r[MEASURED], &r[STAR]], ["", "", ""]);
                assert_eq!([&r[TIER], &r[PAID]], ["0", "0"]);
            }
            other => panic!("状态 {other}"),
        }
    }
    // Only the two used townships are rated; 青湖街道's negative-list sign
    // (P03, 标牌明细!C520) caps its village at 2 stars.
    let rated: Vec<&str> = detail[1..]
        .iter()
        .filter(|r| r[STATUS] == "已评定")
        .map(|r| r[TOWNSHIP].as_str())
        .collect();
    assert_eq!(rated.len(), 48);
    assert!(rated.iter().all(|t| *t == "990101101" || *t == "990101104"));
    let capped: Vec<&Vec<String>> = detail[1..]
        .iter()
        .filter(|r| !r[REASONS].is_empty())
        .collect();
    assert_eq!(capped.len(), 1);
    assert_eq!(capped[0][VILLAGE], "990101104202");
    assert_eq!(capped[0][REASONS], "负面清单标牌(P03)→降至2星");
    assert_eq!(capped[0][STAR], "2");
    assert!(
        capped[0][NOTE].contains("负面清单标牌(P03)→降至2星;核定2星"),
        "{}",
        capped[0][NOTE]
    );
    let yuntai = detail[1..]
        .iter()
        .find(|r| r[TOWNSHIP] == "990101107")
        .unwrap();
    assert_eq!(yuntai[STATUS], "不予评定");
    assert!(yuntai[NOTE].contains("未报送"), "{}", yuntai[NOTE]);

    // 乡镇小计 and 星级分布 agree with the detail.
    let towns = rows(&path, "乡镇小计");
    let total = towns.last().unwrap();
    assert_eq!(total[1], "合计");
    assert_eq!(int(&total[2]), 168);
    assert_eq!(int(&total[12]), paid);
    let dist = rows(&path, "星级分布");
    assert_eq!(dist[9][0], "合计");
    assert_eq!(int(&dist[9][1]), 168);
    assert_eq!(int(&dist[8][1]), 119, "不予评定");
    let rated_by_star: i64 = dist[1..7].iter().map(|r| int(&r[1])).sum();
    assert_eq!(rated_by_star, 48);
    assert_eq!(
        int(&dist[7][1]),
        1,
        "待评定: 白砂镇's village with no county score"
    );
}

#[test]
fn tiers_reruns_and_consolidate_write_the_same_bytes() {
    let w = Workdir::new();
    samples(&w, "a");
    samples(&w, "b");
    let o = w.run(&["tiers", "a", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let first = std::fs::read(out_dir(&w, "a").join(TIER_FILE)).unwrap();
    let o = w.run(&["tiers", "a", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read(out_dir(&w, "a").join(TIER_FILE)).unwrap(),
        first
    );
    // consolidate, in another folder, writes the same tier workbook.
    let o = w.run(&["consolidate", "b", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(out_dir(&w, "b").join(COUNTY_FILE).exists());
    assert!(
        std::fs::read(out_dir(&w, "b").join(TIER_FILE)).unwrap() == first,
        "consolidate's tier workbook differs from tiers'"
    );
    let readme = rows(&out_dir(&w, "b").join(COUNTY_FILE), "说明");
    assert!(
        readme
            .iter()
            .any(|r| r[1].starts_with("区级评定 county_scores.xlsx(SHA-256 ")
                && r[1].ends_with(TIER_FILE)),
        "{readme:?}"
    );
}

#[test]
fn a_budget_below_the_tiers_is_scaled_down_in_whole_hundreds() {
    // The samples' tiers total 780,000: a budget of 555,555 pays each
    // village floor(tier × 555,555 / (780,000 × 100)) × 100.
    let w = Workdir::new();
    let ws = samples(&w, "ws");
    let budget_yuan: i64 = 555_555;
    set_budget(&ws, budget_yuan);
    let o = w.run(&["tiers", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("超出预算按系数 0.71225 压缩"), "{err}");
    let path = out_dir(&w, "ws").join(TIER_FILE);
    let detail = table(&path, "分档明细");
    let s: i64 = detail[1..].iter().map(|r| int(&r[TIER])).sum();
    assert_eq!(s, 780_000);
    let mut paid = 0;
    for r in &detail[1..] {
        let (t, p) = (int(&r[TIER]), int(&r[PAID]));
        let want = (t as i128 * budget_yuan as i128 / (s as i128 * 100) * 100) as i64;
        assert_eq!(p, want, "{}", r[VILLAGE]);
        assert_eq!(p % 100, 0);
        paid += p;
        if t > 0 {
            assert!(
                r[NOTE].ends_with("预算不足,按比例核拨(见“预算”表)"),
                "{}",
                r[NOTE]
            );
        }
    }
    // Per tier: 50,000 → 35,600; 30,000 → 21,300; 20,000 → 14,200;
    // 10,000 → 7,100; 5,000 → 3,500 (1, 7, 17, 13 and 10 villages).
    assert_eq!(
        paid,
        35_600 + 7 * 21_300 + 17 * 14_200 + 13 * 7_100 + 10 * 3_500
    );
    assert_eq!(paid, 553_400);
    let b = budget(&path);
    assert_eq!(b["是否超出预算"], "是");
    assert_eq!(int(&b["预算(元)"]), budget_yuan);
    assert_eq!(int(&b["档次经费合计(元)"]), 780_000);
    assert_eq!(b["压缩系数"], "0.71225");
    assert_eq!(int(&b["核拨经费合计(元)"]), 553_400);
    assert_eq!(int(&b["结余(元,临时结果)"]), 2_155);
    assert!(paid <= budget_yuan);
}

#[test]
fn tiers_without_county_scores_exits_2_naming_the_file() {
    let w = Workdir::new();
    let ws = samples(&w, "ws");
    std::fs::remove_file(ws.join("county_scores.xlsx")).unwrap();
    let o = w.run(&["tiers", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("county_scores.xlsx") && err.contains("区级评定"),
        "{err}"
    );
    assert!(!out_dir(&w, "ws").join(TIER_FILE).exists());

    // A file named with --county-scores must exist.
    std::fs::copy(
        project("samples/示范县/county_scores.xlsx"),
        ws.join("county_scores.xlsx"),
    )
    .unwrap();
    let o = w.run(&[
        "tiers",
        "ws",
        "--period",
        "2024-06",
        "--county-scores",
        "ws/没有这个文件.xlsx",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("没有这个文件.xlsx"), "{}", stderr(&o));

    // An unreadable scores file stops both commands, naming it.
    std::fs::write(ws.join("county_scores.xlsx"), b"%PDF-1.4 scanned").unwrap();
    for cmd in ["tiers", "consolidate"] {
        let o = w.run(&[cmd, "ws", "--period", "2024-06"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = stderr(&o);
        assert!(
            err.contains("无法读取区级评定文件") && err.contains("county_scores.xlsx"),
            "{err}"
        );
    }
}

#[test]
fn consolidate_without_county_scores_says_so_and_writes_no_tier_workbook() {
    let w = Workdir::new();
    let ws = samples(&w, "ws");
    std::fs::remove_file(ws.join("county_scores.xlsx")).unwrap();
    let o = w.run(&["consolidate", "ws", "--period", "2024-06"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("未找到区级评定 county_scores.xlsx,不做星级评定"),
        "{err}"
    );
    assert!(!out_dir(&w, "ws").join(TIER_FILE).exists());
    let readme = rows(&out_dir(&w, "ws").join(COUNTY_FILE), "说明");
    assert!(
        readme
            .iter()
            .any(|r| r[0] == "备注" && r[1].starts_with("未找到区级评定 county_scores.xlsx")),
        "{readme:?}"
    );
}

/// The samples' scores, changed: 白砂镇's first village blank, its second
/// gone, 青湖街道's first a text that is no number, and a code not in the
/// roster.
fn write_changed_scores(path: &Path) {
    let original = rows(&project("samples/示范县/county_scores.xlsx"), "区级评定");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("区级评定").unwrap();
    for (c, h) in original[0].iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let mut r = 1;
    for row in &original[1..] {
        let code = row[0].as_str();
        if code == "990101101202" {
            continue;
        }
        ws.write_string(r, 0, code).unwrap();
        ws.write_string(r, 1, &row[1]).unwrap();
        match code {
            "990101101201" => {}
            "990101104201" => {
                ws.write_string(r, 2, "八十").unwrap();
            }
            _ if !row[2].is_empty() => {
                ws.write_number(r, 2, row[2].parse::<f64>().unwrap())
                    .unwrap();
            }
            _ => {}
        }
        r += 1;
    }
    ws.write_string(r, 0, "990101101299").unwrap();
    ws.write_string(r, 1, "外来村").unwrap();
    ws.write_number(r, 2, 88.0).unwrap();
    wb.save(path).unwrap();
}

#[test]
fn missing_and_bad_scores_are_pending_and_listed_in_the_county_findings() {
    let w = Workdir::new();
    let ws = samples(&w, "ws");
    write_changed_scores(&ws.join("county_scores.xlsx"));
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let tier = out_dir(&w, "ws").join(TIER_FILE);
    let detail = table(&tier, "分档明细");
    let row = |code: &str| detail.iter().find(|r| r[VILLAGE] == code).unwrap().clone();
    for (code, note) in [
        ("990101101201", "区级评定得分为空(T01),待评定"),
        ("990101101202", "区级评定中没有该村(社区)(T01),待评定"),
        ("990101104201", "区级评定得分有误(见校验问题),待评定"),
    ] {
        let r = row(code);
        assert_eq!(r[STATUS], "待评定", "{code}");
        assert_eq!(r[NOTE], note, "{code}");
        assert_eq!(
            [&r[COMPOSITE], &r[STAR], &r[TIER], &r[PAID]],
            ["", "", "0", "0"]
        );
    }
    // A village of a rejected township with no score is 不予评定, not 待评定.
    let towns = rows(&tier, "乡镇小计");
    let baisha = towns.iter().find(|r| r[0] == "990101101").unwrap();
    assert_eq!(baisha[9], "3", "白砂镇 待评定");
    let total = towns.last().unwrap();
    assert_eq!([&total[9], &total[10]], ["4", "119"]);

    // 校验问题 of the county workbook: the scores file's findings, under the
    // village's township.
    let findings = rows(&out_dir(&w, "ws").join(COUNTY_FILE), "校验问题");
    let scores: Vec<[&str; 7]> = findings
        .iter()
        .filter(|r| r[2] == "county_scores.xlsx")
        .map(|r| {
            [
                r[0].as_str(),
                r[1].as_str(),
                r[3].as_str(),
                r[4].as_str(),
                r[5].as_str(),
                r[6].as_str(),
                r[7].as_str(),
            ]
        })
        .collect();
    // 990101101203 is blank in the samples themselves (C3).
    assert_eq!(scores.len(), 5, "{scores:?}");
    assert_eq!(
        scores[0],
        [
            "990101101",
            "白砂镇",
            "区级评定",
            "C2",
            "990101101201",
            "T01",
            "提示"
        ]
    );
    // The sheet anchor (no row) sorts after the cells of the sheet.
    assert_eq!(
        scores[3],
        [
            "990101101",
            "白砂镇",
            "区级评定",
            "",
            "990101101202",
            "T01",
            "提示"
        ]
    );
    let x05 = scores.iter().find(|r| r[5] == "X05").expect("X05");
    assert_eq!(x05[0], "990101101");
    assert_eq!(x05[4], "990101101299");
    let v02 = scores.iter().find(|r| r[5] == "V02").expect("V02");
    assert_eq!(
        [v02[0], v02[1], v02[4], v02[6]],
        ["990101104", "青湖街道", "990101104201", "错误"]
    );
    let v02_row = findings
        .iter()
        .find(|r| r[6] == "V02" && r[2] == "county_scores.xlsx")
        .unwrap();
    assert_eq!(v02_row[9], "八十");
}

/// The row of 分档明细 of one village.
fn village_row(path: &Path, code: &str) -> Vec<String> {
    table(path, "分档明细")
        .into_iter()
        .find(|r| r[VILLAGE] == code)
        .unwrap_or_else(|| panic!("{code} not in 分档明细"))
}

#[test]
fn a_workspace_rules_file_is_the_policy_without_rules_flag() {
    let w = Workdir::new();
    let ws = samples(&w, "ws");
    // The county's own policy caps a negative-list sign at 1 star.
    let default = std::fs::read_to_string(project("templates/rules.toml")).unwrap();
    let own = default.replace("caps       = { P03 = 2,", "caps       = { P03 = 1,");
    assert_ne!(own, default, "the caps line of templates/rules.toml moved");
    std::fs::write(ws.join("rules.toml"), &own).unwrap();
    let o = w.run(&["tiers", "ws", "--period", "2024-06"]);
    assert!(
        stderr(&o).contains("规则文件:工作区的规则文件 rules.toml\n"),
        "{}",
        stderr(&o)
    );
    let tier = out_dir(&w, "ws").join(TIER_FILE);
    let r = village_row(&tier, "990101104202");
    assert_eq!(r[REASONS], "负面清单标牌(P03)→降至1星");
    assert_eq!(r[STAR], "1");
    // 说明 names the file and its SHA-256.
    let readme = rows(&tier, "说明");
    let line = |label: &str| {
        readme
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no {label} in 说明"))
    };
    assert_eq!(line("规则文件"), "工作区的规则文件 rules.toml");
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(own.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(line("规则文件 SHA-256"), sha);
    // --rules still wins over the workspace's file.
    let o = w.run(&[
        "tiers",
        "ws",
        "--period",
        "2024-06",
        "--rules",
        project("templates/rules.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(village_row(&tier, "990101104202")[STAR], "2");
}
