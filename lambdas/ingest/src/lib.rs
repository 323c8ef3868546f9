//! The ingest function: one error report in, one decision out. The first report of a fingerprint
//! starts the workflow that opens its issue; every other report only counts.
//!
//! `main.rs` wires configuration and clients; [`handler::handle`] is a plain async function that
//! tests call with real clients and no Lambda runtime.

pub mod auth;
pub mod cache;
pub mod config;
pub mod handler;
pub mod metrics;
pub mod record;
pub mod response;
pub mod workflow;

pub use handler::{App, handle, prepare};
pub use metrics::Metrics;
