//! The Lambda Invoke API adapter: it forwards `POST /2015-03-31/functions/NAME/invocations` to
//! `cargo lambda watch` and returns responses in the shape the real Lambda service uses.
//!
//! `cargo lambda watch` (1.9.2) returns a function error as HTTP 500, while Lambda returns 200 with
//! `X-Amz-Function-Error: Unhandled` and the same `{"errorType", "errorMessage"}` body, and sets
//! `x-amzn-RequestId` on every response. moto's Step Functions interpreter needs the Lambda shape
//! to match `Retry` and `Catch` on the `errorType`, so moto calls this adapter, never the watch
//! server directly.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Header carrying the request id on every Lambda API response.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// Header that marks a function error in an otherwise successful (200) invocation response.
pub const FUNCTION_ERROR_HEADER: &str = "x-amz-function-error";

/// Largest request payload Lambda accepts for a synchronous invocation: 6 MB.
const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// How long one invocation may take: Lambda's maximum function timeout, 15 minutes. The first
/// invocation of a function under `cargo lambda watch` may include compiling it.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(900);

/// Request headers of the Invoke API passed on to the watch server.
const FORWARDED_HEADERS: &[&str] = &[
    "content-type",
    "x-amz-invocation-type",
    "x-amz-log-type",
    "x-amz-client-context",
];

#[derive(Clone)]
struct AdapterState {
    functions_url: String,
    client: reqwest::Client,
}

/// Builds the adapter's routes, forwarding to the Invoke API at `functions_url` (the watch server's
/// `http://127.0.0.1:PORT`).
pub fn router(functions_url: &str) -> Router {
    let client = reqwest::Client::builder()
        .timeout(INVOKE_TIMEOUT)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new());
    let state = AdapterState {
        functions_url: functions_url.trim_end_matches('/').to_owned(),
        client,
    };

    Router::new()
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .fallback(unsupported)
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(state)
}

/// A running adapter. Dropping it stops the server.
#[derive(Debug)]
pub struct InvokeAdapter {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl InvokeAdapter {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for InvokeAdapter {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        self.task.abort();
    }
}

/// Serves the adapter on `listener`, forwarding to `functions_url`, until the returned handle is
/// shut down or dropped.
pub fn serve(listener: TcpListener, functions_url: &str) -> std::io::Result<InvokeAdapter> {
    let addr = listener.local_addr()?;
    let app = router(functions_url);
    let (sender, receiver) = oneshot::channel::<()>();

    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = receiver.await;
        });
        if let Err(error) = server.await {
            tracing::error!(%error, "the Invoke API adapter stopped with an error");
        }
    });
    Ok(InvokeAdapter {
        addr,
        shutdown: Some(sender),
        task,
    })
}

async fn invoke(
    State(state): State<AdapterState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let function = function_name(&function);
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        state.functions_url
    );

    let mut request = state.client.post(&url).body(body);
    for name in FORWARDED_HEADERS {
        if let Some(value) = headers.get(*name) {
            request = request.header(*name, value);
        }
    }

    let upstream = match request.send().await {
        Ok(upstream) => upstream,
        Err(error) => {
            tracing::error!(%function, %request_id, %error, "forwarding an invocation to the watch server failed");
            return service_error(
                &request_id,
                &format!("invoking {function} through {url} failed: {error}"),
            );
        }
    };

    let status = upstream.status();
    let content_type = upstream
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .cloned();
    let payload = match upstream.bytes().await {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%function, %request_id, %error, "reading the watch server's response failed");
            return service_error(
                &request_id,
                &format!("reading the response of {function} failed: {error}"),
            );
        }
    };

    let response = lambda_response(status.as_u16(), content_type, payload, &request_id);
    tracing::debug!(%function, %request_id, upstream_status = status.as_u16(), status = response.status().as_u16(), "invoked");
    response
}

/// The bare function name the watch server knows, from any form the Invoke API accepts: `NAME`,
/// `NAME:QUALIFIER`, `ACCOUNT:function:NAME` or a full ARN, with or without a qualifier.
fn function_name(identifier: &str) -> &str {
    if let Some((_, after)) = identifier.split_once(":function:") {
        return after.split(':').next().unwrap_or(after);
    }
    identifier.split(':').next().unwrap_or(identifier)
}

/// Builds the Lambda-shaped response for a watch server response of `status` with `payload`.
fn lambda_response(
    status: u16,
    content_type: Option<HeaderValue>,
    payload: Bytes,
    request_id: &str,
) -> Response {
    // The watch server's 500 is a function error; Lambda reports those as 200 plus a header.
    let function_error = status == StatusCode::INTERNAL_SERVER_ERROR.as_u16();
    let status = if function_error {
        StatusCode::OK
    } else {
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY)
    };

    let mut response = (status, payload).into_response();
    let headers = response.headers_mut();
    insert_header(headers, REQUEST_ID_HEADER, request_id);
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
    );
    if status == StatusCode::OK {
        insert_header(headers, "x-amz-executed-version", "$LATEST");
    }
    if function_error {
        insert_header(headers, FUNCTION_ERROR_HEADER, "Unhandled");
    }
    response
}

/// Builds a Lambda service error (502), used when the watch server cannot be reached.
fn service_error(request_id: &str, message: &str) -> Response {
    let body = serde_json::json!({ "Type": "Service", "message": message }).to_string();
    let mut response = (StatusCode::BAD_GATEWAY, body).into_response();
    let headers = response.headers_mut();
    insert_header(headers, REQUEST_ID_HEADER, request_id);
    insert_header(headers, "x-amzn-errortype", "ServiceException");
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Rejects every other request with 404. The adapter models only the Invoke API, so anything else
/// is a wiring mistake (for example a state machine task calling another AWS service).
async fn unsupported(method: Method, uri: Uri) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::warn!(%method, %uri, "the Invoke API adapter received a request it does not serve");

    let message = format!(
        "the local Invoke API adapter serves only POST /2015-03-31/functions/NAME/invocations, not {method} {uri}"
    );
    let body = serde_json::json!({ "Type": "User", "message": message }).to_string();
    let mut response = (StatusCode::NOT_FOUND, body).into_response();
    let headers = response.headers_mut();
    insert_header(headers, REQUEST_ID_HEADER, &request_id);
    insert_header(headers, "x-amzn-errortype", "ResourceNotFoundException");
    response
}

fn insert_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::routing::post;

    /// A stand-in for the watch server: `ok` echoes, `boom` fails like a function error.
    async fn start_fake_watch() -> (String, JoinHandle<()>) {
        let app = Router::new()
            .route(
                "/2015-03-31/functions/ok/invocations",
                post(|body: Bytes| async move { (StatusCode::OK, body) }),
            )
            .route(
                "/2015-03-31/functions/boom/invocations",
                post(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"errorType":"GitHubRateLimited","errorMessage":"retry after 3 s"}"#,
                    )
                }),
            )
            .route(
                "/2015-03-31/functions/throttled/invocations",
                post(|| async { (StatusCode::TOO_MANY_REQUESTS, r#"{"message":"busy"}"#) }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (url, task)
    }

    async fn start_adapter(functions_url: &str) -> InvokeAdapter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        serve(listener, functions_url).expect("serve")
    }

    fn invocation_url(adapter: &InvokeAdapter, function: &str) -> String {
        format!(
            "{}/2015-03-31/functions/{function}/invocations",
            adapter.url()
        )
    }

    #[test]
    fn function_name_accepts_every_identifier_form() {
        let cases = [
            ("open-issue", "open-issue"),
            ("open-issue:$LATEST", "open-issue"),
            ("123456789012:function:open-issue", "open-issue"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:open-issue",
                "open-issue",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:open-issue:live",
                "open-issue",
            ),
        ];
        for (identifier, expected) in cases {
            assert_eq!(function_name(identifier), expected, "{identifier}");
        }
    }

    #[tokio::test]
    async fn function_arn_is_forwarded_by_name() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:ok";

        let response = reqwest::Client::new()
            .post(invocation_url(&adapter, &arn.replace(':', "%3A")))
            .body("{}")
            .send()
            .await
            .expect("invoke");

        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, "{}");
    }

    #[tokio::test]
    async fn success_passes_through_with_request_id() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;

        let response = reqwest::Client::new()
            .post(invocation_url(&adapter, "ok"))
            .body(r#"{"fingerprint":"abc"}"#)
            .send()
            .await
            .expect("invoke");

        assert_eq!(response.status(), 200);
        assert!(response.headers().get(REQUEST_ID_HEADER).is_some());
        assert!(response.headers().get(FUNCTION_ERROR_HEADER).is_none());
        assert_eq!(
            response.text().await.expect("body"),
            r#"{"fingerprint":"abc"}"#
        );
    }

    #[tokio::test]
    async fn function_error_becomes_unhandled_200() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;

        let response = reqwest::Client::new()
            .post(invocation_url(&adapter, "boom"))
            .body("{}")
            .send()
            .await
            .expect("invoke");

        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get(FUNCTION_ERROR_HEADER)
                .expect("function error header"),
            "Unhandled"
        );
        assert!(response.headers().get(REQUEST_ID_HEADER).is_some());
        let body: serde_json::Value = response.json().await.expect("JSON body");
        assert_eq!(body["errorType"], "GitHubRateLimited");
        assert_eq!(body["errorMessage"], "retry after 3 s");
    }

    #[tokio::test]
    async fn other_statuses_pass_through() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;

        let response = reqwest::Client::new()
            .post(invocation_url(&adapter, "throttled"))
            .body("{}")
            .send()
            .await
            .expect("invoke");

        assert_eq!(response.status(), 429);
        assert!(response.headers().get(FUNCTION_ERROR_HEADER).is_none());
        assert!(response.headers().get(REQUEST_ID_HEADER).is_some());
    }

    #[tokio::test]
    async fn request_ids_differ_per_invocation() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;
        let client = reqwest::Client::new();

        let first = client
            .post(invocation_url(&adapter, "ok"))
            .body("{}")
            .send()
            .await
            .expect("invoke");
        let second = client
            .post(invocation_url(&adapter, "ok"))
            .body("{}")
            .send()
            .await
            .expect("invoke");

        assert_ne!(
            first.headers().get(REQUEST_ID_HEADER),
            second.headers().get(REQUEST_ID_HEADER)
        );
    }

    #[tokio::test]
    async fn unreachable_watch_server_is_a_service_error() {
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let adapter = start_adapter(&url).await;

        let response = reqwest::Client::new()
            .post(invocation_url(&adapter, "ok"))
            .body("{}")
            .send()
            .await
            .expect("invoke");

        assert_eq!(response.status(), 502);
        assert!(response.headers().get(REQUEST_ID_HEADER).is_some());
        assert!(response.headers().get(FUNCTION_ERROR_HEADER).is_none());
    }

    #[tokio::test]
    async fn other_routes_are_rejected() {
        let (watch, _task) = start_fake_watch().await;
        let adapter = start_adapter(&watch).await;

        let response = reqwest::Client::new()
            .post(adapter.url())
            .header("x-amz-target", "DynamoDB_20120810.UpdateItem")
            .body("{}")
            .send()
            .await
            .expect("request");

        assert_eq!(response.status(), 404);
        assert!(response.headers().get(REQUEST_ID_HEADER).is_some());
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("serves only POST")
        );
    }
}
