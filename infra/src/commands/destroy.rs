//! `tally destroy`.

use std::process::ExitCode;

/// Options of `tally destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {}

/// Runs `tally destroy`.
pub fn run(_args: &DestroyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tally destroy is not built yet")
}
