//! The report contract: what clients POST, how it is validated, and the normalized [`Report`].
//!
//! Two JSON shapes are accepted and map to the same [`Report`]: the native shape (`repo`, `error`,
//! optional `run_url`, `title`, `fingerprint`, `version`, `context`) and TagBot's shape (`image`,
//! `repo`, `run`, `stacktrace`, optional `version` and `manual_intervention_url`), so TagBot users
//! only change the URL they post to. Unknown fields are accepted and ignored, so clients can add
//! fields before the server knows them. An optional field sent as `null` or `""` counts as absent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::scrub::scrub;

/// Maximum size of the error text (`error` or `stacktrace`), in bytes: 64 KiB.
pub const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Maximum size of a whole JSON body, in bytes: 128 KiB. The ingest function rejects larger bodies
/// before parsing them. It leaves room for JSON escaping of a full-size error text.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

/// Maximum size of `title`, in bytes.
pub const MAX_TITLE_BYTES: usize = 256;

/// Maximum size of the client `fingerprint` key, in bytes.
pub const MAX_FINGERPRINT_BYTES: usize = 256;

/// Maximum size of `version`, in bytes.
pub const MAX_VERSION_BYTES: usize = 128;

/// Maximum size of TagBot's `image`, in bytes.
pub const MAX_IMAGE_BYTES: usize = 256;

/// Maximum size of a URL field (`run_url`, `run`, `manual_intervention_url`), in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// Maximum number of `context` entries.
pub const MAX_CONTEXT_ENTRIES: usize = 32;

/// Maximum size of one `context` key, in bytes. Keys are `[A-Za-z0-9_.-]`.
pub const MAX_CONTEXT_KEY_BYTES: usize = 64;

/// Maximum size of one `context` value, in bytes.
pub const MAX_CONTEXT_VALUE_BYTES: usize = 1024;

/// Maximum length of a GitHub owner (user or organization) name.
const MAX_OWNER_CHARS: usize = 39;

/// Maximum length of a GitHub repository name.
const MAX_REPO_NAME_CHARS: usize = 100;

/// A validated error report. Both accepted JSON shapes map to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The reporting repository, `owner/name`.
    pub repo: String,
    /// The stack trace or error message (`error`, or TagBot's `stacktrace`).
    pub error: String,
    /// GitHub Actions run that failed (`run_url`, or TagBot's `run`): an https URL on github.com.
    pub run_url: Option<String>,
    /// Issue title chosen by the client, used instead of the computed one.
    pub title: Option<String>,
    /// Client-chosen grouping key. When present it replaces the computed fingerprint.
    pub fingerprint: Option<String>,
    /// Version of the reporting software.
    pub version: Option<String>,
    /// Small flat map of extra facts shown on the issue.
    pub context: BTreeMap<String, String>,
    /// TagBot's Docker image.
    pub image: Option<String>,
    /// TagBot's link to the issue that asks the user for manual intervention.
    pub manual_intervention_url: Option<String>,
}

/// Why a body is not a valid report. [`ReportError::field`] names the JSON field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("report body is {size} bytes, over the limit of {limit} bytes")]
    BodyTooLarge {
        /// Size of the body, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },

    /// The body is not valid UTF-8.
    #[error("report body is not valid UTF-8 (first invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },

    /// The body is not JSON.
    #[error("report body is not valid JSON: {message}")]
    InvalidJson {
        /// The parser's message, with line and column.
        message: String,
    },

    /// The body is JSON but not an object.
    #[error("report body must be a JSON object")]
    NotAnObject,

    /// A required field is missing.
    #[error("missing required field `{field}`")]
    Missing {
        /// The JSON field.
        field: &'static str,
    },

    /// A field is empty or contains only whitespace.
    #[error("field `{field}` is empty")]
    Empty {
        /// The JSON field.
        field: &'static str,
    },

    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The JSON field.
        field: &'static str,
        /// The expected JSON type, e.g. "a string".
        expected: &'static str,
    },

    /// A text field is over its size limit.
    #[error("field `{field}` is {size} bytes, over the limit of {limit} bytes")]
    TooLong {
        /// The JSON field.
        field: &'static str,
        /// Size of the value, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },

    /// Both shapes' names for the same value were sent.
    #[error("fields `{field}` and `{other}` must not both be set")]
    Conflict {
        /// The JSON field reported as at fault.
        field: &'static str,
        /// The other field that carries the same value.
        other: &'static str,
    },

    /// `repo` is not `owner/name`.
    #[error("field `repo` must be `owner/name` with a valid GitHub owner and repository name, got {value:?}")]
    InvalidRepo {
        /// The rejected value, shortened.
        value: String,
    },

    /// A URL field is not an acceptable GitHub URL.
    #[error("field `{field}` is not an acceptable URL: {reason}")]
    InvalidUrl {
        /// The JSON field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `context` has too many entries.
    #[error("field `context` has {count} entries, over the limit of {limit}")]
    TooManyContextEntries {
        /// Number of entries sent.
        count: usize,
        /// The limit.
        limit: usize,
    },

    /// A `context` key is empty, too long or uses characters outside `[A-Za-z0-9_.-]`.
    #[error(
        "field `context` has an invalid key {key:?}: keys are 1 to {limit} bytes of [A-Za-z0-9_.-]"
    )]
    InvalidContextKey {
        /// The rejected key, shortened.
        key: String,
        /// The key size limit, in bytes.
        limit: usize,
    },

    /// A `context` value is not a string or is too long.
    #[error("field `context` entry {key:?} must be a string of at most {limit} bytes")]
    InvalidContextValue {
        /// The entry's key.
        key: String,
        /// The value size limit, in bytes.
        limit: usize,
    },
}

impl ReportError {
    /// The JSON field at fault, or `None` when the body as a whole is invalid.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BodyTooLarge { .. }
            | Self::InvalidUtf8 { .. }
            | Self::InvalidJson { .. }
            | Self::NotAnObject => None,
            Self::Missing { field }
            | Self::Empty { field }
            | Self::WrongType { field, .. }
            | Self::TooLong { field, .. }
            | Self::Conflict { field, .. }
            | Self::InvalidUrl { field, .. } => Some(field),
            Self::InvalidRepo { .. } => Some("repo"),
            Self::TooManyContextEntries { .. }
            | Self::InvalidContextKey { .. }
            | Self::InvalidContextValue { .. } => Some("context"),
        }
    }
}

impl Report {
    /// Parses and validates a JSON body in either accepted shape.
    ///
    /// Rejects bodies over [`MAX_BODY_BYTES`], invalid UTF-8, non-objects, and any field that breaks
    /// the limits documented on this module's constants. Unknown fields are ignored.
    pub fn from_json(body: &[u8]) -> Result<Report, ReportError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ReportError::BodyTooLarge { size: body.len(), limit: MAX_BODY_BYTES });
        }

        let text = std::str::from_utf8(body)
            .map_err(|error| ReportError::InvalidUtf8 { offset: error.valid_up_to() })?;

        let value: Value = serde_json::from_str(text)
            .map_err(|error| ReportError::InvalidJson { message: error.to_string() })?;
        let Value::Object(object) = value else {
            return Err(ReportError::NotAnObject);
        };

        Self::from_object(&object)
    }

    /// Validates an already parsed JSON object.
    fn from_object(object: &Map<String, Value>) -> Result<Report, ReportError> {
        let repo = required_string(object, "repo", MAX_OWNER_CHARS + 1 + MAX_REPO_NAME_CHARS)?;
        validate_repo(&repo)?;

        let error = pick_one(object, "error", "stacktrace", MAX_ERROR_BYTES)?
            .ok_or(ReportError::Missing { field: "error" })?;
        if error.trim().is_empty() {
            return Err(ReportError::Empty { field: field_name(object, "error", "stacktrace") });
        }

        let run_url = pick_one(object, "run_url", "run", MAX_URL_BYTES)?;
        if let Some(url) = &run_url {
            validate_github_url(url, field_name(object, "run_url", "run"), UrlKind::ActionsRun)?;
        }

        let manual_intervention_url =
            optional_string(object, "manual_intervention_url", MAX_URL_BYTES)?;
        if let Some(url) = &manual_intervention_url {
            validate_github_url(url, "manual_intervention_url", UrlKind::IssueOrPull)?;
        }

        Ok(Report {
            repo,
            error,
            run_url,
            title: optional_string(object, "title", MAX_TITLE_BYTES)?,
            fingerprint: optional_string(object, "fingerprint", MAX_FINGERPRINT_BYTES)?,
            version: optional_string(object, "version", MAX_VERSION_BYTES)?,
            context: context(object)?,
            image: optional_string(object, "image", MAX_IMAGE_BYTES)?,
            manual_intervention_url,
        })
    }

    /// Scrubs secrets from every free-text field with [`scrub`].
    ///
    /// URL fields are not scrubbed: validation already rejects URLs that carry credentials.
    pub fn scrubbed(self) -> Report {
        let scrub_owned = |text: String| scrub(&text).into_owned();
        Report {
            repo: self.repo,
            error: scrub_owned(self.error),
            run_url: self.run_url,
            title: self.title.map(scrub_owned),
            fingerprint: self.fingerprint.map(scrub_owned),
            version: self.version.map(scrub_owned),
            context: self.context.into_iter().map(|(key, value)| (key, scrub_owned(value))).collect(),
            image: self.image.map(scrub_owned),
            manual_intervention_url: self.manual_intervention_url,
        }
    }
}

/// Name of whichever of two alternative fields the client sent, for error messages.
fn field_name(object: &Map<String, Value>, native: &'static str, tagbot: &'static str) -> &'static str {
    if object.contains_key(native) || !object.contains_key(tagbot) { native } else { tagbot }
}

/// Reads a value that has a native and a TagBot name; sending both is a conflict.
fn pick_one(
    object: &Map<String, Value>,
    native: &'static str,
    tagbot: &'static str,
    limit: usize,
) -> Result<Option<String>, ReportError> {
    let native_value = optional_string(object, native, limit)?;
    let tagbot_value = optional_string(object, tagbot, limit)?;
    match (native_value, tagbot_value) {
        (Some(_), Some(_)) => Err(ReportError::Conflict { field: tagbot, other: native }),
        (Some(value), None) | (None, Some(value)) => Ok(Some(value)),
        (None, None) => Ok(None),
    }
}

/// Reads a required string field.
fn required_string(
    object: &Map<String, Value>,
    field: &'static str,
    limit: usize,
) -> Result<String, ReportError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(ReportError::Missing { field }),
        Some(_) => optional_string(object, field, limit)?.ok_or(ReportError::Empty { field }),
    }
}

/// Reads an optional string field: absent, `null` and `""` all give `None`.
fn optional_string(
    object: &Map<String, Value>,
    field: &'static str,
    limit: usize,
) -> Result<Option<String>, ReportError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) if text.len() > limit => {
            Err(ReportError::TooLong { field, size: text.len(), limit })
        }
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ReportError::WrongType { field, expected: "a string" }),
    }
}

/// Reads `context`: a flat object of string values with limited keys and sizes.
fn context(object: &Map<String, Value>) -> Result<BTreeMap<String, String>, ReportError> {
    let entries = match object.get("context") {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err(ReportError::WrongType { field: "context", expected: "an object" }),
    };

    if entries.len() > MAX_CONTEXT_ENTRIES {
        return Err(ReportError::TooManyContextEntries {
            count: entries.len(),
            limit: MAX_CONTEXT_ENTRIES,
        });
    }

    let mut context = BTreeMap::new();
    for (key, value) in entries {
        let key_is_valid = !key.is_empty()
            && key.len() <= MAX_CONTEXT_KEY_BYTES
            && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte));
        if !key_is_valid {
            return Err(ReportError::InvalidContextKey {
                key: shorten(key),
                limit: MAX_CONTEXT_KEY_BYTES,
            });
        }

        let invalid_value =
            || ReportError::InvalidContextValue { key: key.clone(), limit: MAX_CONTEXT_VALUE_BYTES };
        let Value::String(value) = value else {
            return Err(invalid_value());
        };
        if value.len() > MAX_CONTEXT_VALUE_BYTES {
            return Err(invalid_value());
        }

        context.insert(key.clone(), value.clone());
    }
    Ok(context)
}

/// Checks `owner/name` against GitHub's naming rules.
fn validate_repo(repo: &str) -> Result<(), ReportError> {
    let invalid = || ReportError::InvalidRepo { value: shorten(repo) };
    let (owner, name) = repo.split_once('/').ok_or_else(invalid)?;

    let owner_is_valid = !owner.is_empty()
        && owner.len() <= MAX_OWNER_CHARS
        && owner.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && !owner.starts_with('-')
        && !owner.ends_with('-');
    let name_is_valid = !name.is_empty()
        && name.len() <= MAX_REPO_NAME_CHARS
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte))
        && name != "."
        && name != "..";

    if owner_is_valid && name_is_valid { Ok(()) } else { Err(invalid()) }
}

/// What a GitHub URL field must point at.
#[derive(Clone, Copy)]
enum UrlKind {
    /// `/<owner>/<repo>/actions/...`: a workflow run, job or the Actions tab.
    ActionsRun,
    /// `/<owner>/<repo>/issues/<n>` or `/<owner>/<repo>/pull/<n>`.
    IssueOrPull,
}

/// Checks that a URL is https on github.com, carries no credentials, and points at `kind`.
fn validate_github_url(text: &str, field: &'static str, kind: UrlKind) -> Result<(), ReportError> {
    let invalid = |reason| ReportError::InvalidUrl { field, reason };
    let url = url::Url::parse(text).map_err(|_| invalid("it is not an absolute URL"))?;

    if url.scheme() != "https" {
        return Err(invalid("it must use https"));
    }
    if url.host_str() != Some("github.com") || url.port().is_some() {
        return Err(invalid("its host must be github.com"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain credentials"));
    }

    let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
    let repo_is_valid = segments.len() >= 2 && validate_repo(&format!("{}/{}", segments[0], segments[1])).is_ok();
    let rest = segments.get(2..).unwrap_or_default();
    match kind {
        UrlKind::ActionsRun if !repo_is_valid || rest.first() != Some(&"actions") => {
            Err(invalid("it must be a GitHub Actions URL: https://github.com/<owner>/<repo>/actions/runs/<id>"))
        }
        UrlKind::IssueOrPull
            if !repo_is_valid
                || !matches!(rest, ["issues" | "pull", number] if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Err(invalid("it must be an issue or pull request URL: https://github.com/<owner>/<repo>/issues/<number>"))
        }
        _ => Ok(()),
    }
}

/// Shortens a rejected value for an error message.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(MAX_CHARS).collect();
    short.push('…');
    short
}
