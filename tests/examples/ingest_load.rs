//! Load test of the ingest handler against dynalite and moto on loopback.
//!
//! Sends a bounded number of reports (`--reports`, default 3000) through the real handler with
//! `--concurrency` requests in flight, spread over `--distinct` bugs, then prints reports per
//! second and latency percentiles. For scale it first runs the same number of bare conditional
//! `PutItem`s on the same engine, because dynalite, not tally, bounds the absolute numbers.
//!
//! Run inside the local stack: `tally local --exec -- cargo run --release -p tally-tests
//! --example ingest_load -- --reports 3000`. It stops after the reports or after `--max-seconds`.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use ingest::auth::Auth;
use ingest::workflow::StepFunctions;
use ingest::{App, Metrics, handle};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request};
use tally_store::Table;
use tally_tests::engines::Engines;

struct Options {
    reports: usize,
    concurrency: usize,
    distinct: usize,
    max_seconds: u64,
}

fn parse_options() -> Options {
    let mut options = Options { reports: 3000, concurrency: 16, distinct: 30, max_seconds: 300 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a whole number"));
        match flag.as_str() {
            "--reports" => options.reports = value,
            "--concurrency" => options.concurrency = value.max(1),
            "--distinct" => options.distinct = value.max(1),
            "--max-seconds" => options.max_seconds = value as u64,
            other => panic!("unknown option {other}; expected --reports, --concurrency, --distinct or --max-seconds"),
        }
    }
    options
}

/// A report of about 2 KiB: a Python traceback whose failing function is bug number `bug`.
fn body(bug: usize) -> Vec<u8> {
    let name: String = format!("{bug:04}").chars().map(|digit| char::from(b'a' + (digit as u8 - b'0'))).collect();
    let mut trace = String::from("Traceback (most recent call last):\n");
    for depth in 0..12 {
        trace.push_str(&format!(
            "  File \"/home/runner/work/app/app/layer_{depth}.py\", line {}, in step_{depth}\n    next_step()\n",
            10 + depth
        ));
    }
    trace.push_str(&format!("  File \"/home/runner/work/app/app/bugs.py\", line 3, in bug_{name}\n    raise KeyError(key)\nKeyError: 'user'\n"));
    serde_json::to_vec(&serde_json::json!({"repo": "octo/load", "error": trace, "version": "1.0.0"})).expect("json")
}

fn request(body: Vec<u8>) -> Request {
    lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/report")
        .header("content-type", "application/json")
        .body(Body::Binary(body))
        .expect("valid request")
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

fn summary(label: &str, count: usize, elapsed: Duration, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "{label}: {count} in {:.2} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let options = parse_options();
    let engines = Engines::from_env().await;
    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);

    // Baseline: bare conditional puts of distinct keys, the cheapest write the engine does.
    let baseline_table = engines.create_table().await;
    let started = Instant::now();
    let latencies: Vec<Duration> = futures::stream::iter(0..options.reports)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .map(|index| {
            let client = engines.dynamodb.clone();
            let table = baseline_table.clone();
            async move {
                let begun = Instant::now();
                client
                    .put_item()
                    .table_name(table)
                    .item("fingerprint", AttributeValue::S(format!("baseline-{index}")))
                    .condition_expression("attribute_not_exists(fingerprint)")
                    .send()
                    .await
                    .expect("PutItem succeeds");
                begun.elapsed()
            }
        })
        .buffer_unordered(options.concurrency)
        .collect()
        .await;
    summary("bare PutItem", latencies.len(), started.elapsed(), latencies);

    let table = Table::new(engines.dynamodb.clone(), engines.create_table().await);
    let state_machine_arn = engines.create_pass_state_machine().await;
    let app = App::new(
        table.clone(),
        StepFunctions::new(engines.sfn.clone(), &state_machine_arn),
        Auth::None,
        Duration::from_secs(60),
    )
    .with_metrics(Metrics::totals());
    let bodies: Vec<Vec<u8>> = (0..options.distinct).map(body).collect();

    let started = Instant::now();
    let results: Vec<(StatusCode, Duration)> = futures::stream::iter(0..options.reports)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .map(|index| {
            let request = request(bodies[index % bodies.len()].clone());
            let app = &app;
            async move {
                let begun = Instant::now();
                let response = handle(app, request).await;
                (response.status(), begun.elapsed())
            }
        })
        .buffer_unordered(options.concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let failed = results.iter().filter(|(status, _)| *status != StatusCode::ACCEPTED).count();
    let count = results.len();
    summary("ingest handler", count, elapsed, results.into_iter().map(|(_, latency)| latency).collect());
    println!(
        "distinct bugs {}, concurrency {}, non-202 responses {failed}, DynamoDB writes per report {:.3}",
        options.distinct,
        options.concurrency,
        table.writes_sent() as f64 / count as f64
    );
    assert_eq!(failed, 0, "every report is accepted");
}
