//! `huizong accounts`: logins for the reporting service (`serve.md`).

use super::Outcome;
use crate::serve::{accounts, db, engine};
use anyhow::bail;
use std::path::PathBuf;

/// 为网上报送服务创建账号:每个名册中的乡镇(街道)一个(用户名为9位代码),县里一个(county);密码只显示一次
#[derive(clap::Args, Debug)]
pub struct Args {
    /// 县级工作区文件夹(含 county.toml 和 roster.xlsx)
    #[arg(value_name = "工作区")]
    pub workspace: PathBuf,
    /// 只为这个账号重设密码(9位乡镇(街道)代码,或 county),新密码显示一次
    #[arg(long, value_name = "代码或county")]
    pub reset: Option<String>,
    /// 账号工作簿(默认 <工作区>/账号_<县名>.xlsx;已存在时另写 账号_<县名>_新增_<时间>.xlsx)
    #[arg(short = 'o', long = "output", value_name = "文件")]
    pub output: Option<PathBuf>,
    /// 写进账号表的登录地址(默认 http://127.0.0.1:8080/;在办公网络中使用时请写本机的地址)
    #[arg(long, value_name = "网址")]
    pub url: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ws = &args.workspace;
    if !ws.is_dir() {
        bail!("找不到工作区文件夹 {}", ws.display());
    }
    let (county, townships) = engine::roster_townships(ws)?;
    let mut conn = db::open(&ws.join("报送"))?;
    if let Some(user) = &args.reset {
        let user = user.trim();
        let l = accounts::reset(&mut conn, user)?;
        println!("已为账号 {}({})设置新密码:{}", l.user, l.name, l.password);
        println!("此密码只显示这一次,请抄下后交给使用者;该账号原有的登录已全部退出。");
        return Ok(Outcome::Clean);
    }
    let made = accounts::create_missing(&mut conn, &county.name, &townships)?;
    if made.is_empty() {
        println!(
            "名册中的 {} 个乡镇(街道)和县里都已有账号,没有新建。要重设某个账号的密码,请用 --reset 代码",
            townships.len()
        );
        return Ok(Outcome::Clean);
    }
    let url = args
        .url
        .clone()
        .or_else(|| db::setting(&conn, "url").ok().flatten())
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_string());
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| accounts::default_output(ws, &county.name));
    accounts::write_workbook(&out, &county.name, &made, &url)?;
    println!(
        "已新建 {} 个账号,账号和密码写在 {}",
        made.len(),
        out.display()
    );
    println!(
        "密码只写出这一次(数据库中只保存摘要)。请打印后分发给各乡镇(街道),并妥善保管或删除该文件。"
    );
    Ok(Outcome::Clean)
}
