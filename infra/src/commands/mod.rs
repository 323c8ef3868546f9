//! The `tally` subcommands, one module each. Every `run` returns the process exit code.

pub mod deploy;
pub mod destroy;
pub mod fingerprint;
pub mod local;
pub mod synth;
