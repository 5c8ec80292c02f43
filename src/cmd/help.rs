//! Chinese `--help` and command-line errors: clap's own words (headings,
//! `-h`/`-V`, error messages) replaced, the rest of clap kept.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

const TOP: &str =
    "{about-with-newline}\n用法:{usage}\n\n命令:\n{subcommands}\n\n选项:\n{options}{after-help}";
const WITH_ARGS: &str =
    "{about-with-newline}\n用法:{usage}\n\n参数:\n{positionals}\n\n选项:\n{options}{after-help}";
const NO_ARGS: &str = "{about-with-newline}\n用法:{usage}\n\n选项:\n{options}{after-help}";

/// The top-level help's last words.
const TOP_AFTER: &str =
    "把报表文件拖到程序图标上(或 huizong 文件.xlsx)即可校验,并在文件旁生成反馈工作簿。
用 huizong help <命令> 或 huizong <命令> --help 查看某个命令的用法和示例。";

/// The command tree with Chinese headings, usage, help/version flags.
pub fn localise(cmd: Command) -> Command {
    let cmd = localise_one(cmd, "");
    cmd.after_help(TOP_AFTER)
}

fn localise_one(cmd: Command, parent: &str) -> Command {
    // The usage line clap makes, with its English words in Chinese.
    let path = if parent.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{parent} {}", cmd.get_name())
    };
    let usage = {
        let mut c = cmd.clone();
        let u = c.render_usage().to_string();
        let u = u.trim_start_matches("Usage:").trim();
        let u = u.strip_prefix(cmd.get_name()).unwrap_or(u);
        format!("{path}{u}")
            .replace("[OPTIONS]", "[选项]")
            .replace("<COMMAND>", "<命令>")
    };
    let template = if cmd.has_subcommands() {
        TOP
    } else if cmd.get_positionals().next().is_some() {
        WITH_ARGS
    } else {
        NO_ARGS
    };
    let mut cmd = cmd
        .override_usage(usage)
        .disable_help_flag(true)
        .help_template(template)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        );
    if cmd.get_version().is_some() {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本"),
        );
    }
    if cmd.has_subcommands() {
        cmd = cmd.subcommand_value_name("命令");
    }
    cmd.mut_subcommands(|c| localise_one(c, &path))
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("、"),
        Some(ContextValue::Number(n)) => n.to_string(),
        Some(ContextValue::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A command-line error in Chinese, with the usage line.
pub fn message(e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数:{arg}"),
        ErrorKind::UnknownArgument => {
            let hint = context(e, ContextKind::SuggestedArg);
            if hint.is_empty() {
                format!("无法识别的参数 {arg}")
            } else {
                format!("无法识别的参数 {arg},是否想用 {hint}?")
            }
        }
        ErrorKind::InvalidSubcommand => {
            format!(
                "没有这个命令:{}。可用的命令见 huizong --help",
                context(e, ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::InvalidValue => {
            let valid = context(e, ContextKind::ValidValue);
            format!("参数 {arg} 的值“{value}”无效,可选:{valid}")
        }
        ErrorKind::ValueValidation => {
            let reason = e.source().map(|s| s.to_string()).unwrap_or_default();
            format!("参数 {arg} 的值“{value}”无效:{reason}")
        }
        ErrorKind::ArgumentConflict => format!(
            "参数 {arg} 不能与 {} 同时使用",
            context(e, ContextKind::PriorArg)
        ),
        ErrorKind::TooManyValues => format!("参数 {arg} 给了太多的值"),
        ErrorKind::NoEquals | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("参数 {arg} 的值个数不对")
        }
        _ => format!("命令行参数有误:{}", e.render().to_string().trim()),
    };
    let usage = context(e, ContextKind::Usage).replace("Usage:", "用法:");
    if usage.is_empty() {
        format!("错误:{what}\n运行 huizong --help 查看用法")
    } else {
        format!(
            "错误:{what}\n\n{}\n\n运行 huizong --help 查看用法",
            usage.trim()
        )
    }
}

use std::error::Error as _;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::Cli;
    use clap::CommandFactory;

    #[test]
    fn help_and_errors_are_chinese() {
        let help = localise(Cli::command()).render_help().to_string();
        assert!(
            help.contains("用法:") && help.contains("命令:") && help.contains("显示帮助"),
            "{help}"
        );
        assert!(
            !help.contains("Usage") && !help.contains("Print help"),
            "{help}"
        );
        let e = localise(Cli::command())
            .try_get_matches_from(["huizong", "check"])
            .unwrap_err();
        let m = message(&e);
        assert!(m.starts_with("错误:缺少必需的参数:<文件>"), "{m}");
        let e = localise(Cli::command())
            .try_get_matches_from(["huizong", "check", "x.xlsx", "--period", "六月"])
            .unwrap_err();
        let m = message(&e);
        assert!(
            m.contains("参数 --period <年-月> 的值“六月”无效:“六月”不是月份"),
            "{m}"
        );
    }
}
