//! `tally deploy`.

use std::process::ExitCode;

/// Options of `tally deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {}

/// Runs `tally deploy`.
pub fn run(_args: &DeployArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tally deploy is not built yet")
}
