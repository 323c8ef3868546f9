//! The HTTP handler of `POST /report`: check the request, validate and scrub the report,
//! fingerprint it, and record it.

use std::time::Duration;

use lambda_http::http::{Method, header};
use lambda_http::{Body, Request, RequestExt, Response};
use tally_core::fingerprint::analyze;
use tally_core::metrics;
use tally_core::render::issue_title_for;
use tally_core::report::{MAX_BODY_BYTES, Report};
use tally_store::Table;
use tracing::Instrument;

use crate::auth::{Auth, SIGNATURE_HEADER};
use crate::cache::ClaimedCache;
use crate::metrics::Metrics;
use crate::record::{Incoming, Recorder, record};
use crate::response::{self, IngestError};
use crate::workflow::StartWorkflow;

/// Everything the handler needs, built once per container.
#[derive(Debug)]
pub struct App<W> {
    /// Fingerprint table.
    pub table: Table,
    /// Workflow starter.
    pub workflow: W,
    /// Report authentication.
    pub auth: Auth,
    /// Lease on unstarted claims.
    pub claim_lease: Duration,
    /// Fingerprints known to be claimed.
    pub cache: ClaimedCache,
    /// Sink of the per-report metrics.
    pub metrics: Metrics,
}

impl<W> App<W> {
    /// Builds the app with an empty cache, publishing metrics as EMF lines on stdout.
    pub fn new(table: Table, workflow: W, auth: Auth, claim_lease: Duration) -> Self {
        Self { table, workflow, auth, claim_lease, cache: ClaimedCache::default(), metrics: Metrics::Emf }
    }

    /// Sends the metrics to `metrics` instead.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}

/// Handles one request and always returns a response: errors become JSON error responses.
pub async fn handle<W: StartWorkflow>(app: &App<W>, request: Request) -> Response<Body> {
    let request_id = request_id(&request);
    let span = tracing::info_span!("report", request_id = %request_id, fingerprint = tracing::field::Empty);

    async {
        match accept(app, &request).await {
            Ok(accepted) => response::accepted(&accepted),
            Err(error) => response::error(&error, &request_id),
        }
    }
    .instrument(span)
    .await
}

async fn accept<W: StartWorkflow>(app: &App<W>, request: &Request) -> Result<response::Accepted, IngestError> {
    let prepared = prepare(&app.auth, request)?;
    tracing::Span::current().record("fingerprint", prepared.fingerprint.as_str());

    let incoming = Incoming {
        fingerprint: &prepared.fingerprint,
        repo: &prepared.report.repo,
        version: prepared.report.version.as_deref(),
        title: &prepared.title,
        language: &prepared.language,
        sample: &prepared.sample,
        now_ms: chrono::Utc::now().timestamp_millis(),
    };
    let recorder = Recorder {
        table: &app.table,
        workflow: &app.workflow,
        claim_lease: app.claim_lease,
        cache: &app.cache,
    };
    let recorded = record(&recorder, &incoming).await?;

    let duplicate = u64::from(!recorded.new);
    app.metrics.record(incoming.now_ms, &[(metrics::REPORTS_RECEIVED, 1), (metrics::DUPLICATE_REPORTS, duplicate)]);

    Ok(response::Accepted { fingerprint: prepared.fingerprint, recorded })
}

/// A report checked, scrubbed and fingerprinted, ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The scrubbed report.
    pub report: Report,
    /// Lowercase hex fingerprint.
    pub fingerprint: String,
    /// Issue title.
    pub title: String,
    /// Detected language name.
    pub language: String,
    /// The scrubbed report as JSON, stored as the item's sample.
    pub sample: String,
}

/// Everything the handler does before it touches the network: check method, media type, size
/// and signature, then parse, validate, scrub and fingerprint the report.
pub fn prepare(auth: &Auth, request: &Request) -> Result<Prepared, IngestError> {
    if request.method() != Method::POST {
        return Err(IngestError::MethodNotAllowed);
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(IngestError::UnsupportedMediaType);
    }
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(IngestError::PayloadTooLarge { size: body.len() });
    }

    let signature = request.headers().get(SIGNATURE_HEADER).map(|value| value.as_bytes());
    auth.verify(signature, body)?;

    let report = Report::from_json(body)?.scrubbed();

    let analysis = analyze(&report);
    let title = issue_title_for(&report, &analysis);
    let sample = serde_json::to_string(&report).map_err(|error| IngestError::Internal(Box::new(error)))?;

    Ok(Prepared {
        fingerprint: analysis.fingerprint.to_hex(),
        language: analysis.language.name().to_owned(),
        title,
        sample,
        report,
    })
}

/// Returns the API Gateway request id, else the Lambda request id, else `local` for direct calls.
fn request_id(request: &Request) -> String {
    use lambda_http::request::RequestContext;

    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            if let Some(id) = &context.request_id {
                return id.clone();
            }
        }
        Some(RequestContext::ApiGatewayV1(context)) => {
            if let Some(id) = &context.request_id {
                return id.clone();
            }
        }
        _ => {}
    }
    request
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .unwrap_or_else(|| "local".to_owned())
}
