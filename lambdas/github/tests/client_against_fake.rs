//! The issues client against the in-process GitHub fake: every call it makes, and the error name
//! each kind of GitHub failure maps to.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use tally_core::error_type;
use tally_core::fingerprint::Fingerprint;
use tally_core::render::fingerprint_marker;
use tally_github::{
    ClientConfig, CloseReason, Credentials, GitHubError, IssueState, IssueUpdate, IssuesClient, NewIssue, Repository,
};
use tally_infra::local::github_fake::{Failure, GitHubFake, Injection, Operation, RunningFake};

async fn start() -> RunningFake {
    GitHubFake::new().spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("the fake starts")
}

fn config(fake: &RunningFake, credentials: Credentials) -> ClientConfig {
    ClientConfig {
        api_url: fake.url.clone(),
        repository: "tally-test/issues".parse::<Repository>().expect("valid repository"),
        credentials,
        timeout: Duration::from_secs(1),
    }
}

async fn client(fake: &RunningFake) -> IssuesClient {
    IssuesClient::connect(config(fake, Credentials::Token("dummy".to_owned()))).await.expect("client builds")
}

fn new_issue(key: &str) -> (Fingerprint, NewIssue) {
    let fingerprint = Fingerprint::of_client_key(key);
    let body = format!("{}\n\nSomething failed.", fingerprint_marker(&fingerprint));
    (fingerprint, NewIssue { title: format!("{key} failed"), body, labels: Vec::new() })
}

fn inject(fake: &RunningFake, fingerprint: &Fingerprint, operation: Operation, failure: Failure, seconds: Option<u64>) {
    fake.fake.inject(Injection { fingerprint: fingerprint.to_string(), operation, failure, times: 1, seconds });
}

#[tokio::test]
async fn issue_lifecycle_round_trips() {
    let fake = start().await;
    let client = client(&fake).await;
    let (fingerprint, new) = new_issue("lifecycle");

    let created = client.create_issue(&new).await.expect("create succeeds");
    assert_eq!(created.number, 1);
    assert_eq!(created.state, IssueState::Open);
    assert_eq!(created.html_url, "https://github.com/tally-test/issues/issues/1");

    let update = IssueUpdate { body: Some("new body".to_owned()), ..IssueUpdate::default() };
    let updated = client.update_issue(1, &update).await.expect("update succeeds");
    assert_eq!(updated.body.as_deref(), Some("new body"));

    fake.fake.close_issue("tally-test/issues", 1, "not_planned");
    let read = client.get_issue(1).await.expect("get succeeds");
    assert_eq!(read.state, IssueState::Closed);
    assert_eq!(read.state_reason, Some(CloseReason::NotPlanned));

    let reopen = IssueUpdate { state: Some(IssueState::Open), ..IssueUpdate::default() };
    let reopened = client.update_issue(1, &reopen).await.expect("reopen succeeds");
    assert_eq!(reopened.state, IssueState::Open);
    assert_eq!(reopened.state_reason, Some(CloseReason::Reopened));

    client.create_comment(1, "<!-- tally:comment=milestone-2 -->\nTwice.").await.expect("comment succeeds");
    let since = Utc::now() - chrono::Duration::hours(1);
    let found = client.find_comment_with_marker(1, "tally:comment=milestone-2", since).await.expect("list succeeds");
    assert!(found.is_some());
    let missing = client.find_comment_with_marker(1, "tally:comment=milestone-10", since).await.expect("list succeeds");
    assert!(missing.is_none());

    assert_eq!(fake.fake.issues()[0].fingerprint, Some(fingerprint.to_string()));
    assert!(fake.fake.unmodeled_requests().is_empty(), "{:?}", fake.fake.unmodeled_requests());
}

#[tokio::test]
async fn marker_search_finds_only_the_matching_issue() {
    let fake = start().await;
    let client = client(&fake).await;
    let since = Utc::now() - chrono::Duration::minutes(5);

    for key in ["first", "second", "third"] {
        client.create_issue(&new_issue(key).1).await.expect("create succeeds");
    }
    let second = fingerprint_marker(&Fingerprint::of_client_key("second"));
    let found = client.find_issue_with_marker(&second, since).await.expect("list succeeds").expect("found");
    assert_eq!(found.number, 2);

    let absent = fingerprint_marker(&Fingerprint::of_client_key("absent"));
    assert!(client.find_issue_with_marker(&absent, since).await.expect("list succeeds").is_none());

    let later = Utc::now() + chrono::Duration::minutes(5);
    assert!(client.find_issue_with_marker(&second, later).await.expect("list succeeds").is_none(), "since is ignored");
}

#[tokio::test]
async fn marker_search_reads_past_the_first_page() {
    let fake = start().await;
    let client = client(&fake).await;
    let since = Utc::now() - chrono::Duration::minutes(5);

    client.create_issue(&new_issue("oldest").1).await.expect("create succeeds");
    for index in 0..120 {
        client.create_issue(&new_issue(&format!("filler-{index}")).1).await.expect("create succeeds");
    }
    let oldest = fingerprint_marker(&Fingerprint::of_client_key("oldest"));
    let found = client.find_issue_with_marker(&oldest, since).await.expect("list succeeds").expect("found on page 2");
    assert_eq!(found.number, 1);
}

/// Injects `failure` into the create of a new issue and returns the client's error.
async fn create_error(failure: Failure, seconds: Option<u64>) -> (GitHubError, RunningFake) {
    let fake = start().await;
    let client = client(&fake).await;
    let (fingerprint, new) = new_issue("failing");
    inject(&fake, &fingerprint, Operation::CreateIssue, failure, seconds);
    let error = client.create_issue(&new).await.expect_err("the injected failure reaches the client");
    (error, fake)
}

#[tokio::test]
async fn server_errors_are_retryable() {
    for failure in [Failure::InternalServerError, Failure::BadGateway] {
        let (error, fake) = create_error(failure, None).await;
        assert_eq!(error.error_type(), error_type::GITHUB_SERVER_ERROR, "{failure:?}: {error}");
        assert!(error.is_retryable());
        assert!(fake.fake.issues().is_empty(), "{failure:?} created an issue");
    }
}

#[tokio::test]
async fn secondary_rate_limit_keeps_retry_after() {
    let (error, _fake) = create_error(Failure::SecondaryRateLimit, Some(7)).await;
    assert_eq!(error.error_type(), error_type::GITHUB_RATE_LIMITED, "{error}");
    let GitHubError::RateLimited { retry_after, status, .. } = error else { panic!("not rate limited") };
    assert_eq!(retry_after, Some(Duration::from_secs(7)));
    assert_eq!(status.as_u16(), 403);
}

#[tokio::test]
async fn rejections_are_permanent() {
    for (failure, status) in [(Failure::Unprocessable, 422), (Failure::Unauthorized, 401)] {
        let (error, _fake) = create_error(failure, None).await;
        assert_eq!(error.error_type(), error_type::GITHUB_REJECTED, "{failure:?}: {error}");
        assert_eq!(error.status().map(|status| status.as_u16()), Some(status));
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn missing_issue_is_rejected_with_404() {
    let fake = start().await;
    let error = client(&fake).await.get_issue(99).await.expect_err("no issue 99");
    assert_eq!(error.error_type(), error_type::GITHUB_REJECTED);
    assert_eq!(error.status().map(|status| status.as_u16()), Some(404));
}

#[tokio::test]
async fn hanging_request_times_out() {
    let (error, _fake) = create_error(Failure::Timeout, Some(5)).await;
    assert_eq!(error.error_type(), error_type::GITHUB_TIMEOUT, "{error}");
}

#[tokio::test]
async fn lost_responses_still_create_the_issue() {
    let expected = [
        (Failure::LostResponseBadGateway, error_type::GITHUB_SERVER_ERROR),
        (Failure::LostResponseDisconnect, error_type::GITHUB_CONNECTION_FAILED),
    ];
    for (failure, name) in expected {
        let (error, fake) = create_error(failure, None).await;
        assert_eq!(error.error_type(), name, "{failure:?}: {error}");
        assert_eq!(fake.fake.issues().len(), 1, "{failure:?} did not create the issue");
    }
}

#[tokio::test]
async fn unreachable_api_is_a_connection_failure() {
    let fake = start().await;
    let config = config(&fake, Credentials::Token("dummy".to_owned()));
    fake.shutdown().await.expect("the fake stops");
    let client = IssuesClient::connect(config).await.expect("client builds");
    let error = client.get_issue(1).await.expect_err("nothing listens");
    assert_eq!(error.error_type(), error_type::GITHUB_CONNECTION_FAILED, "{error}");
}

#[tokio::test]
async fn app_credentials_use_an_installation_token() {
    let Ok(output) = std::process::Command::new("openssl").args(["genrsa", "2048"]).output() else {
        panic!("openssl is needed to generate a test App key");
    };
    assert!(output.status.success(), "openssl genrsa failed");
    let pem = String::from_utf8(output.stdout).expect("PEM is text");

    let fake = start().await;
    let client = IssuesClient::connect(config(&fake, Credentials::App { app_id: 42, private_key_pem: pem }))
        .await
        .expect("the installation is found");
    let created = client.create_issue(&new_issue("app").1).await.expect("create as installation succeeds");
    assert_eq!(created.number, 1);
    assert!(fake.fake.unmodeled_requests().is_empty(), "{:?}", fake.fake.unmodeled_requests());
}

#[tokio::test]
async fn invalid_app_key_is_a_config_error() {
    let fake = start().await;
    let credentials = Credentials::App { app_id: 42, private_key_pem: "not a key".to_owned() };
    let error = IssuesClient::connect(config(&fake, credentials)).await.expect_err("the key is invalid");
    assert!(matches!(error, GitHubError::Config(_)), "{error}");
    assert!(!error.to_string().contains("not a key"), "the key leaked into the message: {error}");
}
