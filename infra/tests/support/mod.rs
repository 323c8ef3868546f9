//! Helpers shared by the integration tests: the template as JSON for given options, lookups by
//! logical id, and the `tally` binary.

#![allow(dead_code)]

use std::process::Command;

use serde_json::Value;
use tally_infra::stack::{self, GitHubAuth, ReportAuth, StackOptions};

/// The `tally` binary built for these tests.
pub fn tally() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tally"))
}

/// The template for `options` with the bundled state machine, as JSON.
pub fn template_json(options: &StackOptions) -> Value {
    let template = stack::template(options, stack::definition::BUNDLED).expect("options are valid");
    serde_json::from_str(&template.to_json()).expect("template is JSON")
}

/// Every combination of report and GitHub authentication, with and without an alarm topic.
pub fn option_variants() -> Vec<StackOptions> {
    let mut variants = Vec::new();
    for report_auth in [ReportAuth::Hmac, ReportAuth::None] {
        for github_auth in [GitHubAuth::Token, GitHubAuth::App] {
            for alarm_topic_arn in
                [None, Some("arn:aws:sns:us-east-1:123456789012:alarms".to_owned())]
            {
                variants.push(StackOptions {
                    report_auth,
                    github_auth,
                    alarm_topic_arn,
                    ..StackOptions::default()
                });
            }
        }
    }
    variants
}

/// The resource `logical_id`.
pub fn resource<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
    template["Resources"].get(logical_id).unwrap_or_else(|| panic!("no resource {logical_id}"))
}

/// The properties of the resource `logical_id`.
pub fn properties<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
    &resource(template, logical_id)["Properties"]
}

/// Logical ids of the resources of type `kind`.
pub fn ids_of_type(template: &Value, kind: &str) -> Vec<String> {
    let resources = template["Resources"].as_object().expect("Resources is an object");
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, _)| id.clone())
        .collect()
}

/// `{"Ref": target}`.
pub fn reference(target: &str) -> Value {
    serde_json::json!({ "Ref": target })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub fn get_att(id: &str, attribute: &str) -> Value {
    serde_json::json!({ "Fn::GetAtt": [id, attribute] })
}
