//! `tally`: the operator CLI. Each subcommand lives in its own module under `commands`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tally_infra::commands;

/// tally's operator CLI: inspect fingerprints, synthesize, deploy and destroy the stack, or run
/// the whole service locally.
#[derive(Debug, Parser)]
#[command(name = "tally", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the fingerprint of each error report or trace file.
    Fingerprint(commands::fingerprint::FingerprintArgs),
    /// Write the CloudFormation template of the stack.
    Synth(commands::synth::SynthArgs),
    /// Build the functions and create or update the stack.
    Deploy(commands::deploy::DeployArgs),
    /// Delete the stack (the table is retained).
    Destroy(commands::destroy::DestroyArgs),
    /// Run the whole service on this machine, or run a command (the tests) against it.
    Local(commands::local::LocalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    let result = match cli.command {
        Command::Fingerprint(args) => commands::fingerprint::run(&args),
        Command::Synth(args) => commands::synth::run(&args),
        Command::Deploy(args) => commands::deploy::run(&args),
        Command::Destroy(args) => commands::destroy::run(&args),
        Command::Local(args) => commands::local::run(&args),
    };

    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
