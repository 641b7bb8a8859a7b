//! "How to use this feed" snippets and install commands, per package type,
//! with this server's real URLs.

use gantry_core::FeedType;

/// A snippet to copy: what it is for, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// What the snippet does ("Add the source", ".npmrc").
    pub label: String,
    /// The text to copy.
    pub code: String,
}

fn snippet(label: &str, code: String) -> Snippet {
    Snippet {
        label: label.to_owned(),
        code,
    }
}

/// The host part of a base URL (`//host:port`), as `.npmrc` keys want it.
fn npm_auth_prefix(base: &str) -> String {
    base.split_once("://").map_or(base, |(_, rest)| rest).to_owned()
}

/// How to point a client at `feed`.
pub fn feed_snippets(base: &str, feed: &str, feed_type: FeedType) -> Vec<Snippet> {
    match feed_type {
        FeedType::NuGet => vec![
            snippet(
                "dotnet: add the source",
                format!("dotnet nuget add source {base}/nuget/{feed}/v3/index.json --name {feed}"),
            ),
            snippet(
                "NuGet.exe: add the source",
                format!("nuget sources add -Name {feed} -Source {base}/nuget/{feed}/v3/index.json"),
            ),
            snippet(
                "Push a package",
                format!("dotnet nuget push MyPackage.1.0.0.nupkg --source {base}/nuget/{feed}/v3/index.json --api-key YOUR_API_KEY"),
            ),
        ],
        FeedType::Chocolatey => vec![
            snippet(
                "Add the source",
                format!("choco source add --name={feed} --source={base}/nuget/{feed}/"),
            ),
            snippet(
                "Push a package",
                format!("choco push mypackage.1.0.0.nupkg --source={base}/nuget/{feed}/ --api-key=YOUR_API_KEY"),
            ),
        ],
        FeedType::PowerShell => vec![
            snippet(
                "Register the repository",
                format!(
                    "Register-PSRepository -Name {feed} -SourceLocation {base}/nuget/{feed}/ -PublishLocation {base}/nuget/{feed}/ -InstallationPolicy Trusted"
                ),
            ),
            snippet(
                "Publish a module",
                format!("Publish-Module -Path .\\MyModule -Repository {feed} -NuGetApiKey YOUR_API_KEY"),
            ),
        ],
        FeedType::Npm => {
            let host = npm_auth_prefix(base);
            vec![
                snippet(
                    ".npmrc",
                    format!("registry={base}/npm/{feed}/\n//{host}/npm/{feed}/:_authToken=YOUR_API_KEY"),
                ),
                snippet("Use it once", format!("npm install --registry {base}/npm/{feed}/ my-package")),
                snippet("Publish", format!("npm publish --registry {base}/npm/{feed}/")),
            ]
        }
        FeedType::Universal => vec![
            snippet(
                "Upload with the gantry command line",
                format!("gantry sources add --name=Default --url={base}\ngantry packages upload --feed={feed} --input-file=my-package-1.0.0.upack"),
            ),
            snippet(
                "Download",
                format!("gantry packages download --feed={feed} --package=group/name --version=latest"),
            ),
            snippet("Universal feed endpoint (upack, pgutil)", format!("{base}/upack/{feed}/")),
        ],
        _ => vec![snippet(
            "Feed API",
            format!("{base}/api/packages/{feed}/versions"),
        )],
    }
}

/// The command that installs one version from `feed`.
pub fn install_command(
    base: &str,
    feed: &str,
    feed_type: FeedType,
    group: &str,
    name: &str,
    version: &str,
) -> String {
    match feed_type {
        FeedType::NuGet => format!(
            "dotnet add package {name} --version {version} --source {base}/nuget/{feed}/v3/index.json"
        ),
        FeedType::Chocolatey => {
            format!("choco install {name} --version={version} --source={base}/nuget/{feed}/")
        }
        FeedType::PowerShell => {
            format!("Install-Module -Name {name} -RequiredVersion {version} -Repository {feed}")
        }
        FeedType::Npm => {
            let full = if group.is_empty() {
                name.to_owned()
            } else {
                format!("{group}/{name}")
            };
            format!("npm install {full}@{version} --registry {base}/npm/{feed}/")
        }
        _ => {
            let full = if group.is_empty() {
                name.to_owned()
            } else {
                format!("{group}/{name}")
            };
            format!(
                "gantry packages download --source={base} --feed={feed} --package={full} --version={version}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npmrc_names_the_registry_and_its_token_key() {
        let snippets = feed_snippets("https://pkgs.example.com", "approved-npm", FeedType::Npm);
        assert_eq!(
            snippets[0].code,
            "registry=https://pkgs.example.com/npm/approved-npm/\n//pkgs.example.com/npm/approved-npm/:_authToken=YOUR_API_KEY"
        );
    }

    #[test]
    fn install_commands_follow_each_ecosystem() {
        assert_eq!(
            install_command("http://h", "f", FeedType::Npm, "@acme", "left-pad", "1.0.0"),
            "npm install @acme/left-pad@1.0.0 --registry http://h/npm/f/"
        );
        assert_eq!(
            install_command("http://h", "f", FeedType::NuGet, "", "Newtonsoft.Json", "13.0.3"),
            "dotnet add package Newtonsoft.Json --version 13.0.3 --source http://h/nuget/f/v3/index.json"
        );
    }
}
