//! `huizong template`: write the blank (or pre-filled) return template.

use super::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("尚未实现")
}
