//! tally's stack as typed CloudFormation: the table, the three functions, the HTTP API, the
//! state machine, IAM roles, alarms and the dashboard.
//!
//! [`template`] builds the whole template from [`StackOptions`]; the submodules add one group of
//! resources each. Values that change per deployment are template parameters (see [`names`]).

mod api;
pub mod definition;
pub mod functions;
mod monitoring;
pub mod names;
mod options;
pub mod permissions;
pub mod table;
mod workflow;

use thiserror::Error;

use crate::cfn::{Expr, Parameter, Template};

pub use api::REPORT_ROUTE_KEY;
pub use definition::{DefinitionError, state_machine_definition, substitute_function_arns};
pub use monitoring::{
    DUPLICATE_REPORTS, GITHUB_ERRORS, ISSUES_OPENED, METRIC_NAMES, METRICS_NAMESPACE,
    REPORTS_RECEIVED,
};
pub use options::{
    FunctionSize, GitHubAuth, OptionsError, RegressionMode, ReportAuth, StackOptions,
};
pub use table::{TABLE, TableSpec, table_key_attribute, ttl_attribute};

use functions::FUNCTIONS;
use names::{ids, outputs, parameters};

/// Pattern of a full Secrets Manager secret ARN, including the six-character suffix that
/// Secrets Manager appends to the name; IAM matches the ARN exactly.
pub const SECRET_ARN_PATTERN: &str = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$";

/// Pattern of `owner/name` on GitHub.
pub const REPO_PATTERN: &str = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$";

/// Options or a definition that cannot produce a deployable template.
#[derive(Debug, Error)]
pub enum StackError {
    /// An option is out of range.
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// The state machine definition is invalid.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
}

/// Builds the template for `options` with the state machine `definition` (ASL JSON with the
/// function ARN placeholders of [`definition`]).
pub fn template(options: &StackOptions, definition: &str) -> Result<Template, StackError> {
    options.validate()?;
    definition::check_definition(definition)?;

    let mut template =
        Template::new("tally: deduplicates error reports into one GitHub issue per fingerprint");
    add_parameters(&mut template, options);

    table::add_table(&mut template);
    functions::add_functions(&mut template, options);
    workflow::add_state_machine(&mut template, options, definition);
    api::add_http_api(&mut template, options);
    monitoring::add_alarms(&mut template, options);
    monitoring::add_dashboard(&mut template);

    add_outputs(&mut template);
    Ok(template)
}

/// Adds the parameters that `tally deploy` fills for each deployment.
fn add_parameters(template: &mut Template, options: &StackOptions) {
    let secret = |what: &str| {
        Parameter::string(
            &format!("Secrets Manager ARN of {what}"),
            SECRET_ARN_PATTERN,
            "must be a full secret ARN, ending with the six-character suffix",
        )
    };
    let s3_key = |function: &str| {
        Parameter::string(
            &format!("S3 key of the {function} function's zip in the artifact bucket"),
            r"^[A-Za-z0-9/_.-]+\.zip$",
            "must be an S3 key ending in .zip",
        )
    };

    template.add_parameter(
        parameters::ARTIFACT_BUCKET,
        Parameter::string(
            "S3 bucket holding the function zips",
            r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "must be an S3 bucket name",
        ),
    );
    for spec in FUNCTIONS {
        template.add_parameter(spec.code_key_parameter, s3_key(spec.name));
    }
    template.add_parameter(
        parameters::ISSUES_REPO,
        Parameter::string(
            "GitHub repository that receives the issues, as owner/name",
            REPO_PATTERN,
            "must be owner/name",
        ),
    );
    match options.github_auth {
        GitHubAuth::Token => {
            template.add_parameter(parameters::GITHUB_TOKEN_SECRET_ARN, secret("the GitHub token"));
        }
        GitHubAuth::App => {
            template.add_parameter(
                parameters::GITHUB_APP_ID,
                Parameter::string("GitHub App id", "^[0-9]+$", "must be a number"),
            );
            template.add_parameter(
                parameters::GITHUB_APP_KEY_SECRET_ARN,
                secret("the GitHub App's PEM private key"),
            );
        }
    }
    if options.report_auth == ReportAuth::Hmac {
        template.add_parameter(parameters::HMAC_SECRET_ARN, secret("the report HMAC secret"));
    }
}

/// Adds the report URL, table and state machine names, and console links.
fn add_outputs(template: &mut Template) {
    template.add_output(
        outputs::REPORT_URL,
        "URL that bots POST error reports to",
        Expr::sub(format!(
            "https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/report",
            ids::HTTP_API
        )),
    );
    template.add_output(
        outputs::TABLE_NAME,
        "DynamoDB table with one item per fingerprint (retained when the stack is deleted)",
        Expr::reference(ids::TABLE),
    );
    template.add_output(
        outputs::STATE_MACHINE_NAME,
        "State machine that opens and syncs issues",
        Expr::get_att(ids::STATE_MACHINE, "Name"),
    );
    template.add_output(
        outputs::STATE_MACHINE_ARN,
        "ARN of the state machine",
        Expr::reference(ids::STATE_MACHINE),
    );
    template.add_output(
        outputs::EXECUTIONS_CONSOLE_URL,
        "Step Functions console page listing the executions",
        Expr::sub(format!(
            "https://${{AWS::Region}}.console.aws.amazon.com/states/home?region=${{AWS::Region}}#/statemachines/view/${{{}}}",
            ids::STATE_MACHINE
        )),
    );
    template.add_output(
        outputs::DASHBOARD_CONSOLE_URL,
        "CloudWatch dashboard of reports, issues and failures",
        Expr::sub(format!(
            "https://${{AWS::Region}}.console.aws.amazon.com/cloudwatch/home?region=${{AWS::Region}}#dashboards:name=${{{}}}",
            ids::DASHBOARD
        )),
    );
}
