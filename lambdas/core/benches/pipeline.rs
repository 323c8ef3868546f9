//! Throughput of the ingest path's domain work: scrub, normalize and fingerprint one trace.
//!
//! The traces are the trace fixtures of every language concatenated and cut at a line end to
//! 4 KiB and 64 KiB (the largest error text a report may carry). Run with
//! `cargo bench -p tally-core --bench pipeline`.

use std::fs;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tally_core::fingerprint::analyze_trace;
use tally_core::normalize::normalize;
use tally_core::scrub::scrub;

/// All trace fixtures, concatenated in a fixed order.
fn fixture_text() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/traces");
    let mut paths = Vec::new();
    for language in fs::read_dir(&root).expect("fixtures folder exists") {
        for file in fs::read_dir(language.expect("folder entry").path()).expect("language folder") {
            paths.push(file.expect("file entry").path());
        }
    }
    paths.sort();
    paths.iter().map(|path| fs::read_to_string(path).expect("fixture is UTF-8")).collect::<Vec<_>>().join("\n")
}

/// A trace of at most `size` bytes that ends at a line end.
fn trace_of_size(source: &str, size: usize) -> String {
    let mut trace = String::with_capacity(size);
    'fill: loop {
        for line in source.split_inclusive('\n') {
            if trace.len() + line.len() > size {
                break 'fill;
            }
            trace.push_str(line);
        }
    }
    trace
}

fn pipeline(criterion: &mut Criterion) {
    let source = fixture_text();
    let mut group = criterion.benchmark_group("scrub_normalize_fingerprint");

    for (label, size) in [("4KiB", 4 * 1024), ("64KiB", 64 * 1024)] {
        let trace = trace_of_size(&source, size);
        group.throughput(Throughput::Bytes(trace.len() as u64));
        group.bench_function(label, |bencher| {
            bencher.iter(|| analyze_trace(&scrub(black_box(&trace))).fingerprint);
        });
    }
    group.finish();

    // The steps on their own, to show where the time goes.
    let trace = trace_of_size(&source, 64 * 1024);
    let mut steps = criterion.benchmark_group("steps_64KiB");
    steps.throughput(Throughput::Bytes(trace.len() as u64));
    steps.bench_function("scrub", |bencher| bencher.iter(|| scrub(black_box(&trace)).len()));
    steps.bench_function("normalize", |bencher| bencher.iter(|| normalize(black_box(&trace)).text.len()));
    steps.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
