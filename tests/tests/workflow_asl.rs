//! Static checks of the state machine definition against the functions' error names. Every error
//! name a function raises must be handled by a `Retry` (retryable names) or a `Catch` (permanent
//! names) of each task that calls the function, and every transition must reach a state.

use std::collections::BTreeSet;

use serde_json::Value;
use tally_core::error_type::{PERMANENT, RETRYABLE, STORE_UNAVAILABLE};

const DEFINITION: &str = include_str!("../../statemachine/tally.asl.json");

/// The substitutions the template fills with the function ARNs.
const OPEN_ISSUE: &str = "${OpenIssueFunctionArn}";
const SYNC_OCCURRENCES: &str = "${SyncOccurrencesFunctionArn}";

fn definition() -> Value {
    serde_json::from_str(DEFINITION).expect("statemachine/tally.asl.json is valid JSON")
}

fn states(definition: &Value) -> &serde_json::Map<String, Value> {
    definition["States"].as_object().expect("States is an object")
}

/// Collects the names in `ErrorEquals` of every entry of `field` (`Retry` or `Catch`).
fn error_names(state: &Value, field: &str) -> BTreeSet<String> {
    state[field]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["ErrorEquals"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect()
}

/// The task states and the function each calls.
fn function_tasks(definition: &Value) -> Vec<(String, String, Value)> {
    states(definition)
        .iter()
        .filter(|(_, state)| state["Type"] == "Task")
        .map(|(name, state)| {
            let function = state["Parameters"]["FunctionName"].as_str().unwrap_or_default().to_owned();
            (name.clone(), function, state.clone())
        })
        .collect()
}

/// The task that does the function's main work (not the failure bookkeeping).
fn main_task(definition: &Value, action: &str) -> (String, Value) {
    function_tasks(definition)
        .into_iter()
        .find(|(_, _, state)| state["Parameters"]["Payload"]["action"] == action)
        .map(|(name, _, state)| (name, state))
        .unwrap_or_else(|| panic!("no task sends action {action}"))
}

#[test]
fn every_task_calls_a_substituted_function() {
    let definition = definition();
    let tasks = function_tasks(&definition);
    assert_eq!(tasks.len(), 4, "open, record failure, sync and release tasks");
    for (name, function, state) in tasks {
        assert_eq!(state["Resource"], "arn:aws:states:::lambda:invoke", "{name}");
        assert!(function == OPEN_ISSUE || function == SYNC_OCCURRENCES, "{name} calls {function}");
    }
}

#[test]
fn main_tasks_retry_every_retryable_error() {
    let definition = definition();
    for action in ["open", "sync"] {
        let (name, state) = main_task(&definition, action);
        let retried = error_names(&state, "Retry");
        for error in RETRYABLE {
            assert!(retried.contains(*error), "{name} does not retry {error}");
        }
    }
}

#[test]
fn main_tasks_catch_every_permanent_error_by_name() {
    let definition = definition();
    for action in ["open", "sync"] {
        let (name, state) = main_task(&definition, action);
        let caught = error_names(&state, "Catch");
        let retried = error_names(&state, "Retry");
        for error in PERMANENT {
            assert!(caught.contains(*error), "{name} does not catch {error} by name");
            assert!(!retried.contains(*error), "{name} retries {error}, which never succeeds on retry");
        }
        assert!(caught.contains("States.ALL"), "{name} lets exhausted retries fail without cleanup");
    }
}

#[test]
fn failure_states_retry_store_then_fail() {
    let definition = definition();
    for action in ["record_failure", "release"] {
        let (name, state) = main_task(&definition, action);
        assert!(error_names(&state, "Retry").contains(STORE_UNAVAILABLE), "{name} does not retry {STORE_UNAVAILABLE}");
        assert!(error_names(&state, "Catch").contains("States.ALL"), "{name} can fail without reaching its Fail state");

        let next = state["Next"].as_str().expect("Next");
        assert_eq!(states(&definition)[next]["Type"], "Fail", "{name} leads to {next}");
        for catcher in state["Catch"].as_array().expect("Catch") {
            assert_eq!(catcher["Next"], next, "{name} catches into another state");
        }
    }
}

#[test]
fn retries_back_off_with_full_jitter() {
    let definition = definition();
    for (name, _, state) in function_tasks(&definition) {
        for retrier in state["Retry"].as_array().expect("every task retries") {
            assert_eq!(retrier["JitterStrategy"], "FULL", "{name}: {retrier}");
            assert!(retrier["BackoffRate"].as_f64().is_some_and(|rate| rate > 1.0), "{name}: {retrier}");
            assert!(retrier["MaxDelaySeconds"].as_u64().is_some(), "{name}: {retrier}");
            assert!(retrier["MaxAttempts"].as_u64().is_some_and(|attempts| attempts >= 3), "{name}: {retrier}");
        }
    }
}

#[test]
fn every_transition_targets_a_state() {
    let definition = definition();
    let states = states(&definition);
    assert!(states.contains_key(definition["StartAt"].as_str().expect("StartAt")));

    let mut targets = Vec::new();
    for state in states.values() {
        targets.extend(state["Next"].as_str().map(str::to_owned));
        targets.extend(state["Default"].as_str().map(str::to_owned));
        for field in ["Choices", "Catch"] {
            for entry in state[field].as_array().into_iter().flatten() {
                targets.extend(entry["Next"].as_str().map(str::to_owned));
            }
        }
    }
    for target in &targets {
        assert!(states.contains_key(target), "transition to missing state {target:?}");
    }
    for name in states.keys() {
        let reachable = name == definition["StartAt"].as_str().unwrap_or_default() || targets.contains(name);
        assert!(reachable, "state {name:?} is unreachable");
    }
}

#[test]
fn wait_uses_the_computed_seconds() {
    let definition = definition();
    let waits: Vec<&Value> = states(&definition).values().filter(|state| state["Type"] == "Wait").collect();
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0]["SecondsPath"], "$.sync.wait_seconds");
}
