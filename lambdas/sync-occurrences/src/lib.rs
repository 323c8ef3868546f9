//! The sync-occurrences function: keeps the occurrence count on the issue while reports arrive,
//! and ends the loop after a quiet period.
//!
//! Each call is one round of the state machine's loop: read the item, bring the issue up to date,
//! and return how long to wait before the next round, or that the loop has ended. The decisions are
//! pure functions in [`plan`] and [`schedule`]; [`handler`] does the I/O.

pub mod error;
pub mod handler;
pub mod plan;
pub mod request;
pub mod schedule;

pub use error::SyncError;
pub use handler::{App, handle};
