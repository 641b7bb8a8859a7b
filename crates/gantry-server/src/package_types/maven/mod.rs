//! Maven artifacts: a maven2 repository that mvn deploys to and resolves
//! from, each version holding its files (jar, pom, sources, classifiers,
//! signatures), checksums and `maven-metadata.xml` answered by the server.

pub mod protocol;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::maven::Maven;
use gantry_formats::PackageFormat;
use serde_json::Value;

use super::{DependencyRow, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;

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
}
