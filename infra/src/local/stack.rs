//! The local stack: dynalite, the GitHub fake, the function binaries under `cargo lambda watch`,
//! the Invoke API adapter in front of them and moto server, started on 127.0.0.1 in dependency
//! order, each waited for until it responds, with tally's table created.
//!
//! [`LocalStack::test_env`] lists the `TALLY_TEST_*` variables that tell the integration tests
//! where each engine listens. Dropping the stack stops every engine.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};
use tally_core::env;
use thiserror::Error;

use crate::stack::definition::state_machine_definition;
use crate::stack::functions::{FUNCTIONS, OPEN_ISSUE, SYNC_OCCURRENCES};

use super::github_fake::{GitHubFake, RunningFake};
use super::invoke_adapter::{self, InvokeAdapter};
use super::net::{self, ReadyError, loopback_url, wait_ready};
use super::process::{ManagedProcess, SpawnError};
use super::report_proxy::{self, ReportProxy};
use super::test_env;
use super::tools::{ToolError, Tools};

/// Repository the functions open issues in when they talk to the GitHub fake.
pub const FAKE_ISSUES_REPO: &str = "tally-test/issues";

/// Token the functions send to the GitHub fake; it accepts any.
const FAKE_GITHUB_TOKEN: &str = "local-fake-token";

/// Region, account credentials and a name that mark every AWS call as local.
const REGION: &str = "us-east-1";
const DUMMY_KEY_ID: &str = "local";
const DUMMY_SECRET: &str = "local";

/// Role of the local state machine; moto checks only the ARN's format.
const LOCAL_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/tally-local";

/// How long an engine may take to respond after it starts. moto's first start imports many
/// modules and takes a few seconds on 2 cores; this leaves a wide margin.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Errors from starting the local stack.
#[derive(Debug, Error)]
pub enum StackError {
    /// A pinned tool could not be installed.
    #[error(transparent)]
    Tools(#[from] ToolError),
    /// An engine could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// An engine did not become ready.
    #[error(transparent)]
    Ready(#[from] ReadyError),
    /// Building a function binary before starting the watch server failed.
    #[error(
        "building the function binary {function} failed ({status}); fix the build error above and run again"
    )]
    Build {
        /// The binary.
        function: String,
        /// Exit status of cargo.
        status: std::process::ExitStatus,
    },
    /// cargo could not be started.
    #[error("running cargo to build {function} failed: {source}")]
    Cargo {
        /// The binary.
        function: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An in-process server (GitHub fake, Invoke API adapter) could not listen.
    #[error("starting the {server} on 127.0.0.1 failed: {source}")]
    Listen {
        /// Which server.
        server: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// Creating the state machine in moto failed.
    #[error("creating the state machine {name} in moto server failed: {message}")]
    StateMachine {
        /// State machine name.
        name: String,
        /// The cause.
        message: String,
    },
    /// Creating tally's table in dynalite failed.
    #[error("creating the table {table} in dynalite failed: {message}")]
    Table {
        /// Table name.
        table: String,
        /// The cause.
        message: String,
    },
}

/// Timing of the sync loop the functions run, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncWindows {
    /// Wait after the issue opens before the first count update.
    pub debounce_seconds: u32,
    /// Maximum wait between two count updates.
    pub max_wait_seconds: u32,
    /// Quiet period after which the loop ends.
    pub quiet_seconds: u32,
}

impl SyncWindows {
    /// Short windows for tests, so a whole sync loop ends within seconds.
    pub const TESTS: Self = Self {
        debounce_seconds: 1,
        max_wait_seconds: 3,
        quiet_seconds: 6,
    };
}

/// Where the functions open issues.
#[derive(Clone, PartialEq, Eq)]
pub enum GitHubTarget {
    /// The in-process GitHub fake, in the repository [`FAKE_ISSUES_REPO`].
    Fake,
    /// A real GitHub repository.
    Real {
        /// `owner/name` of the repository that receives the issues.
        repository: String,
        /// Token with permission to write issues there; never logged.
        token: String,
        /// REST API base URL, or `None` for the functions' default (api.github.com).
        api_url: Option<String>,
    },
}

impl std::fmt::Debug for GitHubTarget {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fake => formatter.write_str("Fake"),
            Self::Real {
                repository,
                api_url,
                ..
            } => formatter
                .debug_struct("Real")
                .field("repository", repository)
                .field("api_url", api_url)
                .finish_non_exhaustive(),
        }
    }
}

/// Settings of the local stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The repository root (the workspace that `cargo lambda watch` runs).
    pub root: PathBuf,
    /// The `.tools` folder.
    pub tools_dir: PathBuf,
    /// Folder for the engines' log files.
    pub log_dir: PathBuf,
    /// Function binaries built before the watch server starts, so their first invocation does
    /// not compile them.
    pub prebuild: Vec<String>,
    /// Table the functions use.
    pub table: String,
    /// Name of the state machine created from the bundled definition.
    pub state_machine: String,
    /// Sync loop timing passed to the functions.
    pub sync: SyncWindows,
    /// Instances per function the watch server may run at once.
    pub function_concurrency: u32,
    /// Rebuild and restart functions when their source changes (interactive use).
    pub reload: bool,
    /// Where the functions open issues.
    pub github: GitHubTarget,
    /// Port for `POST /report`, used when free; otherwise, or when `None`, any free port.
    pub report_port: Option<u16>,
}

impl StackOptions {
    /// Defaults for the repository at `root`: tools in `root/.tools`, logs in
    /// `root/.local/logs/<process id>`, the deployed functions prebuilt, test sync windows.
    pub fn for_repository(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            tools_dir: root.join(".tools"),
            log_dir: root
                .join(".local")
                .join("logs")
                .join(std::process::id().to_string()),
            prebuild: FUNCTIONS
                .iter()
                .map(|function| function.name.to_owned())
                .collect(),
            table: "tally-local".to_owned(),
            state_machine: "tally-local".to_owned(),
            sync: SyncWindows::TESTS,
            function_concurrency: 4,
            reload: false,
            github: GitHubTarget::Fake,
            report_port: None,
        }
    }
}

/// The running engines. Dropping it stops all of them.
pub struct LocalStack {
    /// dynalite's URL.
    pub dynamodb_url: String,
    /// moto server's URL (Step Functions, executing state machines).
    pub moto_url: String,
    /// URL of the moto server for CloudFormation deployments, which does not execute.
    pub moto_cloudformation_url: String,
    /// The Invoke API adapter's URL.
    pub invoke_url: String,
    /// The watch server's URL (Invoke API without the Lambda response shape, and function URLs).
    pub watch_url: String,
    /// The table the functions use.
    pub table: String,
    /// The state machine created from the bundled definition, which the ingest function starts.
    pub state_machine_arn: String,
    /// Folder of the engines' log files.
    pub log_dir: PathBuf,
    cfn_lint: PathBuf,
    github: RunningFake,
    report: ReportProxy,
    // Fields drop in declaration order: moto first (it calls the adapter), then the adapter,
    // the watch server and dynalite.
    moto: ManagedProcess,
    moto_cloudformation: ManagedProcess,
    adapter: InvokeAdapter,
    watch: ManagedProcess,
    dynalite: ManagedProcess,
}

impl LocalStack {
    /// Installs missing tools, builds the prebuilt functions and starts every engine.
    pub async fn start(options: &StackOptions) -> Result<Self, StackError> {
        let tools = Tools::at(&options.tools_dir);
        let installed = tools.ensure_installed()?;
        if !installed.is_empty() {
            tracing::info!(?installed, "installed tools");
        }

        for function in &options.prebuild {
            build_function(&options.root, function)?;
        }

        let (dynalite, dynamodb_url) = start_dynalite(&tools, options).await?;
        create_table(&dynamodb_url, &options.table).await?;

        let github = GitHubFake::new()
            .spawn(SocketAddr::from((net::LOOPBACK, 0)))
            .await
            .map_err(|source| StackError::Listen {
                server: "GitHub fake",
                source,
            })?;

        // The adapter starts first, forwarding to the port the watch server will take, because
        // moto needs the adapter's port and the functions need the state machine's ARN from moto.
        let watch_port = net::free_port()?;
        let watch_url = loopback_url(watch_port);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((net::LOOPBACK, 0)))
            .await
            .map_err(|source| StackError::Listen {
                server: "Invoke API adapter",
                source,
            })?;
        let adapter =
            invoke_adapter::serve(listener, &watch_url).map_err(|source| StackError::Listen {
                server: "Invoke API adapter",
                source,
            })?;

        let role = MotoRole::Executing {
            adapter_port: adapter.addr().port(),
        };
        let (moto, moto_url) = start_moto(&tools, options, role).await?;
        // moto 5.2.5 keeps state machines created by CloudFormation in another backend than the
        // executing one, so template deployments get a moto server of their own.
        let (moto_cloudformation, moto_cloudformation_url) =
            start_moto(&tools, options, MotoRole::CloudFormation).await?;
        let state_machine_arn = create_state_machine(&moto_url, &options.state_machine).await?;

        let endpoints = FunctionEndpoints {
            dynamodb: dynamodb_url.clone(),
            sfn: moto_url.clone(),
            github: github.url.clone(),
            state_machine_arn: state_machine_arn.clone(),
        };
        let watch = start_watch(&tools, options, watch_port, &endpoints).await?;
        let report = start_report_proxy(options.report_port, &watch_url).await?;

        let stack = Self {
            dynamodb_url,
            moto_url,
            moto_cloudformation_url,
            invoke_url: adapter.url(),
            watch_url,
            table: options.table.clone(),
            state_machine_arn,
            log_dir: options.log_dir.clone(),
            cfn_lint: tools.cfn_lint(),
            github,
            report,
            moto,
            moto_cloudformation,
            adapter,
            watch,
            dynalite,
        };
        tracing::info!(
            dynamodb = %stack.dynamodb_url,
            moto = %stack.moto_url,
            invoke = %stack.invoke_url,
            github = %stack.github.url,
            report = %stack.report.report_url(),
            logs = %stack.log_dir.display(),
            "local stack ready"
        );
        Ok(stack)
    }

    /// Returns the URL of `POST /report`, which forwards to the ingest function.
    pub fn report_url(&self) -> String {
        self.report.report_url()
    }

    /// The GitHub fake's base URL.
    pub fn github_url(&self) -> &str {
        &self.github.url
    }

    /// The GitHub fake, to print or inspect the issues it holds.
    pub fn github(&self) -> &GitHubFake {
        &self.github.fake
    }

    /// The `TALLY_TEST_*` variables that point the integration tests at this stack.
    pub fn test_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (test_env::DYNAMODB_URL, self.dynamodb_url.clone()),
            (test_env::MOTO_URL, self.moto_url.clone()),
            (
                test_env::MOTO_CLOUDFORMATION_URL,
                self.moto_cloudformation_url.clone(),
            ),
            (test_env::GITHUB_URL, self.github.url.clone()),
            (test_env::TABLE, self.table.clone()),
            (test_env::STATE_MACHINE_ARN, self.state_machine_arn.clone()),
            (test_env::INVOKE_URL, self.invoke_url.clone()),
            (test_env::WATCH_URL, self.watch_url.clone()),
            (test_env::REPORT_URL, self.report.report_url()),
            (test_env::CFN_LINT, self.cfn_lint.display().to_string()),
        ]
    }

    /// The engines' log files, for a message after a failure.
    pub fn log_files(&self) -> Vec<PathBuf> {
        [&self.dynalite, &self.watch, &self.moto, &self.moto_cloudformation]
            .iter()
            .map(|process| process.log().to_owned())
            .collect()
    }

    /// Stops every engine and waits for the in-process servers to end.
    pub async fn stop(mut self) {
        self.moto.stop();
        self.moto_cloudformation.stop();
        self.watch.stop();
        self.dynalite.stop();
        let Self {
            adapter, github, ..
        } = self;
        adapter.shutdown().await;
        if let Err(error) = github.shutdown().await {
            tracing::warn!(%error, "the GitHub fake stopped with an error");
        }
    }
}

/// Builds one function binary the way `cargo lambda watch` will run it (`cargo build --bin`), so
/// the watch server finds it up to date.
fn build_function(root: &Path, function: &str) -> Result<(), StackError> {
    tracing::info!(function, "building function binary");
    let status = Command::new(cargo())
        .args(["build", "--bin", function])
        .current_dir(root)
        .stdin(Stdio::null())
        .status()
        .map_err(|source| StackError::Cargo {
            function: function.to_owned(),
            source,
        })?;
    if !status.success() {
        return Err(StackError::Build {
            function: function.to_owned(),
            status,
        });
    }
    Ok(())
}

/// The cargo that runs this build, or `cargo` from `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

async fn start_dynalite(
    tools: &Tools,
    options: &StackOptions,
) -> Result<(ManagedProcess, String), StackError> {
    let port = net::free_port()?;
    let mut command = Command::new("node");
    command
        .arg(tools.dynalite_cli())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()]);
    // Tables become ACTIVE after 500 ms by default; 50 ms keeps table creation in tests short.
    command.args([
        "--createTableMs",
        "50",
        "--deleteTableMs",
        "50",
        "--updateTableMs",
        "50",
    ]);

    let mut process =
        ManagedProcess::spawn("dynalite", command, &options.log_dir.join("dynalite.log"))?;
    wait_ready(&mut process, START_TIMEOUT, || {
        net::accepts_connections(port)
    })
    .await?;
    Ok((process, loopback_url(port)))
}

/// Endpoints of the functions' AWS and GitHub calls.
struct FunctionEndpoints {
    dynamodb: String,
    sfn: String,
    github: String,
    state_machine_arn: String,
}

async fn start_watch(
    tools: &Tools,
    options: &StackOptions,
    port: u16,
    endpoints: &FunctionEndpoints,
) -> Result<ManagedProcess, StackError> {
    let mut command = Command::new(tools.cargo_lambda());
    command.args(["lambda", "watch", "--invoke-address", "127.0.0.1"]);
    command.args(["--invoke-port", &port.to_string()]);
    command.args(["--concurrency", &options.function_concurrency.to_string()]);
    if !options.reload {
        command.arg("--ignore-changes");
    }
    command.current_dir(&options.root);
    command.env("PATH", path_with(&tools.venv_bin()));
    command.envs(function_env(options, endpoints));

    let mut process = ManagedProcess::spawn(
        "cargo-lambda-watch",
        command,
        &options.log_dir.join("watch.log"),
    )?;
    wait_ready(&mut process, START_TIMEOUT, || {
        net::accepts_connections(port)
    })
    .await?;
    Ok(process)
}

/// Environment of the function binaries: tally's configuration, and AWS settings that keep every
/// SDK call on the local engines.
fn function_env(options: &StackOptions, endpoints: &FunctionEndpoints) -> Vec<(String, String)> {
    let sync = options.sync;
    let mut vars = vec![
        (env::TABLE_NAME, options.table.clone()),
        (env::STATE_MACHINE_ARN, endpoints.state_machine_arn.clone()),
        // Local reports are unsigned, as in a stack synthesized with `--auth-mode none`.
        (env::AUTH_MODE, "none".to_owned()),
        (
            env::SYNC_DEBOUNCE_SECONDS,
            sync.debounce_seconds.to_string(),
        ),
        (
            env::SYNC_MAX_WAIT_SECONDS,
            sync.max_wait_seconds.to_string(),
        ),
        (env::SYNC_QUIET_SECONDS, sync.quiet_seconds.to_string()),
    ];
    match &options.github {
        GitHubTarget::Fake => {
            vars.push((env::ISSUES_REPO, FAKE_ISSUES_REPO.to_owned()));
            vars.push((env::GITHUB_API_URL, endpoints.github.clone()));
            vars.push((env::GITHUB_TOKEN, FAKE_GITHUB_TOKEN.to_owned()));
        }
        GitHubTarget::Real {
            repository,
            token,
            api_url,
        } => {
            vars.push((env::ISSUES_REPO, repository.clone()));
            vars.push((env::GITHUB_TOKEN, token.clone()));
            if let Some(api_url) = api_url {
                vars.push((env::GITHUB_API_URL, api_url.clone()));
            }
        }
    }
    vars.extend(aws_env(&endpoints.dynamodb));
    vars.push(("AWS_ENDPOINT_URL_SFN", endpoints.sfn.clone()));
    vars.into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// AWS SDK settings for a process whose calls must stay local: dummy credentials, a fixed region,
/// dynalite as the endpoint of every service without its own, and no instance metadata lookups.
fn aws_env(dynamodb_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", dynamodb_url.to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_url.to_owned()),
        ("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}

/// Which moto server to start.
#[derive(Debug, Clone, Copy)]
enum MotoRole {
    /// Executes state machines, calling Lambda tasks through the adapter on this port.
    Executing { adapter_port: u16 },
    /// Serves CloudFormation deployments without executing state machines.
    CloudFormation,
}

async fn start_moto(
    tools: &Tools,
    options: &StackOptions,
    role: MotoRole,
) -> Result<(ManagedProcess, String), StackError> {
    let port = net::free_port()?;
    let mut command = Command::new(tools.moto_server());
    command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    command.env("AWS_EC2_METADATA_DISABLED", "true");
    let (name, settings) = match role {
        MotoRole::Executing { adapter_port } => {
            // moto's Step Functions interpreter sends Lambda invocations to localhost:$MOTO_PORT.
            command.env("MOTO_PORT", adapter_port.to_string());
            (
                "moto",
                serde_json::json!({ "stepfunctions": { "execute_state_machine": true } }),
            )
        }
        MotoRole::CloudFormation => ("moto-cloudformation", serde_json::json!({})),
    };

    let log = options.log_dir.join(format!("{name}.log"));
    let mut process = ManagedProcess::spawn(name, command, &log)?;
    let url = loopback_url(port);
    let client = reqwest::Client::new();

    // Posting the settings doubles as the readiness check.
    let config_url = format!("{url}/moto-api/config");
    wait_ready(&mut process, START_TIMEOUT, || {
        let request = client
            .post(&config_url)
            .json(&settings)
            .timeout(Duration::from_secs(5));
        async move {
            let response = request.send().await.map_err(|error| error.to_string())?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!(
                    "POST /moto-api/config returned {}",
                    response.status()
                ))
            }
        }
    })
    .await?;

    // NOTE: moto 5.2.5 leaves the stepfunctions setting out of GET /moto-api/config, so it
    // cannot be checked here. The emulator chain tests fail if executions do not run.
    Ok((process, url))
}

/// Serves `POST /report` on `preferred` when that port is free, else on any free port.
async fn start_report_proxy(
    preferred: Option<u16>,
    watch_url: &str,
) -> Result<ReportProxy, StackError> {
    let listen_error = |source| StackError::Listen {
        server: "report server",
        source,
    };
    let listener = match preferred {
        Some(port) => {
            match tokio::net::TcpListener::bind(SocketAddr::from((net::LOOPBACK, port))).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::info!(port, %error, "the preferred report port is taken, using a free one");
                    tokio::net::TcpListener::bind(SocketAddr::from((net::LOOPBACK, 0)))
                        .await
                        .map_err(listen_error)?
                }
            }
        }
        None => tokio::net::TcpListener::bind(SocketAddr::from((net::LOOPBACK, 0)))
            .await
            .map_err(listen_error)?,
    };
    report_proxy::serve(listener, watch_url).map_err(listen_error)
}

/// Creates the state machine `name` in moto from the bundled definition, with the plain function
/// names that the Invoke API adapter forwards to the watch server, and returns its ARN.
async fn create_state_machine(moto_url: &str, name: &str) -> Result<String, StackError> {
    let definition = state_machine_definition(OPEN_ISSUE.name, SYNC_OCCURRENCES.name);
    let client = aws_sdk_sfn::Client::new(&sdk_config(moto_url).await);

    let created = client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(LOCAL_ROLE_ARN)
        .send()
        .await
        .map_err(|error| StackError::StateMachine {
            name: name.to_owned(),
            message: aws_sdk_sfn::error::DisplayErrorContext(error).to_string(),
        })?;
    Ok(created.state_machine_arn)
}

/// Creates tally's table (key and TTL as in the CloudFormation template) and waits until it is
/// ACTIVE, since dynalite rejects writes to a table that is still CREATING.
async fn create_table(dynamodb_url: &str, table: &str) -> Result<(), StackError> {
    let table_error = |message: String| StackError::Table {
        table: table.to_owned(),
        message,
    };
    let client = dynamodb_client(dynamodb_url).await;
    let key = crate::stack::TABLE.partition_key;

    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|error| table_error(error.to_string()))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|error| table_error(error.to_string()))?,
        )
        .send()
        .await
        .map_err(|error| {
            table_error(aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string())
        })?;

    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        let description = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|error| {
                table_error(aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string())
            })?;
        let status = description
            .table()
            .and_then(|table| table.table_status().cloned());
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(table_error(format!(
                "still {status:?} after {START_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a DynamoDB client for dynalite at `url`, with dummy credentials.
pub async fn dynamodb_client(url: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(url).await)
}

/// Builds an AWS SDK configuration for a local engine at `url`: dummy credentials, fixed region.
pub async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        DUMMY_KEY_ID,
        DUMMY_SECRET,
        None,
        None,
        "tally-local",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(credentials)
        .endpoint_url(url)
        .load()
        .await
}

/// `PATH` with `first` in front, so child processes find the pinned tools before any others.
fn path_with(first: &Path) -> std::ffi::OsString {
    let mut paths = vec![first.to_owned()];
    if let Some(current) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&current));
    }
    std::env::join_paths(paths).unwrap_or_else(|_| first.as_os_str().to_owned())
}
