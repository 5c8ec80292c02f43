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
        hide_default_value = true
    )]
    pub budget: i64,
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
    println!(
        "下一步:在 roster.xlsx 中填好各乡镇(街道)和村(社区),再用 huizong template --workspace {} --township <乡镇> 为各乡镇生成模板",
        args.workspace.display()
    );
    Ok(Outcome::Clean)
}
