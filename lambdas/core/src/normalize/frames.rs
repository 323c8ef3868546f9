//! Frame parsing: recognizes the stack frames of each supported language, in their raw form and
//! in the canonical form this module writes, and reduces each to a function and a file name.
//!
//! Canonical frames are `at FUNCTION (FILE)`, `at FUNCTION` when the frame has no file,
//! `created by FUNCTION (FILE)` for Go, and `at CLASS.METHOD(FILE)` for the JVM. Every parser
//! accepts the canonical form and returns it unchanged, which makes normalization idempotent.

use super::{Language, collapse_spaces};
use super::mask::mask_identifier;
use super::paths::canonical_file;
use super::syntax;

/// A frame reduced to what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// How the canonical line is written.
    pub style: Style,
    /// Function, method or symbol, with ids masked.
    pub function: String,
    /// Canonical file name, if the frame has one.
    pub file: Option<String>,
    /// Which language's syntax the frame was written in, as a vote for detection.
    pub vote: Option<Language>,
}

/// The canonical line format of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `at FUNCTION (FILE)` or `at FUNCTION`.
    At,
    /// `at CLASS.METHOD(FILE)`.
    Jvm,
    /// `created by FUNCTION (FILE)`.
    CreatedBy,
}

impl Frame {
    fn new(style: Style, function: &str, file: Option<String>, vote: Option<Language>) -> Frame {
        // Parentheses would end the canonical `(FILE)` early, so they become brackets.
        // Runs of spaces are collapsed as in the lines they are later read back from.
        let file = file.map(|file| collapse_spaces(file.trim()).into_owned()).filter(|file| !file.is_empty());
        let file = file.map(|file| {
            if file.contains(['(', ')']) { file.replace('(', "[").replace(')', "]") } else { file }
        });
        let vote = file.as_deref().and_then(language_of_file).or(vote);
        let function = mask_identifier(&collapse_spaces(function.trim()));
        Frame { style, function, file, vote }
    }

    /// The canonical line.
    pub fn line(&self) -> String {
        // Built by hand rather than with `format!`: there is one of these per frame.
        let (prefix, file_open, file, file_close) = match (self.style, self.file.as_deref()) {
            (Style::Jvm, file) => ("at ", "(", file.unwrap_or_default(), ")"),
            (Style::CreatedBy, Some(file)) => ("created by ", " (", file, ")"),
            (Style::CreatedBy, None) => ("created by ", "", "", ""),
            (Style::At, Some(file)) => ("at ", " (", file, ")"),
            (Style::At, None) if self.reads_back_without_file() => ("at ", "", "", ""),
            (Style::At, None) => ("at ", " (", "", ")"),
        };
        let mut line = String::with_capacity(
            prefix.len() + self.function.len() + file_open.len() + file.len() + file_close.len(),
        );
        for part in [prefix, &self.function, file_open, file, file_close] {
            line.push_str(part);
        }
        line
    }

    /// Whether `at FUNCTION` parses back to this frame. Otherwise the line is written with an
    /// empty file, `at FUNCTION ()`, so that a function that looks like a location or ends with
    /// a parenthesis is not read back as something else.
    fn reads_back_without_file(&self) -> bool {
        let function = self.function.as_str();
        !function.is_empty()
            && !function.ends_with(')')
            && !looks_like_location(function)
            && syntax::at_bare(&format!("at {function}")).is_some()
    }

    /// Whether the frame belongs to a language runtime whose frames change between versions
    /// and platforms and say nothing about the bug: Rust's std, its closure call shims and the
    /// C runtime's entry points, Node.js `node:` modules, Python's frozen import machinery, and
    /// JVM reflection.
    pub fn is_runtime_noise(&self) -> bool {
        const RUST_RUNTIME_PREFIXES: &[&str] = &[
            "std::", "core::", "alloc::", "backtrace::", "<std::", "<core::", "<alloc::",
            "rust_begin_unwind", "__rust", "__rustc::", "<F as core::", "<F as alloc::",
        ];
        const NATIVE_ENTRY_POINTS: &[&str] = &[
            "main", "_start", "__libc_start_main", "__libc_start_main_impl",
            "__libc_start_call_main", "start_thread", "clone", "clone3", "__clone", "__clone3",
            "BaseThreadInitThunk", "RtlUserThreadStart", "<unknown>",
        ];
        // Closures called through the standard library's `FnOnce`, `FnMut` and `Fn` impls.
        const RUST_CALL_SHIMS: &[&str] = &[" as core::ops::function::", " as std::ops::"];
        const JVM_REFLECTION_PREFIXES: &[&str] = &["jdk.internal.", "sun.reflect."];

        let function = self.function.as_str();
        match (self.style, self.file.as_deref()) {
            (Style::Jvm, _) => JVM_REFLECTION_PREFIXES.iter().any(|p| function.starts_with(p)),
            (_, Some(file)) if file.starts_with("node:") || file.starts_with("<frozen ") => true,
            (_, file) => {
                let native_file = file.is_none_or(|file| file.ends_with(".c") || file.ends_with(".h") || file.ends_with(".S"));
                RUST_RUNTIME_PREFIXES.iter().any(|p| function.starts_with(p))
                    || (function.starts_with('<') && RUST_CALL_SHIMS.iter().any(|s| function.contains(s)))
                    || (native_file && NATIVE_ENTRY_POINTS.contains(&function))
            }
        }
    }
}

/// The language a file extension belongs to.
fn language_of_file(file: &str) -> Option<Language> {
    let extension = file.rsplit_once('.')?.1;
    match extension {
        "py" | "pyx" => Some(Language::Python),
        "jl" => Some(Language::Julia),
        "rs" => Some(Language::Rust),
        "go" => Some(Language::Go),
        "java" | "kt" | "kts" | "scala" | "groovy" | "clj" => Some(Language::Java),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "jsx" | "tsx" => Some(Language::JavaScript),
        _ => None,
    }
}

/// Removes a trailing `:line` or `:line:column` from a location.
fn strip_line_numbers(location: &str) -> &str {
    let mut rest = location;
    for _ in 0..2 {
        match rest.rsplit_once(':') {
            Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
                rest = head;
            }
            _ => break,
        }
    }
    rest
}

/// Whether the one word after `at ` is a location (V8's anonymous frame) rather than a function.
fn looks_like_location(target: &str) -> bool {
    target.contains(['/', '\\']) || strip_line_numbers(target) != target
}

/// What one or two cleaned lines turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A frame; `lines` is the number of input lines it used (2 when a location line followed).
    Frame { frame: Frame, lines: usize },
    /// `N: symbol` with no location line: a Rust frame only if the trace is Rust.
    MaybeRustFrame(Frame),
    /// Not a frame.
    NotAFrame,
}

/// Parses the frame that starts at `line` (trimmed), looking at `next` (trimmed) for the
/// location line that Julia, Rust and Go print under a frame.
pub(crate) fn parse(line: &str, next: Option<&str>) -> Parsed {
    let frame = |frame| Parsed::Frame { frame, lines: 1 };
    let two_line_frame = |frame| Parsed::Frame { frame, lines: 2 };

    if let Some((path, function)) = syntax::python(line) {
        let file = canonical_file(path);
        let function = function.unwrap_or("<module>");
        return frame(Frame::new(Style::At, function, Some(file), Some(Language::Python)));
    }

    if line.starts_with("at ") {
        if let Some((method, location)) = syntax::jvm(line) {
            let file = canonical_file(strip_line_numbers(location));
            return frame(Frame::new(Style::Jvm, method, Some(file), Some(Language::Java)));
        }
        if let Some((function, location)) = syntax::at_with_location(line) {
            let file = canonical_file(strip_line_numbers(location));
            return frame(Frame::new(Style::At, function, Some(file), Some(Language::JavaScript)));
        }
        if let Some(target) = syntax::at_bare(line) {
            if looks_like_location(target) {
                let file = canonical_file(strip_line_numbers(target));
                return frame(Frame::new(Style::At, "<anonymous>", Some(file), Some(Language::JavaScript)));
            }
            let vote = if target.contains("::") { Language::Rust } else { Language::JavaScript };
            return frame(Frame::new(Style::At, target, None, Some(vote)));
        }
    }

    if let Some((function, location)) = syntax::go_created_by(line) {
        let file = canonical_file(location);
        return frame(Frame::new(Style::CreatedBy, function, Some(file), Some(Language::Go)));
    }

    if let Some((head, location)) = syntax::julia_head(line) {
        let function = julia_function(head);
        if let Some(location) = location {
            let file = canonical_file(location);
            return frame(Frame::new(Style::At, &function, Some(file), Some(Language::Julia)));
        }
        if let Some((module, location)) = next.and_then(syntax::julia_location) {
            let file = canonical_file(location);
            let function = match module {
                Some(module) => format!("{function} @ {module}"),
                None => function,
            };
            return two_line_frame(Frame::new(Style::At, &function, Some(file), Some(Language::Julia)));
        }
    }

    if let Some((has_address, symbol)) = syntax::rust_frame(line) {
        let symbol = syntax::strip_rust_hash(symbol);
        if let Some(location) = next.and_then(syntax::rust_location) {
            let file = canonical_file(location);
            return two_line_frame(Frame::new(Style::At, symbol, Some(file), Some(Language::Rust)));
        }
        let frame = Frame::new(Style::At, symbol, None, Some(Language::Rust));
        if has_address {
            return Parsed::Frame { frame, lines: 1 };
        }
        return Parsed::MaybeRustFrame(frame);
    }

    if let Some((function, location)) = syntax::at_sign(line) {
        let function = if function.is_empty() { "<anonymous>" } else { function };
        let file = canonical_file(strip_line_numbers(location));
        return frame(Frame::new(Style::At, function, Some(file), Some(Language::JavaScript)));
    }

    if let Some(file) = next.and_then(syntax::go_location)
        && let Some((style, function)) = go_function(line)
    {
        let file = canonical_file(file);
        return two_line_frame(Frame::new(style, &function, Some(file), Some(Language::Go)));
    }

    Parsed::NotAFrame
}

/// The function of a Julia frame head, without its argument list, `where` clause or keyword
/// arguments: `parse(::Type{Int64}, s::String; base::Nothing)` becomes `parse`.
fn julia_function(head: &str) -> String {
    let head = head.trim();
    // A callable object such as `(::MyPkg.var"#3#4")(x)`: keep the object's type.
    if head.starts_with('(') {
        if let Some(close) = matching_paren(head, 0) {
            return head[..=close].to_owned();
        }
        return head.to_owned();
    }
    match head.find('(') {
        Some(open) if open > 0 => head[..open].to_owned(),
        _ => head.to_owned(),
    }
}

/// Index of the `)` that closes the `(` at `open`.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate().skip(open) {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// The function of a Go frame's function line, without its argument list:
/// `main.(*Server).handle(0xc000010000, {0x4d2c40, 0x5})` becomes `main.(*Server).handle`, and
/// `created by main.main in goroutine 1` becomes a created-by frame for `main.main`.
fn go_function(line: &str) -> Option<(Style, String)> {
    if let Some(rest) = line.strip_prefix("created by ") {
        let function = rest.split(" in goroutine ").next().unwrap_or(rest).trim();
        let valid = !function.is_empty() && !function.contains(' ');
        return valid.then(|| (Style::CreatedBy, function.to_owned()));
    }

    let body = line.strip_suffix(')')?;
    // Find the `(` that opens the trailing argument list.
    let mut depth = 1usize;
    let mut open = None;
    for (index, byte) in body.bytes().enumerate().rev() {
        match byte {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    open = Some(index);
                    break;
                }
            }
            _ => {}
        }
    }
    let function = &body[..open?];
    let valid = !function.is_empty() && !function.contains(' ');
    valid.then(|| (Style::At, function.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(line: &str, next: Option<&str>) -> Option<String> {
        match parse(line, next) {
            Parsed::Frame { frame, .. } | Parsed::MaybeRustFrame(frame) => Some(frame.line()),
            Parsed::NotAFrame => None,
        }
    }

    #[test]
    fn parses_each_syntax() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (r#"File "/home/u/app/main.py", line 12, in main"#, None, "at main (main.py)"),
            ("at com.example.App.run(App.java:12)", None, "at com.example.App.run(App.java)"),
            ("at java.base/java.lang.Thread.run(Thread.java:833)", None, "at java.lang.Thread.run(Thread.java)"),
            (
                "at com.example.App$$Lambda$14/0x0000000800c03000.run(Unknown Source)",
                None,
                "at com.example.App$$Lambda$<n>/<addr>.run(Unknown Source)",
            ),
            ("at handler (/srv/app/index.js:12:5)", None, "at handler (index.js)"),
            ("at async Promise.all (index 0)", None, "at async Promise.all (index <n>)"),
            ("at <anonymous>", None, "at <anonymous>"),
            ("at /srv/app/index.js:12:5", None, "at <anonymous> (index.js)"),
            ("handler@https://example.com/app.js:12:5", None, "at handler (app.js)"),
            ("[3] parse(::Type{Int64}, s::String)", Some("@ Base ./parse.jl:240 [inlined]"), "at parse @ Base (parse.jl)"),
            ("[1] foo(x::Int64) at ./REPL[2]:1", None, "at foo (REPL[<n>])"),
            ("3: myapp::compute::h0123456789abcdef", Some("at ./src/main.rs:4:5"), "at myapp::compute (main.rs)"),
            ("12:     0x55d5c8f0a1c3 - myapp::main", None, "at myapp::main"),
            ("main.(*Server).handle(0xc000010000, {0x4d2c40, 0x5})", Some("/app/server.go:88 +0x1d"), "at main.(*Server).handle (server.go)"),
            ("created by main.main in goroutine 1", Some("/app/main.go:20 +0x25"), "created by main.main (main.go)"),
        ];
        for (line, next, expected) in cases {
            assert_eq!(line_of(line, *next).as_deref(), Some(*expected), "line: {line}");
        }
    }

    #[test]
    fn canonical_lines_parse_to_themselves() {
        let canonical = [
            "at main (main.py)",
            "at com.example.App.run(App.java)",
            "at com.example.App$$Lambda$<n>/<addr>.run(Unknown Source)",
            "at parse @ Base (parse.jl)",
            "at myapp::compute (main.rs)",
            "at <F as myapp::Run>::run",
            "created by main.main (main.go)",
            "at <anonymous> (index.js)",
            "at <anonymous>",
            "at a/b ()",
            "at f(x) ()",
        ];
        for line in canonical {
            assert_eq!(line_of(line, None).as_deref(), Some(line));
        }
    }

    #[test]
    fn messages_are_not_frames() {
        for line in ["ValueError: boom", "goroutine 1 [running]:", "[1] see the docs", "main.main()"] {
            assert_eq!(line_of(line, None), None, "line: {line}");
        }
    }

    #[test]
    fn lone_numbered_symbol_waits_for_the_language() {
        assert!(matches!(parse("2: core::panicking::panic_bounds_check", None), Parsed::MaybeRustFrame(_)));
    }

    #[test]
    fn runtime_frames_are_noise() {
        let noise = |line: &str, next: Option<&str>| match parse(line, next) {
            Parsed::Frame { frame, .. } | Parsed::MaybeRustFrame(frame) => frame.is_runtime_noise(),
            Parsed::NotAFrame => false,
        };
        assert!(noise("0: rust_begin_unwind", Some("at /rustc/abcdef123/library/std/src/panicking.rs:597:5")));
        assert!(noise("5: core::ops::function::FnOnce::call_once", None));
        assert!(noise("at Module._compile (node:internal/modules/cjs/loader:1256:14)", None));
        assert!(noise(r#"File "<frozen importlib._bootstrap>", line 1, in _call_with_frames_removed"#, None));
        assert!(noise("at jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)", None));
        assert!(noise("7: main", None));
        assert!(!noise("at main (index.js:1:1)", None));
        assert!(!noise("3: myapp::main", Some("at ./src/main.rs:9:5")));
    }
}
