//! The ingest handler against real engines: DynamoDB in dynalite and Step Functions in moto, both
//! reached through the real SDK clients. Each test uses its own table and state machine, so the
//! tests run concurrently without seeing each other's items or executions.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use ingest::auth::{Auth, signature_header};
use ingest::workflow::{StartError, StartWorkflow, StepFunctions};
use ingest::{App, Metrics, handle};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use tally_core::metrics;
use tally_core::workflow::ExecutionInput;
use tally_store::claim::NewItem;
use tally_store::{Table, attr};
use tally_tests::engines::Engines;

const LEASE: Duration = Duration::from_secs(60);

/// A native report of a Python error raised in function `bug`, so each `bug` has its own
/// fingerprint.
fn report(bug: &str, repo: &str) -> Value {
    json!({
        "repo": repo,
        "error": format!(
            "Traceback (most recent call last):\n  File \"/home/runner/work/app/app/main.py\", line 12, in <module>\n    run()\n  File \"/home/runner/work/app/app/main.py\", line 8, in {bug}\n    lookup()\nKeyError: 'missing'\n"
        ),
        "version": "1.2.3",
    })
}

fn post(body: impl Into<Vec<u8>>) -> Request {
    lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/report")
        .header("content-type", "application/json")
        .body(Body::Binary(body.into()))
        .expect("valid request")
}

fn post_json(value: &Value) -> Request {
    post(serde_json::to_vec(value).expect("serializable"))
}

fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("response body is JSON")
}

/// Builds an app on a fresh table and a fresh state machine.
async fn app(engines: &Engines) -> (App<StepFunctions>, String) {
    // The handler's logs show up in the output of a failing test.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let table = engines.create_table().await;
    let state_machine_arn = engines.create_pass_state_machine().await;
    let workflow = StepFunctions::new(engines.sfn.clone(), &state_machine_arn);
    let app = App::new(Table::new(engines.dynamodb.clone(), table), workflow, Auth::None, LEASE).with_metrics(Metrics::totals());
    (app, state_machine_arn)
}

async fn item(engines: &Engines, table: &Table, fingerprint: &str) -> tally_store::Item {
    Table::new(engines.dynamodb.clone(), table.name())
        .get(fingerprint)
        .await
        .expect("GetItem succeeds")
        .expect("item exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_report_300_times_one_winner() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    let body = report("same_report_300_times", "octo/alpha");

    let responses = join_all((0..300).map(|_| handle(&app, post_json(&body)))).await;

    let mut new = 0;
    let mut fingerprints = std::collections::BTreeSet::new();
    for response in &responses {
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{:?}", response.body());
        let json = body_json(response);
        if json["status"] == "new" {
            new += 1;
        }
        fingerprints.insert(json["fingerprint"].as_str().expect("fingerprint").to_owned());
    }
    assert_eq!(new, 1, "exactly one report wins the claim");
    assert_eq!(fingerprints.len(), 1, "all reports share one fingerprint");

    let fingerprint = fingerprints.pop_first().expect("one fingerprint");
    let stored = item(&engines, &app.table, &fingerprint).await;
    assert_eq!(stored.occurrences, 300);
    assert!(stored.execution_arn.is_some(), "the winner records its execution");
    assert_eq!(engines.execution_names(&state_machine_arn).await, vec![
        ExecutionInput::open(&fingerprint, 0).execution_name()
    ]);
    assert_eq!(app.metrics.total(metrics::REPORTS_RECEIVED), 300);
    assert_eq!(app.metrics.total(metrics::DUPLICATE_REPORTS), 299);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distinct_errors_interleaved_counts_exact() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    // Letters only: digits in names are masked by normalization, so they would not tell bugs apart.
    let bugs: Vec<String> = (b'a'..=b'y').map(|letter| format!("handle_{}", char::from(letter).to_string().repeat(3))).collect();

    // Round-robin order, so every fingerprint is contended throughout the run.
    let requests: Vec<Value> = (0..40)
        .flat_map(|round| bugs.iter().map(move |bug| report(bug, &format!("octo/repo-{}", round % 7))))
        .collect();
    let responses = join_all(requests.iter().map(|body| handle(&app, post_json(body)))).await;

    let mut per_fingerprint = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for response in &responses {
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{:?}", response.body());
        let json = body_json(response);
        let entry = per_fingerprint.entry(json["fingerprint"].as_str().expect("fingerprint").to_owned()).or_default();
        entry.0 += 1;
        if json["status"] == "new" {
            entry.1 += 1;
        }
    }
    assert_eq!(per_fingerprint.len(), 25);
    for (fingerprint, (reports, winners)) in &per_fingerprint {
        assert_eq!(*reports, 40, "{fingerprint}");
        assert_eq!(*winners, 1, "{fingerprint}");
        let stored = item(&engines, &app.table, fingerprint).await;
        assert_eq!(stored.occurrences, 40, "{fingerprint}");
        assert_eq!(stored.repos.len(), 7, "{fingerprint}");
    }
    assert_eq!(engines.execution_names(&state_machine_arn).await.len(), 25);
}

/// Fails the first `failures` starts, then delegates to the real state machine.
struct FailingStarts<W> {
    inner: W,
    failures: AtomicU32,
}

impl<W: StartWorkflow> StartWorkflow for FailingStarts<W> {
    async fn start(&self, input: &ExecutionInput) -> Result<String, StartError> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 && self.failures.compare_exchange(left, left - 1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return Err(StartError::Failed { name: input.execution_name(), source: "injected fault".into() });
        }
        self.inner.start(input).await
    }
}

#[tokio::test]
async fn start_failure_503_then_retry_recovers() {
    let engines = Engines::from_env().await;
    let (inner, state_machine_arn) = app(&engines).await;
    let app = App::new(
        inner.table.clone(),
        FailingStarts { inner: inner.workflow, failures: AtomicU32::new(1) },
        Auth::None,
        LEASE,
    );
    let body = report("start_failure", "octo/alpha");

    let failed = handle(&app, post_json(&body)).await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failed.headers().get("retry-after").map(|v| v.as_bytes()), Some(&b"1"[..]));
    assert!(!body_json(&failed)["error"].as_str().unwrap_or_default().contains("injected"), "internal text stays internal");
    assert!(engines.execution_names(&state_machine_arn).await.is_empty());

    let retried = handle(&app, post_json(&body)).await;
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let json = body_json(&retried);
    assert_eq!(json["status"], "new", "the failed report left no claim behind");
    assert_eq!(json["occurrences"], 1, "the failed report was not counted");
    assert_eq!(engines.execution_names(&state_machine_arn).await.len(), 1);
}

#[tokio::test]
async fn start_failure_with_concurrent_duplicates_keeps_their_counts() {
    let engines = Engines::from_env().await;
    let (inner, state_machine_arn) = app(&engines).await;
    let app = App::new(
        inner.table.clone(),
        FailingStarts { inner: inner.workflow, failures: AtomicU32::new(1) },
        Auth::None,
        LEASE,
    );
    let body = report("start_failure_with_duplicates", "octo/alpha");

    let responses = join_all((0..20).map(|_| handle(&app, post_json(&body)))).await;
    let accepted = responses.iter().filter(|r| r.status() == StatusCode::ACCEPTED).count();
    let unavailable = responses.iter().filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE).count();
    assert_eq!(accepted + unavailable, 20);
    assert_eq!(unavailable, 1, "only the winner's start failed");

    // Whatever the interleaving, the next report finds the claim released and starts the one
    // execution, and the stored count is exactly the accepted reports plus this one.
    let next = handle(&app, post_json(&body)).await;
    assert_eq!(next.status(), StatusCode::ACCEPTED);
    let fingerprint = body_json(&next)["fingerprint"].as_str().expect("fingerprint").to_owned();
    let stored = item(&engines, &app.table, &fingerprint).await;
    assert_eq!(stored.occurrences, accepted as u64 + 1);
    assert_eq!(engines.execution_names(&state_machine_arn).await.len(), 1);
    assert!(stored.execution_arn.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_claim_is_taken_over_once() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    let body = report("stale_claim", "octo/alpha");

    // A winner that crashed between its PutItem and its StartExecution leaves exactly this item.
    let fingerprint = fingerprint_of(&body);
    let crashed_at = chrono::Utc::now().timestamp_millis() - 2 * LEASE.as_millis() as i64;
    let claimed = app
        .table
        .claim(&NewItem {
            fingerprint: &fingerprint,
            repo: "octo/alpha",
            version: None,
            title: "KeyError",
            language: "Python",
            sample: "{}",
            now_ms: crashed_at,
        })
        .await
        .expect("claim succeeds");
    assert_eq!(claimed, tally_store::claim::Claim::Won);

    let responses = join_all((0..30).map(|_| handle(&app, post_json(&body)))).await;

    assert!(responses.iter().all(|r| r.status() == StatusCode::ACCEPTED));
    let stored = item(&engines, &app.table, &fingerprint).await;
    assert_eq!(stored.occurrences, 31);
    assert!(stored.execution_arn.is_some(), "the takeover records its execution");
    assert_eq!(engines.execution_names(&state_machine_arn).await, vec![
        ExecutionInput::open(&fingerprint, 0).execution_name()
    ]);
}

#[tokio::test]
async fn fresh_claim_is_not_taken_over() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    let body = report("fresh_claim", "octo/alpha");
    let fingerprint = fingerprint_of(&body);
    app.table
        .claim(&NewItem {
            fingerprint: &fingerprint,
            repo: "octo/alpha",
            version: None,
            title: "KeyError",
            language: "Python",
            sample: "{}",
            now_ms: chrono::Utc::now().timestamp_millis(),
        })
        .await
        .expect("claim succeeds");

    let response = handle(&app, post_json(&body)).await;

    assert_eq!(body_json(&response)["status"], "duplicate");
    assert!(engines.execution_names(&state_machine_arn).await.is_empty(), "the claim's lease has not run out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_open_is_retried_once() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    let body = report("failed_open", "octo/alpha");
    let first = handle(&app, post_json(&body)).await;
    let fingerprint = body_json(&first)["fingerprint"].as_str().expect("fingerprint").to_owned();
    set_attributes(&engines, &app.table, &fingerprint, &[
        (attr::ISSUE_STATE, AttributeValue::S("failed".into())),
        (attr::FAILURE_TYPE, AttributeValue::S("GitHubRejected".into())),
    ])
    .await;

    let responses = join_all((0..20).map(|_| handle(&app, post_json(&body)))).await;

    assert!(responses.iter().all(|r| r.status() == StatusCode::ACCEPTED));
    let stored = item(&engines, &app.table, &fingerprint).await;
    assert_eq!(stored.open_attempt, 1);
    assert_eq!(stored.issue_state, None, "the failure is cleared for the new attempt");
    let mut names = engines.execution_names(&state_machine_arn).await;
    names.sort();
    assert_eq!(names, vec![
        ExecutionInput::open(&fingerprint, 0).execution_name(),
        ExecutionInput::open(&fingerprint, 1).execution_name(),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ended_sync_loop_resumes_once() {
    let engines = Engines::from_env().await;
    let (app, state_machine_arn) = app(&engines).await;
    let body = report("ended_sync", "octo/alpha");
    let first = handle(&app, post_json(&body)).await;
    let fingerprint = body_json(&first)["fingerprint"].as_str().expect("fingerprint").to_owned();
    set_attributes(&engines, &app.table, &fingerprint, &[
        (attr::ISSUE_STATE, AttributeValue::S("open".into())),
        (attr::ISSUE_NUMBER, AttributeValue::N("7".into())),
        (attr::ISSUE_URL, AttributeValue::S("https://github.com/octo/issues/issues/7".into())),
        (attr::SYNC_ACTIVE, AttributeValue::Bool(false)),
    ])
    .await;

    let responses = join_all((0..20).map(|_| handle(&app, post_json(&body)))).await;

    for response in &responses {
        assert_eq!(body_json(response)["issue_url"], "https://github.com/octo/issues/issues/7");
    }
    let stored = item(&engines, &app.table, &fingerprint).await;
    assert!(stored.sync_active);
    assert_eq!(stored.sync_generation, 1);
    assert!(stored.sync_execution_arn.is_some());
    let names = engines.execution_names(&state_machine_arn).await;
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&ExecutionInput::sync(&fingerprint, 1).execution_name()));
}

#[tokio::test]
async fn warm_duplicates_cost_one_write() {
    let engines = Engines::from_env().await;
    let (app, _) = app(&engines).await;
    let body = report("write_cost", "octo/alpha");

    handle(&app, post_json(&body)).await;
    let after_first = app.table.writes_sent();
    for _ in 0..50 {
        assert_eq!(handle(&app, post_json(&body)).await.status(), StatusCode::ACCEPTED);
    }
    let duplicates_writes = app.table.writes_sent() - after_first;

    // The winner writes the claim and the execution ARN; a warm container has the fingerprint
    // cached, so each duplicate is a single UpdateItem.
    assert_eq!(after_first, 2);
    assert_eq!(duplicates_writes, 50);

    // A cold container pays one failed conditional put once, then is warm.
    let cold = App::new(app.table.clone(), StepFunctions::new(engines.sfn.clone(), "unused"), Auth::None, LEASE);
    let before = cold.table.writes_sent();
    handle(&cold, post_json(&body)).await;
    handle(&cold, post_json(&body)).await;
    assert_eq!(cold.table.writes_sent() - before, 3);
}

#[tokio::test]
async fn http_errors_name_the_problem() {
    let engines = Engines::from_env().await;
    let (app, _) = app(&engines).await;

    let get = lambda_http::http::Request::builder().method(Method::GET).uri("/report").body(Body::Empty).expect("request");
    let response = handle(&app, get).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers().get("allow").map(|v| v.as_bytes()), Some(&b"POST"[..]));

    let text = lambda_http::http::Request::builder()
        .method(Method::POST)
        .header("content-type", "text/plain")
        .body(Body::Text("boom".into()))
        .expect("request");
    assert_eq!(handle(&app, text).await.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let oversized = post(vec![b' '; tally_core::report::MAX_BODY_BYTES + 1]);
    let response = handle(&app, oversized).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body_json(&response)["error"].as_str().expect("message").contains(&tally_core::report::MAX_BODY_BYTES.to_string()));

    let invalid_utf8 = post(b"{\"repo\": \"octo/a\", \"error\": \"\xff\xfe\"}".to_vec());
    assert_eq!(handle(&app, invalid_utf8).await.status(), StatusCode::BAD_REQUEST);

    let not_json = post(b"{\"repo\": ".to_vec());
    assert_eq!(handle(&app, not_json).await.status(), StatusCode::BAD_REQUEST);

    let missing_error = handle(&app, post_json(&json!({"repo": "octo/a"}))).await;
    assert_eq!(missing_error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(&missing_error)["field"], "error");

    let bad_repo = handle(&app, post_json(&json!({"repo": "not a repo", "error": "boom"}))).await;
    assert_eq!(bad_repo.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(&bad_repo)["field"], "repo");
}

#[tokio::test]
async fn hmac_signature_is_enforced() {
    let engines = Engines::from_env().await;
    let (plain, _) = app(&engines).await;
    let secret = b"test-secret".to_vec();
    let app = App::new(plain.table.clone(), plain.workflow, Auth::Hmac(secret.clone()), LEASE);
    let body = serde_json::to_vec(&report("hmac", "octo/alpha")).expect("json");

    let unsigned = handle(&app, post(body.clone())).await;
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);

    let mut wrong = post(body.clone());
    wrong.headers_mut().insert("x-tally-signature", signature_header(b"other", &body).parse().expect("header"));
    assert_eq!(handle(&app, wrong).await.status(), StatusCode::FORBIDDEN);

    let mut malformed = post(body.clone());
    malformed.headers_mut().insert("x-tally-signature", "sha256=nothex".parse().expect("header"));
    assert_eq!(handle(&app, malformed).await.status(), StatusCode::UNAUTHORIZED);

    let mut signed = post(body.clone());
    signed.headers_mut().insert("x-tally-signature", signature_header(&secret, &body).parse().expect("header"));
    assert_eq!(handle(&app, signed).await.status(), StatusCode::ACCEPTED);
}

fn fingerprint_of(body: &Value) -> String {
    let bytes = serde_json::to_vec(body).expect("json");
    let report = tally_core::report::Report::from_json(&bytes).expect("valid report").scrubbed();
    tally_core::fingerprint::analyze(&report).fingerprint.to_hex()
}

async fn set_attributes(engines: &Engines, table: &Table, fingerprint: &str, values: &[(&str, AttributeValue)]) {
    let mut request = engines
        .dynamodb
        .update_item()
        .table_name(table.name())
        .key(attr::FINGERPRINT, AttributeValue::S(fingerprint.to_owned()));
    let mut assignments = Vec::new();
    for (index, (name, value)) in values.iter().enumerate() {
        assignments.push(format!("#n{index} = :v{index}"));
        request = request
            .expression_attribute_names(format!("#n{index}"), *name)
            .expression_attribute_values(format!(":v{index}"), value.clone());
    }
    request.update_expression(format!("SET {}", assignments.join(", "))).send().await.expect("UpdateItem succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repository_and_version_sets_stay_bounded() {
    let engines = Engines::from_env().await;
    let (app, _) = app(&engines).await;
    let first = handle(&app, post_json(&report("bounded_sets", "octo/repo-0"))).await;
    let fingerprint = body_json(&first)["fingerprint"].as_str().expect("fingerprint").to_owned();

    // 59 more repositories, all on the first report's version: 10 of them no longer fit.
    let repositories = join_all((1..60).map(|index| {
        let body = report("bounded_sets", &format!("octo/repo-{index}"));
        let app = &app;
        async move { handle(app, post_json(&body)).await }
    }))
    .await;
    assert!(repositories.iter().all(|response| response.status() == StatusCode::ACCEPTED));

    // 60 new versions from a repository already in the set: 11 versions no longer fit, but
    // their reports are not counted as coming from unlisted repositories.
    let versions = join_all((0..60).map(|index| {
        let mut body = report("bounded_sets", "octo/repo-0");
        body["version"] = json!(format!("2.0.{index}"));
        let app = &app;
        async move { handle(app, post_json(&body)).await }
    }))
    .await;
    assert!(versions.iter().all(|response| response.status() == StatusCode::ACCEPTED));

    let stored = item(&engines, &app.table, &fingerprint).await;
    assert_eq!(stored.occurrences, 120);
    assert_eq!(stored.repos.len(), attr::MAX_REPOS);
    assert!(stored.repos.contains("octo/repo-0"));
    assert_eq!(stored.repos_overflow, 10);
    assert_eq!(stored.versions.len(), attr::MAX_VERSIONS);
}
