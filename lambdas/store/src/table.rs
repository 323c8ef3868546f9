//! The handle on the fingerprint table that every store operation hangs off.
//!
//! It counts the write requests it sends, so tests and load runs can state what a report costs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A DynamoDB client bound to the fingerprint table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
    writes: Arc<AtomicU64>,
}

impl Table {
    /// Binds `client` to the table called `name`.
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into(), writes: Arc::new(AtomicU64::new(0)) }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Write requests (`PutItem` and `UpdateItem`, failed conditional ones included) sent so far
    /// through this handle and its clones.
    pub fn writes_sent(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    pub(crate) fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
}
