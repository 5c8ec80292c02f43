//! Entry point: parse the command line, run, map the result to an exit code
//! (0 clean, 1 findings, 2 could not do the job).

use clap::Parser;
use huizong::cmd::{Cli, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command.run() {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            eprintln!("错误:{e:#}");
            ExitCode::from(2)
        }
    }
}
