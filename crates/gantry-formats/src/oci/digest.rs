//! Content digests, `algorithm:encoded`, as the image spec defines them:
//!
//! ```text
//! digest              ::= algorithm ":" encoded
//! algorithm           ::= component (separator component)*
//! component           ::= [a-z0-9]+
//! separator           ::= [+._-]
//! encoded             ::= [a-zA-Z0-9=_-]+
//! ```
//!
//! Of the registered algorithms only `sha256` (64 lower-case hex digits) and
//! `sha512` (128) are accepted; a digest of another well-formed algorithm is
//! refused as unsupported, which a registry is allowed to do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256, Sha512};

use super::shown;
use crate::FormatError;

/// A digest algorithm the registry accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// `sha256`, the one every client uses.
    Sha256,
    /// `sha512`.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm as a digest names it (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// The length of the encoded part in hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    /// The hash of some bytes, in lower-case hex.
    fn hash_hex(self, bytes: &[u8]) -> String {
        match self {
            Self::Sha256 => hex::encode(Sha256::digest(bytes)),
            Self::Sha512 => hex::encode(Sha512::digest(bytes)),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A content digest `algorithm:hex` (`sha256:…`), checked on parsing: the
/// hex is lower case and as long as the algorithm's.
///
/// Serialised as its string; deserialising parses it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest {
    algorithm: DigestAlgorithm,
    hex: String,
}

impl Digest {
    /// Parses `algorithm:encoded`, refusing a malformed digest, an algorithm
    /// other than sha256 and sha512, and an encoded part that is not that
    /// algorithm's lower-case hex.
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let not_a_digest = |why: &str| FormatError(format!("'{}' is not a valid digest: {why}", shown(s)));
        let Some((algorithm, encoded)) = s.split_once(':') else {
            return Err(not_a_digest(
                "a digest reads algorithm:hex, e.g. sha256:<64 hex digits>",
            ));
        };
        if !is_algorithm(algorithm) {
            return Err(not_a_digest(
                "the algorithm must be lower-case letters and digits, joined by '+', '.', '_' or '-'",
            ));
        }
        if !is_encoded(encoded) {
            return Err(not_a_digest(
                "the part after ':' must be letters, digits, '=', '_' or '-', and not empty",
            ));
        }
        let algorithm = match algorithm {
            "sha256" => DigestAlgorithm::Sha256,
            "sha512" => DigestAlgorithm::Sha512,
            other => {
                return Err(FormatError(format!(
                    "the digest algorithm '{}' is not supported; use sha256 or sha512",
                    shown(other)
                )))
            }
        };
        let is_lower_hex = encoded.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if encoded.len() != algorithm.hex_len() || !is_lower_hex {
            return Err(not_a_digest(&format!(
                "a {algorithm} digest has {} lower-case hex digits after '{algorithm}:'",
                algorithm.hex_len()
            )));
        }
        Ok(Self {
            algorithm,
            hex: encoded.to_owned(),
        })
    }

    /// The sha256 digest of some bytes.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self::of(DigestAlgorithm::Sha256, bytes)
    }

    /// The digest of some bytes with the given algorithm.
    pub fn of(algorithm: DigestAlgorithm, bytes: &[u8]) -> Self {
        Self {
            algorithm,
            hex: algorithm.hash_hex(bytes),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The encoded part: lower-case hex.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The hex of a sha256 digest (what the blob store keys blobs by);
    /// `None` for another algorithm.
    pub fn as_sha256_hex(&self) -> Option<&str> {
        (self.algorithm == DigestAlgorithm::Sha256).then_some(self.hex.as_str())
    }

    /// Whether some bytes have this digest, hashing them with its algorithm.
    pub fn verify(&self, bytes: &[u8]) -> bool {
        self.algorithm.hash_hex(bytes) == self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl FromStr for Digest {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = FormatError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> Self {
        digest.to_string()
    }
}

/// `[a-z0-9]+([+._-][a-z0-9]+)*`
fn is_algorithm(s: &str) -> bool {
    s.split(['+', '.', '_', '-']).all(|component| {
        !component.is_empty() && component.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9'))
    })
}

/// `[a-zA-Z0-9=_-]+`
fn is_encoded(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sha256 of the empty string.
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_sha256_and_sha512() {
        let digest = Digest::parse(&format!("sha256:{EMPTY_SHA256}")).expect("valid");
        assert_eq!(digest.algorithm(), DigestAlgorithm::Sha256);
        assert_eq!(digest.hex(), EMPTY_SHA256);
        assert_eq!(digest.as_sha256_hex(), Some(EMPTY_SHA256));
        assert_eq!(digest.to_string(), format!("sha256:{EMPTY_SHA256}"));
        assert_eq!(digest, Digest::sha256_of(b""));

        let sha512 = format!("sha512:{}", "ab".repeat(64));
        let digest: Digest = sha512.parse().expect("valid");
        assert_eq!(digest.algorithm(), DigestAlgorithm::Sha512);
        assert_eq!(digest.as_sha256_hex(), None);
        assert_eq!(digest.to_string(), sha512);
    }

    #[test]
    fn refuses_malformed_digests() {
        for (bad, message) in [
            (String::new(), "algorithm:hex"),
            (EMPTY_SHA256.to_owned(), "algorithm:hex"),
            (format!("SHA256:{EMPTY_SHA256}"), "the algorithm must be"),
            (format!(":{EMPTY_SHA256}"), "the algorithm must be"),
            (format!("sha256+:{EMPTY_SHA256}"), "the algorithm must be"),
            ("sha256:".to_owned(), "after ':'"),
            ("sha256:ab/cd".to_owned(), "after ':'"),
            (
                format!("sha256:{}", EMPTY_SHA256.to_uppercase()),
                "64 lower-case hex digits",
            ),
            (
                format!("sha256:{}", &EMPTY_SHA256[1..]),
                "64 lower-case hex digits",
            ),
            (format!("sha256:{EMPTY_SHA256}0"), "64 lower-case hex digits"),
            (
                format!("sha256:{}g", &EMPTY_SHA256[1..]),
                "64 lower-case hex digits",
            ),
            (format!("sha512:{EMPTY_SHA256}"), "128 lower-case hex digits"),
            (format!("sha256:{EMPTY_SHA256}:x"), "after ':'"),
        ] {
            let error = Digest::parse(&bad).expect_err(&bad);
            assert!(error.0.contains(message), "{bad}: {error}");
        }
    }

    #[test]
    fn refuses_other_algorithms_as_unsupported() {
        for other in [
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "blake3:abc",
            "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        ] {
            let error = Digest::parse(other).expect_err(other);
            assert!(
                error.0.contains("is not supported; use sha256 or sha512"),
                "{other}: {error}"
            );
        }
    }

    #[test]
    fn verifies_content() {
        let digest = Digest::sha256_of(b"hello");
        assert!(digest.verify(b"hello"));
        assert!(!digest.verify(b"hello!"));
        let sha512 = Digest::of(DigestAlgorithm::Sha512, b"hello");
        assert_eq!(sha512.hex().len(), 128);
        assert!(sha512.verify(b"hello"));
        assert!(Digest::parse(&sha512.to_string())
            .expect("valid")
            .verify(b"hello"));
        assert!(!sha512.verify(b""));
    }

    #[test]
    fn serde_uses_the_string() {
        let digest = Digest::sha256_of(b"");
        let json = serde_json::to_string(&digest).expect("serialises");
        assert_eq!(json, format!("\"sha256:{EMPTY_SHA256}\""));
        let back: Digest = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, digest);
        let error = serde_json::from_str::<Digest>("\"sha256:ABC\"").expect_err("invalid");
        assert!(error.to_string().contains("not a valid digest"), "{error}");
    }

    #[test]
    fn long_input_is_cut_in_messages() {
        let long = "x".repeat(10_000);
        let error = Digest::parse(&long).expect_err("invalid");
        assert!(error.0.len() < 300, "{}", error.0.len());
    }
}
