//! Starting executions of the state machine, with the idempotence that deterministic names give.

use std::future::Future;

use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use tally_core::workflow::ExecutionInput;

/// Why an execution could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Step Functions throttled the call; retry after a short wait.
    #[error("Step Functions throttled StartExecution of {name}")]
    Throttled {
        /// Execution name.
        name: String,
    },
    /// The call failed for another reason.
    #[error("StartExecution of {name} failed")]
    Failed {
        /// Execution name.
        name: String,
        /// The SDK error, kept for logs.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An execution with this name exists but was started with other input, which means two
    /// writers disagree about the item: a bug, never a retry case.
    #[error("execution {name} already exists with different input")]
    Conflict {
        /// Execution name.
        name: String,
    },
}

/// Starts workflow executions. [`StepFunctions`] is the real one; tests wrap it to inject faults.
pub trait StartWorkflow: Send + Sync {
    /// Starts the execution that `input` names, or finds the one already started under that
    /// name, and returns its ARN.
    fn start(&self, input: &ExecutionInput) -> impl Future<Output = Result<String, StartError>> + Send;
}

/// The Step Functions state machine that opens and syncs issues.
#[derive(Debug, Clone)]
pub struct StepFunctions {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl StepFunctions {
    /// Binds `client` to the state machine `state_machine_arn`.
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        Self { client, state_machine_arn: state_machine_arn.into() }
    }
}

impl StartWorkflow for StepFunctions {
    async fn start(&self, input: &ExecutionInput) -> Result<String, StartError> {
        let name = input.execution_name();
        let json = serde_json::to_string(input).map_err(|source| StartError::Failed {
            name: name.clone(),
            source: Box::new(source),
        })?;

        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&name)
            .input(json.clone())
            .send()
            .await;

        match result {
            Ok(output) => Ok(output.execution_arn),
            Err(SdkError::ServiceError(context)) if context.err().is_execution_already_exists() => {
                // Step Functions returns this for a name already used by a finished execution, or
                // by a running one with other input. Only the second is a conflict.
                self.existing_execution(&name, &json).await
            }
            Err(error) if error.code() == Some("ThrottlingException") => Err(StartError::Throttled { name }),
            Err(error) => Err(StartError::Failed { name, source: Box::new(error) }),
        }
    }
}

impl StepFunctions {
    async fn existing_execution(&self, name: &str, json: &str) -> Result<String, StartError> {
        let arn = execution_arn(&self.state_machine_arn, name);
        let described = self
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|error| StartError::Failed { name: name.to_owned(), source: Box::new(error) })?;

        let same_input = described
            .input()
            .and_then(|existing| serde_json::from_str::<serde_json::Value>(existing).ok())
            == serde_json::from_str::<serde_json::Value>(json).ok();
        if same_input {
            Ok(arn)
        } else {
            Err(StartError::Conflict { name: name.to_owned() })
        }
    }
}

/// The ARN of execution `name` of the state machine `state_machine_arn`:
/// `arn:PARTITION:states:REGION:ACCOUNT:stateMachine:MACHINE` becomes
/// `arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    let base = state_machine_arn.replacen(":stateMachine:", ":execution:", 1);
    format!("{base}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arn_follows_state_machine_arn() {
        let arn = execution_arn("arn:aws:states:eu-west-1:123456789012:stateMachine:tally", "open-ab-0");

        assert_eq!(arn, "arn:aws:states:eu-west-1:123456789012:execution:tally:open-ab-0");
    }
}
