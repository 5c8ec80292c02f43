//! `huizong template`: write the blank template, or a township's template
//! pre-filled from the workspace with what last month's return carried.

use super::Outcome;
use crate::pipeline::Template;
use crate::policy::Policy;
use crate::read::normalise::Period;
use anyhow::bail;
use std::path::PathBuf;

/// 生成乡镇月报模板;给出工作区和乡镇(街道)时按名册预填,并带入上月报表中每月不变的内容
#[derive(clap::Args, Debug)]
#[command(after_help = "示例:
  huizong template
      在当前文件夹生成空白模板 乡镇月报模板.xlsx
  huizong template --workspace 示范县 --township 白砂镇 --period 2024-06
      生成白砂镇 2024 年 6 月的模板 白砂镇_2024-06_月报.xlsx:预填各村,
      并带入上月的清理前标牌数和标牌明细(灰色底纹)
  huizong template -o 新模板.xlsx --force
      覆盖已有的 新模板.xlsx")]
pub(crate) struct Args {
    /// 输出文件(默认:空白模板为“乡镇月报模板.xlsx”,乡镇模板为“<乡镇名>_<月份>_月报.xlsx”)
    #[arg(short = 'o', long = "output", value_name = "文件")]
    pub output: Option<PathBuf>,

    /// 县级工作区(内有 county.toml 和 roster.xlsx),须与 --township 一起使用
    #[arg(long, value_name = "文件夹", requires = "township")]
    pub workspace: Option<PathBuf>,

    /// 乡镇(街道):9位代码或名册中的名称,须与 --workspace 一起使用
    #[arg(long, value_name = "乡镇", requires = "workspace")]
    pub township: Option<String>,

    /// 规则文件,决定“标牌明细”中“类别”的下拉列表(默认:工作区中的 rules.toml,没有时用内置的默认规则)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,

    /// 填报月份,如 2024-06(乡镇模板默认为本月)
    #[arg(long, value_name = "年-月")]
    pub period: Option<Period>,

    /// 输出文件已存在时覆盖它(默认不覆盖)
    #[arg(long)]
    pub force: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let template = match (&args.workspace, &args.township) {
        (Some(ws), Some(t)) => Template::for_township(ws, t, args.period, args.rules.as_deref())?,
        _ => Template::blank(Policy::in_force(args.rules.as_deref(), None)?, args.period),
    };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(template.file_name()));
    if out.exists() && !args.force {
        bail!(
            "文件 {} 已经存在,没有覆盖(它可能是已填好的月报)。要覆盖请加 --force,或用 -o 指定另一个文件名",
            out.display()
        );
    }
    template.write(&out)?;
    let villages = template.villages();
    if villages > 0 {
        println!("已生成模板:{}(已预填 {villages} 个村(社区))", out.display());
    } else {
        println!("已生成模板:{}", out.display());
    }
    if let Some(c) = &template.carried {
        println!(
            "已从 {} 的报表 {} 带入:{} 个村(社区)的清理前标牌数、{} 行标牌明细(灰色底纹,请核对;每月数字没有带入,请填写本月数据)",
            c.period, c.file, c.villages, c.signs
        );
    }
    Ok(Outcome::Clean)
}
