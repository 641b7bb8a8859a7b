//! The documents a Maven repository serves besides artifacts: the
//! `maven-metadata.xml` of an artifact (its versions) and of a snapshot
//! version (its builds), and checksum files.
//!
//! The XML is what Maven's own `MetadataXpp3Writer` writes (Maven 3.8 reads
//! it, and so do Gradle and sbt): `<metadata modelVersion="1.1.0">`, the
//! `versioning` children in the model's order, two-space indentation, times
//! as `yyyyMMddHHmmss` in UTC.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::path::SnapshotBuild;
use super::version::sort_versions;
use super::{is_snapshot, MAX_ID_LEN};
use crate::FormatError;

/// A checksum algorithm of the files beside every repository file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChecksumAlgorithm {
    /// `.md5`.
    Md5,
    /// `.sha1`, the one every Maven client checks.
    Sha1,
    /// `.sha256`.
    Sha256,
    /// `.sha512`.
    Sha512,
}

impl ChecksumAlgorithm {
    /// Every algorithm, weakest first.
    pub const ALL: [Self; 4] = [Self::Md5, Self::Sha1, Self::Sha256, Self::Sha512];

    /// The file-name suffix without its dot (`sha1`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// The algorithm of a file-name suffix without its dot (`sha1`); the
    /// suffixes are lower-case, as Maven writes them.
    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.extension() == extension)
    }

    /// The length of a digest in hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    /// Picks this algorithm's digest among a file's four, as the blob store
    /// keeps them for every blob: a checksum file is served from there
    /// rather than hashed again.
    pub fn select<'a>(self, md5: &'a str, sha1: &'a str, sha256: &'a str, sha512: &'a str) -> &'a str {
        match self {
            Self::Md5 => md5,
            Self::Sha1 => sha1,
            Self::Sha256 => sha256,
            Self::Sha512 => sha512,
        }
    }
}

/// The largest checksum file read; a real one is a digest and maybe a file name.
const MAX_CHECKSUM_FILE_BYTES: usize = 4096;

/// Reads a checksum file a client uploaded, returning the digest in lower-case
/// hex. Accepts the bare digest Maven writes, `digest  file-name` (the
/// `sha1sum` form) and `SHA1 (file-name) = digest` (the BSD form).
pub fn read_checksum_file(algorithm: ChecksumAlgorithm, bytes: &[u8]) -> Result<String, FormatError> {
    let refuse = || {
        FormatError(format!(
            "the .{} file does not hold a {}-digit hex digest",
            algorithm.extension(),
            algorithm.hex_len()
        ))
    };
    if bytes.len() > MAX_CHECKSUM_FILE_BYTES {
        return Err(refuse());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| refuse())?;
    let mut words = text.split_whitespace();
    let first = words.next();
    let last = words.last();
    [first, last]
        .into_iter()
        .flatten()
        .find(|word| word.len() == algorithm.hex_len() && word.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
        .ok_or_else(refuse)
}

/// One file of a snapshot build, for [`snapshot_metadata_xml`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotFile {
    /// The classifier (`sources`), if any.
    pub classifier: Option<String>,
    /// The extension (`jar`, `pom`, `jar.asc`).
    pub extension: String,
    /// The build the file belongs to.
    pub build: SnapshotBuild,
}

/// A time in milliseconds since the Unix epoch as `maven-metadata.xml`
/// writes it: `yyyyMMddHHmmss` in UTC (times before 1970 are written as
/// the epoch).
pub fn format_last_updated(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The `maven-metadata.xml` of an artifact: its versions in Maven's order
/// ([`sort_versions`](super::sort_versions), duplicates dropped), `latest`
/// the highest, `release` the highest that is not a snapshot (left out when
/// there is none), and `lastUpdated`.
pub fn artifact_metadata_xml(
    group_id: &str,
    artifact_id: &str,
    versions: &[&str],
    last_updated_millis: i64,
) -> String {
    let mut sorted: Vec<&str> = versions.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sort_versions(&mut sorted);
    let latest = sorted.last().copied();
    let release = sorted.iter().rev().copied().find(|version| !is_snapshot(version));

    let mut xml = Xml::new();
    xml.open("metadata", " modelVersion=\"1.1.0\"");
    xml.leaf("groupId", group_id);
    xml.leaf("artifactId", artifact_id);
    xml.open("versioning", "");
    if let Some(latest) = latest {
        xml.leaf("latest", latest);
    }
    if let Some(release) = release {
        xml.leaf("release", release);
    }
    if !sorted.is_empty() {
        xml.open("versions", "");
        for version in &sorted {
            xml.leaf("version", version);
        }
        xml.close("versions");
    }
    xml.leaf("lastUpdated", &format_last_updated(last_updated_millis));
    xml.close("versioning");
    xml.close("metadata");
    xml.finish()
}

/// The `maven-metadata.xml` of a snapshot version: the newest build's
/// timestamp and build number, `lastUpdated`, and one `snapshotVersion` per
/// (classifier, extension) naming that file's newest build, with the
/// build's time as `updated`. Files without a classifier come first, then
/// by classifier and extension.
///
/// The version is expected to end with `-SNAPSHOT`; the builds' versions
/// replace that `SNAPSHOT` with their timestamp and number
/// ([`SnapshotBuild::version`](super::SnapshotBuild::version)).
pub fn snapshot_metadata_xml(
    group_id: &str,
    artifact_id: &str,
    version: &str,
    builds: &[SnapshotFile],
    last_updated_millis: i64,
) -> String {
    let newest = builds.iter().map(|file| &file.build).max();
    let mut files: BTreeMap<(Option<&str>, &str), &SnapshotBuild> = BTreeMap::new();
    for file in builds {
        let key = (file.classifier.as_deref(), file.extension.as_str());
        let entry = files.entry(key).or_insert(&file.build);
        if file.build > **entry {
            *entry = &file.build;
        }
    }

    let mut xml = Xml::new();
    xml.open("metadata", " modelVersion=\"1.1.0\"");
    xml.leaf("groupId", group_id);
    xml.leaf("artifactId", artifact_id);
    xml.leaf("version", version);
    xml.open("versioning", "");
    if let Some(newest) = newest {
        xml.open("snapshot", "");
        xml.leaf("timestamp", &newest.timestamp);
        xml.leaf("buildNumber", &newest.build_number.to_string());
        xml.close("snapshot");
    }
    xml.leaf("lastUpdated", &format_last_updated(last_updated_millis));
    if !files.is_empty() {
        xml.open("snapshotVersions", "");
        for ((classifier, extension), build) in &files {
            xml.open("snapshotVersion", "");
            if let Some(classifier) = classifier {
                xml.leaf("classifier", classifier);
            }
            xml.leaf("extension", extension);
            xml.leaf("value", &build.version(version));
            xml.leaf("updated", &build.updated());
            xml.close("snapshotVersion");
        }
        xml.close("snapshotVersions");
    }
    xml.close("versioning");
    xml.close("metadata");
    xml.finish()
}

/// A small indenting writer for the metadata documents.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Opens an element; `attributes` is written as it is (constants only).
    fn open(&mut self, name: &str, attributes: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}{attributes}>");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>{}</{name}>", escape(xml_chars(text)));
    }

    fn finish(self) -> String {
        self.out
    }
}

/// The text with the characters XML 1.0 cannot hold (controls other than
/// tab and line breaks, U+FFFE, U+FFFF) replaced by U+FFFD, and cut to a
/// sane length, so that the document is well formed whatever it is given.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    let limit = MAX_ID_LEN * 4;
    if text.len() <= limit && text.chars().all(allowed) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .take(limit)
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    use super::*;

    /// 2026-12-03T10:15:00.123Z
    const DEC_3_2026: i64 = 1_796_292_900_123;

    fn assert_well_formed(xml: &str) {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().enable_all_checks(true);
        let mut depth = 0i32;
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }

    fn build(timestamp: &str, build_number: u32) -> SnapshotBuild {
        SnapshotBuild {
            timestamp: timestamp.into(),
            build_number,
        }
    }

    fn file(classifier: Option<&str>, extension: &str, build: &SnapshotBuild) -> SnapshotFile {
        SnapshotFile {
            classifier: classifier.map(str::to_owned),
            extension: extension.into(),
            build: build.clone(),
        }
    }

    #[test]
    fn last_updated_is_utc() {
        assert_eq!(format_last_updated(0), "19700101000000");
        assert_eq!(format_last_updated(-5), "19700101000000");
        assert_eq!(format_last_updated(DEC_3_2026), "20261203101500");
        assert_eq!(format_last_updated(951_782_400_000), "20000229000000");
        assert_eq!(format_last_updated(4_102_444_799_999), "20991231235959");
        assert!(format_last_updated(i64::MAX).len() >= 14);
    }

    #[test]
    fn artifact_metadata_golden() {
        let xml = artifact_metadata_xml(
            "org.acme",
            "widget",
            &["1.10", "1.0", "1.9", "2.0-SNAPSHOT", "1.0-rc1", "1.9"],
            DEC_3_2026,
        );
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>org.acme</groupId>
  <artifactId>widget</artifactId>
  <versioning>
    <latest>2.0-SNAPSHOT</latest>
    <release>1.10</release>
    <versions>
      <version>1.0-rc1</version>
      <version>1.0</version>
      <version>1.9</version>
      <version>1.10</version>
      <version>2.0-SNAPSHOT</version>
    </versions>
    <lastUpdated>20261203101500</lastUpdated>
  </versioning>
</metadata>
"#
        );
        assert_well_formed(&xml);
    }

    #[test]
    fn artifact_metadata_without_releases_or_versions() {
        let xml = artifact_metadata_xml("org.acme", "widget", &["1.0-SNAPSHOT"], 0);
        assert!(xml.contains("<latest>1.0-SNAPSHOT</latest>"));
        assert!(!xml.contains("<release>"));
        assert_well_formed(&xml);
        let xml = artifact_metadata_xml("org.acme", "widget", &[], 0);
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>org.acme</groupId>
  <artifactId>widget</artifactId>
  <versioning>
    <lastUpdated>19700101000000</lastUpdated>
  </versioning>
</metadata>
"#
        );
        // Versions Maven finds equal keep a fixed order.
        let a = artifact_metadata_xml("g", "a", &["1.0", "1", "1.0.0"], 0);
        let b = artifact_metadata_xml("g", "a", &["1.0.0", "1.0", "1"], 0);
        assert_eq!(a, b);
        assert!(a.contains("<latest>1.0.0</latest>"));
    }

    #[test]
    fn snapshot_metadata_golden() {
        let first = build("20261202.090000", 1);
        let second = build("20261203.101500", 2);
        let builds = [
            file(None, "jar", &first),
            file(None, "pom", &first),
            file(Some("sources"), "jar", &first),
            file(None, "pom", &second),
            file(None, "jar", &second),
            file(None, "jar.asc", &second),
        ];
        let xml = snapshot_metadata_xml("org.acme", "widget", "1.0-SNAPSHOT", &builds, DEC_3_2026);
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>org.acme</groupId>
  <artifactId>widget</artifactId>
  <version>1.0-SNAPSHOT</version>
  <versioning>
    <snapshot>
      <timestamp>20261203.101500</timestamp>
      <buildNumber>2</buildNumber>
    </snapshot>
    <lastUpdated>20261203101500</lastUpdated>
    <snapshotVersions>
      <snapshotVersion>
        <extension>jar</extension>
        <value>1.0-20261203.101500-2</value>
        <updated>20261203101500</updated>
      </snapshotVersion>
      <snapshotVersion>
        <extension>jar.asc</extension>
        <value>1.0-20261203.101500-2</value>
        <updated>20261203101500</updated>
      </snapshotVersion>
      <snapshotVersion>
        <extension>pom</extension>
        <value>1.0-20261203.101500-2</value>
        <updated>20261203101500</updated>
      </snapshotVersion>
      <snapshotVersion>
        <classifier>sources</classifier>
        <extension>jar</extension>
        <value>1.0-20261202.090000-1</value>
        <updated>20261202090000</updated>
      </snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>
"#
        );
        assert_well_formed(&xml);
        let empty = snapshot_metadata_xml("org.acme", "widget", "1.0-SNAPSHOT", &[], 0);
        assert!(!empty.contains("<snapshot>") && !empty.contains("<snapshotVersions>"));
        assert_well_formed(&empty);
    }

    #[test]
    fn text_is_escaped_and_always_well_formed() {
        let xml = artifact_metadata_xml("a&b", "<c>\"'", &["1\u{0}", "]]>", "\u{FFFF}"], 0);
        assert!(xml.contains("<groupId>a&amp;b</groupId>"));
        assert!(xml.contains("<artifactId>&lt;c&gt;&quot;&apos;</artifactId>"));
        assert!(xml.contains("<version>1\u{FFFD}</version>"));
        assert_well_formed(&xml);
        let b = build("2026<1203", 1);
        let xml = snapshot_metadata_xml("g", "a", "x&y", &[file(Some("<"), "&", &b)], 0);
        assert_well_formed(&xml);
        let long = "x".repeat(10_000);
        assert!(artifact_metadata_xml(&long, "a", &[], 0).len() < 2_000);
    }

    #[test]
    fn checksum_algorithms() {
        for algorithm in ChecksumAlgorithm::ALL {
            assert_eq!(
                ChecksumAlgorithm::from_extension(algorithm.extension()),
                Some(algorithm)
            );
        }
        assert_eq!(ChecksumAlgorithm::from_extension("SHA1"), None);
        assert_eq!(ChecksumAlgorithm::from_extension("asc"), None);
        assert_eq!(
            ChecksumAlgorithm::Sha256.select("m", "s1", "s256", "s512"),
            "s256"
        );
        assert_eq!(ChecksumAlgorithm::Md5.select("m", "s1", "s256", "s512"), "m");
        let sha1 = "A9993E364706816ABA3E25717850C26C9CD0D89D";
        let lower = sha1.to_ascii_lowercase();
        for body in [
            sha1.to_owned(),
            format!("{sha1}\n"),
            format!("{sha1}  widget-1.0.jar\n"),
            format!("SHA1 (widget-1.0.jar) = {sha1}"),
        ] {
            assert_eq!(
                read_checksum_file(ChecksumAlgorithm::Sha1, body.as_bytes()),
                Ok(lower.clone()),
                "{body:?}"
            );
        }
        for body in ["", "abc", &sha1[..39], "g9993e364706816aba3e25717850c26c9cd0d89d"] {
            assert!(
                read_checksum_file(ChecksumAlgorithm::Sha1, body.as_bytes()).is_err(),
                "{body:?}"
            );
        }
        assert!(read_checksum_file(ChecksumAlgorithm::Md5, sha1.as_bytes()).is_err());
        assert!(read_checksum_file(ChecksumAlgorithm::Sha1, b"\xff\xfe").is_err());
        assert!(read_checksum_file(ChecksumAlgorithm::Sha1, &[b' '; 5000]).is_err());
    }
}
