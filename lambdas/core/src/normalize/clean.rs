//! Line cleanup that runs before anything else: line endings, ANSI colour codes, other control
//! characters, and log timestamps prefixed to each line (as GitHub Actions logs have).
//! Indentation is kept, because Python's source lines are told apart from frames by it.

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
pub(crate) fn clean_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for raw in text.split(['\n', '\r']) {
        let line = clean_line(raw);
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Cleans one line: ANSI sequences and control characters removed, tabs turned into spaces, and
/// leading timestamps stripped.
fn clean_line(raw: &str) -> String {
    let without_ansi = if raw.contains('\x1b') { ANSI.replace_all(raw, "") } else { raw.into() };

    let mut line: String = without_ansi
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();

    // A line may carry more than one prefix, e.g. the runner's timestamp and the program's own.
    while let Some(found) = LEADING_TIMESTAMP.find(&line).filter(|found| !found.is_empty()) {
        line.replace_range(..found.end(), "");
    }
    line
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
