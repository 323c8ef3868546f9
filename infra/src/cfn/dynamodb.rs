//! `AWS::DynamoDB::Table`.

use serde::Serialize;

/// `AWS::DynamoDB::Table`. The table name is left to CloudFormation, so a retained table never
/// blocks the creation of a new stack with the same name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    /// `PAY_PER_REQUEST` for on-demand capacity.
    pub billing_mode: &'static str,
    /// Types of the key attributes.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The partition key and, when present, the sort key.
    pub key_schema: Vec<KeySchemaElement>,
    /// Attribute whose epoch-seconds value makes DynamoDB delete the item.
    pub time_to_live_specification: TimeToLiveSpecification,
    /// Continuous backups.
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
}

/// Name and scalar type of a key attribute.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// Attribute name.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: &'static str,
}

/// One key of the table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// Attribute name.
    pub attribute_name: String,
    /// `HASH` for the partition key, `RANGE` for the sort key.
    pub key_type: &'static str,
}

/// Time to live of the table's items.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    /// Attribute that holds the expiry time in epoch seconds.
    pub attribute_name: String,
    /// Whether DynamoDB deletes expired items.
    pub enabled: bool,
}

/// Point-in-time recovery of the table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// Whether continuous backups are on.
    pub point_in_time_recovery_enabled: bool,
}
