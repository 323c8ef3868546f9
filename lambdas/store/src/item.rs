//! The fingerprint item decoded into a typed struct.
//!
//! Decoding is strict about the attributes every item has (key, count, times) and lenient about
//! the ones that later steps add, which are `Option`s.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::{StoreError, attr};

/// Where the issue of a fingerprint stands, as the open step records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// The open step is creating the issue; a response may have been lost.
    Opening,
    /// The issue exists and its number and URL are recorded.
    Open,
    /// The open step failed permanently; a later report may start a new attempt.
    Failed,
}

impl IssueState {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Open => "open",
            Self::Failed => "failed",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "opening" => Some(Self::Opening),
            "open" => Some(Self::Open),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One fingerprint's item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Lowercase hex fingerprint.
    pub fingerprint: String,
    /// Occurrences counted so far.
    pub occurrences: u64,
    /// First report, epoch ms.
    pub first_seen: i64,
    /// Latest report, epoch ms.
    pub last_seen: i64,
    /// Repository of the first report.
    pub repo: String,
    /// Distinct reporting repositories (bounded).
    pub repos: BTreeSet<String>,
    /// Reports from repositories beyond the bound.
    pub repos_overflow: u64,
    /// Distinct reported versions (bounded).
    pub versions: BTreeSet<String>,
    /// Issue title.
    pub title: String,
    /// Detected language name.
    pub language: String,
    /// Scrubbed first report as JSON.
    pub sample: String,
    /// When the current open attempt was claimed, epoch ms.
    pub claimed_at: i64,
    /// Open attempt number.
    pub open_attempt: u64,
    /// ARN of the started open execution.
    pub execution_arn: Option<String>,
    /// Issue state recorded by the workflow.
    pub issue_state: Option<IssueState>,
    /// When the open step marked the item `opening`, epoch ms.
    pub opening_at: Option<i64>,
    /// GitHub issue number.
    pub issue_number: Option<u64>,
    /// GitHub issue URL.
    pub issue_url: Option<String>,
    /// Error type of a permanent open failure.
    pub failure_type: Option<String>,
    /// Message of a permanent open failure.
    pub failure_message: Option<String>,
    /// Whether a sync loop owns the item.
    pub sync_active: bool,
    /// Sync generation.
    pub sync_generation: u64,
    /// When the current sync generation was claimed, epoch ms.
    pub sync_claimed_at: Option<i64>,
    /// ARN of the started sync execution.
    pub sync_execution_arn: Option<String>,
    /// Count last written to the issue.
    pub synced_occurrences: u64,
    /// Highest milestone announced.
    pub last_milestone: u64,
    /// `completed` or `not_planned` when the issue was seen closed.
    pub closed_reason: Option<String>,
    /// Count when the issue was seen closed.
    pub closed_at_occurrences: Option<u64>,
    /// Newest version when the issue was seen closed.
    pub closed_version: Option<String>,
    /// Newest version already announced on the issue.
    pub announced_version: Option<String>,
}

type Attributes = HashMap<String, AttributeValue>;

impl Item {
    /// Decodes an item read from the table.
    pub fn from_attributes(attributes: &Attributes) -> Result<Self, StoreError> {
        let fingerprint = match attributes.get(attr::FINGERPRINT) {
            Some(AttributeValue::S(value)) => value.clone(),
            _ => {
                return Err(StoreError::Corrupt {
                    fingerprint: "<unknown>".to_owned(),
                    attribute: attr::FINGERPRINT,
                    reason: "missing or not a string".to_owned(),
                });
            }
        };
        let decoder = Decoder { attributes, fingerprint: &fingerprint };

        let issue_state = match decoder.optional_string(attr::ISSUE_STATE)? {
            None => None,
            Some(value) => Some(IssueState::parse(&value).ok_or_else(|| {
                decoder.corrupt(attr::ISSUE_STATE, format!("unknown state {value:?}"))
            })?),
        };

        Ok(Self {
            occurrences: decoder.number(attr::OCCURRENCES)?,
            first_seen: decoder.number(attr::FIRST_SEEN)?,
            last_seen: decoder.number(attr::LAST_SEEN)?,
            repo: decoder.string(attr::REPO)?,
            repos: decoder.string_set(attr::REPOS)?,
            repos_overflow: decoder.optional_number(attr::REPOS_OVERFLOW)?.unwrap_or(0),
            versions: decoder.string_set(attr::VERSIONS)?,
            title: decoder.string(attr::TITLE)?,
            language: decoder.optional_string(attr::LANGUAGE)?.unwrap_or_default(),
            sample: decoder.string(attr::SAMPLE)?,
            claimed_at: decoder.number(attr::CLAIMED_AT)?,
            open_attempt: decoder.optional_number(attr::OPEN_ATTEMPT)?.unwrap_or(0),
            execution_arn: decoder.optional_string(attr::EXECUTION_ARN)?,
            issue_state,
            opening_at: decoder.optional_number(attr::OPENING_AT)?,
            issue_number: decoder.optional_number(attr::ISSUE_NUMBER)?,
            issue_url: decoder.optional_string(attr::ISSUE_URL)?,
            failure_type: decoder.optional_string(attr::FAILURE_TYPE)?,
            failure_message: decoder.optional_string(attr::FAILURE_MESSAGE)?,
            sync_active: decoder.optional_bool(attr::SYNC_ACTIVE)?.unwrap_or(false),
            sync_generation: decoder.optional_number(attr::SYNC_GENERATION)?.unwrap_or(0),
            sync_claimed_at: decoder.optional_number(attr::SYNC_CLAIMED_AT)?,
            sync_execution_arn: decoder.optional_string(attr::SYNC_EXECUTION_ARN)?,
            synced_occurrences: decoder.optional_number(attr::SYNCED_OCCURRENCES)?.unwrap_or(0),
            last_milestone: decoder.optional_number(attr::LAST_MILESTONE)?.unwrap_or(0),
            closed_reason: decoder.optional_string(attr::CLOSED_REASON)?,
            closed_at_occurrences: decoder.optional_number(attr::CLOSED_AT_OCCURRENCES)?,
            closed_version: decoder.optional_string(attr::CLOSED_VERSION)?,
            announced_version: decoder.optional_string(attr::ANNOUNCED_VERSION)?,
            fingerprint,
        })
    }
}

/// Reads typed attributes of one item and names the item and attribute in every error.
struct Decoder<'a> {
    attributes: &'a Attributes,
    fingerprint: &'a str,
}

impl Decoder<'_> {
    fn corrupt(&self, attribute: &'static str, reason: String) -> StoreError {
        StoreError::Corrupt { fingerprint: self.fingerprint.to_owned(), attribute, reason }
    }

    fn optional_string(&self, name: &'static str) -> Result<Option<String>, StoreError> {
        match self.attributes.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
            Some(other) => Err(self.corrupt(name, format!("expected a string, found {other:?}"))),
        }
    }

    fn string(&self, name: &'static str) -> Result<String, StoreError> {
        self.optional_string(name)?.ok_or_else(|| self.corrupt(name, "missing".to_owned()))
    }

    fn optional_number<T: std::str::FromStr>(&self, name: &'static str) -> Result<Option<T>, StoreError> {
        match self.attributes.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(value)) => value
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(name, format!("{value:?} is not a valid number here"))),
            Some(other) => Err(self.corrupt(name, format!("expected a number, found {other:?}"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, name: &'static str) -> Result<T, StoreError> {
        self.optional_number(name)?.ok_or_else(|| self.corrupt(name, "missing".to_owned()))
    }

    fn optional_bool(&self, name: &'static str) -> Result<Option<bool>, StoreError> {
        match self.attributes.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
            Some(other) => Err(self.corrupt(name, format!("expected a boolean, found {other:?}"))),
        }
    }

    /// A string set; DynamoDB cannot store an empty set, so a missing one is empty.
    fn string_set(&self, name: &'static str) -> Result<BTreeSet<String>, StoreError> {
        match self.attributes.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(BTreeSet::new()),
            Some(AttributeValue::Ss(values)) => Ok(values.iter().cloned().collect()),
            Some(other) => Err(self.corrupt(name, format!("expected a string set, found {other:?}"))),
        }
    }
}
