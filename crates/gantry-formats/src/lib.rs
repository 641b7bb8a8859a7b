//! Gantry's package formats, one module per package type.
//!
//! A format knows a package type's identity rules (how names and versions
//! are normalised and ordered, what "stable" means, how a purl reads) and how
//! to read its manifests. The services work against [`PackageFormat`] only,
//! so promotion, history and deployments are written once for every type.

pub mod maven;
pub mod npm;
pub mod nuget;
pub mod oci;
pub mod upack;
mod xml_document;
mod ziplimits;

pub use ziplimits::{MAX_CENTRAL_DIRECTORY_BYTES, MAX_COMPRESSION_RATIO, MAX_ZIP_ENTRIES};

use std::cmp::Ordering;
use std::fmt::Write as _;

/// A package's identity as a client gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageId {
    /// Group, scope or namespace ("" when the type has none).
    pub group: String,
    /// Name.
    pub name: String,
}

/// Why a format refused a name, a version or a package file; the message is
/// meant for the client as it is.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FormatError(pub String);

/// The identity rules of one package type.
pub trait PackageFormat: Send + Sync + 'static {
    /// The purl type (`upack`, `nuget`, `npm`, ...).
    fn purl_type(&self) -> &'static str;

    /// Whether packages of this type have a group (scope, namespace).
    fn has_groups(&self) -> bool;

    /// Validates a group and name as a client gives them.
    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError>;

    /// The identity a client's `group` and `name` stand for. pgutil splits
    /// `--package=a/b` into group `a` and name `b`; a type without groups
    /// whose names hold slashes (OCI repositories) folds the group back into
    /// the name. Others keep both as given.
    fn identity(&self, group: &str, name: &str) -> PackageId {
        PackageId {
            group: group.to_owned(),
            name: name.to_owned(),
        }
    }

    /// The normalised group, as identity compares it.
    fn group_key(&self, group: &str) -> String;

    /// The normalised name, as identity compares it.
    fn name_key(&self, name: &str) -> String;

    /// The normalised version, as identity compares it; refuses an invalid version.
    fn version_key(&self, version: &str) -> Result<String, FormatError>;

    /// The format's version order.
    fn compare_versions(&self, a: &str, b: &str) -> Ordering;

    /// Whether a version counts as stable for `latest-stable`.
    fn is_stable(&self, version: &str) -> bool;

    /// The media type of a package file.
    fn content_type(&self) -> &'static str;

    /// Whether a published version can never be replaced, whatever the
    /// caller's rights (clients that cache versions for good: NuGet, npm).
    fn versions_are_immutable(&self) -> bool {
        false
    }

    /// The file name a download is offered under.
    fn file_name(&self, group: &str, name: &str, version: &str) -> String;

    /// The package and version a purl of this type names, for a request to
    /// feed `feed`: its namespace, name and version as they are, for every
    /// type whose purls write them so. `feed` is for types whose purls name
    /// a package by where it is fetched from (OCI's `repository_url`).
    fn read_purl(&self, purl: &Purl, _feed: &str) -> Result<(PackageId, String), FormatError> {
        Ok((
            PackageId {
                group: purl.group.clone(),
                name: purl.name.clone(),
            },
            purl.version.clone(),
        ))
    }

    /// The package URL of a version.
    fn purl(&self, group: &str, name: &str, version: &str) -> String {
        let mut purl = format!("pkg:{}/", self.purl_type());
        if !group.is_empty() {
            purl.push_str(&percent_encode_path(group));
            purl.push('/');
        }
        purl.push_str(&percent_encode_segment(name));
        purl.push('@');
        purl.push_str(&percent_encode_segment(version));
        purl
    }
}

/// Picks the highest version (or highest stable one) by the format's order.
pub fn pick_latest<'a, I>(format: &dyn PackageFormat, versions: I, stable_only: bool) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    versions
        .into_iter()
        .filter(|v| !stable_only || format.is_stable(v))
        .max_by(|a, b| format.compare_versions(a, b))
}

/// A parsed purl: `pkg:type/group.../name@version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purl {
    /// The type (`upack`, `nuget`, ...).
    pub purl_type: String,
    /// Namespace ("" when none).
    pub group: String,
    /// Name.
    pub name: String,
    /// Version ("" when absent).
    pub version: String,
    /// The qualifiers (`?key=value&...`), decoded, in order.
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// Parses a purl and its qualifiers, ignoring the subpath.
    pub fn parse(raw: &str) -> Result<Self, FormatError> {
        let bad = || FormatError(format!("'{raw}' is not a package URL (pkg:type/name@version)"));
        let rest = raw.strip_prefix("pkg:").ok_or_else(bad)?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (rest, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
        let qualifiers = qualifiers
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key).to_ascii_lowercase(), percent_decode(value))
            })
            .collect();
        let (purl_type, path) = rest.split_once('/').ok_or_else(bad)?;
        // The version follows the last '@' of the last segment, so that an
        // unencoded scope (`pkg:npm/@acme/widget`) is not read as one.
        let path = path.trim_end_matches('/');
        let last_segment = path.rfind('/').map_or(0, |slash| slash + 1);
        let (path, version) = match path.rfind('@').filter(|at| *at >= last_segment) {
            Some(at) => (&path[..at], percent_decode(&path[at + 1..])),
            None => (path, String::new()),
        };
        let path = path.trim_matches('/');
        let (group, name) = match path.rsplit_once('/') {
            Some((g, n)) => (percent_decode(g), percent_decode(n)),
            None => (String::new(), percent_decode(path)),
        };
        if purl_type.is_empty() || name.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            purl_type: purl_type.to_ascii_lowercase(),
            group,
            name,
            version,
            qualifiers,
        })
    }

    /// The value of the qualifier `key` (lower case), if given.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn percent_encode_path(s: &str) -> String {
    s.split('/')
        .map(percent_encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            if let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_round_trips_with_group() {
        let purl = upack::Upack.purl("acme/tools", "hammer", "1.0.0-rc.1");
        assert_eq!(purl, "pkg:upack/acme/tools/hammer@1.0.0-rc.1");
        let parsed = Purl::parse(&purl).expect("valid purl");
        assert_eq!(parsed.group, "acme/tools");
        assert_eq!(parsed.name, "hammer");
        assert_eq!(parsed.version, "1.0.0-rc.1");
    }

    #[test]
    fn purl_encodes_and_decodes_specials() {
        let purl = upack::Upack.purl("", "a b", "1.0.0+x");
        assert_eq!(purl, "pkg:upack/a%20b@1.0.0%2Bx");
        let parsed = Purl::parse(&purl).expect("valid purl");
        assert_eq!(
            (parsed.name.as_str(), parsed.version.as_str()),
            ("a b", "1.0.0+x")
        );
        assert!(Purl::parse("upack/x@1").is_err());
        assert!(Purl::parse("pkg:upack").is_err());
    }

    #[test]
    fn purl_decodes_an_encoded_scope() {
        for raw in [
            "pkg:npm/%40acme/widget@1.0.0",
            "pkg:npm/%40Acme/widget@1.0.0?x=y#sub",
            "pkg:npm/@acme/widget@1.0.0",
        ] {
            let parsed = Purl::parse(raw).expect(raw);
            assert_eq!(parsed.group.to_ascii_lowercase(), "@acme", "{raw}");
            assert_eq!(
                (parsed.name.as_str(), parsed.version.as_str()),
                ("widget", "1.0.0"),
                "{raw}"
            );
        }
        let qualified = Purl::parse("pkg:npm/%40acme/widget@1.0.0?x=y#sub").expect("valid purl");
        assert_eq!(qualified.qualifiers, [("x".to_owned(), "y".to_owned())]);
        let unversioned = Purl::parse("pkg:npm/@acme/widget").expect("valid purl");
        assert_eq!(
            (
                unversioned.group.as_str(),
                unversioned.name.as_str(),
                unversioned.version.as_str()
            ),
            ("@acme", "widget", "")
        );
    }

    #[test]
    fn latest_and_latest_stable() {
        let versions = ["1.0.0", "1.10.0", "1.9.0", "2.0.0-beta.1"];
        assert_eq!(pick_latest(&upack::Upack, versions, false), Some("2.0.0-beta.1"));
        assert_eq!(pick_latest(&upack::Upack, versions, true), Some("1.10.0"));
        assert_eq!(pick_latest(&upack::Upack, ["1.0.0-rc"], true), None);
    }
}
