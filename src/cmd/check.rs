//! `huizong check`: validate returns the way consolidation would, print the
//! findings grouped by file, optionally write feedback workbooks.

use super::Outcome;
use crate::finding::{Code, Finding, Level, Tally};
use crate::model::Loaded;
use crate::pipeline::{self, Checker};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::Roster;
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// 按文件分组的文字列表
    Text,
    /// 每行一个 JSON 对象
    Json,
}

/// 校验乡镇月报:逐格检查,按文件列出每个问题(工作表!单元格、规则编号、级别、怎么改)
#[derive(clap::Args, Debug)]
#[command(after_help = "示例:
  huizong check 白砂镇_2024-06.xlsx
      校验一份月报,列出问题
  huizong check 白砂镇_2024-06.xlsx --period 2024-06 --roster 示范县/roster.xlsx --feedback 反馈
      按 6 月和名册校验,并在“反馈”文件夹写出标出问题单元格的反馈工作簿
  huizong check 示范县/2024-06 --format json
      校验文件夹中的全部报表,每个问题输出一行 JSON")]
pub(crate) struct Args {
    /// 要校验的乡镇月报文件(可多个;给文件夹则校验其中所有报表)
    #[arg(required = true, value_name = "文件")]
    pub files: Vec<PathBuf>,
    /// 应报月份(如 2024-06);给出时检查填报期间是否一致(C03)
    #[arg(long, value_name = "年-月")]
    pub period: Option<Period>,
    /// 上期报表;给出时与上期比对(H01–H05,只适用于校验单个乡镇)
    #[arg(long, value_name = "文件")]
    pub previous: Option<PathBuf>,
    /// 名册 roster.xlsx;给出时对照名册检查乡镇和村(C04、C05、X04、X05)
    #[arg(long, value_name = "文件")]
    pub roster: Option<PathBuf>,
    /// 规则文件(默认使用内置的默认规则)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,
    /// 同时把带批注的反馈工作簿写到这个文件夹
    #[arg(long, value_name = "文件夹")]
    pub feedback: Option<PathBuf>,
    /// 反馈工作簿写在各文件旁边(把文件拖到程序上时)
    #[arg(long, hide = true, conflicts_with = "feedback")]
    pub beside: bool,
    /// 输出格式:text 按文件分组的文字(默认),json 每个问题一行 JSON
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "格式", hide_possible_values = true, hide_default_value = true)]
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
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Output piped into a reader that stops early (`| head`) ends the
    // listing, not the job: every file is still checked and its feedback
    // workbook written, and the exit code still says what was found.
    let mut out = UntilClosed {
        inner: stdout.lock(),
        closed: false,
    };
    let mut total = Total::default();
    let feedback_dir = |path: &Path| match (&args.feedback, args.beside) {
        (Some(d), _) => Some(d.clone()),
        (None, true) => Some(path.parent().unwrap_or(Path::new(".")).to_path_buf()),
        (None, false) => None,
    };
    // Files of one name without the extension (白砂镇.xlsx, 白砂镇.ods)
    // each get their own feedback workbook in a folder.
    let mut by_dir: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (k, path) in plan.files.iter().enumerate() {
        if let Some(dir) = feedback_dir(path) {
            by_dir.entry(dir).or_default().push(k);
        }
    }
    let mut feedback_names: Vec<Option<String>> = vec![None; plan.files.len()];
    for ks in by_dir.values() {
        let files: Vec<String> = ks
            .iter()
            .map(|k| crate::read::display_name(&plan.files[*k]))
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        for (k, name) in ks.iter().zip(pipeline::feedback_names(&files)) {
            feedback_names[*k] = Some(name);
        }
    }
    for (k, path) in plan.files.iter().enumerate() {
        let mut loaded = checker.check_file(path);
        if let Some(p) = args.period {
            name_the_flag_in_c03(&mut loaded, p);
        }
        total.add(&loaded);
        let names = village_names(&loaded, plan.roster.as_ref());
        match args.format {
            Format::Text => print_text(&mut out, &loaded, &names, color)?,
            Format::Json => {
                for f in &loaded.findings {
                    writeln!(out, "{}", serde_json::to_string(f)?)?;
                }
            }
        }
        if let Some(dir) = feedback_dir(path) {
            let name = feedback_names[k].as_deref();
            let written =
                pipeline::write_file_feedback(&dir, name, &loaded, &plan.policy, args.period)?;
            if args.format == Format::Text {
                match written {
                    Some(p) => writeln!(out, "  反馈工作簿:{}", p.display())?,
                    None if loaded.own_output.is_none() => {
                        writeln!(out, "  (没有问题,不需要反馈工作簿)")?
                    }
                    None => {}
                }
            }
        }
    }
    if args.format == Format::Text && plan.files.len() > 1 {
        writeln!(out, "{}", total.line())?;
    }
    Ok(Outcome::of(total.with_errors > 0 || total.unreadable > 0))
}

/// A writer that, once its reader has gone (a broken pipe), takes and
/// drops the rest.
struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The counts of the total line over several files.
#[derive(Default)]
struct Total {
    files: usize,
    clean: usize,
    with_errors: usize,
    warnings_only: usize,
    unreadable: usize,
    skipped: usize,
    errors: usize,
    warnings: usize,
}

impl Total {
    fn add(&mut self, l: &Loaded) {
        self.files += 1;
        let Tally {
            errors, warnings, ..
        } = Tally::of(&l.findings);
        self.errors += errors;
        self.warnings += warnings;
        if l.own_output.is_some() {
            self.skipped += 1;
        } else if l.is_fatal() {
            self.unreadable += 1;
        } else if errors > 0 {
            self.with_errors += 1;
        } else if l.findings.is_empty() {
            self.clean += 1;
        } else {
            self.warnings_only += 1;
        }
    }

    /// `共校验 7 个文件:未发现问题 1 个,有错误 4 个,…;错误 6 个,提示 2 个`
    fn line(&self) -> String {
        let parts: Vec<String> = [
            (self.clean, "未发现问题"),
            (self.with_errors, "有错误"),
            (self.warnings_only, "只有提示"),
            (self.unreadable, "无法读取"),
            (self.skipped, "已跳过"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{w} {n} 个"))
        .collect();
        format!(
            "共校验 {} 个文件:{};错误 {} 个,提示 {} 个",
            self.files,
            parts.join(","),
            self.errors,
            self.warnings
        )
    }
}

/// C03 under `check`: the month asked for is the one `--period` gave.
fn name_the_flag_in_c03(loaded: &mut Loaded, asked: Period) {
    let found = loaded.cover.as_ref().and_then(|c| c.period);
    for f in loaded.findings.iter_mut().filter(|f| f.code == Code::C03) {
        if let Some(p) = found {
            f.message = format!(
                "文件的填报期间是 {p},而 --period 指定的是 {asked}。请核对是否拿错了月份的报表,或改正“填报期间”"
            )
            .into();
        }
    }
}

/// Village code → name: the return's own, else the roster's.
fn village_names(loaded: &Loaded, roster: Option<&Roster>) -> BTreeMap<String, String> {
    let mut names = loaded
        .ret
        .as_ref()
        .map(|r| r.village_names())
        .unwrap_or_default();
    if let Some(r) = roster {
        for f in &loaded.findings {
            if let Some(v) = f.village.as_deref().filter(|v| !names.contains_key(*v)) {
                if let Some(e) = r.get(v) {
                    names.insert(
                        v.to_string(),
                        crate::read::normalise::clean(&e.village_name),
                    );
                }
            }
        }
    }
    names
}

fn print_text(
    out: &mut impl Write,
    loaded: &Loaded,
    names: &BTreeMap<String, String>,
    color: bool,
) -> std::io::Result<()> {
    if let Some(kind) = loaded.own_output {
        return writeln!(
            out,
            "{}:已跳过,这是本工具生成的{},不是乡镇月报",
            loaded.file,
            kind.marker()
        );
    }
    let Tally {
        errors, warnings, ..
    } = Tally::of(&loaded.findings);
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
        let place = match f.location() {
            l if l.is_empty() => "—".to_string(),
            l => l,
        };
        // The village by code and name, as the clerk knows it.
        let place = match f.village.as_deref() {
            Some(v) => match names.get(v) {
                Some(n) => format!("{place}({v} {n})"),
                None => format!("{place}({v})"),
            },
            None => place,
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
