//! The sync step's writes: what the issue now shows, and ending or releasing the sync loop.
//!
//! Every write names the sync generation the loop runs under, so a loop that a newer generation
//! replaced stops instead of overwriting it. Ending the loop is conditional on the count it just
//! synced: if a report arrived meanwhile, the write fails and the loop goes on, so a report is
//! never left uncounted between the end of one loop and the start of the next.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::{StoreError, Table, attr};

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// How a sync round changes the record of the issue's closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedRecord<'a> {
    /// Leave it as it is.
    Keep,
    /// The issue was seen closed for the first time since it was last open.
    Set {
        /// `completed` or `not_planned`.
        reason: &'a str,
        /// The count the issue showed when it was seen closed.
        at_occurrences: u64,
        /// The newest version known then, when versions are reported.
        version: Option<&'a str>,
    },
    /// The issue is open again (reopened by tally or by a maintainer).
    Clear,
}

/// What one sync round wrote to the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord<'a> {
    /// The item's key.
    pub fingerprint: &'a str,
    /// Sync generation of the loop that wrote it.
    pub generation: u64,
    /// The count the issue now shows.
    pub synced_occurrences: u64,
    /// Highest milestone announced.
    pub last_milestone: u64,
    /// Newest version announced, when any.
    pub announced_version: Option<&'a str>,
    /// Change to the closing record.
    pub closed: ClosedRecord<'a>,
    /// A new issue that replaces the recorded one, when a regression opened one.
    pub replacement: Option<Replacement<'a>>,
}

/// A new issue that replaces a closed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement<'a> {
    /// The issue number the item records now.
    pub old_number: u64,
    /// The new issue's number.
    pub number: u64,
    /// The new issue's URL.
    pub url: &'a str,
}

impl Table {
    /// Records a sync round. Returns false when another sync generation owns the item now, or
    /// the item no longer records the issue a replacement replaces.
    pub async fn record_sync(&self, record: &SyncRecord<'_>) -> Result<bool, StoreError> {
        let mut sets = vec!["#synced_occurrences = :synced", "#last_milestone = :milestone"];
        let mut removes = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(record.fingerprint))
            .expression_attribute_names("#sync_generation", attr::SYNC_GENERATION)
            .expression_attribute_names("#synced_occurrences", attr::SYNCED_OCCURRENCES)
            .expression_attribute_names("#last_milestone", attr::LAST_MILESTONE)
            .expression_attribute_values(":generation", n(record.generation))
            .expression_attribute_values(":synced", n(record.synced_occurrences))
            .expression_attribute_values(":milestone", n(record.last_milestone));

        if let Some(version) = record.announced_version {
            sets.push("#announced_version = :announced");
            request = request
                .expression_attribute_names("#announced_version", attr::ANNOUNCED_VERSION)
                .expression_attribute_values(":announced", s(version));
        }

        match &record.closed {
            ClosedRecord::Keep => {}
            ClosedRecord::Set { reason, at_occurrences, version } => {
                sets.push("#closed_reason = :reason");
                sets.push("#closed_at_occurrences = :closed_at");
                request = request
                    .expression_attribute_names("#closed_reason", attr::CLOSED_REASON)
                    .expression_attribute_names("#closed_at_occurrences", attr::CLOSED_AT_OCCURRENCES)
                    .expression_attribute_names("#closed_version", attr::CLOSED_VERSION)
                    .expression_attribute_values(":reason", s(reason))
                    .expression_attribute_values(":closed_at", n(at_occurrences));
                match version {
                    Some(version) => {
                        sets.push("#closed_version = :closed_version");
                        request = request.expression_attribute_values(":closed_version", s(version));
                    }
                    None => removes.push("#closed_version"),
                }
            }
            ClosedRecord::Clear => {
                removes.extend(["#closed_reason", "#closed_at_occurrences", "#closed_version"]);
                request = request
                    .expression_attribute_names("#closed_reason", attr::CLOSED_REASON)
                    .expression_attribute_names("#closed_at_occurrences", attr::CLOSED_AT_OCCURRENCES)
                    .expression_attribute_names("#closed_version", attr::CLOSED_VERSION);
            }
        }

        let mut condition = "#sync_generation = :generation".to_owned();
        if let Some(replacement) = &record.replacement {
            sets.push("#issue_number = :number");
            sets.push("#issue_url = :url");
            condition.push_str(" AND #issue_number = :old_number");
            request = request
                .expression_attribute_names("#issue_number", attr::ISSUE_NUMBER)
                .expression_attribute_names("#issue_url", attr::ISSUE_URL)
                .expression_attribute_values(":number", n(replacement.number))
                .expression_attribute_values(":url", s(replacement.url))
                .expression_attribute_values(":old_number", n(replacement.old_number));
        }

        let mut update = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let request = request.update_expression(update).condition_expression(condition);
        self.send_conditional(record.fingerprint, request).await
    }

    /// Ends the sync loop of `generation` when the item's count is still `synced_occurrences`.
    /// Returns false when a report arrived since (the loop must go on) or another generation
    /// owns the item.
    pub async fn finish_sync(&self, fingerprint: &str, generation: u64, synced_occurrences: u64) -> Result<bool, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("SET #sync_active = :false")
            .condition_expression("#occurrences = :synced AND #sync_generation = :generation AND #sync_active = :true")
            .expression_attribute_names("#sync_active", attr::SYNC_ACTIVE)
            .expression_attribute_names("#occurrences", attr::OCCURRENCES)
            .expression_attribute_names("#sync_generation", attr::SYNC_GENERATION)
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":synced", n(synced_occurrences))
            .expression_attribute_values(":generation", n(generation));
        self.send_conditional(fingerprint, request).await
    }

    /// Ends the sync loop of `generation` after it failed, whatever the count, so the next report
    /// resumes it. Returns false when another generation owns the item or the loop already ended.
    pub async fn release_sync(&self, fingerprint: &str, generation: u64) -> Result<bool, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("SET #sync_active = :false")
            .condition_expression("#sync_generation = :generation AND #sync_active = :true")
            .expression_attribute_names("#sync_active", attr::SYNC_ACTIVE)
            .expression_attribute_names("#sync_generation", attr::SYNC_GENERATION)
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":generation", n(generation));
        self.send_conditional(fingerprint, request).await
    }
}
