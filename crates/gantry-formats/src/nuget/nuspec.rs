//! The `.nuspec` manifest: an XML document `<package><metadata>...</metadata></package>`.
//!
//! Elements are matched by local name whatever their namespace, since
//! nuspecs use several versions of the schema namespace (or none). Unknown
//! elements are ignored. A DTD is refused outright, and so is any entity
//! reference other than the five predefined ones and character references:
//! that closes the door on external entities (XXE) and entity expansion.

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::BytesStart;
use quick_xml::XmlVersion;
use serde::{Deserialize, Serialize};

use super::id::validate_id;
use super::version::NuGetVersion;
use crate::xml_document::{read_document, ElementSink};
use crate::FormatError;

/// The largest `.nuspec` accepted; a real one is a few kilobytes.
pub const MAX_NUSPEC_BYTES: usize = 1024 * 1024;

/// The metadata of a `.nuspec`, as stored with a package version.
///
/// Strings that the nuspec does not give are empty; serialising to JSON
/// leaves empty and absent fields out, and deserialising fills them back in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Nuspec {
    /// The package id, as written.
    pub id: String,
    /// The normalised version including build metadata (`1.0.0-beta+sha.1`).
    pub version: String,
    /// The version as written in the nuspec.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub original_version: String,
    /// Display title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Authors, as one comma-separated string.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub authors: String,
    /// Owners, as one comma-separated string.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owners: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Short summary (deprecated by NuGet, still found in older packages).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Release notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release_notes: String,
    /// Copyright notice.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub copyright: String,
    /// Locale id of the package (`en-US`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language: String,
    /// Project home page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_url: String,
    /// Icon URL (deprecated in favour of `icon`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon_url: String,
    /// Path of the icon file inside the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    /// Path of the readme file inside the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub readme: String,
    /// License URL (deprecated in favour of `license`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub license_url: String,
    /// The oldest NuGet client that can install the package (`<metadata minClientVersion>`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min_client_version: String,
    /// Tags, split on whitespace and commas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Whether the client must accept the license before installing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_license_acceptance: bool,
    /// Whether the package is a development-only dependency.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub development_dependency: bool,
    /// Whether the package is marked serviceable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub serviceable: bool,
    /// The license, as an SPDX expression or a file in the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    /// The source repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    /// Dependencies, by target framework.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_groups: Vec<DependencyGroup>,
    /// Package types (`Dependency`, `DotnetTool`, ...); empty means `Dependency`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_types: Vec<PackageTypeRef>,
    /// Names of the framework assemblies the package references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub framework_assemblies: Vec<String>,
}

/// A `<license>` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct License {
    /// `expression` (an SPDX license expression) or `file` (a path in the package).
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The expression or the file path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// The license expression version ("" when not given, meaning 1.0.0).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

/// A `<repository>` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// The repository type (`git`).
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The repository URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// The branch the package was built from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub branch: String,
    /// The commit the package was built from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
}

/// The dependencies of one target framework.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyGroup {
    /// The target framework as written (`net8.0`, `.NETStandard2.0`); "" is any framework.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_framework: String,
    /// The dependencies (a group may be empty: "no dependencies on this framework").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

/// A `<dependency>` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The id of the package depended on.
    pub id: String,
    /// The version range as written (`[1.0,2.0)`, `13.0.1`); "" is any version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub range: String,
    /// Asset types excluded (`exclude` attribute).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exclude: String,
    /// Asset types included (`include` attribute).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub include: String,
}

/// A `<packageType>` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageTypeRef {
    /// The package type name (`Dependency`, `DotnetTool`, `Template`, ...).
    pub name: String,
    /// The package type version ("" when not given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

impl Nuspec {
    /// The version, parsed.
    pub fn parsed_version(&self) -> Result<NuGetVersion, FormatError> {
        NuGetVersion::parse(&self.version)
    }

    /// Whether only SemVer 2 aware clients can use the package: its version
    /// is SemVer 2, or a dependency range mentions a version with build
    /// metadata or a dotted prerelease.
    pub fn is_semver2(&self) -> bool {
        self.parsed_version().is_ok_and(|v| v.is_semver2())
            || self
                .dependency_groups
                .iter()
                .flat_map(|group| &group.dependencies)
                .any(|dependency| range_is_semver2(&dependency.range))
    }
}

/// Whether a version range mentions a SemVer 2 version.
fn range_is_semver2(range: &str) -> bool {
    range
        .split(|c: char| matches!(c, '[' | ']' | '(' | ')' | ',') || c.is_whitespace())
        .any(|version| {
            version.contains('+')
                || version
                    .split_once('-')
                    .is_some_and(|(_, prerelease)| prerelease.contains('.'))
        })
}

/// Parses and validates a `.nuspec` document (UTF-8, a BOM allowed).
///
/// Refuses documents over 1 MiB, DTDs, entity references other than the
/// predefined ones, invalid XML, a root other than `<package>`, a missing
/// `<metadata>`, and a missing or invalid `<id>` or `<version>`.
pub fn parse_nuspec(xml: &[u8]) -> Result<Nuspec, FormatError> {
    let mut builder = Builder::default();
    read_document(xml, "the .nuspec", MAX_NUSPEC_BYTES, &mut builder)?;
    builder.finish()
}

/// The attributes of an element as (local name, decoded and trimmed value),
/// namespace declarations left out.
fn attributes(element: &BytesStart<'_>) -> Result<Vec<(String, String)>, FormatError> {
    let mut out = Vec::new();
    for attribute in element.attributes() {
        let attribute: Attribute<'_> =
            attribute.map_err(|e| FormatError(format!("the .nuspec is not valid XML: {e}")))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = attribute
            .normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_xml_entity)
            .map_err(|e| {
                FormatError(format!(
                    "the .nuspec has an invalid value for the attribute '{}' (only &amp; &lt; &gt; \
                     &quot; &apos; and character references are allowed): {e}",
                    attribute.key.0.escape_debug()
                ))
            })?;
        out.push((
            attribute.key.local_name().into_inner().to_owned(),
            value.trim().to_owned(),
        ));
    }
    Ok(out)
}

/// The value of an attribute by local name ("" when absent).
fn attribute(attributes: &[(String, String)], name: &str) -> String {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

/// Parses a nuspec boolean the way NuGet does: `true` (any case) is true,
/// anything else false; `1` is accepted too since the schema says `xs:boolean`.
fn parse_bool(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value == "1"
}

/// Builds a [`Nuspec`] from the event stream.
#[derive(Default)]
struct Builder {
    /// Local names of the open elements, root first.
    path: Vec<String>,
    /// Whether the root element was opened, and whether it was closed.
    root_opened: bool,
    root_closed: bool,
    metadata_seen: bool,
    /// The text of the open `<metadata>` child.
    text: String,
    id: Option<String>,
    version: Option<String>,
    /// Index in `nuspec.dependency_groups` of the open `<group>`.
    open_group: Option<usize>,
    /// Index of the group holding dependencies listed outside any `<group>`.
    flat_group: Option<usize>,
    nuspec: Nuspec,
}

impl ElementSink for Builder {
    fn open(&mut self, element: &BytesStart<'_>, empty: bool) -> Result<(), FormatError> {
        let name = element.local_name().into_inner().to_owned();
        if self.path.is_empty() {
            if self.root_closed {
                return Err(FormatError(
                    "the .nuspec is not valid XML: it has more than one root element".into(),
                ));
            }
            if name != "package" {
                return Err(FormatError(format!(
                    "the .nuspec's root element is <{}>, not <package>",
                    name.escape_debug()
                )));
            }
            self.root_opened = true;
        } else if self.at(&["package"]) && name == "metadata" {
            self.metadata_seen = true;
            let attrs = attributes(element)?;
            self.nuspec.min_client_version = attribute(&attrs, "minClientVersion");
        } else if self.at(&["package", "metadata"]) {
            self.text.clear();
            match name.as_str() {
                "license" => {
                    let attrs = attributes(element)?;
                    self.nuspec.license = Some(License {
                        kind: attribute(&attrs, "type"),
                        value: String::new(),
                        version: attribute(&attrs, "version"),
                    });
                }
                "repository" => {
                    let attrs = attributes(element)?;
                    self.nuspec.repository = Some(Repository {
                        kind: attribute(&attrs, "type"),
                        url: attribute(&attrs, "url"),
                        branch: attribute(&attrs, "branch"),
                        commit: attribute(&attrs, "commit"),
                    });
                }
                _ => {}
            }
        } else if self.at(&["package", "metadata", "dependencies"]) {
            match name.as_str() {
                "dependency" => {
                    let dependency = dependency(element)?;
                    let index = *self.flat_group.get_or_insert_with(|| {
                        self.nuspec.dependency_groups.push(DependencyGroup::default());
                        self.nuspec.dependency_groups.len() - 1
                    });
                    self.nuspec.dependency_groups[index].dependencies.push(dependency);
                }
                "group" => {
                    let attrs = attributes(element)?;
                    self.nuspec.dependency_groups.push(DependencyGroup {
                        target_framework: attribute(&attrs, "targetFramework"),
                        dependencies: Vec::new(),
                    });
                    self.open_group = Some(self.nuspec.dependency_groups.len() - 1);
                }
                _ => {}
            }
        } else if self.at(&["package", "metadata", "dependencies", "group"]) && name == "dependency" {
            let dependency = dependency(element)?;
            if let Some(group) = self
                .open_group
                .and_then(|index| self.nuspec.dependency_groups.get_mut(index))
            {
                group.dependencies.push(dependency);
            }
        } else if self.at(&["package", "metadata", "packageTypes"]) && name == "packageType" {
            let attrs = attributes(element)?;
            self.nuspec.package_types.push(PackageTypeRef {
                name: attribute(&attrs, "name"),
                version: attribute(&attrs, "version"),
            });
        } else if self.at(&["package", "metadata", "frameworkAssemblies"]) && name == "frameworkAssembly" {
            let attrs = attributes(element)?;
            let assembly = attribute(&attrs, "assemblyName");
            if !assembly.is_empty() {
                self.nuspec.framework_assemblies.push(assembly);
            }
        } else {
            // Not an element we read; its attributes must still be well formed.
            attributes(element)?;
        }
        self.path.push(name);
        if empty {
            self.close();
        }
        Ok(())
    }

    fn close(&mut self) {
        // quick-xml checks that end tags match, so this is the open element.
        let Some(name) = self.path.pop() else {
            return;
        };
        if self.path.is_empty() {
            self.root_closed = true;
        } else if self.at(&["package", "metadata"]) {
            let text = std::mem::take(&mut self.text);
            let value = text.trim().to_owned();
            self.set_field(&name, value);
        } else if self.at(&["package", "metadata", "dependencies"]) && name == "group" {
            self.open_group = None;
        }
    }

    fn text(&mut self, text: &str) -> Result<(), FormatError> {
        if self.path.is_empty() {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(FormatError(
                "the .nuspec is not valid XML: it has text outside the root element".into(),
            ));
        }
        if self.path.len() == 3 && self.path[1] == "metadata" {
            if self.text.len() + text.len() > MAX_NUSPEC_BYTES {
                // Cannot happen with a document of at most 1 MiB, but keeps
                // the buffer bounded whatever the references expand to.
                return Err(FormatError("the .nuspec is larger than 1 MiB".into()));
            }
            self.text.push_str(text);
        }
        Ok(())
    }
}

impl Builder {
    /// Whether the path, root first, is exactly `names`.
    fn at(&self, names: &[&str]) -> bool {
        self.path.len() == names.len() && self.path.iter().zip(names).all(|(a, b)| a == b)
    }

    fn set_field(&mut self, name: &str, value: String) {
        let n = &mut self.nuspec;
        match name {
            "id" => self.id = Some(value),
            "version" => self.version = Some(value),
            "title" => n.title = value,
            "authors" => n.authors = value,
            "owners" => n.owners = value,
            "description" => n.description = value,
            "summary" => n.summary = value,
            "releaseNotes" => n.release_notes = value,
            "copyright" => n.copyright = value,
            "language" => n.language = value,
            "projectUrl" => n.project_url = value,
            "iconUrl" => n.icon_url = value,
            "icon" => n.icon = value,
            "readme" => n.readme = value,
            "licenseUrl" => n.license_url = value,
            "tags" => {
                n.tags = value
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "requireLicenseAcceptance" => n.require_license_acceptance = parse_bool(&value),
            "developmentDependency" => n.development_dependency = parse_bool(&value),
            "serviceable" => n.serviceable = parse_bool(&value),
            "license" => {
                if let Some(license) = &mut n.license {
                    license.value = value;
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> Result<Nuspec, FormatError> {
        if !self.root_opened {
            return Err(FormatError("the .nuspec has no <package> root element".into()));
        }
        if let Some(open) = self.path.last() {
            return Err(FormatError(format!(
                "the .nuspec is not valid XML: <{}> is not closed",
                open.escape_debug()
            )));
        }
        if !self.metadata_seen {
            return Err(FormatError("the .nuspec has no <metadata>".into()));
        }
        let id = self
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| FormatError("the .nuspec has no <id>".into()))?;
        validate_id(&id).map_err(|e| FormatError(format!("the .nuspec's <id> is invalid: {e}")))?;
        let original_version = self
            .version
            .filter(|version| !version.is_empty())
            .ok_or_else(|| FormatError("the .nuspec has no <version>".into()))?;
        let version = NuGetVersion::parse(&original_version)
            .map_err(|e| FormatError(format!("the .nuspec's <version> is invalid: {e}")))?;
        Ok(Nuspec {
            id,
            version: version.to_full_string(),
            original_version,
            ..self.nuspec
        })
    }
}

/// Reads a `<dependency>` element.
fn dependency(element: &BytesStart<'_>) -> Result<Dependency, FormatError> {
    let attrs = attributes(element)?;
    let id = attribute(&attrs, "id");
    validate_id(&id)
        .map_err(|e| FormatError(format!("the .nuspec has a <dependency> with an invalid id: {e}")))?;
    Ok(Dependency {
        id,
        range: attribute(&attrs, "version"),
        exclude: attribute(&attrs, "exclude"),
        include: attribute(&attrs, "include"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Newtonsoft.Json</id>
    <version>13.0.3</version>
    <title>Json.NET</title>
    <authors>James Newton-King</authors>
    <owners>jamesnk, newtonsoft</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <developmentDependency>False</developmentDependency>
    <serviceable>true</serviceable>
    <license type="expression">MIT</license>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <icon>packageIcon.png</icon>
    <readme>README.md</readme>
    <projectUrl>https://www.newtonsoft.com/json</projectUrl>
    <iconUrl>https://www.newtonsoft.com/content/images/nugeticon.png</iconUrl>
    <description>Json.NET is a popular high-performance JSON framework for .NET &amp; friends &lt;3 &#x263A;</description>
    <summary><![CDATA[Fast <JSON>]]></summary>
    <releaseNotes>
      Fixed things.
    </releaseNotes>
    <copyright>Copyright © James Newton-King 2008</copyright>
    <language>en-US</language>
    <tags>json,  serializer
      jsonnet</tags>
    <repository type="git" url="https://github.com/JamesNK/Newtonsoft.Json.git" commit="0a2e291c0d9c0c7675d445703e51750363a549ef" />
    <packageTypes>
      <packageType name="Dependency" version="1.0" />
    </packageTypes>
    <dependencies>
      <group targetFramework=".NETFramework2.0" />
      <group targetFramework=".NETStandard1.0">
        <dependency id="Microsoft.CSharp" version="4.3.0" exclude="Build,Analyzers" />
        <dependency id="NETStandard.Library" version="[1.6.1, )" include="All" />
      </group>
      <group targetFramework="net6.0">
        <unknownElement foo="bar"><nested/></unknownElement>
      </group>
    </dependencies>
    <frameworkAssemblies>
      <frameworkAssembly assemblyName="System.Xml" targetFramework="net40" />
      <frameworkAssembly assemblyName="System.Runtime.Serialization" />
    </frameworkAssemblies>
    <someFutureElement>ignored</someFutureElement>
  </metadata>
  <files>
    <file src="lib\**" target="lib" />
  </files>
</package>
"#;

    fn minimal(metadata: &str) -> String {
        format!("<package><metadata>{metadata}</metadata></package>")
    }

    fn err(xml: &str) -> String {
        parse_nuspec(xml.as_bytes()).expect_err(xml).0
    }

    #[test]
    fn parses_a_full_nuspec() {
        let n = parse_nuspec(FULL.as_bytes()).expect("valid nuspec");
        assert_eq!(n.id, "Newtonsoft.Json");
        assert_eq!(n.version, "13.0.3");
        assert_eq!(n.original_version, "13.0.3");
        assert_eq!(n.title, "Json.NET");
        assert_eq!(n.authors, "James Newton-King");
        assert_eq!(n.owners, "jamesnk, newtonsoft");
        assert_eq!(n.min_client_version, "2.12");
        assert!(!n.require_license_acceptance);
        assert!(!n.development_dependency);
        assert!(n.serviceable);
        assert_eq!(
            n.license,
            Some(License {
                kind: "expression".into(),
                value: "MIT".into(),
                version: String::new()
            })
        );
        assert_eq!(n.license_url, "https://licenses.nuget.org/MIT");
        assert_eq!(n.icon, "packageIcon.png");
        assert_eq!(n.readme, "README.md");
        assert_eq!(n.project_url, "https://www.newtonsoft.com/json");
        assert_eq!(
            n.icon_url,
            "https://www.newtonsoft.com/content/images/nugeticon.png"
        );
        assert_eq!(
            n.description,
            "Json.NET is a popular high-performance JSON framework for .NET & friends <3 \u{263A}"
        );
        assert_eq!(n.summary, "Fast <JSON>");
        assert_eq!(n.release_notes, "Fixed things.");
        assert_eq!(n.copyright, "Copyright © James Newton-King 2008");
        assert_eq!(n.language, "en-US");
        assert_eq!(n.tags, ["json", "serializer", "jsonnet"]);
        assert_eq!(
            n.repository,
            Some(Repository {
                kind: "git".into(),
                url: "https://github.com/JamesNK/Newtonsoft.Json.git".into(),
                branch: String::new(),
                commit: "0a2e291c0d9c0c7675d445703e51750363a549ef".into(),
            })
        );
        assert_eq!(
            n.package_types,
            [PackageTypeRef {
                name: "Dependency".into(),
                version: "1.0".into()
            }]
        );
        assert_eq!(n.dependency_groups.len(), 3);
        assert_eq!(n.dependency_groups[0].target_framework, ".NETFramework2.0");
        assert!(n.dependency_groups[0].dependencies.is_empty());
        assert_eq!(n.dependency_groups[1].target_framework, ".NETStandard1.0");
        assert_eq!(
            n.dependency_groups[1].dependencies,
            [
                Dependency {
                    id: "Microsoft.CSharp".into(),
                    range: "4.3.0".into(),
                    exclude: "Build,Analyzers".into(),
                    include: String::new(),
                },
                Dependency {
                    id: "NETStandard.Library".into(),
                    range: "[1.6.1, )".into(),
                    exclude: String::new(),
                    include: "All".into(),
                }
            ]
        );
        assert_eq!(n.dependency_groups[2].target_framework, "net6.0");
        assert!(n.dependency_groups[2].dependencies.is_empty());
        assert_eq!(
            n.framework_assemblies,
            ["System.Xml", "System.Runtime.Serialization"]
        );
        assert!(!n.is_semver2());
    }

    #[test]
    fn flat_dependencies_form_a_group_for_any_framework() {
        let n = parse_nuspec(
            minimal(
                r#"<id>a</id><version>1.0</version>
                <dependencies>
                  <dependency id="B" version="[1.0.0-beta.1,2)" />
                  <dependency id="C" />
                  <group targetFramework="net8.0"><dependency id="D" version="1.0"/></group>
                </dependencies>"#,
            )
            .as_bytes(),
        )
        .expect("valid nuspec");
        assert_eq!(n.version, "1.0.0");
        assert_eq!(n.original_version, "1.0");
        assert_eq!(n.dependency_groups.len(), 2);
        assert_eq!(n.dependency_groups[0].target_framework, "");
        let ids: Vec<&str> = n.dependency_groups[0]
            .dependencies
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ids, ["B", "C"]);
        assert_eq!(n.dependency_groups[0].dependencies[1].range, "");
        assert_eq!(n.dependency_groups[1].target_framework, "net8.0");
        assert_eq!(n.dependency_groups[1].dependencies[0].id, "D");
        assert!(n.is_semver2(), "a dotted prerelease in a range is SemVer 2");
    }

    #[test]
    fn semver2_versions() {
        let n =
            parse_nuspec(minimal("<id>a</id><version>1.0.0-beta+sha.1</version>").as_bytes()).expect("valid");
        assert_eq!(n.version, "1.0.0-beta+sha.1");
        assert!(n.is_semver2());
        assert_eq!(n.parsed_version().map(|v| v.key()), Ok("1.0.0-beta".to_owned()));
        let n = parse_nuspec(
            minimal(r#"<id>a</id><version>1.0.0-beta</version><dependencies><dependency id="b" version="1.0.0-rc"/></dependencies>"#)
                .as_bytes(),
        )
        .expect("valid");
        assert!(!n.is_semver2());
        assert!(range_is_semver2("[1.0.0+build, 2.0.0)"));
        assert!(range_is_semver2("(, 2.0.0-rc.1]"));
        assert!(!range_is_semver2("[1.0.0-rc, 2.0.0-beta-2)"));
    }

    #[test]
    fn namespaced_and_prefixed_elements() {
        let xml = r#"<?xml version="1.0"?>
<n:package xmlns:n="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <n:metadata>
    <n:id>Prefixed</n:id>
    <n:version>2.0.0.0</n:version>
    <n:license type="file" version="1.0.0">LICENSE.txt</n:license>
  </n:metadata>
</n:package>"#;
        let n = parse_nuspec(xml.as_bytes()).expect("valid");
        assert_eq!((n.id.as_str(), n.version.as_str()), ("Prefixed", "2.0.0"));
        assert_eq!(
            n.license.map(|l| (l.kind, l.value, l.version)),
            Some(("file".into(), "LICENSE.txt".into(), "1.0.0".into()))
        );
        let xml = b"\xEF\xBB\xBF<package xmlns=\"http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd\"><metadata><id>Bom</id><version>1.0.0</version></metadata></package>";
        assert_eq!(parse_nuspec(xml).expect("BOM is fine").id, "Bom");
    }

    #[test]
    fn missing_or_invalid_id_and_version() {
        assert_eq!(
            err(&minimal("<version>1.0.0</version>")),
            "the .nuspec has no <id>"
        );
        assert_eq!(
            err(&minimal("<id> </id><version>1.0.0</version>")),
            "the .nuspec has no <id>"
        );
        assert_eq!(err(&minimal("<id>a</id>")), "the .nuspec has no <version>");
        assert!(err(&minimal("<id>a b</id><version>1.0</version>"))
            .starts_with("the .nuspec's <id> is invalid: "));
        assert!(err(&minimal("<id>a</id><version>1.0.x</version>"))
            .starts_with("the .nuspec's <version> is invalid: '1.0.x' is not a valid NuGet version"));
        assert!(err(&minimal(
            r#"<id>a</id><version>1</version><dependencies><dependency version="1"/></dependencies>"#
        ))
        .contains("<dependency> with an invalid id"));
        assert_eq!(err("<package></package>"), "the .nuspec has no <metadata>");
    }

    #[test]
    fn refuses_invalid_documents() {
        assert!(err("<package><metadata><id>a</id></package>").contains("not valid XML"));
        assert!(
            err("<package><metadata><id>a</id><version>1</version></metadata>").contains("is not closed")
        );
        assert!(err("<package><metadata><id>a</id>").contains("not valid XML"));
        assert!(err("not xml at all").contains("not valid XML"));
        assert!(err(&format!(
            "{}<package/>",
            minimal("<id>a</id><version>1</version>")
        ))
        .contains("more than one root"));
        assert!(
            err(r#"<package><metadata a="1" a="2"><id>a</id><version>1</version></metadata></package>"#)
                .contains("not valid XML")
        );
        assert_eq!(err(""), "the .nuspec has no <package> root element");
        assert!(parse_nuspec(b"<package>\xff</package>")
            .expect_err("latin-1")
            .0
            .contains("not UTF-8"));
        assert!(parse_nuspec(&vec![b' '; MAX_NUSPEC_BYTES + 1])
            .expect_err("size")
            .0
            .contains("larger than 1 MiB"));
    }

    #[test]
    fn refuses_a_wrong_root() {
        assert_eq!(
            err("<project><metadata><id>a</id><version>1</version></metadata></project>"),
            "the .nuspec's root element is <project>, not <package>"
        );
    }

    #[test]
    fn refuses_dtds_and_undeclared_entities() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<package><metadata><id>a</id><version>1.0.0</version><description>&xxe;</description></metadata></package>"#;
        assert_eq!(err(xxe), "the .nuspec must not contain a DTD (<!DOCTYPE>)");
        let undeclared = minimal("<id>a</id><version>1.0.0</version><description>&foo;</description>");
        assert!(err(&undeclared).contains("undeclared entity '&foo;'"));
        let in_attribute = minimal(r#"<id>a</id><version>1.0.0</version><repository url="&xxe;"/>"#);
        assert!(err(&in_attribute).contains("attribute 'url'"));
        let in_unknown = minimal("<id>a</id><version>1.0.0</version><x><y>&foo;</y></x>");
        assert!(err(&in_unknown).contains("undeclared entity"));
        let bad_char_ref = minimal("<id>a</id><version>1.0.0</version><title>&#0;</title>");
        assert!(err(&bad_char_ref).contains("character reference"));
    }

    #[test]
    fn entity_expansion_never_happens() {
        use std::fmt::Write as _;

        // Billion laughs: refused at the DTD, before any entity is read.
        let mut laughs = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE package [\n<!ENTITY l0 \"lol\">\n");
        for level in 1..10 {
            let previous = format!("&l{};", level - 1).repeat(10);
            writeln!(laughs, "<!ENTITY l{level} \"{previous}\">").expect("write to a String");
        }
        laughs.push_str("]>\n<package><metadata><id>a</id><version>1.0.0</version><description>&l9;</description></metadata></package>");
        let started = std::time::Instant::now();
        assert_eq!(err(&laughs), "the .nuspec must not contain a DTD (<!DOCTYPE>)");
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        // Without the DTD the same references are undeclared, in text and
        // in attributes, and an external entity is never fetched.
        let used = minimal("<id>a</id><version>1.0.0</version><description>&l9;&l9;</description>");
        assert!(err(&used).contains("undeclared entity '&l9;'"));
        let parameter = format!(
            "<!DOCTYPE p [<!ENTITY % x SYSTEM \"http://127.0.0.1:1/\"> %x;]>{}",
            minimal("<id>a</id><version>1</version>")
        );
        assert!(err(&parameter).contains("DTD"));
    }

    #[test]
    fn round_trips_through_json() {
        for xml in [
            FULL.to_owned(),
            minimal("<id>a</id><version>1.0.0-beta+sha.1</version>"),
            minimal(
                r#"<id>a</id><version>1</version><dependencies><group/></dependencies><license type="expression">MIT</license>"#,
            ),
        ] {
            let nuspec = parse_nuspec(xml.as_bytes()).expect("valid");
            let json = serde_json::to_value(&nuspec).expect("serialise");
            let back: Nuspec = serde_json::from_value(json).expect("deserialise");
            assert_eq!(back, nuspec);
        }
        let json = serde_json::to_value(parse_nuspec(FULL.as_bytes()).expect("valid")).expect("serialise");
        assert_eq!(json["license"]["type"], "expression");
        assert_eq!(json["repository"]["type"], "git");
        assert_eq!(json["minClientVersion"], "2.12");
        assert_eq!(
            json["dependencyGroups"][1]["dependencies"][1]["range"],
            "[1.6.1, )"
        );
        assert!(json.get("requireLicenseAcceptance").is_none());
    }
}
