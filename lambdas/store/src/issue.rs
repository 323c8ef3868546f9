//! The open step's writes: mark the item `opening`, record the opened issue, or record a
//! permanent failure.
//!
//! Each write is conditional on the open attempt the execution runs, so an execution that a newer
//! attempt replaced can never overwrite the newer attempt's state.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::condition::unless_condition_failed;
use crate::{IssueState, Item, StoreError, Table, attr};

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// What the open step does after trying to mark the item `opening`.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenStart {
    /// No earlier attempt got as far as creating, so the step creates the issue now.
    Create(Item),
    /// An earlier attempt marked the item `opening` at `since_ms` and may have created the issue
    /// before its response was lost; the step looks for the marker before creating.
    SearchFirst {
        /// The item after marking it `opening`.
        item: Item,
        /// When the first attempt marked the item `opening`, epoch ms.
        since_ms: i64,
    },
    /// The issue is already recorded; the step returns it.
    AlreadyOpen(Item),
    /// The item belongs to another open attempt, or this attempt already failed.
    Stale {
        /// The attempt number on the item.
        current_attempt: u64,
    },
}

/// What the open step records after creating or finding the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedIssue<'a> {
    /// The item's key.
    pub fingerprint: &'a str,
    /// GitHub issue number.
    pub number: u64,
    /// GitHub issue URL.
    pub url: &'a str,
    /// The occurrence count the issue body shows.
    pub shown_occurrences: u64,
    /// The highest milestone at or below that count, so no comment repeats it.
    pub milestone: u64,
    /// The newest version when the issue opened.
    pub newest_version: Option<&'a str>,
}

impl Table {
    /// Marks the item `opening` for open attempt `attempt`, unless the issue is already open or
    /// another attempt owns the item.
    ///
    /// The first time the item becomes `opening` is kept in `opening_at` across attempts (a
    /// takeover after a failure removes `issue_state` but not `opening_at`), so any later
    /// attempt learns that an issue may exist and from when to look for it.
    pub async fn start_opening(&self, fingerprint: &str, attempt: u64, now_ms: i64) -> Result<OpenStart, StoreError> {
        self.count_write();
        let result = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("SET #issue_state = :opening, #opening_at = if_not_exists(#opening_at, :now)")
            .condition_expression(
                "attribute_exists(#fingerprint) AND #open_attempt = :attempt \
                 AND (attribute_not_exists(#issue_state) OR #issue_state = :opening)",
            )
            .expression_attribute_names("#fingerprint", attr::FINGERPRINT)
            .expression_attribute_names("#issue_state", attr::ISSUE_STATE)
            .expression_attribute_names("#opening_at", attr::OPENING_AT)
            .expression_attribute_names("#open_attempt", attr::OPEN_ATTEMPT)
            .expression_attribute_values(":opening", s(IssueState::Opening.as_str()))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":attempt", n(attempt))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;

        match unless_condition_failed("UpdateItem", fingerprint, result)? {
            Some(output) => {
                // The item as it was before this update shows whether an earlier attempt began.
                let attributes = output.attributes.unwrap_or_default();
                let mut item = Item::from_attributes(&attributes)?;
                let earlier = item.opening_at;
                item.issue_state = Some(IssueState::Opening);
                item.opening_at = Some(earlier.unwrap_or(now_ms));
                match earlier {
                    Some(since_ms) => Ok(OpenStart::SearchFirst { item, since_ms }),
                    None => Ok(OpenStart::Create(item)),
                }
            }
            None => {
                let item = self.get(fingerprint).await?.ok_or_else(|| StoreError::NotFound(fingerprint.to_owned()))?;
                if item.issue_state == Some(IssueState::Open) && item.issue_number.is_some() && item.issue_url.is_some() {
                    Ok(OpenStart::AlreadyOpen(item))
                } else {
                    Ok(OpenStart::Stale { current_attempt: item.open_attempt })
                }
            }
        }
    }

    /// Records the created or found issue and what its body shows. Returns false when the item
    /// already records a different issue, which the open protocol rules out.
    pub async fn record_opened(&self, opened: &OpenedIssue<'_>) -> Result<bool, StoreError> {
        let mut update = String::from(
            "SET #issue_state = :open, #issue_number = :number, #issue_url = :url, \
             #synced_occurrences = :shown, #last_milestone = :milestone",
        );
        if opened.newest_version.is_some() {
            update.push_str(", #announced_version = :version");
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(opened.fingerprint))
            .update_expression(update)
            .condition_expression("#issue_state = :opening OR (#issue_state = :open AND #issue_number = :number)")
            .expression_attribute_names("#issue_state", attr::ISSUE_STATE)
            .expression_attribute_names("#issue_number", attr::ISSUE_NUMBER)
            .expression_attribute_names("#issue_url", attr::ISSUE_URL)
            .expression_attribute_names("#synced_occurrences", attr::SYNCED_OCCURRENCES)
            .expression_attribute_names("#last_milestone", attr::LAST_MILESTONE)
            .expression_attribute_values(":open", s(IssueState::Open.as_str()))
            .expression_attribute_values(":opening", s(IssueState::Opening.as_str()))
            .expression_attribute_values(":number", n(opened.number))
            .expression_attribute_values(":url", s(opened.url))
            .expression_attribute_values(":shown", n(opened.shown_occurrences))
            .expression_attribute_values(":milestone", n(opened.milestone));
        if let Some(version) = opened.newest_version {
            request = request
                .expression_attribute_names("#announced_version", attr::ANNOUNCED_VERSION)
                .expression_attribute_values(":version", s(version));
        }
        self.send_conditional(opened.fingerprint, request).await
    }

    /// Records a permanent failure of open attempt `attempt`, so a later report can start a new
    /// attempt. Returns false when the issue is already open or a newer attempt owns the item.
    pub async fn record_open_failure(
        &self,
        fingerprint: &str,
        attempt: u64,
        failure_type: &str,
        failure_message: &str,
    ) -> Result<bool, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("SET #issue_state = :failed, #failure_type = :type, #failure_message = :message")
            .condition_expression(
                "#open_attempt = :attempt AND (attribute_not_exists(#issue_state) OR #issue_state = :opening)",
            )
            .expression_attribute_names("#issue_state", attr::ISSUE_STATE)
            .expression_attribute_names("#failure_type", attr::FAILURE_TYPE)
            .expression_attribute_names("#failure_message", attr::FAILURE_MESSAGE)
            .expression_attribute_names("#open_attempt", attr::OPEN_ATTEMPT)
            .expression_attribute_values(":failed", s(IssueState::Failed.as_str()))
            .expression_attribute_values(":opening", s(IssueState::Opening.as_str()))
            .expression_attribute_values(":type", s(failure_type))
            .expression_attribute_values(":message", s(failure_message))
            .expression_attribute_values(":attempt", n(attempt));
        self.send_conditional(fingerprint, request).await
    }

    /// Sends a conditional update: `Ok(true)` when it applied, `Ok(false)` when its condition
    /// did not hold.
    pub(crate) async fn send_conditional(&self, fingerprint: &str, request: UpdateItemFluentBuilder) -> Result<bool, StoreError> {
        self.count_write();
        Ok(unless_condition_failed("UpdateItem", fingerprint, request.send().await)?.is_some())
    }
}
