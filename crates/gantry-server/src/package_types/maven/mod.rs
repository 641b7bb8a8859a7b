//! Maven artifacts: a maven2 repository that mvn deploys to and resolves
//! from, each version holding its files (jar, pom, sources, classifiers,
//! signatures), checksums and `maven-metadata.xml` answered by the server.

pub mod connector;
mod listing;
pub mod protocol;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::maven::{parse_path, Maven, MavenPathKind};
use gantry_formats::PackageFormat;
use gantry_store::{PackageFileRecord, PackageRecord};
use serde_json::Value;

use super::{DependencyRow, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;

/// Maven's registration.
pub struct MavenType;

#[async_trait]
impl PackageType for MavenType {
    fn format(&self) -> &'static dyn PackageFormat {
        &Maven
    }

    fn feed_types(&self) -> &'static [FeedType] {
        protocol::FEED_TYPES
    }

    fn routes(&self) -> Routes {
        protocol::routes()
    }

    fn connector(&self) -> Option<&'static dyn RemoteFormat> {
        Some(&connector::MavenRemote)
    }

    /// A pom is XML, a jar an archive: by the file's extension.
    fn content_type_of(&self, file_name: &str) -> &'static str {
        protocol::content_type(file_name)
    }

    fn feed_snippets(&self, a: FeedAddress<'_>) -> Vec<Snippet> {
        let (base, feed) = (a.base, a.feed);
        vec![
            Snippet::new(
                "settings.xml: credentials and the repository",
                format!(
                    "<servers>\n  <server>\n    <id>{feed}</id>\n    <username>api</username>\n    <password>YOUR_API_KEY</password>\n  </server>\n</servers>\n<mirrors>\n  <mirror>\n    <id>{feed}</id>\n    <mirrorOf>*</mirrorOf>\n    <url>{base}/maven2/{feed}/</url>\n  </mirror>\n</mirrors>"
                ),
            ),
            Snippet::new(
                "pom.xml: deploy here",
                format!(
                    "<distributionManagement>\n  <repository>\n    <id>{feed}</id>\n    <url>{base}/maven2/{feed}/</url>\n  </repository>\n  <snapshotRepository>\n    <id>{feed}</id>\n    <url>{base}/maven2/{feed}/</url>\n  </snapshotRepository>\n</distributionManagement>"
                ),
            ),
        ]
    }

    fn install_command(&self, a: FeedAddress<'_>, group: &str, name: &str, version: &str) -> String {
        format!(
            "mvn dependency:get -Dartifact={group}:{name}:{version} -DremoteRepositories={}::default::{}/maven2/{}/",
            a.feed, a.base, a.feed
        )
    }

    /// The pom's dependencies, with their scope.
    fn dependencies(&self, metadata: &Value) -> Vec<DependencyRow> {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        metadata
            .get("dependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|d| DependencyRow {
                scope: text(d, "scope"),
                name: format!("{}:{}", text(d, "groupId"), text(d, "artifactId")),
                range: text(d, "version"),
            })
            .collect()
    }

    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &["dependencies"]
    }

    /// The artifact itself: the file without a classifier that is not the
    /// pom (jar, war, aar...; of a snapshot, the newest build), else the
    /// pom (a `pom`-packaged version), else the first file. Files are
    /// stored with their file name as qualifier, so the default would pick
    /// whichever name sorts first (`-javadoc.jar`, `-sources.jar`).
    fn main_file<'a>(&self, record: &'a PackageRecord) -> Option<&'a PackageFileRecord> {
        let prefix = format!(
            "{}/{}/{}/",
            record.group.replace('.', "/"),
            record.name,
            record.version
        );
        let unclassified: Vec<(&PackageFileRecord, String)> = record
            .files
            .iter()
            .filter_map(|f| match parse_path(&format!("{prefix}{}", f.file_name)) {
                Ok(path) if path.checksum.is_none() => match path.kind {
                    MavenPathKind::Artifact(file) if file.classifier.is_none() => Some((f, file.extension)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        // A signature (`jar.asc`) is never the artifact.
        let signature = |extension: &str| {
            extension
                .rsplit('.')
                .next()
                .is_some_and(|e| e.eq_ignore_ascii_case("asc"))
        };
        let newest = |pom: bool| {
            unclassified
                .iter()
                .filter(|(_, extension)| (extension == "pom") == pom && !signature(extension))
                .map(|(f, _)| *f)
                .max_by_key(|f| f.added_at)
        };
        newest(false)
            .or_else(|| newest(true))
            .or_else(|| record.files.first())
    }
}

#[cfg(test)]
mod tests {
    use gantry_core::Sha256Digest;
    use gantry_store::PackageKey;
    use serde_json::json;

    use super::*;

    fn file(name: &str, added_at: i64) -> PackageFileRecord {
        PackageFileRecord {
            qualifier: name.into(),
            file_name: name.into(),
            added_at,
            added_by: "SYSTEM".into(),
            sha256: Sha256Digest::from_bytes([0; 32]),
            size: 1,
            md5: String::new(),
            sha1: String::new(),
            sha512: String::new(),
        }
    }

    fn version(version: &str, names: &[(&str, i64)]) -> PackageRecord {
        // Stored in qualifier order, as the store lists them.
        let mut files: Vec<PackageFileRecord> = names.iter().map(|(n, at)| file(n, *at)).collect();
        files.sort_by(|a, b| a.qualifier.cmp(&b.qualifier));
        PackageRecord {
            id: 1,
            feed_id: 1,
            group: "org.acme".into(),
            name: "widget".into(),
            version: version.into(),
            key: PackageKey {
                group_key: "org.acme".into(),
                name_key: "widget".into(),
                version_key: version.into(),
            },
            published_at: 0,
            published_by: "SYSTEM".into(),
            listed: true,
            deprecated: false,
            deprecation_reason: String::new(),
            downloads: 0,
            metadata: json!({}),
            files,
            remote: None,
        }
    }

    fn main_of(record: &PackageRecord) -> Option<&str> {
        MavenType.main_file(record).map(|f| f.file_name.as_str())
    }

    #[test]
    fn the_main_file_is_the_artifact_not_its_sources_or_pom() {
        let jar = version(
            "1.0",
            &[
                ("widget-1.0-javadoc.jar", 1),
                ("widget-1.0-sources.jar", 1),
                ("widget-1.0.jar.asc", 1),
                ("widget-1.0.pom", 1),
                ("widget-1.0.jar", 1),
            ],
        );
        assert_eq!(
            jar.primary_file().map(|f| f.file_name.as_str()),
            Some("widget-1.0-javadoc.jar")
        );
        assert_eq!(main_of(&jar), Some("widget-1.0.jar"));
        let war = version("1.0", &[("widget-1.0-sources.jar", 1), ("widget-1.0.war", 1)]);
        assert_eq!(main_of(&war), Some("widget-1.0.war"));
        let pom_only = version("1.0", &[("widget-1.0.pom", 1), ("widget-1.0.pom.asc", 1)]);
        assert_eq!(main_of(&pom_only), Some("widget-1.0.pom"));
        let classified = version(
            "1.0",
            &[("widget-1.0-linux.zip", 1), ("widget-1.0-sources.jar", 1)],
        );
        assert_eq!(main_of(&classified), Some("widget-1.0-linux.zip"));
        let snapshot = version(
            "1.0-SNAPSHOT",
            &[
                ("widget-1.0-20261203.101500-1.jar", 1),
                ("widget-1.0-20261203.111500-2.jar", 2),
                ("widget-1.0-20261203.111500-2.pom", 2),
            ],
        );
        assert_eq!(main_of(&snapshot), Some("widget-1.0-20261203.111500-2.jar"));
        assert_eq!(main_of(&version("1.0", &[])), None);
    }
}
