//! The three Lambda functions: their code location, environment, log group and execution role.
//!
//! Each role grants only the calls its function makes: ingest claims fingerprints and starts
//! executions, the issue functions read and update items. Secrets are readable only by the
//! function that uses them.

use std::collections::BTreeMap;

use tally_core::env;

use crate::cfn::iam::{Policy, PolicyDocument, Role, Statement};
use crate::cfn::lambda::{Code, Environment, Function, LoggingConfig};
use crate::cfn::logs::LogGroup;
use crate::cfn::{Expr, Template};

use super::names::{ids, parameters};
use super::options::{FunctionSize, GitHubAuth, StackOptions};

/// One function of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Binary name; cargo-lambda writes `target/lambda/<name>/bootstrap.zip`.
    pub name: &'static str,
    /// Prefix of the logical ids of the function's resources, such as `Ingest`.
    pub id_prefix: &'static str,
    /// Template parameter that holds the S3 key of the function's zip.
    pub code_key_parameter: &'static str,
    /// What the function does.
    pub description: &'static str,
}

impl FunctionSpec {
    /// Logical id of the `AWS::Lambda::Function`.
    pub fn function_id(&self) -> String {
        format!("{}Function", self.id_prefix)
    }

    /// Logical id of the execution role.
    pub fn role_id(&self) -> String {
        format!("{}Role", self.id_prefix)
    }

    /// Logical id of the log group.
    pub fn log_group_id(&self) -> String {
        format!("{}LogGroup", self.id_prefix)
    }

    /// Logical id of the alarm on the function's errors.
    pub fn errors_alarm_id(&self) -> String {
        format!("{}ErrorsAlarm", self.id_prefix)
    }
}

/// The function behind `POST /report`.
pub const INGEST: FunctionSpec = FunctionSpec {
    name: "ingest",
    id_prefix: "Ingest",
    code_key_parameter: "IngestCodeKey",
    description: "Validates, fingerprints and claims error reports",
};

/// The function that opens one GitHub issue per fingerprint.
pub const OPEN_ISSUE: FunctionSpec = FunctionSpec {
    name: "open-issue",
    id_prefix: "OpenIssue",
    code_key_parameter: "OpenIssueCodeKey",
    description: "Opens the GitHub issue of a new fingerprint",
};

/// The function that writes occurrence counts to issues.
pub const SYNC_OCCURRENCES: FunctionSpec = FunctionSpec {
    name: "sync-occurrences",
    id_prefix: "SyncOccurrences",
    code_key_parameter: "SyncOccurrencesCodeKey",
    description: "Updates the occurrence count on a fingerprint's GitHub issue",
};

/// Every function, in build order.
pub const FUNCTIONS: [FunctionSpec; 3] = [INGEST, OPEN_ISSUE, SYNC_OCCURRENCES];

/// Adds the three functions with their log groups and roles.
pub(super) fn add_functions(template: &mut Template, options: &StackOptions) {
    let table_arn = Expr::get_att(ids::TABLE, "Arn");

    // ingest: claims the fingerprint (conditional put, counter update, lease check) and starts
    // the execution of the first report.
    let mut ingest_statements = vec![
        Statement::allow(
            "ClaimFingerprints",
            &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            vec![table_arn.clone()],
        ),
        Statement::allow(
            "StartExecutions",
            &["states:StartExecution"],
            vec![Expr::reference(ids::STATE_MACHINE)],
        ),
    ];
    if options.report_auth == super::ReportAuth::Hmac {
        ingest_statements.push(read_secret("ReadHmacSecret", parameters::HMAC_SECRET_ARN));
    }
    add_function(
        template,
        &INGEST,
        options.ingest,
        options,
        ingest_statements,
        ingest_env(options),
    );

    // open-issue and sync-occurrences: read the item, record the issue and counts, and read the
    // GitHub credentials.
    for (spec, size) in
        [(OPEN_ISSUE, options.open_issue), (SYNC_OCCURRENCES, options.sync_occurrences)]
    {
        let mut statements = vec![Statement::allow(
            "TrackIssues",
            &["dynamodb:GetItem", "dynamodb:UpdateItem"],
            vec![table_arn.clone()],
        )];
        statements.push(match options.github_auth {
            GitHubAuth::Token => {
                read_secret("ReadGitHubToken", parameters::GITHUB_TOKEN_SECRET_ARN)
            }
            GitHubAuth::App => {
                read_secret("ReadGitHubAppKey", parameters::GITHUB_APP_KEY_SECRET_ARN)
            }
        });
        add_function(template, &spec, size, options, statements, issue_env(options));
    }
}

/// Environment of the ingest function.
fn ingest_env(options: &StackOptions) -> BTreeMap<String, Expr> {
    let mut variables = BTreeMap::new();
    variables.insert(env::TABLE_NAME.to_owned(), Expr::reference(ids::TABLE));
    variables.insert(env::STATE_MACHINE_ARN.to_owned(), Expr::reference(ids::STATE_MACHINE));
    variables.insert(env::AUTH_MODE.to_owned(), Expr::literal(options.report_auth.as_env_value()));
    if options.report_auth == super::ReportAuth::Hmac {
        variables
            .insert(env::HMAC_SECRET_ARN.to_owned(), Expr::reference(parameters::HMAC_SECRET_ARN));
    }
    insert_number(&mut variables, env::CLAIM_LEASE_SECONDS, options.claim_lease_seconds);
    variables
}

/// Environment of the open-issue and sync-occurrences functions.
fn issue_env(options: &StackOptions) -> BTreeMap<String, Expr> {
    let mut variables = BTreeMap::new();
    variables.insert(env::TABLE_NAME.to_owned(), Expr::reference(ids::TABLE));
    variables.insert(env::ISSUES_REPO.to_owned(), Expr::reference(parameters::ISSUES_REPO));
    match options.github_auth {
        GitHubAuth::Token => {
            let arn = Expr::reference(parameters::GITHUB_TOKEN_SECRET_ARN);
            variables.insert(env::GITHUB_TOKEN_SECRET_ARN.to_owned(), arn);
        }
        GitHubAuth::App => {
            let id = Expr::reference(parameters::GITHUB_APP_ID);
            variables.insert(env::GITHUB_APP_ID.to_owned(), id);
            let arn = Expr::reference(parameters::GITHUB_APP_KEY_SECRET_ARN);
            variables.insert(env::GITHUB_APP_KEY_SECRET_ARN.to_owned(), arn);
        }
    }
    if let Some(mode) = options.regression_mode {
        variables.insert(env::REGRESSION_MODE.to_owned(), Expr::literal(mode.as_env_value()));
    }
    insert_number(&mut variables, env::SYNC_DEBOUNCE_SECONDS, options.sync_debounce_seconds);
    insert_number(&mut variables, env::SYNC_MAX_WAIT_SECONDS, options.sync_max_wait_seconds);
    insert_number(&mut variables, env::SYNC_QUIET_SECONDS, options.sync_quiet_seconds);
    variables
}

/// Sets `name` to `value` when the operator chose one; otherwise the function's default applies.
fn insert_number(variables: &mut BTreeMap<String, Expr>, name: &str, value: Option<u32>) {
    if let Some(value) = value {
        variables.insert(name.to_owned(), Expr::literal(value.to_string()));
    }
}

/// Allows reading the secret whose ARN is the template parameter `parameter`.
fn read_secret(sid: &str, parameter: &str) -> Statement {
    Statement::allow(sid, &["secretsmanager:GetSecretValue"], vec![Expr::reference(parameter)])
}

/// Adds one function, its log group and its role with `statements` plus log writing.
fn add_function(
    template: &mut Template,
    spec: &FunctionSpec,
    size: FunctionSize,
    options: &StackOptions,
    mut statements: Vec<Statement>,
    variables: BTreeMap<String, Expr>,
) {
    let log_group = LogGroup {
        log_group_name: Expr::sub(format!("/tally/${{AWS::StackName}}/{}", spec.name)),
        retention_in_days: options.log_retention_days,
    };
    template.add_resource(&spec.log_group_id(), log_group);

    // The log group exists before the function runs, so the role needs no logs:CreateLogGroup.
    statements.push(Statement::allow(
        "WriteLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![Expr::get_att(spec.log_group_id(), "Arn")],
    ));
    let role = Role {
        description: format!("Execution role of tally's {} function", spec.name),
        assume_role_policy_document: PolicyDocument::trust_service("lambda.amazonaws.com"),
        policies: vec![Policy {
            policy_name: spec.name.to_owned(),
            policy_document: PolicyDocument::new(statements),
        }],
    };
    template.add_resource(&spec.role_id(), role);

    let function = Function {
        description: spec.description.to_owned(),
        runtime: "provided.al2023",
        architectures: vec!["arm64"],
        handler: "bootstrap",
        code: Code {
            s3_bucket: Expr::reference(parameters::ARTIFACT_BUCKET),
            s3_key: Expr::reference(spec.code_key_parameter),
        },
        memory_size: size.memory_mb,
        timeout: size.timeout_seconds,
        role: Expr::get_att(spec.role_id(), "Arn"),
        environment: Environment { variables },
        logging_config: LoggingConfig {
            log_format: "JSON",
            log_group: Expr::reference(spec.log_group_id()),
        },
    };
    template.add_resource(&spec.function_id(), function);
}
