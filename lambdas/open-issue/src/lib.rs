//! The open-issue function: opens exactly one GitHub issue per fingerprint, and records a
//! permanent failure so a later report can try again.
//!
//! The state machine calls it with [`request::Request`]; the handler is a plain async function
//! over a [`handler::App`], so tests call it without the Lambda runtime.

pub mod error;
pub mod handler;
pub mod request;

pub use error::OpenError;
pub use handler::{App, handle};
