//! `tally local`: runs the whole service on this machine (dynalite, moto server, the functions
//! under `cargo lambda watch` behind the Invoke API adapter, the GitHub fake and `POST /report`)
//! until Ctrl-C. With `--demo` it posts the sample reports and prints the issues they opened. With
//! `--exec` it runs one command against the stack and exits with that command's code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::Duration;

use crate::local::demo;
use crate::local::stack::{GitHubTarget, LocalStack, StackOptions, sdk_config};
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
    #[arg(long, conflicts_with_all = ["exec", "demo"])]
    install_only: bool,

    /// Post the sample reports of samples/reports (several per bug, some at the same time), wait
    /// for the workflows to end, print the issues they opened and stop.
    #[arg(long, conflicts_with = "exec")]
    demo: bool,

    /// Port of POST /report on 127.0.0.1; a free port is used when this one is taken.
    #[arg(long, default_value_t = 8787)]
    port: u16,

    /// Open issues in this real GitHub repository (`owner/name`) with the token in the
    /// GITHUB_TOKEN environment variable, instead of the local GitHub fake.
    #[arg(long, value_name = "OWNER/NAME", requires = "github_token")]
    issues_repo: Option<String>,

    /// Token for --issues-repo.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true, hide = true)]
    github_token: Option<String>,

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
    if !args.exec {
        options.report_port = Some(args.port);
    }
    if let (Some(repository), Some(token)) = (&args.issues_repo, &args.github_token) {
        options.github = GitHubTarget::Real {
            repository: repository.clone(),
            token: token.clone(),
            api_url: None,
        };
    }

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime failed")?;
    runtime.block_on(async {
        let mut signals = Signals::listen()?;
        let stack = tokio::select! {
            stack = LocalStack::start(&options) => stack?,
            signal = signals.recv() => {
                // Dropping the start future stops every engine it had started.
                eprintln!("tally local: {signal} received while starting; stopped");
                return Ok(ExitCode::from(130));
            }
        };

        let outcome = if args.exec {
            exec(&stack, &args.command, &mut signals).await
        } else if args.demo {
            run_demo(&stack, &root, &options.github, &mut signals).await
        } else {
            serve(&stack, &options.github, &mut signals).await
        };

        stack.stop().await;
        outcome
    })
}

/// `SIGINT` (Ctrl-C) and `SIGTERM`, caught for the whole run so the engines are always stopped.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("listening for SIGINT failed")?,
            terminate: signal(SignalKind::terminate()).context("listening for SIGTERM failed")?,
        })
    }

    /// Waits for the next signal and returns its name.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// Runs `command` against the stack, and returns its exit code. Ctrl-C reaches the command
/// directly because it shares the terminal's process group; `SIGTERM` is passed on to it.
async fn exec(
    stack: &LocalStack,
    command: &[String],
    signals: &mut Signals,
) -> anyhow::Result<ExitCode> {
    let (program, arguments) = command
        .split_first()
        .context("--exec needs a command after --")?;

    let mut child = Command::new(program)
        .args(arguments)
        .envs(stack.test_env())
        .spawn()
        .with_context(|| format!("starting {program} failed"))?;

    let status = tokio::select! {
        status = child.wait() => status,
        signal = signals.recv() => {
            eprintln!("tally local: {signal} received, stopping {program} and the local stack");
            if signal == "SIGTERM" {
                terminate_child(&mut child).await
            } else {
                child.wait().await
            }
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

/// How long the `--exec` command gets to exit after `SIGTERM` before it is killed.
const EXEC_STOP_GRACE: Duration = Duration::from_secs(10);

/// Passes `SIGTERM` on to the command, then kills it if it has not exited after a grace period.
async fn terminate_child(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }

    match tokio::time::timeout(EXEC_STOP_GRACE, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            child.start_kill()?;
            child.wait().await
        }
    }
}

/// Prints the endpoints and a ready `curl` line, then waits for Ctrl-C or `SIGTERM`.
async fn serve(
    stack: &LocalStack,
    github: &GitHubTarget,
    signals: &mut Signals,
) -> anyhow::Result<ExitCode> {
    println!("tally local is running; press Ctrl-C to stop.");
    println!();
    println!("Send a report:");
    println!(
        "  curl -X POST {} -H 'content-type: application/json' --data @{SAMPLE_REPORT}",
        stack.report_url()
    );
    println!();
    println!("Endpoints:");
    for (name, value) in stack.test_env() {
        println!("  {name}={value}");
    }
    println!("  logs: {}", stack.log_dir.display());

    let signal = signals.recv().await;
    println!("{signal} received, stopping.");
    print_issues(stack, github);
    Ok(ExitCode::SUCCESS)
}

/// A sample report the printed `curl` line posts, relative to the repository root.
const SAMPLE_REPORT: &str = "samples/reports/python-config-port-1.json";

/// Maximum time the demo waits for the workflows its reports started: the sync loop ends after its
/// quiet period (6 s locally), so this leaves a wide margin for retries and slow machines.
const DEMO_TIMEOUT: Duration = Duration::from_secs(300);

/// Posts the sample reports, waits for every workflow execution to end and prints the issues.
async fn run_demo(
    stack: &LocalStack,
    root: &Path,
    github: &GitHubTarget,
    signals: &mut Signals,
) -> anyhow::Result<ExitCode> {
    let samples = demo::load_samples(&root.join("samples").join("reports"))?;
    let report_url = stack.report_url();
    println!("Posting {} sample reports to {report_url}", samples.len());

    let posted = tokio::select! {
        posted = demo::post_samples(&report_url, &samples) => posted?,
        signal = signals.recv() => anyhow::bail!("{signal} received while posting the sample reports"),
    };
    let mut rejected = 0;
    for report in &posted {
        let file = report
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        println!("  {} {file}: {}", report.status, report.body.trim());
        if !(200..300).contains(&report.status) {
            rejected += 1;
        }
    }

    println!(
        "Waiting for the workflows to end (at most {} s)...",
        DEMO_TIMEOUT.as_secs()
    );
    let sfn = aws_sdk_sfn::Client::new(&sdk_config(&stack.moto_url).await);
    let executions = tokio::select! {
        executions = demo::wait_for_executions(&sfn, &stack.state_machine_arn, DEMO_TIMEOUT) => executions?,
        signal = signals.recv() => anyhow::bail!("{signal} received while waiting for the workflows"),
    };
    println!("{executions} workflow executions ended.");
    println!();
    print_issues(stack, github);

    if rejected > 0 {
        eprintln!("tally local: {rejected} sample reports were rejected; see the responses above");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_issues(stack: &LocalStack, github: &GitHubTarget) {
    match github {
        GitHubTarget::Fake => {
            println!("Issues in the local GitHub fake:");
            println!("{}", stack.github().render_issues());
        }
        GitHubTarget::Real { repository, .. } => {
            println!("Issues were opened in https://github.com/{repository}/issues");
        }
    }
}

/// Converts a finished child's status to an exit code: its own code, or 128 + the signal that ended it, as shells
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
