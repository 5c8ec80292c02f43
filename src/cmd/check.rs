//! `huizong check`: validate returns and print the findings.

use super::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("尚未实现")
}
