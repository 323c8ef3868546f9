//! Access to the functions that `tally local` runs under `cargo lambda watch`: the Invoke API
//! adapter's URL, the table those functions use, and direct invocations through the adapter.

use tally_infra::local::test_env;

use crate::engines::endpoint;

/// Base URL of the Invoke API adapter (Lambda's response shape).
pub fn invoke_url() -> String {
    endpoint(test_env::INVOKE_URL)
}

/// Base URL of the GitHub fake.
pub fn github_url() -> String {
    endpoint(test_env::GITHUB_URL)
}

/// The table the functions under watch read and write.
pub fn functions_table() -> String {
    endpoint(test_env::TABLE)
}

/// A response of the Invoke API.
#[derive(Debug)]
pub struct Invocation {
    /// HTTP status.
    pub status: u16,
    /// `X-Amz-Function-Error`, set when the function failed.
    pub function_error: Option<String>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// The body: the function's result, or its `{"errorType", "errorMessage"}`.
    pub payload: serde_json::Value,
}

/// Invokes `function` synchronously through the adapter with `payload`.
pub async fn invoke(function: &str, payload: &serde_json::Value) -> Invocation {
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        invoke_url()
    );
    let response = reqwest::Client::new()
        .post(&url)
        .json(payload)
        .send()
        .await
        .unwrap_or_else(|error| panic!("POST {url} failed: {error}"));

    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let function_error = header("x-amz-function-error");
    let request_id = header("x-amzn-requestid");
    let text = response
        .text()
        .await
        .unwrap_or_else(|error| panic!("reading the body of {url} failed: {error}"));
    let payload = serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!("{function} returned a body that is not JSON ({error}): {text}")
    });

    Invocation {
        status,
        function_error,
        request_id,
        payload,
    }
}
