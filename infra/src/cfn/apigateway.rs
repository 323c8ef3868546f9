//! `AWS::ApiGatewayV2::*`: an HTTP API, its Lambda proxy integration, route and stage.

use serde::Serialize;

use super::Expr;

/// `AWS::ApiGatewayV2::Api` with protocol `HTTP`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Api {
    /// API name.
    pub name: Expr,
    /// Always `HTTP`: tally uses HTTP APIs, not WebSocket APIs.
    pub protocol_type: &'static str,
    /// Text shown in the console.
    pub description: String,
}

/// `AWS::ApiGatewayV2::Integration` of type `AWS_PROXY` to a Lambda function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    /// Id of the API (`Ref` of the API).
    pub api_id: Expr,
    /// Always `AWS_PROXY`.
    pub integration_type: &'static str,
    /// ARN of the function.
    pub integration_uri: Expr,
    /// Event format sent to the function: `2.0` for `lambda_http`'s HTTP API events.
    pub payload_format_version: &'static str,
    /// Time in milliseconds API Gateway waits for the function, at most 30000.
    pub timeout_in_millis: u32,
}

/// `AWS::ApiGatewayV2::Route`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    /// Id of the API.
    pub api_id: Expr,
    /// Method and path, such as `POST /report`.
    pub route_key: String,
    /// `integrations/<integration id>`.
    pub target: Expr,
}

/// `AWS::ApiGatewayV2::Stage`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stage {
    /// Id of the API.
    pub api_id: Expr,
    /// `$default` serves the API at the root of its URL.
    pub stage_name: String,
    /// Deploys every change to the API without a separate deployment resource.
    pub auto_deploy: bool,
    /// Settings applied to every route unless a route overrides them.
    pub default_route_settings: RouteSettings,
    /// Where and how API Gateway writes one log line per request.
    pub access_log_settings: AccessLogSettings,
}

/// Throttling and metrics for the routes of a stage.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteSettings {
    /// Steady-state requests per second.
    pub throttling_rate_limit: f64,
    /// Requests allowed in a burst above the steady rate.
    pub throttling_burst_limit: u32,
    /// Publishes per-route CloudWatch metrics.
    pub detailed_metrics_enabled: bool,
}

/// Access logging of a stage.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessLogSettings {
    /// ARN of the log group.
    pub destination_arn: Expr,
    /// Log line template with `$context` variables.
    pub format: String,
}
