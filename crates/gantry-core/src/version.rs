//! Version parsing and ordering shared by the formats that use SemVer 2
//! (universal packages now; npm and NuGet build on it later).

use std::cmp::Ordering;
use std::fmt;

/// The longest version accepted, in bytes. npm's `semver` refuses versions
/// over 256 characters (its `MAX_LENGTH`), so no version an npm client can
/// publish is refused here; nuget.org stops at 64 and SemVer 2 sets no
/// limit. Without one, a megabyte-long version would be parsed, stored and
/// echoed back in error messages.
pub const MAX_VERSION_LEN: usize = 256;

/// A strict SemVer 2.0.0 version (`1.2.3`, `1.0.0-rc.1+build.5`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SemVer2(semver::Version);

/// The text is not a SemVer 2 version; the message says why.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("'{input}' is not a valid SemVer 2 version: {reason}")]
pub struct VersionError {
    /// What the client sent.
    pub input: String,
    /// Why it was refused.
    pub reason: String,
}

impl SemVer2 {
    /// Parses a version; leading zeros, missing parts, a leading `v` and
    /// more than [`MAX_VERSION_LEN`] bytes are refused.
    pub fn parse(raw: &str) -> Result<Self, VersionError> {
        if raw.len() > MAX_VERSION_LEN {
            return Err(VersionError {
                input: shorten(raw),
                reason: format!("it is longer than {MAX_VERSION_LEN} characters"),
            });
        }
        semver::Version::parse(raw).map(Self).map_err(|e| VersionError {
            input: raw.escape_debug().to_string(),
            reason: e.to_string(),
        })
    }

    /// A version without a pre-release label is stable.
    pub fn is_stable(&self) -> bool {
        self.0.pre.is_empty()
    }

    /// The case-folded form used to match versions case-insensitively.
    pub fn key(&self) -> String {
        self.0.to_string().to_ascii_lowercase()
    }
}

/// The start of an over-long version, for an error message that stays short.
fn shorten(raw: &str) -> String {
    let mut end = 40.min(raw.len());
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", raw[..end].escape_debug())
}

impl Ord for SemVer2 {
    /// SemVer precedence (pre-releases sort before their release); build
    /// metadata, which carries no precedence, only breaks ties so that the
    /// order is total.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .cmp_precedence(&other.0)
            .then_with(|| self.0.build.cmp(&other.0.build))
    }
}

impl PartialOrd for SemVer2 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SemVer2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for SemVer2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SemVer2({})", self.0)
    }
}

/// Which version a client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// One exact version.
    Exact(String),
    /// The highest version, pre-releases included.
    Latest,
    /// The highest stable version.
    LatestStable,
}

impl VersionSpec {
    /// Reads `latest` and `latest-stable` (case-insensitively); anything else is exact.
    pub fn parse(raw: &str) -> Self {
        if raw.eq_ignore_ascii_case("latest") {
            Self::Latest
        } else if raw.eq_ignore_ascii_case("latest-stable") {
            Self::LatestStable
        } else {
            Self::Exact(raw.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SemVer2 {
        SemVer2::parse(s).expect("valid version")
    }

    #[test]
    fn refuses_versions_over_the_length_limit() {
        let longest = format!("1.0.0-{}", "a".repeat(MAX_VERSION_LEN - 6));
        assert_eq!(longest.len(), MAX_VERSION_LEN);
        assert!(SemVer2::parse(&longest).is_ok());
        let too_long = format!("{longest}a");
        let err = SemVer2::parse(&too_long).expect_err("too long");
        assert!(err.reason.contains("longer than 256"), "{err}");
        assert!(err.to_string().len() < 150, "the message stays short: {err}");
        let huge = format!("1.0.0+{}", "é".repeat(1_000_000));
        let started = std::time::Instant::now();
        let err = SemVer2::parse(&huge).expect_err("huge");
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert!(err.input.ends_with('…') && err.input.len() < 100, "{}", err.input);
    }

    #[test]
    fn orders_by_semver_precedence() {
        let mut versions = [
            v("1.10.0"),
            v("1.2.0"),
            v("1.2.0-rc.1"),
            v("1.2.0-beta"),
            v("0.9.9"),
        ];
        versions.sort();
        let order: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(order, ["0.9.9", "1.2.0-beta", "1.2.0-rc.1", "1.2.0", "1.10.0"]);
    }

    #[test]
    fn latest_and_latest_stable_differ_when_prerelease_is_newest() {
        let versions = [v("1.0.0"), v("2.0.0-alpha"), v("1.5.0")];
        let latest = versions.iter().max().expect("non-empty");
        let latest_stable = versions
            .iter()
            .filter(|x| x.is_stable())
            .max()
            .expect("non-empty");
        assert_eq!(latest.to_string(), "2.0.0-alpha");
        assert_eq!(latest_stable.to_string(), "1.5.0");
    }

    #[test]
    fn refuses_non_semver() {
        for bad in ["1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "", "1.0.0 "] {
            assert!(SemVer2::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_is_case_insensitive() {
        assert_eq!(v("1.0.0-RC.1").key(), v("1.0.0-rc.1").key());
    }

    #[test]
    fn version_spec_reads_keywords() {
        assert_eq!(VersionSpec::parse("Latest"), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("latest-stable"), VersionSpec::LatestStable);
        assert_eq!(VersionSpec::parse("1.0.0"), VersionSpec::Exact("1.0.0".into()));
    }
}
