//! CPU cost of the ingest handler per report, with the network excluded: method, media type,
//! size and signature checks, JSON parsing and validation, scrubbing, normalization,
//! fingerprinting, title rendering and the sample's serialization. Recording in DynamoDB is
//! measured separately by the load test.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ingest::auth::{Auth, signature_header};
use ingest::prepare;
use lambda_http::http::Method;
use lambda_http::{Body, Request};

/// A JSON report whose body is about `size` bytes: a Python traceback from a GitHub Actions log,
/// with timestamps, site-packages paths and a token that scrubbing must remove.
fn report_body(size: usize) -> Vec<u8> {
    let mut trace = String::from("Traceback (most recent call last):\n");
    let mut depth = 0;
    while trace.len() < size.saturating_sub(400) {
        trace.push_str(&format!(
            "2026-12-04T10:00:{:02}.1234567Z   File \"/home/runner/.local/lib/python3.11/site-packages/pkg/module_{depth}.py\", line {}, in handler_{depth}\n    result = call(ghp_abcdefghijklmnopqrstuvwxyz0123456789, 0x7f3a{depth:04x})\n",
            depth % 60,
            100 + depth
        ));
        depth += 1;
    }
    trace.push_str("KeyError: 'missing key 42'\n");
    serde_json::to_vec(&serde_json::json!({
        "repo": "octo-org/octo-repo",
        "error": trace,
        "run_url": "https://github.com/octo-org/octo-repo/actions/runs/123456789",
        "version": "1.4.2",
        "context": {"os": "ubuntu-latest", "job": "test"},
    }))
    .expect("serializable report")
}

fn request(body: &[u8], signature: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/report")
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        builder = builder.header("x-tally-signature", signature);
    }
    builder.body(Body::Binary(body.to_vec())).expect("valid request")
}

fn bench_prepare(criterion: &mut Criterion) {
    let secret = b"bench-secret".to_vec();
    let auth = Auth::Hmac(secret.clone());

    let mut group = criterion.benchmark_group("ingest_prepare");
    for size in [8 * 1024, 64 * 1024] {
        let body = report_body(size);
        let signature = signature_header(&secret, &body);
        let request = request(&body, Some(&signature));
        assert!(prepare(&auth, &request).is_ok(), "the benchmark report is valid");

        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("{}KiB_hmac", size / 1024), |bencher| {
            bencher.iter(|| prepare(&auth, &request))
        });

        // The same report to a public endpoint: the difference is the signature check.
        let unsigned = self::request(&body, None);
        group.bench_function(format!("{}KiB_none", size / 1024), |bencher| {
            bencher.iter(|| prepare(&Auth::None, &unsigned))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_prepare);
criterion_main!(benches);
