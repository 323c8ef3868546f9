//! A typed subset of the CloudFormation template format: the template itself, parameters,
//! outputs, intrinsic functions and the resource types tally deploys.
//!
//! Each AWS service has a module with serde structs named after its resource types. Maps are
//! `BTreeMap`s, so the same stack always serializes to the same bytes.

pub mod apigateway;
pub mod cloudwatch;
pub mod dynamodb;
mod expr;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod stepfunctions;

use std::collections::BTreeMap;

use serde::Serialize;

pub use expr::Expr;

/// Template format version, the only one CloudFormation defines.
const FORMAT_VERSION: &str = "2010-09-09";

/// A CloudFormation template.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    format_version: &'static str,
    /// Text shown in the console next to the stack.
    #[serde(rename = "Description")]
    pub description: String,
    /// Input values supplied when the stack is created or updated, by name.
    #[serde(rename = "Parameters", skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Resources by logical id.
    #[serde(rename = "Resources")]
    pub resources: BTreeMap<String, Resource>,
    /// Values the stack exports to its caller, by name.
    #[serde(rename = "Outputs", skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Output>,
}

impl Template {
    /// An empty template with `description`.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            description: description.into(),
            parameters: BTreeMap::new(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Adds the resource `logical_id`.
    ///
    /// # Panics
    /// Panics when `logical_id` is already taken, because two resources with one id is a bug in
    /// the stack definition, not a runtime condition.
    pub fn add_resource(&mut self, logical_id: &str, resource: impl Into<Resource>) {
        let previous = self.resources.insert(logical_id.to_owned(), resource.into());
        assert!(previous.is_none(), "resource {logical_id} is defined twice");
    }

    /// Adds the parameter `name`.
    pub fn add_parameter(&mut self, name: &str, parameter: Parameter) {
        self.parameters.insert(name.to_owned(), parameter);
    }

    /// Adds the output `name`.
    pub fn add_output(&mut self, name: &str, description: &str, value: Expr) {
        let output = Output { description: description.to_owned(), value };
        self.outputs.insert(name.to_owned(), output);
    }

    /// Serializes the template as pretty-printed JSON ending with a newline.
    pub fn to_json(&self) -> String {
        // Serializing plain structs, strings and numbers into a string cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// A template parameter of type `String`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    kind: &'static str,
    /// What the value is and where it comes from.
    pub description: String,
    /// Regular expression the value must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// Message CloudFormation shows when the value does not match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
}

impl Parameter {
    /// A string parameter that must match `pattern`.
    pub fn string(description: &str, pattern: &str, constraint: &str) -> Self {
        Self {
            kind: "String",
            description: description.to_owned(),
            allowed_pattern: Some(pattern.to_owned()),
            constraint_description: Some(constraint.to_owned()),
        }
    }
}

/// A template output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// What the value is.
    pub description: String,
    /// The value.
    pub value: Expr,
}

/// What CloudFormation does with a resource's physical resource when the stack deletes or
/// replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RemovalPolicy {
    /// Delete the physical resource.
    Delete,
    /// Keep the physical resource and only remove it from the stack.
    Retain,
}

/// A resource: its type and properties plus the attributes shared by every type.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// Type and properties.
    #[serde(flatten)]
    pub properties: ResourceProperties,
    /// Logical ids that must be created before this resource, beyond those it references.
    #[serde(rename = "DependsOn", skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Policy applied when the stack is deleted.
    #[serde(rename = "DeletionPolicy", skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<RemovalPolicy>,
    /// Policy applied when an update replaces the resource.
    #[serde(rename = "UpdateReplacePolicy", skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<RemovalPolicy>,
}

impl Resource {
    /// Keeps the physical resource when the stack is deleted or the resource replaced.
    pub fn retained(mut self) -> Self {
        self.deletion_policy = Some(RemovalPolicy::Retain);
        self.update_replace_policy = Some(RemovalPolicy::Retain);
        self
    }

    /// Creates this resource only after `logical_id`.
    pub fn depends_on(mut self, logical_id: &str) -> Self {
        self.depends_on.push(logical_id.to_owned());
        self
    }
}

impl<T: Into<ResourceProperties>> From<T> for Resource {
    fn from(properties: T) -> Self {
        Self {
            properties: properties.into(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
        }
    }
}

/// Every resource type tally deploys, serialized as `"Type"` and `"Properties"`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "Type", content = "Properties")]
pub enum ResourceProperties {
    /// `AWS::ApiGatewayV2::Api`.
    #[serde(rename = "AWS::ApiGatewayV2::Api")]
    HttpApi(apigateway::Api),
    /// `AWS::ApiGatewayV2::Integration`.
    #[serde(rename = "AWS::ApiGatewayV2::Integration")]
    HttpIntegration(apigateway::Integration),
    /// `AWS::ApiGatewayV2::Route`.
    #[serde(rename = "AWS::ApiGatewayV2::Route")]
    HttpRoute(apigateway::Route),
    /// `AWS::ApiGatewayV2::Stage`.
    #[serde(rename = "AWS::ApiGatewayV2::Stage")]
    HttpStage(apigateway::Stage),
    /// `AWS::CloudWatch::Alarm`.
    #[serde(rename = "AWS::CloudWatch::Alarm")]
    Alarm(cloudwatch::Alarm),
    /// `AWS::CloudWatch::Dashboard`.
    #[serde(rename = "AWS::CloudWatch::Dashboard")]
    Dashboard(cloudwatch::Dashboard),
    /// `AWS::DynamoDB::Table`.
    #[serde(rename = "AWS::DynamoDB::Table")]
    Table(dynamodb::Table),
    /// `AWS::IAM::Role`.
    #[serde(rename = "AWS::IAM::Role")]
    Role(iam::Role),
    /// `AWS::Lambda::Function`.
    #[serde(rename = "AWS::Lambda::Function")]
    Function(lambda::Function),
    /// `AWS::Lambda::Permission`.
    #[serde(rename = "AWS::Lambda::Permission")]
    Permission(lambda::Permission),
    /// `AWS::Logs::LogGroup`.
    #[serde(rename = "AWS::Logs::LogGroup")]
    LogGroup(logs::LogGroup),
    /// `AWS::StepFunctions::StateMachine`.
    #[serde(rename = "AWS::StepFunctions::StateMachine")]
    StateMachine(stepfunctions::StateMachine),
}

/// Implements `From<$type> for ResourceProperties` for each variant.
macro_rules! impl_into_properties {
    ($($variant:ident($type:ty)),* $(,)?) => {
        $(
            impl From<$type> for ResourceProperties {
                fn from(properties: $type) -> Self {
                    Self::$variant(properties)
                }
            }
        )*
    };
}

impl_into_properties!(
    HttpApi(apigateway::Api),
    HttpIntegration(apigateway::Integration),
    HttpRoute(apigateway::Route),
    HttpStage(apigateway::Stage),
    Alarm(cloudwatch::Alarm),
    Dashboard(cloudwatch::Dashboard),
    Table(dynamodb::Table),
    Role(iam::Role),
    Function(lambda::Function),
    Permission(lambda::Permission),
    LogGroup(logs::LogGroup),
    StateMachine(stepfunctions::StateMachine),
);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resource_serializes_type_properties_and_policies() {
        let group = logs::LogGroup { log_group_name: Expr::literal("/x"), retention_in_days: 7 };
        let resource = Resource::from(group).retained().depends_on("Other");

        let value = serde_json::to_value(&resource).expect("serializes");

        let expected = json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": "/x", "RetentionInDays": 7},
            "DependsOn": ["Other"],
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        });
        assert_eq!(value, expected);
    }

    #[test]
    #[should_panic(expected = "defined twice")]
    fn template_rejects_duplicate_logical_id() {
        let group = logs::LogGroup { log_group_name: Expr::literal("/x"), retention_in_days: 7 };
        let mut template = Template::new("test");
        template.add_resource("Logs", group.clone());
        template.add_resource("Logs", group);
    }
}
