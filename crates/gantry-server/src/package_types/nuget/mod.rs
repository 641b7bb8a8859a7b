//! NuGet packages (`.nupkg`), served to NuGet, Chocolatey and PowerShell
//! feeds through the NuGet v2 and v3 protocols.

pub mod connector;
pub mod protocol;

use async_trait::async_trait;
use gantry_core::FeedType;
use gantry_formats::{nuget::NuGet, PackageFormat};
use gantry_store::StagedBlob;
use serde_json::Value;

use super::{DependencyRow, FeedAddress, PackageType, Snippet};
use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;
use crate::error::ApiResult;
use crate::services::publish::ParsedPackage;
use crate::state::AppState;

/// The NuGet family's registration (NuGet, Chocolatey and PowerShell feeds).
pub struct NuGetFamily;

#[async_trait]
impl PackageType for NuGetFamily {
    fn format(&self) -> &'static dyn PackageFormat {
        &NuGet
    }

    fn feed_types(&self) -> &'static [FeedType] {
        protocol::FEED_TYPES
    }

    fn routes(&self) -> Routes {
        protocol::routes()
    }

    fn connector(&self) -> Option<&'static dyn RemoteFormat> {
        Some(&connector::NuGetRemote)
    }

    fn upload_extensions(&self) -> &'static [&'static str] {
        &[".nupkg"]
    }

    async fn parse_upload(&self, state: &AppState, staged: &StagedBlob) -> ApiResult<ParsedPackage> {
        protocol::push::parse_nupkg(state, staged).await
    }

    /// NuGet clients send their API key in `X-NuGet-ApiKey`.
    fn api_key_headers(&self) -> &'static [&'static str] {
        &["x-nuget-apikey"]
    }

    fn feed_snippets(&self, a: FeedAddress<'_>) -> Vec<Snippet> {
        let (base, feed) = (a.base, a.feed);
        match a.feed_type {
            FeedType::Chocolatey => vec![
                Snippet::new(
                    "Add the source",
                    format!("choco source add --name={feed} --source={base}/nuget/{feed}/"),
                ),
                Snippet::new(
                    "Push a package",
                    format!("choco push mypackage.1.0.0.nupkg --source={base}/nuget/{feed}/ --api-key=YOUR_API_KEY"),
                ),
            ],
            FeedType::PowerShell => vec![
                Snippet::new(
                    "Register the repository",
                    format!(
                        "Register-PSRepository -Name {feed} -SourceLocation {base}/nuget/{feed}/ -PublishLocation {base}/nuget/{feed}/ -InstallationPolicy Trusted"
                    ),
                ),
                Snippet::new(
                    "Publish a module",
                    format!("Publish-Module -Path .\\MyModule -Repository {feed} -NuGetApiKey YOUR_API_KEY"),
                ),
            ],
            _ => vec![
                Snippet::new(
                    "dotnet: add the source",
                    format!("dotnet nuget add source {base}/nuget/{feed}/v3/index.json --name {feed}"),
                ),
                Snippet::new(
                    "NuGet.exe: add the source",
                    format!("nuget sources add -Name {feed} -Source {base}/nuget/{feed}/v3/index.json"),
                ),
                Snippet::new(
                    "Push a package",
                    format!("dotnet nuget push MyPackage.1.0.0.nupkg --source {base}/nuget/{feed}/v3/index.json --api-key YOUR_API_KEY"),
                ),
            ],
        }
    }

    fn install_command(&self, a: FeedAddress<'_>, _group: &str, name: &str, version: &str) -> String {
        let (base, feed) = (a.base, a.feed);
        match a.feed_type {
            FeedType::Chocolatey => {
                format!("choco install {name} --version={version} --source={base}/nuget/{feed}/")
            }
            FeedType::PowerShell => {
                format!("Install-Module -Name {name} -RequiredVersion {version} -Repository {feed}")
            }
            _ => format!(
                "dotnet add package {name} --version {version} --source {base}/nuget/{feed}/v3/index.json"
            ),
        }
    }

    /// The nuspec's dependency groups, one row per dependency with its
    /// target framework as the scope.
    fn dependencies(&self, metadata: &Value) -> Vec<DependencyRow> {
        let text = |value: &Value, key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mut rows = Vec::new();
        for group in metadata
            .get("dependencyGroups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let scope = text(group, "targetFramework");
            for dependency in group
                .get("dependencies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                rows.push(DependencyRow {
                    scope: scope.clone(),
                    name: text(dependency, "id"),
                    range: text(dependency, "range"),
                });
            }
        }
        rows
    }

    fn hidden_metadata_fields(&self) -> &'static [&'static str] {
        &["dependencyGroups"]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dependencies_carry_their_framework() {
        let rows = NuGetFamily.dependencies(&json!({"dependencyGroups": [{"targetFramework": "net8.0",
            "dependencies": [{"id": "Newtonsoft.Json", "range": "[13.0.1, )"}]}]}));
        assert_eq!(
            rows,
            vec![DependencyRow {
                scope: "net8.0".into(),
                name: "Newtonsoft.Json".into(),
                range: "[13.0.1, )".into()
            }]
        );
    }

    #[test]
    fn install_commands_follow_each_client() {
        let address = |feed_type| FeedAddress {
            base: "http://h",
            feed: "f",
            feed_type,
        };
        assert_eq!(
            NuGetFamily.install_command(address(FeedType::NuGet), "", "Newtonsoft.Json", "13.0.3"),
            "dotnet add package Newtonsoft.Json --version 13.0.3 --source http://h/nuget/f/v3/index.json"
        );
        assert_eq!(
            NuGetFamily.install_command(address(FeedType::Chocolatey), "", "git", "2.0.0"),
            "choco install git --version=2.0.0 --source=http://h/nuget/f/"
        );
    }
}
