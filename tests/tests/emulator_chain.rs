//! The chain every workflow test relies on: a state machine in moto server whose Lambda task
//! invokes a real function binary (`fixture-echo`) under `cargo lambda watch`, through the Invoke
//! API adapter. These tests prove that results come back, and that a function's `errorType`
//! reaches the state machine so `Retry` and `Catch` can match it.

use std::time::Duration;

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{Value, json};
use tally_tests::engines::{Engines, endpoint, unique_name};
use tally_tests::executions::{self, count, describe, task_failures};
use tally_tests::functions::{functions_table, invoke};

/// Execution time limit: generous because the first invocation may start the function process.
const EXECUTION_TIMEOUT: Duration = Duration::from_secs(120);

/// The error type the fixture is requested to fail with.
const FIXTURE_ERROR: &str = "FixtureRejected";

/// Builds a one-task state machine calling `fixture-echo`, with `task_extra` merged into the task
/// (for `Retry` and `Catch`), and a `Recorded` Pass state that catches lead to.
fn definition(task_extra: Value) -> String {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": { "FunctionName": "fixture-echo", "Payload.$": "$" },
        "OutputPath": "$.Payload",
        "End": true
    });
    if let (Some(task), Some(extra)) = (task.as_object_mut(), task_extra.as_object()) {
        task.extend(extra.clone());
    }

    json!({
        "Comment": "Calls fixture-echo once",
        "StartAt": "Echo",
        "States": {
            "Echo": task,
            "Recorded": { "Type": "Pass", "End": true }
        }
    })
    .to_string()
}

fn failing_input(marker: &str) -> Value {
    json!({ "marker": marker, "fail": { "errorType": FIXTURE_ERROR, "errorMessage": format!("rejected {marker}") } })
}

async fn run(
    engines: &Engines,
    definition: &str,
    input: &Value,
) -> (ExecutionStatus, Option<String>, String) {
    let state_machine = engines.create_state_machine(definition).await;
    let name = unique_name("chain");
    let arn = executions::start(&engines.sfn, &state_machine, &name, &input.to_string()).await;
    let execution = executions::wait_until_done(&engines.sfn, &arn, EXECUTION_TIMEOUT).await;
    (execution.status, execution.output, arn)
}

#[tokio::test]
async fn task_result_reaches_execution_output() {
    let engines = Engines::from_env().await;
    let marker = unique_name("echo");
    let input = json!({ "marker": marker, "nested": { "count": 3 } });

    let (status, output, arn) = run(&engines, &definition(json!({})), &input).await;

    let events = executions::history(&engines.sfn, &arn).await;
    assert_eq!(
        status,
        ExecutionStatus::Succeeded,
        "history: {}",
        describe(&events)
    );
    let output: Value = serde_json::from_str(&output.expect("a succeeded execution has output"))
        .expect("JSON output");
    assert_eq!(output, input);
    assert_eq!(
        count(&events, HistoryEventType::TaskSucceeded),
        1,
        "history: {}",
        describe(&events)
    );
}

#[tokio::test]
async fn catch_matches_function_error_type() {
    let engines = Engines::from_env().await;
    let marker = unique_name("caught");
    let catch = json!({
        "Catch": [{ "ErrorEquals": [FIXTURE_ERROR], "ResultPath": "$.error", "Next": "Recorded" }]
    });

    let (status, output, arn) = run(&engines, &definition(catch), &failing_input(&marker)).await;

    let events = executions::history(&engines.sfn, &arn).await;
    assert_eq!(
        status,
        ExecutionStatus::Succeeded,
        "history: {}",
        describe(&events)
    );
    assert_eq!(task_failures(&events), vec![FIXTURE_ERROR.to_owned()]);

    let output: Value = serde_json::from_str(&output.expect("output")).expect("JSON output");
    assert_eq!(
        output["marker"], marker,
        "the catch keeps the input: {output}"
    );
    assert_eq!(output["error"]["Error"], FIXTURE_ERROR, "{output}");
    let cause = output["error"]["Cause"]
        .as_str()
        .expect("the caught error has a Cause");
    assert!(
        cause.contains(&format!("rejected {marker}")),
        "cause: {cause}"
    );
}

#[tokio::test]
async fn retry_reruns_task_before_catch() {
    let engines = Engines::from_env().await;
    let marker = unique_name("retried");
    let retry_and_catch = json!({
        "Retry": [{ "ErrorEquals": [FIXTURE_ERROR], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0 }],
        "Catch": [{ "ErrorEquals": [FIXTURE_ERROR], "ResultPath": "$.error", "Next": "Recorded" }]
    });

    let (status, _, arn) = run(
        &engines,
        &definition(retry_and_catch),
        &failing_input(&marker),
    )
    .await;

    let events = executions::history(&engines.sfn, &arn).await;
    assert_eq!(
        status,
        ExecutionStatus::Succeeded,
        "history: {}",
        describe(&events)
    );
    assert_eq!(
        count(&events, HistoryEventType::TaskScheduled),
        3,
        "one try and two retries: {}",
        describe(&events)
    );
    assert_eq!(task_failures(&events), vec![FIXTURE_ERROR.to_owned(); 3]);
}

#[tokio::test]
async fn unmatched_error_fails_execution_with_its_type() {
    let engines = Engines::from_env().await;
    let marker = unique_name("uncaught");
    let other_catch = json!({
        "Catch": [{ "ErrorEquals": ["SomethingElse"], "Next": "Recorded" }]
    });

    let (status, _, arn) = run(&engines, &definition(other_catch), &failing_input(&marker)).await;

    let events = executions::history(&engines.sfn, &arn).await;
    assert_eq!(
        status,
        ExecutionStatus::Failed,
        "history: {}",
        describe(&events)
    );
    let failure = events
        .iter()
        .find_map(|event| event.execution_failed_event_details())
        .unwrap_or_else(|| panic!("no ExecutionFailed event: {}", describe(&events)));
    assert_eq!(
        failure.error(),
        Some(FIXTURE_ERROR),
        "not States.Runtime: the adapter must shape the error"
    );
}

#[tokio::test]
async fn adapter_returns_function_error_in_lambda_shape() {
    let marker = unique_name("direct");

    let invocation = invoke("fixture-echo", &failing_input(&marker)).await;

    assert_eq!(invocation.status, 200);
    assert_eq!(invocation.function_error.as_deref(), Some("Unhandled"));
    assert!(
        invocation.request_id.is_some(),
        "every response has x-amzn-RequestId"
    );
    assert_eq!(invocation.payload["errorType"], FIXTURE_ERROR);
    assert_eq!(
        invocation.payload["errorMessage"],
        format!("rejected {marker}")
    );
}

#[tokio::test]
async fn functions_get_local_configuration() {
    let names = [
        "TALLY_TABLE_NAME",
        "TALLY_GITHUB_API_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SFN",
        "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED",
    ];

    let invocation = invoke("fixture-echo", &json!({ "readEnv": names })).await;

    assert_eq!(invocation.status, 200);
    assert_eq!(invocation.function_error, None);
    let env = &invocation.payload["env"];
    assert_eq!(env["TALLY_TABLE_NAME"], functions_table());
    assert_eq!(
        env["TALLY_GITHUB_API_URL"],
        endpoint("TALLY_TEST_GITHUB_URL")
    );
    assert_eq!(
        env["AWS_ENDPOINT_URL_DYNAMODB"],
        endpoint("TALLY_TEST_DYNAMODB_URL")
    );
    assert_eq!(env["AWS_ENDPOINT_URL_SFN"], endpoint("TALLY_TEST_MOTO_URL"));
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_EC2_METADATA_DISABLED"], "true");
}
