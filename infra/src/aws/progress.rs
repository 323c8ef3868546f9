//! The live display of stack events: one line per new event, with the count of resources done
//! and the time since the operation started.

use std::collections::HashSet;
use std::time::Instant;

use aws_sdk_cloudformation::types::StackEvent;

/// Prints stack events as they arrive.
#[derive(Debug)]
pub(crate) struct EventPrinter {
    started: Instant,
    /// Resources the operation touches, or 0 when unknown.
    total: usize,
    /// Logical ids whose latest event is a finished state.
    finished: HashSet<String>,
    stack_name: String,
}

impl EventPrinter {
    /// A printer for an operation on `stack_name` that touches `total` resources.
    pub(crate) fn new(stack_name: &str, total: usize) -> Self {
        Self {
            started: Instant::now(),
            total,
            finished: HashSet::new(),
            stack_name: stack_name.to_owned(),
        }
    }

    /// Prints `event` to stderr.
    pub(crate) fn print(&mut self, event: &StackEvent) {
        let logical_id = event.logical_resource_id().unwrap_or("-");
        let status = event.resource_status().map(|status| status.as_str()).unwrap_or("-");
        let is_stack = logical_id == self.stack_name;
        if !is_stack && (status.ends_with("_COMPLETE") || status.ends_with("_SKIPPED")) {
            self.finished.insert(logical_id.to_owned());
        }

        let reason =
            event.resource_status_reason().map(|reason| format!("  {reason}")).unwrap_or_default();
        eprintln!(
            "{} {}  {status:<40} {:<36} {logical_id}{reason}",
            self.elapsed(),
            self.counter(),
            event.resource_type().unwrap_or("-"),
        );
    }

    /// Prints a line that shows the wait goes on while no event arrives.
    pub(crate) fn heartbeat(&self, stack_status: &str) {
        eprintln!("{} {}  still waiting: stack is {stack_status}", self.elapsed(), self.counter());
    }

    fn elapsed(&self) -> String {
        let seconds = self.started.elapsed().as_secs();
        format!("{:02}:{:02}", seconds / 60, seconds % 60)
    }

    fn counter(&self) -> String {
        if self.total == 0 {
            format!("[{:>3}]", self.finished.len())
        } else {
            format!("[{:>3}/{}]", self.finished.len().min(self.total), self.total)
        }
    }
}
