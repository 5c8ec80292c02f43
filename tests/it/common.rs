//! Test helpers: a temporary work folder and a way to run the binary in it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    /// Run `huizong ARGS` in the work folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_huizong"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("CI_FORCE_COLOR")
            .output()
            .expect("run huizong")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Path of a file under the project root.
pub fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Is an outside program present? If not: print a loud SKIP, or panic in CI.
/// Run a python3 script that uses openpyxl, with `args`: its standard
/// output, or `None` after a loud SKIP where python3 or openpyxl is missing
/// and CI is not set. Any other failure fails the test.
pub fn openpyxl<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> Option<Vec<u8>> {
    if !require_program("python3") {
        return None;
    }
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        if err.contains("No module named 'openpyxl'") && std::env::var_os("CI").is_none() {
            eprintln!("\n*** SKIP: openpyxl not installed ***\n");
            return None;
        }
        panic!("{err}");
    }
    Some(o.stdout)
}

pub fn require_program(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{name} 未安装,但 CI 要求运行此测试(.ci/run 应安装它)");
        }
        eprintln!("\n*** SKIP: {name} not installed — interop test not run ***\n");
    }
    found
}

/// Copy a folder tree (the sample workspace into a temp folder).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The sample workspace's inputs (county.toml, roster, county scores and
/// the two month folders) copied to `to` — never an `输出/` folder a run of
/// the README's first command may have left in the project.
pub fn copy_samples(to: &Path) {
    let from = project("samples/示范县");
    std::fs::create_dir_all(to).unwrap();
    for f in ["county.toml", "roster.xlsx", "county_scores.xlsx"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    for d in ["2024-05", "2024-06"] {
        copy_dir(&from.join(d), &to.join(d));
    }
}

/// A cell as text, the way the golden files store it.
pub fn cell_text(d: &calamine::Data) -> String {
    match d {
        calamine::Data::Empty => String::new(),
        calamine::Data::Float(f) => format!("{f}"),
        calamine::Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// Every non-empty cell of a sheet, by A1 reference.
pub fn sheet_cells(path: &Path, sheet: &str) -> std::collections::BTreeMap<String, String> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let mut out = std::collections::BTreeMap::new();
    if let Some((r0, c0)) = range.start() {
        for (r, c, v) in range.used_cells() {
            let text = cell_text(v);
            if !text.is_empty() {
                out.insert(
                    huizong::schema::cell_ref(r0 + r as u32, c0 + c as u32),
                    text,
                );
            }
        }
    }
    out
}

/// Compare the given sheets of a workbook cell by cell with a committed
/// golden JSON file (`UPDATE_GOLDEN=1` rewrites it); returns the cells read.
pub fn check_golden(
    path: &Path,
    sheets: &[&str],
    golden: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    use std::collections::BTreeMap;
    let got: BTreeMap<String, BTreeMap<String, String>> = sheets
        .iter()
        .map(|s| (s.to_string(), sheet_cells(path, s)))
        .collect();
    let golden_path = project(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(&golden_path, serde_json::to_string_pretty(&got).unwrap()).unwrap();
    }
    let want: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).expect("golden file")).unwrap();
    for sheet in sheets {
        let (g, e) = (&got[*sheet], &want[*sheet]);
        for (cell, value) in e {
            assert_eq!(
                g.get(cell),
                Some(value),
                "{sheet}!{cell} (UPDATE_GOLDEN=1 cargo test to refresh after a deliberate change)"
            );
        }
        for cell in g.keys() {
            assert!(
                e.contains_key(cell),
                "{sheet}!{cell} = {} is not in the golden file",
                g[cell]
            );
        }
    }
    got
}

/// Hand `make` the template input of a June 2024 return of `fill` under the
/// default rules.
pub fn june<R>(
    fill: &huizong::write::template::Fill,
    make: impl FnOnce(&huizong::write::template::TemplateInput) -> R,
) -> R {
    let policy = huizong::policy::Policy::default_rules();
    let input = huizong::write::template::TemplateInput {
        policy: &policy,
        period: Some(huizong::read::normalise::Period {
            year: 2024,
            month: 6,
        }),
        fill,
    };
    make(&input)
}
