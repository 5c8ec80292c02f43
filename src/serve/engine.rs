//! The one door from the reporting service into the batch engine. Every
//! call the service makes into reading, checking, writing and
//! consolidating is a function of this file, so the engine can change
//! underneath without the service noticing: the service never calls
//! `crate::read`, `crate::rules`, `crate::write` or `crate::cmd` elsewhere.

use crate::batch::{Batch, Expected, Status};
use crate::model::{Loaded, Return};
use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::rules::{Context, Roster, RosterEntry};
use crate::workspace::{self, CountyConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

pub use crate::batch::Status as FileStatus;
pub use crate::finding::{Finding, Level};
pub use crate::model::Loaded as Checked;
pub use crate::read::normalise::Period as Month;

/// What a workspace gives the service: county, roster, rules.
pub struct Setup {
    pub workspace: PathBuf,
    pub county: CountyConfig,
    pub policy: Policy,
    /// The rules file in force (`--rules`, else `<workspace>/rules.toml`
    /// when present); `None` for the shipped default.
    pub rules_path: Option<PathBuf>,
    pub roster: Option<Roster>,
    /// The roster's townships (code, name) in code order.
    pub townships: Vec<(String, String)>,
}

/// The rules file a workspace uses (`outputs.md` "Workspace rules").
pub fn rules_file(workspace: &Path, rules: Option<&Path>) -> Option<PathBuf> {
    match rules {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let p = workspace.join("rules.toml");
            p.is_file().then_some(p)
        }
    }
}

/// Load county, roster and rules of a workspace.
pub fn load(workspace: &Path, rules: Option<&Path>) -> anyhow::Result<Setup> {
    if !workspace.is_dir() {
        anyhow::bail!(
            "找不到工作区文件夹 {}。请给出含 county.toml 和 roster.xlsx 的县级工作区",
            workspace.display()
        );
    }
    let county = workspace::load_county(&workspace.join(workspace::COUNTY_FILE))?;
    let rules_path = rules_file(workspace, rules);
    let policy = match &rules_path {
        Some(p) => Policy::load(p)?,
        None => Policy::default_rules(),
    };
    let roster_path = workspace.join(workspace::ROSTER_FILE);
    let (roster, townships) = if roster_path.exists() {
        let rows = workspace::load_roster(&roster_path)?;
        let mut townships = workspace::roster_townships(&rows);
        townships.sort();
        let roster = Roster::new(rows.into_iter().map(|v| RosterEntry {
            township_code: v.township_code,
            township_name: v.township_name,
            village_code: v.village_code,
            village_name: v.village_name,
        }));
        (Some(roster), townships)
    } else {
        (None, Vec::new())
    };
    Ok(Setup {
        workspace: workspace.to_path_buf(),
        county,
        policy,
        rules_path,
        roster,
        townships,
    })
}

/// The roster's townships of a workspace (for `huizong accounts`).
pub fn roster_townships(workspace: &Path) -> anyhow::Result<(CountyConfig, Vec<(String, String)>)> {
    let county = workspace::load_county(&workspace.join(workspace::COUNTY_FILE))?;
    let rows = workspace::load_roster(&workspace.join(workspace::ROSTER_FILE))?;
    let mut t = workspace::roster_townships(&rows);
    t.sort();
    Ok((county, t))
}

/// Upload limit in bytes: the rules' {max_file_mb}, as the pre-scan counts it.
pub fn max_upload_bytes(policy: &Policy) -> u64 {
    crate::read::prescan::max_file_bytes(&policy.limits)
}

/// File endings the engine reads as returns (lower case).
pub fn return_extensions() -> &'static [&'static str] {
    crate::read::RETURN_EXTENSIONS
}

/// Check one uploaded file exactly as `huizong check FILE --period P
/// --roster R --rules X --previous PREV` does. `file` is the name shown
/// (the name as uploaded); `stored` is where its bytes are kept.
pub fn check_bytes(
    setup: &Setup,
    file: &str,
    stored: &Path,
    bytes: &[u8],
    period: Period,
    previous: Option<&Return>,
) -> Loaded {
    let mut loaded = crate::read::read_bytes(file, stored, bytes, &setup.policy, Some(period));
    let ctx = Context {
        policy: &setup.policy,
        office_code: None,
        roster: setup.roster.as_ref(),
        previous,
        placements: None,
    };
    crate::rules::check_loaded(&mut loaded, &ctx);
    loaded
}

/// A finding as `check --format json` prints it.
pub fn finding_json(f: &Finding) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or(serde_json::Value::Null)
}

/// The township's name as its cover gives it, and its code.
pub fn cover_township(l: &Loaded) -> (Option<String>, Option<String>) {
    match &l.cover {
        Some(c) => (c.township_code.clone(), c.township.clone()),
        None => (None, None),
    }
}

/// The 填报日期 on a checked file's cover.
pub fn fill_date(l: &Loaded) -> Option<Date> {
    l.cover.as_ref().and_then(|c| c.fill_date)
}

/// Write the annotated feedback workbook of a checked file.
pub fn write_feedback(l: &Loaded, period: Period, path: &Path) -> anyhow::Result<()> {
    crate::write::feedback::write_file(&l.raw, &l.findings, &l.file, Some(period), path)
}

/// Write this month's template for a township, pre-filled as `huizong
/// template --workspace --township --period` does.
pub fn write_template(
    setup: &Setup,
    township: &str,
    period: Period,
    path: &Path,
) -> anyhow::Result<()> {
    use crate::schema::CoverField;
    use crate::write::template::{Fill, TemplateInput, Value};
    let mut fill = Fill::default();
    fill.cover
        .insert(CoverField::Period, Value::Text(period.to_string()));
    crate::cmd::template::prefill(&mut fill, &setup.workspace, township)?;
    let input = TemplateInput {
        policy: &setup.policy,
        period: Some(period),
        fill: &fill,
    };
    crate::write::template::write_file(&input, path)
}

/// A period folder's state, for the cache: every file's name, size and
/// modification time.
pub type Signature = Vec<(String, u64, Option<SystemTime>)>;

fn signature(files: &[PathBuf]) -> Signature {
    files
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).ok();
            (
                crate::read::display_name(p),
                m.as_ref().map(|m| m.len()).unwrap_or(0),
                m.and_then(|m| m.modified().ok()),
            )
        })
        .collect()
}

/// The returns of a period folder as consolidate lists them.
fn period_files(setup: &Setup, period: Period) -> Vec<PathBuf> {
    let dir = setup.workspace.join(period.to_string());
    crate::read::spreadsheet_files(&dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !crate::cmd::consolidate::is_own_output(&crate::read::display_name(p)))
        .collect()
}

fn expected(setup: &Setup) -> Vec<Expected> {
    expected_from(&setup.townships)
}

fn expected_from(townships: &[(String, String)]) -> Vec<Expected> {
    townships
        .iter()
        .map(|(code, name)| Expected {
            code: code.clone(),
            name: name.clone(),
            county_code: None,
            county_name: None,
        })
        .collect()
}

/// The previous period's used returns, by township code.
#[derive(Default)]
pub struct Previous {
    pub folder: Option<PathBuf>,
    pub signature: Signature,
    pub returns: HashMap<String, Arc<Return>>,
    /// The previous period's townships that sent a file (code, name), by
    /// code: what is expected when there is no roster (`outputs.md`).
    pub townships: Vec<(String, String)>,
}

/// The latest month folder of the workspace before `period`.
pub fn previous_folder(workspace: &Path, period: Period) -> Option<PathBuf> {
    std::fs::read_dir(workspace)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = Period::parse(&name)?;
            (p < period && p.to_string() == name).then(|| (p, e.path()))
        })
        .max_by_key(|(p, _)| *p)
        .map(|(_, d)| d)
}

/// Is the cached previous period still what the folder holds?
pub fn previous_is_current(cached: &Previous, workspace: &Path, period: Period) -> bool {
    let folder = previous_folder(workspace, period);
    if folder != cached.folder {
        return false;
    }
    let files = folder
        .as_deref()
        .map(|d| crate::read::spreadsheet_files(d).unwrap_or_default())
        .unwrap_or_default();
    signature(&files) == cached.signature
}

/// Every township's used return of the previous period (the latest month
/// folder before `period`): what `consolidate` takes as its baseline —
/// per township the file with the latest 填报日期, even with errors.
pub fn previous_returns(setup: &Setup, period: Period) -> Previous {
    let Some(folder) = previous_folder(&setup.workspace, period) else {
        return Previous::default();
    };
    let files: Vec<PathBuf> = crate::read::spreadsheet_files(&folder)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !crate::cmd::consolidate::is_own_output(&crate::read::display_name(p)))
        .collect();
    let sig = signature(&files);
    let loaded: Vec<Loaded> = files
        .iter()
        .map(|p| {
            let mut l = crate::read::read_file_lean(p, &setup.policy, None);
            if let Some(r) = &mut l.ret {
                r.keep_for_comparison();
            }
            l
        })
        .collect();
    let prev_period =
        Period::parse(&crate::read::display_name(&folder)).unwrap_or(period.previous());
    let mut batch = crate::ingest::decide_previous(prev_period, loaded, &expected(setup));
    let mut returns = HashMap::new();
    let townships = batch
        .townships
        .iter()
        .filter(|t| !t.files.is_empty())
        .map(|t| (t.code.clone(), t.name.clone()))
        .collect();
    for t in &batch.townships {
        if let Some(i) = t.judged {
            if let Some(r) = batch.files[i].loaded.ret.take() {
                returns.insert(t.code.clone(), Arc::new(r));
            }
        }
    }
    batch.files.clear();
    Previous {
        folder: Some(folder),
        signature: sig,
        returns,
        townships,
    }
}

/// The file a township's previous return came from (for tests and the
/// command line equivalent): same choice as [`previous_returns`].
pub fn previous_file(setup: &Setup, period: Period, township: &str) -> Option<PathBuf> {
    let folder = previous_folder(&setup.workspace, period)?;
    let files = crate::read::spreadsheet_files(&folder).ok()?;
    let loaded: Vec<Loaded> = files
        .iter()
        .map(|p| crate::read::read_file_lean(p, &setup.policy, None))
        .collect();
    let batch = crate::ingest::decide_previous(period.previous(), loaded, &expected(setup));
    let t = batch.townships.iter().find(|t| t.code == township)?;
    t.judged.map(|i| batch.files[i].loaded.path.clone())
}

/// One township of a period folder, as `consolidate` would decide it.
#[derive(Clone, Debug)]
pub struct FolderTownship {
    pub status: Status,
    /// The file whose figures are used (or judged), by name.
    pub file: Option<String>,
    /// Every file of the township in the folder.
    pub files: Vec<String>,
    pub errors: usize,
    pub warnings: usize,
    pub explained: usize,
}

/// A period folder read and decided as `consolidate` would.
#[derive(Default)]
pub struct FolderScan {
    pub signature: Signature,
    pub townships: HashMap<String, FolderTownship>,
    /// `已汇总 x/y 个乡镇,…` as consolidate prints it.
    pub summary: String,
}

/// Files already read, kept while their size and time do not change.
#[derive(Default)]
pub struct FileCache {
    files: HashMap<PathBuf, (u64, Option<SystemTime>, Loaded)>,
}

/// Has the period folder changed since `scan`?
pub fn folder_changed(setup: &Setup, period: Period, scan: &FolderScan) -> bool {
    signature(&period_files(setup, period)) != scan.signature
}

/// Read the period folder (only files new or changed since the cache saw
/// them), check each file and decide statuses as `consolidate` does.
pub fn scan_folder(
    setup: &Setup,
    period: Period,
    previous: &Previous,
    cache: &mut FileCache,
) -> FolderScan {
    use rayon::prelude::*;
    let files = period_files(setup, period);
    let sig = signature(&files);
    let hits: Vec<Option<Loaded>> = files
        .iter()
        .zip(&sig)
        .map(|(path, (_, len, modified))| {
            cache
                .files
                .remove(path)
                .filter(|(l, m, _)| l == len && m == modified)
                .map(|(_, _, l)| l)
        })
        .collect();
    // Files new or changed since the last scan are read in parallel.
    let loaded: Vec<Loaded> = files
        .par_iter()
        .zip(hits)
        .map(|(path, hit)| {
            hit.unwrap_or_else(|| {
                let mut l = crate::read::read_file_lean(path, &setup.policy, Some(period));
                let prev = l
                    .township_code()
                    .and_then(|c| previous.returns.get(c))
                    .map(|r| r.as_ref());
                let ctx = Context {
                    policy: &setup.policy,
                    office_code: Some(&setup.county.code),
                    roster: setup.roster.as_ref(),
                    previous: prev,
                    placements: None,
                };
                crate::rules::check_loaded(&mut l, &ctx);
                l
            })
        })
        .collect();
    cache.files = files
        .iter()
        .zip(&sig)
        .zip(&loaded)
        .map(|((path, (_, len, modified)), l)| (path.clone(), (*len, *modified, l.clone())))
        .collect();
    let mut exp = expected(setup);
    if setup.roster.is_none() {
        exp = expected_from(&previous.townships);
    }
    let batch = crate::batch::decide(period, loaded, &exp, false);
    FolderScan {
        signature: sig,
        townships: townships_of(&batch),
        summary: crate::cmd::consolidate::summary_line(&batch),
    }
}

fn townships_of(batch: &Batch) -> HashMap<String, FolderTownship> {
    batch
        .townships
        .iter()
        .map(|t| {
            (
                t.code.clone(),
                FolderTownship {
                    status: t.status,
                    file: t.judged.map(|i| batch.files[i].loaded.file.clone()),
                    files: t
                        .files
                        .iter()
                        .map(|i| batch.files[*i].loaded.file.clone())
                        .collect(),
                    errors: t.errors,
                    warnings: t.warnings,
                    explained: t.explained,
                },
            )
        })
        .collect()
}

/// What a consolidation wrote.
pub struct Consolidated {
    /// The county workbook.
    pub county: PathBuf,
    /// The tier workbook, when county scores exist.
    pub tiers: Option<PathBuf>,
    /// The feedback workbooks folder (`反馈/`), when any was written.
    pub feedback: Vec<PathBuf>,
    /// True when a return had errors (exit code 1 of the command line).
    pub findings: bool,
}

/// The output folder of a period's consolidation.
pub fn output_folder(setup: &Setup, period: Period) -> PathBuf {
    setup.workspace.join("输出").join(period.to_string())
}

/// The file names of the county and tier workbooks of a period.
pub fn output_names(setup: &Setup, period: Period) -> (String, String) {
    (
        crate::write::county::file_name(&setup.county.name, period),
        crate::write::tiers::file_name(&setup.county.name, period),
    )
}

/// Run `huizong consolidate WORKSPACE --period P` (with the service's
/// rules file) into `输出/<period>/`. Takes the output folder's lock.
pub fn consolidate(setup: &Setup, period: Period) -> anyhow::Result<Consolidated> {
    let mut inputs = crate::cmd::consolidate::Inputs::new(&setup.workspace, period);
    inputs.rules = setup.rules_path.clone();
    let started = SystemTime::now();
    let outcome = crate::cmd::consolidate::run(inputs)?;
    let out = output_folder(setup, period);
    let county = out.join(crate::write::county::file_name(&setup.county.name, period));
    let tiers = out.join(crate::write::tiers::file_name(&setup.county.name, period));
    let tiers_fresh = std::fs::metadata(&tiers)
        .and_then(|m| m.modified())
        .is_ok_and(|m| m >= started);
    let mut feedback: Vec<PathBuf> = std::fs::read_dir(out.join("反馈"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let n = crate::read::display_name(p);
                    n.ends_with(".xlsx") && !n.starts_with('.')
                })
                .collect()
        })
        .unwrap_or_default();
    feedback.sort();
    Ok(Consolidated {
        county,
        tiers: tiers_fresh.then_some(tiers),
        feedback,
        findings: outcome == crate::cmd::Outcome::Findings,
    })
}

/// The rules' version and file SHA-256, for receipts.
pub fn rules_identity(setup: &Setup) -> (String, String) {
    (setup.policy.version.clone(), setup.policy.sha256.clone())
}

/// The township's name in the roster.
pub fn roster_name<'a>(setup: &'a Setup, code: &str) -> Option<&'a str> {
    setup
        .townships
        .binary_search_by(|(c, _)| c.as_str().cmp(code))
        .ok()
        .map(|i| setup.townships[i].1.as_str())
}

/// A file name made safe for the file system (as the writers do).
pub fn safe_file_name(name: &str) -> String {
    crate::write::safe_file_name(name)
}

/// A village's name in the roster.
pub fn village_name<'a>(setup: &'a Setup, code: &str) -> Option<&'a str> {
    setup
        .roster
        .as_ref()
        .and_then(|r| r.get(code))
        .map(|v| v.village_name.as_str())
}

/// Lower-case hex SHA-256 of bytes, as the engine writes file hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::policy::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    crate::policy::hex(bytes)
}

/// A path's file name as the engine shows it.
pub fn file_name(path: &Path) -> String {
    crate::read::display_name(path)
}
