//! `huizong template`: write the blank (or pre-filled) return template.

use super::Outcome;
use crate::pipeline::Template;
use crate::policy::Policy;
use crate::read::normalise::Period;
use std::path::PathBuf;

/// Default output file, in the current folder.
pub(crate) const DEFAULT_OUTPUT: &str = "乡镇月报模板.xlsx";

/// 生成乡镇月报模板;给出县级工作目录和乡镇(街道)代码时,按名册预填基本信息和各村(社区)
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// 输出文件(默认:当前文件夹下的“乡镇月报模板.xlsx”)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// 县级工作目录(内有 county.toml 和 roster.xlsx),须与 --township 一起使用
    #[arg(long, value_name = "DIR", requires = "township")]
    pub workspace: Option<PathBuf>,

    /// 按名册预填的乡镇(街道)代码(9位),须与 --workspace 一起使用
    #[arg(long, value_name = "CODE9", requires = "workspace")]
    pub township: Option<String>,

    /// 规则文件,决定“标牌明细”中“类别”的下拉列表(默认:给出工作区时用其中的 rules.toml,否则用内置的默认规则)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// 填报期间,如 2024-06:预填到“基本信息”,并作为文件的创建日期
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let template = match (&args.workspace, &args.township) {
        (Some(ws), Some(code)) => {
            Template::for_township(ws, code, args.period, args.rules.as_deref())?
        }
        _ => Template::blank(Policy::in_force(args.rules.as_deref(), None)?, args.period),
    };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT));
    template.write(&out)?;
    let villages = template.villages();
    if villages > 0 {
        println!("已生成模板:{}(已预填 {villages} 个村(社区))", out.display());
    } else {
        println!("已生成模板:{}", out.display());
    }
    Ok(Outcome::Clean)
}
