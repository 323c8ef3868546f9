//! Language detection from a trace's headers and frames.
//!
//! A header that only one language prints (Python's `Traceback (most recent call last):`, a Rust
//! `panicked at` line, a Go `goroutine N [running]:` line, ...) outweighs any number of frames;
//! otherwise each frame votes by its file extension or, without one, by its syntax. The headers
//! are matched in both their raw and normalized forms, so a normalized trace is detected as the
//! same language as the trace it came from.

use std::sync::LazyLock;

use regex::Regex;

use super::Language;

/// Weight of one header line against one frame's vote.
const HEADER_WEIGHT: usize = 1000;

/// Headers that identify a language, tried on every message line.
static HEADERS: LazyLock<Vec<(Language, Regex)>> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    let compile = |pattern: &str| Regex::new(pattern).expect("header patterns are valid regexes");
    vec![
        (Language::Python, compile(r"Traceback \(most recent call last\):$")),
        (Language::Rust, compile(r"^thread '[^']*'(?: \(\d+\))? panicked at |^stack backtrace:$")),
        (Language::Go, compile(r"^goroutine (?:\d+|<n>) \[[^\]]*\]:$")),
        (Language::Java, compile(r#"^Exception in thread (?:"|<str>)|^Caused by: [A-Za-z_$][A-Za-z0-9_$.]*(?:Exception|Error|Throwable)\b"#)),
        (Language::Julia, compile(r"^Stacktrace:$|^ERROR: LoadError: ")),
        (Language::JavaScript, compile(r"^Node\.js v\d|^Uncaught (?:\w*Error|exception)")),
    ]
});

/// Whether a line starts or ends like one of [`HEADERS`]; a cheap test before the regexes.
fn may_be_header(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "thread '", "stack backtrace:", "goroutine ", "Exception in thread ", "Caused by: ",
        "Stacktrace:", "ERROR: LoadError: ", "Node.js v", "Uncaught ",
    ];
    line.ends_with("):") || STARTS.iter().any(|start| line.starts_with(start))
}

/// Tallies header and frame votes and picks a language.
#[derive(Debug, Default)]
pub(crate) struct Votes {
    scores: [usize; Language::DETECTED.len()],
}

impl Votes {
    /// Counts a message line's header, if it is one.
    pub fn message(&mut self, line: &str) {
        if !may_be_header(line) {
            return;
        }
        for (language, header) in HEADERS.iter() {
            if header.is_match(line) {
                self.add(*language, HEADER_WEIGHT);
            }
        }
    }

    /// Counts one frame's vote.
    pub fn frame(&mut self, language: Language) {
        self.add(language, 1);
    }

    fn add(&mut self, language: Language, weight: usize) {
        if let Some(index) = Language::DETECTED.iter().position(|l| *l == language) {
            self.scores[index] += weight;
        }
    }

    /// The language with the highest score; ties go to the earlier language in
    /// [`Language::DETECTED`]. [`Language::Generic`] when nothing voted.
    pub fn winner(&self) -> Language {
        let mut best = (0, Language::Generic);
        for (language, score) in Language::DETECTED.iter().zip(self.scores) {
            if score > best.0 {
                best = (score, *language);
            }
        }
        best.1
    }
}
