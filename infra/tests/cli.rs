//! Runs the `tally` binary for synth, deploy and destroy, and checks its messages for missing or
//! invalid options, region and credentials. No test here reaches the network: each one fails
//! before the first AWS call, and instance metadata lookups are disabled.

mod support;

use std::process::{Command, Output};

use support::tally;

const TOKEN_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tally/github-AbCdEf";
const HMAC_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tally/hmac-AbCdEf";

/// `tally` with an environment without any AWS settings.
fn tally_without_aws(home: &std::path::Path) -> Command {
    let mut command = tally();
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("missing-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("missing-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Arguments of a deploy that passes every local check.
fn deploy_args() -> Vec<&'static str> {
    vec![
        "deploy",
        "--stack",
        "tally-test",
        "--issues-repo",
        "octo/errors",
        "--github-token-secret",
        TOKEN_ARN,
        "--hmac-secret",
        HMAC_ARN,
        "--skip-build",
        "--artifacts-dir",
        "/nonexistent",
    ]
}

#[test]
fn synth_out_writes_same_template_as_stdout() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("template.json");

    let to_file = tally().args(["synth", "--out"]).arg(&path).output().expect("tally runs");
    let to_stdout = tally().arg("synth").output().expect("tally runs");

    assert!(to_file.status.success(), "{}", stderr(&to_file));
    assert!(to_file.stdout.is_empty());
    assert_eq!(std::fs::read(&path).expect("template written"), to_stdout.stdout);
}

#[test]
fn synth_options_change_template() {
    let output = tally()
        .args(["synth", "--github-auth", "app", "--auth-mode", "none", "--throttle-rate", "3"])
        .output()
        .expect("tally runs");
    assert!(output.status.success(), "{}", stderr(&output));

    let template: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("template is JSON");
    assert!(template["Parameters"].get("GitHubAppId").is_some());
    assert!(template["Parameters"].get("HmacSecretArn").is_none());
    assert_eq!(
        template["Resources"]["HttpApiStage"]["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"],
        3.0
    );
}

#[test]
fn synth_rejects_invalid_options() {
    let cases = [
        (vec!["--log-retention-days", "2"], "invalid log retention 2 days"),
        (vec!["--ingest-timeout", "60"], "invalid timeout 60 s for ingest"),
        (vec!["--alarm-topic", "not-an-arn"], "invalid alarm topic"),
        (
            vec!["--definition", "/nonexistent/workflow.json"],
            "failed to read the state machine definition",
        ),
    ];
    for (args, expected) in cases {
        let output = tally().arg("synth").args(&args).output().expect("tally runs");
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn synth_rejects_unknown_placeholder() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("workflow.json");
    std::fs::write(&path, r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Other}", "End": true}}}"#)
        .expect("definition written");

    let output = tally().args(["synth", "--definition"]).arg(&path).output().expect("tally runs");

    assert!(!output.status.success());
    assert!(stderr(&output).contains("placeholder ${Other}"), "{}", stderr(&output));
}

#[test]
fn deploy_requires_stack_repo_and_github_secret() {
    let cases = [
        (
            vec!["deploy", "--issues-repo", "o/r", "--github-token-secret", TOKEN_ARN],
            "--stack <NAME>",
        ),
        (
            vec!["deploy", "--stack", "s", "--github-token-secret", TOKEN_ARN],
            "--issues-repo <OWNER/REPO>",
        ),
        (vec!["deploy", "--stack", "s", "--issues-repo", "o/r"], "--github-token-secret <ARN>"),
        (
            vec!["deploy", "--stack", "s", "--issues-repo", "o/r", "--github-app-id", "12"],
            "--github-app-key-secret <ARN>",
        ),
    ];
    for (args, expected) in cases {
        let output = tally().args(&args).output().expect("tally runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn deploy_rejects_invalid_values_before_aws() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let replace = |flag: &str, value: &'static str| {
        let mut args = deploy_args();
        let index = args.iter().position(|arg| *arg == flag).expect("flag present");
        args[index + 1] = value;
        args
    };
    let mut without_hmac = deploy_args();
    without_hmac.retain(|arg| *arg != "--hmac-secret" && *arg != HMAC_ARN);
    let mut unused_hmac = deploy_args();
    unused_hmac.extend(["--auth-mode", "none"]);

    let cases = [
        (replace("--stack", "1-bad"), "invalid --stack \"1-bad\""),
        (replace("--issues-repo", "no-slash"), "invalid --issues-repo \"no-slash\""),
        (
            replace(
                "--github-token-secret",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:short",
            ),
            "invalid --github-token-secret",
        ),
        (without_hmac, "missing --hmac-secret ARN"),
        (unused_hmac, "--hmac-secret is unused with --auth-mode none"),
    ];
    for (args, expected) in cases {
        let output = tally_without_aws(dir.path()).args(&args).output().expect("tally runs");
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn deploy_without_region_says_how_to_set_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = tally_without_aws(dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(deploy_args())
        .output()
        .expect("tally runs");

    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no AWS region is set: set AWS_REGION"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn deploy_without_credentials_says_how_to_set_them() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = tally_without_aws(dir.path())
        .env("AWS_REGION", "us-east-1")
        .args(deploy_args())
        .output()
        .expect("tally runs");

    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("no AWS credentials found"), "{message}");
    assert!(message.contains("AWS_PROFILE"), "{message}");
}

#[test]
fn destroy_without_region_fails_before_asking() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = tally_without_aws(dir.path())
        .args(["destroy", "--stack", "tally-test"])
        .output()
        .expect("tally runs");

    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("no AWS region is set"), "{message}");
    assert!(!message.contains("Type the stack name"), "{message}");
}
