//! How the program was started, before clap sees the arguments: files
//! dropped on it (the paths and nothing else: check them with feedback
//! beside each), `help <命令>`, or nothing at all (a double-click). When no
//! terminal started it, it waits for Enter before closing, so the window
//! that a double-click or a drag opens on Windows stays to be read.

use std::ffi::OsString;
use std::path::Path;

/// The arguments clap is to parse, and whether to wait before closing.
pub struct Launch {
    pub args: Vec<OsString>,
    pub wait: bool,
    /// Nothing was given: show the first steps, not an error.
    pub nothing: bool,
}

/// The command names (a path named like one is a command, not a file).
const COMMANDS: [&str; 8] = [
    "template",
    "check",
    "consolidate",
    "tiers",
    "init",
    "accounts",
    "serve",
    "help",
];

impl Launch {
    /// Read `args` (the program's own, first the program).
    pub fn from(args: Vec<OsString>) -> Launch {
        let wait = !from_terminal();
        let program = args.first().cloned().unwrap_or_else(|| "huizong".into());
        let rest = &args[1.min(args.len())..];
        if rest.is_empty() {
            return Launch {
                args,
                wait,
                nothing: true,
            };
        }
        let first = rest[0].to_string_lossy();
        if first == "help" || first == "帮助" {
            // `help check` is `check --help`; `help` alone the overview.
            let mut a = vec![program];
            a.extend(rest[1..].iter().cloned());
            a.push("--help".into());
            return Launch {
                args: a,
                wait: false,
                nothing: false,
            };
        }
        let dropped = !COMMANDS.contains(&first.as_ref())
            && !first.starts_with('-')
            && rest.iter().all(|a| Path::new(a).exists());
        if dropped {
            let mut a = vec![program, "check".into()];
            a.extend(rest.iter().cloned());
            a.push("--beside".into());
            return Launch {
                args: a,
                wait,
                nothing: false,
            };
        }
        Launch {
            args,
            wait: false,
            nothing: false,
        }
    }
}

/// The short how-to a double-click shows.
pub const FIRST_STEPS: &str = "huizong(汇总):乡镇党群服务中心月报的模板、校验与汇总

怎样使用:
  乡镇:把填好的月报文件拖到本程序的图标上,即可校验;有问题时,在原文件旁边
        生成一份“<文件名>_校验结果.xlsx”,问题单元格标红(错误)或标黄(提示)。
  县里:在命令行中运行,例如
        huizong init 示范县 --county 示范县 --code 990101   新建工作区
        huizong consolidate 示范县 --period 2024-06          汇总本月报表
        huizong --help                                       查看全部命令
";

/// Wait for Enter (or the end of the input) before the window closes.
pub fn wait_for_enter() {
    use std::io::Write;
    print!("\n按回车键关闭窗口…");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

/// Was the program started from a terminal (a shell), rather than by a
/// double-click or a drag in the file manager?
fn from_terminal() -> bool {
    #[cfg(windows)]
    {
        // A console that only this process is attached to was opened for
        // it: nobody typed a command.
        #[link(name = "kernel32")]
        extern "system" {
            fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
        }
        let mut ids = [0u32; 4];
        // SAFETY: the buffer holds 4 ids and its length says so.
        let attached = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
        attached > 1
    }
    #[cfg(not(windows))]
    {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn dropped_files_help_and_commands() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("白砂镇.xlsx");
        std::fs::write(&f, b"x").unwrap();
        let l = Launch::from(vec!["huizong".into(), f.clone().into()]);
        assert_eq!(
            l.args,
            vec![
                OsString::from("huizong"),
                "check".into(),
                f.clone().into(),
                "--beside".into()
            ]
        );
        let l = Launch::from(args(&["huizong", "help", "check"]));
        assert_eq!(l.args, args(&["huizong", "check", "--help"]));
        assert!(!l.wait);
        let l = Launch::from(args(&["huizong", "check", "x.xlsx"]));
        assert_eq!(l.args, args(&["huizong", "check", "x.xlsx"]));
        assert!(Launch::from(args(&["huizong"])).nothing);
        // A path that does not exist is not a drop: clap names the error.
        let l = Launch::from(args(&["huizong", "没有这个文件.xlsx"]));
        assert_eq!(l.args, args(&["huizong", "没有这个文件.xlsx"]));
    }
}
