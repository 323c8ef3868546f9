//! The report contract: both accepted shapes, every validation error and the field it names.

use serde_json::{Value, json};
use tally_core::report::{
    MAX_BODY_BYTES, MAX_CONTEXT_ENTRIES, MAX_CONTEXT_KEY_BYTES, MAX_CONTEXT_VALUE_BYTES, MAX_ERROR_BYTES,
    MAX_TITLE_BYTES, Report, ReportError,
};

const TRACE: &str = "Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\nValueError: boom";

fn parse(value: &Value) -> Result<Report, ReportError> {
    Report::from_json(value.to_string().as_bytes())
}

fn field_of(value: &Value) -> Option<&'static str> {
    parse(value).expect_err("the report must be rejected").field()
}

fn native() -> Value {
    json!({ "repo": "acme/app", "error": TRACE })
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

#[test]
fn native_shape_maps_every_field() {
    let body = json!({
        "repo": "acme/app",
        "error": TRACE,
        "run_url": "https://github.com/acme/app/actions/runs/123/job/456",
        "title": "Config port is not a number",
        "fingerprint": "config-port",
        "version": "1.4.2",
        "context": { "os": "linux", "python.version": "3.11" },
    });
    let report = parse(&body).expect("valid report");

    assert_eq!(report.repo, "acme/app");
    assert_eq!(report.error, TRACE);
    assert_eq!(report.run_url.as_deref(), Some("https://github.com/acme/app/actions/runs/123/job/456"));
    assert_eq!(report.title.as_deref(), Some("Config port is not a number"));
    assert_eq!(report.fingerprint.as_deref(), Some("config-port"));
    assert_eq!(report.version.as_deref(), Some("1.4.2"));
    assert_eq!(report.context.get("python.version").map(String::as_str), Some("3.11"));
    assert_eq!(report.context.len(), 2);
    assert_eq!(report.image, None);
    assert_eq!(report.manual_intervention_url, None);
}

#[test]
fn tagbot_shape_is_accepted_unchanged() {
    let body = json!({
        "image": "ghcr.io/juliaregistries/tagbot:1.17.2",
        "repo": "JuliaLang/Example.jl",
        "run": "https://github.com/JuliaLang/Example.jl/actions/runs/9081726354",
        "stacktrace": TRACE,
        "version": "1.17.2",
        "manual_intervention_url": "https://github.com/JuliaLang/Example.jl/issues/42",
    });
    let report = parse(&body).expect("valid TagBot report");

    assert_eq!(report.repo, "JuliaLang/Example.jl");
    assert_eq!(report.error, TRACE);
    assert_eq!(report.run_url.as_deref(), Some("https://github.com/JuliaLang/Example.jl/actions/runs/9081726354"));
    assert_eq!(report.image.as_deref(), Some("ghcr.io/juliaregistries/tagbot:1.17.2"));
    assert_eq!(report.version.as_deref(), Some("1.17.2"));
    assert_eq!(report.manual_intervention_url.as_deref(), Some("https://github.com/JuliaLang/Example.jl/issues/42"));
}

#[test]
fn tagbot_run_may_be_the_actions_tab() {
    let body = json!({ "repo": "a/b", "stacktrace": TRACE, "run": "https://github.com/a/b/actions", "image": "x" });
    assert!(parse(&body).is_ok());
}

#[test]
fn unknown_fields_are_ignored() {
    let report = parse(&with(native(), "severity", json!({ "nested": [1, 2] }))).expect("valid report");
    assert_eq!(report.repo, "acme/app");
}

#[test]
fn null_and_empty_optional_fields_are_absent() {
    let body = json!({ "repo": "a/b", "error": "x", "title": null, "version": "", "context": null, "run_url": "" });
    let report = parse(&body).expect("valid report");
    assert_eq!(report.title, None);
    assert_eq!(report.version, None);
    assert_eq!(report.run_url, None);
    assert!(report.context.is_empty());
}

#[test]
fn missing_and_empty_required_fields() {
    assert_eq!(field_of(&json!({ "error": "x" })), Some("repo"));
    assert_eq!(field_of(&json!({ "repo": "a/b" })), Some("error"));
    assert_eq!(field_of(&json!({ "repo": "", "error": "x" })), Some("repo"));
    assert_eq!(field_of(&json!({ "repo": null, "error": "x" })), Some("repo"));
    assert_eq!(field_of(&with(native(), "error", json!(" \n\t "))), Some("error"));
    assert_eq!(field_of(&json!({ "repo": "a/b", "stacktrace": "  " })), Some("stacktrace"));

    let missing = parse(&json!({ "repo": "a/b" })).expect_err("missing error");
    assert!(matches!(missing, ReportError::Missing { field: "error" }), "{missing:?}");
    assert!(missing.to_string().contains("`error`"), "{missing}");
}

#[test]
fn wrong_types_name_the_field() {
    assert_eq!(field_of(&json!({ "repo": 5, "error": "x" })), Some("repo"));
    assert_eq!(field_of(&with(native(), "error", json!(["x"]))), Some("error"));
    assert_eq!(field_of(&with(native(), "title", json!(true))), Some("title"));
    assert_eq!(field_of(&with(native(), "context", json!(["a"]))), Some("context"));
}

#[test]
fn malformed_repos_are_rejected() {
    let invalid = [
        "acme", "acme/", "/app", "acme/app/extra", "-acme/app", "acme-/app", "ac me/app", "acme/a b",
        "acme/.", "acme/..", "acme_x/app", "acme/app?x", &format!("{}/app", "a".repeat(40)),
        &format!("acme/{}", "a".repeat(101)),
    ];
    for repo in invalid {
        let error = parse(&json!({ "repo": repo, "error": "x" })).expect_err(repo);
        assert_eq!(error.field(), Some("repo"), "{repo}");
    }

    for repo in ["acme/app", "Acme-Corp/app.rs", "a/b_c-d.e", &format!("{}/{}", "a".repeat(39), "b".repeat(100))] {
        assert!(parse(&json!({ "repo": repo, "error": "x" })).is_ok(), "{repo}");
    }
}

#[test]
fn run_urls_must_be_https_github_actions() {
    let invalid = [
        "http://github.com/acme/app/actions/runs/1",
        "https://github.com.evil.example/acme/app/actions/runs/1",
        "https://gitlab.com/acme/app/actions/runs/1",
        "https://user:pass@github.com/acme/app/actions/runs/1",
        "https://github.com:8443/acme/app/actions/runs/1",
        "https://github.com/acme/app/issues/1",
        "https://github.com/acme",
        "javascript:alert(1)",
        "not a url",
    ];
    for url in invalid {
        let error = parse(&with(native(), "run_url", json!(url))).expect_err(url);
        assert_eq!(error.field(), Some("run_url"), "{url}");
        assert!(matches!(error, ReportError::InvalidUrl { .. }), "{url}: {error:?}");
    }

    let tagbot = json!({ "repo": "a/b", "stacktrace": "x", "run": "http://github.com/a/b/actions/runs/1" });
    assert_eq!(field_of(&tagbot), Some("run"));
}

#[test]
fn manual_intervention_url_must_be_an_issue() {
    let body = with(native(), "manual_intervention_url", json!("https://github.com/a/b/actions/runs/1"));
    assert_eq!(field_of(&body), Some("manual_intervention_url"));
    let body = with(native(), "manual_intervention_url", json!("https://github.com/a/b/pull/7"));
    assert!(parse(&body).is_ok());
}

#[test]
fn both_shapes_at_once_conflict() {
    let body = json!({ "repo": "a/b", "error": "x", "stacktrace": "y" });
    let error = parse(&body).expect_err("conflict");
    assert!(matches!(error, ReportError::Conflict { field: "stacktrace", other: "error" }), "{error:?}");

    let body = json!({ "repo": "a/b", "error": "x", "run": "https://github.com/a/b/actions", "run_url": "https://github.com/a/b/actions" });
    assert_eq!(field_of(&body), Some("run"));
}

#[test]
fn error_text_limit_is_exact() {
    let at_limit = "x".repeat(MAX_ERROR_BYTES);
    assert!(parse(&with(native(), "error", json!(at_limit))).is_ok());

    let over = "x".repeat(MAX_ERROR_BYTES + 1);
    let error = parse(&with(native(), "error", json!(over))).expect_err("over the limit");
    assert!(
        matches!(error, ReportError::TooLong { field: "error", size, limit } if size == MAX_ERROR_BYTES + 1 && limit == MAX_ERROR_BYTES),
        "{error:?}"
    );
    assert!(error.to_string().contains(&MAX_ERROR_BYTES.to_string()), "{error}");
}

#[test]
fn short_field_limits() {
    let title = "t".repeat(MAX_TITLE_BYTES + 1);
    assert_eq!(field_of(&with(native(), "title", json!(title))), Some("title"));
    assert_eq!(field_of(&with(native(), "version", json!("v".repeat(129)))), Some("version"));
    assert_eq!(field_of(&with(native(), "fingerprint", json!("f".repeat(257)))), Some("fingerprint"));
}

#[test]
fn context_limits() {
    let many: serde_json::Map<String, Value> =
        (0..=MAX_CONTEXT_ENTRIES).map(|i| (format!("k{i}"), json!("v"))).collect();
    let error = parse(&with(native(), "context", Value::Object(many))).expect_err("too many entries");
    assert!(matches!(error, ReportError::TooManyContextEntries { .. }), "{error:?}");

    let exactly: serde_json::Map<String, Value> =
        (0..MAX_CONTEXT_ENTRIES).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert!(parse(&with(native(), "context", Value::Object(exactly))).is_ok());

    for key in ["", "has space", "new\nline", "emoji🙂", &"k".repeat(MAX_CONTEXT_KEY_BYTES + 1)] {
        let error = parse(&with(native(), "context", json!({ key: "v" }))).expect_err(key);
        assert!(matches!(error, ReportError::InvalidContextKey { .. }), "{key:?}: {error:?}");
        assert_eq!(error.field(), Some("context"));
    }

    for value in [json!(1), json!({ "nested": "x" }), json!("v".repeat(MAX_CONTEXT_VALUE_BYTES + 1))] {
        let error = parse(&with(native(), "context", json!({ "key": value }))).expect_err("bad value");
        assert!(matches!(error, ReportError::InvalidContextValue { .. }), "{error:?}");
    }
}

#[test]
fn body_level_errors_name_no_field() {
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    let error = Report::from_json(&huge).expect_err("too large");
    assert!(matches!(error, ReportError::BodyTooLarge { .. }));
    assert_eq!(error.field(), None);

    let error = Report::from_json(b"{\"repo\": \"a/b\", \"error\": \"\xff\"}").expect_err("invalid UTF-8");
    assert!(matches!(error, ReportError::InvalidUtf8 { offset: 26 }), "{error:?}");
    assert_eq!(error.field(), None);

    for body in [&b"not json"[..], b"{\"repo\": ", b""] {
        let error = Report::from_json(body).expect_err("invalid JSON");
        assert!(matches!(error, ReportError::InvalidJson { .. }), "{error:?}");
    }
    for body in [&b"[]"[..], b"\"text\"", b"null", b"42"] {
        assert!(matches!(Report::from_json(body), Err(ReportError::NotAnObject)));
    }
}

#[test]
fn scrubbed_hides_secrets_in_every_text_field() {
    let token = format!("ghp_{}", "A1b2".repeat(9));
    let body = json!({
        "repo": "acme/app",
        "error": format!("{TRACE}\nAuthorization: Bearer {token}"),
        "title": format!("failed with {token}"),
        "version": format!("1.0 {token}"),
        "fingerprint": format!("key-{token}"),
        "context": { "env": format!("GITHUB_TOKEN={token}") },
        "run_url": "https://github.com/acme/app/actions/runs/1",
    });
    let report = parse(&body).expect("valid report").scrubbed();

    let serialized = serde_json::to_string(&report).expect("serializable");
    assert!(!serialized.contains(&token), "{serialized}");
    assert!(report.error.contains("[REDACTED:"), "{}", report.error);
    assert_eq!(report.repo, "acme/app");
    assert_eq!(report.run_url.as_deref(), Some("https://github.com/acme/app/actions/runs/1"));
}

#[test]
fn report_round_trips_through_serde() {
    let report = parse(&native()).expect("valid report");
    let json = serde_json::to_string(&report).expect("serializable");
    let back: Report = serde_json::from_str(&json).expect("deserializable");
    assert_eq!(back, report);
}
