//! `huizong check`: validate returns the way consolidation would, print the
//! findings grouped by file, optionally write feedback workbooks.

use super::Outcome;
use crate::finding::{Finding, Level};
use crate::model::Loaded;
use crate::pipeline::{self, Checker};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::Roster;
use anyhow::Context as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// 按文件分组的文字列表
    Text,
    /// 每行一个 JSON 对象
    Json,
}

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// 要校验的乡镇月报文件(可多个;给文件夹则校验其中所有报表)
    #[arg(required = true, value_name = "文件")]
    pub files: Vec<PathBuf>,
    /// 应报月份(如 2024-06);给出时检查填报期间是否一致(C03)
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
    /// 上期报表;给出时与上期比对(H01–H05,只适用于校验单个乡镇)
    #[arg(long, value_name = "文件")]
    pub previous: Option<PathBuf>,
    /// 名册 roster.xlsx;给出时对照名册检查乡镇和村(C04、C05、X04、X05)
    #[arg(long, value_name = "文件")]
    pub roster: Option<PathBuf>,
    /// 规则文件(默认使用内置的 templates/rules.toml)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,
    /// 同时把带批注的反馈工作簿写到这个文件夹
    #[arg(long, value_name = "文件夹")]
    pub feedback: Option<PathBuf>,
    /// 输出格式
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The resolved plan: inputs found, rules and roster loaded.
struct Plan {
    files: Vec<PathBuf>,
    policy: Policy,
    roster: Option<Roster>,
}

fn plan(args: &Args) -> anyhow::Result<Plan> {
    let policy = match &args.rules {
        Some(p) => Policy::load(p)?,
        None => Policy::default_rules(),
    };
    let roster = match &args.roster {
        Some(p) => Some(crate::workspace::roster_index(
            crate::workspace::load_roster(p, &policy)?,
        )),
        None => None,
    };
    let mut files = Vec::new();
    for f in &args.files {
        if f.is_dir() {
            files.extend(
                crate::read::spreadsheet_files(f)
                    .with_context(|| format!("无法列出文件夹 {}", f.display()))?,
            );
        } else if f.exists() || f.is_symlink() {
            files.push(f.clone());
        } else {
            anyhow::bail!("找不到文件 {}。请检查路径", f.display());
        }
    }
    if files.is_empty() {
        anyhow::bail!("没有找到要校验的报表文件(.xlsx、.xlsm、.xls、.xlsb、.ods)");
    }
    Ok(Plan {
        files,
        policy,
        roster,
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let plan = plan(&args)?;
    // The previous return is read for its figures only; a file that could
    // not be read gives no baseline (and says so).
    let previous = args.previous.as_ref().and_then(|p| {
        let ret = pipeline::previous_return(p, &plan.policy);
        if ret.is_none() {
            eprintln!(
                "提示:上期报表 {} 无法读取,不做环比检查(H 规则)",
                p.display()
            );
        }
        ret
    });
    let checker = Checker {
        policy: &plan.policy,
        roster: plan.roster.as_ref(),
        previous: previous.as_ref(),
        period: args.period,
    };
    let mut any_error = false;
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    for path in &plan.files {
        let loaded = checker.check_file(path);
        any_error |= loaded.has_errors();
        match args.format {
            Format::Text => print_text(&mut out, &loaded, color)?,
            Format::Json => {
                for f in &loaded.findings {
                    writeln!(out, "{}", serde_json::to_string(f)?)?;
                }
            }
        }
        if let Some(dir) = &args.feedback {
            pipeline::write_file_feedback(dir, &loaded, &plan.policy, args.period)?;
        }
    }
    Ok(Outcome::of(any_error))
}

fn print_text(out: &mut impl Write, loaded: &Loaded, color: bool) -> std::io::Result<()> {
    let errors = loaded
        .findings
        .iter()
        .filter(|f| f.level.is_error())
        .count();
    let warnings = loaded
        .findings
        .iter()
        .filter(|f| f.level == Level::Warning)
        .count();
    let who = match &loaded.cover {
        Some(c) => match (&c.township, &c.township_code) {
            (Some(n), Some(code)) => format!("({n} {code})"),
            (None, Some(code)) => format!("({code})"),
            _ => String::new(),
        },
        None => String::new(),
    };
    let verdict = if loaded.findings.is_empty() {
        "未发现问题".to_string()
    } else {
        format!("错误 {errors} 个,提示 {warnings} 个")
    };
    writeln!(out, "{}{who}:{verdict}", loaded.file)?;
    // Errors first, then warnings; within a level the sorted order.
    let mut ordered: Vec<&Finding> = loaded.findings.iter().collect();
    ordered.sort_by_key(|f| !f.level.is_error());
    for f in ordered {
        let place = match (&f.location(), &f.village) {
            (l, Some(v)) if f.cell.is_none() => {
                format!("{}(村 {v})", if l.is_empty() { "—" } else { l })
            }
            (l, _) if l.is_empty() => "—".to_string(),
            (l, _) => l.clone(),
        };
        let level = match (f.level, f.explained) {
            (Level::Warning, true) => "提示(已说明)".to_string(),
            (l, _) => l.zh().to_string(),
        };
        let (on, off) = match (color, f.level) {
            (false, _) => ("", ""),
            (true, Level::Warning) => ("\x1b[33m", "\x1b[0m"),
            (true, _) => ("\x1b[31m", "\x1b[0m"),
        };
        writeln!(
            out,
            "  {place}  {}  {on}{level}{off}  {}",
            f.code, f.message
        )?;
    }
    Ok(())
}
