//! `tally fingerprint`: prints the fingerprint of each file, one `HEX  FILE` line per file as
//! `sha256sum` does, so users can see why two errors were or were not grouped.
//!
//! A file whose first non-blank character is `{` is read as a JSON report (native or TagBot
//! shape) and validated like the ingest function does; any other file is a plain trace. Both are
//! scrubbed before hashing, exactly as reports are. `--explain` adds the detected language, where
//! the fingerprint came from, and the normalized text that was hashed.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tally_core::fingerprint::{Analysis, Source, analyze, analyze_trace};
use tally_core::report::{MAX_ERROR_BYTES, Report, ReportError};
use tally_core::scrub::scrub;

/// Options of `tally fingerprint`.
#[derive(Debug, clap::Args)]
pub struct FingerprintArgs {
    /// Files to fingerprint: JSON reports or plain traces. `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Also print the detected language, the fingerprint's source and the normalized text.
    #[arg(long)]
    pub explain: bool,
}

/// Why one file could not be fingerprinted.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(#[from] io::Error),

    /// The file is a JSON report that fails validation.
    #[error("invalid report: {0}")]
    Report(#[from] ReportError),

    /// The plain trace is over the size the ingest function accepts.
    #[error("trace is {size} bytes, over the limit of {limit} bytes that reports may carry")]
    TooLarge {
        /// Size of the trace, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },

    /// The plain trace is not UTF-8.
    #[error("trace is not valid UTF-8 (first invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

/// Runs `tally fingerprint`, printing to standard output and errors to standard error.
/// Exits with failure when any file fails, after printing the others.
pub fn run(args: &FingerprintArgs) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let all_ok = print_fingerprints(args, &mut stdout.lock(), &mut stderr.lock())?;
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Prints one line per file (and the explanation, if asked) to `out`, and one line per failed
/// file to `errors`. Returns whether every file succeeded.
pub fn print_fingerprints(
    args: &FingerprintArgs,
    out: &mut impl Write,
    errors: &mut impl Write,
) -> io::Result<bool> {
    let mut all_ok = true;
    for path in &args.files {
        let name = path.display().to_string();
        match read_input(path).and_then(|bytes| fingerprint_bytes(&bytes)) {
            Ok(analysis) => {
                writeln!(out, "{}  {name}", analysis.fingerprint)?;
                if args.explain {
                    write_explanation(out, &analysis)?;
                }
            }
            Err(error) => {
                all_ok = false;
                writeln!(errors, "tally fingerprint: {name}: {error}")?;
            }
        }
    }
    Ok(all_ok)
}

fn read_input(path: &Path) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin().lock().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(path)?;
    }
    Ok(bytes)
}

/// Fingerprints a JSON report or a plain trace, as described in the module documentation.
pub fn fingerprint_bytes(bytes: &[u8]) -> Result<Analysis, FileError> {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    if first == Some(&b'{') {
        let report = Report::from_json(bytes)?.scrubbed();
        return Ok(analyze(&report));
    }

    if bytes.len() > MAX_ERROR_BYTES {
        return Err(FileError::TooLarge { size: bytes.len(), limit: MAX_ERROR_BYTES });
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|error| FileError::InvalidUtf8 { offset: error.valid_up_to() })?;
    Ok(analyze_trace(&scrub(text)))
}

fn write_explanation(out: &mut impl Write, analysis: &Analysis) -> io::Result<()> {
    let source = match analysis.source {
        Source::Trace => "normalized trace",
        Source::Client => "client fingerprint key (the trace below is not hashed)",
    };
    writeln!(out, "  language: {}", analysis.language)?;
    writeln!(out, "  fingerprint from: {source}")?;
    writeln!(out, "  normalized:")?;
    for line in analysis.normalized.lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "Traceback (most recent call last):\n  File \"/home/u/app.py\", line 3, in <module>\n    main()\nValueError: bad value 42\n";

    fn run_on(files: Vec<PathBuf>, explain: bool) -> (bool, String, String) {
        let args = FingerprintArgs { files, explain };
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let ok = print_fingerprints(&args, &mut out, &mut errors).expect("writes to memory succeed");
        (ok, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&errors).into_owned())
    }

    #[test]
    fn prints_hex_two_spaces_and_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("trace.txt");
        std::fs::write(&path, TRACE).expect("write fixture");

        let (ok, out, errors) = run_on(vec![path.clone()], false);

        assert!(ok, "errors: {errors}");
        let expected = analyze_trace(TRACE).fingerprint;
        assert_eq!(out, format!("{expected}  {}\n", path.display()));
    }

    #[test]
    fn json_report_and_plain_trace_agree() {
        let report = serde_json::json!({ "repo": "acme/app", "error": TRACE }).to_string();
        let from_json = fingerprint_bytes(report.as_bytes()).expect("valid report");
        let from_text = fingerprint_bytes(TRACE.as_bytes()).expect("valid trace");
        assert_eq!(from_json.fingerprint, from_text.fingerprint);
    }

    #[test]
    fn tagbot_report_is_accepted() {
        let report = serde_json::json!({
            "image": "ghcr.io/juliaregistries/tagbot:1.17.0",
            "repo": "acme/Example.jl",
            "run": "https://github.com/acme/Example.jl/actions/runs/123",
            "stacktrace": TRACE,
        })
        .to_string();
        let analysis = fingerprint_bytes(report.as_bytes()).expect("valid TagBot report");
        assert_eq!(analysis.fingerprint, analyze_trace(TRACE).fingerprint);
    }

    #[test]
    fn client_key_sets_the_fingerprint() {
        let report = serde_json::json!({ "repo": "acme/app", "error": TRACE, "fingerprint": "k" });
        let analysis = fingerprint_bytes(report.to_string().as_bytes()).expect("valid report");
        assert_eq!(analysis.source, Source::Client);
        assert_ne!(analysis.fingerprint, analyze_trace(TRACE).fingerprint);
    }

    #[test]
    fn secrets_do_not_change_the_fingerprint() {
        let one = format!("{TRACE}token=ghp_{}\n", "a".repeat(36));
        let two = format!("{TRACE}token=ghp_{}\n", "b".repeat(36));
        let first = fingerprint_bytes(one.as_bytes()).expect("valid trace");
        let second = fingerprint_bytes(two.as_bytes()).expect("valid trace");
        assert_eq!(first.fingerprint, second.fingerprint);
        assert!(!first.normalized.contains("ghp_"));
    }

    #[test]
    fn explain_shows_language_and_normalized_text() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("trace.txt");
        std::fs::write(&path, TRACE).expect("write fixture");

        let (ok, out, _) = run_on(vec![path], true);

        assert!(ok);
        assert!(out.contains("\n  language: python\n"), "{out}");
        assert!(out.contains("  fingerprint from: normalized trace\n"), "{out}");
        assert!(out.contains("    at <module> (app.py)\n"), "{out}");
        assert!(out.contains("    ValueError: bad value <n>\n"), "{out}");
    }

    #[test]
    fn failures_are_reported_and_other_files_still_print() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("good.txt");
        let bad_json = dir.path().join("bad.json");
        let missing = dir.path().join("missing.txt");
        std::fs::write(&good, TRACE).expect("write fixture");
        std::fs::write(&bad_json, r#"{"repo": "not a repo", "error": "x"}"#).expect("write fixture");

        let (ok, out, errors) = run_on(vec![bad_json.clone(), good.clone(), missing.clone()], false);

        assert!(!ok);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.ends_with(&format!("  {}\n", good.display())));
        assert!(errors.contains(&format!("{}: invalid report: field `repo`", bad_json.display())), "{errors}");
        assert!(errors.contains(&format!("{}: cannot read the file", missing.display())), "{errors}");
    }

    #[test]
    fn oversized_and_non_utf8_traces_are_rejected() {
        let large = "x".repeat(MAX_ERROR_BYTES + 1);
        assert!(matches!(fingerprint_bytes(large.as_bytes()), Err(FileError::TooLarge { .. })));
        assert!(matches!(
            fingerprint_bytes(b"ok\xff"),
            Err(FileError::InvalidUtf8 { offset: 2 })
        ));
    }
}
