//! npm packages: the npm registry protocol, dist-tags, and the `latest`
//! tag's policy on promotion.

pub mod connector;
pub mod protocol;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::npm::{self, Npm};
use gantry_formats::PackageFormat;
use gantry_store::{FeedRecord, PackageQuery, PackageRecord, TagMove};
use serde_json::Value;

use super::{DependencyRow, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;
use crate::error::ApiResult;
use crate::state::AppState;

/// The dist-tag npm installs by default.
pub const LATEST: &str = "latest";

/// npm's registration.
pub struct NpmType;

#[async_trait]
impl PackageType for NpmType {
    fn format(&self) -> &'static dyn PackageFormat {
        &Npm
    }

    fn feed_types(&self) -> &'static [FeedType] {
        protocol::FEED_TYPES
    }

    fn routes(&self) -> Routes {
        protocol::routes()
    }

    fn connector(&self) -> Option<&'static dyn RemoteFormat> {
        Some(&connector::NpmRemote)
    }

    fn feed_snippets(&self, a: FeedAddress<'_>) -> Vec<Snippet> {
        let (base, feed) = (a.base, a.feed);
        // `.npmrc` keys credentials by host and path, without the scheme.
        let host = base.split_once("://").map_or(base, |(_, rest)| rest);
        vec![
            Snippet::new(
                ".npmrc",
                format!("registry={base}/npm/{feed}/\n//{host}/npm/{feed}/:_authToken=YOUR_API_KEY"),
            ),
            Snippet::new(
                "Use it once",
                format!("npm install --registry {base}/npm/{feed}/ my-package"),
            ),
            Snippet::new("Publish", format!("npm publish --registry {base}/npm/{feed}/")),
        ]
    }

    fn install_command(&self, a: FeedAddress<'_>, group: &str, name: &str, version: &str) -> String {
        format!(
            "npm install {}@{version} --registry {}/npm/{}/",
            npm::full_name(group, name),
            a.base,
            a.feed
        )
    }

    /// `dependencies`, `optionalDependencies` and `peerDependencies`,
    /// each a name-to-range object.
    fn dependencies(&self, metadata: &Value) -> Vec<DependencyRow> {
        let mut rows = Vec::new();
        for (key, scope) in [
            ("dependencies", ""),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
        ] {
            if let Some(Value::Object(map)) = metadata.get(key) {
                rows.extend(map.iter().map(|(name, range)| DependencyRow {
                    scope: scope.to_owned(),
                    name: name.clone(),
                    range: range.as_str().unwrap_or_default().to_owned(),
                }));
            }
        }
        rows
    }

    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &["dependencies", "dist", "versions"]
    }

    /// `latest` moves only forward, and only to a stable version: when the
    /// promoted version is above the one `latest` names, or (no tag yet)
    /// not below any stable version the target holds. A prerelease never
    /// moves it; nothing ever rewinds it.
    async fn promotion_tag_moves(
        &self,
        state: &AppState,
        to: &FeedRecord,
        source: &PackageRecord,
    ) -> ApiResult<Vec<TagMove>> {
        if !Npm.is_stable(&source.version) {
            return Ok(Vec::new());
        }
        let tags = state
            .meta()
            .dist_tags(to.id, &source.key.group_key, &source.key.name_key)
            .await?;
        let latest = tags.iter().find(|t| t.tag == LATEST);
        let forward = if let Some(latest) = latest {
            Npm.compare_versions(&source.version, &latest.version).is_gt()
        } else {
            let held = state
                .meta()
                .find_packages(
                    to.id,
                    &PackageQuery {
                        group_key: Some(source.key.group_key.clone()),
                        name_key: Some(source.key.name_key.clone()),
                        version_key: None,
                    },
                )
                .await?;
            held.iter()
                .filter(|p| Npm.is_stable(&p.version))
                .all(|p| Npm.compare_versions(&source.version, &p.version).is_ge())
        };
        Ok(if forward {
            vec![TagMove {
                tag: LATEST.to_owned(),
                expected_version_key: latest.map(|t| t.version_key.clone()),
            }]
        } else {
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn npmrc_names_the_registry_and_its_token_key() {
        let snippets = NpmType.feed_snippets(FeedAddress {
            base: "https://pkgs.example.com",
            feed: "approved-npm",
            feed_type: FeedType::Npm,
        });
        assert_eq!(
            snippets[0].code,
            "registry=https://pkgs.example.com/npm/approved-npm/\n//pkgs.example.com/npm/approved-npm/:_authToken=YOUR_API_KEY"
        );
    }

    #[test]
    fn install_command_names_the_scope() {
        let address = FeedAddress {
            base: "http://h",
            feed: "f",
            feed_type: FeedType::Npm,
        };
        assert_eq!(
            NpmType.install_command(address, "@acme", "left-pad", "1.0.0"),
            "npm install @acme/left-pad@1.0.0 --registry http://h/npm/f/"
        );
    }

    #[test]
    fn dependencies_read_every_kind() {
        let rows = NpmType.dependencies(
            &json!({"dependencies": {"left-pad": "^1.3.0"}, "peerDependencies": {"react": ">=18"}}),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].scope, "peer");
    }
}
