//! Universal packages (`.upack`): ProGet's own format, for anything that is
//! not another ecosystem's package.

pub mod connector;
pub mod protocol;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::{upack::Upack, PackageFormat};
use gantry_store::StagedBlob;
use serde_json::Value;

use super::{DependencyRow, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;
use crate::error::ApiResult;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// The universal package type's registration.
pub struct Universal;

#[async_trait]
impl PackageType for Universal {
    fn format(&self) -> &'static dyn PackageFormat {
        &Upack
    }

    fn feed_types(&self) -> &'static [FeedType] {
        protocol::FEED_TYPES
    }

    fn routes(&self) -> Routes {
        protocol::routes()
    }

    fn connector(&self) -> Option<&'static dyn RemoteFormat> {
        Some(&connector::UpackRemote)
    }

    fn upload_extensions(&self) -> &'static [&'static str] {
        &[".upack", ".zip"]
    }

    async fn parse_upload(&self, _state: &AppState, staged: &StagedBlob) -> ApiResult<ParsedPackage> {
        protocol::parse_upack(staged).await
    }

    fn feed_snippets(&self, a: FeedAddress<'_>) -> Vec<Snippet> {
        let (base, feed) = (a.base, a.feed);
        vec![
            Snippet::new(
                "Upload with the gantry command line",
                format!("gantry sources add --name=Default --url={base}\ngantry packages upload --feed={feed} --input-file=my-package-1.0.0.upack"),
            ),
            Snippet::new(
                "Download",
                format!("gantry packages download --feed={feed} --package=group/name --version=latest"),
            ),
            Snippet::new("Universal feed endpoint (upack, pgutil)", format!("{base}/upack/{feed}/")),
        ]
    }

    /// A manifest's `dependencies` are `group/name:version` strings.
    fn dependencies(&self, metadata: &Value) -> Vec<DependencyRow> {
        metadata
            .get("dependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|item| {
                let (name, range) = item.rsplit_once(':').unwrap_or((item, ""));
                DependencyRow {
                    scope: String::new(),
                    name: name.to_owned(),
                    range: range.to_owned(),
                }
            })
            .collect()
    }

    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &["dependencies"]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dependencies_read_group_name_and_version() {
        let rows = Universal.dependencies(&json!({"dependencies": ["acme/tools/hammer:1.2.0", "nails"]}));
        assert_eq!(
            rows,
            vec![
                DependencyRow {
                    scope: String::new(),
                    name: "acme/tools/hammer".into(),
                    range: "1.2.0".into()
                },
                DependencyRow {
                    scope: String::new(),
                    name: "nails".into(),
                    range: String::new()
                },
            ]
        );
    }
}
