//! Entry point: parse the command line, run, map the result to an exit code
//! (0 clean, 1 findings, 2 could not do the job).

use clap::{CommandFactory, FromArgMatches};
use huizong::cmd::launch::{self, Launch};
use huizong::cmd::{help, Cli, Outcome};
use std::process::ExitCode;
use std::sync::Mutex;

/// The last panic's message and place, for the line `main` prints.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let launch = Launch::from(std::env::args_os().collect());
    let code = run(&launch);
    if launch.wait {
        launch::wait_for_enter();
    }
    code
}

fn run(launch: &Launch) -> ExitCode {
    if launch.nothing {
        print!("{}", launch::FIRST_STEPS);
        return ExitCode::from(2);
    }
    let parsed = help::localise(Cli::command())
        .try_get_matches_from(&launch.args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        // --help and --version print to stdout and succeed.
        Err(e) if !e.use_stderr() => {
            let text = e.render().to_string();
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", help::message(&e));
            return ExitCode::from(2);
        }
    };
    // A library that panics (rust_xlsxwriter does when a temporary file
    // cannot be written, e.g. on a full disk) ends the run with exit 2 and
    // one Chinese line, not a backtrace; the lock and temporary files are
    // released as the panic unwinds. Panics that the reader stops (calamine
    // on a damaged file, reported as S01) print nothing.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = match (
            info.payload().downcast_ref::<&str>(),
            info.payload().downcast_ref::<String>(),
        ) {
            (Some(s), _) => s.to_string(),
            (_, Some(s)) => s.clone(),
            _ => String::new(),
        };
        let at = info
            .location()
            .map(|l| {
                let file = std::path::Path::new(l.file()).file_name();
                let file = file.map(|f| f.to_string_lossy()).unwrap_or_default();
                format!("{file}:{}", l.line())
            })
            .unwrap_or_default();
        if let Ok(mut p) = PANIC.lock() {
            *p = Some(format!("{text}({at})"));
        }
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli.run())) {
        Ok(Ok(Outcome::Clean)) => ExitCode::SUCCESS,
        Ok(Ok(Outcome::Findings)) => ExitCode::from(1),
        Ok(Err(e)) => {
            eprintln!("错误:{e:#}");
            ExitCode::from(2)
        }
        Err(_) => {
            let what = PANIC
                .lock()
                .ok()
                .and_then(|mut p| p.take())
                .unwrap_or_default();
            eprintln!("{}", panic_message(&what));
            ExitCode::from(2)
        }
    }
}

/// What the clerk reads when the run stopped on a panic.
fn panic_message(what: &str) -> String {
    if what.contains("StorageFull") || what.contains("No space left") {
        format!(
            "错误:磁盘空间不足,写出工作簿时无法写入临时文件,本次汇总没有完成。请腾出输出文件夹和临时文件夹(TMPDIR)所在磁盘的空间后重新运行。详情:{what}"
        )
    } else {
        format!(
            "错误:程序意外中止,本次汇总没有完成。请重新运行;如果再次出现,请把这条信息报告给维护人员。详情:{what}"
        )
    }
}
