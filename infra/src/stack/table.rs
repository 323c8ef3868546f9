//! The DynamoDB table: one item per fingerprint, on-demand, with TTL and point-in-time
//! recovery, retained when the stack is deleted.
//!
//! [`TABLE`] describes its key and TTL so `tally local` and the tests create the same table.

use crate::cfn::dynamodb::{
    AttributeDefinition, KeySchemaElement, PointInTimeRecoverySpecification, Table,
    TimeToLiveSpecification,
};
use crate::cfn::{Resource, Template};

use super::names::ids;

/// The key and expiry attribute of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// Partition key, a string; the table has no sort key.
    pub partition_key: &'static str,
    /// Attribute holding the epoch-seconds expiry that TTL deletes on.
    pub ttl_attribute: &'static str,
}

/// tally's table.
pub const TABLE: TableSpec =
    TableSpec { partition_key: "fingerprint", ttl_attribute: "expires_at" };

/// The partition key of tally's table.
pub fn table_key_attribute() -> &'static str {
    TABLE.partition_key
}

/// The TTL attribute of tally's table.
pub fn ttl_attribute() -> &'static str {
    TABLE.ttl_attribute
}

/// Adds the table, retained on stack deletion and replacement so no report history is lost.
pub(super) fn add_table(template: &mut Template) {
    let table = Table {
        billing_mode: "PAY_PER_REQUEST",
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: TABLE.partition_key.to_owned(),
            attribute_type: "S",
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: TABLE.partition_key.to_owned(),
            key_type: "HASH",
        }],
        time_to_live_specification: TimeToLiveSpecification {
            attribute_name: TABLE.ttl_attribute.to_owned(),
            enabled: true,
        },
        point_in_time_recovery_specification: PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: true,
        },
    };
    template.add_resource(ids::TABLE, Resource::from(table).retained());
}
