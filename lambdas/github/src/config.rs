//! How the client reaches GitHub: API base URL, target repository, credentials and timeout.
//!
//! Credentials are either a token or a GitHub App (app id and PEM private key). Their `Debug`
//! output hides the secret, so a logged config never leaks it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::GitHubError;

/// GitHub's public REST API, used when no base URL is configured.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Time allowed for connecting, and for each read or write on the connection, before a request
/// fails with [`GitHubError::Timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A repository named `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// User or organization that owns the repository.
    pub owner: String,
    /// Repository name.
    pub name: String,
}

impl FromStr for Repository {
    type Err = GitHubError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = || GitHubError::Config(format!("invalid repository {value:?}: expected owner/name"));
        let (owner, name) = value.split_once('/').ok_or_else(invalid)?;
        let valid_part = |part: &str| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !valid_part(owner) || !valid_part(name) {
            return Err(invalid());
        }
        Ok(Self { owner: owner.to_owned(), name: name.to_owned() })
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Credentials {
    /// A personal access token or fine-grained token with issues read and write access.
    Token(String),
    /// A GitHub App installed on the repository; the client looks up the installation and
    /// mints installation tokens as they expire.
    App {
        /// The App's numeric id.
        app_id: u64,
        /// The App's private key, PEM encoded.
        private_key_pem: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::App { app_id, .. } => write!(f, "App {{ app_id: {app_id}, private_key_pem: <redacted> }}"),
        }
    }
}

/// Everything the client needs to reach one repository's issues.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// REST API base URL, such as [`DEFAULT_API_URL`] or a local fake.
    pub api_url: String,
    /// The repository that receives the issues.
    pub repository: Repository,
    /// Token or App credentials.
    pub credentials: Credentials,
    /// Connect, read and write timeout of each request.
    pub timeout: Duration,
}

impl ClientConfig {
    /// A config for `repository` on the public API with the default timeout.
    pub fn new(repository: Repository, credentials: Credentials) -> Self {
        Self { api_url: DEFAULT_API_URL.to_owned(), repository, credentials, timeout: DEFAULT_TIMEOUT }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_parses_owner_and_name() {
        let repository: Repository = "tally-test/issues".parse().expect("valid name");
        assert_eq!(repository.owner, "tally-test");
        assert_eq!(repository.name, "issues");
        assert_eq!(repository.to_string(), "tally-test/issues");
    }

    #[test]
    fn repository_rejects_malformed_names() {
        for value in ["", "owner", "/name", "owner/", "owner/name/extra", "own er/name"] {
            assert!(value.parse::<Repository>().is_err(), "{value:?} was accepted");
        }
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let token = format!("{:?}", Credentials::Token("ghp_secret".to_owned()));
        assert!(!token.contains("ghp_secret"));
        let app = format!("{:?}", Credentials::App { app_id: 7, private_key_pem: "-----BEGIN".to_owned() });
        assert!(!app.contains("BEGIN"));
        assert!(app.contains('7'));
    }
}
