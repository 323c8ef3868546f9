//! `tally deploy`: builds the functions, uploads them, and creates or updates the stack through
//! a change set while showing its events. With `--dry-run` it only prints the change set.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use aws_sdk_cloudformation::types::ChangeSetType;
use regex::Regex;

use crate::aws::cloudformation::{self as cfn, ChangeSetOutcome, StackPhase, TemplateSource};
use crate::aws::{self, Aws, artifacts};
use crate::commands::synth::TemplateArgs;
use crate::stack::names::parameters;
use crate::stack::{GitHubAuth, REPO_PATTERN, ReportAuth, SECRET_ARN_PATTERN};

/// Pattern of a CloudFormation stack name.
const STACK_NAME_PATTERN: &str = "^[A-Za-z][A-Za-z0-9-]{0,127}$";

/// Options of `tally deploy`.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("github").required(true).args(["github_token_secret", "github_app_id"])
))]
pub struct DeployArgs {
    /// Name of the CloudFormation stack to create or update.
    #[arg(long, value_name = "NAME")]
    pub stack: String,

    /// GitHub repository that receives the issues.
    #[arg(long, value_name = "OWNER/REPO")]
    pub issues_repo: String,

    /// Secrets Manager ARN of the GitHub token (full ARN with its six-character suffix).
    #[arg(long, value_name = "ARN")]
    pub github_token_secret: Option<String>,

    /// GitHub App id, to authenticate as an App instead of with a token.
    #[arg(long, value_name = "ID", requires = "github_app_key_secret")]
    pub github_app_id: Option<String>,

    /// Secrets Manager ARN of the GitHub App's PEM private key.
    #[arg(long, value_name = "ARN", requires = "github_app_id")]
    pub github_app_key_secret: Option<String>,

    /// Secrets Manager ARN of the HMAC secret that signs reports (required with --auth-mode
    /// hmac, the default).
    #[arg(long, value_name = "ARN")]
    pub hmac_secret: Option<String>,

    /// S3 bucket for the function zips, created if missing [default:
    /// tally-artifacts-ACCOUNT-REGION].
    #[arg(long, value_name = "NAME")]
    pub artifact_bucket: Option<String>,

    /// Use the zips already in the artifacts directory instead of running cargo-lambda.
    #[arg(long)]
    pub skip_build: bool,

    /// Directory with one `<function>/bootstrap.zip` per function [default: target/lambda in
    /// the workspace].
    #[arg(long, value_name = "DIR")]
    pub artifacts_dir: Option<PathBuf>,

    /// Print the change set and delete it without executing it.
    #[arg(long)]
    pub dry_run: bool,

    /// Minutes to wait for the stack operation before giving up.
    #[arg(long, default_value_t = 30, value_name = "MINUTES")]
    pub timeout_minutes: u64,

    /// Options that shape the template.
    #[command(flatten)]
    pub template: TemplateArgs,
}

/// The checked deployment inputs that do not depend on AWS.
#[derive(Debug)]
struct Plan {
    /// Template parameters other than the artifact bucket and code keys.
    parameters: Vec<(String, String)>,
    template: String,
}

/// Runs `tally deploy`.
pub fn run(args: &DeployArgs) -> anyhow::Result<ExitCode> {
    let plan = plan(args)?;
    let artifacts_dir = artifacts_dir(args)?;

    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(deploy(args, &plan, &artifacts_dir))
}

/// Checks every option and synthesizes the template, before any AWS call.
fn plan(args: &DeployArgs) -> anyhow::Result<Plan> {
    check_pattern("--stack", &args.stack, STACK_NAME_PATTERN)?;
    check_pattern("--issues-repo", &args.issues_repo, REPO_PATTERN)?;

    let mut parameters = vec![(parameters::ISSUES_REPO.to_owned(), args.issues_repo.clone())];
    let github_auth =
        match (&args.github_token_secret, &args.github_app_id, &args.github_app_key_secret) {
            (Some(token), None, None) => {
                check_pattern("--github-token-secret", token, SECRET_ARN_PATTERN)?;
                parameters.push((parameters::GITHUB_TOKEN_SECRET_ARN.to_owned(), token.clone()));
                GitHubAuth::Token
            }
            (None, Some(app_id), Some(key)) => {
                check_pattern("--github-app-id", app_id, "^[0-9]+$")?;
                check_pattern("--github-app-key-secret", key, SECRET_ARN_PATTERN)?;
                parameters.push((parameters::GITHUB_APP_ID.to_owned(), app_id.clone()));
                parameters.push((parameters::GITHUB_APP_KEY_SECRET_ARN.to_owned(), key.clone()));
                GitHubAuth::App
            }
            _ => bail!(
                "give either --github-token-secret ARN, or --github-app-id ID with \
             --github-app-key-secret ARN"
            ),
        };

    match (args.template.auth_mode, &args.hmac_secret) {
        (ReportAuth::Hmac, Some(arn)) => {
            check_pattern("--hmac-secret", arn, SECRET_ARN_PATTERN)?;
            parameters.push((parameters::HMAC_SECRET_ARN.to_owned(), arn.clone()));
        }
        (ReportAuth::Hmac, None) => bail!(
            "missing --hmac-secret ARN: reports are HMAC-signed unless you pass --auth-mode none \
             to accept unsigned reports"
        ),
        (ReportAuth::None, Some(_)) => {
            bail!("--hmac-secret is unused with --auth-mode none: drop one of the two")
        }
        (ReportAuth::None, None) => {}
    }

    let template = args.template.synthesize(github_auth)?;
    Ok(Plan { parameters, template })
}

/// Fails with a message naming `flag` when `value` does not match `pattern`.
fn check_pattern(flag: &str, value: &str, pattern: &str) -> anyhow::Result<()> {
    let regex = Regex::new(pattern).with_context(|| format!("invalid pattern for {flag}"))?;
    if !regex.is_match(value) {
        bail!("invalid {flag} {value:?}: it must match {pattern}");
    }
    Ok(())
}

/// Returns the directory that contains the zips: `--artifacts-dir`, or `lambda` in the
/// workspace's target directory.
fn artifacts_dir(args: &DeployArgs) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &args.artifacts_dir {
        return Ok(dir.clone());
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root()?.join("target"),
    };
    Ok(target.join("lambda"))
}

/// Root of the cargo workspace around the current directory.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let output = Command::new("cargo")
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .context("failed to run cargo locate-project")?;
    if !output.status.success() {
        bail!(
            "no cargo workspace around the current directory: run tally deploy inside the tally \
             checkout, or pass --artifacts-dir with --skip-build"
        );
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("cargo returned a manifest path without a directory")
}

/// Builds, uploads and deploys.
async fn deploy(args: &DeployArgs, plan: &Plan, artifacts_dir: &Path) -> anyhow::Result<ExitCode> {
    let aws = aws::connect().await?;
    eprintln!("Deploying stack {} to account {} in {}", args.stack, aws.account_id, aws.region);

    if !args.skip_build {
        let workspace = artifacts_dir.parent().and_then(Path::parent).map(Path::to_path_buf);
        let workspace = match workspace {
            Some(dir) if dir.join("Cargo.toml").exists() => dir,
            _ => workspace_root()?,
        };
        artifacts::build(&workspace)?;
    }
    let built = artifacts::locate(artifacts_dir)?;

    let bucket = match &args.artifact_bucket {
        Some(bucket) => bucket.clone(),
        None => artifacts::default_bucket_name(&aws.account_id, &aws.region),
    };
    artifacts::ensure_bucket(&aws.s3, &bucket, &aws.region).await?;
    artifacts::upload(&aws.s3, &bucket, &built).await?;

    let mut parameters = plan.parameters.clone();
    parameters.push((parameters::ARTIFACT_BUCKET.to_owned(), bucket.clone()));
    for artifact in &built {
        parameters.push((artifact.function.code_key_parameter.to_owned(), artifact.key.clone()));
    }
    let template = template_source(&aws, &bucket, &args.stack, &plan.template).await?;

    apply_change_set(args, &aws, &template, &parameters).await
}

/// Returns the template inline, or uploads it to the artifact bucket and returns its URL when it
/// is too large to send inline.
async fn template_source(
    aws: &Aws,
    bucket: &str,
    stack: &str,
    template: &str,
) -> anyhow::Result<TemplateSource> {
    if template.len() <= cfn::MAX_TEMPLATE_BODY_BYTES {
        return Ok(TemplateSource::Body(template.to_owned()));
    }
    let key = format!("tally/templates/{stack}-{}.json", unix_seconds());
    aws.s3
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(template.as_bytes().to_vec().into())
        .send()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "failed to upload the template to s3://{bucket}/{key}: {}",
                crate::aws::error_text(&error)
            )
        })?;
    Ok(TemplateSource::Url(format!("https://{bucket}.s3.{}.amazonaws.com/{key}", aws.region)))
}

/// Creates the change set, then prints it (dry run) or executes it and follows the stack.
async fn apply_change_set(
    args: &DeployArgs,
    aws: &Aws,
    template: &TemplateSource,
    parameters: &[(String, String)],
) -> anyhow::Result<ExitCode> {
    let client = &aws.cloudformation;
    let existing = cfn::describe_stack(client, &args.stack).await?;
    let kind = cfn::change_set_type(&args.stack, existing.as_ref())?;

    let name = format!("tally-{}", unix_seconds());
    let created =
        cfn::create_change_set(client, &args.stack, &name, kind.clone(), template, parameters)
            .await?;
    let outcome = match &created {
        Some(change_set) => cfn::wait_for_change_set(client, change_set).await?,
        None => ChangeSetOutcome::NoChanges,
    };
    let (change_set, changes) = match (created, outcome) {
        (Some(change_set), ChangeSetOutcome::Ready(changes)) => (change_set, changes),
        (created, _) => {
            if let Some(change_set) = created {
                cfn::delete_change_set(client, &change_set).await?;
            }
            eprintln!("Stack {} is up to date: no changes to deploy", args.stack);
            print_outputs(client, &args.stack).await?;
            return Ok(ExitCode::SUCCESS);
        }
    };

    println!("Change set {name} for stack {}:", args.stack);
    print!("{}", cfn::format_changes(&changes));

    if args.dry_run {
        cfn::delete_change_set(client, &change_set).await?;
        // A CREATE change set leaves an empty stack in REVIEW_IN_PROGRESS behind.
        if kind == ChangeSetType::Create {
            client.delete_stack().stack_name(&args.stack).send().await.map_err(|error| {
                anyhow::anyhow!(
                    "failed to remove the empty stack {} left by the dry run: {}",
                    args.stack,
                    crate::aws::error_text(&error)
                )
            })?;
        }
        eprintln!("Dry run: the change set was deleted without being executed");
        return Ok(ExitCode::SUCCESS);
    }

    let seen = cfn::event_ids(client, &args.stack).await?;
    client.execute_change_set().change_set_name(&change_set).send().await.map_err(|error| {
        anyhow::anyhow!("failed to execute change set {name}: {}", crate::aws::error_text(&error))
    })?;

    let stack_id = cfn::describe_stack(client, &args.stack)
        .await?
        .and_then(|stack| stack.stack_id)
        .unwrap_or_else(|| args.stack.clone());
    let timeout = Duration::from_secs(args.timeout_minutes.saturating_mul(60));
    let status = cfn::follow_stack(client, &stack_id, seen, changes.len(), timeout).await?;
    if cfn::phase(&status) != StackPhase::Succeeded {
        bail!(
            "stack {} ended in {status}; the events above name the resource that failed and why",
            args.stack
        );
    }

    eprintln!("Stack {} is {status}", args.stack);
    print_outputs(client, &args.stack).await?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the stack outputs to stdout as `Key: value` lines.
async fn print_outputs(client: &aws_sdk_cloudformation::Client, stack: &str) -> anyhow::Result<()> {
    let described = cfn::describe_stack(client, stack)
        .await?
        .with_context(|| format!("stack {stack} not found"))?;
    let mut outputs = cfn::outputs(&described);
    outputs.sort();
    for (key, value) in outputs {
        println!("{key}: {value}");
    }
    Ok(())
}

/// Seconds since the Unix epoch, for unique change set and template names.
fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}
