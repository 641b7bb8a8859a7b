//! NuGet packages (`.nupkg`): a zip with `{id}.nuspec` at its root. Also the
//! format of Chocolatey and PowerShell feeds, which serve the same packages.
//!
//! Identity: no group; an id of 1–100 characters matching `^\w+([.-]\w+)*$`
//! compared case-insensitively; a NuGet version (1 to 4 numeric parts, an
//! optional prerelease, optional build metadata) whose identity is its
//! normalised, lower-cased form without metadata.

mod archive;
mod id;
mod nuspec;
mod version;

pub use archive::{read_package, read_package_from, NupkgContents, MAX_UNPACKED_BYTES};
pub use id::{validate_id, MAX_ID_LEN};
pub use nuspec::{
    parse_nuspec, Dependency, DependencyGroup, License, Nuspec, PackageTypeRef, Repository, MAX_NUSPEC_BYTES,
};
pub use version::NuGetVersion;

use std::cmp::Ordering;

use crate::{FormatError, PackageFormat, PackageId};

/// The NuGet package format.
#[derive(Clone, Copy, Debug, Default)]
pub struct NuGet;

impl PackageFormat for NuGet {
    fn purl_type(&self) -> &'static str {
        "nuget"
    }

    fn has_groups(&self) -> bool {
        false
    }

    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError> {
        if !id.group.is_empty() {
            return Err(FormatError("NuGet packages have no group".into()));
        }
        validate_id(&id.name)
    }

    fn group_key(&self, _group: &str) -> String {
        String::new()
    }

    fn name_key(&self, name: &str) -> String {
        name.to_ascii_lowercase()
    }

    fn version_key(&self, version: &str) -> Result<String, FormatError> {
        Ok(NuGetVersion::parse(version)?.key())
    }

    fn compare_versions(&self, a: &str, b: &str) -> Ordering {
        // Stored versions were validated on the way in; an unparsable one
        // (there should be none) sorts first so it is never "latest".
        match (NuGetVersion::parse(a), NuGetVersion::parse(b)) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            (Ok(_), Err(_)) => Ordering::Greater,
            (Err(_), Ok(_)) => Ordering::Less,
            (Err(_), Err(_)) => a.cmp(b),
        }
    }

    fn is_stable(&self, version: &str) -> bool {
        NuGetVersion::parse(version).is_ok_and(|v| !v.is_prerelease())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }

    fn versions_are_immutable(&self) -> bool {
        true
    }

    fn file_name(&self, _group: &str, name: &str, version: &str) -> String {
        let version =
            NuGetVersion::parse(version).map_or_else(|_| version.to_owned(), |v| v.to_normalized_string());
        format!("{name}.{version}.nupkg")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pick_latest;

    fn id(group: &str, name: &str) -> PackageId {
        PackageId {
            group: group.into(),
            name: name.into(),
        }
    }

    #[test]
    fn identity() {
        assert!(NuGet.validate_id(&id("", "Newtonsoft.Json")).is_ok());
        assert_eq!(
            NuGet.validate_id(&id("acme", "Newtonsoft.Json")),
            Err(FormatError("NuGet packages have no group".into()))
        );
        assert!(NuGet.validate_id(&id("", "a..b")).is_err());
        assert_eq!(NuGet.group_key("anything"), "");
        assert_eq!(NuGet.name_key("Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(NuGet.version_key("1.0.0.0-RC.1+abc"), Ok("1.0.0-rc.1".into()));
        assert_eq!(NuGet.version_key("1.0"), Ok("1.0.0".into()));
        assert!(NuGet.version_key("1.0.x").is_err());
        assert!(!NuGet.has_groups());
        assert_eq!(NuGet.purl_type(), "nuget");
        assert_eq!(
            NuGet.purl("", "Newtonsoft.Json", "13.0.3"),
            "pkg:nuget/Newtonsoft.Json@13.0.3"
        );
    }

    #[test]
    fn stability_order_and_latest() {
        assert!(NuGet.is_stable("1.0"));
        assert!(NuGet.is_stable("1.0.0+build"));
        assert!(!NuGet.is_stable("1.0.0-beta"));
        assert!(!NuGet.is_stable("not a version"));
        assert_eq!(NuGet.compare_versions("1.0.0", "1.0.0-beta"), Ordering::Greater);
        assert_eq!(NuGet.compare_versions("1.2", "1.10"), Ordering::Less);
        assert_eq!(NuGet.compare_versions("1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(NuGet.compare_versions("junk", "0.0.1"), Ordering::Less);
        assert_eq!(NuGet.compare_versions("0.0.1", "junk"), Ordering::Greater);
        let versions = ["1.0.0", "1.10.0", "1.9.0.1", "2.0.0-beta.1", "junk"];
        assert_eq!(pick_latest(&NuGet, versions, false), Some("2.0.0-beta.1"));
        assert_eq!(pick_latest(&NuGet, versions, true), Some("1.10.0"));
    }

    #[test]
    fn file_names_use_the_normalized_version() {
        assert_eq!(NuGet.content_type(), "application/octet-stream");
        assert_eq!(
            NuGet.file_name("", "Newtonsoft.Json", "13.0"),
            "Newtonsoft.Json.13.0.0.nupkg"
        );
        assert_eq!(NuGet.file_name("", "A", "1.0.0.0-Beta+x"), "A.1.0.0-Beta.nupkg");
        assert_eq!(NuGet.file_name("", "A", "odd"), "A.odd.nupkg");
    }
}
