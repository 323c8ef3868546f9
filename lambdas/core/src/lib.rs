//! tally's domain library: the report contract, secret scrubbing, stack-trace normalization,
//! fingerprints and issue rendering. It has no Lambda or AWS SDK types, so every function and the
//! operator CLI share it.

pub mod env;
pub mod error_type;
pub mod fingerprint;
pub mod metrics;
pub mod normalize;
pub mod render;
pub mod report;
pub mod scrub;
pub mod summary;
pub mod workflow;
