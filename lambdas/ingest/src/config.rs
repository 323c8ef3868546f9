//! The ingest function's configuration, read once from the environment at cold start.

use std::time::Duration;

use tally_core::env::{self, EnvError, EnvReader};

/// Default lease on an unstarted claim before a later report may take it over.
pub const DEFAULT_CLAIM_LEASE: Duration = Duration::from_secs(60);

/// Where the shared HMAC secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    /// Reports are not authenticated (public endpoints such as TagBot's).
    None,
    /// The secret is read from Secrets Manager at cold start.
    HmacSecretArn(String),
    /// The secret is given directly, for local runs.
    HmacSecret(String),
}

/// Everything the ingest function needs from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// DynamoDB table of fingerprint items.
    pub table_name: String,
    /// State machine that opens and syncs issues.
    pub state_machine_arn: String,
    /// How reports are authenticated.
    pub auth: AuthSource,
    /// Age after which an unstarted claim may be taken over.
    pub claim_lease: Duration,
}

impl Config {
    /// Reads the configuration through `lookup` and reports every missing or invalid variable.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, EnvError> {
        let mut reader = EnvReader::new(lookup);

        let table_name = reader.required(env::TABLE_NAME);
        let state_machine_arn = reader.required(env::STATE_MACHINE_ARN);
        let claim_lease = reader.parsed(env::CLAIM_LEASE_SECONDS, DEFAULT_CLAIM_LEASE, |value| {
            env::parse_seconds(value).map(Duration::from_secs)
        });
        let auth = match reader.required(env::AUTH_MODE).as_str() {
            "none" => AuthSource::None,
            "hmac" => match (reader.optional(env::HMAC_SECRET_ARN), reader.optional(env::HMAC_SECRET)) {
                (Some(arn), None) => AuthSource::HmacSecretArn(arn),
                (None, Some(secret)) => AuthSource::HmacSecret(secret),
                (Some(_), Some(_)) => {
                    reader.reject(format!("set only one of {} and {}", env::HMAC_SECRET_ARN, env::HMAC_SECRET));
                    AuthSource::None
                }
                (None, None) => {
                    reader.reject(format!(
                        "{}=hmac needs {} (or {} for local runs)",
                        env::AUTH_MODE,
                        env::HMAC_SECRET_ARN,
                        env::HMAC_SECRET
                    ));
                    AuthSource::None
                }
            },
            "" => AuthSource::None,
            other => {
                reader.reject(format!("{}={other:?} is invalid: expected hmac or none", env::AUTH_MODE));
                AuthSource::None
            }
        };

        reader.finish()?;
        Ok(Self { table_name, state_machine_arn, auth, claim_lease })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, EnvError> {
        let values: HashMap<String, String> =
            pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        Config::load(|name| values.get(name).cloned())
    }

    #[test]
    fn config_lists_all_missing_variables() {
        let error = load(&[]).expect_err("nothing is set");

        let text = error.to_string();
        assert!(text.contains(env::TABLE_NAME), "{text}");
        assert!(text.contains(env::STATE_MACHINE_ARN), "{text}");
        assert!(text.contains(env::AUTH_MODE), "{text}");
    }

    #[test]
    fn config_hmac_needs_a_secret() {
        let error = load(&[
            (env::TABLE_NAME, "t"),
            (env::STATE_MACHINE_ARN, "arn"),
            (env::AUTH_MODE, "hmac"),
        ])
        .expect_err("no secret given");

        assert!(error.to_string().contains(env::HMAC_SECRET_ARN));
    }

    #[test]
    fn config_reads_lease_and_secret() {
        let config = load(&[
            (env::TABLE_NAME, "t"),
            (env::STATE_MACHINE_ARN, "arn"),
            (env::AUTH_MODE, "hmac"),
            (env::HMAC_SECRET, "s3cret"),
            (env::CLAIM_LEASE_SECONDS, "5"),
        ])
        .expect("valid configuration");

        assert_eq!(config.auth, AuthSource::HmacSecret("s3cret".to_owned()));
        assert_eq!(config.claim_lease, Duration::from_secs(5));
    }

    #[test]
    fn config_rejects_unknown_auth_mode() {
        let error = load(&[(env::TABLE_NAME, "t"), (env::STATE_MACHINE_ARN, "arn"), (env::AUTH_MODE, "basic")])
            .expect_err("basic is not a mode");

        assert!(error.to_string().contains("expected hmac or none"));
    }
}
