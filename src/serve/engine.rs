//! The one door from the reporting service into the batch engine. Every
//! call the service makes into reading, checking, writing and
//! consolidating is a function of this file, and each is a thin call into
//! the pipeline API (`crate::pipeline`) that the commands use too: the
//! upload check is `huizong check`'s checker, the template is `huizong
//! template`'s, the 汇总 button is `huizong consolidate`'s run, and the
//! board lists, reads, checks and decides a period folder's files with the
//! same functions a consolidation does. The service never calls
//! `crate::read`, `crate::rules`, `crate::write`, `crate::pipeline` or
//! `crate::cmd` elsewhere.

use crate::batch::{Batch, Expected, Ignored, Status};
use crate::finding::Code;
use crate::model::{Loaded, Return};
use crate::pipeline::{self, Checker};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::{Context, Placements, Roster};
use crate::workspace::{self, CountyConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

pub(crate) use crate::finding::Finding;
pub(crate) use crate::pipeline::Progress;
pub use crate::read::normalise::Period as Month;

/// What a workspace gives the service: county, policy, roster.
pub struct Setup {
    pub(crate) workspace: PathBuf,
    pub(crate) county: CountyConfig,
    /// The policy in force ([`Policy::in_force`]): `--rules`, else the
    /// workspace's `rules.toml`, else the shipped default — as every
    /// command decides it.
    pub(crate) policy: Policy,
    /// `--rules` as given to `serve`, handed on to every pipeline call.
    pub(crate) rules: Option<PathBuf>,
    pub(crate) roster: Option<Roster>,
    /// The roster's townships as a consolidation expects them (file order,
    /// with their county), empty without a roster.
    expected: Vec<Expected>,
    /// The roster's townships (code, name) in code order.
    pub townships: Vec<(String, String)>,
}

/// Load county, policy and roster of a workspace, as `pipeline::plan` does.
pub(crate) fn load(workspace: &Path, rules: Option<&Path>) -> anyhow::Result<Setup> {
    if !workspace.is_dir() {
        anyhow::bail!(
            "找不到工作区文件夹 {}。请给出含 county.toml 和 roster.xlsx 的县级工作区",
            workspace.display()
        );
    }
    let county = workspace::load_county(&workspace.join(workspace::COUNTY_FILE))?;
    let policy = Policy::in_force(rules, Some(workspace))?;
    let roster_path = workspace.join(workspace::ROSTER_FILE);
    let (roster, expected) = if roster_path.exists() {
        let rows = workspace::load_roster(&roster_path, &policy)?;
        let expected = workspace::expected_townships(&rows);
        (Some(workspace::roster_index(rows)), expected)
    } else {
        (None, Vec::new())
    };
    Ok(Setup {
        workspace: workspace.to_path_buf(),
        county,
        policy,
        rules: rules.map(Path::to_path_buf),
        roster,
        townships: code_order(&expected),
        expected,
    })
}

/// (code, name) of townships, in code order.
fn code_order(expected: &[Expected]) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = expected
        .iter()
        .map(|e| (e.code.clone(), e.name.clone()))
        .collect();
    t.sort();
    t
}

/// The roster's townships of a workspace, in code order (for `huizong
/// accounts`); the roster is read under the workspace's policy.
pub fn roster_townships(workspace: &Path) -> anyhow::Result<(CountyConfig, Vec<(String, String)>)> {
    let county = workspace::load_county(&workspace.join(workspace::COUNTY_FILE))?;
    let policy = Policy::in_force(None, Some(workspace))?;
    let rows = workspace::load_roster(&workspace.join(workspace::ROSTER_FILE), &policy)?;
    Ok((county, code_order(&workspace::expected_townships(&rows))))
}

/// Upload limit in bytes: the rules' {max_file_mb}, as the pre-scan counts it.
pub(crate) fn max_upload_bytes(policy: &Policy) -> u64 {
    crate::read::prescan::max_file_bytes(&policy.limits)
}

/// File endings the engine reads as returns (lower case).
pub(crate) fn return_extensions() -> &'static [&'static str] {
    crate::read::RETURN_EXTENSIONS
}

/// Check one uploaded file exactly as `huizong check FILE --period P
/// --roster R --rules X --previous PREV` does (`pipeline::Checker`).
/// `file` is the name shown (the name as uploaded); `stored` is where its
/// bytes are kept.
pub(crate) fn check_bytes(
    setup: &Setup,
    file: &str,
    stored: &Path,
    bytes: &[u8],
    period: Period,
    previous: Option<&Return>,
) -> Loaded {
    let checker = Checker {
        policy: &setup.policy,
        roster: setup.roster.as_ref(),
        previous,
        period: Some(period),
    };
    checker.check_bytes(file, stored, bytes)
}

/// A finding as `check --format json` prints it.
pub(crate) fn finding_json(f: &Finding) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or(serde_json::Value::Null)
}

/// The township code on a checked file's cover.
pub(crate) fn cover_code(l: &Loaded) -> Option<&str> {
    l.cover.as_ref().and_then(|c| c.township_code.as_deref())
}

/// Write the annotated feedback workbook of a checked file into `dir`
/// (`pipeline::write_file_feedback`, as `check --feedback`): its path, or
/// `None` when the file has no finding.
pub(crate) fn write_feedback(
    setup: &Setup,
    l: &Loaded,
    period: Period,
    dir: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    pipeline::write_file_feedback(dir, None, l, &setup.policy, Some(period))
}

/// Write this month's template for a township to `path`
/// (`pipeline::Template`, as `huizong template --workspace --township
/// --period`: pre-filled from the roster, last month's signs carried
/// over); the name it goes by (`<乡镇名>_<月份>_月报.xlsx`).
pub(crate) fn write_template(
    setup: &Setup,
    township: &str,
    period: Period,
    path: &Path,
) -> anyhow::Result<String> {
    let t = pipeline::Template::for_township(
        &setup.workspace,
        township,
        Some(period),
        setup.rules.as_deref(),
    )?;
    t.write(path)?;
    Ok(t.file_name())
}

/// A folder's state, for the caches: every file's name, size and
/// modification time.
pub(crate) type Signature = Vec<(String, u64, Option<SystemTime>)>;

fn signature<'a>(files: impl IntoIterator<Item = &'a PathBuf>) -> Signature {
    files
        .into_iter()
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

/// A period folder's files as a consolidation lists them
/// (`pipeline::list_returns`): the returns, and the files not read as
/// returns with the reason. A missing folder has none.
fn list_folder(setup: &Setup, dir: &Path, period: Period) -> (Vec<PathBuf>, Vec<Ignored>) {
    pipeline::list_returns(dir, &output_folder(setup, period)).unwrap_or_default()
}

/// Signature of a folder listing: the returns and the other files.
fn listing_signature(dir: &Path, returns: &[PathBuf], ignored: &[Ignored]) -> Signature {
    let others: Vec<PathBuf> = ignored.iter().map(|i| dir.join(&i.file)).collect();
    signature(returns.iter().chain(&others))
}

/// The previous period's used returns, by township code.
#[derive(Default)]
pub(crate) struct Previous {
    pub(crate) folder: Option<PathBuf>,
    pub(crate) signature: Signature,
    pub(crate) returns: HashMap<String, Arc<Return>>,
    /// The previous period's townships that sent a file (code, name), by
    /// code: what is expected when there is no roster (`outputs.md`).
    pub townships: Vec<(String, String)>,
}

/// Is the cached previous period still what the folder holds?
pub(crate) fn previous_is_current(cached: &Previous, setup: &Setup, period: Period) -> bool {
    let found = pipeline::previous_folder(&setup.workspace, period);
    let folder = found.as_ref().map(|(_, d)| d.clone());
    if folder != cached.folder {
        return false;
    }
    let files = match &found {
        Some((_, dir)) => list_folder(setup, dir, period).0,
        None => Vec::new(),
    };
    signature(&files) == cached.signature
}

/// The previous period decided as a consolidation decides it
/// (`pipeline::previous_folder`, `ingest::decide_previous` against the
/// roster's townships), every return cut for comparison.
fn decide_previous(setup: &Setup, period: Period) -> Option<(PathBuf, Vec<PathBuf>, Batch)> {
    use rayon::prelude::*;
    let (p, folder) = pipeline::previous_folder(&setup.workspace, period)?;
    let files = list_folder(setup, &folder, period).0;
    let loaded: Vec<Loaded> = files
        .par_iter()
        .map(|f| {
            let mut l = crate::read::read_file_lean(f, &setup.policy, None);
            if let Some(r) = &mut l.ret {
                r.keep_for_comparison();
            }
            l
        })
        .collect();
    let batch = crate::ingest::decide_previous(p, loaded, &setup.expected);
    Some((folder, files, batch))
}

/// Every township's used return of the previous period: the baselines a
/// consolidation checks this period against — per township the file with
/// the latest 填报日期, even with errors.
pub(crate) fn previous_returns(setup: &Setup, period: Period) -> Previous {
    let Some((folder, files, mut batch)) = decide_previous(setup, period) else {
        return Previous::default();
    };
    let townships = batch
        .townships
        .iter()
        .filter(|t| !t.files.is_empty())
        .map(|t| (t.code.clone(), t.name.clone()))
        .collect();
    let mut returns = HashMap::new();
    for t in &batch.townships {
        if let Some(i) = t.judged {
            if let Some(r) = batch.files[i].loaded.ret.take() {
                returns.insert(t.code.clone(), Arc::new(r));
            }
        }
    }
    Previous {
        folder: Some(folder),
        signature: signature(&files),
        returns,
        townships,
    }
}

/// The file a township's previous return came from (for tests: the
/// `--previous` of the equivalent `huizong check`), chosen as
/// [`previous_returns`] chooses it.
pub fn previous_file(setup: &Setup, period: Period, township: &str) -> Option<PathBuf> {
    let (_, _, batch) = decide_previous(setup, period)?;
    let t = batch.townships.iter().find(|t| t.code == township)?;
    t.judged.map(|i| batch.files[i].loaded.path.clone())
}

/// One township of a period folder, as `consolidate` would decide it.
#[derive(Clone, Debug)]
pub struct FolderTownship {
    pub(crate) status: Status,
    /// The file whose figures are used (or judged), by name.
    pub(crate) file: Option<String>,
    /// Every file of the township in the folder.
    pub files: Vec<String>,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    /// The findings its 错误/提示 count, of every file of the township in
    /// output order (the board's 校验结果 link for a file placed by hand).
    pub(crate) findings: Vec<crate::finding::Finding>,
    /// Why no file of the township is used though it sent some, when that
    /// is not the judged file's errors: Y03 (two files of one 填报日期).
    pub(crate) reason: Option<String>,
}

/// A period folder read and decided as `consolidate` would.
#[derive(Default)]
pub struct FolderScan {
    pub(crate) signature: Signature,
    pub townships: HashMap<String, FolderTownship>,
    /// `pipeline::summary_line`: what `consolidate` would print.
    pub(crate) summary: String,
    /// `pipeline::not_used_lines`: one line per township not used.
    pub(crate) not_used: Vec<String>,
}

/// Files already read and checked, kept while their size and time, the
/// baselines they were checked against and (without a roster) the
/// placements their V06 messages name do not change.
#[derive(Default)]
pub(crate) struct FileCache {
    files: HashMap<PathBuf, (u64, Option<SystemTime>, Loaded)>,
    /// The previous period the cached files were checked against.
    baseline: Option<(Option<PathBuf>, Signature)>,
    placements: Placements,
}

/// Has the period folder changed since `scan`?
pub(crate) fn folder_changed(setup: &Setup, period: Period, scan: &FolderScan) -> bool {
    let dir = setup.workspace.join(period.to_string());
    let (returns, ignored) = list_folder(setup, &dir, period);
    listing_signature(&dir, &returns, &ignored) != scan.signature
}

/// The period folder as a consolidation would see it: its files listed,
/// read, checked against the previous period (same context as
/// `ingest::check_and_decide`) and decided by `batch::decide` (the tool's
/// own workbooks and other files ignored, feedback workbooks read as
/// returns). Only files new or changed since the cache saw them are read.
pub(crate) fn scan_folder(
    setup: &Setup,
    period: Period,
    previous: &Previous,
    cache: &mut FileCache,
) -> FolderScan {
    use rayon::prelude::*;
    let dir = setup.workspace.join(period.to_string());
    let (files, ignored) = list_folder(setup, &dir, period);
    let listing = listing_signature(&dir, &files, &ignored);
    let sig = signature(&files);
    let baseline = Some((previous.folder.clone(), previous.signature.clone()));
    if cache.baseline != baseline {
        cache.files.clear();
        cache.baseline = baseline;
    }
    let mut hits: Vec<Option<Loaded>> = files
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
    let mut fresh: Vec<Option<Loaded>> = files
        .par_iter()
        .zip(&hits)
        .map(|(path, hit)| {
            hit.is_none()
                .then(|| crate::read::read_file_lean(path, &setup.policy, Some(period)))
        })
        .collect();
    // Without a roster V06 names the township whose return holds a foreign
    // village: a cached V06 message is stale when the placements moved.
    let placements = crate::rules::placements(
        hits.iter()
            .zip(&fresh)
            .filter_map(|(h, f)| h.as_ref().or(f.as_ref())),
    );
    if setup.roster.is_none() && placements != cache.placements {
        for (i, hit) in hits.iter_mut().enumerate() {
            if hit
                .as_ref()
                .is_some_and(|l| l.findings.iter().any(|f| f.code == Code::V06))
            {
                *hit = None;
                fresh[i] = Some(crate::read::read_file_lean(
                    &files[i],
                    &setup.policy,
                    Some(period),
                ));
            }
        }
    }
    let ctx_of = |l: &Loaded| {
        let previous = l
            .township_code()
            .and_then(|c| previous.returns.get(c))
            .map(|r| r.as_ref());
        Context {
            policy: &setup.policy,
            office_code: Some(&setup.county.code),
            roster: setup.roster.as_ref(),
            previous,
            placements: Some(&placements),
        }
    };
    fresh.par_iter_mut().flatten().for_each(|l| {
        let ctx = ctx_of(l);
        crate::rules::check_loaded(l, &ctx);
    });
    let loaded: Vec<Loaded> = hits
        .into_iter()
        .zip(fresh)
        .map(|(hit, fresh)| hit.or(fresh).expect("every file is cached or read"))
        .collect();
    cache.placements = placements;
    cache.files = files
        .iter()
        .zip(&sig)
        .zip(&loaded)
        .map(|((path, (_, len, modified)), l)| (path.clone(), (*len, *modified, l.clone())))
        .collect();
    let expected = if setup.roster.is_some() {
        setup.expected.clone()
    } else {
        previous
            .townships
            .iter()
            .map(|(code, name)| Expected {
                code: code.clone(),
                name: name.clone(),
                county_code: None,
                county_name: None,
            })
            .collect()
    };
    let mut batch = crate::batch::decide(period, loaded, &expected, false);
    batch.ignored.extend(ignored);
    batch.ignored.sort_by(|a, b| a.file.cmp(&b.file));
    FolderScan {
        signature: listing,
        townships: townships_of(&batch),
        summary: pipeline::summary_line(&batch),
        not_used: pipeline::not_used_lines(&batch),
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
                    findings: {
                        let mut all: Vec<crate::finding::Finding> = t
                            .files
                            .iter()
                            .flat_map(|i| batch.files[*i].loaded.findings.iter().cloned())
                            .collect();
                        crate::finding::sort(&mut all);
                        all
                    },
                    reason: (t.status == Status::Rejected && t.judged.is_none()).then(|| {
                        let tied: Vec<&str> = t
                            .files
                            .iter()
                            .filter(|i| batch.files[**i].status == Status::Rejected)
                            .map(|i| batch.files[*i].loaded.file.as_str())
                            .collect();
                        format!(
                            "本月文件夹中本乡镇有 {} 份填报日期相同而数据不同的报表({}),汇总时都不使用(Y03)。请与县里联系,只保留一份",
                            tied.len(),
                            tied.join("、")
                        )
                    }),
                },
            )
        })
        .collect()
}

/// What a consolidation wrote and said.
pub(crate) struct Consolidated {
    /// The county workbook.
    pub(crate) county: Option<PathBuf>,
    /// The tier workbook, when county scores exist.
    pub(crate) tiers: Option<PathBuf>,
    /// Feedback workbooks in `反馈/`.
    pub(crate) feedback: usize,
    /// `pipeline::summary_line` of the run.
    pub(crate) summary: String,
    /// The rating's line, when there was a rating.
    pub(crate) tier_summary: Option<String>,
    /// Notes (no roster, no county scores…) and one line per township not
    /// used.
    pub(crate) notes: Vec<String>,
}

/// The output folder of a period's consolidation.
pub(crate) fn output_folder(setup: &Setup, period: Period) -> PathBuf {
    setup.workspace.join("输出").join(period.to_string())
}

/// The feedback workbooks' folder of a period's consolidation.
pub(crate) fn feedback_folder(setup: &Setup, period: Period) -> PathBuf {
    output_folder(setup, period).join(crate::write::feedback::FOLDER)
}

/// The file names of the county and tier workbooks of a period.
pub(crate) fn output_names(setup: &Setup, period: Period) -> (String, String) {
    (
        crate::write::county::file_name(&setup.county.name, period),
        crate::write::tiers::file_name(&setup.county.name, period),
    )
}

/// Is the period's output folder free? Its lock is taken and let go at
/// once; the message of the run that holds it otherwise (a `huizong
/// consolidate` from the command line).
pub(crate) fn output_free(setup: &Setup, period: Period) -> Result<(), String> {
    crate::write::atomic::Lock::take(&output_folder(setup, period))
        .map(drop)
        .map_err(|e| format!("{e:#}"))
}

/// Run `huizong consolidate WORKSPACE --period P` (with the service's
/// `--rules`) into `输出/<period>/`: `pipeline::plan` then `pipeline::run`,
/// which holds the output folder's lock and writes the workbooks as one
/// set. `progress` hears of every file read.
pub(crate) fn consolidate(
    setup: &Setup,
    period: Period,
    progress: &dyn Progress,
) -> anyhow::Result<Consolidated> {
    let plan = pipeline::plan(&pipeline::Inputs {
        rules: setup.rules.clone(),
        ..pipeline::Inputs::new(&setup.workspace, period)
    })?;
    let report = pipeline::run(plan, pipeline::Job::Consolidate, progress)?;
    let feedback = std::fs::read_dir(feedback_folder(setup, period))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.ends_with(".xlsx") && !n.starts_with('.')
                })
                .count()
        })
        .unwrap_or(0);
    let mut notes = report.notes;
    notes.extend(report.not_used);
    Ok(Consolidated {
        county: report.county_workbook,
        tiers: report.tier_workbook,
        feedback,
        summary: report.summary,
        tier_summary: report.tier_summary,
        notes,
    })
}

/// The rules' version and file SHA-256, for receipts.
pub(crate) fn rules_identity(setup: &Setup) -> (String, String) {
    (setup.policy.version.clone(), setup.policy.sha256.clone())
}

/// The township's name in the roster.
pub(crate) fn roster_name<'a>(setup: &'a Setup, code: &str) -> Option<&'a str> {
    setup
        .townships
        .binary_search_by(|(c, _)| c.as_str().cmp(code))
        .ok()
        .map(|i| setup.townships[i].1.as_str())
}

/// A village's name in the roster.
pub(crate) fn village_name<'a>(setup: &'a Setup, code: &str) -> Option<&'a str> {
    setup
        .roster
        .as_ref()
        .and_then(|r| r.get(code))
        .map(|v| v.village_name.as_str())
}

/// Print a sheet the service writes as every workbook of the tool prints
/// (`write::page::Page`): A4, orientation by `width` (the columns' widths
/// in characters), fit to width, the first `header_rows` rows on every
/// page, `title` in the page header, `第 N 页 共 M 页` in the footer.
pub(crate) fn set_up_page(
    ws: &mut rust_xlsxwriter::Worksheet,
    title: &str,
    width: f64,
    header_rows: u32,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    crate::write::page::Page {
        title,
        width,
        repeat: header_rows.checked_sub(1).map(|last| (0, last)),
        one_page: false,
    }
    .set_up(ws)
}

/// A file name made safe for the file system (as the writers do).
pub(crate) fn safe_file_name(name: &str) -> String {
    crate::write::safe_file_name(name)
}

/// Lower-case hex SHA-256 of bytes, as the engine writes file hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::policy::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    crate::policy::hex(bytes)
}

/// A path's file name as the engine shows it.
pub(crate) fn file_name(path: &Path) -> String {
    crate::read::display_name(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::demo;
    use crate::schema::{CoverField, SheetId};
    use crate::write::template::{Fill, TemplateInput, Value};

    fn write(ws: &Path, name: &str, fill: &Fill) {
        let input = TemplateInput {
            policy: &Policy::default_rules(),
            period: Some("2024-06".parse().unwrap()),
            fill,
        };
        crate::write::template::write_file(&input, &ws.join("2024-06").join(name)).unwrap();
    }

    fn v06(cache: &FileCache, name: &str) -> Vec<String> {
        let (_, _, l) = cache
            .files
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, v)| v)
            .unwrap();
        l.findings
            .iter()
            .filter(|f| f.code == Code::V06)
            .map(|f| f.message.to_string())
            .collect()
    }

    /// Without a roster a cached V06 names the township whose return holds
    /// the village only while that return is in the folder, as a fresh
    /// consolidation would.
    #[test]
    fn cached_v06_follows_the_other_returns_of_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::create_dir_all(ws.join("2024-06")).unwrap();
        std::fs::write(
            ws.join("county.toml"),
            "name = \"示范县\"\ncode = \"990101\"\nbudget = 1000000\n",
        )
        .unwrap();
        let a = demo::fill(&demo::small_township(4, 7));
        // 樟黄镇 keeps 白砂镇's code in the first row of each village sheet.
        let mut b = a.clone();
        b.cover
            .insert(CoverField::TownshipCode, Value::Text("990101104".into()));
        b.cover
            .insert(CoverField::Township, Value::Text("樟黄镇".into()));
        for (sheet, rows) in b.rows.iter_mut() {
            if *sheet == SheetId::Explanations {
                continue;
            }
            let col = crate::schema::data_sheet(*sheet)
                .unwrap()
                .index_of(crate::schema::Col::VillageCode);
            for row in rows.iter_mut().skip(1) {
                if let Value::Text(c) = &row[col] {
                    row[col] = Value::Text(c.replacen("990101103", "990101104", 1));
                }
            }
        }
        write(ws, "a.xlsx", &a);
        write(ws, "b.xlsx", &b);
        let setup = load(ws, None).unwrap();
        let period: Period = "2024-06".parse().unwrap();
        let previous = Previous::default();
        let mut cache = FileCache::default();
        scan_folder(&setup, period, &previous, &mut cache);
        let named = v06(&cache, "b.xlsx");
        assert!(!named.is_empty());
        assert!(
            named.iter().all(|m| m.contains("990101103)的报表中有此村")),
            "{named:?}"
        );
        // 白砂镇's return leaves: b.xlsx is not read again, but its V06 no
        // longer names a return that is gone.
        std::fs::remove_file(ws.join("2024-06/a.xlsx")).unwrap();
        scan_folder(&setup, period, &previous, &mut cache);
        let now = v06(&cache, "b.xlsx");
        assert_eq!(now.len(), named.len());
        assert!(now.iter().all(|m| !m.contains("的报表中有此村")), "{now:?}");
    }
}
