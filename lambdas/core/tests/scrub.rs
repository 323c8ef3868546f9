//! Secret scrubbing: each kind of credential is replaced, ordinary trace text is left alone.

use tally_core::scrub::scrub;

/// Asserts that scrubbing `input` removes `secret` and leaves `[REDACTED:kind]`.
fn assert_redacted(input: &str, secret: &str, kind: &str) {
    let output = scrub(input);
    assert!(!output.contains(secret), "secret left in {output:?}");
    assert!(output.contains(&format!("[REDACTED:{kind}]")), "expected kind {kind} in {output:?}");
}

#[test]
fn github_tokens() {
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        let token = format!("{prefix}{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
        assert_redacted(&format!("git push failed: {token} rejected"), &token, "github-token");
        assert_redacted(&format!("x{token}"), &token, "github-token");
    }
    let fine_grained = format!("github_pat_11ABCDEFG0{}_{}", "a1B2c3D4e5F6g7H8i9J0kL", "m".repeat(59));
    assert_redacted(&format!("GH_TOKEN={fine_grained}"), &fine_grained, "github-token");
}

#[test]
fn aws_keys() {
    assert_redacted("using AKIAIOSFODNN7EXAMPLE for upload", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id");
    assert_redacted("ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "aws-access-key-id");
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    for form in [
        format!("aws_secret_access_key = {secret}"),
        format!("AWS_SECRET_ACCESS_KEY={secret}"),
        format!("\"SecretAccessKey\": \"{secret}\""),
        format!("secret_access_key: '{secret}'"),
    ] {
        let output = scrub(&form);
        assert!(!output.contains(secret), "{form} -> {output}");
    }
}

#[test]
fn jwts() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_redacted(&format!("cookie session={jwt}; path=/"), jwt, "jwt");
    assert_redacted(&format!("token {jwt}"), jwt, "jwt");
}

#[test]
fn authorization_headers() {
    let cases = [
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("{'Authorization': 'token 0123456789abcdef'}", "0123456789abcdef"),
        ("\"authorization\":\"Bearer s3cr3t\"", "s3cr3t"),
        ("curl -H 'Authorization: Digest username=x'", "username=x"),
    ];
    for (input, secret) in cases {
        let output = scrub(input);
        assert!(!output.contains(secret), "{input} -> {output}");
        assert!(output.contains("[REDACTED:"), "{input} -> {output}");
    }
    assert_redacted("sent Bearer abcdefghijklmnop0123 upstream", "abcdefghijklmnop0123", "bearer-token");
}

#[test]
fn url_credentials() {
    let output = scrub("git clone https://deploy:hunter2@github.com/acme/app.git failed");
    assert_eq!(output, "git clone https://[REDACTED:url-credentials]@github.com/acme/app.git failed");
    assert_redacted("postgres://app:p%40ss@db.internal:5432/app", "p%40ss", "url-credentials");
    assert_redacted("redis://:onlypassword@cache:6379", "onlypassword", "url-credentials");
}

#[test]
fn pem_private_keys() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nq2zQ9==\n-----END RSA PRIVATE KEY-----";
    let output = scrub(&format!("loaded key:\n{key}\nthen failed")).into_owned();
    assert_eq!(output, "loaded key:\n[REDACTED:private-key]\nthen failed");

    // A key cut off by truncation is hidden up to the end of the text.
    let output = scrub("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU");
    assert_eq!(output, "[REDACTED:private-key]");

    // Public keys and certificates are not secrets.
    let public = "-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----";
    assert_eq!(scrub(public), public);
}

#[test]
fn slack_tokens_and_webhooks() {
    assert_redacted("xoxb-2644928356-4876234987-aBcDeFgHiJkLmNoPqRsT", "xoxb-2644928356", "slack-token");
    assert_redacted(
        "POST https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX failed",
        "XXXXXXXXXXXXXXXX",
        "slack-webhook",
    );
}

#[test]
fn key_value_assignments() {
    let cases = [
        ("password=hunter2", "hunter2"),
        ("DB_PASSWORD: 'correct horse battery'", "correct horse"),
        ("{\"api_key\": \"k-123456\"}", "k-123456"),
        ("client_secret=abc123&grant_type=x", "abc123"),
        ("GITHUB_TOKEN=abcdef12345", "abcdef12345"),
        ("--passwd \"s p a c e\"", "s p a c e"),
        ("https://api.example.com/v1?access_token=zzz999&x=1", "zzz999"),
        ("secret: shh", "shh"),
        ("private_key = \"-----MII\"", "-----MII"),
    ];
    for (input, secret) in cases {
        let output = scrub(input);
        assert!(!output.contains(secret), "{input} -> {output}");
        assert!(output.contains("[REDACTED:secret]"), "{input} -> {output}");
    }
}

#[test]
fn ordinary_trace_text_is_unchanged() {
    let traces = [
        "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\nKeyError: 'token'",
        "thread 'main' panicked at src/main.rs:4:5:\nindex out of bounds: the len is 3 but the index is 5",
        "    at Object.<anonymous> (/app/index.js:1:1)",
        "ERROR: MethodError: no method matching tokenize(::Nothing)",
        "connecting to https://github.com/acme/app.git",
        "the bearer of this message",
        "password reset failed for user 42",
        "PWD=/home/runner/work",
        "token == expected",
    ];
    for trace in traces {
        assert_eq!(scrub(trace), trace);
    }
}

#[test]
fn text_without_secrets_is_borrowed() {
    assert!(matches!(scrub("plain text"), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn scrubbing_is_idempotent() {
    let inputs = [
        "password=hunter2 and Authorization: Bearer abc.def and https://u:p@h/x",
        "AKIAIOSFODNN7EXAMPLE ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "token: [REDACTED:github-token]",
    ];
    for input in inputs {
        let once = scrub(input).into_owned();
        assert_eq!(scrub(&once), once, "input: {input}");
    }
}

#[test]
fn scrub_finds_key_glued_to_token() {
    // The AWS key rule needs a word boundary after the key, which only appears once the Slack
    // token glued to it has been replaced.
    let input = "AKIAA00A0A0A00A0000Axoxb-0000000000-Aaaa0a0Aa0aaaA0AAaa00aAa";
    assert_eq!(scrub(input), "[REDACTED:aws-access-key-id][REDACTED:slack-token]");
}
