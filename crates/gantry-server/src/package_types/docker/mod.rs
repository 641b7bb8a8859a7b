//! Docker/OCI images: a registry speaking the OCI distribution spec under
//! `/v2/{feed}/{repository}/…`, each feed a namespace of it. A tag is a
//! version (name = repository, version = tag) whose files are the whole
//! image — manifest(s), config, layers and referrers — stored once by
//! content, so promotion moves an image between feeds without a byte copied.
//! A feed can proxy other registries through connectors ([`connector`]).

mod access;
mod blobs;
mod catalog;
mod connector;
mod drain;
mod errors;
mod manifests;
pub mod protocol;
mod upstream;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::oci::Oci;
use gantry_formats::PackageFormat;
use serde_json::Value;

use super::{DependencyRow, DetailTable, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;

/// Docker's registration.
pub struct DockerType;

/// `scheme://host:port` without the scheme: how image references name a
/// registry.
pub(super) fn registry_host(base: &str) -> &str {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .trim_end_matches('/')
}

#[async_trait]
impl PackageType for DockerType {
    fn format(&self) -> &'static dyn PackageFormat {
        &Oci
    }

    fn feed_types(&self) -> &'static [FeedType] {
        protocol::FEED_TYPES
    }

    fn routes(&self) -> Routes {
        protocol::routes()
    }

    /// A pull-through cache of another registry ([`connector`]).
    fn connector(&self) -> Option<&'static dyn crate::connectors::remote::RemoteFormat> {
        Some(&connector::DockerRemote)
    }

    /// Files are manifests and blobs named by digest: bytes to a client.
    fn content_type_of(&self, _file_name: &str) -> &'static str {
        "application/octet-stream"
    }

    fn feed_snippets(&self, a: FeedAddress<'_>) -> Vec<Snippet> {
        let host = registry_host(a.base);
        let feed = a.feed;
        vec![
            Snippet::new(
                "Sign in (user api, an API key as password)",
                format!("docker login {host} -u api"),
            ),
            Snippet::new(
                "Push an image",
                format!("docker tag web:1.0 {host}/{feed}/acme/web:1.0\ndocker push {host}/{feed}/acme/web:1.0"),
            ),
            Snippet::new(
                "Copy an image with skopeo",
                format!("skopeo copy --all docker://docker.io/library/alpine:3 docker://{host}/{feed}/library/alpine:3"),
            ),
        ]
    }

    fn install_command(&self, a: FeedAddress<'_>, _group: &str, name: &str, version: &str) -> String {
        format!(
            "docker pull {}/{}/{name}:{version}",
            registry_host(a.base),
            a.feed
        )
    }

    /// skopeo copies the image (every platform of an index) without a
    /// Docker daemon.
    fn other_install_commands(
        &self,
        a: FeedAddress<'_>,
        _group: &str,
        name: &str,
        version: &str,
    ) -> Vec<Snippet> {
        let last = name.rsplit('/').next().unwrap_or(name);
        vec![Snippet::new(
            "skopeo",
            format!(
                "skopeo copy --all docker://{}/{}/{name}:{version} oci:{last}:{version}",
                registry_host(a.base),
                a.feed
            ),
        )]
    }

    /// The image's layers with their sizes, and an index's platforms.
    fn detail_tables(&self, metadata: &Value) -> Vec<DetailTable> {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let size =
            |v: &Value| crate::ui::view::size(v.get("size").and_then(Value::as_u64).unwrap_or_default());
        let mut tables = Vec::new();
        if let Some(layers) = metadata.get("layers").and_then(Value::as_array) {
            tables.push(DetailTable {
                title: "Layers".into(),
                columns: vec!["Digest", "Media type", "Size"],
                rows: layers
                    .iter()
                    .map(|l| vec![text(l, "digest"), text(l, "mediaType"), size(l)])
                    .collect(),
            });
        }
        if let Some(children) = metadata.get("manifests").and_then(Value::as_array) {
            tables.push(DetailTable {
                title: "Platforms".into(),
                columns: vec!["Platform", "Manifest digest", "Media type"],
                rows: children
                    .iter()
                    .map(|c| {
                        let platform = text(c, "platform");
                        vec![
                            if platform.is_empty() {
                                "(any)".into()
                            } else {
                                platform
                            },
                            text(c, "digest"),
                            text(c, "mediaType"),
                        ]
                    })
                    .collect(),
            });
        }
        tables
    }

    /// An image has no declared dependencies.
    fn dependencies(&self, _metadata: &Value) -> Vec<DependencyRow> {
        Vec::new()
    }

    /// Shown in their own sections of the version page.
    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &["layers", "manifests", "annotations", "platforms"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_page_lists_layers_and_platforms() {
        let image = serde_json::json!({
            "layers": [{"digest": "sha256:aa", "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 2048}]
        });
        let tables = DockerType.detail_tables(&image);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].title, "Layers");
        assert_eq!(tables[0].rows[0][0], "sha256:aa");
        assert_eq!(tables[0].rows[0][2], "2.0 KB");
        let index = serde_json::json!({
            "manifests": [
                {"digest": "sha256:bb", "mediaType": "m", "platform": "linux/arm64/v8"},
                {"digest": "sha256:cc", "mediaType": "m"}
            ]
        });
        let tables = DockerType.detail_tables(&index);
        assert_eq!(tables[0].title, "Platforms");
        assert_eq!(tables[0].rows[0][0], "linux/arm64/v8");
        assert_eq!(tables[0].rows[1][0], "(any)");
    }

    #[test]
    fn image_references_name_the_host_and_the_feed() {
        let address = FeedAddress {
            base: "http://127.0.0.1:8624",
            feed: "approved",
            feed_type: FeedType::Docker,
        };
        assert_eq!(
            DockerType.install_command(address, "", "acme/web", "1.0"),
            "docker pull 127.0.0.1:8624/approved/acme/web:1.0"
        );
        assert!(DockerType.feed_snippets(address)[1]
            .code
            .contains("127.0.0.1:8624/approved/acme/web:1.0"));
        assert_eq!(
            DockerType.other_install_commands(address, "", "acme/web", "1.0")[0].code,
            "skopeo copy --all docker://127.0.0.1:8624/approved/acme/web:1.0 oci:web:1.0"
        );
    }
}
