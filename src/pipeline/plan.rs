//! A period's inputs resolved before any work starts (ripgrep's "raw flags →
//! plan"): the workspace's files found, the rules, roster and county scores
//! loaded, every default applied, so a mistake in the inputs stops the run
//! (exit 2) before a single return is read.

use crate::batch::{Expected, Ignored};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::Roster;
use crate::scores::CountyScores;
use crate::workspace::{self, CountyConfig};
use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// What a caller asks for: a workspace and a period, and any path it wants
/// instead of the workspace's own (`outputs.md` "Commands").
#[derive(Clone, Debug)]
pub struct Inputs {
    pub workspace: PathBuf,
    pub period: Period,
    /// Output folder (default `<workspace>/输出/<period>/`).
    pub output: Option<PathBuf>,
    /// This period's returns (default `<workspace>/<period>/`).
    pub returns: Option<PathBuf>,
    /// The previous period's returns (default: the latest earlier month
    /// folder of the workspace).
    pub previous: Option<PathBuf>,
    pub roster: Option<PathBuf>,
    pub county_scores: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    /// `--include-errors`: returns with errors are used, marked.
    pub include_errors: bool,
    /// Threads for reading (default: one per core).
    pub jobs: Option<usize>,
}

impl Inputs {
    /// A workspace and a period with every other input at its default.
    pub fn new(workspace: impl Into<PathBuf>, period: Period) -> Inputs {
        Inputs {
            workspace: workspace.into(),
            period,
            output: None,
            returns: None,
            previous: None,
            roster: None,
            county_scores: None,
            rules: None,
            include_errors: false,
            jobs: None,
        }
    }
}

/// The inputs resolved: paths found and policy, roster and scores loaded.
pub struct Plan {
    pub workspace: PathBuf,
    pub county: CountyConfig,
    pub policy: Policy,
    pub period: Period,
    pub roster: Option<Roster>,
    /// The roster's townships in file order (its villages are in `roster`).
    pub roster_townships: Vec<Expected>,
    pub returns: Vec<PathBuf>,
    /// Files of this period's folder not read as returns, and why.
    pub ignored: Vec<Ignored>,
    pub previous: Option<(Period, Vec<PathBuf>)>,
    pub output: PathBuf,
    /// Lines for the screen and 说明, e.g. which roster rules are skipped.
    pub notes: Vec<String>,
    /// Where the county scores are looked for (`--county-scores`, else
    /// `<workspace>/county_scores.xlsx`).
    pub scores_path: PathBuf,
    /// The county scores, when the file exists: no file, no rating.
    pub scores: Option<CountyScores>,
    pub include_errors: bool,
    pub jobs: Option<usize>,
}

/// A period folder's files: the ones read as returns (spreadsheets, by
/// file name), and the others with the reason they are not. Excel/WPS lock
/// files (`~$…`) and hidden files are left out without a word; so is the
/// output folder when it is the same folder.
pub(crate) fn list_returns(
    dir: &Path,
    output: &Path,
) -> anyhow::Result<(Vec<PathBuf>, Vec<Ignored>)> {
    let out = output.canonicalize().ok();
    if out.is_some() && dir.canonicalize().ok() == out {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut returns = Vec::new();
    let mut ignored = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("无法读取文件夹 {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("无法读取文件夹 {}", dir.display()))?
            .path();
        let name = crate::read::display_name(&path);
        if name.starts_with("~$") || name.starts_with('.') || path.is_dir() {
            continue;
        }
        if crate::read::is_spreadsheet_name(&path) {
            returns.push(path);
        } else {
            ignored.push(Ignored {
                reason: "不是电子表格文件(月报应为 .xlsx 等 Excel 工作簿)".to_string(),
                file: name,
            });
        }
    }
    returns.sort_by_key(|p| crate::read::display_name(p));
    ignored.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((returns, ignored))
}

/// The latest month folder in the workspace before `period`.
pub fn previous_folder(workspace: &Path, period: Period) -> Option<(Period, PathBuf)> {
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
}

/// Resolve `inputs` into a plan; any mistake in the county's own files
/// stops here with a message naming the file.
pub fn plan(inputs: &Inputs) -> anyhow::Result<Plan> {
    let ws = &inputs.workspace;
    if !ws.is_dir() {
        bail!(
            "找不到工作区文件夹 {}。请给出含 county.toml 和月份文件夹的工作区路径",
            ws.display()
        );
    }
    let county = workspace::load_county(&ws.join(workspace::COUNTY_FILE))?;
    let policy = Policy::in_force(inputs.rules.as_deref(), Some(ws))?;
    let mut notes = Vec::new();
    let roster_path = inputs
        .roster
        .clone()
        .unwrap_or_else(|| ws.join(workspace::ROSTER_FILE));
    let scores_path = inputs
        .county_scores
        .clone()
        .unwrap_or_else(|| ws.join(workspace::COUNTY_SCORES_FILE));
    let has_roster = roster_path.exists() || inputs.roster.is_some();
    let has_scores = scores_path.exists() || inputs.county_scores.is_some();
    // The two workbooks are read side by side; the scores are checked
    // against the roster after.
    let (roster_rows, scores_file) = rayon::join(
        || has_roster.then(|| workspace::load_roster(&roster_path, &policy)),
        || has_scores.then(|| crate::scores::read(&scores_path, &policy)),
    );
    let (roster, roster_townships) = if let Some(rows) = roster_rows {
        let rows = rows?;
        let townships = workspace::expected_townships(&rows);
        (Some(workspace::roster_index(rows)), townships)
    } else {
        notes.push(format!(
            "未找到名册 {}:应报乡镇和村取自上期报表;跳过对照名册的规则 C04(名册部分)、C05、X04、X05,改用 H04 与上期比对",
            roster_path.display()
        ));
        (None, Vec::new())
    };
    let scores = if let Some(file) = scores_file {
        Some(file?.parse(roster.as_ref())?)
    } else {
        notes.push(no_scores_note(&scores_path));
        None
    };
    let period = inputs.period;
    let output = inputs
        .output
        .clone()
        .unwrap_or_else(|| ws.join("输出").join(period.to_string()));
    let returns_dir = inputs
        .returns
        .clone()
        .unwrap_or_else(|| ws.join(period.to_string()));
    if !returns_dir.is_dir() {
        bail!(
            "找不到本期报表文件夹 {}。请创建该文件夹并放入各乡镇 {period} 的月报,或用 --returns 指定",
            returns_dir.display()
        );
    }
    let (returns, ignored) = list_returns(&returns_dir, &output)?;
    let previous = match &inputs.previous {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("找不到上期报表文件夹 {}", dir.display());
            }
            let p = Period::parse(&crate::read::display_name(dir)).unwrap_or(period.previous());
            Some((p, list_returns(dir, &output)?.0))
        }
        None => match previous_folder(ws, period) {
            Some((p, dir)) => Some((p, list_returns(&dir, &output)?.0)),
            None => {
                notes.push("工作区中没有早于本期的月份文件夹:不做环比检查(H 规则)".to_string());
                None
            }
        },
    };
    Ok(Plan {
        workspace: ws.clone(),
        county,
        policy,
        period,
        roster,
        roster_townships,
        returns,
        ignored,
        previous,
        output,
        notes,
        scores_path,
        scores,
        include_errors: inputs.include_errors,
        jobs: inputs.jobs,
    })
}

/// The 说明 note (and stderr line) when there is no county scores file.
/// Names the file, not its folder, so the workbook does not depend on where
/// the workspace lives.
pub fn no_scores_note(path: &Path) -> String {
    format!(
        "未找到区级评定 {},不做星级评定(不写星级经费分档表)",
        crate::read::display_name(path)
    )
}
