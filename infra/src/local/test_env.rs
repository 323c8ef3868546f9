//! Names of the `TALLY_TEST_*` environment variables that `tally local --exec` sets to the
//! address of each local engine for the integration tests.

/// dynalite's endpoint, `http://127.0.0.1:PORT`.
pub const DYNAMODB_URL: &str = "TALLY_TEST_DYNAMODB_URL";

/// moto server's endpoint (Step Functions, CloudFormation).
pub const MOTO_URL: &str = "TALLY_TEST_MOTO_URL";

/// A second moto server for CloudFormation deployments (`tally deploy` tests). It does not execute
/// state machines, because moto 5.2.5 keeps those that CloudFormation creates in another backend
/// than the executing one, where `DescribeStateMachine` does not find them.
pub const MOTO_CLOUDFORMATION_URL: &str = "TALLY_TEST_MOTO_CLOUDFORMATION_URL";

/// The GitHub fake's base URL; its control routes are under `/_fake/`.
pub const GITHUB_URL: &str = "TALLY_TEST_GITHUB_URL";

/// The table the functions under `cargo lambda watch` use.
pub const TABLE: &str = "TALLY_TEST_TABLE";

/// ARN of the state machine `tally local` creates from the bundled definition; the ingest function
/// under watch starts its executions.
pub const STATE_MACHINE_ARN: &str = "TALLY_TEST_STATE_MACHINE_ARN";

/// The Invoke API adapter's base URL: Lambda Invoke API with Lambda's response shape.
pub const INVOKE_URL: &str = "TALLY_TEST_INVOKE_URL";

/// The watch server's base URL, for function URLs (`/lambda-url/NAME/...`).
pub const WATCH_URL: &str = "TALLY_TEST_WATCH_URL";

/// URL of `POST /report`, forwarded to the ingest function under watch.
pub const REPORT_URL: &str = "TALLY_TEST_REPORT_URL";

/// Path of the pinned cfn-lint executable in `.tools`, for the template lint test.
pub const CFN_LINT: &str = "TALLY_TEST_CFN_LINT";

/// Every variable above.
pub const ALL: &[&str] = &[
    DYNAMODB_URL,
    MOTO_URL,
    MOTO_CLOUDFORMATION_URL,
    GITHUB_URL,
    TABLE,
    INVOKE_URL,
    WATCH_URL,
    REPORT_URL,
    CFN_LINT,
];
