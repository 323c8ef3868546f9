//! Report authentication: an HMAC-SHA256 signature of the raw body, as GitHub signs webhooks, or
//! none for public endpoints.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Header that carries `sha256=HEX`, the HMAC-SHA256 of the raw request body.
pub const SIGNATURE_HEADER: &str = "x-tally-signature";

/// How reports are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// Every report is accepted.
    None,
    /// Reports must carry a valid signature made with this secret.
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for Auth {
    // The secret never reaches a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => formatter.write_str("Auth::None"),
            Self::Hmac(_) => formatter.write_str("Auth::Hmac(<redacted>)"),
        }
    }
}

/// Why a report was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No signature header was sent.
    #[error("missing {SIGNATURE_HEADER} header; sign the raw body with HMAC-SHA256 and send sha256=HEX")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("malformed {SIGNATURE_HEADER} header; expected sha256= followed by 64 hex digits")]
    Malformed,
    /// The signature does not match the body.
    #[error("invalid signature; check the shared secret and sign the exact bytes sent")]
    Mismatch,
}

impl Auth {
    /// Checks `signature` (the header's value, if sent) against `body`.
    pub fn verify(&self, signature: Option<&[u8]>, body: &[u8]) -> Result<(), AuthError> {
        let Self::Hmac(secret) = self else {
            return Ok(());
        };

        let signature = signature.ok_or(AuthError::Missing)?;
        let hex_digest = signature.strip_prefix(b"sha256=").ok_or(AuthError::Malformed)?;
        let expected = hex::decode(hex_digest).map_err(|_| AuthError::Malformed)?;
        if expected.len() != 32 {
            return Err(AuthError::Malformed);
        }

        let actual = sign(secret, body);
        if bool::from(actual.as_slice().ct_eq(&expected)) {
            Ok(())
        } else {
            Err(AuthError::Mismatch)
        }
    }
}

/// HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The header value a client sends: `sha256=` and the lowercase hex HMAC of `body`.
pub fn signature_header(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(sign(secret, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody";

    #[test]
    fn hmac_accepts_its_own_signature() {
        let header = signature_header(SECRET, b"{}");

        assert_eq!(Auth::Hmac(SECRET.to_vec()).verify(Some(header.as_bytes()), b"{}"), Ok(()));
    }

    #[test]
    fn hmac_matches_github_webhook_example() {
        // The test vector GitHub publishes for webhook signatures.
        let header = signature_header(SECRET, b"Hello, World!");

        assert_eq!(header, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    }

    #[test]
    fn hmac_rejects_changed_body() {
        let header = signature_header(SECRET, b"{}");

        let result = Auth::Hmac(SECRET.to_vec()).verify(Some(header.as_bytes()), b"{ }");

        assert_eq!(result, Err(AuthError::Mismatch));
    }

    #[test]
    fn hmac_rejects_missing_and_malformed_headers() {
        let auth = Auth::Hmac(SECRET.to_vec());

        assert_eq!(auth.verify(None, b"{}"), Err(AuthError::Missing));
        assert_eq!(auth.verify(Some(b"sha1=abc"), b"{}"), Err(AuthError::Malformed));
        assert_eq!(auth.verify(Some(b"sha256=zz"), b"{}"), Err(AuthError::Malformed));
        assert_eq!(auth.verify(Some(b"sha256=abcd"), b"{}"), Err(AuthError::Malformed));
    }

    #[test]
    fn none_accepts_unsigned_reports() {
        assert_eq!(Auth::None.verify(None, b"anything"), Ok(()));
    }

    #[test]
    fn debug_hides_secret() {
        assert_eq!(format!("{:?}", Auth::Hmac(SECRET.to_vec())), "Auth::Hmac(<redacted>)");
    }
}
