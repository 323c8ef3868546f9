//! AWS access for `tally deploy` and `tally destroy`: the SDK configuration from the usual AWS
//! settings (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, ...), checked for a region and
//! credentials before anything else runs.
//!
//! `artifacts` builds and uploads the function zips; `cloudformation` drives change sets and
//! follows stack events.

pub mod artifacts;
pub mod cloudformation;
mod progress;

use std::fmt::Debug;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudformation::config::ProvideCredentials;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

/// A missing or unusable AWS setting.
#[derive(Debug, Error)]
pub enum AwsSetupError {
    /// No region in the environment or profile.
    #[error(
        "no AWS region is set: set AWS_REGION (for example AWS_REGION=us-east-1) or a region in \
         the profile named by AWS_PROFILE"
    )]
    MissingRegion,
    /// The credential chain found nothing usable.
    #[error(
        "no AWS credentials found: set AWS_PROFILE to a configured profile, or \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ({0})"
    )]
    MissingCredentials(String),
    /// STS rejected the credentials or could not be reached.
    #[error("failed to verify the AWS credentials with sts:GetCallerIdentity: {0}")]
    CallerIdentity(String),
}

/// Clients and identity of one AWS account and region.
#[derive(Debug, Clone)]
pub struct Aws {
    /// Region every client talks to.
    pub region: String,
    /// Account the credentials belong to.
    pub account_id: String,
    /// CloudFormation client.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// S3 client; path-style when `AWS_ENDPOINT_URL` points at an emulator.
    pub s3: aws_sdk_s3::Client,
}

/// Loads the AWS settings, checks that a region and working credentials are present, and builds
/// the clients.
pub async fn connect() -> Result<Aws, AwsSetupError> {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = config.region().ok_or(AwsSetupError::MissingRegion)?.to_string();

    let provider = config
        .credentials_provider()
        .ok_or_else(|| AwsSetupError::MissingCredentials("no credential provider".to_owned()))?;
    provider.provide_credentials().await.map_err(|error| {
        AwsSetupError::MissingCredentials(DisplayErrorContext(&error).to_string())
    })?;

    let account_id = caller_account(&config).await?;
    Ok(Aws {
        region,
        account_id,
        cloudformation: aws_sdk_cloudformation::Client::new(&config),
        s3: s3_client(&config),
    })
}

/// Formats an SDK error on one line: `Code: message` for a service error, the whole
/// error chain otherwise (timeouts, connection and credential failures).
pub fn error_text<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let service = error.as_service_error();
    match (service.and_then(|e| e.code()), service.and_then(|e| e.message())) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}

/// Fetches the account id of the caller, which also proves the credentials work.
async fn caller_account(config: &SdkConfig) -> Result<String, AwsSetupError> {
    let sts = aws_sdk_sts::Client::new(config);
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| AwsSetupError::CallerIdentity(error_text(&error)))?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| AwsSetupError::CallerIdentity("the response has no account id".to_owned()))
}

/// Builds an S3 client. Emulators behind `AWS_ENDPOINT_URL` serve buckets under the path rather than
/// as subdomains, so a custom endpoint switches to path-style addressing.
fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config).force_path_style(path_style).build();
    aws_sdk_s3::Client::from_conf(s3_config)
}
