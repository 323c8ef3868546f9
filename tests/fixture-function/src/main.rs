//! `fixture-echo`: a Lambda function with no domain logic, used to prove that a state machine in
//! moto reaches a real function binary under `cargo lambda watch` through the Invoke API adapter.
//!
//! It returns its input unchanged, with two exceptions. An input with a `fail` object fails with
//! that object's `errorType` and `errorMessage`, the way tally's functions report typed errors.
//! An input with a `readEnv` list of names returns `{"env": {NAME: value or null}}`, so tests can
//! check the environment the local stack gives its functions.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Map, Value};

/// Echoes the event, fails as `event.fail` describes, or reports the variables in `event.readEnv`.
async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let payload = event.payload;

    if let Some(fail) = payload.get("fail") {
        let error_type = fail
            .get("errorType")
            .and_then(Value::as_str)
            .unwrap_or("FixtureError");
        let error_message = fail
            .get("errorMessage")
            .and_then(Value::as_str)
            .unwrap_or("requested failure");
        return Err(Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error_message.to_owned(),
        });
    }

    if let Some(names) = payload.get("readEnv").and_then(Value::as_array) {
        let env: Map<String, Value> = names
            .iter()
            .filter_map(Value::as_str)
            .map(|name| {
                (
                    name.to_owned(),
                    std::env::var(name).map_or(Value::Null, Value::String),
                )
            })
            .collect();
        return Ok(serde_json::json!({ "env": env }));
    }

    Ok(payload)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}
