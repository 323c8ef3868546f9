//! The DynamoDB item that tracks one fingerprint, and every conditional write on it.
//!
//! One item per fingerprint holds the occurrence count, the scrubbed sample report, the state of
//! the execution that opens the issue, the issue itself and the sync loop that keeps its count.
//! Every decision that must happen exactly once (who starts the workflow, who takes over a stale
//! claim, who resumes the sync loop) is a conditional write here, so the table is the only lock.

pub mod attr;
pub mod claim;
mod condition;
pub mod error;
pub mod issue;
pub mod item;
pub mod sync;
pub mod table;

pub use error::StoreError;
pub use item::{IssueState, Item};
pub use table::Table;
