//! The real state machine runs in moto, its tasks run the open-issue and sync-occurrences binaries
//! under `cargo lambda watch`, DynamoDB is dynalite and GitHub is the fake. The tests check one
//! issue per fingerprint whatever GitHub does, failures recorded on the item, and the count kept
//! on the issue.
//!
//! Each test uses its own fingerprint and state machine, so the tests run concurrently against
//! one stack. The functions run with the test sync windows of `tally local` (debounce 1 s,
//! maximum wait 3 s, quiet period 6 s).

use std::time::Duration;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::json;
use tally_core::error_type;
use tally_core::fingerprint::Fingerprint;
use tally_core::render::{fingerprint_marker, issue_title};
use tally_core::report::Report;
use tally_core::workflow::ExecutionInput;
use tally_infra::local::github_fake::{Failure, FakeIssue, Injection, Operation, RecordedRequest, UnmodeledRequest};
use tally_store::claim::{Claim, NewItem, Occurrence};
use tally_store::{IssueState, Item, Table};
use tally_tests::engines::{Engines, sdk_config, unique_name, DYNAMODB_URL, endpoint};
use tally_tests::executions::{self, describe, task_failures};
use tally_tests::functions::{functions_table, github_url};

const DEFINITION: &str = include_str!("../../statemachine/tally.asl.json");

/// Maximum time an execution may run. The quiet period, a few sync rounds, the retries with
/// backoff and a client timeout fit well inside it.
const EXECUTION_TIMEOUT: Duration = Duration::from_secs(240);

/// Repository the functions under `tally local` open issues in.
const ISSUES_REPO: &str = "tally-test/issues";

struct World {
    engines: Engines,
    table: Table,
    state_machine: String,
    http: reqwest::Client,
    github: String,
}

async fn world() -> World {
    let engines = Engines::from_env().await;
    let definition = DEFINITION
        .replace("${OpenIssueFunctionArn}", "open-issue")
        .replace("${SyncOccurrencesFunctionArn}", "sync-occurrences");
    let state_machine = engines.create_state_machine(&definition).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoint(DYNAMODB_URL)).await);
    World {
        engines,
        table: Table::new(dynamodb, functions_table()),
        state_machine,
        http: reqwest::Client::new(),
        github: github_url(),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Builds a report with an error text no other test uses, and returns it with its fingerprint.
fn report(case: &str, version: Option<&str>) -> (String, Report) {
    let unique = unique_name(case);
    let report = Report {
        repo: "acme/widget".to_owned(),
        error: format!("Error: {unique} failed\n    at run (src/main.rs:10:5)"),
        run_url: None,
        title: Some(format!("{case} failed ({unique})")),
        fingerprint: Some(unique.clone()),
        version: version.map(str::to_owned),
        context: Default::default(),
        image: None,
        manual_intervention_url: None,
    };
    (Fingerprint::of_client_key(&unique).to_string(), report)
}

impl World {
    /// Stores the first report as ingest's winner does.
    async fn claim(&self, fingerprint: &str, report: &Report) {
        let sample = serde_json::to_string(report).expect("report encodes");
        let claim = self
            .table
            .claim(&NewItem {
                fingerprint,
                repo: &report.repo,
                version: report.version.as_deref(),
                title: &issue_title(report),
                language: "rust",
                sample: &sample,
                now_ms: now_ms(),
            })
            .await
            .expect("claim succeeds");
        assert_eq!(claim, Claim::Won);
    }

    /// Counts one more report as ingest's losers do.
    async fn count(&self, fingerprint: &str, repo: &str, version: Option<&str>) -> Item {
        self.table
            .count_occurrence(&Occurrence { fingerprint, repo, version, now_ms: now_ms() })
            .await
            .expect("count succeeds")
    }

    async fn item(&self, fingerprint: &str) -> Item {
        self.table.get(fingerprint).await.expect("read succeeds").expect("item exists")
    }

    async fn start(&self, input: &ExecutionInput) -> String {
        let body = serde_json::to_string(input).expect("input encodes");
        executions::start(&self.engines.sfn, &self.state_machine, &input.execution_name(), &body).await
    }

    async fn finish(&self, execution_arn: &str) -> DescribeExecutionOutput {
        executions::wait_until_done(&self.engines.sfn, execution_arn, EXECUTION_TIMEOUT).await
    }

    async fn history(&self, execution_arn: &str) -> String {
        describe(&executions::history(&self.engines.sfn, execution_arn).await)
    }

    async fn failures(&self, execution_arn: &str) -> Vec<String> {
        task_failures(&executions::history(&self.engines.sfn, execution_arn).await)
    }

    /// Runs open attempt `attempt` to its end and returns the execution.
    async fn open(&self, fingerprint: &str, attempt: u64) -> (String, DescribeExecutionOutput) {
        let arn = self.start(&ExecutionInput::open(fingerprint, attempt)).await;
        let execution = self.finish(&arn).await;
        (arn, execution)
    }

    /// Waits until the open step recorded the issue, polling within [`EXECUTION_TIMEOUT`].
    async fn wait_for_issue(&self, fingerprint: &str) {
        let deadline = tokio::time::Instant::now() + EXECUTION_TIMEOUT;
        while self.item(fingerprint).await.issue_state != Some(IssueState::Open) {
            assert!(tokio::time::Instant::now() < deadline, "no issue recorded for {fingerprint} in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resumes the ended sync loop as ingest does after a later report, and runs it to its end.
    async fn resume(&self, fingerprint: &str) -> (String, DescribeExecutionOutput) {
        let item = self.item(fingerprint).await;
        let generation = self
            .table
            .resume_sync(&item, now_ms())
            .await
            .expect("resume succeeds")
            .unwrap_or_else(|| panic!("the sync loop did not end: {item:?}"));
        let arn = self.start(&ExecutionInput::sync(fingerprint, generation)).await;
        let execution = self.finish(&arn).await;
        (arn, execution)
    }

    async fn inject(&self, fingerprint: &str, operation: Operation, failure: Failure, seconds: Option<u64>) {
        let injection = Injection { fingerprint: fingerprint.to_owned(), operation, failure, times: 1, seconds };
        let response = self
            .http
            .post(format!("{}/_fake/inject", self.github))
            .json(&injection)
            .send()
            .await
            .expect("inject request succeeds");
        assert!(response.status().is_success(), "inject returned {}", response.status());
    }

    async fn issues(&self, fingerprint: &str) -> Vec<FakeIssue> {
        self.http
            .get(format!("{}/_fake/issues", self.github))
            .query(&[("fingerprint", fingerprint)])
            .send()
            .await
            .expect("issue listing succeeds")
            .json()
            .await
            .expect("issue listing is JSON")
    }

    async fn requests(&self, fingerprint: &str) -> Vec<RecordedRequest> {
        self.http
            .get(format!("{}/_fake/requests", self.github))
            .query(&[("fingerprint", fingerprint)])
            .send()
            .await
            .expect("request listing succeeds")
            .json()
            .await
            .expect("request listing is JSON")
    }

    async fn close(&self, number: u64, reason: &str) {
        let response = self
            .http
            .post(format!("{}/_fake/issues/{ISSUES_REPO}/{number}/close", self.github))
            .json(&json!({ "reason": reason }))
            .send()
            .await
            .expect("close request succeeds");
        assert!(response.status().is_success(), "close returned {}", response.status());
    }

    async fn assert_no_unmodeled_requests(&self) {
        let unmodeled: Vec<UnmodeledRequest> = self
            .http
            .get(format!("{}/_fake/unmodeled", self.github))
            .send()
            .await
            .expect("unmodeled listing succeeds")
            .json()
            .await
            .expect("unmodeled listing is JSON");
        assert!(unmodeled.is_empty(), "the functions made requests the GitHub fake does not model: {unmodeled:?}");
    }

    /// Returns the only issue of `fingerprint`, after checking it against the item.
    async fn only_issue(&self, fingerprint: &str) -> FakeIssue {
        let issues = self.issues(fingerprint).await;
        assert_eq!(issues.len(), 1, "expected exactly one issue for {fingerprint}: {issues:#?}");
        let issue = issues.into_iter().next().expect("one issue");
        let item = self.item(fingerprint).await;
        assert_eq!(item.issue_state, Some(IssueState::Open), "{item:?}");
        assert_eq!(item.issue_number, Some(issue.number), "{item:?}");
        issue
    }
}

fn assert_succeeded(execution: &DescribeExecutionOutput, history: &str) {
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "history: {history}");
}

fn comment_markers(issue: &FakeIssue) -> Vec<String> {
    issue
        .comments
        .iter()
        .map(|comment| comment.body.lines().next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn happy_path_opens_one_issue() {
    let world = world().await;
    let (fingerprint, report) = report("happy", Some("1.0.0"));
    world.claim(&fingerprint, &report).await;

    let (arn, execution) = world.open(&fingerprint, 0).await;
    assert_succeeded(&execution, &world.history(&arn).await);

    let issue = world.only_issue(&fingerprint).await;
    let parsed: Fingerprint = fingerprint.parse().expect("hex fingerprint");
    assert!(issue.body.contains(&fingerprint_marker(&parsed)), "{}", issue.body);
    assert!(issue.body.contains("**Occurrences:** 1 "), "{}", issue.body);
    assert!(issue.body.contains("`acme/widget`"), "{}", issue.body);
    assert!(issue.body.contains("**Versions:** `1.0.0`"), "{}", issue.body);
    assert_eq!(issue.title, issue_title(&report));
    assert!(issue.comments.is_empty(), "{:?}", issue.comments);

    let item = world.item(&fingerprint).await;
    assert!(!item.sync_active, "the loop should end after the quiet period: {item:?}");
    assert_eq!(item.synced_occurrences, 1);
    assert_eq!(item.issue_url.as_deref(), Some(format!("https://github.com/{ISSUES_REPO}/issues/{}", issue.number).as_str()));
    assert!(world.failures(&arn).await.is_empty());
    world.assert_no_unmodeled_requests().await;
}

/// Injects `failure` into the first create, runs the open execution and checks that it retried
/// under `expected_error` and still opened exactly one issue.
async fn retried_create_opens_one_issue(case: &str, failure: Failure, seconds: Option<u64>, expected_error: &str) {
    let world = world().await;
    let (fingerprint, report) = report(case, None);
    world.claim(&fingerprint, &report).await;
    world.inject(&fingerprint, Operation::CreateIssue, failure, seconds).await;

    let (arn, execution) = world.open(&fingerprint, 0).await;
    assert_succeeded(&execution, &world.history(&arn).await);

    let failures = world.failures(&arn).await;
    assert_eq!(failures, vec![expected_error.to_owned()], "history: {}", world.history(&arn).await);
    world.only_issue(&fingerprint).await;
    world.assert_no_unmodeled_requests().await;
}

#[tokio::test]
async fn server_error_is_retried_into_one_issue() {
    retried_create_opens_one_issue("error500", Failure::InternalServerError, None, error_type::GITHUB_SERVER_ERROR).await;
}

#[tokio::test]
async fn bad_gateway_is_retried_into_one_issue() {
    retried_create_opens_one_issue("error502", Failure::BadGateway, None, error_type::GITHUB_SERVER_ERROR).await;
}

#[tokio::test]
async fn secondary_rate_limit_is_retried_into_one_issue() {
    retried_create_opens_one_issue("ratelimit", Failure::SecondaryRateLimit, Some(1), error_type::GITHUB_RATE_LIMITED)
        .await;
}

#[tokio::test]
async fn timeout_is_retried_into_one_issue() {
    retried_create_opens_one_issue("timeout", Failure::Timeout, Some(30), error_type::GITHUB_TIMEOUT).await;
}

/// The issue is created but the response is lost: the retry must find it by its marker.
async fn lost_response_is_recovered_by_marker(case: &str, failure: Failure, expected_error: &str) {
    let world = world().await;
    let (fingerprint, report) = report(case, None);
    world.claim(&fingerprint, &report).await;
    world.inject(&fingerprint, Operation::CreateIssue, failure, None).await;

    let (arn, execution) = world.open(&fingerprint, 0).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    assert_eq!(world.failures(&arn).await, vec![expected_error.to_owned()]);

    world.only_issue(&fingerprint).await;
    let creates: Vec<RecordedRequest> = world
        .requests(&fingerprint)
        .await
        .into_iter()
        .filter(|request| request.operation == Operation::CreateIssue)
        .collect();
    assert_eq!(creates.len(), 1, "the retry created again instead of finding the issue: {creates:?}");
    assert_eq!(creates[0].injected, Some(failure));
}

#[tokio::test]
async fn lost_response_502_is_recovered_by_marker() {
    lost_response_is_recovered_by_marker("lost502", Failure::LostResponseBadGateway, error_type::GITHUB_SERVER_ERROR)
        .await;
}

#[tokio::test]
async fn dropped_connection_is_recovered_by_marker() {
    lost_response_is_recovered_by_marker(
        "lostconn",
        Failure::LostResponseDisconnect,
        error_type::GITHUB_CONNECTION_FAILED,
    )
    .await;
}

#[tokio::test]
async fn permanent_failure_recorded_then_retried() {
    let world = world().await;
    let (fingerprint, report) = report("rejected", None);
    world.claim(&fingerprint, &report).await;
    world.inject(&fingerprint, Operation::CreateIssue, Failure::Unprocessable, None).await;

    let (arn, execution) = world.open(&fingerprint, 0).await;
    let history = world.history(&arn).await;
    assert_eq!(execution.status, ExecutionStatus::Failed, "history: {history}");
    assert_eq!(execution.error.as_deref(), Some(error_type::GITHUB_REJECTED), "history: {history}");
    assert!(execution.cause.as_deref().is_some_and(|cause| cause.contains("422")), "cause: {:?}", execution.cause);
    assert_eq!(world.failures(&arn).await, vec![error_type::GITHUB_REJECTED.to_owned()], "retried a permanent error");

    let item = world.item(&fingerprint).await;
    assert_eq!(item.issue_state, Some(IssueState::Failed), "{item:?}");
    assert_eq!(item.failure_type.as_deref(), Some(error_type::GITHUB_REJECTED));
    assert!(item.failure_message.as_deref().is_some_and(|message| message.contains("422")), "{item:?}");
    assert!(world.issues(&fingerprint).await.is_empty());

    // A later report takes the failed item over, as ingest does, and starts attempt 1.
    let attempt = world.table.retry_failed_open(&item, now_ms()).await.expect("takeover succeeds");
    assert_eq!(attempt, Some(1));
    let (arn, execution) = world.open(&fingerprint, 1).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    world.only_issue(&fingerprint).await;
}

#[tokio::test]
async fn duplicates_update_the_summary_and_announce_milestones() {
    let world = world().await;
    let (fingerprint, report) = report("duplicates", Some("1.0"));
    world.claim(&fingerprint, &report).await;
    let arn = world.start(&ExecutionInput::open(&fingerprint, 0)).await;
    world.wait_for_issue(&fingerprint).await;

    // Reports keep arriving while the loop runs, from several repositories. An issue opened
    // after they arrived would show them in its body and announce nothing.
    for index in 0..11 {
        let repo = format!("acme/service-{}", index % 7);
        world.count(&fingerprint, &repo, Some("1.0")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let execution = world.finish(&arn).await;
    assert_succeeded(&execution, &world.history(&arn).await);

    let issue = world.only_issue(&fingerprint).await;
    assert!(issue.body.contains("**Occurrences:** 12 "), "{}", issue.body);
    assert!(issue.body.contains("**Repositories (8):**"), "{}", issue.body);
    assert!(issue.body.contains(" and 3 more"), "{}", issue.body);
    let markers = comment_markers(&issue);
    assert!(markers.contains(&"<!-- tally:comment=milestone-10 -->".to_owned()), "{markers:?}");
    let mut unique = markers.clone();
    unique.dedup();
    assert_eq!(unique, markers, "a comment was posted twice");
    assert!(markers.iter().all(|marker| marker.contains("milestone")), "{markers:?}");

    let item = world.item(&fingerprint).await;
    assert!(!item.sync_active);
    assert_eq!(item.synced_occurrences, 12);
    assert_eq!(item.last_milestone, 10);

    // A report after the loop ended resumes it under a new generation; it updates the count
    // silently, and a newer version is announced.
    world.count(&fingerprint, "acme/widget", Some("1.1")).await;
    let (arn, execution) = world.resume(&fingerprint).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    assert!(arn.contains(&ExecutionInput::sync(&fingerprint, 1).execution_name()), "{arn}");

    let issue = world.only_issue(&fingerprint).await;
    assert!(issue.body.contains("**Occurrences:** 13 "), "{}", issue.body);
    let markers = comment_markers(&issue);
    assert_eq!(markers.iter().filter(|marker| marker.contains("milestone")).count(), unique.len());
    assert_eq!(markers.last().map(String::as_str), Some("<!-- tally:comment=version-1.1 -->"), "{markers:?}");
    assert!(!world.item(&fingerprint).await.sync_active);
    world.assert_no_unmodeled_requests().await;
}

#[tokio::test]
async fn completed_issue_reopens_only_for_newer_versions() {
    let world = world().await;
    let (fingerprint, report) = report("regression", Some("1.0"));
    world.claim(&fingerprint, &report).await;
    let (arn, execution) = world.open(&fingerprint, 0).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    let number = world.only_issue(&fingerprint).await.number;
    world.close(number, "completed").await;

    // Reports from an older version only count.
    world.count(&fingerprint, "acme/widget", Some("0.9")).await;
    world.count(&fingerprint, "acme/widget", Some("0.9")).await;
    let (arn, execution) = world.resume(&fingerprint).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    let issue = world.only_issue(&fingerprint).await;
    assert_eq!(issue.state, "closed");
    assert!(issue.comments.is_empty(), "{:?}", issue.comments);
    assert!(issue.body.contains("Closed as completed; 2 occurrences since closing"), "{}", issue.body);

    // A report from a newer version is a regression: reopen with a comment.
    world.count(&fingerprint, "acme/other", Some("1.1")).await;
    let (arn, execution) = world.resume(&fingerprint).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    let issue = world.only_issue(&fingerprint).await;
    assert_eq!(issue.state, "open");
    assert_eq!(issue.state_reason.as_deref(), Some("reopened"));
    assert_eq!(issue.comments.len(), 1, "{:?}", issue.comments);
    let comment = &issue.comments[0].body;
    assert!(comment.contains("closed as completed: 3 new occurrences since closing"), "{comment}");
    assert!(comment.contains("`1.1`"), "{comment}");
    assert!(!comment.contains("`0.9`"), "{comment}");
    assert!(issue.body.contains("**Occurrences:** 4 "), "{}", issue.body);

    let item = world.item(&fingerprint).await;
    assert_eq!(item.closed_reason, None, "{item:?}");
    world.assert_no_unmodeled_requests().await;
}

#[tokio::test]
async fn not_planned_issue_counts_silently() {
    let world = world().await;
    let (fingerprint, report) = report("notplanned", None);
    world.claim(&fingerprint, &report).await;
    let (arn, execution) = world.open(&fingerprint, 0).await;
    assert_succeeded(&execution, &world.history(&arn).await);
    let number = world.only_issue(&fingerprint).await.number;
    world.close(number, "not_planned").await;

    for _ in 0..10 {
        world.count(&fingerprint, "acme/widget", None).await;
    }
    let (arn, execution) = world.resume(&fingerprint).await;
    assert_succeeded(&execution, &world.history(&arn).await);

    let issue = world.only_issue(&fingerprint).await;
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("not_planned"));
    assert!(issue.comments.is_empty(), "a not planned issue got comments: {:?}", issue.comments);
    assert!(issue.body.contains("**Occurrences:** 11 "), "{}", issue.body);
    assert!(issue.body.contains("Closed as not planned; 10 occurrences since closing"), "{}", issue.body);

    let item = world.item(&fingerprint).await;
    assert_eq!(item.closed_reason.as_deref(), Some("not_planned"));
    assert_eq!(item.closed_at_occurrences, Some(1));
}
