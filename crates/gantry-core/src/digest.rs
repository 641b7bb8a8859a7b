//! Content digests used to address blobs.

use std::fmt;
use std::str::FromStr;

/// A SHA-256 digest, kept as 64 lower-case hex characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(String);

/// The text was not 64 hex characters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a SHA-256 digest: expected 64 hexadecimal characters")]
pub struct DigestError;

impl Sha256Digest {
    /// Builds a digest from the 32 raw bytes a hasher returns.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(hex::encode(bytes))
    }

    /// The lower-case hex form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sha256Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(DigestError)
        }
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_hex() {
        let upper = "AB".repeat(32);
        let digest: Sha256Digest = upper.parse().expect("valid digest");
        assert_eq!(digest.as_str(), "ab".repeat(32));
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        assert_eq!("ab".parse::<Sha256Digest>(), Err(DigestError));
        assert_eq!("zz".repeat(32).parse::<Sha256Digest>(), Err(DigestError));
        assert_eq!("../".repeat(22)[..64].parse::<Sha256Digest>(), Err(DigestError));
    }
}
