//! Secret scrubbing: replaces credentials in free text with `[REDACTED:kind]`.
//!
//! Reports become public GitHub issues, so every free-text field is scrubbed before it is stored,
//! hashed or posted. Scrubbing runs before fingerprinting, so the same error reported with
//! different tokens still groups together. The rules favour over-redaction: a harmless value that
//! looks like a secret is hidden rather than a secret leaked.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Prefix of every replacement; a value that already starts with it is left alone.
const REDACTED_PREFIX: &str = "[REDACTED:";

/// One scrubbing rule: a pattern and how to rewrite each match.
struct Rule {
    /// What kind of secret the rule finds, as written in the replacement.
    kind: &'static str,
    /// The pattern. When it has a group named `secret`, only that group is replaced.
    pattern: Regex,
}

impl Rule {
    fn new(kind: &'static str, pattern: &str) -> Rule {
        #[allow(clippy::expect_used)]
        let pattern = Regex::new(pattern).expect("scrub patterns are valid regexes");
        Rule { kind, pattern }
    }

    /// Applies the rule, returning the input unchanged (and unallocated) when nothing matches.
    fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.pattern.replace_all(text, |captures: &Captures<'_>| self.replace(captures))
    }

    fn replace(&self, captures: &Captures<'_>) -> String {
        let whole = captures.get(0).map_or("", |m| m.as_str());
        let Some(secret) = captures.name("secret") else {
            return format!("{REDACTED_PREFIX}{}]", self.kind);
        };
        if secret.as_str().trim_start_matches(['"', '\'']).starts_with(REDACTED_PREFIX) {
            return whole.to_owned();
        }

        let start = secret.start() - captures.get(0).map_or(0, |m| m.start());
        let end = start + secret.len();
        format!("{}{REDACTED_PREFIX}{}]{}", &whole[..start], self.kind, &whole[end..])
    }
}

/// The rules, in the order they run. Specific token formats run first so that the generic
/// `key=value` rules see their already redacted values and keep them.
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    vec![
        // PEM private keys, including a block cut off by truncation (no END line).
        Rule::new(
            "private-key",
            r"-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----(?:(?s:.*?)-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|(?s:.*))",
        ),
        // GitHub tokens: classic, OAuth, user-to-server, server-to-server, refresh, fine-grained.
        Rule::new("github-token", r"gh[pousr]_[A-Za-z0-9]{20,255}"),
        Rule::new("github-token", r"github_pat_[A-Za-z0-9_]{20,255}"),
        // Slack bot, user, app and refresh tokens, and incoming-webhook URLs.
        Rule::new("slack-token", r"xox[abposre]-[A-Za-z0-9-]{10,}"),
        Rule::new("slack-token", r"xapp-[0-9]-[A-Za-z0-9-]{10,}"),
        Rule::new("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]+"),
        // JSON Web Tokens: base64url header starting with `{"`, payload, optional signature.
        Rule::new("jwt", r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"),
        // AWS access key ids.
        Rule::new(
            "aws-access-key-id",
            r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?-u:\b)",
        ),
        // Other common vendor tokens with a distinctive prefix.
        Rule::new("npm-token", r"npm_[A-Za-z0-9]{36}"),
        Rule::new("pypi-token", r"pypi-AgE[A-Za-z0-9_-]{50,}"),
        Rule::new("google-api-key", r"AIza[0-9A-Za-z_-]{35}"),
        Rule::new("stripe-key", r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"),
        // Credentials in URLs: scheme://user:password@host.
        Rule::new(
            "url-credentials",
            r#"(?i)[a-z][a-z0-9+.-]*://(?P<secret>[^\s/?#@:"'<>\[\]]*:[^\s/?#@"'<>\[\]]*)@"#,
        ),
        // Authorization headers, in HTTP, JSON, Python dict and curl forms.
        Rule::new(
            "authorization",
            r#"(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)[ \t]+)?(?P<secret>[^\s"',;]+)"#,
        ),
        // Bearer tokens outside a header.
        Rule::new("bearer-token", r"(?i)bearer[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)"),
        // AWS secret access keys and session tokens in key=value form.
        Rule::new(
            "aws-secret-key",
            r#"(?i)(?:aws_?secret_?access_?key|aws_?session_?token|secret_?access_?key)["']?[ \t]*[:=][ \t]*["']?(?P<secret>[A-Za-z0-9/+=]{16,})"#,
        ),
        // Command-line flags: --password VALUE, --token=VALUE.
        Rule::new(
            "secret",
            r#"(?i)--[a-z-]*(?:pass(?:word|wd|phrase)|token|secret|api-?key)(?:[ \t]+|=)(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-][^\s"']*)"#,
        ),
        // password=, token=, secret=, api_key= and similar assignments, quoted or bare.
        Rule::new(
            "secret",
            r#"(?i)(?:pass(?:word|wd|phrase)|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)["']?[ \t]*[:=][ \t]*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|["']?[^\s"',;&:=)\]}>][^\s"',;&)\]}>]*)"#,
        ),
    ]
});

/// Replaces every secret the rules find in `text` with `[REDACTED:kind]`.
///
/// Returns the input borrowed when it contains no secret. Scrubbing is idempotent: scrubbing a
/// scrubbed text changes nothing.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if let Cow::Owned(changed) = rule.apply(&current) {
            current = Cow::Owned(changed);
        }
    }
    current
}
