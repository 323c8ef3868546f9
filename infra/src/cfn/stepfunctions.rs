//! `AWS::StepFunctions::StateMachine`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Expr;

/// `AWS::StepFunctions::StateMachine` with its definition inline.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    /// `STANDARD` or `EXPRESS`.
    pub state_machine_type: &'static str,
    /// Amazon States Language JSON with `${Name}` placeholders.
    pub definition_string: String,
    /// Values of the placeholders in the definition, by name.
    pub definition_substitutions: BTreeMap<String, Expr>,
    /// ARN of the role the state machine assumes.
    pub role_arn: Expr,
    /// Execution history sent to CloudWatch Logs.
    pub logging_configuration: LoggingConfiguration,
    /// X-Ray tracing.
    pub tracing_configuration: TracingConfiguration,
}

/// Logging of a state machine's execution history.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    /// `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub level: &'static str,
    /// Whether log events carry execution input, output and state data.
    pub include_execution_data: bool,
    /// Log groups that receive the events.
    pub destinations: Vec<LogDestination>,
}

/// One log destination.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDestination {
    /// The log group.
    pub cloud_watch_logs_log_group: LogGroupRef,
}

/// A log group by ARN.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroupRef {
    /// ARN of the log group.
    pub log_group_arn: Expr,
}

/// X-Ray tracing of executions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfiguration {
    /// Whether executions are traced.
    pub enabled: bool,
}
