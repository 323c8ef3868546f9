//! Alarms on failed executions and function errors, and the dashboard of tally's metrics.
//!
//! The functions publish their metrics in Embedded Metric Format under [`METRICS_NAMESPACE`]
//! without dimensions; the dashboard reads them under the same names.

use serde_json::{Value, json};

use crate::cfn::cloudwatch::{Alarm, Dashboard, Dimension};
use crate::cfn::{Expr, Template};

use super::functions::FUNCTIONS;
use super::names::ids;
use super::options::StackOptions;

// The functions publish these names, so the dashboard and alarms take them from the same place.
pub use tally_core::metrics::{
    ALL as METRIC_NAMES, DUPLICATE_REPORTS, GITHUB_ERRORS, ISSUES_OPENED, NAMESPACE as METRICS_NAMESPACE,
    REPORTS_RECEIVED,
};

/// Length in seconds of one alarm period and one dashboard data point.
const PERIOD_SECONDS: u32 = 300;

/// Adds one alarm per function on `AWS/Lambda` `Errors` and one on `AWS/States`
/// `ExecutionsFailed`, each firing on the first failure in a five-minute period.
pub(super) fn add_alarms(template: &mut Template, options: &StackOptions) {
    let actions: Vec<Expr> =
        options.alarm_topic_arn.iter().map(|topic| Expr::literal(topic.as_str())).collect();

    for spec in FUNCTIONS {
        let alarm = Alarm {
            alarm_description: format!(
                "The {} function returned errors; see its log group /tally/<stack>/{}",
                spec.name, spec.name
            ),
            namespace: "AWS/Lambda".to_owned(),
            metric_name: "Errors".to_owned(),
            dimensions: vec![Dimension {
                name: "FunctionName".to_owned(),
                value: Expr::reference(spec.function_id()),
            }],
            ..failure_alarm(actions.clone())
        };
        template.add_resource(&spec.errors_alarm_id(), alarm);
    }

    let alarm = Alarm {
        alarm_description: "Executions of the state machine failed; see the failed executions \
                            in the Step Functions console"
            .to_owned(),
        namespace: "AWS/States".to_owned(),
        metric_name: "ExecutionsFailed".to_owned(),
        dimensions: vec![Dimension {
            name: "StateMachineArn".to_owned(),
            value: Expr::reference(ids::STATE_MACHINE),
        }],
        ..failure_alarm(actions)
    };
    template.add_resource(ids::EXECUTIONS_FAILED_ALARM, alarm);
}

/// An alarm on a failure counter, without namespace, metric and dimensions.
fn failure_alarm(actions: Vec<Expr>) -> Alarm {
    Alarm {
        alarm_description: String::new(),
        namespace: String::new(),
        metric_name: String::new(),
        dimensions: Vec::new(),
        statistic: "Sum",
        period: PERIOD_SECONDS,
        evaluation_periods: 1,
        threshold: 1.0,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        treat_missing_data: "notBreaching",
        alarm_actions: actions,
    }
}

/// Adds the dashboard: reports and duplicates, issues opened, GitHub errors, failed executions
/// and function errors.
pub(super) fn add_dashboard(template: &mut Template) {
    let tally = |name: &str| json!([METRICS_NAMESPACE, name]);
    let function_errors: Vec<Value> = FUNCTIONS
        .iter()
        .map(|spec| {
            let name = format!("${{{}}}", spec.function_id());
            json!(["AWS/Lambda", "Errors", "FunctionName", name, {"label": spec.name}])
        })
        .collect();
    let executions_failed = json!([
        "AWS/States",
        "ExecutionsFailed",
        "StateMachineArn",
        format!("${{{}}}", ids::STATE_MACHINE)
    ]);

    let widgets = vec![
        metric_widget(
            0,
            0,
            "Reports received and duplicates",
            vec![tally(REPORTS_RECEIVED), tally(DUPLICATE_REPORTS)],
        ),
        metric_widget(12, 0, "Issues opened", vec![tally(ISSUES_OPENED)]),
        metric_widget(0, 6, "GitHub errors", vec![tally(GITHUB_ERRORS)]),
        metric_widget(12, 6, "Failed executions", vec![executions_failed]),
        metric_widget(0, 12, "Function errors", function_errors),
    ];

    // The body is an Fn::Sub template: `${AWS::Region}` and `${LogicalId}` are the only
    // placeholders in it, because every other string is a fixed metric or label name.
    let body = json!({ "widgets": widgets }).to_string();
    template.add_resource(ids::DASHBOARD, Dashboard { dashboard_body: Expr::sub(body) });
}

/// A 12x6 time-series widget of `metrics` summed per period.
fn metric_widget(x: u32, y: u32, title: &str, metrics: Vec<Value>) -> Value {
    json!({
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "stat": "Sum",
            "period": PERIOD_SECONDS,
            "metrics": metrics,
        },
    })
}
