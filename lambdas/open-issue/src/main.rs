//! Lambda entry point of the open-issue function: read the configuration, build the clients
//! once, then serve invocations with [`open_issue::handle`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use open_issue::{App, handle};
use serde_json::Value;
use tally_core::env;
use tally_github::{GitHubSettings, IssuesClient};
use tally_store::Table;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let lookup = |name: &str| std::env::var(name).ok();
    let table_name = lookup(env::TABLE_NAME).filter(|name| !name.trim().is_empty());
    let settings = GitHubSettings::from_lookup(lookup);
    let (table_name, settings) = match (table_name, settings) {
        (Some(table_name), Ok(settings)) => (table_name, settings),
        (table_name, settings) => {
            let mut problems = settings.err().unwrap_or_default();
            if table_name.is_none() {
                problems.insert(0, format!("{} is missing: set it to the fingerprint table's name", env::TABLE_NAME));
            }
            return Err(format!("invalid configuration: {}", problems.join("; ")).into());
        }
    };

    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let github = IssuesClient::connect(settings.resolve(&secrets).await?).await?;
    let app = App { table: Table::new(aws_sdk_dynamodb::Client::new(&aws), table_name), github };

    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(&app, event.payload))).await
}
