//! One file per subcommand, each with its own clap `Args` and `run`.

pub(crate) mod accounts;
pub(crate) mod check;
pub(crate) mod consolidate;
pub mod help;
pub(crate) mod init;
pub mod launch;
mod period;
pub(crate) mod serve;
pub(crate) mod template;
pub(crate) mod tiers;

use clap::{Parser, Subcommand};

/// Exit status of a finished command (`outputs.md`): 0 clean, 1 findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No errors (warnings allowed).
    Clean,
    /// The run finished and found errors or fatal files.
    Findings,
}

impl Outcome {
    /// Findings when any error was found, else clean.
    pub(crate) fn of(any_error: bool) -> Outcome {
        if any_error {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "huizong",
    version,
    about = "汇总:乡镇党群服务中心月报的模板、校验、汇总与星级经费分档",
    long_about = None,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Run the command given.
    pub fn run(self) -> anyhow::Result<Outcome> {
        self.command.run()
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// 生成乡镇月报模板(给出工作区和乡镇时按名册预填,并带入上月不变的内容)
    Template(template::Args),
    /// 校验一个或多个乡镇月报,列出问题
    Check(check::Args),
    /// 汇总本月全部乡镇月报,写出县级汇总表和反馈表(有区级评定时另写星级经费分档表)
    #[command(after_help = "示例:
  huizong consolidate 示范县 --period 2024-06
      汇总 示范县/2024-06/ 中的全部报表,写到 示范县/输出/2024-06/
  huizong consolidate 示范县 --period 2024-06 --include-errors
      有错误的报表也计入汇总和星级评定
  huizong consolidate 示范县 --period 2024-06 -o 六月汇总
      写到另一个文件夹")]
    Consolidate(consolidate::Args),
    /// 星级评定与经费分档:按区级评定得分评定星级,在预算内核拨经费,写出星级经费分档表
    #[command(after_help = "示例:
  huizong tiers 示范县 --period 2024-06
      只写出 示范县/输出/2024-06/ 中的星级经费分档表
  huizong tiers 示范县 --period 2024-06 --county-scores 评定/区级评定.xlsx
      用另一份区级评定得分")]
    Tiers(period::PeriodArgs),
    /// 新建县级工作区:county.toml、名册、区级评定、规则文件和本月文件夹
    #[command(after_help = "示例:
  huizong init 示范县 --county 示范县 --code 990101 --budget 1100000
      在当前文件夹新建工作区 示范县/,再在 示范县/roster.xlsx 中填好名册")]
    Init(init::Args),
    /// 为网上报送服务创建账号(每个乡镇一个,县里一个),写出账号表;--reset 重设密码
    #[command(after_help = "示例:
  huizong accounts 示范县 --url http://192.168.1.20:8080/
      为名册中的每个乡镇和县里建账号,写出可打印的 示范县/账号_示范县.xlsx
  huizong accounts 示范县 --reset 990101103
      为该乡镇重设密码,新密码只在屏幕上显示一次")]
    Accounts(accounts::Args),
    /// 启动网上报送服务:乡镇在浏览器中校验、提交月报,县里查看报送情况并汇总
    #[command(after_help = "示例:
  huizong serve 示范县
      只在本机使用:在浏览器中打开 http://127.0.0.1:8080/
  huizong serve 示范县 --listen 0.0.0.0:8443 --tls-cert 证书.pem --tls-key 私钥.pem
      对办公网络开放,用 HTTPS")]
    Serve(serve::Args),
}

impl Command {
    fn run(self) -> anyhow::Result<Outcome> {
        match self {
            Command::Template(a) => template::run(a),
            Command::Check(a) => check::run(a),
            Command::Consolidate(a) => consolidate::run(a),
            Command::Tiers(a) => tiers::run(a),
            Command::Init(a) => init::run(a),
            Command::Accounts(a) => accounts::run(a),
            Command::Serve(a) => serve::run(a),
        }
    }
}
