//! The client's settings read from the functions' environment, and the credentials they point to.
//!
//! Credentials come from, in order of precedence: a token in `TALLY_GITHUB_TOKEN` (local runs),
//! a token in Secrets Manager (`TALLY_GITHUB_TOKEN_SECRET_ARN`), or a GitHub App
//! (`TALLY_GITHUB_APP_ID` with its PEM key in `TALLY_GITHUB_APP_KEY_SECRET_ARN`). Secrets are
//! read once, at cold start, and never logged.

use std::time::Duration;

use tally_core::env;

use crate::config::{DEFAULT_API_URL, DEFAULT_TIMEOUT};
use crate::{ClientConfig, Credentials, GitHubError, Repository};

/// The source of the credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A token given directly.
    Token(String),
    /// A token stored in Secrets Manager under this ARN.
    TokenSecret(String),
    /// A GitHub App whose PEM key is stored in Secrets Manager.
    App {
        /// The App's id.
        app_id: u64,
        /// ARN of the secret holding the PEM key.
        key_secret_arn: String,
    },
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::TokenSecret(arn) => f.debug_tuple("TokenSecret").field(arn).finish(),
            Self::App { app_id, key_secret_arn } => {
                f.debug_struct("App").field("app_id", app_id).field("key_secret_arn", key_secret_arn).finish()
            }
        }
    }
}

/// GitHub settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubSettings {
    /// REST API base URL.
    pub api_url: String,
    /// The repository that receives the issues.
    pub repository: Repository,
    /// The source of the credentials.
    pub credentials: CredentialSource,
    /// Request timeout.
    pub timeout: Duration,
}

impl GitHubSettings {
    /// Reads the settings through `lookup` (for example `std::env::var(name).ok()`), and reports
    /// every missing or invalid variable at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let value = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let mut problems = Vec::new();

        let repository = match value(env::ISSUES_REPO) {
            None => {
                problems.push(format!("{} is missing: set it to the owner/name of the issues repository", env::ISSUES_REPO));
                None
            }
            Some(name) => match name.parse::<Repository>() {
                Ok(repository) => Some(repository),
                Err(error) => {
                    problems.push(format!("{}: {error}", env::ISSUES_REPO));
                    None
                }
            },
        };

        let credentials = if let Some(token) = value(env::GITHUB_TOKEN) {
            Some(CredentialSource::Token(token))
        } else if let Some(arn) = value(env::GITHUB_TOKEN_SECRET_ARN) {
            Some(CredentialSource::TokenSecret(arn))
        } else {
            match (value(env::GITHUB_APP_ID), value(env::GITHUB_APP_KEY_SECRET_ARN)) {
                (Some(id), Some(key_secret_arn)) => match id.parse::<u64>() {
                    Ok(app_id) => Some(CredentialSource::App { app_id, key_secret_arn }),
                    Err(_) => {
                        problems.push(format!("{} is {id:?}, not a numeric GitHub App id", env::GITHUB_APP_ID));
                        None
                    }
                },
                _ => {
                    problems.push(format!(
                        "no GitHub credentials: set {}, {}, or both {} and {}",
                        env::GITHUB_TOKEN,
                        env::GITHUB_TOKEN_SECRET_ARN,
                        env::GITHUB_APP_ID,
                        env::GITHUB_APP_KEY_SECRET_ARN
                    ));
                    None
                }
            }
        };

        let timeout = match value(env::GITHUB_TIMEOUT_SECONDS) {
            None => DEFAULT_TIMEOUT,
            Some(seconds) => match seconds.parse::<u64>() {
                Ok(seconds) if seconds > 0 => Duration::from_secs(seconds),
                _ => {
                    problems.push(format!("{} is {seconds:?}, not a positive number of seconds", env::GITHUB_TIMEOUT_SECONDS));
                    DEFAULT_TIMEOUT
                }
            },
        };

        let api_url = value(env::GITHUB_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned());

        match (repository, credentials) {
            (Some(repository), Some(credentials)) if problems.is_empty() => {
                Ok(Self { api_url, repository, credentials, timeout })
            }
            _ => Err(problems),
        }
    }

    /// Resolves the credentials, reading secrets through `secrets`, into a client config.
    pub async fn resolve(self, secrets: &aws_sdk_secretsmanager::Client) -> Result<ClientConfig, GitHubError> {
        let credentials = match self.credentials {
            CredentialSource::Token(token) => Credentials::Token(token),
            CredentialSource::TokenSecret(arn) => Credentials::Token(read_secret(secrets, &arn).await?),
            CredentialSource::App { app_id, key_secret_arn } => {
                Credentials::App { app_id, private_key_pem: read_secret(secrets, &key_secret_arn).await? }
            }
        };
        Ok(ClientConfig { api_url: self.api_url, repository: self.repository, credentials, timeout: self.timeout })
    }
}

async fn read_secret(secrets: &aws_sdk_secretsmanager::Client, arn: &str) -> Result<String, GitHubError> {
    let output = secrets
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|error| GitHubError::Config(format!("reading secret {arn} failed: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(&error))))?;
    output
        .secret_string
        .map(|secret| secret.trim().to_owned())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| GitHubError::Config(format!("secret {arn} has no string value")))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<GitHubSettings, Vec<String>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        GitHubSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn token_takes_precedence_over_secrets() {
        let settings = settings(&[
            (env::ISSUES_REPO, "tally-test/issues"),
            (env::GITHUB_TOKEN, "dummy"),
            (env::GITHUB_TOKEN_SECRET_ARN, "arn:aws:secretsmanager:us-east-1:1:secret:t"),
            (env::GITHUB_API_URL, "http://127.0.0.1:9"),
            (env::GITHUB_TIMEOUT_SECONDS, "2"),
        ])
        .expect("valid settings");
        assert_eq!(settings.credentials, CredentialSource::Token("dummy".to_owned()));
        assert_eq!(settings.api_url, "http://127.0.0.1:9");
        assert_eq!(settings.timeout, Duration::from_secs(2));
    }

    #[test]
    fn app_credentials_need_id_and_key() {
        let settings = settings(&[
            (env::ISSUES_REPO, "tally-test/issues"),
            (env::GITHUB_APP_ID, "123"),
            (env::GITHUB_APP_KEY_SECRET_ARN, "arn:key"),
        ])
        .expect("valid settings");
        assert_eq!(settings.credentials, CredentialSource::App { app_id: 123, key_secret_arn: "arn:key".to_owned() });
        assert_eq!(settings.api_url, DEFAULT_API_URL);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = settings(&[(env::GITHUB_APP_ID, "123"), (env::GITHUB_TIMEOUT_SECONDS, "0")]).expect_err("invalid");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains(env::ISSUES_REPO));
        assert!(problems[1].contains("no GitHub credentials"));
        assert!(problems[2].contains(env::GITHUB_TIMEOUT_SECONDS));
    }

    #[test]
    fn debug_hides_a_direct_token() {
        let shown = format!("{:?}", CredentialSource::Token("ghp_secret".to_owned()));
        assert!(!shown.contains("ghp_secret"));
    }
}
