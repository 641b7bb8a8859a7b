//! npm packages (`.tgz`): a gzip-compressed tar with the package under one
//! top-level folder (`package/`) and `package.json` in it.
//!
//! Identity: an optional scope, which is the group with its `@` (`@acme`),
//! and a name, checked by npm's naming rules (stricter for new packages
//! than for existing ones) and compared case-insensitively; a strict
//! SemVer 2 version whose build metadata carries no identity (npm reads
//! `1.0.0+build` as `1.0.0`).

mod manifest;
mod name;
mod tarball;

pub use manifest::{abbreviate, has_install_script, ABBREVIATED_FIELDS};
pub use name::{full_name, split_name, validate_new_name, MAX_NAME_LEN};
pub use tarball::{
    parse_package_json, read_tarball, read_tarball_from, TarballContents, MAX_PACKAGE_JSON_BYTES,
    MAX_UNPACKED_BYTES,
};

use std::cmp::Ordering;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use gantry_core::SemVer2;

use crate::{percent_encode_segment, FormatError, PackageFormat, PackageId};

/// The npm package format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Npm;

impl PackageFormat for Npm {
    fn purl_type(&self) -> &'static str {
        "npm"
    }

    fn has_groups(&self) -> bool {
        true
    }

    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError> {
        name::validate_existing(id)
    }

    fn group_key(&self, group: &str) -> String {
        group.to_ascii_lowercase()
    }

    fn name_key(&self, name: &str) -> String {
        name.to_ascii_lowercase()
    }

    fn version_key(&self, version: &str) -> Result<String, FormatError> {
        version_key(version)
    }

    fn compare_versions(&self, a: &str, b: &str) -> Ordering {
        // Stored versions were validated on the way in; an unparsable one
        // (there should be none) sorts first so it is never "latest".
        match (precedence(a), precedence(b)) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => a.cmp(b),
        }
    }

    fn is_stable(&self, version: &str) -> bool {
        SemVer2::parse(version).is_ok_and(|v| v.is_stable())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }

    /// `widget-1.0.0.tgz`: npm names tarballs without the scope.
    fn versions_are_immutable(&self) -> bool {
        true
    }

    fn file_name(&self, _group: &str, name: &str, version: &str) -> String {
        format!("{name}-{version}.tgz")
    }

    /// `pkg:npm/%40acme/widget@1.0.0`: the purl spec wants the scope's `@`
    /// percent-encoded and the scope and name lower-cased.
    fn purl(&self, group: &str, name: &str, version: &str) -> String {
        let mut purl = String::from("pkg:npm/");
        if !group.is_empty() {
            purl.push_str(&percent_encode_segment(&group.to_ascii_lowercase()));
            purl.push('/');
        }
        purl.push_str(&percent_encode_segment(&name.to_ascii_lowercase()));
        purl.push('@');
        purl.push_str(&percent_encode_segment(version));
        purl
    }
}

/// The identity of a version: strict SemVer 2, lower-cased, without build
/// metadata (`1.0.0-RC.1+build` is `1.0.0-rc.1`). Refuses anything else,
/// a leading `v` or missing parts included.
pub fn version_key(version: &str) -> Result<String, FormatError> {
    let key = SemVer2::parse(version)
        .map_err(|e| FormatError(e.to_string()))?
        .key();
    Ok(match key.split_once('+') {
        Some((without_build, _)) => without_build.to_owned(),
        None => key,
    })
}

/// A version for ordering: build metadata, which has no precedence, dropped.
fn precedence(version: &str) -> Option<SemVer2> {
    SemVer2::parse(version).ok()?;
    let without_build = version.split_once('+').map_or(version, |(core, _)| core);
    SemVer2::parse(without_build).ok()
}

/// The Subresource Integrity string of a tarball (`sha512-<base64>`) from
/// its SHA-512 in hex, as npm's `dist.integrity` carries it; `None` when the
/// text is not 128 hex digits.
pub fn integrity(sha512_hex: &str) -> Option<String> {
    if sha512_hex.len() != 128 {
        return None;
    }
    let digest = hex::decode(sha512_hex).ok()?;
    Some(format!("sha512-{}", BASE64.encode(digest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{pick_latest, Purl};

    fn id(group: &str, name: &str) -> PackageId {
        PackageId {
            group: group.into(),
            name: name.into(),
        }
    }

    #[test]
    fn identity() {
        assert_eq!(Npm.purl_type(), "npm");
        assert!(Npm.has_groups());
        assert!(Npm.versions_are_immutable());
        assert!(Npm.validate_id(&id("@acme", "widget")).is_ok());
        assert!(Npm.validate_id(&id("", "JSONStream")).is_ok());
        assert!(Npm.validate_id(&id("acme", "widget")).is_err());
        assert!(Npm.validate_id(&id("@acme", "a/b")).is_err());
        assert_eq!(Npm.group_key("@Acme"), "@acme");
        assert_eq!(Npm.name_key("JSONStream"), "jsonstream");
    }

    #[test]
    fn version_keys() {
        assert_eq!(version_key("1.0.0"), Ok("1.0.0".into()));
        assert_eq!(version_key("1.0.0+build"), Ok("1.0.0".into()));
        assert_eq!(version_key("1.0.0-RC.1"), Ok("1.0.0-rc.1".into()));
        assert_eq!(version_key("1.0.0-RC.1+Build.5"), Ok("1.0.0-rc.1".into()));
        assert_eq!(Npm.version_key("2.0.0-Beta"), Ok("2.0.0-beta".into()));
        for bad in ["v1.0.0", "1.0", "1", "", "1.0.0-", "01.0.0", "1.0.0+", " 1.0.0"] {
            let err = version_key(bad).expect_err(bad);
            assert!(err.0.contains("SemVer"), "{bad}: {err}");
        }
    }

    #[test]
    fn stability_order_and_latest() {
        assert!(Npm.is_stable("1.0.0"));
        assert!(Npm.is_stable("1.0.0+build"));
        assert!(!Npm.is_stable("1.0.0-beta"));
        assert!(!Npm.is_stable("junk"));
        assert_eq!(Npm.compare_versions("1.0.0", "1.0.0-beta"), Ordering::Greater);
        assert_eq!(Npm.compare_versions("1.2.0", "1.10.0"), Ordering::Less);
        assert_eq!(Npm.compare_versions("1.0.0+a", "1.0.0+b"), Ordering::Equal);
        assert_eq!(
            Npm.compare_versions("1.0.0-alpha.2", "1.0.0-alpha.10"),
            Ordering::Less
        );
        assert_eq!(Npm.compare_versions("junk", "0.0.1"), Ordering::Less);
        assert_eq!(Npm.compare_versions("0.0.1", "junk"), Ordering::Greater);
        let versions = ["1.0.0", "1.10.0", "1.9.0", "2.0.0-beta.1", "junk"];
        assert_eq!(pick_latest(&Npm, versions, false), Some("2.0.0-beta.1"));
        assert_eq!(pick_latest(&Npm, versions, true), Some("1.10.0"));
    }

    #[test]
    fn files_and_purls() {
        assert_eq!(Npm.content_type(), "application/octet-stream");
        assert_eq!(Npm.file_name("@acme", "widget", "1.0.0"), "widget-1.0.0.tgz");
        assert_eq!(Npm.file_name("", "left-pad", "1.3.0"), "left-pad-1.3.0.tgz");
        let purl = Npm.purl("@acme", "widget", "1.0.0");
        assert_eq!(purl, "pkg:npm/%40acme/widget@1.0.0");
        let parsed = Purl::parse(&purl).expect("valid purl");
        assert_eq!(
            (
                parsed.purl_type.as_str(),
                parsed.group.as_str(),
                parsed.name.as_str()
            ),
            ("npm", "@acme", "widget")
        );
        assert_eq!(parsed.version, "1.0.0");
        assert_eq!(
            Npm.purl("", "JSONStream", "1.0.0+b"),
            "pkg:npm/jsonstream@1.0.0%2Bb"
        );
    }

    #[test]
    fn integrity_is_base64_of_the_digest() {
        // SHA-512 of the empty string.
        let empty = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
                     47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
        assert_eq!(
            integrity(empty).as_deref(),
            Some(
                "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
            )
        );
        assert_eq!(integrity(&empty.to_ascii_uppercase()), integrity(empty));
        assert_eq!(integrity("abc"), None);
        assert_eq!(integrity(&"z".repeat(128)), None);
        assert_eq!(integrity(""), None);
    }
}
