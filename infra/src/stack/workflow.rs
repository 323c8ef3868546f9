//! The Standard state machine that opens and syncs issues, its role and its log group.
//!
//! The role may invoke only the open-issue and sync-occurrences functions. Executions log
//! errors to CloudWatch Logs, without execution data, and are traced with X-Ray.

use std::collections::BTreeMap;

use crate::cfn::iam::{Policy, PolicyDocument, Role, Statement};
use crate::cfn::logs::LogGroup;
use crate::cfn::stepfunctions::{
    LogDestination, LogGroupRef, LoggingConfiguration, StateMachine, TracingConfiguration,
};
use crate::cfn::{Expr, Template};

use super::definition::{OPEN_ISSUE_ARN_PLACEHOLDER, SYNC_OCCURRENCES_ARN_PLACEHOLDER};
use super::functions::{OPEN_ISSUE, SYNC_OCCURRENCES};
use super::names::ids;
use super::options::StackOptions;
use super::permissions::allow_on_any_resource;

/// Adds the state machine running `definition`, its role and its log group.
pub(super) fn add_state_machine(template: &mut Template, options: &StackOptions, definition: &str) {
    let open_issue_arn = Expr::get_att(OPEN_ISSUE.function_id(), "Arn");
    let sync_occurrences_arn = Expr::get_att(SYNC_OCCURRENCES.function_id(), "Arn");

    // Names under /aws/vendedlogs/ keep CloudWatch Logs' resource policy, which Step Functions
    // extends for every log group it writes to, from outgrowing its size limit.
    let log_group = LogGroup {
        log_group_name: Expr::sub("/aws/vendedlogs/states/tally-${AWS::StackName}"),
        retention_in_days: options.log_retention_days,
    };
    template.add_resource(ids::STATE_MACHINE_LOG_GROUP, log_group);

    let statements = vec![
        Statement::allow(
            "InvokeIssueFunctions",
            &["lambda:InvokeFunction"],
            vec![open_issue_arn.clone(), sync_occurrences_arn.clone()],
        ),
        allow_on_any_resource(
            "DeliverExecutionLogs",
            &[
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
        ),
        allow_on_any_resource(
            "SendTraces",
            &[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
        ),
    ];

    // The account condition keeps Step Functions from assuming the role on behalf of a state
    // machine in another account.
    let trust =
        PolicyDocument::new(vec![Statement::assume_role("states.amazonaws.com").with_condition(
            "StringEquals",
            "aws:SourceAccount",
            Expr::reference("AWS::AccountId"),
        )]);
    let role = Role {
        description: "Role of tally's state machine: invokes the issue functions".to_owned(),
        assume_role_policy_document: trust,
        policies: vec![Policy {
            policy_name: "state-machine".to_owned(),
            policy_document: PolicyDocument::new(statements),
        }],
    };
    template.add_resource(ids::STATE_MACHINE_ROLE, role);

    let substitutions = BTreeMap::from([
        (OPEN_ISSUE_ARN_PLACEHOLDER.to_owned(), open_issue_arn),
        (SYNC_OCCURRENCES_ARN_PLACEHOLDER.to_owned(), sync_occurrences_arn),
    ]);
    let state_machine = StateMachine {
        state_machine_type: "STANDARD",
        definition_string: definition.to_owned(),
        definition_substitutions: substitutions,
        role_arn: Expr::get_att(ids::STATE_MACHINE_ROLE, "Arn"),
        logging_configuration: LoggingConfiguration {
            level: "ERROR",
            include_execution_data: false,
            destinations: vec![LogDestination {
                cloud_watch_logs_log_group: LogGroupRef {
                    log_group_arn: Expr::get_att(ids::STATE_MACHINE_LOG_GROUP, "Arn"),
                },
            }],
        },
        tracing_configuration: TracingConfiguration { enabled: true },
    };
    template.add_resource(ids::STATE_MACHINE, state_machine);
}
