//! A stateful stand-in for the GitHub REST endpoints tally calls, with failure injection.
//!
//! It models issues (create, get, update, list) and issue comments (create, list) in memory.
//! Any other request gets a 501 response and is recorded, so a test that makes an unmodeled call
//! fails loudly. Control and inspection routes live under `/_fake/`: inject failures keyed by
//! fingerprint (the hidden marker in an issue body) or issue number, list issues with their
//! comments, and close an issue as completed or not planned. `tally local` runs it when no
//! GitHub token is given and prints the issues it holds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long an injected timeout keeps the request waiting when the injection sets no duration;
/// longer than any client timeout tally configures for tests.
pub const DEFAULT_HANG: Duration = Duration::from_secs(60);

/// A failure the fake returns instead of handling a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// 500 Internal Server Error.
    InternalServerError,
    /// 502 Bad Gateway.
    BadGateway,
    /// No response until the hang time passes, then 504; clients time out first.
    Timeout,
    /// 403 with `retry-after`, as GitHub signals a secondary rate limit.
    SecondaryRateLimit,
    /// 422 Unprocessable Entity (validation failed).
    Unprocessable,
    /// 401 Unauthorized (bad credentials).
    Unauthorized,
    /// The issue or comment is created, then 502 is returned instead of the created entity.
    LostResponseBadGateway,
    /// The issue or comment is created, then the connection drops in the middle of the response.
    LostResponseDisconnect,
}

/// Requests the fake can fail on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `POST /repos/{owner}/{repo}/issues`.
    CreateIssue,
    /// `GET /repos/{owner}/{repo}/issues/{number}`.
    GetIssue,
    /// `PATCH /repos/{owner}/{repo}/issues/{number}`.
    UpdateIssue,
    /// `GET /repos/{owner}/{repo}/issues`.
    ListIssues,
    /// `POST /repos/{owner}/{repo}/issues/{number}/comments`.
    CreateComment,
    /// `GET /repos/{owner}/{repo}/issues/{number}/comments`.
    ListComments,
}

/// A failure to inject: the next `times` requests of `operation` that concern `fingerprint`
/// fail with `failure`.
///
/// A request concerns a fingerprint when the issue it creates, reads or changes carries that
/// fingerprint's hidden marker. Listing issues concerns no single fingerprint, so a
/// `list_issues` injection matches any listing: use it only where no other test lists issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    /// Lowercase hex fingerprint the failure is keyed by.
    pub fingerprint: String,
    /// The request that fails.
    pub operation: Operation,
    /// The failure returned.
    pub failure: Failure,
    /// Number of matching requests that fail before the fake responds normally again.
    #[serde(default = "one")]
    pub times: u32,
    /// For [`Failure::Timeout`]: seconds the request hangs (default [`DEFAULT_HANG`]). For
    /// [`Failure::SecondaryRateLimit`]: the `retry-after` value (default 1).
    #[serde(default)]
    pub seconds: Option<u64>,
}

fn one() -> u32 {
    1
}

/// An issue comment held by the fake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeComment {
    /// Comment id.
    pub id: u64,
    /// Markdown body.
    pub body: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// An issue held by the fake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeIssue {
    /// `owner/name` of the repository.
    pub repository: String,
    /// Issue number, counted per repository from 1.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Labels.
    pub labels: Vec<String>,
    /// `open` or `closed`.
    pub state: String,
    /// `completed`, `not_planned`, `reopened` or absent.
    pub state_reason: Option<String>,
    /// Fingerprint from the hidden marker in the body when the issue was created.
    pub fingerprint: Option<String>,
    /// Comments, oldest first.
    pub comments: Vec<FakeComment>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last change to the issue or its comments.
    pub updated_at: DateTime<Utc>,
}

/// A request the fake does not model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmodeledRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
}

/// A modeled request, as the fake received and handled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Which endpoint.
    pub operation: Operation,
    /// Fingerprint the request concerned, when known.
    pub fingerprint: Option<String>,
    /// Issue number in the path, when any.
    pub issue: Option<u64>,
    /// The injected failure returned, when one was.
    pub injected: Option<Failure>,
}

/// Body of `POST /_fake/issues/{owner}/{repo}/{number}/close`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseRequest {
    /// `completed` or `not_planned`.
    pub reason: String,
}

#[derive(Default)]
struct Repository {
    issues: Vec<FakeIssue>,
}

#[derive(Default)]
struct FakeState {
    repositories: HashMap<String, Repository>,
    next_comment_id: u64,
    injections: Vec<Injection>,
    unmodeled: Vec<UnmodeledRequest>,
    requests: Vec<RecordedRequest>,
}

/// The fake's shared state; clone it to inspect the fake while its server runs.
#[derive(Clone, Default)]
pub struct GitHubFake {
    state: Arc<Mutex<FakeState>>,
}

/// A fake serving on a loopback port until dropped or shut down.
pub struct RunningFake {
    /// The fake's state, for inspection.
    pub fake: GitHubFake,
    /// Base URL, such as `http://127.0.0.1:41234`, to use as the GitHub API URL.
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningFake {
    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Error response in GitHub's shape.
fn github_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_str(),
    });
    (status, Json(body)).into_response()
}

/// Extracts the fingerprint from a body's hidden marker, if it has one.
fn marker_fingerprint(body: &str) -> Option<String> {
    tally_core::render::find_fingerprint_marker(body).map(|fingerprint| fingerprint.to_string())
}

impl GitHubFake {
    /// Creates an empty fake.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panic while holding the lock leaves plain data behind, still safe to read.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serves the fake on `addr` (use port 0 for a free port) until the returned handle is shut
    /// down or dropped.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningFake> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(RunningFake {
            fake: self,
            url,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// Builds the fake's routes, for serving or for calling in-process.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/repos/{owner}/{repo}/issues",
                post(create_issue).get(list_issues),
            )
            .route(
                "/repos/{owner}/{repo}/issues/{number}",
                get(get_issue).patch(update_issue),
            )
            .route(
                "/repos/{owner}/{repo}/issues/{number}/comments",
                post(create_comment).get(list_comments),
            )
            .route(
                "/repos/{owner}/{repo}/installation",
                get(repository_installation),
            )
            .route(
                "/app/installations/{id}/access_tokens",
                post(installation_token),
            )
            .route("/_fake/inject", post(inject))
            .route("/_fake/issues", get(inspect_issues))
            .route(
                "/_fake/issues/{owner}/{repo}/{number}/close",
                post(close_issue),
            )
            .route("/_fake/requests", get(inspect_requests))
            .route("/_fake/unmodeled", get(inspect_unmodeled))
            .fallback(unmodeled)
            .method_not_allowed_fallback(unmodeled)
            .with_state(self.clone())
    }

    /// Adds a failure to inject.
    pub fn inject(&self, injection: Injection) {
        self.lock().injections.push(injection);
    }

    /// Returns every issue in every repository, ordered by repository and number.
    pub fn issues(&self) -> Vec<FakeIssue> {
        let state = self.lock();
        let mut issues: Vec<FakeIssue> = state
            .repositories
            .values()
            .flat_map(|repository| repository.issues.iter().cloned())
            .collect();
        issues.sort_by(|a, b| (&a.repository, a.number).cmp(&(&b.repository, b.number)));
        issues
    }

    /// Requests the fake answered 501 because it does not model them.
    pub fn unmodeled_requests(&self) -> Vec<UnmodeledRequest> {
        self.lock().unmodeled.clone()
    }

    /// Returns every modeled request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Closes an issue with `reason` (`completed` or `not_planned`), as a maintainer would.
    /// Returns false when the issue does not exist.
    pub fn close_issue(&self, repository: &str, number: u64, reason: &str) -> bool {
        let mut state = self.lock();
        let Some(issue) = find_issue_mut(&mut state, repository, number) else {
            return false;
        };
        issue.state = "closed".to_owned();
        issue.state_reason = Some(reason.to_owned());
        issue.updated_at = Utc::now();
        true
    }

    /// Renders the issues held as plain text, for `tally local` to print.
    pub fn render_issues(&self) -> String {
        let issues = self.issues();
        if issues.is_empty() {
            return "The GitHub fake holds no issues.\n".to_owned();
        }

        let mut text = String::new();
        for issue in issues {
            let reason = issue
                .state_reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "{}#{} [{}{}] {}",
                issue.repository, issue.number, issue.state, reason, issue.title
            );
            for line in issue.body.lines() {
                let _ = writeln!(text, "    {line}");
            }
            for comment in &issue.comments {
                let _ = writeln!(text, "  comment {}:", comment.id);
                for line in comment.body.lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
            text.push('\n');
        }
        text
    }

    /// Takes the next injected failure for `operation` on `fingerprint`, and records the request.
    fn take_failure(
        &self,
        operation: Operation,
        fingerprint: Option<&str>,
        issue: Option<u64>,
    ) -> Option<(Failure, Option<u64>)> {
        let mut state = self.lock();
        let position = state.injections.iter().position(|injection| {
            injection.operation == operation
                && (operation == Operation::ListIssues
                    || Some(injection.fingerprint.as_str()) == fingerprint)
        });
        let injected = position.map(|index| {
            let injection = &mut state.injections[index];
            let taken = (injection.failure, injection.seconds);
            injection.times = injection.times.saturating_sub(1);
            if injection.times == 0 {
                state.injections.remove(index);
            }
            taken
        });
        state.requests.push(RecordedRequest {
            operation,
            fingerprint: fingerprint.map(str::to_owned),
            issue,
            injected: injected.map(|(failure, _)| failure),
        });
        injected
    }

    fn fingerprint_of(&self, repository: &str, number: u64) -> Option<String> {
        let mut state = self.lock();
        find_issue_mut(&mut state, repository, number).and_then(|issue| issue.fingerprint.clone())
    }
}

fn find_issue_mut<'a>(
    state: &'a mut FakeState,
    repository: &str,
    number: u64,
) -> Option<&'a mut FakeIssue> {
    state
        .repositories
        .get_mut(repository)?
        .issues
        .iter_mut()
        .find(|issue| issue.number == number)
}

fn issue_json(base: &str, issue: &FakeIssue) -> Value {
    let html_url = format!(
        "https://github.com/{}/issues/{}",
        issue.repository, issue.number
    );
    let closed_at = (issue.state == "closed").then(|| timestamp(issue.updated_at));
    json!({
        "id": issue.number,
        "node_id": format!("I_fake{}", issue.number),
        "url": format!("{base}/repos/{}/issues/{}", issue.repository, issue.number),
        "html_url": html_url,
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "state_reason": issue.state_reason,
        "labels": issue.labels.iter().map(|name| json!({ "name": name })).collect::<Vec<_>>(),
        "user": { "login": "tally-fake", "id": 1 },
        "comments": issue.comments.len(),
        "created_at": timestamp(issue.created_at),
        "updated_at": timestamp(issue.updated_at),
        "closed_at": closed_at,
    })
}

fn comment_json(repository: &str, number: u64, comment: &FakeComment) -> Value {
    json!({
        "id": comment.id,
        "html_url": format!("https://github.com/{repository}/issues/{number}#issuecomment-{}", comment.id),
        "body": comment.body,
        "user": { "login": "tally-fake", "id": 1 },
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.created_at),
    })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Returns the 401 response for a request without credentials, as GitHub returns for writes.
fn reject_unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("Bearer ") || value.starts_with("token "));
    (!authorized).then(|| github_error(StatusCode::UNAUTHORIZED, "Requires authentication"))
}

/// Builds the response of an injected failure.
async fn failure_response(failure: Failure, seconds: Option<u64>) -> Response {
    match failure {
        Failure::InternalServerError => {
            github_error(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
        }
        Failure::BadGateway | Failure::LostResponseBadGateway => {
            github_error(StatusCode::BAD_GATEWAY, "Bad Gateway")
        }
        Failure::Timeout => {
            let hang = seconds.map(Duration::from_secs).unwrap_or(DEFAULT_HANG);
            tokio::time::sleep(hang).await;
            github_error(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout")
        }
        Failure::SecondaryRateLimit => {
            let mut response = github_error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            let retry_after = seconds.unwrap_or(1).to_string();
            if let Ok(value) = retry_after.parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Failure::Unprocessable => {
            github_error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed")
        }
        Failure::Unauthorized => github_error(StatusCode::UNAUTHORIZED, "Bad credentials"),
        Failure::LostResponseDisconnect => disconnect_response(),
    }
}

/// Builds a response whose body breaks off, so the server drops the connection mid-response.
fn disconnect_response() -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"number\":")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by the GitHub fake",
        )),
    ];
    let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    *response.status_mut() = StatusCode::CREATED;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Returns whether the failure lets the request take effect first.
fn takes_effect(failure: Failure) -> bool {
    matches!(
        failure,
        Failure::LostResponseBadGateway | Failure::LostResponseDisconnect
    )
}

#[derive(Deserialize)]
struct CreateIssueBody {
    title: Option<String>,
    body: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

async fn create_issue(
    State(fake): State<GitHubFake>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    let Ok(request) = serde_json::from_slice::<CreateIssueBody>(&body) else {
        return github_error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let title = request.title.unwrap_or_default();
    if title.trim().is_empty() {
        return github_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed: title is missing",
        );
    }
    let issue_body = request.body.unwrap_or_default();
    let fingerprint = marker_fingerprint(&issue_body);

    let failure = fake.take_failure(Operation::CreateIssue, fingerprint.as_deref(), None);
    if let Some((failure, seconds)) = failure
        && !takes_effect(failure)
    {
        return failure_response(failure, seconds).await;
    }

    let repository = format!("{owner}/{repo}");
    let created = {
        let mut state = fake.lock();
        let issues = &mut state
            .repositories
            .entry(repository.clone())
            .or_default()
            .issues;
        let now = Utc::now();
        let issue = FakeIssue {
            repository,
            number: issues.len() as u64 + 1,
            title,
            body: issue_body,
            labels: request.labels,
            state: "open".to_owned(),
            state_reason: None,
            fingerprint,
            comments: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        issues.push(issue.clone());
        issue
    };

    if let Some((failure, seconds)) = failure {
        return failure_response(failure, seconds).await;
    }
    (
        StatusCode::CREATED,
        Json(issue_json(&base_url(&headers), &created)),
    )
        .into_response()
}

async fn get_issue(
    State(fake): State<GitHubFake>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    let repository = format!("{owner}/{repo}");
    let fingerprint = fake.fingerprint_of(&repository, number);
    if let Some((failure, seconds)) =
        fake.take_failure(Operation::GetIssue, fingerprint.as_deref(), Some(number))
    {
        return failure_response(failure, seconds).await;
    }

    let mut state = fake.lock();
    match find_issue_mut(&mut state, &repository, number) {
        Some(issue) => Json(issue_json(&base_url(&headers), issue)).into_response(),
        None => github_error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

#[derive(Deserialize)]
struct UpdateIssueBody {
    title: Option<String>,
    body: Option<String>,
    state: Option<String>,
    state_reason: Option<String>,
}

async fn update_issue(
    State(fake): State<GitHubFake>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    let Ok(request) = serde_json::from_slice::<UpdateIssueBody>(&body) else {
        return github_error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    if let Some(state) = &request.state
        && state != "open"
        && state != "closed"
    {
        return github_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed: state must be open or closed",
        );
    }
    let repository = format!("{owner}/{repo}");
    let fingerprint = fake.fingerprint_of(&repository, number);
    let failure = fake.take_failure(Operation::UpdateIssue, fingerprint.as_deref(), Some(number));
    if let Some((failure, seconds)) = failure
        && !takes_effect(failure)
    {
        return failure_response(failure, seconds).await;
    }

    let updated = {
        let mut state = fake.lock();
        let Some(issue) = find_issue_mut(&mut state, &repository, number) else {
            return github_error(StatusCode::NOT_FOUND, "Not Found");
        };
        if let Some(title) = request.title {
            issue.title = title;
        }
        if let Some(body) = request.body {
            issue.body = body;
        }
        match request.state.as_deref() {
            Some("closed") => {
                issue.state = "closed".to_owned();
                issue.state_reason = Some(
                    request
                        .state_reason
                        .unwrap_or_else(|| "completed".to_owned()),
                );
            }
            Some("open") if issue.state == "closed" => {
                issue.state = "open".to_owned();
                issue.state_reason = Some("reopened".to_owned());
            }
            _ => {}
        }
        issue.updated_at = Utc::now();
        issue.clone()
    };

    if let Some((failure, seconds)) = failure {
        return failure_response(failure, seconds).await;
    }
    Json(issue_json(&base_url(&headers), &updated)).into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    sort: Option<String>,
    direction: Option<String>,
    since: Option<DateTime<Utc>>,
    per_page: Option<usize>,
    page: Option<usize>,
}

/// Selects the page of `items` that `per_page` and `page` (from 1) name, with GitHub's defaults.
fn page_of<T: Clone>(items: &[T], per_page: Option<usize>, page: Option<usize>) -> Vec<T> {
    let per_page = per_page.unwrap_or(30).clamp(1, 100);
    let page = page.unwrap_or(1).max(1);
    items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect()
}

async fn list_issues(
    State(fake): State<GitHubFake>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    if let Some((failure, seconds)) = fake.take_failure(Operation::ListIssues, None, None) {
        return failure_response(failure, seconds).await;
    }

    let repository = format!("{owner}/{repo}");
    let mut issues: Vec<FakeIssue> = {
        let state = fake.lock();
        state
            .repositories
            .get(&repository)
            .map(|repository| repository.issues.clone())
            .unwrap_or_default()
    };
    let state_filter = query.state.as_deref().unwrap_or("open");
    issues.retain(|issue| state_filter == "all" || issue.state == state_filter);
    if let Some(since) = query.since {
        issues.retain(|issue| issue.updated_at >= since);
    }
    match query.sort.as_deref() {
        Some("updated") => issues.sort_by_key(|issue| (issue.updated_at, issue.number)),
        _ => issues.sort_by_key(|issue| issue.number),
    }
    if query.direction.as_deref() != Some("asc") {
        issues.reverse();
    }

    let base = base_url(&headers);
    let page: Vec<Value> = page_of(&issues, query.per_page, query.page)
        .iter()
        .map(|issue| issue_json(&base, issue))
        .collect();
    Json(page).into_response()
}

#[derive(Deserialize)]
struct CreateCommentBody {
    body: Option<String>,
}

async fn create_comment(
    State(fake): State<GitHubFake>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    let Ok(request) = serde_json::from_slice::<CreateCommentBody>(&body) else {
        return github_error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let Some(comment_body) = request.body.filter(|body| !body.trim().is_empty()) else {
        return github_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed: body is missing",
        );
    };
    let repository = format!("{owner}/{repo}");
    let fingerprint = fake.fingerprint_of(&repository, number);
    let failure = fake.take_failure(
        Operation::CreateComment,
        fingerprint.as_deref(),
        Some(number),
    );
    if let Some((failure, seconds)) = failure
        && !takes_effect(failure)
    {
        return failure_response(failure, seconds).await;
    }

    let created = {
        let mut state = fake.lock();
        state.next_comment_id += 1;
        let id = state.next_comment_id;
        let Some(issue) = find_issue_mut(&mut state, &repository, number) else {
            return github_error(StatusCode::NOT_FOUND, "Not Found");
        };
        let comment = FakeComment {
            id,
            body: comment_body,
            created_at: Utc::now(),
        };
        issue.comments.push(comment.clone());
        issue.updated_at = comment.created_at;
        comment
    };

    if let Some((failure, seconds)) = failure {
        return failure_response(failure, seconds).await;
    }
    (
        StatusCode::CREATED,
        Json(comment_json(&repository, number, &created)),
    )
        .into_response()
}

async fn list_comments(
    State(fake): State<GitHubFake>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = reject_unauthenticated(&headers) {
        return response;
    }
    let repository = format!("{owner}/{repo}");
    let fingerprint = fake.fingerprint_of(&repository, number);
    if let Some((failure, seconds)) = fake.take_failure(
        Operation::ListComments,
        fingerprint.as_deref(),
        Some(number),
    ) {
        return failure_response(failure, seconds).await;
    }

    let mut comments = {
        let mut state = fake.lock();
        match find_issue_mut(&mut state, &repository, number) {
            Some(issue) => issue.comments.clone(),
            None => return github_error(StatusCode::NOT_FOUND, "Not Found"),
        }
    };
    if let Some(since) = query.since {
        comments.retain(|comment| comment.created_at >= since);
    }
    let page: Vec<Value> = page_of(&comments, query.per_page, query.page)
        .iter()
        .map(|comment| comment_json(&repository, number, comment))
        .collect();
    Json(page).into_response()
}

/// Id of the only GitHub App installation the fake models.
const INSTALLATION_ID: u64 = 1;

/// Returns whether `headers` carry an App's JWT: `Bearer` and three dot-separated parts.
fn has_app_jwt(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| token.split('.').count() == 3)
}

async fn repository_installation(
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !has_app_jwt(&headers) {
        return github_error(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        );
    }
    Json(json!({
        "id": INSTALLATION_ID,
        "app_id": 1,
        "account": { "login": owner, "id": 1 },
        "repository_selection": "selected",
        "target_type": "Organization",
        "html_url": format!("https://github.com/organizations/{owner}/settings/installations/{INSTALLATION_ID}"),
        "repositories_url": format!("https://api.github.com/installation/repositories?repo={repo}"),
    }))
    .into_response()
}

async fn installation_token(Path(id): Path<u64>, headers: HeaderMap) -> Response {
    if !has_app_jwt(&headers) {
        return github_error(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        );
    }
    if id != INSTALLATION_ID {
        return github_error(StatusCode::NOT_FOUND, "Not Found");
    }
    let expires_at = timestamp(Utc::now() + chrono::Duration::hours(1));
    (StatusCode::CREATED, Json(json!({ "token": "ghs_fakeinstallationtoken", "expires_at": expires_at, "permissions": { "issues": "write" } })))
        .into_response()
}

async fn inject(State(fake): State<GitHubFake>, Json(injection): Json<Injection>) -> StatusCode {
    fake.inject(injection);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct InspectQuery {
    fingerprint: Option<String>,
}

async fn inspect_issues(
    State(fake): State<GitHubFake>,
    Query(query): Query<InspectQuery>,
) -> Json<Vec<FakeIssue>> {
    let mut issues = fake.issues();
    if let Some(fingerprint) = query.fingerprint {
        issues.retain(|issue| issue.fingerprint.as_deref() == Some(fingerprint.as_str()));
    }
    Json(issues)
}

async fn inspect_requests(
    State(fake): State<GitHubFake>,
    Query(query): Query<InspectQuery>,
) -> Json<Vec<RecordedRequest>> {
    let mut requests = fake.requests();
    if let Some(fingerprint) = query.fingerprint {
        requests.retain(|request| request.fingerprint.as_deref() == Some(fingerprint.as_str()));
    }
    Json(requests)
}

async fn inspect_unmodeled(State(fake): State<GitHubFake>) -> Json<Vec<UnmodeledRequest>> {
    Json(fake.unmodeled_requests())
}

async fn close_issue(
    State(fake): State<GitHubFake>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(request): Json<CloseRequest>,
) -> Response {
    if request.reason != "completed" && request.reason != "not_planned" {
        return github_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason must be completed or not_planned",
        );
    }
    if fake.close_issue(&format!("{owner}/{repo}"), number, &request.reason) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        github_error(StatusCode::NOT_FOUND, "Not Found")
    }
}

async fn unmodeled(State(fake): State<GitHubFake>, method: Method, request: Request) -> Response {
    let uri = request.uri().to_string();
    tracing::warn!(%method, %uri, "the GitHub fake received a request it does not model");
    fake.lock().unmodeled.push(UnmodeledRequest {
        method: method.to_string(),
        uri: uri.clone(),
    });
    github_error(
        StatusCode::NOT_IMPLEMENTED,
        &format!("The GitHub fake does not model {method} {uri}"),
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Sends a raw HTTP/1.1 request and returns the status code.
    async fn status_of(url: &str, request_line: &str) -> u16 {
        let address = url.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("the fake accepts connections");
        let request = format!(
            "{request_line}\r\nHost: {address}\r\nAuthorization: token x\r\nConnection: close\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request is sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("response is read");
        response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status line")
    }

    #[tokio::test]
    async fn unmodeled_request_is_rejected_and_recorded() {
        let running = GitHubFake::new()
            .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the fake starts");

        assert_eq!(status_of(&running.url, "GET /user HTTP/1.1").await, 501);
        assert_eq!(
            status_of(&running.url, "DELETE /repos/o/r/issues/1 HTTP/1.1").await,
            501
        );

        let unmodeled = running.fake.unmodeled_requests();
        let expected = vec![
            UnmodeledRequest {
                method: "GET".to_owned(),
                uri: "/user".to_owned(),
            },
            UnmodeledRequest {
                method: "DELETE".to_owned(),
                uri: "/repos/o/r/issues/1".to_owned(),
            },
        ];
        assert_eq!(unmodeled, expected);
    }

    #[tokio::test]
    async fn requests_without_credentials_are_unauthorized() {
        let running = GitHubFake::new()
            .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the fake starts");
        let address = running.url.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connects");
        let request = format!(
            "GET /repos/o/r/issues/1 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    }

    #[test]
    fn render_issues_lists_bodies_and_comments() {
        let fake = GitHubFake::new();
        assert_eq!(fake.render_issues(), "The GitHub fake holds no issues.\n");

        let now = Utc::now();
        fake.lock()
            .repositories
            .entry("o/r".to_owned())
            .or_default()
            .issues
            .push(FakeIssue {
                repository: "o/r".to_owned(),
                number: 1,
                title: "Boom".to_owned(),
                body: "line one\nline two".to_owned(),
                labels: Vec::new(),
                state: "open".to_owned(),
                state_reason: None,
                fingerprint: None,
                comments: vec![FakeComment {
                    id: 9,
                    body: "hello".to_owned(),
                    created_at: now,
                }],
                created_at: now,
                updated_at: now,
            });
        let text = fake.render_issues();
        assert!(
            text.starts_with("o/r#1 [open] Boom\n    line one\n    line two\n"),
            "{text}"
        );
        assert!(text.contains("  comment 9:\n    hello\n"), "{text}");
    }
}
