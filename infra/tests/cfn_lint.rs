//! Runs cfn-lint on the template for every authentication variant.
//!
//! Set `TALLY_TEST_CFN_LINT` to the cfn-lint executable (PyPI package `cfn-lint`); without it
//! the test prints why and skips.

mod support;

use std::process::Command;

/// Environment variable with the path of the cfn-lint executable.
const CFN_LINT_VARIABLE: &str = "TALLY_TEST_CFN_LINT";

#[test]
fn cfn_lint_accepts_every_variant() {
    let Ok(cfn_lint) = std::env::var(CFN_LINT_VARIABLE) else {
        eprintln!(
            "skipped: set {CFN_LINT_VARIABLE} to the cfn-lint executable to lint the template"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");

    let mut paths = Vec::new();
    for (index, options) in support::option_variants().iter().enumerate() {
        let path = dir.path().join(format!("template-{index}.json"));
        let json = serde_json::to_string_pretty(&support::template_json(options))
            .expect("template serializes");
        std::fs::write(&path, json).expect("template written");
        paths.push(path);
    }

    let output = Command::new(&cfn_lint).args(&paths).output().expect("cfn-lint runs");
    assert!(
        output.status.success(),
        "cfn-lint found problems (exit {:?}):\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
