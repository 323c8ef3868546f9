//! Logical ids, parameter names and output names of the stack.
//!
//! `tally deploy` fills the parameters and reads the outputs by these names, and the tests look
//! resources up by them, so each name is written once here.

/// Logical ids of the resources.
pub mod ids {
    /// The DynamoDB table.
    pub const TABLE: &str = "Table";
    /// The HTTP API.
    pub const HTTP_API: &str = "HttpApi";
    /// The HTTP API's Lambda integration with the ingest function.
    pub const HTTP_API_INTEGRATION: &str = "HttpApiIngestIntegration";
    /// The `POST /report` route.
    pub const REPORT_ROUTE: &str = "ReportRoute";
    /// The `$default` stage.
    pub const HTTP_API_STAGE: &str = "HttpApiStage";
    /// The access log group of the HTTP API.
    pub const HTTP_API_LOG_GROUP: &str = "HttpApiAccessLogGroup";
    /// The permission that lets API Gateway invoke the ingest function.
    pub const INGEST_API_PERMISSION: &str = "IngestApiPermission";
    /// The state machine.
    pub const STATE_MACHINE: &str = "StateMachine";
    /// The role the state machine assumes.
    pub const STATE_MACHINE_ROLE: &str = "StateMachineRole";
    /// The state machine's log group.
    pub const STATE_MACHINE_LOG_GROUP: &str = "StateMachineLogGroup";
    /// The alarm on failed executions.
    pub const EXECUTIONS_FAILED_ALARM: &str = "ExecutionsFailedAlarm";
    /// The dashboard.
    pub const DASHBOARD: &str = "Dashboard";
}

/// Names of the template parameters.
pub mod parameters {
    /// S3 bucket that holds the function zips.
    pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
    /// Repository that receives the issues.
    pub const ISSUES_REPO: &str = "IssuesRepo";
    /// Secrets Manager ARN of the GitHub token.
    pub const GITHUB_TOKEN_SECRET_ARN: &str = "GitHubTokenSecretArn";
    /// GitHub App id.
    pub const GITHUB_APP_ID: &str = "GitHubAppId";
    /// Secrets Manager ARN of the GitHub App's private key.
    pub const GITHUB_APP_KEY_SECRET_ARN: &str = "GitHubAppKeySecretArn";
    /// Secrets Manager ARN of the HMAC secret.
    pub const HMAC_SECRET_ARN: &str = "HmacSecretArn";
}

/// Names of the template outputs.
pub mod outputs {
    /// URL that bots POST reports to.
    pub const REPORT_URL: &str = "ReportUrl";
    /// Name of the DynamoDB table.
    pub const TABLE_NAME: &str = "TableName";
    /// Name of the state machine.
    pub const STATE_MACHINE_NAME: &str = "StateMachineName";
    /// ARN of the state machine.
    pub const STATE_MACHINE_ARN: &str = "StateMachineArn";
    /// Console page that lists the state machine's executions.
    pub const EXECUTIONS_CONSOLE_URL: &str = "ExecutionsConsoleUrl";
    /// Console page of the dashboard.
    pub const DASHBOARD_CONSOLE_URL: &str = "DashboardConsoleUrl";
}
