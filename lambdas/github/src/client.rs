//! The issues client: one method per REST call the workflow makes.
//!
//! octocrab's own retry layer is switched off, because the state machine owns retries: a
//! retried `create issue` inside the client could open a second issue that the state machine
//! never hears about.

use chrono::{DateTime, SecondsFormat, Utc};
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use octocrab::service::middleware::retry::RetryConfig;
use serde::{Deserialize, Serialize};

use crate::{ClientConfig, Comment, Credentials, GitHubError, Issue, IssueUpdate, NewIssue, Repository};

/// Entries per page when listing; GitHub's maximum.
const PER_PAGE: u32 = 100;

/// Most pages read by one listing, so a busy repository cannot make a call run unbounded.
const MAX_PAGES: u32 = 3;

/// A client bound to the repository that receives tally's issues.
#[derive(Debug, Clone)]
pub struct IssuesClient {
    octocrab: Octocrab,
    repository: Repository,
}

#[derive(Serialize)]
struct ListIssuesQuery<'a> {
    state: &'a str,
    sort: &'a str,
    direction: &'a str,
    since: String,
    per_page: u32,
    page: u32,
}

#[derive(Serialize)]
struct ListCommentsQuery {
    since: String,
    per_page: u32,
    page: u32,
}

#[derive(Serialize)]
struct NewComment<'a> {
    body: &'a str,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl IssuesClient {
    /// Builds the client. With App credentials this looks up the App's installation on the
    /// repository, so it makes one request.
    pub async fn connect(config: ClientConfig) -> Result<Self, GitHubError> {
        let builder = Octocrab::builder()
            .base_uri(config.api_url.as_str())
            .map_err(|error| GitHubError::Config(format!("invalid API URL {:?}: {error}", config.api_url)))?
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(config.timeout))
            .set_read_timeout(Some(config.timeout))
            .set_write_timeout(Some(config.timeout));

        let octocrab = match config.credentials {
            Credentials::Token(token) => builder
                .personal_token(token)
                .build()
                .map_err(|error| GitHubError::Config(format!("building the client failed: {error}")))?,
            Credentials::App { app_id, private_key_pem } => {
                let app = builder
                    .app_from_rsa_pem(AppId(app_id), private_key_pem.as_bytes())
                    .map_err(|_| GitHubError::Config("the GitHub App private key is not a valid RSA PEM key".to_owned()))?
                    .build()
                    .map_err(|error| GitHubError::Config(format!("building the client failed: {error}")))?;
                let route = format!("/repos/{}/{}/installation", config.repository.owner, config.repository.name);
                let installation: Installation = app
                    .get(route, None::<&()>)
                    .await
                    .map_err(|error| GitHubError::from_octocrab("find app installation", error))?;
                app.installation(InstallationId(installation.id))
                    .map_err(|error| GitHubError::from_octocrab("authenticate as installation", error))?
            }
        };

        Ok(Self { octocrab, repository: config.repository })
    }

    /// The repository this client writes to.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    fn issues_route(&self) -> String {
        format!("/repos/{}/{}/issues", self.repository.owner, self.repository.name)
    }

    /// Creates an issue.
    pub async fn create_issue(&self, issue: &NewIssue) -> Result<Issue, GitHubError> {
        self.octocrab
            .post(self.issues_route(), Some(issue))
            .await
            .map_err(|error| GitHubError::from_octocrab("create issue", error))
    }

    /// Reads issue `number`.
    pub async fn get_issue(&self, number: u64) -> Result<Issue, GitHubError> {
        self.octocrab
            .get(format!("{}/{number}", self.issues_route()), None::<&()>)
            .await
            .map_err(|error| GitHubError::from_octocrab("get issue", error))
    }

    /// Changes the body or state of issue `number`.
    pub async fn update_issue(&self, number: u64, update: &IssueUpdate) -> Result<Issue, GitHubError> {
        self.octocrab
            .patch(format!("{}/{number}", self.issues_route()), Some(update))
            .await
            .map_err(|error| GitHubError::from_octocrab("update issue", error))
    }

    /// Finds the newest issue (open or closed, not a pull request) updated since `since` whose
    /// body contains `marker`.
    ///
    /// This reads the issues list, which is consistent within seconds, rather than search, which
    /// lags behind by tens of seconds. It reads at most `MAX_PAGES` pages of the newest issues.
    pub async fn find_issue_with_marker(&self, marker: &str, since: DateTime<Utc>) -> Result<Option<Issue>, GitHubError> {
        for page in 1..=MAX_PAGES {
            let query = ListIssuesQuery {
                state: "all",
                sort: "created",
                direction: "desc",
                since: timestamp(since),
                per_page: PER_PAGE,
                page,
            };
            let issues: Vec<Issue> = self
                .octocrab
                .get(self.issues_route(), Some(&query))
                .await
                .map_err(|error| GitHubError::from_octocrab("list issues", error))?;

            let found = issues
                .iter()
                .find(|issue| issue.pull_request.is_none() && issue.body.as_deref().is_some_and(|body| body.contains(marker)));
            if let Some(issue) = found {
                return Ok(Some(issue.clone()));
            }
            if issues.len() < PER_PAGE as usize {
                break;
            }
        }
        Ok(None)
    }

    /// Adds a comment to issue `number`.
    pub async fn create_comment(&self, number: u64, body: &str) -> Result<Comment, GitHubError> {
        self.octocrab
            .post(format!("{}/{number}/comments", self.issues_route()), Some(&NewComment { body }))
            .await
            .map_err(|error| GitHubError::from_octocrab("create comment", error))
    }

    /// Finds a comment on issue `number`, updated since `since`, whose body contains `marker`.
    /// Reads at most `MAX_PAGES` pages.
    pub async fn find_comment_with_marker(
        &self,
        number: u64,
        marker: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Comment>, GitHubError> {
        for page in 1..=MAX_PAGES {
            let query = ListCommentsQuery { since: timestamp(since), per_page: PER_PAGE, page };
            let comments: Vec<Comment> = self
                .octocrab
                .get(format!("{}/{number}/comments", self.issues_route()), Some(&query))
                .await
                .map_err(|error| GitHubError::from_octocrab("list comments", error))?;

            let found = comments.iter().find(|comment| comment.body.as_deref().is_some_and(|body| body.contains(marker)));
            if let Some(comment) = found {
                return Ok(Some(comment.clone()));
            }
            if comments.len() < PER_PAGE as usize {
                break;
            }
        }
        Ok(None)
    }
}
