//! Repository paths in the `maven2` layout, below a feed's root.
//!
//! ```text
//! org/acme/widget/                                      a directory
//! org/acme/widget/maven-metadata.xml                    artifact-level metadata
//! org/acme/widget/1.0-SNAPSHOT/maven-metadata.xml       version-level (snapshot) metadata
//! org/acme/widget/1.0/widget-1.0-sources.jar            an artifact file
//! org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-1.jar
//! org/acme/widget/1.0/widget-1.0.pom.sha1               a checksum of an artifact file
//! ```
//!
//! **The directories decide.** A path does not say where the groupId ends,
//! so a file's last three directories are its groupId (all the directories
//! before the last two, joined with `.`), its artifactId and its version,
//! and `maven-metadata.xml` is version-level metadata when its directory's
//! name ends with `-SNAPSHOT` (Maven writes version-level metadata only for
//! snapshots) and artifact-level metadata of the last two directories
//! otherwise. A groupId directory cannot contain `.`, so every groupId has
//! exactly one path.
//!
//! **The file name must match.** An artifact file is named
//! `{artifactId}-{version}`, or for a snapshot version `1.0-SNAPSHOT` also
//! `{artifactId}-1.0-{yyyyMMdd.HHmmss}-{buildNumber}`, then an optional
//! `-{classifier}` (which cannot contain `.`), then `.{extension}`, which
//! may be compound (`.tar.gz`, `.jar.asc`). A final `.md5`, `.sha1`,
//! `.sha256` or `.sha512` always makes the path a checksum of the file
//! without it.
//!
//! A path ending with `/` (or empty) is a directory, its segments anything
//! the layout allows; the caller decides whether they are a group, an
//! artifact or a version by what it stores. `..`, `.` and empty segments,
//! backslashes, control characters, characters outside
//! `[A-Za-z0-9_.+-]` and paths over [`MAX_PATH_LEN`] bytes are refused.

use std::cmp::Ordering;
use std::fmt::Write as _;

use super::metadata::{ChecksumAlgorithm, SnapshotFile};
use super::{is_snapshot, validate_artifact_id, validate_group_id, validate_version};
use crate::FormatError;

/// The longest path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 2048;

/// The name of the metadata documents.
pub const MAVEN_METADATA_FILE: &str = "maven-metadata.xml";

/// What a repository path names, and whether it is a checksum of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MavenPath {
    /// The file or directory the path names (for a checksum, the file it
    /// is the checksum of).
    pub kind: MavenPathKind,
    /// The checksum algorithm when the path is a checksum file
    /// (`widget-1.0.jar.sha1`); always `None` for a directory.
    pub checksum: Option<ChecksumAlgorithm>,
}

/// The file or directory a repository path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MavenPathKind {
    /// A file of a version: its jar, POM, sources, signatures...
    Artifact(ArtifactFile),
    /// `{group}/{artifact}/maven-metadata.xml`: the versions of an artifact.
    ArtifactMetadata {
        /// The groupId (`org.acme`).
        group_id: String,
        /// The artifactId.
        artifact_id: String,
    },
    /// `{group}/{artifact}/{version}/maven-metadata.xml`: the builds of a
    /// snapshot version.
    VersionMetadata {
        /// The groupId (`org.acme`).
        group_id: String,
        /// The artifactId.
        artifact_id: String,
        /// The snapshot version (`1.0-SNAPSHOT`).
        version: String,
    },
    /// A directory, for a listing.
    Directory(Directory),
}

/// A file of a version, as its path names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactFile {
    /// The groupId (`org.acme`).
    pub group_id: String,
    /// The artifactId (`widget`).
    pub artifact_id: String,
    /// The version, as its directory names it (`1.0-SNAPSHOT`).
    pub version: String,
    /// The file name (`widget-1.0-20261203.101500-1-sources.jar`).
    pub file_name: String,
    /// The classifier (`sources`, `javadoc`, `linux-x86_64`), if any.
    pub classifier: Option<String>,
    /// The extension without its leading dot (`jar`, `pom`, `tar.gz`, `jar.asc`).
    pub extension: String,
    /// For a timestamped snapshot file, its build.
    pub snapshot: Option<SnapshotBuild>,
}

/// One deployment of a snapshot version: `20261203.101500-1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotBuild {
    /// When it was deployed, in UTC: `yyyyMMdd.HHmmss`.
    pub timestamp: String,
    /// The build number, counting deployments from 1.
    pub build_number: u32,
}

/// A directory, as the segments of its path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    /// The segments, root first; empty for the feed's root.
    pub segments: Vec<String>,
}

impl MavenPath {
    /// The path, as [`parse_path`] reads it back (a directory ends with `/`).
    pub fn to_path(&self) -> String {
        let mut path = match &self.kind {
            MavenPathKind::Artifact(file) => file.path(),
            MavenPathKind::ArtifactMetadata {
                group_id,
                artifact_id,
            } => {
                format!("{}/{artifact_id}/{MAVEN_METADATA_FILE}", group_path(group_id))
            }
            MavenPathKind::VersionMetadata {
                group_id,
                artifact_id,
                version,
            } => format!(
                "{}/{artifact_id}/{version}/{MAVEN_METADATA_FILE}",
                group_path(group_id)
            ),
            MavenPathKind::Directory(directory) => directory.path(),
        };
        if let Some(algorithm) = self.checksum {
            path.push('.');
            path.push_str(algorithm.extension());
        }
        path
    }
}

impl ArtifactFile {
    /// Names a file of a version, checked as [`parse_path`] checks a path:
    /// `widget-1.0-sources.jar` for (`widget`, `1.0`, `sources`, `jar`).
    pub fn new(
        group_id: &str,
        artifact_id: &str,
        version: &str,
        classifier: Option<&str>,
        extension: &str,
        snapshot: Option<&SnapshotBuild>,
    ) -> Result<Self, FormatError> {
        let mut file_name = format!("{artifact_id}-");
        match snapshot {
            Some(build) => file_name.push_str(&build.version(version)),
            None => file_name.push_str(version),
        }
        if let Some(classifier) = classifier {
            file_name.push('-');
            file_name.push_str(classifier);
        }
        file_name.push('.');
        file_name.push_str(extension);
        let path = format!("{}/{artifact_id}/{version}/{file_name}", group_path(group_id));
        let parsed = parse_path(&path)?;
        match parsed.kind {
            MavenPathKind::Artifact(file)
                if parsed.checksum.is_none()
                    && file.classifier.as_deref() == classifier
                    && file.extension == extension
                    && file.snapshot.as_ref() == snapshot =>
            {
                Ok(file)
            }
            _ => Err(FormatError(format!(
                "'{file_name}' does not name the artifact file it was built from"
            ))),
        }
    }

    /// The file's path below the feed's root.
    pub fn path(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            group_path(&self.group_id),
            self.artifact_id,
            self.version,
            self.file_name
        )
    }

    /// Whether this is the version's own pom (`widget-1.0.pom`, no
    /// classifier): the file that describes the version.
    pub fn is_version_pom(&self) -> bool {
        self.extension == "pom" && self.classifier.is_none()
    }

    /// The file as a build of a snapshot, for [`snapshot_metadata_xml`](super::snapshot_metadata_xml);
    /// `None` unless it is a timestamped snapshot file.
    pub fn snapshot_file(&self) -> Option<SnapshotFile> {
        let build = self.snapshot.clone()?;
        Some(SnapshotFile {
            classifier: self.classifier.clone(),
            extension: self.extension.clone(),
            build,
        })
    }
}

impl SnapshotBuild {
    /// Reads a build as it follows a snapshot's base version in a file
    /// name or a `snapshotVersion` value: `20261203.101500-1`, nothing after.
    pub fn parse(text: &str) -> Option<Self> {
        match snapshot_build(text) {
            Some((build, "")) => Some(build),
            _ => None,
        }
    }

    /// The version its files carry: `1.0-20261203.101500-1` for the build
    /// `20261203.101500-1` of `1.0-SNAPSHOT` (the build replaces the
    /// `SNAPSHOT`; it follows any other version after a `-`).
    pub fn version(&self, snapshot_version: &str) -> String {
        let separator = if is_snapshot(snapshot_version) { "" } else { "-" };
        format!(
            "{}{separator}{}-{}",
            snapshot_base(snapshot_version),
            self.timestamp,
            self.build_number
        )
    }

    /// The timestamp as `maven-metadata.xml` writes times: `yyyyMMddHHmmss`.
    pub fn updated(&self) -> String {
        self.timestamp.replace('.', "")
    }
}

/// Builds are ordered by build number, then by timestamp.
impl Ord for SnapshotBuild {
    fn cmp(&self, other: &Self) -> Ordering {
        self.build_number
            .cmp(&other.build_number)
            .then_with(|| self.timestamp.cmp(&other.timestamp))
    }
}

impl PartialOrd for SnapshotBuild {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Directory {
    /// The directory's path, ending with `/` (`""` for the root).
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in &self.segments {
            let _ = write!(path, "{segment}/");
        }
        path
    }

    /// The directory read as a group: its segments joined with `.`, if
    /// that is a valid groupId and no segment contains a `.`.
    pub fn as_group(&self) -> Option<String> {
        group_id_of(&self.segments).ok()
    }

    /// The directory read as an artifact: (groupId, artifactId).
    pub fn as_artifact(&self) -> Option<(String, &str)> {
        let (artifact, group) = self.segments.split_last()?;
        let group = group_id_of(group).ok()?;
        validate_artifact_id(artifact).ok()?;
        Some((group, artifact))
    }

    /// The directory read as a version: (groupId, artifactId, version).
    pub fn as_version(&self) -> Option<(String, &str, &str)> {
        let (version, rest) = self.segments.split_last()?;
        let (artifact, group) = rest.split_last()?;
        let group = group_id_of(group).ok()?;
        validate_artifact_id(artifact).ok()?;
        validate_version(version).ok()?;
        Some((group, artifact, version))
    }
}

/// The directories of a groupId: `org.acme` is `org/acme`.
fn group_path(group_id: &str) -> String {
    group_id.replace('.', "/")
}

/// `1.0-` for `1.0-SNAPSHOT`: what a build's timestamp follows (the
/// version itself when it is not a snapshot).
fn snapshot_base(version: &str) -> &str {
    if !is_snapshot(version) {
        return version;
    }
    version.get(..version.len() - "SNAPSHOT".len()).unwrap_or(version)
}

/// The groupId of its directories.
fn group_id_of(directories: &[String]) -> Result<String, FormatError> {
    if directories.is_empty() {
        return Err(FormatError(
            "the path has no groupId directories before the artifactId".into(),
        ));
    }
    if let Some(dotted) = directories.iter().find(|d| d.contains('.')) {
        return Err(FormatError(format!(
            "the groupId directory '{dotted}' must not contain '.'; the groupId's dots are '/' in the path"
        )));
    }
    let group_id = directories.join(".");
    validate_group_id(&group_id)?;
    Ok(group_id)
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
}

/// Reads a repository path below a feed's root (no leading `/`).
pub fn parse_path(path: &str) -> Result<MavenPath, FormatError> {
    if path.len() > MAX_PATH_LEN {
        return Err(FormatError(format!(
            "the path is longer than {MAX_PATH_LEN} bytes"
        )));
    }
    if path.contains('\\') {
        return Err(FormatError("the path must not contain '\\'".into()));
    }
    if path.chars().any(char::is_control) {
        return Err(FormatError("the path must not contain control characters".into()));
    }
    let (body, is_directory) = match path.strip_suffix('/') {
        Some(body) => (body, true),
        None => (path, path.is_empty()),
    };
    let segments: Vec<&str> = if body.is_empty() {
        Vec::new()
    } else {
        body.split('/').collect()
    };
    for segment in &segments {
        if segment.is_empty() {
            return Err(FormatError(format!(
                "the path '{path}' has an empty segment ('//' or a leading '/')"
            )));
        }
        if matches!(*segment, "." | "..") {
            return Err(FormatError(format!(
                "the path '{path}' must not contain '.' or '..' segments"
            )));
        }
        if let Some(bad) = segment.chars().find(|c| !is_path_char(*c)) {
            return Err(FormatError(format!(
                "the path contains the character {bad:?}; Maven paths use ASCII letters, digits, '_', '.', '+', '-' and '/'"
            )));
        }
    }
    if is_directory {
        return Ok(MavenPath {
            kind: MavenPathKind::Directory(Directory {
                segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            }),
            checksum: None,
        });
    }
    let Some((file, directories)) = segments.split_last() else {
        return Err(FormatError("the path is empty".into()));
    };
    let directories: Vec<String> = directories.iter().map(|s| (*s).to_owned()).collect();
    let (name, checksum) = match file.rsplit_once('.') {
        Some((name, suffix)) => match ChecksumAlgorithm::from_extension(suffix) {
            Some(algorithm) => (name, Some(algorithm)),
            None => (*file, None),
        },
        None => (*file, None),
    };
    if checksum.is_some()
        && name
            .rsplit_once('.')
            .is_some_and(|(_, suffix)| ChecksumAlgorithm::from_extension(suffix).is_some())
    {
        return Err(FormatError(format!(
            "'{file}' is a checksum of a checksum, which Maven repositories do not have"
        )));
    }
    let kind = if name == MAVEN_METADATA_FILE {
        metadata_kind(&directories)?
    } else {
        MavenPathKind::Artifact(artifact_file(&directories, name)?)
    };
    Ok(MavenPath { kind, checksum })
}

/// The metadata document in these directories.
fn metadata_kind(directories: &[String]) -> Result<MavenPathKind, FormatError> {
    match directories {
        [group @ .., artifact, version] if !group.is_empty() && is_snapshot(version) => {
            validate_artifact_id(artifact)?;
            validate_version(version)?;
            Ok(MavenPathKind::VersionMetadata {
                group_id: group_id_of(group)?,
                artifact_id: artifact.clone(),
                version: version.clone(),
            })
        }
        [group @ .., artifact] if !group.is_empty() => {
            validate_artifact_id(artifact)?;
            Ok(MavenPathKind::ArtifactMetadata {
                group_id: group_id_of(group)?,
                artifact_id: artifact.clone(),
            })
        }
        _ => Err(FormatError(format!(
            "{MAVEN_METADATA_FILE} must be in a {{groupId}}/{{artifactId}}/ or {{groupId}}/{{artifactId}}/{{version}}/ directory"
        ))),
    }
}

/// The artifact file `name` in these directories.
fn artifact_file(directories: &[String], name: &str) -> Result<ArtifactFile, FormatError> {
    let [group @ .., artifact_id, version] = directories else {
        return Err(outside_a_version(name));
    };
    if group.is_empty() {
        return Err(outside_a_version(name));
    }
    let group_id = group_id_of(group)?;
    validate_artifact_id(artifact_id)?;
    validate_version(version)?;
    let expected = || {
        let mut message = format!("the file name '{name}' must start with '{artifact_id}-{version}'");
        if is_snapshot(version) {
            let _ = write!(
                message,
                " or '{artifact_id}-{}{{yyyyMMdd.HHmmss}}-{{buildNumber}}'",
                snapshot_base(version)
            );
        }
        message.push_str(", then an optional '-{classifier}' and '.{extension}'");
        FormatError(message)
    };
    let rest = name
        .strip_prefix(artifact_id.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
        .ok_or_else(expected)?;
    let (rest, snapshot) = if let Some(rest) = rest.strip_prefix(version.as_str()) {
        (rest, None)
    } else if is_snapshot(version) {
        let rest = rest.strip_prefix(snapshot_base(version)).ok_or_else(expected)?;
        let (build, rest) = snapshot_build(rest).ok_or_else(expected)?;
        (rest, Some(build))
    } else {
        return Err(expected());
    };
    let (classifier, extension) = if let Some(rest) = rest.strip_prefix('-') {
        let (classifier, extension) = rest.split_once('.').ok_or_else(expected)?;
        (Some(classifier), extension)
    } else if let Some(extension) = rest.strip_prefix('.') {
        (None, extension)
    } else {
        return Err(expected());
    };
    if let Some(classifier) = classifier {
        if classifier.is_empty()
            || !classifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        {
            return Err(FormatError(format!(
                "the classifier '{classifier}' in '{name}' must be ASCII letters, digits, '_' and '-'"
            )));
        }
    }
    if extension.split('.').any(|part| {
        part.is_empty()
            || !part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    }) {
        return Err(FormatError(format!(
            "the extension '{extension}' in '{name}' must be dot-separated ASCII letters, digits, '_' and '-'"
        )));
    }
    Ok(ArtifactFile {
        group_id,
        artifact_id: artifact_id.clone(),
        version: version.clone(),
        file_name: name.to_owned(),
        classifier: classifier.map(str::to_owned),
        extension: extension.to_owned(),
        snapshot,
    })
}

fn outside_a_version(name: &str) -> FormatError {
    FormatError(format!(
        "the file '{name}' must be in a {{groupId}}/{{artifactId}}/{{version}}/ directory"
    ))
}

/// Reads `yyyyMMdd.HHmmss-{buildNumber}` at the start of `text`, returning
/// the build and what follows it.
fn snapshot_build(text: &str) -> Option<(SnapshotBuild, &str)> {
    let timestamp = text.get(..15)?;
    let bytes = timestamp.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = timestamp.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if bytes[8] != b'.' {
        return None;
    }
    let (_year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let rest = text.get(15..)?.strip_prefix('-')?;
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let number = &rest[..end];
    if number.is_empty() || number.starts_with('0') {
        return None;
    }
    let build_number = number.parse().ok()?;
    Some((
        SnapshotBuild {
            timestamp: timestamp.to_owned(),
            build_number,
        },
        &rest[end..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str) -> (ArtifactFile, Option<ChecksumAlgorithm>) {
        let parsed = parse_path(path).expect(path);
        match parsed.kind {
            MavenPathKind::Artifact(file) => (file, parsed.checksum),
            other => panic!("{path} is not an artifact file: {other:?}"),
        }
    }

    fn build(timestamp: &str, build_number: u32) -> SnapshotBuild {
        SnapshotBuild {
            timestamp: timestamp.into(),
            build_number,
        }
    }

    #[test]
    fn artifact_files() {
        // (path, group, artifact, version, classifier, extension, build, checksum)
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<SnapshotBuild>,
            Option<ChecksumAlgorithm>,
        );
        let cases: &[Case<'_>] = &[
            (
                "org/acme/widget/1.0/widget-1.0.jar",
                "org.acme",
                "widget",
                "1.0",
                None,
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0.pom",
                "org.acme",
                "widget",
                "1.0",
                None,
                "pom",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0-sources.jar",
                "org.acme",
                "widget",
                "1.0",
                Some("sources"),
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0-linux-x86_64.tar.gz",
                "org.acme",
                "widget",
                "1.0",
                Some("linux-x86_64"),
                "tar.gz",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0.jar.asc",
                "org.acme",
                "widget",
                "1.0",
                None,
                "jar.asc",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0.pom.asc",
                "org.acme",
                "widget",
                "1.0",
                None,
                "pom.asc",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0/widget-1.0.jar.sha1",
                "org.acme",
                "widget",
                "1.0",
                None,
                "jar",
                None,
                Some(ChecksumAlgorithm::Sha1),
            ),
            (
                "org/acme/widget/1.0/widget-1.0.jar.md5",
                "org.acme",
                "widget",
                "1.0",
                None,
                "jar",
                None,
                Some(ChecksumAlgorithm::Md5),
            ),
            (
                "org/acme/widget/1.0/widget-1.0.pom.sha256",
                "org.acme",
                "widget",
                "1.0",
                None,
                "pom",
                None,
                Some(ChecksumAlgorithm::Sha256),
            ),
            (
                "org/acme/widget/1.0/widget-1.0-javadoc.jar.sha512",
                "org.acme",
                "widget",
                "1.0",
                Some("javadoc"),
                "jar",
                None,
                Some(ChecksumAlgorithm::Sha512),
            ),
            (
                "org/acme/widget/1.0/widget-1.0.jar.asc.sha1",
                "org.acme",
                "widget",
                "1.0",
                None,
                "jar.asc",
                None,
                Some(ChecksumAlgorithm::Sha1),
            ),
            (
                "junit/junit/4.13.2/junit-4.13.2.jar",
                "junit",
                "junit",
                "4.13.2",
                None,
                "jar",
                None,
                None,
            ),
            (
                "org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.jar",
                "org.apache.commons",
                "commons-lang3",
                "3.12.0",
                None,
                "jar",
                None,
                None,
            ),
            // The directory decides the version, even one that looks like a classifier.
            (
                "org/acme/widget/1.0/widget-1.0-1.jar",
                "org.acme",
                "widget",
                "1.0",
                Some("1"),
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0-1/widget-1.0-1.jar",
                "org.acme",
                "widget",
                "1.0-1",
                None,
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget-core/1.0/widget-core-1.0.jar",
                "org.acme",
                "widget-core",
                "1.0",
                None,
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0+b1/widget-1.0+b1.jar",
                "org.acme",
                "widget",
                "1.0+b1",
                None,
                "jar",
                None,
                None,
            ),
            // Snapshots: timestamped and plain.
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-1.jar",
                "org.acme",
                "widget",
                "1.0-SNAPSHOT",
                None,
                "jar",
                Some(build("20261203.101500", 1)),
                None,
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-12-sources.jar",
                "org.acme",
                "widget",
                "1.0-SNAPSHOT",
                Some("sources"),
                "jar",
                Some(build("20261203.101500", 12)),
                None,
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-3.pom.sha1",
                "org.acme",
                "widget",
                "1.0-SNAPSHOT",
                None,
                "pom",
                Some(build("20261203.101500", 3)),
                Some(ChecksumAlgorithm::Sha1),
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-SNAPSHOT.jar",
                "org.acme",
                "widget",
                "1.0-SNAPSHOT",
                None,
                "jar",
                None,
                None,
            ),
            (
                "org/acme/widget/1.0-snapshot/widget-1.0-20261203.101500-1.jar",
                "org.acme",
                "widget",
                "1.0-snapshot",
                None,
                "jar",
                Some(build("20261203.101500", 1)),
                None,
            ),
            // A timestamp is only a build in a snapshot directory: the layout decides.
            (
                "org/acme/widget/1.0/widget-1.0-20261203.101500-1.jar",
                "org.acme",
                "widget",
                "1.0",
                Some("20261203"),
                "101500-1.jar",
                None,
                None,
            ),
        ];
        for (path, group, artifact_id, version, classifier, extension, snapshot, checksum) in cases {
            let (file, algorithm) = artifact(path);
            assert_eq!(file.group_id, *group, "{path}");
            assert_eq!(file.artifact_id, *artifact_id, "{path}");
            assert_eq!(file.version, *version, "{path}");
            assert_eq!(file.classifier.as_deref(), *classifier, "{path}");
            assert_eq!(file.extension, *extension, "{path}");
            assert_eq!(file.snapshot, *snapshot, "{path}");
            assert_eq!(algorithm, *checksum, "{path}");
            let parsed = parse_path(path).expect(path);
            assert_eq!(parsed.to_path(), *path, "round trip");
            let file_path = match checksum {
                Some(algorithm) => format!("{}.{}", file.path(), algorithm.extension()),
                None => file.path(),
            };
            assert_eq!(file_path, *path);
        }
    }

    #[test]
    fn metadata_and_directories() {
        let cases = [
            (
                "org/acme/widget/maven-metadata.xml",
                MavenPathKind::ArtifactMetadata {
                    group_id: "org.acme".into(),
                    artifact_id: "widget".into(),
                },
                None,
            ),
            (
                "org/acme/widget/maven-metadata.xml.sha1",
                MavenPathKind::ArtifactMetadata {
                    group_id: "org.acme".into(),
                    artifact_id: "widget".into(),
                },
                Some(ChecksumAlgorithm::Sha1),
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/maven-metadata.xml",
                MavenPathKind::VersionMetadata {
                    group_id: "org.acme".into(),
                    artifact_id: "widget".into(),
                    version: "1.0-SNAPSHOT".into(),
                },
                None,
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/maven-metadata.xml.md5",
                MavenPathKind::VersionMetadata {
                    group_id: "org.acme".into(),
                    artifact_id: "widget".into(),
                    version: "1.0-SNAPSHOT".into(),
                },
                Some(ChecksumAlgorithm::Md5),
            ),
            // Not a snapshot: artifact-level metadata of group org.acme.widget.
            (
                "org/acme/widget/1.0/maven-metadata.xml",
                MavenPathKind::ArtifactMetadata {
                    group_id: "org.acme.widget".into(),
                    artifact_id: "1.0".into(),
                },
                None,
            ),
            // Too few directories for a version: artifact-level.
            (
                "widget/1.0-SNAPSHOT/maven-metadata.xml",
                MavenPathKind::ArtifactMetadata {
                    group_id: "widget".into(),
                    artifact_id: "1.0-SNAPSHOT".into(),
                },
                None,
            ),
            ("", MavenPathKind::Directory(Directory::default()), None),
            ("/", MavenPathKind::Directory(Directory::default()), None),
            (
                "org/acme/",
                MavenPathKind::Directory(Directory {
                    segments: vec!["org".into(), "acme".into()],
                }),
                None,
            ),
            (
                "org/acme/widget/1.0/",
                MavenPathKind::Directory(Directory {
                    segments: vec!["org".into(), "acme".into(), "widget".into(), "1.0".into()],
                }),
                None,
            ),
        ];
        for (path, kind, checksum) in cases {
            let parsed = parse_path(path).expect(path);
            assert_eq!(parsed, MavenPath { kind, checksum }, "{path}");
            if !path.is_empty() && path != "/" {
                assert_eq!(parsed.to_path(), path, "round trip");
            }
        }
    }

    #[test]
    fn directories_read_as_groups_artifacts_and_versions() {
        let directory = |path: &str| match parse_path(path).expect(path).kind {
            MavenPathKind::Directory(directory) => directory,
            other => panic!("{path}: {other:?}"),
        };
        let d = directory("org/acme/widget/1.0/");
        assert_eq!(d.path(), "org/acme/widget/1.0/");
        assert_eq!(d.as_group(), None, "a group directory has no dots");
        assert_eq!(d.as_artifact(), Some(("org.acme.widget".into(), "1.0")));
        assert_eq!(d.as_version(), Some(("org.acme".into(), "widget", "1.0")));
        let d = directory("org/acme/widget/");
        assert_eq!(d.as_group().as_deref(), Some("org.acme.widget"));
        assert_eq!(d.as_artifact(), Some(("org.acme".into(), "widget")));
        assert_eq!(d.as_version(), Some(("org".into(), "acme", "widget")));
        let d = directory("org/");
        assert_eq!(d.as_group().as_deref(), Some("org"));
        assert_eq!(d.as_artifact(), None);
        assert_eq!(d.as_version(), None);
        let d = directory("org.acme/widget/");
        assert_eq!(d.as_group(), None, "a group directory has no dots");
        assert_eq!(d.as_artifact(), None);
        assert_eq!(directory("").path(), "");
        assert_eq!(directory("").as_group(), None);
    }

    #[test]
    fn refused_paths() {
        let long = format!("org/{}/", "a/".repeat(MAX_PATH_LEN / 2));
        let cases = [
            ("org/acme/../widget/1.0/widget-1.0.jar", "'.' or '..'"),
            ("org/acme/widget/1.0/..", "'.' or '..'"),
            ("org/./widget/1.0/widget-1.0.jar", "'.' or '..'"),
            ("org//acme/widget/1.0/widget-1.0.jar", "empty segment"),
            ("/org/acme/widget/1.0/widget-1.0.jar", "empty segment"),
            ("org/acme/widget/1.0/widget-1.0.jar//", "empty segment"),
            ("org\\acme/widget/1.0/widget-1.0.jar", "'\\'"),
            ("org/acme/widget/1.0/widget-1.0.jar\n", "control characters"),
            ("org/acme/widget/1.0/wid\u{0}get-1.0.jar", "control characters"),
            ("org/acme/widget/1.0/widget 1.0.jar", "the character ' '"),
            ("org/acme/widget/1.0/widget-1.0.jar?x=1", "the character '?'"),
            ("org/acme/widget/1.0/widget-1.0%2Ejar", "the character '%'"),
            ("org/ácme/widget/1.0/widget-1.0.jar", "the character 'á'"),
            (long.as_str(), "longer than 2048 bytes"),
            // Files outside a version directory.
            ("widget-1.0.jar", "{groupId}/{artifactId}/{version}/"),
            ("widget/1.0/widget-1.0.jar", "{groupId}/{artifactId}/{version}/"),
            ("maven-metadata.xml", "must be in a {groupId}/{artifactId}/"),
            (
                "widget/maven-metadata.xml",
                "must be in a {groupId}/{artifactId}/",
            ),
            // File names that do not match their directories.
            (
                "org/acme/widget/1.0/gadget-1.0.jar",
                "must start with 'widget-1.0'",
            ),
            (
                "org/acme/widget/1.0/widget-1.1.jar",
                "must start with 'widget-1.0'",
            ),
            ("org/acme/widget/1.0/widget-1.0", "must start with 'widget-1.0'"),
            (
                "org/acme/widget/1.0/widget-1.0x.jar",
                "must start with 'widget-1.0'",
            ),
            (
                "org/acme/widget/1.0/widget-1.0-sources",
                "must start with 'widget-1.0'",
            ),
            (
                "org/acme/widget/1.0/widget1.0.jar",
                "must start with 'widget-1.0'",
            ),
            ("org/acme/widget/1.0/widget-1.0-.jar", "the classifier ''"),
            ("org/acme/widget/1.0/widget-1.0-a+b.jar", "the classifier 'a+b'"),
            ("org/acme/widget/1.0/widget-1.0..jar", "the extension '.jar'"),
            ("org/acme/widget/1.0/widget-1.0.jar.", "the extension 'jar.'"),
            ("org/acme/widget/1.0/widget-1.0.j+r", "the extension 'j+r'"),
            (
                "org/acme/widget/1.0/widget-1.0.jar.sha1.md5",
                "checksum of a checksum",
            ),
            (
                "org/acme/widget/1.0/widget-1.0.sha1",
                "must start with 'widget-1.0'",
            ),
            // Timestamps only in snapshot directories, and well formed.
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261303.101500-1.jar",
                "{yyyyMMdd.HHmmss}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.246000-1.jar",
                "{yyyyMMdd.HHmmss}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203-101500-1.jar",
                "{yyyyMMdd.HHmmss}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-0.jar",
                "{buildNumber}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-01.jar",
                "{buildNumber}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-.jar",
                "{buildNumber}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-99999999999.jar",
                "{buildNumber}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-1x.jar",
                "{buildNumber}",
            ),
            (
                "org/acme/widget/1.0-SNAPSHOT/widget-1.0-2026120.101500-1.jar",
                "{buildNumber}",
            ),
            // Invalid identities.
            ("org.acme/widget/1.0/widget-1.0.jar", "must not contain '.'"),
            (
                "org/acme/widget/1.0/widget-1.0.jar/x",
                "must start with '1.0-widget-1.0.jar'",
            ),
        ];
        for (path, message) in cases {
            let error = parse_path(path).expect_err(path);
            assert!(error.0.contains(message), "{path}: {error}");
        }
    }

    #[test]
    fn building_file_names() {
        let b = build("20261203.101500", 7);
        assert_eq!(b.version("1.0-SNAPSHOT"), "1.0-20261203.101500-7");
        assert_eq!(b.version("1.0-snapshot"), "1.0-20261203.101500-7");
        assert_eq!(b.version("1.0"), "1.0-20261203.101500-7");
        assert_eq!(b.updated(), "20261203101500");
        let file = ArtifactFile::new(
            "org.acme",
            "widget",
            "1.0-SNAPSHOT",
            Some("sources"),
            "jar",
            Some(&b),
        )
        .expect("valid file");
        assert_eq!(file.file_name, "widget-1.0-20261203.101500-7-sources.jar");
        assert_eq!(
            file.path(),
            "org/acme/widget/1.0-SNAPSHOT/widget-1.0-20261203.101500-7-sources.jar"
        );
        let snapshot = file.snapshot_file().expect("a timestamped file");
        assert_eq!(snapshot.classifier.as_deref(), Some("sources"));
        assert_eq!(snapshot.build, b);
        let plain = ArtifactFile::new("org.acme", "widget", "1.0", None, "tar.gz", None).expect("valid file");
        assert_eq!(plain.file_name, "widget-1.0.tar.gz");
        assert_eq!(plain.snapshot_file(), None);
        assert!(ArtifactFile::new("org.acme", "widget", "1.0", Some("a.b"), "jar", None).is_err());
        assert!(ArtifactFile::new("org.acme", "widget", "1.0", None, "jar.sha1", None).is_err());
        assert!(ArtifactFile::new("org.acme", "widget", "1.0", Some(""), "jar", None).is_err());
        assert!(ArtifactFile::new("org..acme", "widget", "1.0", None, "jar", None).is_err());
        assert!(ArtifactFile::new("org.acme", "widget", "1.0", None, "jar", Some(&b)).is_err());
    }

    #[test]
    fn builds_order_by_number_then_time() {
        let mut builds = vec![
            build("20261203.101500", 2),
            build("20261204.000000", 1),
            build("20261203.101501", 2),
        ];
        builds.sort();
        assert_eq!(
            builds,
            [
                build("20261204.000000", 1),
                build("20261203.101500", 2),
                build("20261203.101501", 2)
            ]
        );
    }
}
