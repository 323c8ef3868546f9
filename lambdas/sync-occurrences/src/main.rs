//! Lambda entry point of the sync-occurrences function: read the configuration, build the
//! clients once, then serve invocations with [`sync_occurrences::handle`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sync_occurrences::plan::RegressionMode;
use sync_occurrences::schedule::Schedule;
use sync_occurrences::{App, handle};
use tally_core::env;
use tally_github::{GitHubSettings, IssuesClient};
use tally_store::Table;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let lookup = |name: &str| std::env::var(name).ok();
    let mut problems = Vec::new();
    let table_name = lookup(env::TABLE_NAME).filter(|name| !name.trim().is_empty());
    if table_name.is_none() {
        problems.push(format!("{} is missing: set it to the fingerprint table's name", env::TABLE_NAME));
    }
    let settings = GitHubSettings::from_lookup(lookup).map_err(|found| problems.extend(found)).ok();
    let schedule = Schedule::from_lookup(lookup).map_err(|found| problems.extend(found)).ok();
    let regression = match lookup(env::REGRESSION_MODE) {
        None => Some(RegressionMode::Reopen),
        Some(value) => RegressionMode::parse(&value).or_else(|| {
            problems.push(format!("{} is {value:?}; set it to reopen or new-issue", env::REGRESSION_MODE));
            None
        }),
    };
    let (Some(table_name), Some(settings), Some(schedule), Some(regression)) = (table_name, settings, schedule, regression)
    else {
        return Err(format!("invalid configuration: {}", problems.join("; ")).into());
    };

    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let github = IssuesClient::connect(settings.resolve(&secrets).await?).await?;
    let app = App { table: Table::new(aws_sdk_dynamodb::Client::new(&aws), table_name), github, schedule, regression };

    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(&app, event.payload))).await
}
