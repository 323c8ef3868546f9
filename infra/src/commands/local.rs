//! `tally local`: runs the whole service on this machine (dynalite, moto server, the functions
//! under `cargo lambda watch` behind the Invoke API adapter, and the GitHub fake) until Ctrl-C,
//! or with `--exec`, runs one command against it and exits with that command's code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::local::stack::{LocalStack, StackOptions};
use crate::local::tools::Tools;
use anyhow::Context;
use tokio::process::Command;
use tokio::signal::unix::{SignalKind, signal};

/// Options of `tally local`.
#[derive(Debug, clap::Args)]
pub struct LocalArgs {
    /// Start the stack, run the command after `--` with the TALLY_TEST_* variables set, stop the
    /// stack and exit with the command's exit code.
    #[arg(long, requires = "command")]
    exec: bool,

    /// Install the pinned tools into .tools and exit, starting nothing.
    #[arg(long, conflicts_with = "exec")]
    install_only: bool,

    /// Build this function binary too before starting the watch server (repeatable); the deployed
    /// functions are always built.
    #[arg(long = "function", value_name = "BIN")]
    functions: Vec<String>,

    /// Table the functions use.
    #[arg(long, default_value = "tally-local")]
    table: String,

    /// Rebuild and restart a function when its source changes.
    #[arg(long)]
    reload: bool,

    /// The command run by `--exec`, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs `tally local`.
pub fn run(args: &LocalArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let root = repository_root()?;

    if args.install_only {
        let tools = Tools::at(root.join(".tools"));
        let installed = tools.ensure_installed()?;
        if installed.is_empty() {
            eprintln!(
                "All pinned tools are already installed in {}.",
                tools.dir().display()
            );
        } else {
            eprintln!(
                "Installed {} into {}.",
                installed.join(", "),
                tools.dir().display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut options = StackOptions::for_repository(&root);
    options.prebuild.extend(args.functions.iter().cloned());
    options.table = args.table.clone();
    options.reload = args.reload;

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime failed")?;
    runtime.block_on(async {
        let stack = LocalStack::start(&options).await?;
        let outcome = if args.exec {
            exec(&stack, &args.command).await
        } else {
            serve(&stack).await
        };

        stack.stop().await;
        outcome
    })
}

/// Runs `command` against the stack, and returns its exit code. Ctrl-C reaches the command
/// directly (it shares the terminal's process group); `SIGTERM` is passed on to it.
async fn exec(stack: &LocalStack, command: &[String]) -> anyhow::Result<ExitCode> {
    let (program, arguments) = command
        .split_first()
        .context("--exec needs a command after --")?;

    let mut child = Command::new(program)
        .args(arguments)
        .envs(stack.test_env())
        .spawn()
        .with_context(|| format!("starting {program} failed"))?;

    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM failed")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT failed")?;
    let status = tokio::select! {
        status = child.wait() => status,
        _ = terminate.recv() => {
            eprintln!("tally local: SIGTERM received, stopping {program} and the local stack");
            child.start_kill().with_context(|| format!("stopping {program} failed"))?;
            child.wait().await
        }
        _ = interrupt.recv() => {
            eprintln!("tally local: interrupted, waiting for {program} to stop");
            child.wait().await
        }
    }
    .with_context(|| format!("waiting for {program} failed"))?;

    if !status.success() {
        let logs: Vec<String> = stack
            .log_files()
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        eprintln!(
            "tally local: {program} failed ({status}); engine logs: {}",
            logs.join(", ")
        );
    }
    Ok(exit_code(status))
}

/// Prints the endpoints and waits for Ctrl-C or `SIGTERM`.
async fn serve(stack: &LocalStack) -> anyhow::Result<ExitCode> {
    println!("tally local is running; press Ctrl-C to stop.");
    for (name, value) in stack.test_env() {
        println!("  {name}={value}");
    }
    println!("  logs: {}", stack.log_dir.display());

    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM failed")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("listening for Ctrl-C failed")?,
        _ = terminate.recv() => {}
    }

    println!("Stopping. Issues in the GitHub fake:");
    println!("{}", stack.github().render_issues());
    Ok(ExitCode::SUCCESS)
}

/// The exit code of a finished child: its own code, or 128 + the signal that ended it, as shells
/// report it.
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;

    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Finds the nearest folder at or above the current one whose `Cargo.toml` declares tally's workspace.
fn repository_root() -> anyhow::Result<PathBuf> {
    let current = std::env::current_dir().context("reading the current folder failed")?;
    current
        .ancestors()
        .find(|folder| is_tally_workspace(folder))
        .map(Path::to_owned)
        .with_context(|| {
            format!(
                "no tally repository found at or above {}; run tally local inside a clone of tally",
                current.display()
            )
        })
}

fn is_tally_workspace(folder: &Path) -> bool {
    let manifest = std::fs::read_to_string(folder.join("Cargo.toml")).unwrap_or_default();
    manifest.contains("[workspace]")
        && folder.join("lambdas").is_dir()
        && folder.join("infra").is_dir()
}

/// Sends logs to standard error, at info level unless `RUST_LOG` sets another filter.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
