//! Shared support for the integration tests, which run against the local engines that
//! `scripts/test` starts through `tally local --exec`: SDK clients on those engines, waiting for
//! Step Functions executions, and access to the functions under `cargo lambda watch`.

pub mod engines;
pub mod executions;
pub mod functions;
