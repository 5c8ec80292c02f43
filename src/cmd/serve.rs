//! `huizong serve`: the county reporting service (`serve.md`).

use super::Outcome;
use crate::serve::engine::Month as Period;
use std::net::SocketAddr;
use std::path::PathBuf;

/// 启动网上报送服务:乡镇在浏览器中上传、校验、提交月报,县里查看报送情况并一键汇总
#[derive(clap::Args, Debug)]
pub struct Args {
    /// 县级工作区文件夹(含 county.toml、roster.xlsx 和各月报表文件夹)
    #[arg(value_name = "工作区")]
    pub workspace: PathBuf,
    /// 监听地址和端口(默认 127.0.0.1:8080,只有本机能访问;0.0.0.0:8080 对办公网络开放)
    #[arg(
        long,
        value_name = "地址:端口",
        default_value = "127.0.0.1:8080",
        hide_default_value = true
    )]
    pub listen: SocketAddr,
    /// 本期月份(默认当前月份);县里也可在页面上打开其他月份
    #[arg(long, value_name = "年-月")]
    pub period: Option<Period>,
    /// 规则文件(默认:工作区中的 rules.toml,没有则用内置规则)
    #[arg(long, value_name = "文件")]
    pub rules: Option<PathBuf>,
    /// HTTPS 证书(PEM 格式),须与 --tls-key 一起使用
    #[arg(long = "tls-cert", value_name = "文件", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// HTTPS 私钥(PEM 格式),须与 --tls-cert 一起使用
    #[arg(long = "tls-key", value_name = "文件", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// 连接空闲多少秒后断开(请求头或请求内容迟迟不到时;测试用)
    #[arg(
        long = "idle-secs",
        value_name = "秒",
        default_value_t = 30,
        hide = true
    )]
    pub idle_secs: u64,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    crate::serve::run(crate::serve::Config {
        workspace: args.workspace,
        listen: args.listen,
        period: args.period,
        rules: args.rules,
        tls: args.tls_cert.zip(args.tls_key),
        idle: std::time::Duration::from_secs(args.idle_secs.max(1)),
    })?;
    Ok(Outcome::Clean)
}
