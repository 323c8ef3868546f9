//! Waiting for Step Functions executions in moto server and reading what they did.
//!
//! moto runs an execution in a background thread after `StartExecution` returns, so a test polls
//! `DescribeExecution` until the status leaves `RUNNING`, within a bounded time.

use std::time::Duration;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};

/// Time between two `DescribeExecution` calls while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Starts an execution of `state_machine_arn` with `input` (JSON) and returns its ARN.
pub async fn start(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    name: &str,
    input: &str,
) -> String {
    sfn.start_execution()
        .state_machine_arn(state_machine_arn)
        .name(name)
        .input(input)
        .send()
        .await
        .unwrap_or_else(|error| {
            panic!(
                "StartExecution {name} failed on moto: {}",
                aws_sdk_sfn::error::DisplayErrorContext(error)
            )
        })
        .execution_arn
}

/// Polls the execution until it is no longer `RUNNING` and returns its description, or panics
/// with its history when `timeout` passes first.
pub async fn wait_until_done(
    sfn: &aws_sdk_sfn::Client,
    execution_arn: &str,
    timeout: Duration,
) -> DescribeExecutionOutput {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let execution = sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "DescribeExecution failed on moto: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(error)
                )
            });
        if execution.status != ExecutionStatus::Running {
            return execution;
        }

        if tokio::time::Instant::now() >= deadline {
            let events = history(sfn, execution_arn).await;
            panic!(
                "execution {execution_arn} still RUNNING after {timeout:?}; history: {}",
                describe(&events)
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Every history event of the execution, oldest first.
pub async fn history(sfn: &aws_sdk_sfn::Client, execution_arn: &str) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut next_token = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(execution_arn)
            .set_next_token(next_token)
            .send()
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "GetExecutionHistory failed on moto: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(error)
                )
            });
        events.extend(page.events);
        next_token = page.next_token;
        if next_token.is_none() {
            return events;
        }
    }
}

/// How many events of `kind` the history has.
pub fn count(events: &[HistoryEvent], kind: HistoryEventType) -> usize {
    events.iter().filter(|event| event.r#type == kind).count()
}

/// The error names of every `TaskFailed` event, in order.
pub fn task_failures(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| event.task_failed_event_details())
        .map(|details| details.error().unwrap_or_default().to_owned())
        .collect()
}

/// One line per event (type and error, if any), for assertion messages.
pub fn describe(events: &[HistoryEvent]) -> String {
    events
        .iter()
        .map(|event| {
            let error = event
                .task_failed_event_details()
                .and_then(|details| details.error())
                .or_else(|| {
                    event
                        .execution_failed_event_details()
                        .and_then(|details| details.error())
                });
            match error {
                Some(error) => format!("{} ({error})", event.r#type.as_str()),
                None => event.r#type.as_str().to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
