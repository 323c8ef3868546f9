//! The IAM actions that may be granted on `"Resource": "*"`, each with the reason AWS requires
//! it, and the one constructor allowed to build such a statement.
//!
//! Every other statement names its resources. The IAM walker test rejects any `*` in an action
//! and any `*` resource whose actions are missing from [`ANY_RESOURCE_ACTIONS`].

use crate::cfn::Expr;
use crate::cfn::iam::Statement;

/// An action that IAM only grants on every resource, with the reason.
#[derive(Debug, Clone, Copy)]
pub struct AnyResourceAction {
    /// The IAM action, such as `xray:PutTraceSegments`.
    pub action: &'static str,
    /// Why the action cannot be scoped to a resource.
    pub reason: &'static str,
}

/// Step Functions sets up execution logging through CloudWatch Logs' vended log delivery. Those
/// actions accept no resource ARN, and the Step Functions developer guide ("Logging using
/// CloudWatch Logs") grants them on `*`.
const LOG_DELIVERY: &str = "CloudWatch Logs log delivery actions, which Step Functions calls to \
    send execution logs, support no resource-level permissions";

/// X-Ray defines no resource types, and the Step Functions developer guide ("IAM policies for
/// AWS X-Ray") grants these actions on `*`.
const XRAY: &str = "X-Ray defines no resource types, so tracing actions can only be granted on \
    every resource";

/// Every action that may appear in a statement whose resource is `*`.
pub const ANY_RESOURCE_ACTIONS: &[AnyResourceAction] = &[
    AnyResourceAction { action: "logs:CreateLogDelivery", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:GetLogDelivery", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:UpdateLogDelivery", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:DeleteLogDelivery", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:ListLogDeliveries", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:PutResourcePolicy", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:DescribeResourcePolicies", reason: LOG_DELIVERY },
    AnyResourceAction { action: "logs:DescribeLogGroups", reason: LOG_DELIVERY },
    AnyResourceAction { action: "xray:PutTraceSegments", reason: XRAY },
    AnyResourceAction { action: "xray:PutTelemetryRecords", reason: XRAY },
    AnyResourceAction { action: "xray:GetSamplingRules", reason: XRAY },
    AnyResourceAction { action: "xray:GetSamplingTargets", reason: XRAY },
];

/// The reason `action` may be granted on `*`, or `None` when it must name its resources.
pub fn any_resource_reason(action: &str) -> Option<&'static str> {
    ANY_RESOURCE_ACTIONS.iter().find(|entry| entry.action == action).map(|entry| entry.reason)
}

/// Allows `actions` on `"Resource": "*"`.
///
/// # Panics
/// Panics when an action is not listed in [`ANY_RESOURCE_ACTIONS`], because granting it on every
/// resource would be a bug in the stack definition.
pub fn allow_on_any_resource(sid: &str, actions: &[&str]) -> Statement {
    for action in actions {
        assert!(
            any_resource_reason(action).is_some(),
            "{action} is granted on every resource without a reason in ANY_RESOURCE_ACTIONS"
        );
    }
    Statement::allow(sid, actions, vec![Expr::literal("*")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "without a reason")]
    fn unlisted_action_on_any_resource_panics() {
        allow_on_any_resource("Broad", &["dynamodb:GetItem"]);
    }

    #[test]
    fn listed_actions_have_reasons() {
        for entry in ANY_RESOURCE_ACTIONS {
            assert!(!entry.reason.trim().is_empty(), "{} has no reason", entry.action);
            assert!(!entry.action.contains('*'), "{} is itself a wildcard", entry.action);
        }
    }
}
