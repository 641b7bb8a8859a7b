//! Docker and OCI images, served by the OCI distribution spec (v1.1) under
//! `/v2/{feed}/{repository}/…`: manifests (images and indexes) and the blobs
//! they name, addressed by digest, with tags pointing at manifests.
//!
//! Identity: the name is the repository (`acme/web`, slashes allowed), lower
//! case by grammar and compared as written; there is no group. A version is
//! a tag (`1.0`, `latest`), case-sensitive and kept as written, ordered by
//! [`compare_tags`]. Tags move by nature, so versions are not immutable; a
//! feed option can make them so.
//!
//! The module checks names, tags and digests ([`validate_repository`],
//! [`validate_tag`], [`Digest`]), reads registry paths
//! ([`parse_registry_path`]) and token scopes ([`parse_scope`]), reads pushed
//! manifests ([`parse_manifest`]), writes the referrers API's index
//! ([`referrers_index`]) and knows the media types ([`media_types`]).

mod digest;
mod manifest;
pub mod media_types;
mod path;
mod reference;
mod scope;
mod version;

pub use digest::{Digest, DigestAlgorithm};
pub use manifest::{parse_manifest, referrers_index, Descriptor, ManifestKind, ParsedManifest, Platform};
pub use media_types::{accepts, is_index_media_type, is_manifest_media_type};
pub use path::{
    is_upload_session_id, parse_registry_path, Endpoint, PathError, RegistryPath, MAX_UPLOAD_SESSION_LEN,
};
pub use reference::{validate_repository, validate_tag, Reference, MAX_REPOSITORY_LEN, MAX_TAG_LEN};
pub use scope::{parse_scope, Scope};
pub use version::{compare_tags, is_prerelease_tag};

use std::cmp::Ordering;

use crate::{percent_encode_segment, FormatError, PackageFormat, PackageId, Purl};

/// The largest manifest the server accepts in a push, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// The OCI (Docker) image format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Oci;

impl PackageFormat for Oci {
    fn purl_type(&self) -> &'static str {
        "oci"
    }

    fn has_groups(&self) -> bool {
        false
    }

    /// The name must be a valid repository name and the group empty.
    fn validate_id(&self, id: &PackageId) -> Result<(), FormatError> {
        if !id.group.is_empty() {
            return Err(FormatError(format!(
                "OCI repositories have no group (got '{}'); put it in the name: '{}/{}'",
                shown(&id.group),
                shown(&id.group),
                shown(&id.name)
            )));
        }
        validate_repository(&id.name)
    }

    /// `acme` + `web` is the repository `acme/web`.
    fn identity(&self, group: &str, name: &str) -> PackageId {
        let name = if group.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", group.trim_end_matches('/'))
        };
        PackageId {
            group: String::new(),
            name,
        }
    }

    fn group_key(&self, group: &str) -> String {
        group.to_owned()
    }

    /// The name as is: repository names are lower case by grammar.
    fn name_key(&self, name: &str) -> String {
        name.to_owned()
    }

    /// The tag as is, once checked: tags are case-sensitive.
    fn version_key(&self, version: &str) -> Result<String, FormatError> {
        validate_tag(version)?;
        Ok(version.to_owned())
    }

    fn compare_versions(&self, a: &str, b: &str) -> Ordering {
        compare_tags(a, b)
    }

    /// Stable unless the tag looks like a prerelease ([`is_prerelease_tag`]);
    /// `latest` is stable.
    fn is_stable(&self, version: &str) -> bool {
        !is_prerelease_tag(version)
    }

    fn content_type(&self) -> &'static str {
        media_types::OCI_MANIFEST
    }

    /// Tags move by nature; a feed option, not the format, pins them.
    fn versions_are_immutable(&self) -> bool {
        false
    }

    /// `acme_web_1.0.manifest.json`: the manifest a tag points at, with the
    /// repository's `/` written as `_`.
    fn file_name(&self, _group: &str, name: &str, version: &str) -> String {
        format!("{}_{version}.manifest.json", name.replace('/', "_"))
    }

    /// An OCI purl names an image by the last segment of its repository
    /// (`pkg:oci/web`), the full repository by the `repository_url`
    /// qualifier (`{registry}/{feed}/{repository}` here, what `docker pull`
    /// takes; the registry's host is not checked, as a registry answers to
    /// many names) and the tag by the `tag` qualifier. Its version is the
    /// manifest's digest, which names no tag: a purl selects a version by
    /// `tag`, and one with a digest but no tag is refused.
    fn read_purl(&self, purl: &Purl, feed: &str) -> Result<(PackageId, String), FormatError> {
        let name = match purl.qualifier("repository_url") {
            None if purl.group.is_empty() => purl.name.clone(),
            None => format!("{}/{}", purl.group, purl.name),
            Some(url) => {
                let address = url.split_once("://").map_or(url, |(_, rest)| rest);
                let repository = address
                    .split_once('/')
                    .and_then(|(_host, path)| path.strip_prefix(feed))
                    .and_then(|rest| rest.strip_prefix('/'))
                    .ok_or_else(|| {
                        FormatError(format!(
                            "repository_url '{}' names no repository of feed '{}': write it \
                             {{registry}}/{}/{{repository}}",
                            shown(url),
                            shown(feed),
                            shown(feed)
                        ))
                    })?;
                let last_segment = repository.rsplit_once('/').map_or(repository, |(_, last)| last);
                if last_segment != purl.name {
                    return Err(FormatError(format!(
                        "repository_url names repository '{}', which does not end with the purl's name '{}'",
                        shown(repository),
                        shown(&purl.name)
                    )));
                }
                repository.to_owned()
            }
        };
        let version = match purl.qualifier("tag") {
            Some(tag) => tag.to_owned(),
            None if purl.version.is_empty() => String::new(),
            None => {
                return Err(FormatError(format!(
                    "an oci purl's version ('{}') is a manifest digest, which names no tag: \
                     give the tag in the 'tag' qualifier",
                    shown(&purl.version)
                )))
            }
        };
        Ok((
            PackageId {
                group: String::new(),
                name,
            },
            version,
        ))
    }

    /// `pkg:oci/web?tag=1.0`: the purl spec names an image by the last
    /// segment of its repository, with the registry and full repository in a
    /// `repository_url` qualifier and the manifest digest as the version.
    /// Neither the host nor the digest is known here, so the tag is given as
    /// the `tag` qualifier and there is no version.
    fn purl(&self, _group: &str, name: &str, version: &str) -> String {
        let last_segment = name.rsplit_once('/').map_or(name, |(_, last)| last);
        format!(
            "pkg:oci/{}?tag={}",
            percent_encode_segment(last_segment),
            percent_encode_segment(version)
        )
    }
}

/// Client text for a message: escaped, and cut after 100 characters.
fn shown(text: &str) -> String {
    const MAX_SHOWN_CHARS: usize = 100;
    let mut shown: String = text
        .chars()
        .take(MAX_SHOWN_CHARS)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if text.chars().nth(MAX_SHOWN_CHARS).is_some() {
        shown.push('…');
    }
    shown
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
        assert_eq!(Oci.purl_type(), "oci");
        assert!(!Oci.has_groups());
        for name in ["web", "acme/web", "library/my_app/x-y.z"] {
            assert_eq!(Oci.validate_id(&id("", name)), Ok(()), "{name}");
        }
        let error = Oci.validate_id(&id("acme", "web")).expect_err("group refused");
        assert!(error.0.contains("have no group"), "{error}");
        let error = Oci
            .validate_id(&id("", "Acme/Web"))
            .expect_err("upper case refused");
        assert!(error.0.contains("not a valid repository name"), "{error}");
        assert!(Oci.validate_id(&id("", "")).is_err());
        assert!(Oci
            .validate_id(&id("", &"a".repeat(MAX_REPOSITORY_LEN + 1)))
            .is_err());
    }

    #[test]
    fn keys_are_unchanged() {
        assert_eq!(Oci.group_key(""), "");
        assert_eq!(Oci.name_key("acme/web"), "acme/web");
        assert_eq!(Oci.version_key("Latest"), Ok("Latest".into()));
        assert_eq!(Oci.version_key("v1.0_RC-1"), Ok("v1.0_RC-1".into()));
        for bad in ["", ".x", "-x", "a:b", "1.0+b", &"a".repeat(MAX_TAG_LEN + 1)] {
            assert!(Oci.version_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stability_and_latest() {
        assert!(Oci.is_stable("1.0"));
        assert!(Oci.is_stable("latest"));
        assert!(Oci.is_stable("1.25-alpine"));
        assert!(!Oci.is_stable("1.0-rc1"));
        assert!(!Oci.is_stable("2.0-Beta"));
        let tags = ["1.9", "1.10", "2.0-rc1", "main"];
        assert_eq!(pick_latest(&Oci, tags, false), Some("2.0-rc1"));
        assert_eq!(pick_latest(&Oci, tags, true), Some("1.10"));
        assert_eq!(pick_latest(&Oci, ["1.0", "latest", "9"], true), Some("latest"));
        assert_eq!(pick_latest(&Oci, ["main", "edge"], true), Some("main"));
        assert_eq!(Oci.compare_versions("1.10", "1.9"), Ordering::Greater);
    }

    #[test]
    fn files_and_purls() {
        assert_eq!(Oci.content_type(), "application/vnd.oci.image.manifest.v1+json");
        assert!(!Oci.versions_are_immutable());
        assert_eq!(Oci.file_name("", "acme/web", "1.0"), "acme_web_1.0.manifest.json");
        assert_eq!(Oci.file_name("", "web", "latest"), "web_latest.manifest.json");
        let purl = Oci.purl("", "acme/web", "1.0");
        assert_eq!(purl, "pkg:oci/web?tag=1.0");
        let parsed = Purl::parse(&purl).expect("valid purl");
        assert_eq!(
            (
                parsed.purl_type.as_str(),
                parsed.group.as_str(),
                parsed.name.as_str(),
                parsed.version.as_str()
            ),
            ("oci", "", "web", "")
        );
        assert_eq!(Oci.purl("", "web", "v1_x"), "pkg:oci/web?tag=v1_x");
    }

    #[test]
    fn purls_select_a_tag_of_a_repository() {
        let read = |raw: &str| {
            Oci.read_purl(&Purl::parse(raw).expect("valid purl"), "tools")
                .map(|(id, version)| (id.group, id.name, version))
        };
        let ok = |name: &str, version: &str| Ok((String::new(), name.to_owned(), version.to_owned()));
        assert_eq!(read(&Oci.purl("", "web", "1.0")), ok("web", "1.0"));
        assert_eq!(read("pkg:oci/web"), ok("web", ""));
        assert_eq!(
            read("pkg:oci/web@sha256%3Aabc?repository_url=registry.example/tools/acme/web&tag=1.0"),
            ok("acme/web", "1.0")
        );
        assert_eq!(
            read("pkg:oci/web?repository_url=https%3A%2F%2F127.0.0.1%3A8624%2Ftools%2Fweb&tag=latest"),
            ok("web", "latest")
        );
        for (raw, message) in [
            ("pkg:oci/web@sha256%3Aabc", "names no tag"),
            (
                "pkg:oci/web?repository_url=registry.example/other/web",
                "no repository of feed 'tools'",
            ),
            (
                "pkg:oci/web?repository_url=registry.example/tools/acme/api",
                "does not end with",
            ),
            (
                "pkg:oci/web?repository_url=registry.example",
                "no repository of feed",
            ),
        ] {
            let error = read(raw).expect_err(raw);
            assert!(error.0.contains(message), "{raw}: {error}");
        }
    }

    #[test]
    fn shown_escapes_and_cuts() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(100)), "x".repeat(100));
        assert_eq!(shown(&"x".repeat(101)), format!("{}…", "x".repeat(100)));
    }
}
