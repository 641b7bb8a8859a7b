//! Reading the `maven-metadata.xml` another repository serves: what a
//! connector needs of an upstream's artifact metadata (its versions) and
//! of a snapshot version's metadata (its builds' files). Unknown elements
//! are skipped, as Maven itself does; the document goes through the same
//! safe XML reader as the POM.

use quick_xml::events::BytesStart;

use super::metadata::SnapshotFile;
use super::path::SnapshotBuild;
use super::validate_version;
use crate::xml_document::{read_document, ElementSink};
use crate::FormatError;

/// The largest `maven-metadata.xml` read: an artifact with tens of
/// thousands of versions fits many times over.
pub const MAX_METADATA_BYTES: usize = 8 * 1024 * 1024;

/// What a `maven-metadata.xml` says, as far as a repository merging it
/// with its own needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryMetadata {
    /// `versioning/versions/version`, in document order; entries that are
    /// not valid versions are left out.
    pub versions: Vec<String>,
    /// `versioning/lastUpdated` in Unix milliseconds, when present and valid.
    pub last_updated_millis: Option<i64>,
    /// `versioning/snapshotVersions` of a snapshot version's metadata: each
    /// file's newest build (entries whose value is not a timestamped build
    /// of the document's version are left out).
    pub snapshot_files: Vec<SnapshotFile>,
}

/// Reads a `maven-metadata.xml` (artifact or snapshot-version level).
pub fn read_metadata(bytes: &[u8]) -> Result<RepositoryMetadata, FormatError> {
    let mut reader = Reader::default();
    read_document(bytes, "maven-metadata.xml", MAX_METADATA_BYTES, &mut reader)?;
    if !reader.root_seen {
        return Err(FormatError("maven-metadata.xml has no <metadata> element".into()));
    }
    let version = reader.version.trim().to_owned();
    let mut metadata = reader.metadata;
    metadata.snapshot_files = reader
        .snapshot_versions
        .into_iter()
        .filter_map(|entry| entry.into_file(&version))
        .collect();
    Ok(metadata)
}

/// Reads `yyyyMMddHHmmss` (UTC), as `lastUpdated` holds it, into Unix
/// milliseconds.
pub fn parse_last_updated(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<i64>().ok());
    let (year, month, day) = (field(0..4)?, field(4..6)?, field(6..8)?);
    let (hour, minute, second) = (field(8..10)?, field(10..12)?, field(12..14)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400) + hour * 3600 + minute * 60 + second) * 1000)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, the inverse of the writer's `civil_from_days`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// One `<snapshotVersion>` as read.
#[derive(Default)]
struct SnapshotEntry {
    classifier: String,
    extension: String,
    value: String,
}

impl SnapshotEntry {
    /// The entry as a file of a build of `version` (`1.0-SNAPSHOT`).
    fn into_file(self, version: &str) -> Option<SnapshotFile> {
        let base = version.strip_suffix("SNAPSHOT")?;
        let build = self.value.trim().strip_prefix(base)?;
        let build = SnapshotBuild::parse(build)?;
        let extension = self.extension.trim();
        if extension.is_empty() || extension.contains('/') {
            return None;
        }
        let classifier = self.classifier.trim();
        Some(SnapshotFile {
            classifier: (!classifier.is_empty()).then(|| classifier.to_owned()),
            extension: extension.to_owned(),
            build,
        })
    }
}

/// Collects the fields read, by element path below `<metadata>`.
#[derive(Default)]
struct Reader {
    /// Local names of the open elements, root first.
    path: Vec<String>,
    root_seen: bool,
    text: String,
    version: String,
    metadata: RepositoryMetadata,
    snapshot_versions: Vec<SnapshotEntry>,
}

impl Reader {
    fn at(&self, expected: &[&str]) -> bool {
        self.path.len() == expected.len() && self.path.iter().zip(expected).all(|(a, b)| a == b)
    }
}

impl ElementSink for Reader {
    fn open(&mut self, element: &BytesStart<'_>, empty: bool) -> Result<(), FormatError> {
        let name = element.local_name().into_inner().to_owned();
        if self.path.is_empty() {
            if self.root_seen || name != "metadata" {
                return Err(FormatError(format!(
                    "maven-metadata.xml must have one <metadata> root, not <{name}>"
                )));
            }
            self.root_seen = true;
        }
        self.path.push(name);
        self.text.clear();
        if self.at(&["metadata", "versioning", "snapshotVersions", "snapshotVersion"]) {
            self.snapshot_versions.push(SnapshotEntry::default());
        }
        if empty {
            self.close();
        }
        Ok(())
    }

    fn close(&mut self) {
        let text = std::mem::take(&mut self.text);
        let value = text.trim();
        if self.at(&["metadata", "version"]) {
            value.clone_into(&mut self.version);
        } else if self.at(&["metadata", "versioning", "versions", "version"]) {
            if validate_version(value).is_ok() {
                self.metadata.versions.push(value.to_owned());
            }
        } else if self.at(&["metadata", "versioning", "lastUpdated"]) {
            self.metadata.last_updated_millis = parse_last_updated(value);
        } else if self.path.len() == 5
            && self.path[..4] == ["metadata", "versioning", "snapshotVersions", "snapshotVersion"]
        {
            if let Some(entry) = self.snapshot_versions.last_mut() {
                match self.path[4].as_str() {
                    "classifier" => value.clone_into(&mut entry.classifier),
                    "extension" => value.clone_into(&mut entry.extension),
                    "value" => value.clone_into(&mut entry.value),
                    _ => {}
                }
            }
        }
        self.path.pop();
    }

    fn text(&mut self, text: &str) -> Result<(), FormatError> {
        // Only leaf values are kept; an element's text is its own.
        if self.text.len() + text.len() > 1024 {
            return Err(FormatError(format!(
                "maven-metadata.xml has a value longer than 1024 bytes under <{}>",
                self.path.last().map_or("", String::as_str)
            )));
        }
        self.text.push_str(text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maven::{artifact_metadata_xml, format_last_updated, snapshot_metadata_xml};

    #[test]
    fn reads_back_what_the_server_writes() {
        let written = artifact_metadata_xml(
            "org.acme",
            "widget",
            &["1.0", "2.0-SNAPSHOT", "1.10"],
            1_764_756_900_000,
        );
        let read = read_metadata(written.as_bytes()).expect("metadata");
        assert_eq!(read.versions, ["1.0", "1.10", "2.0-SNAPSHOT"]);
        assert_eq!(read.last_updated_millis, Some(1_764_756_900_000));
        assert!(read.snapshot_files.is_empty());
    }

    #[test]
    fn reads_a_snapshot_versions_builds() {
        let build = |timestamp: &str, build_number| SnapshotBuild {
            timestamp: timestamp.into(),
            build_number,
        };
        let files = vec![
            SnapshotFile {
                classifier: None,
                extension: "jar".into(),
                build: build("20261203.101500", 2),
            },
            SnapshotFile {
                classifier: Some("sources".into()),
                extension: "jar".into(),
                build: build("20261203.091500", 1),
            },
        ];
        let written = snapshot_metadata_xml("org.acme", "lib", "1.0-SNAPSHOT", &files, 0);
        let read = read_metadata(written.as_bytes()).expect("metadata");
        assert_eq!(read.snapshot_files.len(), 2);
        assert!(read.snapshot_files.contains(&files[0]));
        assert!(read.snapshot_files.contains(&files[1]));
    }

    #[test]
    fn skips_what_it_does_not_know_and_bad_entries() {
        let xml = br#"<?xml version="1.0"?>
<metadata>
  <groupId>org.acme</groupId><artifactId>lib</artifactId><version>1.0-SNAPSHOT</version>
  <versioning>
    <versions><version>1.0</version><version>bad version!</version></versions>
    <lastUpdated>not a time</lastUpdated>
    <plugins><plugin><prefix>x</prefix></plugin></plugins>
    <snapshotVersions>
      <snapshotVersion><extension>jar</extension><value>2.0-20261203.101500-1</value></snapshotVersion>
      <snapshotVersion><extension>pom</extension><value>1.0-20261203.101500-1</value></snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>"#;
        let read = read_metadata(xml).expect("metadata");
        assert_eq!(read.versions, ["1.0"]);
        assert_eq!(read.last_updated_millis, None);
        assert_eq!(read.snapshot_files.len(), 1, "only builds of 1.0-SNAPSHOT");
        assert_eq!(read.snapshot_files[0].extension, "pom");
    }

    #[test]
    fn refuses_what_is_not_metadata() {
        assert!(read_metadata(b"<project/>").is_err());
        assert!(read_metadata(b"<!DOCTYPE x [<!ENTITY a 'b'>]><metadata/>").is_err());
        assert!(read_metadata(b"not xml <").is_err());
    }

    #[test]
    fn last_updated_round_trips() {
        for millis in [
            0,
            86_400_000,
            951_782_400_000,
            1_764_756_900_000,
            4_102_444_799_000,
        ] {
            assert_eq!(parse_last_updated(&format_last_updated(millis)), Some(millis));
        }
        assert_eq!(parse_last_updated("20261303000000"), None);
        assert_eq!(parse_last_updated("2026"), None);
    }
}
