//! Entry point: parse the command line, run, map the result to an exit code
//! (0 clean, 1 findings, 2 could not do the job).

use clap::{CommandFactory, FromArgMatches};
use huizong::cmd::{help, Cli, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let parsed = help::localise(Cli::command())
        .try_get_matches()
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
    match cli.command.run() {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            eprintln!("错误:{e:#}");
            ExitCode::from(2)
        }
    }
}
