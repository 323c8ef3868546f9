//! GitHub issues client for tally's workflow functions, built on octocrab.
//!
//! It calls only the endpoints the workflow needs (issues create, get, update and list; comments
//! create and list), decodes only the fields tally reads, and turns every failure into a
//! [`GitHubError`] whose [`GitHubError::error_type`] is one of the stable names in
//! [`tally_core::error_type`] that the state machine retries or catches.

pub mod client;
pub mod config;
pub mod error;
pub mod model;
pub mod settings;

pub use client::IssuesClient;
pub use config::{ClientConfig, Credentials, Repository};
pub use error::GitHubError;
pub use settings::{CredentialSource, GitHubSettings};
pub use model::{CloseReason, Comment, Issue, IssueState, IssueUpdate, NewIssue};
