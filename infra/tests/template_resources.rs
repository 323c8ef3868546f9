//! Checks the synthesized template resource by resource: the settings each one must have, the
//! environment the functions read, and that every reference points at something that exists.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::{
    get_att, ids_of_type, option_variants, properties, reference, resource, template_json,
};
use tally_core::env;
use tally_infra::stack::definition::{
    OPEN_ISSUE_ARN_PLACEHOLDER, SYNC_OCCURRENCES_ARN_PLACEHOLDER,
};
use tally_infra::stack::functions::{FUNCTIONS, INGEST, OPEN_ISSUE, SYNC_OCCURRENCES};
use tally_infra::stack::names::{ids, outputs, parameters};
use tally_infra::stack::{
    FunctionSize, GitHubAuth, METRIC_NAMES, METRICS_NAMESPACE, RegressionMode, ReportAuth,
    StackOptions, TABLE,
};

#[test]
fn table_has_ttl_pitr_and_retain() {
    let template = template_json(&StackOptions::default());
    let table = resource(&template, ids::TABLE);

    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");

    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        properties["KeySchema"],
        json!([{"AttributeName": "fingerprint", "KeyType": "HASH"}])
    );
    assert_eq!(
        properties["AttributeDefinitions"],
        json!([{"AttributeName": "fingerprint", "AttributeType": "S"}])
    );
    assert_eq!(
        properties["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    assert_eq!(properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(TABLE.partition_key, "fingerprint");
    assert_eq!(TABLE.ttl_attribute, "expires_at");
}

#[test]
fn functions_are_arm64_custom_runtime_with_sizes() {
    let options = StackOptions {
        ingest: FunctionSize { memory_mb: 512, timeout_seconds: 20 },
        open_issue: FunctionSize { memory_mb: 1024, timeout_seconds: 120 },
        ..StackOptions::default()
    };
    let template = template_json(&options);

    let expected = [(INGEST, 512, 20), (OPEN_ISSUE, 1024, 120), (SYNC_OCCURRENCES, 256, 30)];
    for (spec, memory, timeout) in expected {
        let function = properties(&template, &spec.function_id());
        assert_eq!(function["Runtime"], "provided.al2023", "{}", spec.name);
        assert_eq!(function["Architectures"], json!(["arm64"]), "{}", spec.name);
        assert_eq!(function["Handler"], "bootstrap", "{}", spec.name);
        assert_eq!(function["MemorySize"], memory, "{}", spec.name);
        assert_eq!(function["Timeout"], timeout, "{}", spec.name);
        assert_eq!(function["Role"], get_att(&spec.role_id(), "Arn"), "{}", spec.name);
        assert_eq!(function["Code"]["S3Bucket"], reference(parameters::ARTIFACT_BUCKET));
        assert_eq!(function["Code"]["S3Key"], reference(spec.code_key_parameter));
        assert_eq!(function["LoggingConfig"]["LogGroup"], reference(&spec.log_group_id()));

        let log_group = properties(&template, &spec.log_group_id());
        assert_eq!(log_group["RetentionInDays"], 30, "{}", spec.name);
    }
}

/// Names of the environment variables of `function_id`.
fn env_names(template: &Value, function_id: &str) -> BTreeSet<String> {
    let variables =
        properties(template, function_id)["Environment"]["Variables"].as_object().cloned();
    variables.unwrap_or_default().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn ingest_environment_uses_core_names() {
    let template = template_json(&StackOptions::default());
    let id = INGEST.function_id();
    let variables = &properties(&template, &id)["Environment"]["Variables"];

    assert_eq!(
        env_names(&template, &id),
        set(&[env::TABLE_NAME, env::STATE_MACHINE_ARN, env::AUTH_MODE, env::HMAC_SECRET_ARN])
    );
    assert_eq!(variables[env::TABLE_NAME], reference(ids::TABLE));
    assert_eq!(variables[env::STATE_MACHINE_ARN], reference(ids::STATE_MACHINE));
    assert_eq!(variables[env::AUTH_MODE], "hmac");
    assert_eq!(variables[env::HMAC_SECRET_ARN], reference(parameters::HMAC_SECRET_ARN));

    let open = StackOptions {
        report_auth: ReportAuth::None,
        claim_lease_seconds: Some(45),
        ..StackOptions::default()
    };
    let template = template_json(&open);
    let variables = &properties(&template, &id)["Environment"]["Variables"];
    assert_eq!(variables[env::AUTH_MODE], "none");
    assert_eq!(variables[env::CLAIM_LEASE_SECONDS], "45");
    assert!(variables.get(env::HMAC_SECRET_ARN).is_none(), "{variables}");
}

#[test]
fn issue_function_environment_follows_github_auth() {
    let token = template_json(&StackOptions::default());
    let app = template_json(&StackOptions {
        github_auth: GitHubAuth::App,
        regression_mode: Some(RegressionMode::NewIssue),
        sync_debounce_seconds: Some(60),
        sync_max_wait_seconds: Some(900),
        sync_quiet_seconds: Some(3600),
        ..StackOptions::default()
    });

    for spec in [OPEN_ISSUE, SYNC_OCCURRENCES] {
        let id = spec.function_id();
        assert_eq!(
            env_names(&token, &id),
            set(&[env::TABLE_NAME, env::ISSUES_REPO, env::GITHUB_TOKEN_SECRET_ARN]),
            "{}",
            spec.name
        );
        let variables = &properties(&token, &id)["Environment"]["Variables"];
        assert_eq!(variables[env::ISSUES_REPO], reference(parameters::ISSUES_REPO));
        assert_eq!(
            variables[env::GITHUB_TOKEN_SECRET_ARN],
            reference(parameters::GITHUB_TOKEN_SECRET_ARN)
        );

        let variables = &properties(&app, &id)["Environment"]["Variables"];
        assert_eq!(variables[env::GITHUB_APP_ID], reference(parameters::GITHUB_APP_ID));
        assert_eq!(
            variables[env::GITHUB_APP_KEY_SECRET_ARN],
            reference(parameters::GITHUB_APP_KEY_SECRET_ARN)
        );
        assert!(variables.get(env::GITHUB_TOKEN_SECRET_ARN).is_none(), "{variables}");
        assert_eq!(variables[env::REGRESSION_MODE], "new-issue");
        assert_eq!(variables[env::SYNC_DEBOUNCE_SECONDS], "60");
        assert_eq!(variables[env::SYNC_MAX_WAIT_SECONDS], "900");
        assert_eq!(variables[env::SYNC_QUIET_SECONDS], "3600");
        assert!(variables.get(env::STATE_MACHINE_ARN).is_none(), "{variables}");
    }
}

#[test]
fn http_api_routes_post_report_with_throttling() {
    let options = StackOptions { throttle_rate: 5.0, throttle_burst: 7, ..StackOptions::default() };
    let template = template_json(&options);

    assert_eq!(properties(&template, ids::HTTP_API)["ProtocolType"], "HTTP");
    let route = properties(&template, ids::REPORT_ROUTE);
    assert_eq!(route["RouteKey"], "POST /report");
    assert_eq!(
        route["Target"],
        json!({"Fn::Sub": format!("integrations/${{{}}}", ids::HTTP_API_INTEGRATION)})
    );

    let integration = properties(&template, ids::HTTP_API_INTEGRATION);
    assert_eq!(integration["IntegrationType"], "AWS_PROXY");
    assert_eq!(integration["PayloadFormatVersion"], "2.0");
    assert_eq!(integration["IntegrationUri"], get_att(&INGEST.function_id(), "Arn"));

    let stage = properties(&template, ids::HTTP_API_STAGE);
    assert_eq!(stage["StageName"], "$default");
    assert_eq!(stage["AutoDeploy"], true);
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingRateLimit"], 5.0);
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"], 7);
    assert_eq!(
        stage["AccessLogSettings"]["DestinationArn"],
        get_att(ids::HTTP_API_LOG_GROUP, "Arn")
    );

    let format: Value = serde_json::from_str(
        stage["AccessLogSettings"]["Format"].as_str().expect("format is text"),
    )
    .expect("access log format is JSON");
    assert_eq!(format["requestId"], "$context.requestId");
    assert_eq!(format["status"], "$context.status");
    let text = format.to_string();
    assert!(
        !text.contains("body") && !text.contains("header"),
        "access log must not carry report data: {text}"
    );

    let permission = properties(&template, ids::INGEST_API_PERMISSION);
    assert_eq!(permission["Principal"], "apigateway.amazonaws.com");
    assert_eq!(permission["FunctionName"], reference(&INGEST.function_id()));
    let source = permission["SourceArn"]["Fn::Sub"].as_str().expect("SourceArn is a Sub");
    assert!(source.ends_with("${HttpApi}/*/POST/report"), "{source}");
}

#[test]
fn default_throttling_is_ten_per_second_burst_twenty() {
    let template = template_json(&StackOptions::default());
    let settings = &properties(&template, ids::HTTP_API_STAGE)["DefaultRouteSettings"];
    assert_eq!(settings["ThrottlingRateLimit"], 10.0);
    assert_eq!(settings["ThrottlingBurstLimit"], 20);
}

#[test]
fn state_machine_is_standard_logged_traced_and_substituted() {
    let template = template_json(&StackOptions::default());
    let machine = properties(&template, ids::STATE_MACHINE);

    assert_eq!(machine["StateMachineType"], "STANDARD");
    assert_eq!(machine["RoleArn"], get_att(ids::STATE_MACHINE_ROLE, "Arn"));
    assert_eq!(machine["TracingConfiguration"]["Enabled"], true);
    assert_eq!(machine["LoggingConfiguration"]["Level"], "ERROR");
    assert_eq!(machine["LoggingConfiguration"]["IncludeExecutionData"], false);
    assert_eq!(
        machine["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"],
        get_att(ids::STATE_MACHINE_LOG_GROUP, "Arn")
    );
    assert_eq!(
        machine["DefinitionSubstitutions"],
        json!({
            OPEN_ISSUE_ARN_PLACEHOLDER: get_att(&OPEN_ISSUE.function_id(), "Arn"),
            SYNC_OCCURRENCES_ARN_PLACEHOLDER: get_att(&SYNC_OCCURRENCES.function_id(), "Arn"),
        })
    );

    let definition = machine["DefinitionString"].as_str().expect("definition is a string");
    assert_eq!(definition, tally_infra::stack::definition::BUNDLED);
    for placeholder in [OPEN_ISSUE_ARN_PLACEHOLDER, SYNC_OCCURRENCES_ARN_PLACEHOLDER] {
        assert!(definition.contains(&format!("${{{placeholder}}}")), "{placeholder} is unused");
    }

    let log_group = properties(&template, ids::STATE_MACHINE_LOG_GROUP);
    let name = log_group["LogGroupName"]["Fn::Sub"].as_str().expect("name is a Sub");
    assert!(name.starts_with("/aws/vendedlogs/states/"), "{name}");
}

#[test]
fn alarms_cover_executions_and_function_errors() {
    let topic = "arn:aws:sns:us-east-1:123456789012:alarms";
    let with_topic = template_json(&StackOptions {
        alarm_topic_arn: Some(topic.to_owned()),
        ..StackOptions::default()
    });
    let without_topic = template_json(&StackOptions::default());

    let executions = properties(&with_topic, ids::EXECUTIONS_FAILED_ALARM);
    assert_eq!(executions["Namespace"], "AWS/States");
    assert_eq!(executions["MetricName"], "ExecutionsFailed");
    assert_eq!(
        executions["Dimensions"],
        json!([{"Name": "StateMachineArn", "Value": reference(ids::STATE_MACHINE)}])
    );
    assert_eq!(executions["Threshold"], 1.0);
    assert_eq!(executions["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
    assert_eq!(executions["TreatMissingData"], "notBreaching");
    assert_eq!(executions["AlarmActions"], json!([topic]));

    for spec in FUNCTIONS {
        let alarm = properties(&with_topic, &spec.errors_alarm_id());
        assert_eq!(alarm["Namespace"], "AWS/Lambda", "{}", spec.name);
        assert_eq!(alarm["MetricName"], "Errors", "{}", spec.name);
        assert_eq!(
            alarm["Dimensions"][0]["Value"],
            reference(&spec.function_id()),
            "{}",
            spec.name
        );
        assert_eq!(alarm["AlarmActions"], json!([topic]), "{}", spec.name);

        let alarm = properties(&without_topic, &spec.errors_alarm_id());
        assert!(alarm.get("AlarmActions").is_none(), "{alarm}");
    }
    assert_eq!(ids_of_type(&with_topic, "AWS::CloudWatch::Alarm").len(), 4);
}

#[test]
fn dashboard_shows_tally_metrics_and_failures() {
    let template = template_json(&StackOptions::default());
    let body = properties(&template, ids::DASHBOARD)["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("body is a Sub");
    let body: Value = serde_json::from_str(body).expect("dashboard body is JSON");

    let metrics: Vec<Value> = body["widgets"]
        .as_array()
        .expect("widgets")
        .iter()
        .flat_map(|widget| widget["properties"]["metrics"].as_array().cloned().unwrap_or_default())
        .collect();
    for name in METRIC_NAMES {
        assert!(metrics.contains(&json!([METRICS_NAMESPACE, name])), "{name} is missing");
    }
    assert!(metrics.contains(&json!([
        "AWS/States",
        "ExecutionsFailed",
        "StateMachineArn",
        "${StateMachine}"
    ])));
    assert_eq!(METRICS_NAMESPACE, "Tally");
    assert_eq!(
        METRIC_NAMES,
        ["ReportsReceived", "DuplicateReports", "IssuesOpened", "GitHubErrors"]
    );
}

#[test]
fn outputs_name_url_table_machine_and_console() {
    let template = template_json(&StackOptions::default());
    let outputs_json = &template["Outputs"];

    let url = outputs_json[outputs::REPORT_URL]["Value"]["Fn::Sub"].as_str().expect("URL is a Sub");
    assert!(url.starts_with("https://${HttpApi}.execute-api.${AWS::Region}."), "{url}");
    assert!(url.ends_with("/report"), "{url}");
    assert_eq!(outputs_json[outputs::TABLE_NAME]["Value"], reference(ids::TABLE));
    assert_eq!(
        outputs_json[outputs::STATE_MACHINE_NAME]["Value"],
        get_att(ids::STATE_MACHINE, "Name")
    );
    let console = outputs_json[outputs::EXECUTIONS_CONSOLE_URL]["Value"]["Fn::Sub"]
        .as_str()
        .expect("console URL");
    assert!(console.contains("/states/home"), "{console}");
    assert!(console.contains("${StateMachine}"), "{console}");
}

#[test]
fn parameters_follow_auth_choices() {
    let names = |options: &StackOptions| -> BTreeSet<String> {
        template_json(options)["Parameters"]
            .as_object()
            .expect("parameters")
            .keys()
            .cloned()
            .collect()
    };
    let code = [
        "ArtifactBucket",
        "IngestCodeKey",
        "OpenIssueCodeKey",
        "SyncOccurrencesCodeKey",
        "IssuesRepo",
    ];

    let mut expected = set(&code);
    expected.extend(set(&["GitHubTokenSecretArn", "HmacSecretArn"]));
    assert_eq!(names(&StackOptions::default()), expected);

    let mut expected = set(&code);
    expected.extend(set(&["GitHubAppId", "GitHubAppKeySecretArn"]));
    let app_unsigned = StackOptions {
        github_auth: GitHubAuth::App,
        report_auth: ReportAuth::None,
        ..StackOptions::default()
    };
    assert_eq!(names(&app_unsigned), expected);
}

/// Names that `Ref`, `Fn::GetAtt` and `${...}` in `Fn::Sub` point at, anywhere in `value`.
fn referenced_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("Ref") {
                names.insert(target.clone());
            }
            if let Some(target) = map.get("Fn::GetAtt").and_then(|pair| pair[0].as_str()) {
                names.insert(target.to_owned());
            }
            if let Some(Value::String(template)) = map.get("Fn::Sub") {
                let mut rest = template.as_str();
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let end = after.find('}').expect("placeholder is closed");
                    let name = after[..end].split('.').next().unwrap_or_default();
                    names.insert(name.to_owned());
                    rest = &after[end + 1..];
                }
            }
            for (key, nested) in map {
                // The definition's own placeholders are filled by DefinitionSubstitutions.
                if key != "DefinitionString" {
                    referenced_names(nested, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| referenced_names(item, names)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    for options in option_variants() {
        let template = template_json(&options);
        let mut known: BTreeSet<String> =
            template["Resources"].as_object().expect("resources").keys().cloned().collect();
        known.extend(template["Parameters"].as_object().expect("parameters").keys().cloned());

        let mut names = BTreeSet::new();
        referenced_names(&template["Resources"], &mut names);
        referenced_names(&template["Outputs"], &mut names);

        for name in names {
            assert!(
                known.contains(&name) || name.starts_with("AWS::"),
                "{name} is referenced but not defined ({options:?})"
            );
        }
    }
}

#[test]
fn every_parameter_is_used() {
    for options in option_variants() {
        let template = template_json(&options);
        let mut names = BTreeSet::new();
        referenced_names(&template["Resources"], &mut names);
        for parameter in template["Parameters"].as_object().expect("parameters").keys() {
            assert!(names.contains(parameter), "{parameter} is never used ({options:?})");
        }
    }
}
