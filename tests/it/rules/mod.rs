//! One test per rule code: a clean return from `huizong::kit::demo`, one
//! mistake, and the exact finding `huizong check --format json` reports.
//! The helpers that make and check a return are here; the tests are split
//! by what a rule looks at: cells and values, sign rows, the figures of
//! rooms and duty, the cover and the sheets' structure, the previous
//! month, and the roster.

mod cells;
mod cover_sheets;
mod figures;
mod history;
mod roster;
mod signs;

use crate::common::{june, stdout, Workdir};
use huizong::kit::demo::{self, Township};
use huizong::policy::Policy;
use huizong::schema::{self, Col, CoverField, SheetId};
use huizong::write::template::{self, Fill, Value};
use serde_json::Value as Json;
use std::path::PathBuf;

/// Village codes of the base return: 990101103201 … 990101103204.
fn base() -> (Township, Fill) {
    let t = demo::small_township(4, 7);
    let f = demo::fill(&t);
    (t, f)
}

fn spec(sheet: SheetId) -> &'static schema::SheetSpec {
    schema::data_sheet(sheet).expect("data sheet")
}

/// Set one value of village row `k` (0-based) of a data sheet.
fn set(fill: &mut Fill, sheet: SheetId, k: usize, col: Col, v: Value) {
    let i = spec(sheet).index_of(col);
    fill.rows.get_mut(&sheet).expect("sheet rows")[k][i] = v;
}

fn get(fill: &Fill, sheet: SheetId, k: usize, col: Col) -> Value {
    fill.rows[&sheet][k][spec(sheet).index_of(col)].clone()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Add a sign to village `k` keeping P01 and X02 balanced (现有 and 清理前 +1).
fn add_sign(fill: &mut Fill, k: usize, code: &str, name: &str, category: Value, filing: Value) {
    let row = demo::row(
        &schema::SIGN_DETAIL,
        vec![
            (Col::VillageCode, t(code)),
            (Col::SignName, t(name)),
            (Col::SignCategory, category),
            (Col::SignFiling, filing),
        ],
    );
    fill.rows.get_mut(&SheetId::SignDetail).unwrap().push(row);
    for col in [Col::SignsNow, Col::SignsBefore] {
        let v = num(&get(fill, SheetId::Signs, k, col));
        set(fill, SheetId::Signs, k, col, n(v + 1.0));
    }
}

fn write(w: &Workdir, name: &str, fill: &Fill) -> PathBuf {
    let path = w.path(name);
    june(fill, |input| template::write_file(input, &path)).expect("write return");
    path
}

/// `huizong check FILE --format json ARGS…`: every finding as JSON.
fn check(w: &Workdir, file: &str, args: &[&str]) -> (i32, Vec<Json>) {
    let mut all = vec!["check", file, "--format", "json"];
    all.extend_from_slice(args);
    let o = w.run(&all);
    let findings = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    (o.status.code().unwrap_or(-1), findings)
}

/// (code, level, sheet!cell, village) of each finding, in output order.
fn summary(findings: &[Json]) -> Vec<(String, String, String, String)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            let place = match (f["sheet"].as_str(), f["cell"].as_str()) {
                (Some(sh), Some(c)) => format!("{sh}!{c}"),
                (Some(sh), None) => sh.to_string(),
                _ => String::new(),
            };
            (s("code"), s("level"), place, s("village"))
        })
        .collect()
}

fn expect(findings: &[Json], want: &[(&str, &str, &str, &str)]) {
    let got = summary(findings);
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want, "findings: {findings:#?}");
}

/// Run one mutated return and compare the findings exactly.
fn case(
    mutate: impl FnOnce(&mut Fill),
    args: &[&str],
    want: &[(&str, &str, &str, &str)],
) -> Vec<Json> {
    let w = Workdir::new();
    let (_, mut fill) = base();
    mutate(&mut fill);
    write(&w, "r.xlsx", &fill);
    let (_, findings) = check(&w, "r.xlsx", args);
    expect(&findings, want);
    findings
}

const V1: &str = "990101103201";
const V2: &str = "990101103202";
const V3: &str = "990101103203";

/// Rewrite one part of an xlsx (zip) file in place.
pub fn patch_xlsx(path: &std::path::Path, part: &str, edit: impl Fn(&str) -> String) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut entry = zin.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(&String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

fn rules_with(from: &str, to: &str) -> String {
    let text = huizong::policy::DEFAULT_RULES;
    assert!(text.contains(from));
    text.replacen(from, to, 1)
}

/// Write a roster for the base township, letting `edit` change its rows.
fn roster(w: &Workdir, edit: impl FnOnce(&mut Vec<demo::RosterRow>)) -> String {
    let (t, _) = base();
    let mut rows = t.roster_rows();
    edit(&mut rows);
    demo::write_roster(&w.path("roster.xlsx"), &rows).unwrap();
    "roster.xlsx".to_string()
}

fn check_with_roster(fill: &Fill, edit: impl FnOnce(&mut Vec<demo::RosterRow>)) -> Vec<Json> {
    let w = Workdir::new();
    write(&w, "r.xlsx", fill);
    let r = roster(&w, edit);
    check(&w, "r.xlsx", &["--roster", &r]).1
}

/// Every rule code of the code table is asserted by at least one test: a
/// test function (among these or in any test of the crate) with an
/// assertion (or the helpers `case`/`expect` here) that names the code, as
/// `Code::X01` or `"X01"`. A new rule without a test fails here.
#[test]
fn every_rule_code_has_a_test_asserting_it() {
    let mut sources = Vec::new();
    let mut dirs = vec![
        crate::common::project("src"),
        crate::common::project("tests"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                sources.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    // Each test function's text, from its #[test] to the next.
    let tests: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.split("#[test]").skip(1))
        .collect();
    assert!(tests.len() > 200, "found only {} tests", tests.len());
    let asserts = |body: &str, code: &str| {
        let named = |at: usize| {
            let b = body.as_bytes();
            // The code as a whole token: not part of a longer name.
            let before = at.checked_sub(1).map(|i| b[i]);
            let after = b.get(at + code.len()).copied();
            matches!(before, Some(b':' | b'"'))
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        };
        // `case` and `expect` are the rule tests' assertions of exact findings.
        ["assert", "expect(&", "case(", "case_with_previous("]
            .iter()
            .any(|a| body.contains(a))
            && body.match_indices(code).any(|(at, _)| named(at))
    };
    let missing: Vec<&str> = huizong::finding::RULES
        .iter()
        .map(|r| r.code.as_str())
        .filter(|code| !tests.iter().any(|body| asserts(body, code)))
        .collect();
    assert!(
        missing.is_empty(),
        "rule codes with no test asserting them: {missing:?}"
    );
}
