//! The whole service on the sample reports: the real ingest handler (in process) claims and
//! counts in dynalite and starts executions of the real state machine in moto, whose tasks run the
//! open-issue and sync-occurrences binaries under `cargo lambda watch` against the GitHub fake.
//!
//! The checks are what a maintainer sees: one issue per distinct bug, the exact count in its
//! summary block, and milestone comments without duplicates. The sample fingerprints are fixed,
//! so this test expects the fresh stack that `scripts/test` starts.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::future::join_all;
use ingest::auth::Auth;
use ingest::workflow::StepFunctions;
use ingest::{App, Metrics, handle};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request};
use serde_json::Value;
use tally_core::workflow::ExecutionInput;
use tally_infra::local::github_fake::{FakeIssue, UnmodeledRequest};
use tally_infra::stack::definition::state_machine_definition;
use tally_store::claim::{Claim, NewItem};
use tally_store::{IssueState, Item, Table};
use tally_tests::engines::Engines;
use tally_tests::functions::{functions_table, github_url};

/// Maximum wait for every issue to open and show its final count. The functions sync after a
/// 1 s debounce and end their loop after 6 quiet seconds under `scripts/test`.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(240);

/// The comment posted when a count that was below 10 when the issue opened reaches 10.
const MILESTONE_TEN: &str = "<!-- tally:comment=milestone-10 -->";

/// Copies of each sample report posted at once, so every bug is contended.
const COPIES: usize = 3;

struct Stack {
    engines: Engines,
    app: App<StepFunctions>,
    state_machine: String,
    http: reqwest::Client,
    github: String,
}

async fn stack() -> Stack {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let engines = Engines::from_env().await;
    let state_machine = engines
        .create_state_machine(&state_machine_definition("open-issue", "sync-occurrences"))
        .await;
    let table = Table::new(engines.dynamodb.clone(), functions_table());
    let workflow = StepFunctions::new(engines.sfn.clone(), &state_machine);
    let app = App::new(table, workflow, Auth::None, Duration::from_secs(60)).with_metrics(Metrics::totals());
    Stack { engines, app, state_machine, http: reqwest::Client::new(), github: github_url() }
}

fn post(body: Vec<u8>) -> Request {
    lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/report")
        .header("content-type", "application/json")
        .body(Body::Binary(body))
        .expect("valid request")
}

fn sample_reports() -> Vec<(String, Vec<u8>)> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/reports");
    let mut reports: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().expect("file name").to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("sample is readable"))
        })
        .collect();
    reports.sort();
    reports
}

/// Returns the bug a sample belongs to: its file name without the variant number.
fn bug_of(file_name: &str) -> &str {
    file_name.rsplit_once('-').map(|(bug, _)| bug).expect("sample names end in -N.json")
}

impl Stack {
    async fn item(&self, fingerprint: &str) -> Option<Item> {
        self.app.table.get(fingerprint).await.expect("GetItem succeeds")
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

    /// Waits until the issue of `fingerprint` shows `expected` in its summary and the sync loop
    /// has ended, so every comment it was going to post is there.
    async fn settled_issue(&self, fingerprint: &str, expected: u64) -> FakeIssue {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let summary = format!("**Occurrences:** {expected} ");
        loop {
            let issues = self.issues(fingerprint).await;
            if let [issue] = issues.as_slice() {
                let loop_ended = self.item(fingerprint).await.is_some_and(|item| !item.sync_active);
                if issue.body.contains(&summary) && loop_ended {
                    return issue.clone();
                }
            }
            assert!(issues.len() <= 1, "more than one issue for {fingerprint}: {issues:#?}");
            if Instant::now() > deadline {
                let item = self.item(fingerprint).await;
                panic!("no settled issue for {fingerprint} after {SETTLE_TIMEOUT:?}: issues {issues:#?}, item {item:#?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
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
        assert!(unmodeled.is_empty(), "the functions sent requests the fake does not model: {unmodeled:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn samples_one_issue_per_bug() {
    let stack = stack().await;
    let samples = sample_reports();
    assert_eq!(samples.len(), 17, "samples/README.md lists 17 reports");

    // Every copy of every sample at once.
    let requests = samples.iter().flat_map(|(name, body)| (0..COPIES).map(move |_| (name, body.clone())));
    let app = &stack.app;
    let responses = join_all(requests.map(|(name, body)| async move { (name, handle(app, post(body)).await) })).await;

    let mut fingerprint_of_bug = BTreeMap::<String, String>::new();
    let mut reports_per_bug = BTreeMap::<String, u64>::new();
    for (name, response) in &responses {
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}: {:?}", response.body());
        let json: Value = serde_json::from_slice(response.body().as_ref()).expect("JSON response");
        let fingerprint = json["fingerprint"].as_str().expect("fingerprint").to_owned();
        let previous = fingerprint_of_bug.insert(bug_of(name).to_owned(), fingerprint.clone());
        assert!(previous.is_none_or(|previous| previous == fingerprint), "{name} grouped apart from its bug");
        *reports_per_bug.entry(bug_of(name).to_owned()).or_default() += 1;
    }
    assert_eq!(fingerprint_of_bug.len(), 7, "7 distinct bugs: {fingerprint_of_bug:#?}");
    let distinct: std::collections::BTreeSet<&String> = fingerprint_of_bug.values().collect();
    assert_eq!(distinct.len(), 7, "distinct bugs never share a fingerprint");

    for (bug, fingerprint) in &fingerprint_of_bug {
        let expected = reports_per_bug[bug];
        let issue = stack.settled_issue(fingerprint, expected).await;

        let item = stack.item(fingerprint).await.expect("item exists");
        assert_eq!(item.occurrences, expected, "{bug}");
        assert_eq!(item.issue_state, Some(IssueState::Open), "{bug}");
        assert_eq!(item.issue_number, Some(issue.number), "{bug}");

        // Every copy arrived before the issue opened, and the body shows the count it opened
        // with, so no milestone is announced yet.
        assert!(!issue.comments.iter().any(|comment| comment.body.contains("tally:comment=milestone")), "{bug}: {:#?}", issue.comments);
        let mut markers: Vec<&str> = issue
            .comments
            .iter()
            .filter_map(|comment| comment.body.lines().next())
            .collect();
        let before = markers.len();
        markers.sort();
        markers.dedup();
        assert_eq!(markers.len(), before, "{bug} has a duplicated comment: {:#?}", issue.comments);
    }

    let executions = stack.engines.execution_names(&stack.state_machine).await;
    for fingerprint in fingerprint_of_bug.values() {
        let opens = executions.iter().filter(|name| **name == ExecutionInput::open(fingerprint, 0).execution_name()).count();
        assert_eq!(opens, 1, "one open execution for {fingerprint}: {executions:?}");
    }

    // A second wave after the sync loops ended: the Python bug grows from 9 past 10, which
    // resumes its sync loop once and announces the milestone once.
    let python = &fingerprint_of_bug["python-config-port"];
    let second_wave = samples.iter().filter(|(name, _)| bug_of(name) == "python-config-port");
    let responses = join_all(second_wave.map(|(_, body)| handle(app, post(body.clone())))).await;
    assert!(responses.iter().all(|response| response.status() == StatusCode::ACCEPTED));
    let grown = reports_per_bug["python-config-port"] + 3;
    let issue = stack.settled_issue(python, grown).await;
    let milestone_comments = issue.comments.iter().filter(|comment| comment.body.contains(MILESTONE_TEN)).count();
    assert_eq!(milestone_comments, 1, "10 occurrences announced once: {:#?}", issue.comments);
    let executions = stack.engines.execution_names(&stack.state_machine).await;
    let resumed = executions.iter().filter(|name| name.starts_with(&format!("sync-{}", &python[..32]))).count();
    assert_eq!(resumed, 1, "one resumed sync execution: {executions:?}");

    stack.assert_no_unmodeled_requests().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crashed_start_still_opens_one_issue() {
    let stack = stack().await;
    let body = serde_json::to_vec(&serde_json::json!({
        "repo": "octo/crash",
        "error": "thread 'main' panicked at src/ledger.rs:88:14:\ncalled `Option::unwrap()` on a `None` value in reconcile_crashed_start\nstack backtrace:\n   0: ledger::reconcile\n             at ./src/ledger.rs:88:14\n",
        "version": "2.0.0",
    }))
    .expect("JSON body");
    let report = tally_core::report::Report::from_json(&body).expect("valid report").scrubbed();
    let fingerprint = tally_core::fingerprint::analyze(&report).fingerprint.to_hex();

    // A winner that died between its PutItem and its StartExecution, two leases ago.
    let crashed_at = chrono::Utc::now().timestamp_millis() - 120_000;
    let sample = serde_json::to_string(&report).expect("report encodes");
    let title = tally_core::render::issue_title(&report);
    let claim = stack
        .app
        .table
        .claim(&NewItem {
            fingerprint: &fingerprint,
            repo: &report.repo,
            version: report.version.as_deref(),
            title: &title,
            language: "Rust",
            sample: &sample,
            now_ms: crashed_at,
        })
        .await
        .expect("claim succeeds");
    assert_eq!(claim, Claim::Won);

    let responses = join_all((0..10).map(|_| handle(&stack.app, post(body.clone())))).await;
    assert!(responses.iter().all(|response| response.status() == StatusCode::ACCEPTED));

    let issue = stack.settled_issue(&fingerprint, 11).await;
    assert_eq!(issue.title, title);
    assert_eq!(stack.issues(&fingerprint).await.len(), 1);
    let executions = stack.engines.execution_names(&stack.state_machine).await;
    let opens: Vec<&String> = executions.iter().filter(|name| name.starts_with("open-")).collect();
    assert_eq!(opens, vec![&ExecutionInput::open(&fingerprint, 0).execution_name()]);
    stack.assert_no_unmodeled_requests().await;
}
