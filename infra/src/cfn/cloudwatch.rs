//! `AWS::CloudWatch::*`: metric alarms and a dashboard.

use serde::Serialize;

use super::Expr;

/// `AWS::CloudWatch::Alarm` on one metric.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// What the alarm means and what to look at.
    pub alarm_description: String,
    /// Metric namespace, such as `AWS/Lambda`.
    pub namespace: String,
    /// Metric name.
    pub metric_name: String,
    /// Dimensions that select one metric stream.
    pub dimensions: Vec<Dimension>,
    /// Statistic compared to the threshold, such as `Sum`.
    pub statistic: &'static str,
    /// Length of one evaluation period in seconds.
    pub period: u32,
    /// Number of periods evaluated.
    pub evaluation_periods: u32,
    /// Value compared with the statistic.
    pub threshold: f64,
    /// Comparison such as `GreaterThanOrEqualToThreshold`.
    pub comparison_operator: &'static str,
    /// State when the metric has no data points: `notBreaching` for failure counters, which
    /// publish nothing while all is well.
    pub treat_missing_data: &'static str,
    /// Topics notified when the alarm fires.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<Expr>,
}

/// A metric dimension.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// Dimension name, such as `FunctionName`.
    pub name: String,
    /// Dimension value.
    pub value: Expr,
}

/// `AWS::CloudWatch::Dashboard`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dashboard {
    /// Dashboard JSON as a string, usually an `Fn::Sub` so it can name stack resources.
    pub dashboard_body: Expr,
}
