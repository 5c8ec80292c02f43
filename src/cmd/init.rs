//! `huizong init`: start a county's workspace — the first thing a new
//! county clerk runs.

use super::Outcome;
use crate::read::normalise::Period;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// 新工作区的文件夹(不存在或为空)
    #[arg(value_name = "工作区")]
    pub workspace: PathBuf,
    /// 县(市、区)名称,如 示范县
    #[arg(long, value_name = "县名")]
    pub county: String,
    /// 6位县级代码(市为4位,省为2位),如 990101
    #[arg(long, value_name = "代码")]
    pub code: String,
    /// 本年度星级奖励经费预算(元),默认 0,可在 county.toml 中修改
    #[arg(
        long,
        value_name = "元",
        default_value_t = 0,
        hide_default_value = true,
        value_parser = budget
    )]
    pub budget: i64,
}

/// `--budget`: whole yuan, with or without thousands separators.
fn budget(s: &str) -> Result<i64, String> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '\u{FF0C}'))
        .collect();
    match digits.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(format!(
            "“{s}”不是预算金额:请填不小于 0 的整数(元),如 --budget 1100000"
        )),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let month = Period::this_month();
    let made = crate::workspace::create(
        &args.workspace,
        &args.county,
        &args.code,
        args.budget,
        month,
    )?;
    println!("已创建工作区 {}:", args.workspace.display());
    for f in &made.files {
        println!("  {}", f.display());
    }
    println!("  {}(本月报表放在这里)", made.month.display());
    if args.budget == 0 {
        println!("注意:预算为 0 元(没有给出 --budget),星级评定的核拨经费都会是 0。有预算时请在 county.toml 的 budget 一行填上本年度预算(元)");
    }
    println!(
        "下一步:在 roster.xlsx 中填好各乡镇(街道)和村(社区),再用 huizong template --workspace {} --township <乡镇> 为各乡镇生成模板",
        args.workspace.display()
    );
    Ok(Outcome::Clean)
}
