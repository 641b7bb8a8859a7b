//! NuGet versions: one to four numeric parts, an optional SemVer 2 style
//! prerelease and optional build metadata.
//!
//! NuGet is laxer than SemVer 2 about the numbers (`1`, `1.0` and
//! `1.0.0.0` are all valid, and all mean `1.0.0`) and compares release labels
//! case-insensitively. Build metadata is carried along but plays no part in
//! identity or order.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use gantry_core::version::MAX_VERSION_LEN;

use crate::FormatError;

/// A parsed NuGet version.
///
/// Equality, hashing and order ignore build metadata and compare release
/// labels case-insensitively, so `1.0.0-BETA+a` and `1.0.0-beta+b` are the
/// same version; [`key`](Self::key) is that identity as a string.
#[derive(Clone, Debug)]
pub struct NuGetVersion {
    major: u32,
    minor: u32,
    patch: u32,
    revision: u32,
    release_labels: Vec<String>,
    metadata: String,
    original: String,
}

impl NuGetVersion {
    /// Parses a version as NuGet accepts it: `1` to `1.2.3.4`, then an
    /// optional `-label.label` prerelease, then optional `+metadata`.
    ///
    /// Every numeric part must fit in a 32-bit signed integer; leading zeros
    /// are allowed and dropped. Labels are `[0-9A-Za-z-]+`. Surrounding
    /// whitespace, a leading `v` and more than
    /// [`MAX_VERSION_LEN`](gantry_core::version::MAX_VERSION_LEN) bytes
    /// (256, as for SemVer versions; nuget.org allows 64) are refused.
    pub fn parse(raw: &str) -> Result<Self, FormatError> {
        if raw.len() > MAX_VERSION_LEN {
            let mut end = 40;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            return Err(FormatError(format!(
                "'{}…' is not a valid NuGet version: it is longer than {MAX_VERSION_LEN} characters",
                raw[..end].escape_debug()
            )));
        }
        let bad = |reason: &str| {
            FormatError(format!(
                "'{}' is not a valid NuGet version: {reason}",
                raw.escape_debug()
            ))
        };
        if raw.is_empty() {
            return Err(bad("it is empty"));
        }
        if raw.trim() != raw {
            return Err(bad("it has leading or trailing whitespace"));
        }
        let (rest, metadata) = match raw.split_once('+') {
            Some((rest, metadata)) => {
                check_labels(metadata).map_err(|reason| bad(&format!("build metadata {reason}")))?;
                (rest, metadata)
            }
            None => (raw, ""),
        };
        let (numbers, release) = match rest.split_once('-') {
            Some((numbers, release)) => {
                check_labels(release).map_err(|reason| bad(&format!("the prerelease {reason}")))?;
                (numbers, Some(release))
            }
            None => (rest, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() > 4 {
            return Err(bad("it has more than four numeric parts"));
        }
        let mut values = [0_u32; 4];
        for (slot, part) in values.iter_mut().zip(&parts) {
            if part.is_empty() {
                return Err(bad("a numeric part is empty"));
            }
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(&format!(
                    "'{}' is not a number (use 1 to 4 numbers separated by '.', like 1.2.3)",
                    part.escape_debug()
                )));
            }
            let value: i32 = part
                .parse()
                .map_err(|_| bad(&format!("{part} is larger than {}", i32::MAX)))?;
            *slot = value as u32;
        }
        let [major, minor, patch, revision] = values;
        let version = Self {
            major,
            minor,
            patch,
            revision,
            release_labels: release
                .map(|r| r.split('.').map(str::to_owned).collect())
                .unwrap_or_default(),
            metadata: metadata.to_owned(),
            original: raw.to_owned(),
        };
        // `1-x` is stored as `1.0.0-x`: the normalised form, which is parsed
        // again when read back, must fit too.
        if version.to_full_string().len() > MAX_VERSION_LEN {
            return Err(bad(&format!(
                "it is longer than {MAX_VERSION_LEN} characters once normalised"
            )));
        }
        Ok(version)
    }

    /// The major version.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor version (0 when not written).
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// The patch version (0 when not written).
    pub fn patch(&self) -> u32 {
        self.patch
    }

    /// The fourth, "revision" part (0 when not written).
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// The prerelease labels as written (empty for a stable version).
    pub fn release_labels(&self) -> &[String] {
        &self.release_labels
    }

    /// The build metadata as written, without the `+` ("" when none).
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The version as it was given to [`parse`](Self::parse).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Whether the version has prerelease labels.
    pub fn is_prerelease(&self) -> bool {
        !self.release_labels.is_empty()
    }

    /// Whether the version has build metadata.
    pub fn has_metadata(&self) -> bool {
        !self.metadata.is_empty()
    }

    /// Whether only SemVer 2 aware clients understand the version: it has
    /// build metadata or more than one prerelease label.
    pub fn is_semver2(&self) -> bool {
        self.has_metadata() || self.release_labels.len() > 1
    }

    /// NuGet's normalised form: `major.minor.patch`, `.revision` only when
    /// it is not 0, then `-labels` as written; no metadata.
    pub fn to_normalized_string(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if self.revision != 0 {
            out.push('.');
            out.push_str(&self.revision.to_string());
        }
        if self.is_prerelease() {
            out.push('-');
            out.push_str(&self.release_labels.join("."));
        }
        out
    }

    /// The normalised form followed by `+metadata` when there is metadata.
    pub fn to_full_string(&self) -> String {
        let mut out = self.to_normalized_string();
        if self.has_metadata() {
            out.push('+');
            out.push_str(&self.metadata);
        }
        out
    }

    /// The identity of the version: the normalised form in ASCII lower case.
    pub fn key(&self) -> String {
        self.to_normalized_string().to_ascii_lowercase()
    }
}

/// Checks a `.`-separated list of `[0-9A-Za-z-]+` labels; the error is the
/// end of a sentence ("... is empty").
fn check_labels(labels: &str) -> Result<(), String> {
    if labels.is_empty() {
        return Err("is empty".into());
    }
    for label in labels.split('.') {
        if label.is_empty() {
            return Err("has an empty label".into());
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!(
                "contains the character {c:?}; labels use letters, digits and '-'"
            ));
        }
    }
    Ok(())
}

/// Compares two release labels the way SemVer 2 does, but case-insensitively:
/// numeric labels numerically and below alphanumeric ones.
///
/// Numeric labels of the same value written differently (`01` and `1`) are
/// told apart by their text, so that order, equality and [`NuGetVersion::key`]
/// always agree.
fn compare_labels(a: &str, b: &str) -> Ordering {
    let a_numeric = a.bytes().all(|c| c.is_ascii_digit());
    let b_numeric = b.bytes().all(|c| c.is_ascii_digit());
    match (a_numeric, b_numeric) {
        (true, true) => {
            let a_value = a.trim_start_matches('0');
            let b_value = b.trim_start_matches('0');
            a_value
                .len()
                .cmp(&b_value.len())
                .then_with(|| a_value.cmp(b_value))
                .then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch, self.revision)
            .cmp(&(other.major, other.minor, other.patch, other.revision))
            .then_with(|| match (self.is_prerelease(), other.is_prerelease()) {
                (false, false) => Ordering::Equal,
                (false, true) => Ordering::Greater,
                (true, false) => Ordering::Less,
                (true, true) => self
                    .release_labels
                    .iter()
                    .zip(&other.release_labels)
                    .map(|(a, b)| compare_labels(a, b))
                    .find(|o| o.is_ne())
                    .unwrap_or_else(|| self.release_labels.len().cmp(&other.release_labels.len())),
            })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for NuGetVersion {}

impl Hash for NuGetVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Everything `cmp` looks at, labels lower-cased as `cmp` compares them.
        (self.major, self.minor, self.patch, self.revision).hash(state);
        self.release_labels.len().hash(state);
        for label in &self.release_labels {
            label.to_ascii_lowercase().hash(state);
        }
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_full_string())
    }
}

impl FromStr for NuGetVersion {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn v(raw: &str) -> NuGetVersion {
        NuGetVersion::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn refuses_versions_over_the_length_limit() {
        let longest = format!("1.0.0-{}", "a".repeat(MAX_VERSION_LEN - 6));
        assert!(NuGetVersion::parse(&longest).is_ok());
        let err = NuGetVersion::parse(&format!("{longest}a")).expect_err("too long");
        assert!(err.0.contains("longer than 256 characters"), "{err}");
        let err = NuGetVersion::parse(&format!("1.0.0-{}", "é".repeat(100_000))).expect_err("huge");
        assert!(err.0.len() < 150, "the message stays short: {err}");
        // Found by fuzz/fuzz_targets/versions.rs: a version that fits but
        // whose normalised form (stored, and parsed again) did not.
        let short_form = format!("1-{}", "a".repeat(MAX_VERSION_LEN - 2));
        assert_eq!(short_form.len(), MAX_VERSION_LEN);
        let err = NuGetVersion::parse(&short_form).expect_err("too long once normalised");
        assert!(
            err.0.ends_with("longer than 256 characters once normalised"),
            "{err}"
        );
        let fits = format!("1-{}", "a".repeat(MAX_VERSION_LEN - 6));
        let parsed = NuGetVersion::parse(&fits).expect("fits once normalised");
        assert_eq!(parsed.to_full_string().len(), MAX_VERSION_LEN);
        assert_eq!(
            NuGetVersion::parse(&parsed.to_full_string()).expect("parses again"),
            parsed
        );
    }

    #[test]
    fn normalisation() {
        let table = [
            ("1", "1.0.0", "1.0.0", "1.0.0"),
            ("1.0", "1.0.0", "1.0.0", "1.0.0"),
            ("1.0.0", "1.0.0", "1.0.0", "1.0.0"),
            ("1.0.0.0", "1.0.0", "1.0.0", "1.0.0"),
            ("1.0.0.1", "1.0.0.1", "1.0.0.1", "1.0.0.1"),
            ("1.2.3.4", "1.2.3.4", "1.2.3.4", "1.2.3.4"),
            ("01.2", "1.2.0", "1.2.0", "1.2.0"),
            ("01.02", "1.2.0", "1.2.0", "1.2.0"),
            ("1.0.0-Beta", "1.0.0-Beta", "1.0.0-Beta", "1.0.0-beta"),
            ("1.0.0+build", "1.0.0", "1.0.0+build", "1.0.0"),
            (
                "1.0-rc.1+Sha.ABC",
                "1.0.0-rc.1",
                "1.0.0-rc.1+Sha.ABC",
                "1.0.0-rc.1",
            ),
            ("1.0.0.0-x-y", "1.0.0-x-y", "1.0.0-x-y", "1.0.0-x-y"),
            ("2147483647", "2147483647.0.0", "2147483647.0.0", "2147483647.0.0"),
        ];
        for (raw, normalized, full, key) in table {
            let version = v(raw);
            assert_eq!(version.to_normalized_string(), normalized, "{raw}");
            assert_eq!(version.to_full_string(), full, "{raw}");
            assert_eq!(version.to_string(), full, "{raw}");
            assert_eq!(version.key(), key, "{raw}");
            assert_eq!(version.original(), raw);
        }
        let version = v("1.2.3.4-a.b+m");
        assert_eq!(
            (
                version.major(),
                version.minor(),
                version.patch(),
                version.revision()
            ),
            (1, 2, 3, 4)
        );
        assert_eq!(version.release_labels(), ["a", "b"]);
        assert_eq!(version.metadata(), "m");
    }

    #[test]
    fn ordering() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
            "1.2.0",
            "1.10.0",
            "2.0.0-1",
            "2.0.0-a",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(
                v(pair[0]).cmp(&v(pair[1])),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                v(pair[1]).cmp(&v(pair[0])),
                Ordering::Greater,
                "{} > {}",
                pair[1],
                pair[0]
            );
        }
        assert_eq!(
            v("1.0.0-a.99999999999999999999").cmp(&v("1.0.0-a.100000000000000000000")),
            Ordering::Less
        );
        assert!(v("1.0.0-Alpha") < v("1.0.0-beta"));
        assert!(v("1.0.0-alpha") < v("1.0.0-BETA"));
    }

    #[test]
    fn equality_ignores_case_and_metadata() {
        assert_eq!(v("1.0.0-BETA"), v("1.0.0-beta"));
        assert_eq!(v("1.0.0+a"), v("1.0.0+b"));
        assert_eq!(v("1.0"), v("1.0.0.0"));
        assert_eq!(v("01.0.0"), v("1.0.0"));
        assert_ne!(v("1.0.0-01"), v("1.0.0-1"));
        assert_eq!(
            v("1.0.0-01").key() == v("1.0.0-1").key(),
            v("1.0.0-01") == v("1.0.0-1")
        );
        let set: HashSet<NuGetVersion> = ["1.0.0-Beta+x", "1.0.0-bETA", "1.0.0.0-beta+y"]
            .into_iter()
            .map(v)
            .collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn semver2_and_prerelease() {
        assert!(!v("1.0.0").is_semver2());
        assert!(!v("1.0.0-beta").is_semver2());
        assert!(v("1.0.0-beta.1").is_semver2());
        assert!(v("1.0.0+build").is_semver2());
        assert!(v("1.0.0-beta").is_prerelease());
        assert!(!v("1.0.0+build").is_prerelease());
        assert!(v("1.0.0+build").has_metadata());
    }

    #[test]
    fn refused_inputs() {
        for bad in [
            "",
            " 1.0.0",
            "1.0.0 ",
            "v1.0.0",
            "V1",
            "1.0.x",
            "1..0",
            ".1",
            "1.",
            "1.2.3.4.5",
            "1.0.0-",
            "1.0.0-beta.",
            "1.0.0-.beta",
            "1.0.0-be_ta",
            "1.0.0+",
            "1.0.0+a..b",
            "1.0.0+a+b",
            "-1.0.0",
            "+1.0.0",
            "1.+2",
            "2147483648.0.0",
            "1.0.99999999999",
            "1.0.0-ä",
            "１.0",
        ] {
            let err = NuGetVersion::parse(bad).expect_err(bad);
            assert!(err.0.contains("is not a valid NuGet version"), "{bad}: {err}");
        }
        assert!(NuGetVersion::parse("1.0.x")
            .expect_err("x")
            .0
            .starts_with("'1.0.x' is not a valid NuGet version: "));
    }
}
