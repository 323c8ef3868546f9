//! Issue rendering: the title and Markdown body of the GitHub issue opened for a fingerprint.
//!
//! Issues are public and GitHub renders them, so rendering keeps reports inert: the trace sits in
//! a code fence longer than any backtick run inside it, titles cannot mention users or link
//! issues, and short fields are shown as inline code. The body carries two hidden markers: the
//! fingerprint, which lets the workflow find the issue again, and the summary block, which the
//! workflow rewrites as occurrences arrive.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::fingerprint::{Analysis, Fingerprint, analyze};
use crate::normalize::headline;
use crate::report::Report;

/// Start of the summary block that the workflow rewrites.
pub const SUMMARY_START: &str = "<!-- tally:summary:start -->";

/// End of the summary block that the workflow rewrites.
pub const SUMMARY_END: &str = "<!-- tally:summary:end -->";

/// Maximum title length, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// Maximum issue body length, in characters. GitHub rejects issue bodies over 65,536 characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Start of the hidden fingerprint marker; the hex digits and [`MARKER_END`] follow.
const FINGERPRINT_MARKER_START: &str = "<!-- tally:fingerprint=";

/// End of every hidden marker.
const MARKER_END: &str = " -->";

/// Zero-width space inserted after `@` and `#` in titles, so they neither mention nor link.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Title used when neither the client nor the trace gives one.
const FALLBACK_TITLE: &str = "Error report";

/// Renders the issue title: the client's `title`, or the exception type and masked message.
///
/// The result is one line of at most [`MAX_TITLE_CHARS`] characters in which `@name` and `#123`
/// are broken with a zero-width space, so the title cannot ping anyone or link an issue.
pub fn issue_title(report: &Report) -> String {
    issue_title_for(report, &analyze(report))
}

/// Renders the issue title like [`issue_title`] from an analysis of the same report, so a caller
/// that already analyzed the report does not normalize its trace twice.
pub fn issue_title_for(report: &Report, analysis: &Analysis) -> String {
    let raw = match report.title.as_deref().filter(|title| !title.trim().is_empty()) {
        Some(title) => title.to_owned(),
        None => headline(analysis.language, &analysis.normalized).unwrap_or_else(|| FALLBACK_TITLE.to_owned()),
    };

    let one_line = collapse_whitespace(&raw);
    let inert = break_mentions_and_references(&one_line);
    let title = truncate_chars(&inert, MAX_TITLE_CHARS);
    if title.is_empty() { FALLBACK_TITLE.to_owned() } else { title }
}

/// Renders the issue body: metadata, the summary block, the fenced trace and the hidden
/// fingerprint marker. The body never exceeds [`MAX_BODY_CHARS`]; a longer trace is cut and the
/// cut is stated.
pub fn issue_body(report: &Report, fingerprint: &Fingerprint, first_seen: DateTime<Utc>) -> String {
    let mut head = String::new();

    // The markers come first, so a trace that quotes a marker can never be found before them.
    head.push_str(&fingerprint_marker(fingerprint));
    head.push_str("\n\n");
    head.push_str(SUMMARY_START);
    head.push_str("\n1 occurrence so far.\n");
    head.push_str(SUMMARY_END);
    head.push_str("\n\n");

    head.push_str(&format!("**Repository:** {}\n", inline_code(&report.repo)));
    if let Some(run_url) = &report.run_url {
        head.push_str(&format!("**Run:** <{run_url}>\n"));
    }
    if let Some(version) = &report.version {
        head.push_str(&format!("**Version:** {}\n", inline_code(version)));
    }
    if let Some(image) = &report.image {
        head.push_str(&format!("**Image:** {}\n", inline_code(image)));
    }
    if let Some(url) = &report.manual_intervention_url {
        head.push_str(&format!("**Manual intervention:** <{url}>\n"));
    }
    head.push_str(&format!(
        "**First seen:** {}\n",
        first_seen.to_rfc3339_opts(SecondsFormat::Secs, true)
    ));
    let grouping = if report.fingerprint.is_some() { "client key" } else { "normalized trace" };
    head.push_str(&format!("**Fingerprint:** `{fingerprint}` (from the {grouping})\n"));

    if !report.context.is_empty() {
        head.push_str("\n| Context | Value |\n| --- | --- |\n");
        for (key, value) in &report.context {
            head.push_str(&format!("| {} | {} |\n", table_cell(key), table_cell(value)));
        }
    }

    head.push_str("\n### Stack trace\n\n");
    let budget = MAX_BODY_CHARS.saturating_sub(head.chars().count());
    head.push_str(&fenced_trace(&report.error, budget));
    head
}

/// The hidden marker that identifies the issue of `fingerprint`: `<!-- tally:fingerprint=HEX -->`.
pub fn fingerprint_marker(fingerprint: &Fingerprint) -> String {
    format!("{FINGERPRINT_MARKER_START}{fingerprint}{MARKER_END}")
}

/// Finds the first fingerprint marker in an issue body.
pub fn find_fingerprint_marker(body: &str) -> Option<Fingerprint> {
    let start = body.find(FINGERPRINT_MARKER_START)? + FINGERPRINT_MARKER_START.len();
    let hex = body.get(start..start + 64)?;
    if !body[start + 64..].starts_with(MARKER_END) {
        return None;
    }
    hex.parse().ok()
}

/// Replaces the content of the summary block with `summary_markdown`, or appends a new block
/// when the body has none.
///
/// Marker strings inside `summary_markdown` are removed, so the new content can never end the
/// block early or start a second one.
pub fn replace_summary(body: &str, summary_markdown: &str) -> String {
    let content = summary_markdown.replace(SUMMARY_START, "").replace(SUMMARY_END, "");
    let content = content.trim_matches('\n');

    let block_bounds = body.find(SUMMARY_START).and_then(|start| {
        let content_start = start + SUMMARY_START.len();
        let end = content_start + body[content_start..].find(SUMMARY_END)?;
        Some((content_start, end))
    });

    match block_bounds {
        Some((content_start, end)) => {
            format!("{}\n{content}\n{}", &body[..content_start], &body[end..])
        }
        None => {
            let separator = if body.is_empty() || body.ends_with("\n\n") {
                ""
            } else if body.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{body}{separator}{SUMMARY_START}\n{content}\n{SUMMARY_END}\n")
        }
    }
}

/// Puts `trace` in a backtick fence longer than any backtick run inside it, cutting the trace to
/// fit in `budget` characters.
fn fenced_trace(trace: &str, budget: usize) -> String {
    let fence = "`".repeat(longest_backtick_run(trace).max(2) + 1);

    // Room for the two fences, their newlines and the cut notice.
    let overhead = 2 * fence.chars().count() + 4 + 80;
    let room = budget.saturating_sub(overhead);
    let total = trace.chars().count();

    let (shown, notice) = if total <= room {
        (trace.to_owned(), String::new())
    } else {
        let shown: String = trace.chars().take(room).collect();
        (shown, format!("\n_Trace cut: {} of {total} characters shown._\n", room))
    };

    let newline = if shown.ends_with('\n') { "" } else { "\n" };
    format!("{fence}\n{shown}{newline}{fence}\n{notice}")
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for character in text.chars() {
        if character == '`' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// Shows a short value as inline code, fenced with more backticks than it contains.
fn inline_code(value: &str) -> String {
    let value = collapse_whitespace(value);
    let fence = "`".repeat(longest_backtick_run(&value) + 1);
    // A space on both sides keeps a value that starts or ends with a backtick inside the span.
    let pad = if value.starts_with('`') || value.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// Shows a value in a Markdown table cell as inline code with `|` escaped.
fn table_cell(value: &str) -> String {
    inline_code(value).replace('|', "\\|")
}

/// Joins all lines and runs of whitespace into single spaces and drops control characters.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Inserts a zero-width space after every `@` and `#`, which GitHub would otherwise turn into a
/// mention or an issue link.
fn break_mentions_and_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        out.push(character);
        if character == '@' || character == '#' {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// Cuts `text` to at most `max` characters, ending with `…` when it was cut.
fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    // An `@` or `#` whose zero-width space was cut off goes too.
    while cut.ends_with(['@', '#']) || cut.ends_with(char::is_whitespace) {
        cut.pop();
    }
    cut.push('…');
    cut
}
