//! Deploys the synthesized template with `tally deploy` to moto's CloudFormation and checks the
//! table and state machine moto created, then the no-change, dry-run and destroy paths.
//!
//! Set `TALLY_TEST_MOTO_CLOUDFORMATION_URL` to a running moto server (for example
//! `http://127.0.0.1:5000`) that does not execute state machines, as `tally local` starts one;
//! without it the test prints why and skips. With execution switched on, moto 5.2.5 keeps the
//! state machines that CloudFormation creates out of reach of `DescribeStateMachine`. moto (5.1.22 and 5.2.5) creates no
//! AWS::ApiGatewayV2::* or AWS::CloudWatch::Alarm resources. It ignores TTL, point-in-time
//! recovery, logging and tracing settings, does not apply DefinitionSubstitutions, and returns no
//! outputs for stacks created through change sets, so the other tests check those on the
//! template.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use tally_infra::stack::definition::BUNDLED;
use tally_infra::stack::functions::FUNCTIONS;
use tally_infra::stack::names::ids;

/// Environment variable with the moto server URL.
const MOTO_URL_VARIABLE: &str = tally_infra::local::test_env::MOTO_CLOUDFORMATION_URL;

const REGION: &str = "us-east-1";
const TOKEN_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tally/github-AbCdEf";
const HMAC_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tally/hmac-AbCdEf";

/// The smallest valid zip archive: an end-of-central-directory record with no entries.
const EMPTY_ZIP: [u8; 22] =
    [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// Runs `tally` against moto with `args`, writing `stdin` to it.
fn tally(moto_url: &str, home: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tally"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ENDPOINT_URL", moto_url)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tally starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin is writable");
    child.wait_with_output().expect("tally ends")
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn sdk_config(moto_url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(moto_url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// Physical id of the resource `logical_id` in `stack`. ListStackResources, because moto's
/// DescribeStackResources fails on stacks with resource types it does not create.
async fn physical_id(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    logical_id: &str,
) -> String {
    let resources = client
        .list_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .expect("stack resources are listed");
    let resource = resources
        .stack_resource_summaries()
        .iter()
        .find(|resource| resource.logical_resource_id() == Some(logical_id))
        .unwrap_or_else(|| panic!("{stack} has no {logical_id}"));
    resource.physical_resource_id().expect("resource has a physical id").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_creates_table_and_state_machine_in_moto() {
    let Ok(moto_url) = std::env::var(MOTO_URL_VARIABLE) else {
        eprintln!(
            "skipped: set {MOTO_URL_VARIABLE} to a moto server URL to deploy the template to it"
        );
        return;
    };
    let home = tempfile::tempdir().expect("temporary directory");
    let artifacts = home.path().join("lambda");
    for function in FUNCTIONS {
        let dir = artifacts.join(function.name);
        std::fs::create_dir_all(&dir).expect("artifact directory");
        std::fs::write(dir.join("bootstrap.zip"), EMPTY_ZIP).expect("zip written");
    }
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
    let stack = format!("tally-moto-{}-{}", std::process::id(), nanos % 1_000_000_000);
    let artifacts_dir = artifacts.to_str().expect("UTF-8 path");
    let deploy = |extra: &[&str]| {
        let mut args = vec![
            "deploy",
            "--stack",
            &stack,
            "--issues-repo",
            "octo/errors",
            "--github-token-secret",
            TOKEN_ARN,
            "--hmac-secret",
            HMAC_ARN,
            "--skip-build",
            "--artifacts-dir",
            artifacts_dir,
            "--timeout-minutes",
            "2",
        ];
        args.extend_from_slice(extra);
        tally(&moto_url, home.path(), &args, "")
    };

    let config = sdk_config(&moto_url).await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let stack_exists = |name: String| {
        let client = cloudformation.clone();
        async move { client.describe_stacks().stack_name(name).send().await.is_ok() }
    };

    // A dry run of a new stack lists every resource and leaves no stack behind.
    let dry = deploy(&["--dry-run"]);
    assert!(dry.status.success(), "{}", describe(&dry));
    let listing = String::from_utf8_lossy(&dry.stdout);
    assert!(listing.contains("Add      AWS::DynamoDB::Table"), "{listing}");
    assert!(listing.contains("AWS::StepFunctions::StateMachine     StateMachine"), "{listing}");
    assert!(!stack_exists(stack.clone()).await, "the dry run left stack {stack} behind");

    let created = deploy(&[]);
    assert!(created.status.success(), "{}", describe(&created));
    assert!(
        String::from_utf8_lossy(&created.stderr).contains("CREATE_COMPLETE"),
        "{}",
        describe(&created)
    );

    // The table: partition key and on-demand billing.
    let table_name = physical_id(&cloudformation, &stack, ids::TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table =
        dynamodb.describe_table().table_name(&table_name).send().await.expect("table exists");
    let table = table.table().expect("table description");
    let keys: Vec<(&str, &str)> = table
        .key_schema()
        .iter()
        .map(|key| (key.attribute_name(), key.key_type().as_str()))
        .collect();
    assert_eq!(keys, vec![("fingerprint", "HASH")]);
    let attributes: Vec<(&str, &str)> = table
        .attribute_definitions()
        .iter()
        .map(|attribute| (attribute.attribute_name(), attribute.attribute_type().as_str()))
        .collect();
    assert_eq!(attributes, vec![("fingerprint", "S")]);
    let billing = table.billing_mode_summary().and_then(|summary| summary.billing_mode());
    assert_eq!(billing.map(|mode| mode.as_str()), Some("PAY_PER_REQUEST"));

    // The state machine: Standard, the bundled definition, the stack's role.
    let machine_arn = physical_id(&cloudformation, &stack, ids::STATE_MACHINE).await;
    let role_name = physical_id(&cloudformation, &stack, ids::STATE_MACHINE_ROLE).await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let machine = sfn
        .describe_state_machine()
        .state_machine_arn(&machine_arn)
        .send()
        .await
        .expect("machine exists");
    assert_eq!(machine.r#type().as_str(), "STANDARD");
    assert_eq!(machine.definition(), BUNDLED);
    assert!(machine.role_arn().ends_with(&format!(":role/{role_name}")), "{}", machine.role_arn());

    // Deploying the same code and options again changes nothing.
    let again = deploy(&[]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is up to date"),
        "{}",
        describe(&again)
    );

    // A dry run of a change prints it and leaves no change set behind.
    let resized = deploy(&["--ingest-memory", "512", "--dry-run"]);
    assert!(resized.status.success(), "{}", describe(&resized));
    let listing = String::from_utf8_lossy(&resized.stdout);
    assert!(
        listing.contains("Modify   AWS::Lambda::Function                IngestFunction"),
        "{listing}"
    );
    // moto lists executed change sets of every stack here, so only pending ones of this stack
    // count.
    let change_sets = cloudformation
        .list_change_sets()
        .stack_name(&stack)
        .send()
        .await
        .expect("change sets listed");
    let pending: Vec<_> = change_sets
        .summaries()
        .iter()
        .filter(|summary| summary.stack_name() == Some(stack.as_str()))
        .filter(|summary| {
            summary.execution_status().map(|status| status.as_str()) != Some("EXECUTE_COMPLETE")
        })
        .collect();
    assert!(pending.is_empty(), "the dry run left change sets behind: {pending:?}");

    // destroy requires the stack name as confirmation and keeps the stack on any other input.
    let refused = tally(&moto_url, home.path(), &["destroy", "--stack", &stack], "yes\n");
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    assert!(stack_exists(stack.clone()).await, "stack deleted without confirmation");

    let destroyed =
        tally(&moto_url, home.path(), &["destroy", "--stack", &stack], &format!("{stack}\n"));
    assert!(destroyed.status.success(), "{}", describe(&destroyed));
    assert!(!stack_exists(stack.clone()).await, "stack {stack} still exists");
    dynamodb.describe_table().table_name(&table_name).send().await.expect("the table is retained");
    let machines = sfn.list_state_machines().send().await.expect("machines listed");
    let remaining: Vec<&str> =
        machines.state_machines().iter().map(|machine| machine.state_machine_arn()).collect();
    assert!(!remaining.contains(&machine_arn.as_str()), "state machine survived: {remaining:?}");
}
