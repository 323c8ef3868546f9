//! Line cleanup that runs before anything else: line endings, ANSI colour codes, other control
//! characters, and log timestamps prefixed to each line (as GitHub Actions logs have).
//! Indentation is kept, because it distinguishes Python's source lines from its frames.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// ANSI escape sequences: CSI (colours, cursor moves) and OSC (titles, hyperlinks).
static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
});

/// A timestamp at the start of a line, with optional brackets and one following space: ISO 8601
/// (`2024-05-01T12:00:00.1234567Z`, as GitHub Actions writes), `2024-05-01 12:00:00,123`, or a
/// bare time of day.
static LEADING_TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\[?(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?UTC)?|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\]?(?: |\t|$)",
    )
});

#[allow(clippy::expect_used)]
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("cleanup patterns are valid regexes")
}

/// Splits `text` into cleaned lines, keeping indentation and dropping lines left blank.
pub(crate) fn clean_lines(text: &str) -> Vec<Cow<'_, str>> {
    let mut lines = Vec::new();
    let mut start = 0;

    // Lines end at `\n` or `\r`, so CRLF leaves an empty piece, dropped as blank.
    for end in memchr::memchr2_iter(b'\n', b'\r', text.as_bytes()).chain([text.len()]) {
        let raw = &text[start..end];
        start = end + 1;

        // The fold has no early exit, so that the compiler may check many bytes at once. Lines
        // with neither tabs nor controls are borrowed as they are. 0xC2 starts the C1 controls
        // (and some Latin-1 letters, which only cost time).
        let (has_tab, has_controls) = raw.bytes().fold((false, false), |(tab, controls), byte| {
            let control = (byte < 0x20 && byte != b'\t') | (byte == 0x7f) | (byte == 0xc2);
            (tab | (byte == b'\t'), controls | control)
        });
        push_cleaned(&mut lines, raw, has_tab, has_controls);
    }
    lines
}

fn push_cleaned<'a>(lines: &mut Vec<Cow<'a, str>>, raw: &'a str, has_tab: bool, has_controls: bool) {
    let line = clean_line(raw, has_tab, has_controls);
    if !line.trim().is_empty() {
        lines.push(line);
    }
}

/// Cleans one line: ANSI sequences and control characters removed, tabs turned into spaces, and
/// leading timestamps stripped. Borrows the line when nothing changes, as for most lines.
fn clean_line(raw: &str, has_tab: bool, has_controls: bool) -> Cow<'_, str> {
    let mut line = match (has_controls, has_tab) {
        (true, _) => Cow::Owned(remove_controls(raw)),
        (false, true) => Cow::Owned(raw.replace('\t', " ")),
        (false, false) => Cow::Borrowed(raw),
    };

    // A line may carry more than one prefix, e.g. the runner's timestamp and the program's own.
    while line.starts_with(|c: char| c.is_ascii_digit() || c == '[') {
        let end = match LEADING_TIMESTAMP.find(&line) {
            Some(found) if !found.is_empty() => found.end(),
            _ => break,
        };
        line = match line {
            Cow::Borrowed(text) => Cow::Borrowed(&text[end..]),
            Cow::Owned(mut text) => {
                text.replace_range(..end, "");
                Cow::Owned(text)
            }
        };
    }
    line
}

/// Removes ANSI sequences and control characters, and turns tabs into spaces.
fn remove_controls(raw: &str) -> String {
    let without_ansi = if raw.contains('\x1b') { ANSI.replace_all(raw, "") } else { raw.into() };
    without_ansi
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_runner_timestamps_and_colours() {
        let text = "2024-05-01T12:00:00.1234567Z \x1b[31mError\x1b[0m: boom\r\n2024-05-01T12:00:00.1234567Z   File \"x.py\"\r\n";
        assert_eq!(clean_lines(text), vec!["Error: boom", "  File \"x.py\""]);
    }

    #[test]
    fn strips_stacked_timestamps() {
        assert_eq!(clean_lines("[12:00:01] 2024-05-01 12:00:00,123 boom"), vec!["boom"]);
    }

    #[test]
    fn drops_blank_and_timestamp_only_lines() {
        assert_eq!(clean_lines("a\n\n   \n2024-05-01T12:00:00Z\nb"), vec!["a", "b"]);
    }

    #[test]
    fn keeps_indentation_and_tabs_become_spaces() {
        assert_eq!(clean_lines("\tmain.go:12"), vec![" main.go:12"]);
    }
}
