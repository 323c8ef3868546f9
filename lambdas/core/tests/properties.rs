//! Property tests: normalization never panics and is idempotent, scrubbing never leaves a
//! generated secret, and rendering always keeps the trace inside its code block.

use proptest::prelude::*;
use tally_core::fingerprint::Fingerprint;
use tally_core::normalize::normalize;
use tally_core::render::{MAX_TITLE_CHARS, issue_body, issue_title};
use tally_core::report::Report;
use tally_core::scrub::scrub;

/// Lines of the kinds real traces contain, with their variable parts generated.
fn trace_line() -> impl Strategy<Value = String> {
    let word = "[A-Za-z_][A-Za-z0-9_]{0,10}";
    let path = "(/[a-z0-9_.-]{1,8}){1,5}\\.(py|jl|rs|go|js|java|kt)";
    let number = 0u32..100_000;
    prop_oneof![
        (path, number.clone(), word).prop_map(|(p, n, w)| format!("  File \"{p}\", line {n}, in {w}")),
        (word, path, number.clone(), number.clone()).prop_map(|(w, p, l, c)| format!("    at {w} ({p}:{l}:{c})")),
        (word, word, number.clone()).prop_map(|(c, m, l)| format!("\tat com.acme.{c}.{m}({c}.java:{l})")),
        (number.clone(), word, path, number.clone()).prop_map(|(i, w, p, l)| format!(" [{i}] {w}(x::Int64)\n   @ Main {p}:{l}")),
        (number.clone(), word, path).prop_map(|(i, w, p)| format!("  {i}: crate::{w}::h0123456789abcdef\n      at {p}:3:4")),
        (word, path, number.clone()).prop_map(|(w, p, l)| format!("main.{w}(0xc000012345, {{0x1, 0x2}})\n\t{p}:{l} +0x1d")),
        (word, number.clone()).prop_map(|(w, n)| format!("{w}Error: value '{w}' is {n} at 0x7ffe{n:x}")),
        (number.clone(), word).prop_map(|(n, w)| format!("thread '{w}' panicked at src/{w}.rs:{n}:1:")),
        Just("Traceback (most recent call last):".to_owned()),
        Just("goroutine 7 [running]:".to_owned()),
        Just("Stacktrace:".to_owned()),
        Just("stack backtrace:".to_owned()),
        Just("    ^^^^^^".to_owned()),
        Just("\t... 12 more".to_owned()),
        ".{0,60}",
        "[ -~]{0,60}",
    ]
}

/// A trace of generated lines, optionally with runner timestamps, CRLF endings and colours.
fn trace() -> impl Strategy<Value = String> {
    (prop::collection::vec(trace_line(), 0..30), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(lines, timestamps, crlf, colour)| {
            let ending = if crlf { "\r\n" } else { "\n" };
            lines
                .into_iter()
                .map(|line| {
                    let line = if colour { format!("\x1b[31m{line}\x1b[0m") } else { line };
                    if timestamps { format!("2024-05-01T12:00:00.1234567Z {line}") } else { line }
                })
                .collect::<Vec<_>>()
                .join(ending)
        },
    )
}

/// A generated secret, as it appears in text, and the part that must not survive scrubbing.
fn secret() -> impl Strategy<Value = (String, String)> {
    let alnum = |n: usize| proptest::string::string_regex(&format!("[A-Za-z0-9]{{{n}}}")).expect("valid regex");
    let value = "[A-Za-z0-9]{12,24}";
    prop_oneof![
        (prop::sample::select(vec!["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]), alnum(36))
            .prop_map(|(prefix, body)| (format!("{prefix}{body}"), format!("{prefix}{body}"))),
        (alnum(22), alnum(59)).prop_map(|(a, b)| {
            let token = format!("github_pat_{a}_{b}");
            (token.clone(), token)
        }),
        "[A-Z0-9]{16}".prop_map(|rest| (format!("AKIA{rest}"), format!("AKIA{rest}"))),
        "[A-Za-z0-9/+]{40}".prop_map(|key| (format!("aws_secret_access_key={key}"), key)),
        ("[A-Za-z0-9_-]{10,40}", "[A-Za-z0-9_-]{10,40}", "[A-Za-z0-9_-]{10,43}").prop_map(|(h, p, s)| {
            let jwt = format!("eyJ{h}.eyJ{p}.{s}");
            (jwt.clone(), jwt)
        }),
        (prop::sample::select(vec!["Bearer", "Basic", "token"]), value)
            .prop_map(|(scheme, v)| (format!("Authorization: {scheme} {v}"), v)),
        ("[a-z]{1,10}", value).prop_map(|(user, pass)| (format!("https://{user}:{pass}@example.com/x"), pass)),
        "[A-Za-z0-9+/]{40,200}".prop_map(|body| {
            (format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"), body)
        }),
        (prop::sample::select(vec!["xoxb", "xoxp", "xoxa"]), "[0-9]{10}-[A-Za-z0-9]{24}")
            .prop_map(|(prefix, rest)| (format!("{prefix}-{rest}"), rest)),
        (
            prop::sample::select(vec!["password", "PASSWORD", "db_password", "token", "GITHUB_TOKEN", "secret", "api_key", "client_secret"]),
            prop::sample::select(vec!["=", ": ", " = ", "\": \""]),
            value,
        )
            .prop_map(|(key, separator, v)| (format!("{key}{separator}{v}"), v)),
    ]
}

/// Inputs that once normalized to a text that normalized differently again.
#[test]
fn normalize_is_idempotent_on_found_cases() {
    let cases = [
        // Masking joined the words of a message into one word that reads as a frame location.
        "at /a://b/c'x y'",
        "thread 'a' panicked at src/a.rs:0:1:\n0: /",
        "thread 'a' panicked at src/a.rs:0:1:\n0: A/",
        "... 'x y' more",
        // A Julia function cut before its arguments kept a space before the module.
        "[1] top-level (x)\n@ Signals filters.jk",
        // A hidden class whose name also reads as a module prefix.
        "at java.util.concurrent.Executoru31/0x0000000800c03000.run(Unknown Source)",
        "at a.b/0x1f.run(X.java:1)",
        // The path after a package root started with `../`.
        "at f (/app/node_modules/../axios/lib/http.js:1:2)",
        // A long line cut inside a number (`24m` became `2`).
        &format!("{}x 24m", "a".repeat(1020)),
        &format!("{}[24m", "a".repeat(1020)),
        // A long numbered line that is not a Rust frame was masked but not cut.
        &format!("1: a {}", "b ".repeat(600)),
        // A panic header whose location is only `/`.
        "thread 'main' panicked at /:",
        // A path cut at `#` kept the spaces before the `#`.
        "  File \"a/b   #c\", line 1, in f",
    ];
    for case in cases {
        let once = normalize(case);
        assert_eq!(normalize(&once.text).text, once.text, "input: {case:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalize_is_idempotent_on_traces(trace in trace()) {
        let once = normalize(&trace);
        let twice = normalize(&once.text);
        prop_assert_eq!(&twice.text, &once.text);
    }

    #[test]
    fn normalize_is_idempotent_on_any_text(text in "(?s).{0,400}") {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once.text).text, once.text);
    }

    #[test]
    fn normalize_is_idempotent_on_long_words(text in "[A-Za-z0-9\\[\\]'\"/]{1000,1100}") {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once.text).text, once.text);
    }

    #[test]
    fn normalize_is_idempotent_on_long_lines(text in "[ -~]{900,1400}") {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once.text).text, once.text);
    }

    #[test]
    fn normalize_is_idempotent_on_punctuation_soup(text in "[ -~\n]{0,200}") {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once.text).text, once.text);
    }

    #[test]
    fn normalized_text_has_no_blank_or_padded_lines(trace in trace()) {
        let normalized = normalize(&trace).text;
        for line in normalized.lines() {
            prop_assert!(!line.trim().is_empty());
            prop_assert_eq!(line.trim(), line);
            prop_assert!(!line.contains('\r'));
            prop_assert!(!line.contains('\x1b'));
        }
    }

    #[test]
    fn scrub_removes_generated_secrets(
        (text, secret) in secret(),
        before in "[ -~]{0,40}",
        after in "[ -~]{0,40}",
        separator in prop::sample::select(vec![" ", "\n", "\t", " (", "\""]),
    ) {
        let input = format!("{before}{separator}{text}{separator}{after}");
        let output = scrub(&input);
        prop_assert!(!output.contains(&secret), "secret survived in {:?}", output);
        prop_assert!(output.contains("[REDACTED:"));
    }

    #[test]
    fn scrub_is_idempotent(text in "(?s).{0,300}", (secret_text, _) in secret()) {
        let input = format!("{text} {secret_text}");
        let once = scrub(&input).into_owned();
        prop_assert_eq!(scrub(&once), once.clone());
    }

    #[test]
    fn different_tokens_group_together(
        trace in trace(),
        one in "[A-Za-z0-9]{36}",
        two in "[A-Za-z0-9]{36}",
        password_one in "[A-Za-z0-9]{8,20}",
        password_two in "[A-Za-z0-9]{8,20}",
    ) {
        let with = |token: &str, password: &str| {
            let text = format!("{trace}
push failed for ghp_{token} (password={password})");
            Fingerprint::of_normalized(&normalize(&scrub(&text)).text)
        };
        prop_assert_eq!(with(&one, &password_one), with(&two, &password_two));
    }

    #[test]
    fn rendered_trace_stays_in_its_block(error in "(?s).{1,300}", backticks in 0usize..12) {
        let error = format!("{error}\n{}", "`".repeat(backticks));
        let report = Report {
            repo: "acme/app".to_owned(),
            error: error.clone(),
            run_url: None,
            title: None,
            fingerprint: None,
            version: None,
            context: Default::default(),
            image: None,
            manual_intervention_url: None,
        };
        let fingerprint = Fingerprint::of_normalized(&normalize(&error).text);
        let body = issue_body(&report, &fingerprint, chrono::Utc::now());

        let after_heading = body.split("### Stack trace\n\n").nth(1).unwrap_or_default();
        let fence: String = after_heading.chars().take_while(|c| *c == '`').collect();
        prop_assert!(fence.len() >= 3);
        prop_assert!(!error.contains(&fence), "fence {:?} occurs in the trace", fence);
        let opening = format!("{fence}\n{error}");
        prop_assert!(after_heading.starts_with(&opening));

        let title = issue_title(&report);
        prop_assert!(!title.contains('\n'));
        prop_assert!(title.chars().count() <= MAX_TITLE_CHARS);
        for (index, c) in title.char_indices() {
            if c == '@' || c == '#' {
                prop_assert_eq!(title[index + 1..].chars().next(), Some('\u{200B}'));
            }
        }
    }
}
