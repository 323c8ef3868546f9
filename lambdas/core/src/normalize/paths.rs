//! Canonical file names for frames: the part of a path that is the same on every machine.
//!
//! Under a known package root (site-packages, node_modules, `~/.julia/packages/<pkg>/<slug>/`,
//! the cargo registry, the Go module cache, a language's standard library) the path after the
//! root is kept, with the package name and without versions or slugs. Any other absolute path
//! (home folders, CI checkouts, temp dirs, Windows drives), and any path starting with `./` or
//! `../`, is cut to its file name. Other relative paths are kept as they are.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::mask::mask_identifier;

/// A URL scheme and host in front of a path, as browsers and bundlers print them.
static URL_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*").expect("URL prefix pattern is a valid regex")
});

/// Returns the canonical form of a frame's file path (line and column already removed).
pub(crate) fn canonical_file(raw: &str) -> String {
    let (mut file, under_root) = canonical_file_once(raw);

    // The path after a package root can itself look anchored (`node_modules/../x.js`), and the
    // result must not change when it is read back, so the rules run again until nothing
    // changes. Each round only shortens the path. Other results are already unchanged by a
    // second round.
    if under_root {
        for _ in 0..4 {
            let (again, _) = canonical_file_once(&file);
            if again == file {
                break;
            }
            file = again;
        }
    }
    file
}

/// One round of the rules; also returns whether a package root was found.
fn canonical_file_once(raw: &str) -> (String, bool) {
    let raw = raw.trim();
    let mut path: Cow<'_, str> = if raw.contains('\\') { Cow::Owned(raw.replace('\\', "/")) } else { Cow::Borrowed(raw) };

    // Query strings and fragments of script URLs carry cache busters.
    if let Some(cut) = memchr::memchr2(b'?', b'#', path.as_bytes()) {
        let kept = path[..cut].trim_end().len();
        path = Cow::Owned(path[..kept].to_owned());
    }
    let mut absolute = false;
    if has_scheme_separator(&path)
        && let Some(prefix) = URL_PREFIX.find(&path)
    {
        path = Cow::Owned(path[prefix.end()..].to_owned());
        absolute = true;
    }

    if let Some((rest_start, package)) = last_package_root(&path) {
        let rest = &path[rest_start..];
        let kept = match package {
            Some(package) => format!("{package}/{rest}"),
            None => rest.to_owned(),
        };
        return (mask_identifier(&kept), true);
    }

    // Paths that start with `./` or `../` are relative to wherever the program ran, so they
    // are cut like absolute paths. Other relative paths are kept: canonical package paths
    // (`requests/adapters.py`) look like them and must stay unchanged when normalized again.
    let anchored = absolute || is_absolute(&path) || path.starts_with("./") || path.starts_with("../");
    let kept = if anchored { path.rsplit('/').next().unwrap_or_default() } else { &path };
    (mask_identifier(kept), false)
}

/// Returns whether `path` contains `://`, the separator after a URL scheme.
fn has_scheme_separator(path: &str) -> bool {
    let bytes = path.as_bytes();
    memchr::memchr_iter(b':', bytes).any(|colon| bytes[colon + 1..].starts_with(b"//"))
}

/// Returns whether a folder name can start a package root (see [`root_at`]).
fn can_start_root(segment: &str) -> bool {
    matches!(
        segment,
        "site-packages"
            | "dist-packages"
            | "node_modules"
            | "lib"
            | ".julia"
            | "julia"
            | "share"
            | ".cargo"
            | "rustc"
            | "pkg"
            | "packages"
    )
}

/// Finds the package root that starts last in `path` and returns where the path after it starts
/// and the package name to keep, if the root names one. Roots, in order of preference when two
/// start at the same folder:
///
/// - `site-packages/`, `dist-packages/`, `node_modules/`;
/// - `lib/python3.11/` (Python's standard library);
/// - `.julia/packages/<Pkg>/<slug>/` (keeps `Pkg`) and `.julia/dev/`;
/// - `julia/stdlib/v1.10/` and `share/julia/base/` (keeps `base`);
/// - `.cargo/registry/src/<index>/<crate>-<version>/` and
///   `.cargo/git/checkouts/<crate>-<hash>/<rev>/` (keep the crate);
/// - `rustc/<commit>/library/` (Rust's standard library);
/// - `pkg/mod/<module>@<version>/` (the Go module cache; keeps the module);
/// - `packages/<Pkg>/<slug>/` for `.jl` files (a Julia depot other than `~/.julia`; keeps `Pkg`).
fn last_package_root(path: &str) -> Option<(usize, Option<String>)> {
    // One scan over the bytes finds where each segment starts.
    let mut segments: Vec<(usize, &str)> = Vec::with_capacity(16);
    let mut start = 0;
    for (index, byte) in path.bytes().enumerate() {
        if byte == b'/' {
            segments.push((start, &path[start..index]));
            start = index + 1;
        }
    }
    segments.push((start, &path[start..]));

    // Every root starts at a folder with one of a few names, and a file follows it.
    if !segments[..segments.len() - 1].iter().any(|(_, segment)| can_start_root(segment)) {
        return None;
    }

    // A root ends with `/`, so at least one segment follows it.
    for first in (0..segments.len().saturating_sub(1)).rev() {
        if let Some((last, package)) = root_at(path, &segments, first)
            && last + 1 < segments.len()
        {
            return Some((segments[last + 1].0, package));
        }
    }
    None
}

/// The package root that starts at segment `first`, as its last segment and package name.
fn root_at(path: &str, segments: &[(usize, &str)], first: usize) -> Option<(usize, Option<String>)> {
    let segment = |offset: usize| segments.get(first + offset).map(|(_, text)| *text);
    let named = |last: usize, name: &str| Some((first + last, Some(name.to_owned())));

    match segment(0)? {
        "site-packages" | "dist-packages" | "node_modules" => Some((first, None)),
        "lib" if segment(1).is_some_and(is_python_folder) => Some((first + 1, None)),
        ".julia" => match (segment(1)?, segment(2), segment(3)) {
            ("packages", Some(package), Some(slug)) if !package.is_empty() && !slug.is_empty() => {
                named(3, package)
            }
            ("dev", _, _) => Some((first + 1, None)),
            _ => None,
        },
        "julia" if segment(1)? == "stdlib" && segment(2).is_some_and(is_julia_version) => {
            Some((first + 2, None))
        }
        "share" if segment(1)? == "julia" && segment(2)? == "base" => named(2, "base"),
        ".cargo" => match (segment(1)?, segment(2)?, segment(3)?, segment(4)?) {
            ("registry", "src", index, folder) if !index.is_empty() => named(4, crate_of_registry_folder(folder)?),
            ("git", "checkouts", folder, revision) if is_lower_hex(revision) => {
                named(4, crate_of_checkout_folder(folder)?)
            }
            _ => None,
        },
        "rustc" if segment(1).is_some_and(|commit| commit.len() >= 7 && is_lower_hex(commit))
            && segment(2)? == "library" =>
        {
            Some((first + 2, None))
        }
        "pkg" if segment(1)? == "mod" => go_module_root(path, segments, first + 2),
        "packages" if path.ends_with(".jl") => match (segment(1)?, segment(2)?) {
            (package, slug) if !package.is_empty() && slug.len() == 5 && slug.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                named(2, package)
            }
            _ => None,
        },
        _ => None,
    }
}

/// `python3` or `python3.11`.
fn is_python_folder(name: &str) -> bool {
    let Some(version) = name.strip_prefix("python") else { return false };
    let (major, minor) = version.split_once('.').unwrap_or((version, "1"));
    is_digits(major) && is_digits(minor)
}

/// `v1.10`.
fn is_julia_version(name: &str) -> bool {
    name.strip_prefix('v')
        .is_some_and(|version| !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// `serde_json-1.0.108` gives `serde_json`: the name before the first `-X.Y.Z`.
fn crate_of_registry_folder(folder: &str) -> Option<&str> {
    folder.match_indices('-').map(|(index, _)| index).find_map(|index| {
        let name = &folder[..index];
        let mut parts = folder[index + 1..].splitn(3, '.');
        let (major, minor, patch) = (parts.next()?, parts.next()?, parts.next()?);
        let patch_digits = patch.bytes().take_while(u8::is_ascii_digit).count();
        let is_version = is_digits(major) && is_digits(minor) && patch_digits > 0;
        (!name.is_empty() && is_version).then_some(name)
    })
}

/// `tokio-4a5b6c7d8e9f0a1b` gives `tokio`: the name before the first `-` followed only by hex.
fn crate_of_checkout_folder(folder: &str) -> Option<&str> {
    folder.match_indices('-').map(|(index, _)| index).find_map(|index| {
        let name = &folder[..index];
        (!name.is_empty() && is_lower_hex(&folder[index + 1..])).then_some(name)
    })
}

/// The Go module cache root `pkg/mod/<module>@<version>/`, whose module path spans segments
/// from `module_start` to the first segment with `@`.
fn go_module_root(path: &str, segments: &[(usize, &str)], module_start: usize) -> Option<(usize, Option<String>)> {
    let (start, _) = *segments.get(module_start)?;
    for (index, (offset, segment)) in segments.iter().enumerate().skip(module_start) {
        if let Some(at) = segment.find('@') {
            let module = &path[start..offset + at];
            let version = &segment[at + 1..];
            return (!module.is_empty() && !version.is_empty()).then(|| (index, Some(module.to_owned())));
        }
    }
    None
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_lower_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/";
    path.starts_with('/') || path.starts_with('~') || drive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_roots_keep_the_package_path() {
        let cases = [
            ("/usr/lib/python3.11/site-packages/requests/adapters.py", "requests/adapters.py"),
            ("C:\\Python311\\Lib\\site-packages\\requests\\adapters.py", "requests/adapters.py"),
            ("/home/u/.venv/lib/python3.12/site-packages/requests/adapters.py", "requests/adapters.py"),
            ("/usr/lib/python3.11/json/decoder.py", "json/decoder.py"),
            ("/home/u/.julia/packages/HTTP/aTjcj/src/Streams.jl", "HTTP/src/Streams.jl"),
            ("C:\\Users\\u\\.julia\\packages\\HTTP\\zXy12\\src\\Streams.jl", "HTTP/src/Streams.jl"),
            ("/opt/julia-1.10.2/share/julia/stdlib/v1.10/Pkg/src/API.jl", "Pkg/src/API.jl"),
            ("/opt/julia/share/julia/base/array.jl", "base/array.jl"),
            (
                "/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_json-1.0.108/src/de.rs",
                "serde_json/src/de.rs",
            ),
            ("/rustc/90c541806f23a127002de5b4038be731ba1458ca/library/std/src/panicking.rs", "std/src/panicking.rs"),
            ("/app/node_modules/express/lib/router/index.js", "express/lib/router/index.js"),
            ("/app/node_modules/a/node_modules/@scope/b/index.js", "@scope/b/index.js"),
            ("/home/u/go/pkg/mod/github.com/x/y@v1.2.3/z.go", "github.com/x/y/z.go"),
            ("/tmp/jl_8fK2aQ/packages/Bumper/Xk2Pq/src/project.jl", "Bumper/src/project.jl"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_file(input), expected, "input: {input}");
        }
    }

    #[test]
    fn other_absolute_paths_keep_the_file_name() {
        let cases = [
            ("/home/alice/code/proj/src/app/main.py", "main.py"),
            ("/Users/bob/proj/main.py", "main.py"),
            ("C:\\Users\\carol\\proj\\main.py", "main.py"),
            ("/tmp/tmpab3x9q/script.py", "script.py"),
            ("~/work/script.jl", "script.jl"),
            ("https://example.com/static/js/main.3f2a1b9c.js?v=12", "main.<hex>.js"),
            ("file:///home/u/app/index.mjs", "index.mjs"),
            ("/usr/local/go/src/runtime/panic.go", "panic.go"),
            ("/go/src/app/internal/batch/batcher.go", "batcher.go"),
            ("/repo/packages/web/build1/index.js", "index.js"),
            ("./src/main.rs", "main.rs"),
            ("../lib/util.py", "util.py"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_file(input), expected, "input: {input}");
        }
    }

    #[test]
    fn relative_paths_are_kept() {
        assert_eq!(canonical_file("src/main.rs"), "src/main.rs");
        assert_eq!(canonical_file("<frozen importlib._bootstrap>"), "<frozen importlib._bootstrap>");
        assert_eq!(canonical_file("REPL[3]"), "REPL[<n>]");
    }

    #[test]
    fn canonical_files_are_fixed_points() {
        for input in ["requests/adapters.py", "HTTP/src/Streams.jl", "main.<hex>.js", "std/src/panicking.rs"] {
            assert_eq!(canonical_file(input), input);
        }
    }
}
