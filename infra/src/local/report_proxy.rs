//! `POST /report` on a loopback port, forwarded to the ingest function under `cargo lambda watch`
//! through its function URL (`/lambda-url/ingest/report`), so a local client sends reports exactly
//! as it would to the deployed HTTP API.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Largest request body API Gateway's HTTP API accepts: 10 MB. The ingest function applies its
/// own, smaller limit.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How long one report may take. The deployed HTTP API allows 30 seconds, but locally the first
/// report also waits for the watch server to start the ingest binary through `cargo run`, which
/// blocks while another cargo build holds the target folder's lock.
const REPORT_TIMEOUT: Duration = Duration::from_secs(300);

/// Request headers passed on to the ingest function; the signature header carries the HMAC when
/// reports are signed.
const FORWARDED_HEADERS: &[&str] = &["content-type", "x-tally-signature", "user-agent"];

#[derive(Clone)]
struct ProxyState {
    ingest_url: String,
    client: reqwest::Client,
}

/// A running `POST /report` server. Dropping it stops the server.
#[derive(Debug)]
pub struct ReportProxy {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ReportProxy {
    /// Returns the URL that clients post reports to, `http://127.0.0.1:PORT/report`.
    pub fn report_url(&self) -> String {
        format!("http://{}/report", self.addr)
    }

    /// Stops accepting requests and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for ReportProxy {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        self.task.abort();
    }
}

/// Serves `POST /report` on `listener`, forwarding to the ingest function's URL under the watch
/// server at `watch_url`.
pub fn serve(listener: TcpListener, watch_url: &str) -> std::io::Result<ReportProxy> {
    let addr = listener.local_addr()?;
    let client = reqwest::Client::builder()
        .timeout(REPORT_TIMEOUT)
        .build()
        .map_err(std::io::Error::other)?;
    let state = ProxyState {
        ingest_url: format!(
            "{}/lambda-url/ingest/report",
            watch_url.trim_end_matches('/')
        ),
        client,
    };
    let app = Router::new()
        .route("/report", post(forward))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);

    let (sender, receiver) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = receiver.await;
        });
        if let Err(error) = server.await {
            tracing::error!(%error, "the report server stopped with an error");
        }
    });
    Ok(ReportProxy {
        addr,
        shutdown: Some(sender),
        task,
    })
}

async fn forward(State(state): State<ProxyState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = state.client.post(&state.ingest_url).body(body);
    for name in FORWARDED_HEADERS {
        if let Some(value) = headers.get(*name) {
            request = request.header(*name, value);
        }
    }

    let upstream = match request.send().await {
        Ok(upstream) => upstream,
        Err(error) => {
            tracing::error!(%error, url = %state.ingest_url, "forwarding a report to the ingest function failed");
            return (
                StatusCode::BAD_GATEWAY,
                "the local ingest function is unreachable\n",
            )
                .into_response();
        }
    };

    let status =
        StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = upstream
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .cloned();
    let payload = match upstream.bytes().await {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "reading the ingest function's response failed");
            return (
                StatusCode::BAD_GATEWAY,
                "reading the local ingest function's response failed\n",
            )
                .into_response();
        }
    };

    let mut response = (status, payload).into_response();
    if let Some(content_type) =
        content_type.and_then(|value| HeaderValue::from_bytes(value.as_bytes()).ok())
    {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, content_type);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn report_is_forwarded_to_ingest_function_url() {
        let watch = Router::new().route(
            "/lambda-url/ingest/report",
            post(|headers: HeaderMap, body: Bytes| async move {
                let content_type = headers.get("content-type").cloned();
                let echo = format!(
                    "{}|{}",
                    content_type
                        .map(|value| value.to_str().unwrap_or("").to_owned())
                        .unwrap_or_default(),
                    String::from_utf8_lossy(&body)
                );
                (StatusCode::ACCEPTED, echo)
            }),
        );
        let watch_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let watch_url = format!("http://{}", watch_listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(watch_listener, watch).await;
        });
        let proxy = serve(
            TcpListener::bind("127.0.0.1:0").await.expect("bind"),
            &watch_url,
        )
        .expect("serve");

        let response = reqwest::Client::new()
            .post(proxy.report_url())
            .header("content-type", "application/json")
            .body(r#"{"error":"boom"}"#)
            .send()
            .await
            .expect("post");

        assert_eq!(response.status(), 202);
        assert_eq!(
            response.text().await.expect("body"),
            r#"application/json|{"error":"boom"}"#
        );
    }

    #[tokio::test]
    async fn unreachable_ingest_is_bad_gateway() {
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let proxy =
            serve(TcpListener::bind("127.0.0.1:0").await.expect("bind"), &url).expect("serve");

        let response = reqwest::Client::new()
            .post(proxy.report_url())
            .body("{}")
            .send()
            .await
            .expect("post");

        assert_eq!(response.status(), 502);
    }
}
