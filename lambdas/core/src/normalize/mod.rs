//! Stack-trace normalization: detects the trace's language and rewrites the trace so that two
//! reports of the same bug from different machines, users and runs become the same text, while
//! reports of different bugs stay apart. The fingerprint is the hash of this text.
//!
//! # Rules
//!
//! Removed or ignored, because they vary between runs of the same bug:
//! - line endings (CRLF), ANSI colours, other control characters, blank lines, indentation and
//!   runs of spaces, and timestamps at the start of a line (as GitHub Actions logs have);
//! - line and column numbers, and absolute path prefixes: under a package root (site-packages,
//!   node_modules, `~/.julia/packages/<pkg>/<slug>/`, the cargo registry, the Go module cache,
//!   a standard library) the package path is kept without version or slug, and any other
//!   absolute path (home folders, CI checkouts, temp dirs, Windows drives) is cut to its file
//!   name;
//! - Python's source lines and `^^^` markers, Julia's `[N]` frame numbers and `[inlined]`
//!   notes, Rust symbol hashes and addresses, Go argument values, goroutine ids and `+0x..`
//!   offsets, JVM `... N more` elisions, `note: run with RUST_BACKTRACE` hints, the
//!   `Node.js vX` line and GitHub Actions' `Process completed with exit code N.` line;
//! - frames of language runtimes that change between versions (Rust std and C runtime frames,
//!   Node.js `node:` internals, Python's frozen import machinery, JVM reflection);
//! - immediate repeats of the same line (recursion);
//! - everything after the first [`MAX_MESSAGE_LINE_BYTES`] bytes of a message line.
//!
//! Kept, because they tell bugs apart: the exception type, the message's words, and each
//! frame's function (module, class or symbol) and file name. Variable parts of messages are
//! masked rather than dropped: numbers become `<n>`, quoted values `<str>`, paths `<path>`, URLs
//! `<url>`, UUIDs `<uuid>`, hex ids `<hex>`, addresses `<addr>` and timestamps `<time>`. Function
//! and file names get only the number, hex and address masks.
//!
//! Normalization is idempotent: normalizing a normalized text returns it unchanged.
//!
//! # Example
//!
//! ```text
//! 2024-05-01T12:00:00.1234567Z Traceback (most recent call last):
//! 2024-05-01T12:00:00.1234567Z   File "/home/runner/work/app/app/main.py", line 12, in <module>
//! 2024-05-01T12:00:00.1234567Z     main()
//! 2024-05-01T12:00:00.1234567Z   File "/usr/lib/python3.11/site-packages/app/config.py", line 40, in load
//! 2024-05-01T12:00:00.1234567Z     port = int(raw["port"])
//! 2024-05-01T12:00:00.1234567Z ValueError: invalid literal for int() with base 10: '80a'
//! ```
//!
//! normalizes to
//!
//! ```text
//! Traceback (most recent call last):
//! at <module> (main.py)
//! at load (app/config.py)
//! ValueError: invalid literal for int() with base <n>: <str>
//! ```

use std::borrow::Cow;

mod clean;
mod detect;
mod frames;
mod mask;
mod paths;
mod syntax;

use serde::{Deserialize, Serialize};

use frames::{Frame, Parsed};

/// The language of a trace, detected from its frame syntax and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Python tracebacks.
    Python,
    /// Julia stack traces.
    Julia,
    /// Rust panics and backtraces.
    Rust,
    /// Node.js and browser JavaScript stacks.
    JavaScript,
    /// Go panics and goroutine dumps.
    Go,
    /// Java, Kotlin and other JVM stack traces.
    Java,
    /// Anything else: a bare message or an unknown format.
    Generic,
}

impl Language {
    /// Every language that detection can return besides [`Language::Generic`], in tie-break order.
    pub const DETECTED: [Language; 6] = [
        Language::Python,
        Language::Julia,
        Language::Rust,
        Language::JavaScript,
        Language::Go,
        Language::Java,
    ];

    /// Lowercase name, as shown by the CLI and in serialized form.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Julia => "julia",
            Language::Rust => "rust",
            Language::JavaScript => "javascript",
            Language::Go => "go",
            Language::Java => "java",
            Language::Generic => "generic",
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A normalized trace: its detected language and the text that is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized {
    /// The detected language.
    pub language: Language,
    /// The normalized text, one line per frame or message line, joined with `\n`.
    pub text: String,
}

/// One line of the trace after parsing, before the language is known.
enum Item {
    Frame(Frame),
    /// A numbered symbol without a location, and its line, for when the trace is not Rust.
    MaybeRustFrame(Frame, String),
    Message(String),
}

/// Normalizes a trace (see the module documentation for the rules).
pub fn normalize(trace: &str) -> Normalized {
    let lines = clean::clean_lines(trace);
    let mut votes = detect::Votes::default();
    let items = parse_items(&lines, &mut votes);
    let language = votes.winner();

    let mut text = String::with_capacity(trace.len() / 2);
    let mut last_line_start = None;
    for item in items {
        let line = match item {
            Item::Frame(frame) if frame.is_runtime_noise() => continue,
            Item::Frame(frame) => frame.line(),
            Item::MaybeRustFrame(frame, _) if language == Language::Rust => {
                if frame.is_runtime_noise() {
                    continue;
                }
                frame.line()
            }
            Item::MaybeRustFrame(_, line) => masked_message_line(&line),
            Item::Message(line) => line,
        };

        // Immediate repeats (recursion) are kept once.
        if last_line_start.is_some_and(|start| text[start..] == line) {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        last_line_start = Some(text.len());
        text.push_str(&line);
    }

    Normalized { language, text }
}

/// Parses cleaned lines into frames and masked messages, counting language votes on the way.
fn parse_items(lines: &[Cow<'_, str>], votes: &mut detect::Votes) -> Vec<Item> {
    let mut items = Vec::with_capacity(lines.len());
    // Indentation of the last raw Python frame: deeper lines under it are source lines.
    let mut python_frame_indent: Option<usize> = None;

    let mut index = 0;
    while index < lines.len() {
        let raw = &lines[index];
        let line = collapse_spaces(raw.trim());
        let line = line.as_ref();
        let indent = raw.len() - raw.trim_start().len();
        let next = lines.get(index + 1).map(|next| next.trim());
        index += 1;

        if let Some(frame_indent) = python_frame_indent {
            if indent > frame_indent && !line.starts_with("File \"") {
                continue;
            }
            python_frame_indent = None;
        }
        if is_noise_line(line) {
            continue;
        }

        match frames::parse(line, next) {
            Parsed::Frame { frame, lines: used } => {
                if line.starts_with("File \"") {
                    python_frame_indent = Some(indent);
                }
                if let Some(language) = frame.vote {
                    votes.frame(language);
                }
                index += used - 1;
                items.push(Item::Frame(frame));
            }
            Parsed::MaybeRustFrame(frame) => items.push(Item::MaybeRustFrame(frame, line.to_owned())),
            Parsed::NotAFrame => {
                let (header, message) = match rust_panic_header(line) {
                    Some((header, message)) => (Some(header), message),
                    None => (None, Some(line.to_owned())),
                };
                if let Some(header) = header {
                    votes.message(&header);
                    items.push(Item::Message(header));
                }
                if let Some(message) = message {
                    push_masked_message(&mut items, votes, &message);
                }
            }
        }
    }
    items
}

/// Masks a message line and adds it. Masking can turn a message into something that reads as a
/// frame or as noise, because a quoted value with spaces becomes one `<str>` word. The masked
/// line is therefore classified again, so that normalizing the output changes nothing.
fn push_masked_message(items: &mut Vec<Item>, votes: &mut detect::Votes, message: &str) {
    let masked = masked_message_line(message);
    if masked != message {
        if is_noise_line(&masked) {
            return;
        }
        match frames::parse(&masked, None) {
            Parsed::Frame { frame, .. } => {
                if let Some(language) = frame.vote {
                    votes.frame(language);
                }
                items.push(Item::Frame(frame));
                return;
            }
            Parsed::MaybeRustFrame(frame) => {
                items.push(Item::MaybeRustFrame(frame, masked));
                return;
            }
            Parsed::NotAFrame => {}
        }
    }
    votes.message(&masked);
    items.push(Item::Message(masked));
}

/// The longest message line kept, in bytes. Longer lines are usually dumps of data, whose tail
/// says little about which bug it is.
pub const MAX_MESSAGE_LINE_BYTES: usize = 1024;

/// Masks a message line's first [`MAX_MESSAGE_LINE_BYTES`] bytes. Masking rescans after each
/// skipped quote or path, which can cost time quadratic in the line's length, so longer lines
/// are cut first. The masked line is cut again because masking may lengthen it.
fn masked_message_line(message: &str) -> String {
    let message = cut_at_char_boundary(message, MAX_MESSAGE_LINE_BYTES).trim_end();
    cut_masked_line(mask::mask_message(message))
}

/// Cuts a masked line to [`MAX_MESSAGE_LINE_BYTES`] so that masking the result changes nothing.
/// A cut at a space keeps every token whole. A line without a space in its first bytes is cut
/// anywhere and masked again until it settles, since a cut number (`24m` cut to `2`) masks
/// differently.
fn cut_masked_line(masked: String) -> String {
    if masked.len() <= MAX_MESSAGE_LINE_BYTES {
        return masked;
    }
    let prefix = cut_at_char_boundary(&masked, MAX_MESSAGE_LINE_BYTES);
    if let Some(space) = prefix.rfind(' ') {
        let kept = prefix[..space].trim_end();
        if !kept.is_empty() {
            return kept.to_owned();
        }
    }

    let mut line = prefix.trim_end().to_owned();
    // NOTE: four rounds settled every case tried; a line that needs more keeps its last round.
    for _ in 0..4 {
        let again = mask::mask_message(&line);
        let again = cut_at_char_boundary(&again, MAX_MESSAGE_LINE_BYTES).trim_end().to_owned();
        if again == line {
            break;
        }
        line = again;
    }
    line
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn cut_at_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Rewrites a Rust panic header, old (`panicked at 'msg', src/main.rs:4:5`) or new
/// (`panicked at src/main.rs:4:5:` with the message on the next line), into the new form without
/// line numbers or thread id. Returns the rewritten header, which needs no masking, and the old
/// form's message, which does.
fn rust_panic_header(line: &str) -> Option<(String, Option<String>)> {
    static HEADER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        #[allow(clippy::expect_used)]
        regex::Regex::new(
            r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at (?:'(?P<message>.*)', )?(?P<location>\S+?)(?::\d+:\d+)?:?$",
        )
        .expect("panic header pattern is a valid regex")
    });

    let found = HEADER.captures(line)?;
    let thread = mask::mask_identifier(&found["thread"]);
    let location = paths::canonical_file(&found["location"]);
    // A location that canonicalizes to nothing (`/`) would not read back as a header.
    if location.is_empty() {
        return None;
    }
    let header = format!("thread '{thread}' panicked at {location}:");
    let message = found.name("message").map(|message| message.as_str().to_owned());
    Some((header, message))
}


/// Lines that carry nothing about the bug and vary between runs or versions.
fn is_noise_line(line: &str) -> bool {
    let is_marker = !line.is_empty()
        && line.chars().all(|c| matches!(c, '^' | '~' | ' '))
        && line.contains(['^', '~']);
    is_marker
        || (line.starts_with("... ") && (line.ends_with(" more") || line.ends_with(" common frames omitted")))
        || line.starts_with("note: run with `RUST_BACKTRACE")
        || line.starts_with("note: Some details are omitted")
        || line.strip_prefix("Node.js v").is_some_and(|version| !version.contains(' '))
        || is_runner_exit_line(line)
}

/// GitHub Actions' own closing line, `##[error]Process completed with exit code 1.`, which
/// appears when a job log is pasted and depends only on the runner.
fn is_runner_exit_line(line: &str) -> bool {
    let line = line.strip_prefix("##[error]").or_else(|| line.strip_prefix("Error: ")).unwrap_or(line);
    line.strip_prefix("Process completed with exit code ")
        .and_then(|rest| rest.strip_suffix('.'))
        .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
}

/// Collapses runs of spaces into one, borrowing the line when it has none.
pub(crate) fn collapse_spaces(line: &str) -> Cow<'_, str> {
    let bytes = line.as_bytes();
    if !memchr::memchr_iter(b' ', bytes).any(|at| bytes.get(at + 1) == Some(&b' ')) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut previous_space = false;
    for c in line.chars() {
        if c != ' ' || !previous_space {
            out.push(c);
        }
        previous_space = c == ' ';
    }
    Cow::Owned(out)
}

/// The line that best names the error, for issue titles: the exception type and masked message.
///
/// Picks, by language: Python's last message line (the exception after the traceback), the JVM's
/// first line without `Exception in thread "..."`, the first `...Error` line of JavaScript, the
/// message under a Rust panic header, Go's `panic:` or `fatal error:` line, and Julia's
/// `ERROR:` line without its `ERROR:` and `LoadError:` prefixes. Otherwise the first message line,
/// then the first line. `None` only for an empty text.
pub fn headline(language: Language, normalized: &str) -> Option<String> {
    let lines: Vec<&str> = normalized.lines().collect();
    let is_frame = |line: &&str| line.starts_with("at ") || line.starts_with("created by ");
    let mut messages = lines.iter().copied().filter(|line| !is_frame(line));

    let chosen = match language {
        Language::Python => lines.iter().copied().rev().find(|line| {
            !is_frame(line)
                && !line.ends_with("Traceback (most recent call last):")
                && !line.starts_with("During handling of the above exception")
                && !line.starts_with("The above exception was the direct cause")
        }),
        Language::Java => messages.next().map(|line| {
            line.strip_prefix("Exception in thread <str> ").unwrap_or(line)
        }),
        Language::JavaScript => lines
            .iter()
            .copied()
            .find(|line| !is_frame(line) && is_error_line(line))
            .or_else(|| messages.next()),
        Language::Rust => lines
            .iter()
            .position(|line| line.starts_with("thread '") && line.contains("' panicked at "))
            .and_then(|header| lines.get(header + 1).copied())
            .filter(|line| !is_frame(line)),
        Language::Go => messages.find(|line| line.starts_with("panic: ") || line.starts_with("fatal error: ")),
        Language::Julia => messages.find(|line| line.starts_with("ERROR: ")).map(|line| {
            let mut rest = line.strip_prefix("ERROR: ").unwrap_or(line);
            while let Some(inner) = rest.strip_prefix("LoadError: ") {
                rest = inner;
            }
            rest
        }),
        Language::Generic => None,
    };

    let fallback = || lines.iter().copied().find(|line| !is_frame(line)).or(lines.first().copied());
    chosen.or_else(fallback).map(str::to_owned)
}

/// Whether a line starts with a JavaScript error type such as `TypeError:` or `Error`.
fn is_error_line(line: &str) -> bool {
    let name_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'));
    let name = &line[..name_end.unwrap_or(line.len())];
    (name.ends_with("Error") || name.ends_with("Exception")) && !name.is_empty()
}
