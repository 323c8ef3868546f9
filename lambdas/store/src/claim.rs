//! The ingest side of the item: claim a new fingerprint, count a duplicate, and the conditional
//! takeovers that restart work a crashed or failed step left behind.
//!
//! Each takeover is one conditional `UpdateItem` whose condition restates what the caller saw, so
//! among any number of concurrent callers exactly one wins and the others see `false`.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::condition::unless_condition_failed;
use crate::{IssueState, Item, StoreError, Table, attr};

/// Everything the first report of a fingerprint stores.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    /// Lowercase hex fingerprint.
    pub fingerprint: &'a str,
    /// Reporting repository, `owner/name`.
    pub repo: &'a str,
    /// Reported version, when given.
    pub version: Option<&'a str>,
    /// Rendered issue title.
    pub title: &'a str,
    /// Detected language name.
    pub language: &'a str,
    /// Scrubbed report as JSON.
    pub sample: &'a str,
    /// Time of this report, epoch ms.
    pub now_ms: i64,
}

/// A report of a fingerprint that already has an item.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence<'a> {
    /// Lowercase hex fingerprint.
    pub fingerprint: &'a str,
    /// Reporting repository.
    pub repo: &'a str,
    /// Reported version, when given.
    pub version: Option<&'a str>,
    /// Time of this report, epoch ms.
    pub now_ms: i64,
}

/// Result of [`Table::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This report created the item and must start the open execution.
    Won,
    /// The item already existed; count this report with [`Table::count_occurrence`].
    Lost,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn expires_at(now_ms: i64) -> AttributeValue {
    n(now_ms / 1000 + attr::TTL_DAYS * 24 * 60 * 60)
}

impl Table {
    /// Reads the item of `fingerprint` with a strongly consistent read.
    pub async fn get(&self, fingerprint: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| StoreError::dynamodb("GetItem", fingerprint, error))?;

        output.item.as_ref().map(Item::from_attributes).transpose()
    }

    /// Creates the item unless it exists: the first writer of a fingerprint wins.
    pub async fn claim(&self, new: &NewItem<'_>) -> Result<Claim, StoreError> {
        let mut item = HashMap::from([
            (attr::FINGERPRINT.to_owned(), s(new.fingerprint)),
            (attr::OCCURRENCES.to_owned(), n(1)),
            (attr::FIRST_SEEN.to_owned(), n(new.now_ms)),
            (attr::LAST_SEEN.to_owned(), n(new.now_ms)),
            (attr::REPO.to_owned(), s(new.repo)),
            (attr::REPOS.to_owned(), AttributeValue::Ss(vec![new.repo.to_owned()])),
            (attr::TITLE.to_owned(), s(new.title)),
            (attr::LANGUAGE.to_owned(), s(new.language)),
            (attr::SAMPLE.to_owned(), s(new.sample)),
            (attr::CLAIMED_AT.to_owned(), n(new.now_ms)),
            (attr::OPEN_ATTEMPT.to_owned(), n(0)),
            (attr::SYNC_ACTIVE.to_owned(), AttributeValue::Bool(true)),
            (attr::SYNC_GENERATION.to_owned(), n(0)),
            (attr::EXPIRES_AT.to_owned(), expires_at(new.now_ms)),
        ]);
        if let Some(version) = new.version {
            item.insert(attr::VERSIONS.to_owned(), AttributeValue::Ss(vec![version.to_owned()]));
        }

        self.count_write();
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#fingerprint)")
            .expression_attribute_names("#fingerprint", attr::FINGERPRINT)
            .send()
            .await;

        match unless_condition_failed("PutItem", new.fingerprint, result)? {
            Some(_) => Ok(Claim::Won),
            None => Ok(Claim::Lost),
        }
    }

    /// Counts one more occurrence and returns the item as it is after the update.
    ///
    /// The repository and version join their sets while the sets have room. When the version set
    /// is full, a second write counts the report with its repository only. When the repository
    /// set is full too, a third write counts it in `repos_overflow`. Returns [`StoreError::NotFound`]
    /// when the item does not exist (for example after its TTL expired), so the caller claims it
    /// anew.
    pub async fn count_occurrence(&self, occurrence: &Occurrence<'_>) -> Result<Item, StoreError> {
        let fingerprint = occurrence.fingerprint;

        if occurrence.version.is_some()
            && let Some(item) = self.count_with_sets(occurrence, occurrence.version).await?
        {
            return Ok(item);
        }
        if let Some(item) = self.count_with_sets(occurrence, None).await? {
            return Ok(item);
        }

        // The repository set is full and does not hold this repository, or the item is gone.
        self.count_write();
        let result = self
            .counting_update(occurrence)
            .update_expression(
                "ADD #occurrences :one, #repos_overflow :one \
                 SET #last_seen = :now, #expires_at = :expires_at",
            )
            .expression_attribute_names("#repos_overflow", attr::REPOS_OVERFLOW)
            .condition_expression("attribute_exists(#fingerprint)")
            .send()
            .await;
        match unless_condition_failed("UpdateItem", fingerprint, result)? {
            Some(output) => decode_updated(fingerprint, output.attributes),
            None => Err(StoreError::NotFound(fingerprint.to_owned())),
        }
    }

    /// Counts the occurrence and adds its repository, and `version` when given, to their sets.
    /// Returns `None` without writing anything when a set is full and lacks the value, or when
    /// the item does not exist.
    async fn count_with_sets(&self, occurrence: &Occurrence<'_>, version: Option<&str>) -> Result<Option<Item>, StoreError> {
        let fingerprint = occurrence.fingerprint;
        let mut add = vec!["#occurrences :one", "#repos :repo"];
        let mut condition = vec![
            "attribute_exists(#fingerprint)",
            "(contains(#repos, :repo_name) OR size(#repos) < :max_repos)",
        ];
        let mut request = self
            .counting_update(occurrence)
            .expression_attribute_names("#repos", attr::REPOS)
            .expression_attribute_values(":repo", AttributeValue::Ss(vec![occurrence.repo.to_owned()]))
            .expression_attribute_values(":repo_name", s(occurrence.repo))
            .expression_attribute_values(":max_repos", n(attr::MAX_REPOS));
        if let Some(version) = version {
            add.push("#versions :version");
            condition.push(
                "(attribute_not_exists(#versions) OR contains(#versions, :version_name) \
                 OR size(#versions) < :max_versions)",
            );
            request = request
                .expression_attribute_names("#versions", attr::VERSIONS)
                .expression_attribute_values(":version", AttributeValue::Ss(vec![version.to_owned()]))
                .expression_attribute_values(":version_name", s(version))
                .expression_attribute_values(":max_versions", n(attr::MAX_VERSIONS));
        }
        let request = request
            .update_expression(format!(
                "ADD {} SET #last_seen = :now, #expires_at = :expires_at",
                add.join(", ")
            ))
            .condition_expression(condition.join(" AND "));

        self.count_write();
        unless_condition_failed("UpdateItem", fingerprint, request.send().await)?
            .map(|output| decode_updated(fingerprint, output.attributes))
            .transpose()
    }

    /// Builds the parts shared by every counting update.
    fn counting_update(&self, occurrence: &Occurrence<'_>) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(occurrence.fingerprint))
            .expression_attribute_names("#fingerprint", attr::FINGERPRINT)
            .expression_attribute_names("#occurrences", attr::OCCURRENCES)
            .expression_attribute_names("#last_seen", attr::LAST_SEEN)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(occurrence.now_ms))
            .expression_attribute_values(":expires_at", expires_at(occurrence.now_ms))
            .return_values(ReturnValue::AllNew)
    }

    /// Records the ARN of the started open execution.
    pub async fn record_execution(&self, fingerprint: &str, arn: &str) -> Result<(), StoreError> {
        self.set_if_exists(fingerprint, attr::EXECUTION_ARN, arn).await
    }

    /// Records the ARN of the started sync execution.
    pub async fn record_sync_execution(&self, fingerprint: &str, arn: &str) -> Result<(), StoreError> {
        self.set_if_exists(fingerprint, attr::SYNC_EXECUTION_ARN, arn).await
    }

    async fn set_if_exists(&self, fingerprint: &str, name: &str, value: &str) -> Result<(), StoreError> {
        self.count_write();
        self.client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("SET #name = :value")
            .condition_expression("attribute_exists(#fingerprint)")
            .expression_attribute_names("#fingerprint", attr::FINGERPRINT)
            .expression_attribute_names("#name", name)
            .expression_attribute_values(":value", s(value))
            .send()
            .await
            .map_err(|error| StoreError::dynamodb("UpdateItem", fingerprint, error))?;
        Ok(())
    }

    /// Undoes a claim whose open execution could not be started, so the client's retry of the
    /// same report counts once and starts the execution itself.
    ///
    /// The item is deleted while this report is its only occurrence. When duplicates arrived in
    /// the meantime, their counts stay: this report's occurrence is subtracted and the claim is
    /// marked stale (`claimed_at` = 0) so the next report takes it over at once. Both writes are
    /// conditional on the claim still being `claimed_at` and unstarted, so they never undo a
    /// takeover by another caller.
    pub async fn abandon_claim(&self, fingerprint: &str, claimed_at: i64) -> Result<(), StoreError> {
        self.count_write();
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .condition_expression(
                "#occurrences = :one AND #claimed_at = :claimed_at AND attribute_not_exists(#execution_arn)",
            )
            .expression_attribute_names("#occurrences", attr::OCCURRENCES)
            .expression_attribute_names("#claimed_at", attr::CLAIMED_AT)
            .expression_attribute_names("#execution_arn", attr::EXECUTION_ARN)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":claimed_at", n(claimed_at))
            .send()
            .await;
        if unless_condition_failed("DeleteItem", fingerprint, deleted)?.is_some() {
            return Ok(());
        }

        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(fingerprint))
            .update_expression("ADD #occurrences :minus_one SET #claimed_at = :stale")
            .condition_expression("#claimed_at = :claimed_at AND attribute_not_exists(#execution_arn)")
            .expression_attribute_names("#occurrences", attr::OCCURRENCES)
            .expression_attribute_names("#claimed_at", attr::CLAIMED_AT)
            .expression_attribute_names("#execution_arn", attr::EXECUTION_ARN)
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":stale", n(0))
            .expression_attribute_values(":claimed_at", n(claimed_at));
        self.conditional(fingerprint, request).await?;
        Ok(())
    }

    /// Takes over an open claim whose winner never recorded a started execution, when the claim
    /// is older than `lease_ms`. Returns whether this caller won the takeover.
    pub async fn take_over_stale_claim(&self, item: &Item, now_ms: i64, lease_ms: i64) -> Result<bool, StoreError> {
        if item.execution_arn.is_some() || now_ms - item.claimed_at < lease_ms {
            return Ok(false);
        }

        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(&item.fingerprint))
            .update_expression("SET #claimed_at = :now")
            .condition_expression("#claimed_at = :seen AND attribute_not_exists(#execution_arn)")
            .expression_attribute_names("#claimed_at", attr::CLAIMED_AT)
            .expression_attribute_names("#execution_arn", attr::EXECUTION_ARN)
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":seen", n(item.claimed_at));
        self.conditional(&item.fingerprint, request).await
    }

    /// Starts a new open attempt after a permanent failure was recorded. Returns the new attempt
    /// number when this caller won, `None` when the item is not failed or another caller won.
    pub async fn retry_failed_open(&self, item: &Item, now_ms: i64) -> Result<Option<u64>, StoreError> {
        if item.issue_state != Some(IssueState::Failed) {
            return Ok(None);
        }

        let attempt = item.open_attempt + 1;
        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(&item.fingerprint))
            .update_expression(
                "SET #open_attempt = :attempt, #claimed_at = :now \
                 REMOVE #execution_arn, #issue_state, #failure_type, #failure_message",
            )
            .condition_expression("#issue_state = :failed AND #open_attempt = :seen_attempt")
            .expression_attribute_names("#open_attempt", attr::OPEN_ATTEMPT)
            .expression_attribute_names("#claimed_at", attr::CLAIMED_AT)
            .expression_attribute_names("#execution_arn", attr::EXECUTION_ARN)
            .expression_attribute_names("#issue_state", attr::ISSUE_STATE)
            .expression_attribute_names("#failure_type", attr::FAILURE_TYPE)
            .expression_attribute_names("#failure_message", attr::FAILURE_MESSAGE)
            .expression_attribute_values(":attempt", n(attempt))
            .expression_attribute_values(":seen_attempt", n(item.open_attempt))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":failed", s(IssueState::Failed.as_str()));
        Ok(self.conditional(&item.fingerprint, request).await?.then_some(attempt))
    }

    /// Resumes the sync loop of an open issue whose loop has ended. Returns the new sync
    /// generation when this caller won, `None` when a loop is running or another caller won.
    pub async fn resume_sync(&self, item: &Item, now_ms: i64) -> Result<Option<u64>, StoreError> {
        if item.issue_state != Some(IssueState::Open) || item.sync_active {
            return Ok(None);
        }

        let generation = item.sync_generation + 1;
        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(&item.fingerprint))
            .update_expression(
                "SET #sync_active = :true, #sync_generation = :generation, \
                 #sync_claimed_at = :now REMOVE #sync_execution_arn",
            )
            .condition_expression("#sync_active = :false AND #sync_generation = :seen_generation")
            .expression_attribute_names("#sync_active", attr::SYNC_ACTIVE)
            .expression_attribute_names("#sync_generation", attr::SYNC_GENERATION)
            .expression_attribute_names("#sync_claimed_at", attr::SYNC_CLAIMED_AT)
            .expression_attribute_names("#sync_execution_arn", attr::SYNC_EXECUTION_ARN)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":generation", n(generation))
            .expression_attribute_values(":seen_generation", n(item.sync_generation))
            .expression_attribute_values(":now", n(now_ms));
        Ok(self.conditional(&item.fingerprint, request).await?.then_some(generation))
    }

    /// Takes over a resumed sync whose winner never recorded a started execution, when its claim
    /// is older than `lease_ms`. Returns whether this caller won.
    pub async fn take_over_stale_sync(&self, item: &Item, now_ms: i64, lease_ms: i64) -> Result<bool, StoreError> {
        let Some(claimed_at) = item.sync_claimed_at else {
            return Ok(false);
        };
        if !item.sync_active || item.sync_execution_arn.is_some() || now_ms - claimed_at < lease_ms {
            return Ok(false);
        }

        let request = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(attr::FINGERPRINT, s(&item.fingerprint))
            .update_expression("SET #sync_claimed_at = :now")
            .condition_expression(
                "#sync_claimed_at = :seen AND #sync_generation = :generation \
                 AND attribute_not_exists(#sync_execution_arn)",
            )
            .expression_attribute_names("#sync_claimed_at", attr::SYNC_CLAIMED_AT)
            .expression_attribute_names("#sync_generation", attr::SYNC_GENERATION)
            .expression_attribute_names("#sync_execution_arn", attr::SYNC_EXECUTION_ARN)
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":seen", n(claimed_at))
            .expression_attribute_values(":generation", n(item.sync_generation));
        self.conditional(&item.fingerprint, request).await
    }

    /// Sends a conditional update: `Ok(true)` when it applied, `Ok(false)` when its condition
    /// failed because another caller changed the item first.
    async fn conditional(&self, fingerprint: &str, request: UpdateItemFluentBuilder) -> Result<bool, StoreError> {
        self.count_write();
        Ok(unless_condition_failed("UpdateItem", fingerprint, request.send().await)?.is_some())
    }
}

fn decode_updated(
    fingerprint: &str,
    attributes: Option<HashMap<String, AttributeValue>>,
) -> Result<Item, StoreError> {
    let attributes = attributes.ok_or_else(|| StoreError::Corrupt {
        fingerprint: fingerprint.to_owned(),
        attribute: attr::FINGERPRINT,
        reason: "UpdateItem returned no attributes".to_owned(),
    })?;
    Item::from_attributes(&attributes)
}
