//! Maven repositories (the `maven2` layout): artifacts stored as files under
//! `{groupId with / for .}/{artifactId}/{version}/`, described by
//! `maven-metadata.xml` documents, with `.md5`/`.sha1`/`.sha256`/`.sha512`
//! checksum files beside every file.
//!
//! Identity: the group is the groupId (`org.apache.commons`), the name the
//! artifactId; both are compared as written, since Maven paths are
//! case-sensitive. A version is kept as written too and ordered by Maven's
//! `ComparableVersion` ([`compare_versions`]); a version ending with
//! `-SNAPSHOT` is a snapshot, which Maven re-deploys under timestamped file
//! names, so versions are not immutable as a whole (the server refuses to
//! replace a release's files one by one).
//!
//! The module reads repository paths ([`parse_path`]), writes the metadata
//! documents Maven clients read ([`artifact_metadata_xml`],
//! [`snapshot_metadata_xml`]), reads another repository's
//! ([`read_metadata`]), reads and writes checksum files
//! ([`ChecksumAlgorithm`]) and reads POMs ([`read_pom`]).

mod metadata;
mod metadata_reader;
mod path;
mod pom;
mod version;

pub use metadata::{
    artifact_metadata_xml, format_last_updated, read_checksum_file, snapshot_metadata_xml, ChecksumAlgorithm,
    SnapshotFile,
};
pub use metadata_reader::{parse_last_updated, read_metadata, RepositoryMetadata, MAX_METADATA_BYTES};
pub use path::{
    parse_path, ArtifactFile, Directory, MavenPath, MavenPathKind, SnapshotBuild, MAVEN_METADATA_FILE,
    MAX_PATH_LEN,
};
pub use pom::{read_pom, Pom, PomDependency, PomParent, MAX_POM_BYTES};
pub use version::{compare_versions, sort_versions, ComparableVersion};

use std::cmp::Ordering;

use crate::{percent_encode_segment, FormatError, PackageFormat, PackageId};

/// The longest groupId, artifactId or version accepted.
pub const MAX_ID_LEN: usize = 256;

/// The Maven package format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Maven;

impl PackageFormat for Maven {
    fn purl_type(&self) -> &'static str {
        "maven"
    }

    fn has_groups(&self) -> bool {
        true
    }

    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError> {
        validate_group_id(&id.group)?;
        validate_artifact_id(&id.name)
    }

    fn group_key(&self, group: &str) -> String {
        group.to_owned()
    }

    fn name_key(&self, name: &str) -> String {
        name.to_owned()
    }

    fn version_key(&self, version: &str) -> Result<String, FormatError> {
        validate_version(version)?;
        Ok(version.to_owned())
    }

    fn compare_versions(&self, a: &str, b: &str) -> Ordering {
        compare_versions(a, b)
    }

    /// A release: anything but a snapshot.
    fn is_stable(&self, version: &str) -> bool {
        !is_snapshot(version)
    }

    fn content_type(&self) -> &'static str {
        "application/java-archive"
    }

    fn versions_are_immutable(&self) -> bool {
        false
    }

    /// `widget-1.0.jar`: the main artifact of a version.
    fn file_name(&self, _group: &str, name: &str, version: &str) -> String {
        format!("{name}-{version}.jar")
    }

    /// `pkg:maven/org.apache.commons/commons-lang3@3.12.0`: the purl spec
    /// makes the whole groupId the namespace, one segment with its dots.
    fn purl(&self, group: &str, name: &str, version: &str) -> String {
        let mut purl = String::from("pkg:maven/");
        if !group.is_empty() {
            purl.push_str(&percent_encode_segment(group));
            purl.push('/');
        }
        purl.push_str(&percent_encode_segment(name));
        purl.push('@');
        purl.push_str(&percent_encode_segment(version));
        purl
    }
}

/// Whether a version is a snapshot: it ends with `-SNAPSHOT`, in any case.
pub fn is_snapshot(version: &str) -> bool {
    const SUFFIX: &[u8] = b"-SNAPSHOT";
    let bytes = version.as_bytes();
    bytes.len() >= SUFFIX.len() && bytes[bytes.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Checks the length and characters shared by groupIds and artifactIds.
fn validate_id_text(what: &str, text: &str) -> Result<(), FormatError> {
    if text.is_empty() || text.len() > MAX_ID_LEN {
        return Err(FormatError(format!(
            "a Maven {what} must be 1 to {MAX_ID_LEN} characters (got {})",
            text.chars().count()
        )));
    }
    if let Some(bad) = text.chars().find(|c| !is_id_char(*c)) {
        return Err(FormatError(format!(
            "the {what} '{}' contains the character {bad:?}; use ASCII letters, digits, '_', '.' and '-'",
            text.escape_debug()
        )));
    }
    Ok(())
}

/// Checks a groupId: 1 to 256 characters of ASCII letters, digits, `_`, `.`
/// and `-`, whose dot-separated segments (its directories) are not empty.
pub fn validate_group_id(group_id: &str) -> Result<(), FormatError> {
    validate_id_text("groupId", group_id)?;
    if group_id.split('.').any(str::is_empty) {
        return Err(FormatError(format!(
            "the groupId '{group_id}' must not start or end with '.' or have two '.' in a row"
        )));
    }
    Ok(())
}

/// Checks an artifactId: 1 to 256 characters of ASCII letters, digits, `_`,
/// `.` and `-`, and not `.` or `..` (it is a directory name).
pub fn validate_artifact_id(artifact_id: &str) -> Result<(), FormatError> {
    validate_id_text("artifactId", artifact_id)?;
    if matches!(artifact_id, "." | "..") {
        return Err(FormatError(format!("'{artifact_id}' is not a valid artifactId")));
    }
    Ok(())
}

/// Checks a version: 1 to 256 characters of ASCII letters, digits, `_`,
/// `.`, `+` and `-`, and not `.` or `..` (it is a directory name).
pub fn validate_version(version: &str) -> Result<(), FormatError> {
    if version.is_empty() || version.len() > MAX_ID_LEN {
        return Err(FormatError(format!(
            "a Maven version must be 1 to {MAX_ID_LEN} characters (got {})",
            version.chars().count()
        )));
    }
    if let Some(bad) = version.chars().find(|c| !(is_id_char(*c) || *c == '+')) {
        return Err(FormatError(format!(
            "the version '{}' contains the character {bad:?}; use ASCII letters, digits, '_', '.', '+' and '-'",
            version.escape_debug()
        )));
    }
    if matches!(version, "." | "..") {
        return Err(FormatError(format!("'{version}' is not a valid Maven version")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{pick_latest, Purl};

    fn id(group: &str, name: &str) -> PackageId {
        PackageId {
            group: group.into(),
            name: name.into(),
        }
    }

    #[test]
    fn identity() {
        assert_eq!(Maven.purl_type(), "maven");
        assert!(Maven.has_groups());
        for (group, name) in [
            ("org.apache.commons", "commons-lang3"),
            ("junit", "junit"),
            ("com.example_1", "A.b-C_d"),
            ("a", "..."),
        ] {
            assert_eq!(Maven.validate_id(&id(group, name)), Ok(()), "{group}:{name}");
        }
        let too_long = "a".repeat(MAX_ID_LEN + 1);
        let longest = "a".repeat(MAX_ID_LEN);
        assert!(Maven.validate_id(&id(&longest, &longest)).is_ok());
        for (group, name, message) in [
            ("", "widget", "1 to 256"),
            ("org.acme", "", "1 to 256"),
            (too_long.as_str(), "widget", "1 to 256"),
            ("org.acme", too_long.as_str(), "1 to 256"),
            ("org..acme", "widget", "two '.' in a row"),
            (".org", "widget", "must not start or end"),
            ("org.", "widget", "must not start or end"),
            ("org/acme", "widget", "the character '/'"),
            ("org.acme", "wid get", "the character ' '"),
            ("org.acme", "widget+", "the character '+'"),
            ("org.acme", "wídget", "the character 'í'"),
            ("org.acme", "..", "not a valid artifactId"),
            ("org.acme", ".", "not a valid artifactId"),
            ("org\\acme", "widget", "the character '\\\\'"),
        ] {
            let error = Maven.validate_id(&id(group, name)).expect_err(name);
            assert!(error.0.contains(message), "{group}:{name}: {error}");
        }
    }

    #[test]
    fn keys_are_case_sensitive_and_unchanged() {
        assert_eq!(Maven.group_key("Org.Acme"), "Org.Acme");
        assert_eq!(Maven.name_key("Widget"), "Widget");
        assert_eq!(Maven.version_key("1.0-SNAPSHOT"), Ok("1.0-SNAPSHOT".into()));
        assert_eq!(Maven.version_key("1.0+build_2"), Ok("1.0+build_2".into()));
        assert_eq!(Maven.version_key("..."), Ok("...".into()));
        for bad in ["", ".", "..", "1.0/2", "1 0", "1.0\\", "1.0\n", "é"] {
            assert!(Maven.version_key(bad).is_err(), "{bad:?}");
        }
        assert!(Maven.version_key(&"1".repeat(MAX_ID_LEN)).is_ok());
        assert!(Maven.version_key(&"1".repeat(MAX_ID_LEN + 1)).is_err());
    }

    #[test]
    fn stability_and_latest() {
        assert!(Maven.is_stable("1.0"));
        assert!(Maven.is_stable("1.0-rc1"));
        assert!(Maven.is_stable("SNAPSHOT"));
        assert!(Maven.is_stable("1.0-SNAPSHOT-1"));
        assert!(!Maven.is_stable("1.0-SNAPSHOT"));
        assert!(!Maven.is_stable("1.0-snapshot"));
        assert!(!Maven.is_stable("-SnapShot"));
        assert!(is_snapshot("2.0.0-SNAPSHOT"));
        assert!(!is_snapshot("1.0SNAPSHOT"));
        let versions = ["1.0", "1.10", "1.9", "2.0-SNAPSHOT", "1.10-sp"];
        assert_eq!(pick_latest(&Maven, versions, false), Some("2.0-SNAPSHOT"));
        assert_eq!(pick_latest(&Maven, versions, true), Some("1.10-sp"));
        assert_eq!(Maven.compare_versions("1.0.0", "1"), Ordering::Equal);
        assert_eq!(Maven.compare_versions("1-SNAPSHOT", "1"), Ordering::Less);
    }

    #[test]
    fn files_and_purls() {
        assert_eq!(Maven.content_type(), "application/java-archive");
        assert!(!Maven.versions_are_immutable());
        assert_eq!(
            Maven.file_name("org.acme", "widget", "1.0-SNAPSHOT"),
            "widget-1.0-SNAPSHOT.jar"
        );
        let purl = Maven.purl("org.apache.commons", "commons-lang3", "3.12.0");
        assert_eq!(purl, "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
        let parsed = Purl::parse(&purl).expect("valid purl");
        assert_eq!(
            (
                parsed.purl_type.as_str(),
                parsed.group.as_str(),
                parsed.name.as_str(),
                parsed.version.as_str()
            ),
            ("maven", "org.apache.commons", "commons-lang3", "3.12.0")
        );
        assert_eq!(
            Maven.purl("org.acme", "widget", "1.0+build"),
            "pkg:maven/org.acme/widget@1.0%2Bbuild"
        );
        assert_eq!(Maven.purl("", "widget", "1"), "pkg:maven/widget@1");
    }
}
