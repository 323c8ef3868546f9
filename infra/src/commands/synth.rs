//! `tally synth`.

use std::process::ExitCode;

/// Options of `tally synth`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {}

/// Runs `tally synth`.
pub fn run(_args: &SynthArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tally synth is not built yet")
}
