//! CloudFormation operations of `tally deploy` and `tally destroy`: stack lookup, change sets,
//! following stack events until the operation ends, and outputs.
//!
//! Every wait polls at [`POLL_INTERVAL`] and ends with an error at its deadline; the operation
//! itself keeps running in CloudFormation.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{
    Capability, Change, ChangeSetStatus, ChangeSetType, Parameter, Stack, StackEvent,
};

use super::progress::EventPrinter;

/// Time between two polls of a change set or of stack events.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Maximum time CloudFormation may take to compute a change set.
const CHANGE_SET_TIMEOUT: Duration = Duration::from_secs(300);

/// Time without events after which the display prints a line to show the wait goes on.
const HEARTBEAT: Duration = Duration::from_secs(30);

/// Message text CloudFormation uses when an update would change nothing.
const NO_UPDATES: &str = "No updates are to be performed";

/// Largest template CloudFormation accepts inline as `TemplateBody`, in bytes.
pub const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;

/// Progress of a stack operation, judged from the stack status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackPhase {
    /// Still running.
    InProgress,
    /// Finished as requested.
    Succeeded,
    /// Finished after a failure or rollback.
    Failed,
}

/// Classifies a stack status, such as `UPDATE_ROLLBACK_COMPLETE` (failed).
pub fn phase(status: &str) -> StackPhase {
    if status.ends_with("_IN_PROGRESS") {
        return StackPhase::InProgress;
    }
    match status {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE" => {
            StackPhase::Succeeded
        }
        _ => StackPhase::Failed,
    }
}

/// Describes the stack `name`, or returns `None` when it does not exist.
pub async fn describe_stack(client: &Client, name: &str) -> anyhow::Result<Option<Stack>> {
    match client.describe_stacks().stack_name(name).send().await {
        Ok(output) => Ok(output.stacks().first().cloned()),
        Err(error) => {
            // NOTE: CloudFormation reports a missing stack only as a ValidationError whose
            // message contains "does not exist"; no dedicated error code exists to branch on.
            let missing = error.as_service_error().is_some_and(|service| {
                service.meta().code() == Some("ValidationError")
                    && service
                        .meta()
                        .message()
                        .is_some_and(|message| message.contains("does not exist"))
            });
            if missing {
                Ok(None)
            } else {
                Err(anyhow!("failed to describe stack {name}: {}", crate::aws::error_text(&error)))
            }
        }
    }
}

/// Returns the status text of `stack`.
pub fn status_of(stack: &Stack) -> &str {
    stack.stack_status().map(|status| status.as_str()).unwrap_or("UNKNOWN")
}

/// Decides whether a change set for a stack in `existing` creates the stack or updates it.
pub fn change_set_type(
    stack_name: &str,
    existing: Option<&Stack>,
) -> anyhow::Result<ChangeSetType> {
    let Some(stack) = existing else {
        return Ok(ChangeSetType::Create);
    };
    let status = status_of(stack);
    match status {
        // A stack created by a change set that was never executed has no resources yet.
        "REVIEW_IN_PROGRESS" => Ok(ChangeSetType::Create),
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "DELETE_FAILED" => bail!(
            "stack {stack_name} is in {status} after a failed creation or deletion and cannot be \
             updated: run `tally destroy --stack {stack_name}`, then deploy again"
        ),
        _ if phase(status) == StackPhase::InProgress => bail!(
            "stack {stack_name} is busy ({status}): wait until the running operation ends, then \
             deploy again"
        ),
        _ => Ok(ChangeSetType::Update),
    }
}

/// The template of a change set: inline, or an S3 URL for templates over
/// [`MAX_TEMPLATE_BODY_BYTES`].
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// The template JSON.
    Body(String),
    /// HTTPS URL of the template in S3.
    Url(String),
}

/// Creates a change set named `change_set_name` and returns its ARN, or `None` when the request
/// is rejected because the stack already matches the template and parameters.
pub async fn create_change_set(
    client: &Client,
    stack_name: &str,
    change_set_name: &str,
    kind: ChangeSetType,
    template: &TemplateSource,
    parameters: &[(String, String)],
) -> anyhow::Result<Option<String>> {
    let mut request = client
        .create_change_set()
        .stack_name(stack_name)
        .change_set_name(change_set_name)
        .change_set_type(kind)
        .capabilities(Capability::CapabilityIam)
        .description("tally deploy");
    request = match template {
        TemplateSource::Body(body) => request.template_body(body),
        TemplateSource::Url(url) => request.template_url(url),
    };
    for (key, value) in parameters {
        let parameter = Parameter::builder().parameter_key(key).parameter_value(value).build();
        request = request.parameters(parameter);
    }

    match request.send().await {
        Ok(output) => {
            let id = output.id().context("CloudFormation returned no change set id")?;
            Ok(Some(id.to_owned()))
        }
        Err(error) => {
            // NOTE: AWS creates an empty change set and fails it (see wait_for_change_set), but
            // moto 5.1 and 5.2 reject the request itself. Both report it only in the message.
            let no_changes = error.as_service_error().is_some_and(|service| {
                service.meta().message().is_some_and(|message| message.contains(NO_UPDATES))
            });
            if no_changes {
                return Ok(None);
            }
            Err(anyhow!(
                "failed to create a change set for stack {stack_name}: {}",
                crate::aws::error_text(&error)
            ))
        }
    }
}

/// What a computed change set contains.
#[derive(Debug, Clone)]
pub enum ChangeSetOutcome {
    /// The change set is ready to execute.
    Ready(Vec<Change>),
    /// The stack already matches the template and parameters.
    NoChanges,
}

/// Waits until CloudFormation has computed the change set `id`.
pub async fn wait_for_change_set(client: &Client, id: &str) -> anyhow::Result<ChangeSetOutcome> {
    let deadline = Instant::now() + CHANGE_SET_TIMEOUT;
    loop {
        let output =
            client.describe_change_set().change_set_name(id).send().await.map_err(|error| {
                anyhow!("failed to describe change set {id}: {}", crate::aws::error_text(&error))
            })?;
        let reason = output.status_reason().unwrap_or_default();

        match output.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                let first_page = output.changes().to_vec();
                let next = output.next_token().map(str::to_owned);
                return Ok(ChangeSetOutcome::Ready(
                    all_changes(client, id, first_page, next).await?,
                ));
            }
            Some(ChangeSetStatus::Failed) => {
                // NOTE: an empty change set is reported only through this status reason text;
                // CloudFormation has no status or code for it.
                let no_changes =
                    reason.contains("didn't contain changes") || reason.contains(NO_UPDATES);
                if no_changes {
                    return Ok(ChangeSetOutcome::NoChanges);
                }
                bail!("CloudFormation rejected the change set: {reason}");
            }
            _ => {}
        }

        if Instant::now() >= deadline {
            bail!(
                "timed out after {} s waiting for change set {id} to be computed",
                CHANGE_SET_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Every change of the change set `id`: `first_page` and the pages after `next`.
async fn all_changes(
    client: &Client,
    id: &str,
    mut changes: Vec<Change>,
    mut next: Option<String>,
) -> anyhow::Result<Vec<Change>> {
    while let Some(token) = next {
        let page = client
            .describe_change_set()
            .change_set_name(id)
            .next_token(token)
            .send()
            .await
            .map_err(|error| {
                anyhow!("failed to describe change set {id}: {}", crate::aws::error_text(&error))
            })?;
        changes.extend_from_slice(page.changes());
        next = page.next_token;
    }
    Ok(changes)
}

/// Formats `changes` as one line each: action, resource type, logical id and replacement.
pub fn format_changes(changes: &[Change]) -> String {
    let mut text = String::new();
    for change in changes {
        let Some(resource) = change.resource_change() else { continue };
        let action = resource.action().map(|action| action.as_str()).unwrap_or("-");
        let replacement = match resource.replacement().map(|value| value.as_str()) {
            Some("True") => "  (replaces the resource)",
            Some("Conditional") => "  (may replace the resource)",
            _ => "",
        };
        text.push_str(&format!(
            "{action:<8} {:<36} {}{replacement}\n",
            resource.resource_type().unwrap_or("-"),
            resource.logical_resource_id().unwrap_or("-"),
        ));
    }
    text
}

/// Deletes the change set `id`.
pub async fn delete_change_set(client: &Client, id: &str) -> anyhow::Result<()> {
    client.delete_change_set().change_set_name(id).send().await.map_err(|error| {
        anyhow!("failed to delete change set {id}: {}", crate::aws::error_text(&error))
    })?;
    Ok(())
}

/// Ids of the events `stack` already has, so [`follow_stack`] shows only new ones.
pub async fn event_ids(client: &Client, stack: &str) -> anyhow::Result<HashSet<String>> {
    Ok(newest_events(client, stack, &HashSet::new())
        .await?
        .into_iter()
        .filter_map(|event| event.event_id)
        .collect())
}

/// Events of `stack` that are not in `seen`, oldest first. Reads pages from the newest until it
/// reaches a seen event.
async fn newest_events(
    client: &Client,
    stack: &str,
    seen: &HashSet<String>,
) -> anyhow::Result<Vec<StackEvent>> {
    let mut fresh = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|error| {
                anyhow!(
                    "failed to read the events of stack {stack}: {}",
                    crate::aws::error_text(&error)
                )
            })?;

        let mut reached_seen = false;
        for event in page.stack_events() {
            if event.event_id().is_some_and(|id| seen.contains(id)) {
                reached_seen = true;
                break;
            }
            fresh.push(event.clone());
        }
        match page.next_token {
            Some(token) if !reached_seen => next = Some(token),
            _ => break,
        }
    }
    fresh.reverse();
    Ok(fresh)
}

/// Prints the new events of `stack_id` until the stack leaves its in-progress state, and returns
/// the final stack status. `total` is the number of resources the operation touches (0 when
/// unknown).
pub async fn follow_stack(
    client: &Client,
    stack_id: &str,
    mut seen: HashSet<String>,
    total: usize,
    timeout: Duration,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + timeout;
    let mut printer = EventPrinter::new(stack_name_of(stack_id), total);
    let mut last_event = Instant::now();
    loop {
        for event in newest_events(client, stack_id, &seen).await? {
            printer.print(&event);
            if let Some(id) = event.event_id {
                seen.insert(id);
            }
            last_event = Instant::now();
        }

        // A stack that can no longer be described, even by its id, has been deleted.
        let Some(stack) = describe_stack(client, stack_id).await? else {
            return Ok("DELETE_COMPLETE".to_owned());
        };
        let status = status_of(&stack).to_owned();
        if phase(&status) != StackPhase::InProgress {
            return Ok(status);
        }

        if Instant::now() >= deadline {
            bail!(
                "timed out after {} min waiting for stack {stack_id} (now {status}); the operation \
                 goes on in CloudFormation, so follow it in the console",
                timeout.as_secs() / 60
            );
        }
        if last_event.elapsed() >= HEARTBEAT {
            printer.heartbeat(&status);
            last_event = Instant::now();
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The stack name inside a stack ARN (`arn:...:stack/<name>/<uuid>`), or the input itself.
fn stack_name_of(stack_id: &str) -> &str {
    stack_id.split('/').nth(1).unwrap_or(stack_id)
}

/// The outputs of `stack` as key and value.
pub fn outputs(stack: &Stack) -> Vec<(String, String)> {
    stack
        .outputs()
        .iter()
        .filter_map(|output| {
            Some((output.output_key()?.to_owned(), output.output_value()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_classifies_statuses() {
        let cases = [
            ("CREATE_IN_PROGRESS", StackPhase::InProgress),
            ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", StackPhase::InProgress),
            ("REVIEW_IN_PROGRESS", StackPhase::InProgress),
            ("CREATE_COMPLETE", StackPhase::Succeeded),
            ("UPDATE_COMPLETE", StackPhase::Succeeded),
            ("DELETE_COMPLETE", StackPhase::Succeeded),
            ("ROLLBACK_COMPLETE", StackPhase::Failed),
            ("UPDATE_ROLLBACK_COMPLETE", StackPhase::Failed),
            ("CREATE_FAILED", StackPhase::Failed),
            ("DELETE_FAILED", StackPhase::Failed),
        ];
        for (status, expected) in cases {
            assert_eq!(phase(status), expected, "{status}");
        }
    }

    #[test]
    fn change_set_type_follows_stack_status() {
        let stack = |status: &str| {
            Stack::builder()
                .stack_name("s")
                .stack_status(status.into())
                .creation_time(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
                .build()
        };

        assert_eq!(change_set_type("s", None).expect("no stack"), ChangeSetType::Create);
        let review = stack("REVIEW_IN_PROGRESS");
        assert_eq!(change_set_type("s", Some(&review)).expect("review"), ChangeSetType::Create);
        let complete = stack("UPDATE_COMPLETE");
        assert_eq!(change_set_type("s", Some(&complete)).expect("complete"), ChangeSetType::Update);

        let failed = stack("ROLLBACK_COMPLETE");
        let message = change_set_type("s", Some(&failed)).expect_err("rolled back").to_string();
        assert!(message.contains("tally destroy --stack s"), "{message}");
        let busy = stack("UPDATE_IN_PROGRESS");
        let message = change_set_type("s", Some(&busy)).expect_err("busy").to_string();
        assert!(message.contains("busy"), "{message}");
    }

    #[test]
    fn stack_name_comes_from_arn() {
        let arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/tally-prod/0c4e-11ee";
        assert_eq!(stack_name_of(arn), "tally-prod");
        assert_eq!(stack_name_of("tally-prod"), "tally-prod");
    }
}
