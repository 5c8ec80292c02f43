//! One file per subcommand, each with its own clap `Args` and `run`.

pub(crate) mod accounts;
pub(crate) mod check;
pub(crate) mod consolidate;
pub mod help;
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
    /// 生成空白乡镇月报模板(可按名册预填)
    Template(template::Args),
    /// 校验一个或多个乡镇月报,列出问题
    Check(check::Args),
    /// 汇总本月全部乡镇月报,写出县级汇总表和反馈表(有区级评定时另写星级经费分档表)
    Consolidate(consolidate::Args),
    /// 星级评定与经费分档:按区级评定得分评定星级,在预算内核拨经费,写出星级经费分档表
    Tiers(period::PeriodArgs),
    /// 为网上报送服务创建账号(每个乡镇一个,县里一个),写出账号表;--reset 重设密码
    Accounts(accounts::Args),
    /// 启动网上报送服务:乡镇在浏览器中校验、提交月报,县里查看报送情况并汇总
    Serve(serve::Args),
}

impl Command {
    fn run(self) -> anyhow::Result<Outcome> {
        match self {
            Command::Template(a) => template::run(a),
            Command::Check(a) => check::run(a),
            Command::Consolidate(a) => consolidate::run(a),
            Command::Tiers(a) => tiers::run(a),
            Command::Accounts(a) => accounts::run(a),
            Command::Serve(a) => serve::run(a),
        }
    }
}
