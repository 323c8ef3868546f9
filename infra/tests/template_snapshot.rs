//! Compares `tally synth` output with the committed template in `snapshots/template.json`.
//!
//! After an intended change to the stack or to statemachine/tally.asl.json, regenerate it with
//! `TALLY_UPDATE_SNAPSHOTS=1 cargo test -p tally-infra --test template_snapshot` and review the
//! diff before committing.

mod support;

use std::path::Path;

/// Set to `1` to rewrite the snapshot instead of comparing with it.
const UPDATE_VARIABLE: &str = "TALLY_UPDATE_SNAPSHOTS";

#[test]
fn synth_matches_snapshot() {
    let output = support::tally().arg("synth").output().expect("tally runs");
    assert!(
        output.status.success(),
        "tally synth failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = String::from_utf8(output.stdout).expect("template is UTF-8");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/template.json");
    if std::env::var(UPDATE_VARIABLE).is_ok_and(|value| value == "1") {
        std::fs::write(&path, &actual).expect("snapshot is writable");
        return;
    }

    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("cannot read {}: {error}; create it with {UPDATE_VARIABLE}=1", path.display())
    });
    if actual != expected {
        let line = actual.lines().zip(expected.lines()).position(|(a, e)| a != e);
        panic!(
            "tally synth differs from {} (first differing line: {}); if the change is intended, \
             rerun with {UPDATE_VARIABLE}=1 and review the diff",
            path.display(),
            line.map_or_else(|| "a length change".to_owned(), |index| (index + 1).to_string())
        );
    }
}

#[test]
fn synth_is_deterministic() {
    let first = support::tally().arg("synth").output().expect("tally runs");
    let second = support::tally().arg("synth").output().expect("tally runs");
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
}
