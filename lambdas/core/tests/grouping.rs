//! Grouping of the trace fixtures in `tests/fixtures/traces/<language>/`.
//!
//! Each fixture is named `<bug>.<variant>.txt`. Variants of one bug come from different machines,
//! users, runs and versions and must share a fingerprint; different bugs are near-misses that must
//! not. Every fixture must be detected as the language of its folder, and normalizing its
//! normalized text must change nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tally_core::fingerprint::{Fingerprint, analyze_trace};
use tally_core::normalize::{Language, normalize};
use tally_core::scrub::scrub;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/traces")
}

struct Fixture {
    name: String,
    bug: String,
    normalized: String,
    fingerprint: Fingerprint,
    language: Language,
}

fn load(language_folder: &str) -> Vec<Fixture> {
    let folder = fixtures_root().join(language_folder);
    let mut paths: Vec<PathBuf> = fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()))
        .map(|entry| entry.expect("readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "txt"))
        .collect();
    paths.sort();

    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().expect("file name").to_string_lossy().into_owned();
            let bug = name.split('.').next().expect("bug name").to_owned();
            let trace = fs::read_to_string(&path).expect("fixture is UTF-8");
            let analysis = analyze_trace(&scrub(&trace));
            Fixture {
                name,
                bug,
                normalized: analysis.normalized,
                fingerprint: analysis.fingerprint,
                language: analysis.language,
            }
        })
        .collect()
}

fn check_folder(folder: &str, expected: Language) {
    let fixtures = load(folder);
    assert!(fixtures.len() >= 4, "{folder} needs at least two bugs with variants");

    let mut by_bug: BTreeMap<&str, Vec<&Fixture>> = BTreeMap::new();
    for fixture in &fixtures {
        by_bug.entry(&fixture.bug).or_default().push(fixture);

        assert_eq!(fixture.language, expected, "{folder}/{} language", fixture.name);
        let again = normalize(&fixture.normalized);
        assert_eq!(again.text, fixture.normalized, "{folder}/{} not idempotent", fixture.name);
        assert_eq!(again.language, expected, "{folder}/{} language after normalizing", fixture.name);
    }
    assert!(by_bug.values().any(|variants| variants.len() >= 2), "{folder} has no bug with variants");

    for variants in by_bug.values() {
        let first = variants[0];
        for other in &variants[1..] {
            assert_eq!(
                other.fingerprint, first.fingerprint,
                "{folder}: {} and {} must group together\n--- {}\n{}\n--- {}\n{}",
                first.name, other.name, first.name, first.normalized, other.name, other.normalized
            );
        }
    }

    let bugs: Vec<&Fixture> = by_bug.values().map(|variants| variants[0]).collect();
    for (index, left) in bugs.iter().enumerate() {
        for right in &bugs[index + 1..] {
            assert_ne!(
                left.fingerprint, right.fingerprint,
                "{folder}: {} and {} are different bugs\n{}",
                left.name, right.name, left.normalized
            );
        }
    }
}

#[test]
fn python_fixtures_group() {
    check_folder("python", Language::Python);
}

#[test]
fn julia_fixtures_group() {
    check_folder("julia", Language::Julia);
}

#[test]
fn rust_fixtures_group() {
    check_folder("rust", Language::Rust);
}

#[test]
fn go_fixtures_group() {
    check_folder("go", Language::Go);
}

#[test]
fn javascript_fixtures_group() {
    check_folder("javascript", Language::JavaScript);
}

#[test]
fn java_fixtures_group() {
    check_folder("java", Language::Java);
}

#[test]
fn generic_fixtures_group() {
    check_folder("generic", Language::Generic);
}

#[test]
fn languages_never_share_a_fingerprint() {
    let mut seen: BTreeMap<Fingerprint, String> = BTreeMap::new();
    for folder in ["python", "julia", "rust", "go", "javascript", "java", "generic"] {
        for fixture in load(folder) {
            let owner = format!("{folder}/{}", fixture.bug);
            if let Some(previous) = seen.insert(fixture.fingerprint, owner.clone()) {
                assert_eq!(previous, owner, "fingerprint shared across bugs");
            }
        }
    }
}
