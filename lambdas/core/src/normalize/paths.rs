//! Canonical file names for frames: the part of a path that is the same on every machine.
//!
//! Under a known package root (site-packages, node_modules, `~/.julia/packages/<pkg>/<slug>/`,
//! the cargo registry, the Go module cache, a language's standard library) the path after the
//! root is kept, with the package name and without versions or slugs. Any other absolute path
//! (home folders, CI checkouts, temp dirs, Windows drives), and any path starting with `./` or
//! `../`, is cut to its file name. Other relative paths are kept as they are.

use std::sync::LazyLock;

use regex::Regex;

use super::mask::mask_identifier;

/// Package roots. The last root found in a path wins, so nested roots resolve to the innermost
/// package. Named groups capture the package name to keep.
static PACKAGE_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(concat!(
        r"(?:^|/)(?:site-packages|dist-packages|node_modules)/",
        r"|(?:^|/)lib/python\d+(?:\.\d+)?/",
        r"|(?:^|/)\.julia/packages/(?P<julia>[^/]+)/[^/]+/",
        r"|(?:^|/)\.julia/dev/",
        r"|(?:^|/)julia/stdlib/v[0-9.]+/",
        r"|(?:^|/)share/julia/(?P<julia_base>base)/",
        r"|(?:^|/)\.cargo/registry/src/[^/]+/(?P<crate>[^/]+?)-\d+\.\d+\.\d+[^/]*/",
        r"|(?:^|/)\.cargo/git/checkouts/(?P<git_crate>[^/]+?)-[0-9a-f]+/[0-9a-f]+/",
        r"|(?:^|/)rustc/[0-9a-f]{7,}/library/",
        r"|(?:^|/)pkg/mod/(?P<go_module>[^@]+)@[^/]+/",
        r"|(?:^|/)packages/(?P<julia_depot>[^/]+)/[A-Za-z0-9]{5}/",
    ))
    .expect("package root pattern is a valid regex")
});

/// A URL scheme and host in front of a path, as browsers and bundlers print them.
static URL_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*").expect("URL prefix pattern is a valid regex")
});

/// Returns the canonical form of a frame's file path (line and column already removed).
pub(crate) fn canonical_file(raw: &str) -> String {
    let mut path = raw.trim().replace('\\', "/");

    // Query strings and fragments of script URLs carry cache busters.
    if let Some(cut) = path.find(['?', '#']) {
        path.truncate(cut);
    }
    let mut absolute = false;
    if let Some(prefix) = URL_PREFIX.find(&path) {
        path.replace_range(..prefix.end(), "");
        absolute = true;
    }

    if let Some(root) = last_package_root(&path) {
        let package = ["julia", "julia_depot", "julia_base", "crate", "git_crate", "go_module"]
            .iter()
            .find_map(|name| root.name(name));
        let end = root.get(0).map_or(0, |m| m.end());
        let rest = &path[end..];
        let kept = match package {
            Some(package) => format!("{}/{rest}", package.as_str()),
            None => rest.to_owned(),
        };
        return mask_identifier(&kept);
    }

    // Paths that start with `./` or `../` are relative to wherever the program ran, so they
    // are cut like absolute paths. Other relative paths are kept: canonical package paths
    // (`requests/adapters.py`) look like them and must stay unchanged when normalized again.
    let anchored = absolute || is_absolute(&path) || path.starts_with("./") || path.starts_with("../");
    let kept = if anchored { path.rsplit('/').next().unwrap_or_default() } else { path.as_str() };
    mask_identifier(kept)
}

/// The last package root in `path`. Roots may share a `/`, as in `lib/python3.11/site-packages/`,
/// so each search starts on the previous root's final `/`.
fn last_package_root(path: &str) -> Option<regex::Captures<'_>> {
    let mut last = None;
    let mut position = 0;
    while let Some(root) = PACKAGE_ROOT.captures_at(path, position) {
        let end = root.get(0).map_or(path.len(), |m| m.end());
        position = end.saturating_sub(1).max(position + 1);
        // `packages/<name>/<slug>/` is a Julia depot only for Julia files; elsewhere
        // (JavaScript monorepos, for one) it is an ordinary folder.
        if root.name("julia_depot").is_none() || path.ends_with(".jl") {
            last = Some(root);
        }
        if position >= path.len() {
            break;
        }
    }
    last
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
