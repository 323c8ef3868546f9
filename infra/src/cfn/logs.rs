//! `AWS::Logs::LogGroup`.

use serde::Serialize;

use super::Expr;

/// Retention periods, in days, that CloudWatch Logs accepts.
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `AWS::Logs::LogGroup`. Its `Arn` attribute ends with `:*`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    /// Log group name.
    pub log_group_name: Expr,
    /// Days CloudWatch Logs keeps events, one of [`RETENTION_DAYS`].
    pub retention_in_days: u32,
}
