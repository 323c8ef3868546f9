//! Fingerprints: the blake3 key that decides whether two reports are the same error.
//!
//! A computed fingerprint is blake3 of a version prefix and the normalized trace (see
//! [`crate::normalize`]). A client-chosen `fingerprint` key is hashed into the same 32-byte space
//! under a different prefix, so a key and a normalized trace with the same text get different
//! fingerprints. Changing the normalization rules in a way that regroups errors must bump
//! [`TRACE_PREFIX`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::normalize::{Language, normalize};
use crate::report::Report;

/// Hash prefix of fingerprints computed from a normalized trace.
pub const TRACE_PREFIX: &str = "tally:v1:trace\n";

/// Hash prefix of fingerprints computed from a client-chosen key.
pub const CLIENT_PREFIX: &str = "tally:v1:client\n";

/// A 32-byte blake3 fingerprint, shown as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Wraps raw fingerprint bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Fingerprint {
        Fingerprint(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The fingerprint as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Fingerprint of a normalized trace.
    pub fn of_normalized(normalized: &str) -> Fingerprint {
        hash_with_prefix(TRACE_PREFIX, normalized)
    }

    /// Fingerprint of a client-chosen grouping key.
    pub fn of_client_key(key: &str) -> Fingerprint {
        hash_with_prefix(CLIENT_PREFIX, key)
    }
}

fn hash_with_prefix(prefix: &str, text: &str) -> Fingerprint {
    let mut hasher = blake3::Hasher::new();
    hasher.update(prefix.as_bytes());
    hasher.update(text.as_bytes());
    Fingerprint(*hasher.finalize().as_bytes())
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_hex())
    }
}

/// Why a string is not a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fingerprint {value:?}: expected 64 hex digits")]
pub struct ParseFingerprintError {
    /// The rejected text, shortened to 80 characters.
    pub value: String,
}

impl FromStr for Fingerprint {
    type Err = ParseFingerprintError;

    /// Parses 64 hex digits, in either case.
    fn from_str(text: &str) -> Result<Fingerprint, ParseFingerprintError> {
        let invalid = || ParseFingerprintError { value: text.chars().take(80).collect() };
        if text.len() != 64 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| invalid())?;
        Ok(Fingerprint(bytes))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fingerprint, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How a report's fingerprint was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Computed from the normalized trace.
    Trace,
    /// Computed from the client's `fingerprint` key.
    Client,
}

/// The result of analyzing one report: its language, normalized trace and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// Language detected from the trace's frame syntax.
    pub language: Language,
    /// The normalized trace (computed even when a client key sets the fingerprint).
    pub normalized: String,
    /// The fingerprint that groups this report.
    pub fingerprint: Fingerprint,
    /// Whether the fingerprint comes from the trace or the client's key.
    pub source: Source,
}

/// Normalizes a report's trace and computes its fingerprint.
///
/// Expects an already scrubbed report ([`Report::scrubbed`]), so that secrets never reach the
/// hash. A client `fingerprint` key, when present, sets the fingerprint instead of the trace.
pub fn analyze(report: &Report) -> Analysis {
    let normalized = normalize(&report.error);
    let (fingerprint, source) = match &report.fingerprint {
        Some(key) => (Fingerprint::of_client_key(key), Source::Client),
        None => (Fingerprint::of_normalized(&normalized.text), Source::Trace),
    };
    Analysis { language: normalized.language, normalized: normalized.text, fingerprint, source }
}

/// Normalizes a bare trace and computes its fingerprint. Expects already scrubbed text.
pub fn analyze_trace(trace: &str) -> Analysis {
    let normalized = normalize(trace);
    let fingerprint = Fingerprint::of_normalized(&normalized.text);
    Analysis {
        language: normalized.language,
        normalized: normalized.text,
        fingerprint,
        source: Source::Trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let fingerprint = Fingerprint::of_normalized("ValueError: boom");
        let hex = fingerprint.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(hex.parse::<Fingerprint>(), Ok(fingerprint));
        assert_eq!(hex.to_uppercase().parse::<Fingerprint>(), Ok(fingerprint));
        assert_eq!(fingerprint.to_string(), hex);
    }

    #[test]
    fn parse_rejects_bad_hex() {
        let valid = "0".repeat(64);
        assert!(valid.parse::<Fingerprint>().is_ok());
        assert!(valid[..63].parse::<Fingerprint>().is_err());
        assert!(format!("{valid}0").parse::<Fingerprint>().is_err());
        assert!(format!("g{}", &valid[1..]).parse::<Fingerprint>().is_err());
        assert!("".parse::<Fingerprint>().is_err());
        // 64 bytes but not 64 ASCII characters.
        assert!(format!("é{}", &valid[2..]).parse::<Fingerprint>().is_err());
    }

    #[test]
    fn client_and_trace_spaces_differ() {
        assert_ne!(Fingerprint::of_client_key("same"), Fingerprint::of_normalized("same"));
    }

    #[test]
    fn known_value_is_stable() {
        // Pins the hash construction: changing it regroups every stored error.
        let mut expected = blake3::Hasher::new();
        expected.update(b"tally:v1:trace\nValueError: boom");
        assert_eq!(
            Fingerprint::of_normalized("ValueError: boom").as_bytes(),
            expected.finalize().as_bytes()
        );
    }

    #[test]
    fn serde_uses_hex_string() {
        let fingerprint = Fingerprint::of_client_key("key");
        let json = serde_json::to_string(&fingerprint).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", fingerprint.to_hex()));
        let back: Result<Fingerprint, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(fingerprint));
    }
}
