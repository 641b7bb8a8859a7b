//! Universal packages (`.upack`): a zip with `upack.json` at its root and
//! the content under `package/`.
//!
//! Identity: an optional group (`[0-9A-Za-z-._/]`, up to 250 characters, no
//! leading, trailing or doubled `/`), a name (`[0-9A-Za-z-._]`, 1–50), and a
//! SemVer 2 version; all compared case-insensitively.

mod archive;
mod manifest;

pub use archive::{read_package, read_package_from, MAX_UNPACKED_BYTES};
pub use manifest::UpackManifest;

use std::cmp::Ordering;

use gantry_core::SemVer2;

use crate::{FormatError, PackageFormat, PackageId};

/// The longest group accepted.
pub const MAX_GROUP_LEN: usize = 250;
/// The longest name accepted.
pub const MAX_NAME_LEN: usize = 50;

/// The universal package format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Upack;

impl PackageFormat for Upack {
    fn purl_type(&self) -> &'static str {
        "upack"
    }

    fn has_groups(&self) -> bool {
        true
    }

    fn content_type(&self) -> &'static str {
        "application/zip"
    }

    fn file_name(&self, _group: &str, name: &str, version: &str) -> String {
        format!("{name}-{version}.upack")
    }

    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError> {
        validate_group(&id.group)?;
        validate_name(&id.name)
    }

    fn group_key(&self, group: &str) -> String {
        group.trim_matches('/').to_ascii_lowercase()
    }

    fn name_key(&self, name: &str) -> String {
        name.to_ascii_lowercase()
    }

    fn version_key(&self, version: &str) -> Result<String, FormatError> {
        SemVer2::parse(version)
            .map(|v| v.key())
            .map_err(|e| FormatError(e.to_string()))
    }

    fn compare_versions(&self, a: &str, b: &str) -> Ordering {
        // Stored versions were validated on the way in; an unparsable one
        // (there should be none) sorts first so it is never "latest".
        match (SemVer2::parse(a), SemVer2::parse(b)) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            (Ok(_), Err(_)) => Ordering::Greater,
            (Err(_), Ok(_)) => Ordering::Less,
            (Err(_), Err(_)) => a.cmp(b),
        }
    }

    fn is_stable(&self, version: &str) -> bool {
        SemVer2::parse(version).is_ok_and(|v| v.is_stable())
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

/// Checks a universal package name.
pub fn validate_name(name: &str) -> Result<(), FormatError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(FormatError(format!(
            "package name must be 1 to {MAX_NAME_LEN} characters (got {})",
            name.chars().count()
        )));
    }
    if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(FormatError(format!(
            "package name '{}' contains the character {bad:?}; use letters, digits, '-', '.' and '_'",
            name.escape_debug()
        )));
    }
    if name == "." || name == ".." {
        return Err(FormatError(format!("'{name}' is not a valid package name")));
    }
    Ok(())
}

/// Checks a universal package group ("" is no group).
pub fn validate_group(group: &str) -> Result<(), FormatError> {
    if group.len() > MAX_GROUP_LEN {
        return Err(FormatError(format!(
            "package group must be at most {MAX_GROUP_LEN} characters"
        )));
    }
    if let Some(bad) = group.chars().find(|c| !(is_name_char(*c) || *c == '/')) {
        return Err(FormatError(format!(
            "package group '{}' contains the character {bad:?}; use letters, digits, '-', '.', '_' and '/'",
            group.escape_debug()
        )));
    }
    if group.starts_with('/') || group.ends_with('/') || group.contains("//") {
        return Err(FormatError(format!(
            "package group '{group}' must not start or end with '/' or contain an empty segment"
        )));
    }
    if group.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(FormatError(format!(
            "package group '{group}' must not contain '.' or '..' segments"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_groups() {
        assert!(validate_name("My.Package_1-x").is_ok());
        for bad in ["", "a/b", "a b", "..", "ä", &"n".repeat(51)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_group("").is_ok());
        assert!(validate_group("acme/tools.x").is_ok());
        for bad in [
            "/acme",
            "acme/",
            "a//b",
            "a/../b",
            "a\\b",
            "a:b",
            &"g".repeat(251),
        ] {
            assert!(validate_group(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn identity_is_case_insensitive() {
        assert_eq!(Upack.name_key("Hammer"), Upack.name_key("hAMMER"));
        assert_eq!(Upack.group_key("Acme/Tools"), "acme/tools");
        assert_eq!(Upack.version_key("1.0.0-RC.1"), Ok("1.0.0-rc.1".into()));
        assert!(Upack.version_key("1.0").is_err());
    }

    #[test]
    fn stability_and_order() {
        assert!(Upack.is_stable("1.0.0"));
        assert!(!Upack.is_stable("1.0.0-alpha"));
        assert_eq!(Upack.compare_versions("1.0.0", "1.0.0-alpha"), Ordering::Greater);
        assert_eq!(Upack.compare_versions("1.2.0", "1.10.0"), Ordering::Less);
    }
}
