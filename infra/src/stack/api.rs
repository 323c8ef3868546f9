//! The HTTP API: `POST /report` proxied to the ingest function, served from the `$default`
//! stage with throttling and one JSON access log line per request.

use serde_json::json;

use crate::cfn::apigateway::{AccessLogSettings, Api, Integration, Route, RouteSettings, Stage};
use crate::cfn::lambda::Permission;
use crate::cfn::logs::LogGroup;
use crate::cfn::{Expr, Template};

use super::functions::INGEST;
use super::names::ids;
use super::options::StackOptions;

/// The route bots send reports to.
pub const REPORT_ROUTE_KEY: &str = "POST /report";

/// Milliseconds API Gateway waits for the ingest function: the HTTP API maximum.
const INTEGRATION_TIMEOUT_MS: u32 = 30_000;

/// Adds the API, its integration, route, stage, access log group and invoke permission.
pub(super) fn add_http_api(template: &mut Template, options: &StackOptions) {
    let api = Api {
        name: Expr::sub("${AWS::StackName}"),
        protocol_type: "HTTP",
        description: "tally error reports".to_owned(),
    };
    template.add_resource(ids::HTTP_API, api);
    let api_id = Expr::reference(ids::HTTP_API);

    let integration = Integration {
        api_id: api_id.clone(),
        integration_type: "AWS_PROXY",
        integration_uri: Expr::get_att(INGEST.function_id(), "Arn"),
        payload_format_version: "2.0",
        timeout_in_millis: INTEGRATION_TIMEOUT_MS,
    };
    template.add_resource(ids::HTTP_API_INTEGRATION, integration);

    let route = Route {
        api_id: api_id.clone(),
        route_key: REPORT_ROUTE_KEY.to_owned(),
        target: Expr::sub(format!("integrations/${{{}}}", ids::HTTP_API_INTEGRATION)),
    };
    template.add_resource(ids::REPORT_ROUTE, route);

    let log_group = LogGroup {
        log_group_name: Expr::sub("/tally/${AWS::StackName}/api-access"),
        retention_in_days: options.log_retention_days,
    };
    template.add_resource(ids::HTTP_API_LOG_GROUP, log_group);

    let stage = Stage {
        api_id,
        stage_name: "$default".to_owned(),
        auto_deploy: true,
        default_route_settings: RouteSettings {
            throttling_rate_limit: options.throttle_rate,
            throttling_burst_limit: options.throttle_burst,
            detailed_metrics_enabled: true,
        },
        access_log_settings: AccessLogSettings {
            destination_arn: Expr::get_att(ids::HTTP_API_LOG_GROUP, "Arn"),
            format: access_log_format(),
        },
    };
    template.add_resource(ids::HTTP_API_STAGE, stage);

    // Lambda matches SourceArn with StringLike. The `*` stands for the stage name; method and
    // path are fixed, so API Gateway may invoke the function only for `POST /report`.
    let permission = Permission {
        action: "lambda:InvokeFunction",
        function_name: Expr::reference(INGEST.function_id()),
        principal: "apigateway.amazonaws.com",
        source_arn: Expr::sub(format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/*/POST/report",
            ids::HTTP_API
        )),
    };
    template.add_resource(ids::INGEST_API_PERMISSION, permission);
}

/// One JSON object per request. It holds request metadata only, never headers or the body,
/// because reports may carry secrets until the ingest function scrubs them.
fn access_log_format() -> String {
    json!({
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "userAgent": "$context.identity.userAgent",
    })
    .to_string()
}
