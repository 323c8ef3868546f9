//! GitHub client.
