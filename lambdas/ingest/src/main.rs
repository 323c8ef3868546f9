//! Lambda entry point of the ingest function: read the configuration, build the clients once,
//! then serve requests with [`ingest::handle`].

use std::sync::Arc;

use ingest::auth::Auth;
use ingest::config::{AuthSource, Config};
use ingest::workflow::StepFunctions;
use ingest::{App, handle};
use lambda_http::{Error, Request, service_fn};
use tally_store::Table;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();

    let config = Config::load(|name| std::env::var(name).ok())?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;

    let auth = match &config.auth {
        AuthSource::None => Auth::None,
        AuthSource::HmacSecret(secret) => Auth::Hmac(secret.as_bytes().to_vec()),
        AuthSource::HmacSecretArn(arn) => {
            let secrets = aws_sdk_secretsmanager::Client::new(&aws);
            let secret = secrets
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await
                .map_err(|error| format!("could not read the HMAC secret {arn}: {error}"))?;
            let value = secret
                .secret_string()
                .ok_or_else(|| format!("the HMAC secret {arn} has no string value"))?;
            Auth::Hmac(value.trim().as_bytes().to_vec())
        }
    };
    let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &config.table_name);
    let workflow = StepFunctions::new(aws_sdk_sfn::Client::new(&aws), &config.state_machine_arn);
    let app = Arc::new(App::new(table, workflow, auth, config.claim_lease));

    lambda_http::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(handle(&app, request).await) }
    }))
    .await
}
