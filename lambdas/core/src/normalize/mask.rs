//! Masking of the variable parts of messages and names. Numbers, values in single or double
//! quotes, paths, URLs, UUIDs, hex ids, memory addresses and timestamps become `<n>`, `<str>`,
//! `<path>`, `<url>`, `<uuid>`, `<hex>`, `<addr>` and `<time>`. Backticks quote code, which is kept.
//! Masking is idempotent: no mask token matches any rule, and every rule that depends on the
//! character before it reads that character from the masked output.

use std::sync::LazyLock;

use regex::Regex;

/// Rules for message lines, in priority order for matches that start at the same place.
/// Word boundaries are ASCII, like every character class here, so that one definition of "word
/// character" applies everywhere.
static MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^\s'"`<>()\[\]{}]+"#,
        r"|(?-u:\b)[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?-u:\b)",
        r"|(?-u:\b)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?-u:\b)",
        r"|(?-u:\b)0[xX][0-9A-Fa-f]+(?-u:\b)",
        r"|(?-u:\b)\d+(?:\.\d+)*(?-u:\b)",
        r"|(?-u:\b)[0-9A-Fa-f]{8,}(?-u:\b)",
        r"|(?-u:\b)[A-Za-z]:[\\/][A-Za-z0-9_.@~+\\/-]*",
        r"|(?:~|\.{1,2})?/[A-Za-z0-9_.@~+-][A-Za-z0-9_.@~+/-]*",
        r"|(?-u:\b)[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+\.[A-Za-z][A-Za-z0-9]*(?-u:\b)",
        r#"|"[^"]*"|'[^']*'"#,
    ))
});

/// The identifier rules as one regex: the definition that [`mask_identifier`]'s scanner
/// follows, kept for tests. Digits are ASCII digits only.
#[cfg(test)]
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?-u:\b)[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?-u:\b)",
        r"|(?-u:\b)0[xX][0-9A-Fa-f]+(?-u:\b)",
        r"|(?-u:\b)[0-9]+(?-u:\b)",
        r"|(?-u:\b)[0-9A-Fa-f]{8,}(?-u:\b)",
    ))
});

#[allow(clippy::expect_used)]
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("mask patterns are valid regexes")
}

/// Masks the variable parts of a message line.
pub(crate) fn mask_message(line: &str) -> String {
    // Every rule's match contains a digit, a quote or a path separator; most lines have none.
    if !line.bytes().any(|b| b.is_ascii_digit() || matches!(b, b'\'' | b'"' | b'/' | b'\\')) {
        return line.to_owned();
    }
    mask_with(&MESSAGE, line)
}

/// Masks the variable parts of a function, class or file name: UUIDs, `0x` addresses, numbers
/// and hex ids of at least 8 digits, each a whole ASCII word (UUIDs span their dashes). Names
/// are short and many, so this is a byte scanner rather than a regex search per name.
pub(crate) fn mask_identifier(name: &str) -> String {
    // Every identifier rule's match contains a digit.
    if !name.bytes().any(|b| b.is_ascii_digit()) {
        return name.to_owned();
    }

    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut copied = 0;
    let mut index = 0;

    // Every match starts at the start of a word and ends at the end of a word, so the scan
    // moves from word to word.
    while index < bytes.len() {
        if !is_word_byte(bytes[index]) {
            index += 1;
            continue;
        }
        let word_end = index + bytes[index..].iter().take_while(|&&b| is_word_byte(b)).count();
        let end = identifier_match_end(bytes, index, word_end);
        if let Some(end) = end {
            out.push_str(&name[copied..index]);
            out.push_str(token_for(&name[index..end]));
            copied = end;
        }
        index = end.unwrap_or(word_end);
    }

    out.push_str(&name[copied..]);
    out
}

/// Returns the end of the identifier match that starts with the word `bytes[start..word_end]`,
/// trying the rules in priority order: UUID, `0x` address, number, hex id.
fn identifier_match_end(bytes: &[u8], start: usize, word_end: usize) -> Option<usize> {
    let word = &bytes[start..word_end];
    if let Some(end) = uuid_end(bytes, start) {
        return Some(end);
    }
    let is_address = word.len() > 2 && matches!(&word[..2], b"0x" | b"0X") && word[2..].iter().all(u8::is_ascii_hexdigit);
    let is_number = word.iter().all(u8::is_ascii_digit);
    let is_hex_id = word.len() >= 8 && word.iter().all(u8::is_ascii_hexdigit);
    (is_address || is_number || is_hex_id).then_some(word_end)
}

/// Returns the end of a UUID (`8-4-4-4-12` hex digits, then a word boundary) that starts at
/// `start`.
fn uuid_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut position = start;
    for (group, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if group > 0 {
            if bytes.get(position) != Some(&b'-') {
                return None;
            }
            position += 1;
        }
        if !bytes.get(position..position + len)?.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        position += len;
    }
    let at_boundary = !bytes.get(position).copied().is_some_and(is_word_byte);
    at_boundary.then_some(position)
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn mask_with(rules: &Regex, text: &str) -> String {

    let mut out = String::with_capacity(text.len());
    let mut position = 0;

    while let Some(found) = rules.find_at(text, position) {
        out.push_str(&text[position..found.start()]);
        let matched = found.as_str();

        // Quotes and paths that start with punctuation only count after a non-word character,
        // so apostrophes ("can't") and halves of words ("and/or") stay. The check reads the
        // output, which makes a second pass decide the same way.
        let needs_separator = matched.starts_with(['\'', '/', '~', '.']);
        if needs_separator && out.chars().last().is_some_and(is_word_char) {
            let first_len = matched.chars().next().map_or(1, char::len_utf8);
            out.push_str(&matched[..first_len]);
            position = found.start() + first_len;
            continue;
        }

        out.push_str(token_for(matched));
        position = found.end();
    }

    out.push_str(&text[position..]);
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The mask token for a matched span, or the span itself when it is not variable after all
/// (a run of the letters a-f, such as "deadbeef" or "facade").
fn token_for(matched: &str) -> &str {
    let first = matched.as_bytes().first().copied().unwrap_or(b' ');
    if matches!(first, b'"' | b'\'') {
        return "<str>";
    }
    if matched.contains("://") {
        return "<url>";
    }
    if matched.contains(['/', '\\']) {
        return "<path>";
    }
    if matched.len() == 36 && matched.as_bytes()[8] == b'-' && matched.as_bytes()[13] == b'-' {
        return "<uuid>";
    }
    if matched.len() >= 10 && matched.as_bytes()[4] == b'-' && matched.as_bytes()[7] == b'-' {
        return "<time>";
    }
    if matched.starts_with("0x") || matched.starts_with("0X") {
        return "<addr>";
    }
    if matched.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return "<n>";
    }
    if matched.bytes().any(|b| b.is_ascii_digit()) {
        return "<hex>";
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_each_kind() {
        let cases = [
            ("index 5 out of range", "index <n> out of range"),
            ("version 1.2.3 failed", "version <n> failed"),
            ("KeyError: 'user_id'", "KeyError: <str>"),
            ("bad \"value\" and 'other'", "bad <str> and <str>"),
            ("open /tmp/tmpab12/config.toml", "open <path>"),
            ("open C:\\Users\\me\\x.txt", "open <path>"),
            ("see ~/.config/app.toml", "see <path>"),
            ("read src/app/main.rs", "read <path>"),
            ("GET https://api.example.com/v1/items?id=3 failed", "GET <url> failed"),
            ("id 123e4567-e89b-12d3-a456-426614174000 gone", "id <uuid> gone"),
            ("object at 0x7f3a2b1c0d10", "object at <addr>"),
            ("commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "commit <hex>"),
            ("at 2024-05-01T12:00:00Z", "at <time>"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_message(input), expected, "input: {input}");
        }
    }

    #[test]
    fn keeps_words_and_identifiers() {
        let kept = [
            "can't parse Int64 from utf8 input",
            "expected one of and/or",
            "deadbeef facade decade",
            "List<String> is not Vec<u8>",
            "called `Result::unwrap()` on an `Err` value",
        ];
        for input in kept {
            assert_eq!(mask_message(input), input);
        }
    }

    #[test]
    fn apostrophe_does_not_open_a_quote() {
        assert_eq!(mask_message("it's 'x'"), "it's <str>");
    }

    #[test]
    fn second_pass_changes_nothing() {
        for input in ["1'x'", "1/tmp/a b", "a1/tmp/x", "'a 'b'", "x'1'2'", "/a'b'/c/d", "\"a\"b\""] {
            let once = mask_message(input);
            assert_eq!(mask_message(&once), once, "input: {input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn mask_identifier_agrees_with_the_identifier_regex(
            name in "([0-9a-fA-FxX_.$#:/-]|[g-z]|\\PC|123e4567-e89b-12d3-a456-426614174000|0x7f3a|deadbeef01){0,24}"
        ) {
            proptest::prop_assert_eq!(mask_identifier(&name), mask_with(&IDENTIFIER, &name));
        }
    }

    #[test]
    fn identifiers_keep_punctuation() {
        assert_eq!(mask_identifier("lambda$main$0"), "lambda$main$<n>");
        assert_eq!(mask_identifier("var\"#15#16\""), "var\"#<n>#<n>\"");
        assert_eq!(mask_identifier("main.3f2a1b9c.js"), "main.<hex>.js");
        assert_eq!(mask_identifier("Int64"), "Int64");
    }
}
