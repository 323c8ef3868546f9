//! Clients for the local engines that `scripts/test` starts, and helpers that give each test its
//! own table and state machine.
//!
//! The endpoints come from `TALLY_TEST_DYNAMODB_URL` (dynalite) and `TALLY_TEST_MOTO_URL` (moto
//! server). Outside `scripts/test` they are unset and the tests fail with a message saying so.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};

/// Environment variables with dynalite's and moto server's endpoints, as `tally local` sets them.
pub use tally_infra::local::test_env::{DYNAMODB_URL, MOTO_URL};

/// Role ARN that moto accepts for state machines; it checks only the format.
pub const TEST_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/tally-test";

/// SDK clients pointed at the local engines.
#[derive(Debug, Clone)]
pub struct Engines {
    /// DynamoDB client on dynalite.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Step Functions client on moto server.
    pub sfn: aws_sdk_sfn::Client,
}

/// Reads a required endpoint variable, or panics with what to do.
pub fn endpoint(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests with `scripts/test`, which starts the local engines")
    })
}

/// Returns a name no other test in this process uses: `prefix`, the process id and a counter.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// SDK configuration for a local endpoint with dummy credentials.
pub async fn sdk_config(endpoint_url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tally-tests"))
        .load()
        .await
}

impl Engines {
    /// Clients on the endpoints of the environment.
    pub async fn from_env() -> Self {
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoint(DYNAMODB_URL)).await);
        let sfn = aws_sdk_sfn::Client::new(&sdk_config(&endpoint(MOTO_URL)).await);
        Self { dynamodb, sfn }
    }

    /// Creates a fresh fingerprint table and waits until it is active.
    pub async fn create_table(&self) -> String {
        let name = unique_name("tally-test");
        create_table(&self.dynamodb, &name).await;
        name
    }

    /// Creates a state machine whose executions succeed at once, for tests that only count
    /// executions.
    pub async fn create_pass_state_machine(&self) -> String {
        let definition = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;
        self.create_state_machine(definition).await
    }

    /// Creates a Standard state machine from `definition` and returns its ARN.
    pub async fn create_state_machine(&self, definition: &str) -> String {
        self.sfn
            .create_state_machine()
            .name(unique_name("tally-test"))
            .definition(definition)
            .role_arn(TEST_ROLE_ARN)
            .send()
            .await
            .expect("CreateStateMachine succeeds on moto")
            .state_machine_arn
    }

    /// Names of every execution of `state_machine_arn`, in the order Step Functions lists them.
    pub async fn execution_names(&self, state_machine_arn: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .sfn
                .list_executions()
                .state_machine_arn(state_machine_arn)
                .set_next_token(next_token)
                .send()
                .await
                .expect("ListExecutions succeeds on moto");
            names.extend(page.executions.into_iter().map(|execution| execution.name));
            next_token = page.next_token;
            if next_token.is_none() {
                return names;
            }
        }
    }
}

/// Creates the fingerprint table `name` (key `fingerprint`, on demand) and waits until it is
/// active, because dynalite returns while the table is still being created.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    let key = tally_store::attr::FINGERPRINT;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("complete attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .expect("complete key schema"),
        )
        .send()
        .await
        .expect("CreateTable succeeds on dynalite");

    for _ in 0..200 {
        let described = client.describe_table().table_name(name).send().await.expect("DescribeTable succeeds");
        if described.table.and_then(|table| table.table_status) == Some(TableStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("table {name} did not become active within 5 seconds");
}
