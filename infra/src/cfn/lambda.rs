//! `AWS::Lambda::*`: functions and the resource policy that lets a service invoke one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Expr;

/// `AWS::Lambda::Function` deployed from a zip in S3.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    /// Text shown in the console.
    pub description: String,
    /// Runtime identifier, such as `provided.al2023` for a `bootstrap` executable.
    pub runtime: &'static str,
    /// Instruction set: `arm64` or `x86_64`.
    pub architectures: Vec<&'static str>,
    /// Entry point; custom runtimes ignore it, but CloudFormation requires a value.
    pub handler: &'static str,
    /// Location of the zip.
    pub code: Code,
    /// Memory in MB; CPU share grows with it.
    pub memory_size: u32,
    /// Maximum run time of one invocation in seconds.
    pub timeout: u32,
    /// ARN of the execution role.
    pub role: Expr,
    /// Environment variables.
    pub environment: Environment,
    /// Log format and destination.
    pub logging_config: LoggingConfig,
}

/// Zip archive in S3.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// Bucket name.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Expr,
    /// Object key.
    #[serde(rename = "S3Key")]
    pub s3_key: Expr,
}

/// Environment variables of a function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    /// Values by variable name.
    pub variables: BTreeMap<String, Expr>,
}

/// Where and in which format Lambda writes a function's logs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// `JSON` or `Text`; the Rust runtime reads the choice from `AWS_LAMBDA_LOG_FORMAT`.
    pub log_format: &'static str,
    /// Name of the log group.
    pub log_group: Expr,
}

/// `AWS::Lambda::Permission`: one statement of a function's resource policy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permission {
    /// Allowed action, such as `lambda:InvokeFunction`.
    pub action: &'static str,
    /// Name or ARN of the function.
    pub function_name: Expr,
    /// Service principal, such as `apigateway.amazonaws.com`.
    pub principal: &'static str,
    /// ARN pattern of the calling resource; Lambda compares it with `StringLike`.
    pub source_arn: Expr,
}
