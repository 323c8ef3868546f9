//! `tally fingerprint`.

use std::process::ExitCode;

/// Options of `tally fingerprint`.
#[derive(Debug, clap::Args)]
pub struct FingerprintArgs {}

/// Runs `tally fingerprint`.
pub fn run(_args: &FingerprintArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tally fingerprint is not built yet")
}
