//! Secret scrubbing: replaces credentials in free text with `[REDACTED:kind]`.
//!
//! Reports become public GitHub issues, so every free-text field is scrubbed before it is stored,
//! hashed or posted. Scrubbing runs before fingerprinting, so the same error reported with
//! different tokens still groups together. The rules favour over-redaction: a harmless value that
//! looks like a secret is hidden rather than a secret leaked.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, Replacer};

/// Prefix of every replacement; a value that already starts with it is left alone.
const REDACTED_PREFIX: &str = "[REDACTED:";

/// One scrubbing rule: a pattern and how to rewrite each match.
struct Rule {
    /// The pattern. When it has a group named `secret`, only that group is replaced.
    pattern: Regex,
    /// `[REDACTED:kind]`, where the kind names what the rule finds.
    replacement: String,
    /// A cheap test that is true for every text the pattern can match, for patterns that no
    /// literal prefix lets the regex engine skip ahead on.
    gate: Option<fn(&str) -> bool>,
}

impl Rule {
    fn new(kind: &'static str, pattern: &str) -> Rule {
        #[allow(clippy::expect_used)]
        let pattern = Regex::new(pattern).expect("scrub patterns are valid regexes");
        Rule { pattern, replacement: format!("{REDACTED_PREFIX}{kind}]"), gate: None }
    }

    fn gated(mut self, gate: fn(&str) -> bool) -> Rule {
        self.gate = Some(gate);
        self
    }

    /// Applies the rule, returning the input unchanged (and unallocated) when nothing matches.
    fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.gate.is_some_and(|gate| !gate(text)) {
            return Cow::Borrowed(text);
        }
        self.pattern.replace_all(text, self)
    }
}

impl Replacer for &Rule {
    fn replace_append(&mut self, captures: &Captures<'_>, out: &mut String) {
        let Some(whole) = captures.get(0) else { return };
        let Some(secret) = captures.name("secret") else {
            out.push_str(&self.replacement);
            return;
        };
        if secret.as_str().trim_start_matches(['"', '\'']).starts_with(REDACTED_PREFIX) {
            out.push_str(whole.as_str());
            return;
        }

        out.push_str(&whole.as_str()[..secret.start() - whole.start()]);
        out.push_str(&self.replacement);
        out.push_str(&whole.as_str()[secret.end() - whole.start()..]);
    }

    fn no_expansion(&mut self) -> Option<Cow<'_, str>> {
        // Without a `secret` group every match becomes the same text, and the engine can find
        // matches without resolving groups.
        (self.pattern.captures_len() == 1).then_some(Cow::Borrowed(self.replacement.as_str()))
    }
}

/// Keys whose `key = value` or `key: value` assignments the generic `secret` rule redacts,
/// lowercase, as the key's name ends.
const SECRET_KEYS: &[&str] = &[
    "password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key", "accesskey",
    "access_key", "access-key", "privatekey", "private_key", "private-key", "credential", "credentials",
];

/// Returns whether some `:` or `=` in `text` follows a name that ends with one of
/// [`SECRET_KEYS`] (ignoring ASCII case), with an optional quote and then spaces or tabs between.
/// Every match of the generic `secret` assignment rule has this shape, and this scan is much
/// cheaper than the rule's regex.
fn has_secret_assignment(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b':', b'=', bytes).any(|at| {
        let mut end = at;
        while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        if end > 0 && matches!(bytes[end - 1], b'"' | b'\'') {
            end -= 1;
        }
        let name = &bytes[..end];
        // Every key ends with one of these letters, so a colon after a digit or a bracket is
        // rejected at once.
        if !name.last().is_some_and(|last| b"deynlst".contains(&last.to_ascii_lowercase())) {
            return false;
        }
        SECRET_KEYS.iter().any(|key| {
            name.len() >= key.len() && name[name.len() - key.len()..].eq_ignore_ascii_case(key.as_bytes())
        })
    })
}

/// The rules, in the order they run. Specific token formats run first so that the generic
/// `key=value` rules see their already redacted values and keep them. Key names and schemes
/// ignore ASCII case only (`(?i-u:...)`): Unicode case folding would also match the long s and
/// the Kelvin sign, and would keep the regex engine from skipping ahead to the key's letters.
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
            r#"(?i-u:[a-z][a-z0-9+.-]*)://(?P<secret>[^\s/?#@:"'<>\[\]]*:[^\s/?#@"'<>\[\]]*)@"#,
        ),
        // Authorization headers, in HTTP, JSON, Python dict and curl forms.
        Rule::new(
            "authorization",
            r#"(?i-u:authorization)["']?[ \t]*[:=][ \t]*["']?(?:(?i-u:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)[ \t]+)?(?P<secret>[^\s"',;]+)"#,
        ),
        // Bearer tokens outside a header.
        Rule::new("bearer-token", r"(?i-u:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)"),
        // AWS secret access keys and session tokens in key=value form.
        Rule::new(
            "aws-secret-key",
            r#"(?i-u:aws_?secret_?access_?key|aws_?session_?token|secret_?access_?key)["']?[ \t]*[:=][ \t]*["']?(?P<secret>[A-Za-z0-9/+=]{16,})"#,
        ),
        // Command-line flags: --password VALUE, --token=VALUE.
        Rule::new(
            "secret",
            r#"(?i-u:--[a-z-]*(?:pass(?:word|wd|phrase)|token|secret|api-?key))(?:[ \t]+|=)(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'-][^\s"']*)"#,
        ),
        // password=, token=, secret=, api_key= and similar assignments, quoted or bare.
        Rule::new(
            "secret",
            r#"(?i-u:pass(?:word|wd|phrase)|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)["']?[ \t]*[:=][ \t]*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|["']?[^\s"',;&:=)\]}>][^\s"',;&)\]}>]*)"#,
        )
        .gated(has_secret_assignment),
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Texts built from the keys, quotes, separators and values that the gated rule looks for.
    fn assignment_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                "password", "PassWord", "passwd", "PASSPHRASE", "secret", "Token", "api_key", "API-KEY", "apikey",
                "access_key", "AccessKey", "private-key", "privatekey", "credential", "Credentials", "pass", "key",
                "\"", "'", " ", "\t", ":", "=", "\n", "s3cr3t", "[REDACTED:secret]", ",", ")",
            ])
            .prop_map(str::to_owned),
            "[ -~]{0,12}",
            "\\PC{0,4}",
        ];
        prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat())
    }

    fn gated_rules() -> impl Iterator<Item = &'static Rule> {
        RULES.iter().filter(|rule| rule.gate.is_some())
    }

    proptest! {
        #[test]
        fn gate_is_open_wherever_its_rule_matches(text in assignment_like()) {
            for rule in gated_rules() {
                let gate = rule.gate.expect("gated");
                prop_assert!(gate(&text) || !rule.pattern.is_match(&text), "gate closed on a match in {:?}", text);
            }
        }
    }

    #[test]
    fn gate_opens_on_each_key_form() {
        for text in ["password=x", "DB_PASSWORD: \"x\"", "api-key = x", "{'token': 'x'}", "Credentials\t:x"] {
            assert!(has_secret_assignment(text), "{text}");
        }
        for text in ["at 10:00:05 line 12", "tokenizer failed: x", "key=value", "passwords"] {
            assert!(!has_secret_assignment(text), "{text}");
        }
    }
}
