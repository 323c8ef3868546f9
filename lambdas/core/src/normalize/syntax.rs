//! Line syntax of each language's stack frames, matched by hand rather than with regexes.
//!
//! Frame lines are the bulk of every trace, and a regex capture search costs several times a
//! plain string scan, so each matcher here is a few string operations. The tests state every
//! syntax as a regex as well and check on generated lines that both agree.

/// `File "PATH"`, optionally `, line N` (or the mask `<n>`), optionally `, in FUNCTION`
/// (Python). Returns the path and the function.
pub(crate) fn python(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix("File \"")?;
    let close = rest.find('"')?;
    let (path, mut rest) = (&rest[..close], &rest[close + 1..]);

    if let Some(after) = rest.strip_prefix(", line ") {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let number = if digits > 0 { digits } else if after.starts_with("<n>") { 3 } else { 0 };
        if number > 0 {
            rest = &after[number..];
        }
    }

    if rest.is_empty() {
        return Some((path, None));
    }
    let function = rest.strip_prefix(", in ").filter(|function| !function.is_empty())?;
    Some((path, Some(function)))
}

/// `at METHOD(LOCATION)` with an optional class loader (`app//`) or module
/// (`java.base@17.0.2/`) prefix and an optional jar note (` ~[app.jar:1.0]`) (JVM).
/// Returns the method and the location.
pub(crate) fn jvm(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("at ")?;
    let rest = strip_jar_note(rest);
    let body = rest.strip_suffix(')')?;
    let open = body.rfind('(')?;
    let (head, location) = (&body[..open], &body[open + 1..]);
    if location.contains(')') {
        return None;
    }

    let head = match head.split_once("//") {
        Some((loader, method)) if is_module_name(loader) => method,
        _ => head,
    };
    // A module prefix is taken when what follows it is still a method. `Class/0x...` is a
    // hidden class rather than a module, and is kept whole, so that the canonical line (with
    // `<addr>` for the address) is read back the same way.
    if let Some((module, method)) = head.split_once('/')
        && is_module(module)
        && is_jvm_method(method)
        && !method.starts_with("0x")
        && !method.starts_with("<addr>")
    {
        return Some((method, location));
    }
    is_jvm_method(head).then_some((head, location))
}

/// Removes a trailing ` [jar:version]` or ` ~[jar:version]` note.
fn strip_jar_note(rest: &str) -> &str {
    let Some(body) = rest.strip_suffix(']') else { return rest };
    let Some(open) = body.rfind('[') else { return rest };
    if body[open + 1..].contains(']') {
        return rest;
    }
    let before = &body[..open];
    before.strip_suffix(" ~").or_else(|| before.strip_suffix(' ')).unwrap_or(rest)
}

fn is_module_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// `java.base` or `java.base@17.0.2`.
fn is_module(text: &str) -> bool {
    match text.split_once('@') {
        Some((name, version)) => {
            is_module_name(name) && version.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
        }
        None => is_module_name(text),
    }
}

fn is_method_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_$.<>-".contains(&b)
}

/// `com.acme.App.run`, or a hidden class `com.acme.App$$Lambda$14/0x0000000800c03000.run`.
fn is_jvm_method(text: &str) -> bool {
    let Some((class, rest)) = text.split_once('/') else {
        return !text.is_empty() && text.bytes().all(is_method_char);
    };
    let after_address = if let Some(hex) = rest.strip_prefix("0x") {
        let digits = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 0 {
            return false;
        }
        &hex[digits..]
    } else if let Some(after) = rest.strip_prefix("<addr>") {
        after
    } else {
        return false;
    };
    !class.is_empty() && class.bytes().all(is_method_char) && after_address.bytes().all(is_method_char)
}

/// `at FUNCTION (LOCATION)`, where the location has no parentheses (V8, and every canonical
/// frame). Returns the function and the location.
pub(crate) fn at_with_location(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_prefix("at ")?.strip_suffix(')')?;
    let open = body.rfind('(')?;
    let function = body[..open].strip_suffix(' ')?;
    let location = &body[open + 1..];
    (!function.is_empty() && !location.contains(')')).then_some((function, location))
}

/// `at TARGET`, where the target is one word or a Rust trait method `<T as Trait>::method`
/// (V8 frames without a function, and canonical frames without a file).
pub(crate) fn at_bare(line: &str) -> Option<&str> {
    let target = line.strip_prefix("at ")?;
    if !target.is_empty() && !target.contains(char::is_whitespace) {
        return Some(target);
    }

    // `<\S.*>::\S+`: the `>::` must come after the last whitespace and leave a word after it.
    let mut chars = target.chars();
    let opens_trait = chars.next() == Some('<') && chars.next().is_some_and(|c| !c.is_whitespace());
    let last_space = target.rfind(char::is_whitespace)?;
    let space_len = target[last_space..].chars().next().map_or(1, char::len_utf8);
    let tail = &target[last_space + space_len..];
    let has_method = tail.find(">::").is_some_and(|index| index + 3 < tail.len());
    (opens_trait && has_method).then_some(target)
}

/// `FUNCTION@LOCATION:LINE[:COLUMN]` with no whitespace and no `@` in the function (Firefox
/// and Safari). Returns the function (possibly empty) and the location with its numbers.
pub(crate) fn at_sign(line: &str) -> Option<(&str, &str)> {
    if line.contains(char::is_whitespace) {
        return None;
    }
    let (function, location) = line.split_once('@')?;
    let (head, number) = location.rsplit_once(':')?;
    let has_line = !head.is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    has_line.then_some((function, location))
}

/// `created by FUNCTION (LOCATION)`: Go's canonical created-by frame. Returns the function and
/// the location.
pub(crate) fn go_created_by(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("created by ")?;
    let (function, location) = rest.split_once(' ')?;
    let location = location.strip_prefix('(')?.strip_suffix(')')?;
    let valid = !function.is_empty()
        && !function.contains(char::is_whitespace)
        && !location.contains(['(', ')']);
    valid.then_some((function, location))
}

/// `/app/main.go:12`, optionally followed by ` +0x1d` and ` fp=.. sp=.. pc=..`: the location
/// line Go prints under each function. Returns the file.
pub(crate) fn go_location(line: &str) -> Option<&str> {
    let mut words = line.split(' ');
    let (file, number) = words.next()?.rsplit_once(':')?;
    let is_go_file = (file.len() > 3 && file.ends_with(".go")) || (file.len() > 2 && file.ends_with(".s"));
    if !is_go_file || file.contains(char::is_whitespace) || !is_digits(number) {
        return None;
    }

    let mut rest: Vec<&str> = words.collect();
    if let Some(offset) = rest.first().and_then(|word| word.strip_prefix("+0x")) {
        if offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        rest.remove(0);
    }
    match rest.as_slice() {
        [] => Some(file),
        [fp, sp, pc]
            if has_value(fp, "fp=") && has_value(sp, "sp=") && has_value(pc, "pc=") =>
        {
            Some(file)
        }
        _ => None,
    }
}

fn has_value(word: &str, key: &str) -> bool {
    word.strip_prefix(key).is_some_and(|value| !value.is_empty())
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `[N] FUNCTION`, optionally followed by ` at LOCATION:LINE` (Julia 1.5 and earlier), ` [inlined]`
/// and ` (repeats N times)` (Julia). Returns the function and the location without its line.
pub(crate) fn julia_head(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let (number, rest) = rest.split_once("] ")?;
    if !is_digits(number) {
        return None;
    }

    let mut rest = rest;
    if let Some(before) = rest.strip_suffix(" times)")
        && let Some((head, count)) = before.rsplit_once(" (repeats ")
        && is_digits(count)
        && !head.is_empty()
    {
        rest = head;
    }
    if let Some(head) = rest.strip_suffix(" [inlined]").filter(|head| !head.is_empty()) {
        rest = head;
    }
    if let Some((function, location)) = rest.rsplit_once(" at ")
        && let Some((path, number)) = location.rsplit_once(':')
        && !function.is_empty()
        && !path.is_empty()
        && !path.contains(char::is_whitespace)
        && is_digits(number)
    {
        return Some((function, Some(path)));
    }
    (!rest.is_empty()).then_some((rest, None))
}

/// `@ [MODULE ]LOCATION[:LINE][ [inlined]]`: the location line under a Julia 1.6+ frame.
/// Returns the module and the location without its line.
pub(crate) fn julia_location(line: &str) -> Option<(Option<&str>, &str)> {
    let rest = line.strip_prefix("@ ")?;
    let rest = rest.strip_suffix(" [inlined]").filter(|rest| !rest.is_empty()).unwrap_or(rest);
    let (module, location) = match rest.split_once(' ') {
        Some((module, location)) if is_julia_module(module) => (Some(module), location),
        Some(_) => return None,
        None => (None, rest),
    };
    if location.is_empty() || location.contains(char::is_whitespace) {
        return None;
    }
    let location = match location.rsplit_once(':') {
        Some((path, number)) if !path.is_empty() && is_digits(number) => path,
        _ => location,
    };
    Some((module, location))
}

fn is_julia_module(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.!".contains(&b))
}

/// `N: SYMBOL` or `N: 0xADDRESS - SYMBOL` (Rust backtraces; the symbol starts with a letter,
/// `_` or `<`). Returns whether an address was present, and the symbol.
pub(crate) fn rust_frame(line: &str) -> Option<(bool, &str)> {
    let (number, rest) = line.split_once(':')?;
    if !is_digits(number) {
        return None;
    }
    let trimmed = rest.trim_start_matches(' ');
    if trimmed.len() == rest.len() {
        return None;
    }

    let starts_like_symbol = |text: &str| text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '<');
    if let Some(after) = trimmed.strip_prefix("0x")
        && let Some((hex, symbol)) = after.split_once(" - ")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && starts_like_symbol(symbol)
    {
        return Some((true, symbol));
    }
    starts_like_symbol(trimmed).then_some((false, trimmed))
}

/// `at PATH.EXT[:LINE[:COLUMN]]`: the location line under a Rust backtrace frame. Returns the
/// path without its numbers.
pub(crate) fn rust_location(line: &str) -> Option<&str> {
    let target = line.strip_prefix("at ")?;
    if target.is_empty() || target.contains(char::is_whitespace) {
        return None;
    }
    let mut path = target;
    for _ in 0..2 {
        match path.rsplit_once(':') {
            Some((head, number)) if is_digits(number) => path = head,
            _ => break,
        }
    }
    has_extension(path).then_some(path)
}

/// Whether `path` ends with `.` and ASCII letters, with something before the dot.
fn has_extension(path: &str) -> bool {
    path.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty() && !extension.is_empty() && extension.bytes().all(|b| b.is_ascii_alphabetic())
    })
}

/// Removes the hash suffix of a Rust symbol: `::h0123456789abcdef`.
pub(crate) fn strip_rust_hash(symbol: &str) -> &str {
    match symbol.len().checked_sub(19).and_then(|start| symbol.get(start..).map(|tail| (start, tail))) {
        Some((start, tail))
            if tail.starts_with("::h") && tail[3..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            &symbol[..start]
        }
        _ => symbol,
    }
}

#[cfg(test)]
mod tests {
    //! Each matcher against the regex that states its syntax, on generated lines.

    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    fn regex(pattern: &str) -> Regex {
        Regex::new(pattern).expect("test patterns are valid regexes")
    }

    /// Pieces that frame lines are made of, so generated lines often come close to matching.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("at ".to_owned()), Just("File \"".to_owned()), Just("\"".to_owned()), Just(", line ".to_owned()),
            Just(", in ".to_owned()), Just("(".to_owned()), Just(")".to_owned()), Just(" ".to_owned()),
            Just(":".to_owned()), Just("/".to_owned()), Just("//".to_owned()), Just("@".to_owned()),
            Just("0x1f".to_owned()), Just("<addr>".to_owned()), Just("<n>".to_owned()), Just(" ~[a.jar:1]".to_owned()),
            Just(" [inlined]".to_owned()), Just(" (repeats 3 times)".to_owned()), Just("[2] ".to_owned()),
            Just("@ ".to_owned()), Just(" - ".to_owned()), Just(">::".to_owned()), Just("<".to_owned()),
            Just("created by ".to_owned()), Just(".go".to_owned()), Just(".s".to_owned()), Just(".rs".to_owned()),
            Just(" +0x1d".to_owned()), Just(" fp=1 sp=2 pc=3".to_owned()), Just("::h0123456789abcdef".to_owned()),
            Just("java.base@17/".to_owned()), Just("$$Lambda$1".to_owned()), Just("\t".to_owned()),
            "[a-zA-Z_.$!]{1,6}", "[0-9]{1,3}", "[ -~]{1,4}",
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 1..10).prop_map(|pieces| pieces.concat())
    }

    fn group<'t>(captures: &regex::Captures<'t>, name: &str) -> Option<&'t str> {
        captures.name(name).map(|m| m.as_str())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn python_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r#"^File "(?P<file>[^"]*)"(?:, line (?:\d+|<n>))?(?:, in (?P<function>.+))?$"#));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "file").unwrap_or_default(), group(&c, "function")));
            prop_assert_eq!(python(&line), expected);
        }

        #[test]
        fn jvm_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(concat!(
                r"^at (?:[A-Za-z0-9_.-]+//)?(?:[A-Za-z0-9_.-]+(?:@[A-Za-z0-9_.+-]*)?/)?",
                r"(?P<method>[A-Za-z0-9_$.<>-]+(?:/(?:0x[0-9A-Fa-f]+|<addr>))?[A-Za-z0-9_$.<>-]*)",
                r"\((?P<location>[^()]*)\)(?: ~?\[[^\]]*\])?$",
            )));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "method").unwrap_or_default(), group(&c, "location").unwrap_or_default()));
            prop_assert_eq!(jvm(&line).is_some(), expected.is_some(), "line {:?}", line);
            if let (Some((method, location)), Some((spec_method, spec_location))) = (jvm(&line), expected) {
                prop_assert_eq!(location, spec_location);
                // The regex may split a loader or module prefix differently; both keep a suffix.
                prop_assert!(spec_method.ends_with(method) || method.ends_with(spec_method), "{} vs {}", method, spec_method);
            }
        }

        #[test]
        fn at_with_location_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^at (?P<function>.+) \((?P<location>[^()]*)\)$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "function").unwrap_or_default(), group(&c, "location").unwrap_or_default()));
            prop_assert_eq!(at_with_location(&line), expected);
        }

        #[test]
        fn at_bare_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^at (?P<target>\S+|<\S.*>::\S+)$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).and_then(|c| group(&c, "target"));
            prop_assert_eq!(at_bare(&line), expected);
        }

        #[test]
        fn at_sign_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^(?P<function>[^@\s]*)@(?P<location>\S+:\d+(?::\d+)?)$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "function").unwrap_or_default(), group(&c, "location").unwrap_or_default()));
            prop_assert_eq!(at_sign(&line), expected);
        }

        #[test]
        fn go_created_by_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^created by (?P<function>\S+) \((?P<location>[^()]*)\)$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "function").unwrap_or_default(), group(&c, "location").unwrap_or_default()));
            prop_assert_eq!(go_created_by(&line), expected);
        }

        #[test]
        fn go_location_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^(?P<file>\S+\.(?:go|s)):\d+(?: \+0x[0-9A-Fa-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).and_then(|c| group(&c, "file"));
            prop_assert_eq!(go_location(&line), expected);
        }

        #[test]
        fn julia_head_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^\[\d+\] (?P<function>.+?)(?: at (?P<location>\S+?):\d+)?(?: \[inlined\])?(?: \(repeats \d+ times\))?$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "function").unwrap_or_default(), group(&c, "location")));
            prop_assert_eq!(julia_head(&line).is_some(), expected.is_some(), "line {:?}", line);
        }

        #[test]
        fn julia_location_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^@ (?:(?P<module>[A-Za-z_][A-Za-z0-9_.!]*) )?(?P<location>\S+?)(?::\d+)?(?: \[inlined\])?$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (group(&c, "module"), group(&c, "location").unwrap_or_default()));
            prop_assert_eq!(julia_location(&line), expected);
        }

        #[test]
        fn rust_frame_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^\d+: +(?:(?P<address>0x[0-9A-Fa-f]+) - )?(?P<symbol>[A-Za-z_<].*)$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).map(|c| (c.name("address").is_some(), group(&c, "symbol").unwrap_or_default()));
            prop_assert_eq!(rust_frame(&line), expected);
        }

        #[test]
        fn rust_location_agrees(line in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"^at (?P<location>\S+\.[A-Za-z]+)(?::\d+(?::\d+)?)?$"));
            let spec = &*SPEC;
            let expected = spec.captures(&line).and_then(|c| group(&c, "location"));
            prop_assert_eq!(rust_location(&line), expected);
        }

        #[test]
        fn strip_rust_hash_agrees(symbol in line()) {
            static SPEC: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| regex(r"::h[0-9a-f]{16}$"));
            let spec = &*SPEC;
            let expected = spec.replace(&symbol, "").into_owned();
            prop_assert_eq!(strip_rust_hash(&symbol), expected.as_str());
        }
    }

    #[test]
    fn examples() {
        assert_eq!(python(r#"File "/a.py", line 3, in f"#), Some(("/a.py", Some("f"))));
        assert_eq!(jvm("at java.base/java.lang.Thread.run(Thread.java:833)"), Some(("java.lang.Thread.run", "Thread.java:833")));
        assert_eq!(jvm("at app//a.B.c(B.java:1) ~[app.jar:1.0]"), Some(("a.B.c", "B.java:1")));
        assert_eq!(at_with_location("at f (x.js:1:2)"), Some(("f", "x.js:1:2")));
        assert_eq!(at_bare("at <T as Trait>::method"), Some("<T as Trait>::method"));
        assert_eq!(at_sign("f@https://x/app.js:1:2"), Some(("f", "https://x/app.js:1:2")));
        assert_eq!(go_location("/app/main.go:12 +0x1d"), Some("/app/main.go"));
        assert_eq!(julia_head("[1] foo(x::Int64) at ./REPL[2]:1"), Some(("foo(x::Int64)", Some("./REPL[2]"))));
        assert_eq!(julia_location("@ Base ./parse.jl:240 [inlined]"), Some((Some("Base"), "./parse.jl")));
        assert_eq!(rust_frame("12: 0x55d5 - myapp::main"), Some((true, "myapp::main")));
        assert_eq!(rust_location("at ./src/main.rs:4:5"), Some("./src/main.rs"));
        assert_eq!(strip_rust_hash("a::b::h0123456789abcdef"), "a::b");
    }
}
