//! Registry URLs: the part after `/v2/{feed}/`, split into the repository
//! and the endpoint.
//!
//! A repository name may itself contain segments such as `blobs`,
//! `manifests` or `tags` (`acme/blobs/x` is a valid name), so the endpoint
//! is read from the end of the path:
//!
//! | path ends with            | endpoint                  |
//! |---------------------------|---------------------------|
//! | `/blobs/uploads/`         | [`Endpoint::UploadStart`] |
//! | `/blobs/uploads`          | [`Endpoint::UploadStart`] |
//! | `/tags/list`              | [`Endpoint::Tags`]        |
//! | `/blobs/uploads/{id}`     | [`Endpoint::Upload`]      |
//! | `/manifests/{reference}`  | [`Endpoint::Manifest`]    |
//! | `/blobs/{digest}`         | [`Endpoint::Blob`]        |
//! | `/referrers/{digest}`     | [`Endpoint::Referrers`]   |
//!
//! The first row that matches wins, so `x/blobs/uploads` starts an upload
//! to `x` rather than naming a blob `uploads` (which is no digest anyway).

use super::digest::Digest;
use super::reference::{validate_repository, Reference};

/// The longest upload session id accepted.
pub const MAX_UPLOAD_SESSION_LEN: usize = 64;

/// A registry endpoint, below a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `{repository}/manifests/{reference}`.
    Manifest {
        /// The tag or digest.
        reference: Reference,
    },
    /// `{repository}/blobs/{digest}`.
    Blob {
        /// The blob's digest.
        digest: Digest,
    },
    /// `{repository}/blobs/uploads/` (or without the trailing slash): starts
    /// an upload, or mounts a blob.
    UploadStart,
    /// `{repository}/blobs/uploads/{session}`: an upload under way.
    Upload {
        /// The session id the server handed out.
        session: String,
    },
    /// `{repository}/tags/list`.
    Tags,
    /// `{repository}/referrers/{digest}`.
    Referrers {
        /// The digest of the subject manifest.
        digest: Digest,
    },
}

/// A registry path below `/v2/{feed}/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryPath {
    /// The repository name (`acme/web`), valid by the grammar.
    pub repository: String,
    /// What is asked of the repository.
    pub endpoint: Endpoint,
}

/// Why a registry path was refused; each case maps to an answer of the
/// distribution spec.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path names no registry endpoint, or an upload session id that
    /// can't exist (404).
    #[error("not a registry endpoint")]
    UnknownEndpoint,
    /// The repository name is invalid (400 `NAME_INVALID`).
    #[error("{0}")]
    NameInvalid(String),
    /// The manifest reference is an invalid tag (400 `TAG_INVALID`; a
    /// registry may also answer `MANIFEST_INVALID`).
    #[error("{0}")]
    TagInvalid(String),
    /// A digest in the path is invalid or of an unsupported algorithm (400
    /// `DIGEST_INVALID`).
    #[error("{0}")]
    DigestInvalid(String),
}

/// The endpoint as read from the path, before its argument is checked.
enum RawEndpoint<'a> {
    Manifest(&'a str),
    Blob(&'a str),
    UploadStart,
    Upload(&'a str),
    Tags,
    Referrers(&'a str),
}

/// Splits the path after `/v2/{feed}/` (percent-decoded, without a leading
/// `/`: `acme/web/manifests/1.0`) into the repository and the endpoint, and
/// checks both. The endpoint is checked first (an unknown one is
/// [`PathError::UnknownEndpoint`]), then the repository name, then the
/// reference or digest.
pub fn parse_registry_path(rest: &str) -> Result<RegistryPath, PathError> {
    let (repository, raw) = split_endpoint(rest).ok_or(PathError::UnknownEndpoint)?;
    validate_repository(repository).map_err(|e| PathError::NameInvalid(e.0))?;
    let digest = |s: &str| Digest::parse(s).map_err(|e| PathError::DigestInvalid(e.0));
    let endpoint = match raw {
        RawEndpoint::Manifest(reference) => Endpoint::Manifest {
            reference: Reference::parse(reference).map_err(|e| {
                if reference.contains(':') {
                    PathError::DigestInvalid(e.0)
                } else {
                    PathError::TagInvalid(e.0)
                }
            })?,
        },
        RawEndpoint::Blob(d) => Endpoint::Blob { digest: digest(d)? },
        RawEndpoint::UploadStart => Endpoint::UploadStart,
        RawEndpoint::Upload(session) => {
            if !is_upload_session_id(session) {
                return Err(PathError::UnknownEndpoint);
            }
            Endpoint::Upload {
                session: session.to_owned(),
            }
        }
        RawEndpoint::Tags => Endpoint::Tags,
        RawEndpoint::Referrers(d) => Endpoint::Referrers { digest: digest(d)? },
    };
    Ok(RegistryPath {
        repository: repository.to_owned(),
        endpoint,
    })
}

/// Whether a string can be an upload session id: 1 to 64 ASCII letters,
/// digits and `-` (a UUID fits).
pub fn is_upload_session_id(session: &str) -> bool {
    (1..=MAX_UPLOAD_SESSION_LEN).contains(&session.len())
        && session.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Finds the endpoint at the end of the path, most specific suffix first;
/// `None` when none matches or its last segment is empty.
fn split_endpoint(rest: &str) -> Option<(&str, RawEndpoint<'_>)> {
    let upload_start = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"));
    if let Some(repository) = upload_start {
        return Some((repository, RawEndpoint::UploadStart));
    }
    if let Some(repository) = rest.strip_suffix("/tags/list") {
        return Some((repository, RawEndpoint::Tags));
    }
    let (head, last) = rest.rsplit_once('/')?;
    if last.is_empty() {
        return None;
    }
    let (repository, kind) = head.rsplit_once('/')?;
    let endpoint = match kind {
        "manifests" => RawEndpoint::Manifest(last),
        "blobs" => RawEndpoint::Blob(last),
        "referrers" => RawEndpoint::Referrers(last),
        "uploads" => {
            let repository = repository.strip_suffix("/blobs")?;
            return Some((repository, RawEndpoint::Upload(last)));
        }
        _ => return None,
    };
    Some((repository, endpoint))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(rest: &str) -> RegistryPath {
        parse_registry_path(rest).unwrap_or_else(|e| panic!("{rest}: {e:?}"))
    }

    fn path(repository: &str, endpoint: Endpoint) -> RegistryPath {
        RegistryPath {
            repository: repository.into(),
            endpoint,
        }
    }

    #[test]
    fn reads_every_endpoint() {
        let digest = Digest::sha256_of(b"layer");
        assert_eq!(
            parse("acme/web/manifests/1.0"),
            path(
                "acme/web",
                Endpoint::Manifest {
                    reference: Reference::Tag("1.0".into())
                }
            )
        );
        assert_eq!(
            parse(&format!("acme/web/manifests/{digest}")),
            path(
                "acme/web",
                Endpoint::Manifest {
                    reference: Reference::Digest(digest.clone())
                }
            )
        );
        assert_eq!(
            parse(&format!("web/blobs/{digest}")),
            path(
                "web",
                Endpoint::Blob {
                    digest: digest.clone()
                }
            )
        );
        assert_eq!(
            parse("acme/web/blobs/uploads/"),
            path("acme/web", Endpoint::UploadStart)
        );
        assert_eq!(
            parse("acme/web/blobs/uploads"),
            path("acme/web", Endpoint::UploadStart)
        );
        assert_eq!(
            parse("acme/web/blobs/uploads/0f6c3a4e-5b6d-4c1e-9d2a-123456789abc"),
            path(
                "acme/web",
                Endpoint::Upload {
                    session: "0f6c3a4e-5b6d-4c1e-9d2a-123456789abc".into()
                }
            )
        );
        assert_eq!(
            parse("library/x/y/tags/list"),
            path("library/x/y", Endpoint::Tags)
        );
        assert_eq!(
            parse(&format!("acme/web/referrers/{digest}")),
            path("acme/web", Endpoint::Referrers { digest })
        );
    }

    #[test]
    fn repositories_may_hold_endpoint_words() {
        let digest = Digest::sha256_of(b"x");
        assert_eq!(
            parse("blobs/x/manifests/latest"),
            path(
                "blobs/x",
                Endpoint::Manifest {
                    reference: Reference::Tag("latest".into())
                }
            )
        );
        assert_eq!(
            parse("x/manifests/manifests/latest"),
            path(
                "x/manifests",
                Endpoint::Manifest {
                    reference: Reference::Tag("latest".into())
                }
            )
        );
        assert_eq!(
            parse(&format!("a/blobs/b/blobs/{digest}")),
            path(
                "a/blobs/b",
                Endpoint::Blob {
                    digest: digest.clone()
                }
            )
        );
        assert_eq!(
            parse(&format!("x/blobs/uploads/blobs/{digest}")),
            path("x/blobs/uploads", Endpoint::Blob { digest })
        );
        assert_eq!(
            parse("x/blobs/blobs/uploads/"),
            path("x/blobs", Endpoint::UploadStart)
        );
        assert_eq!(parse("blobs/blobs/uploads"), path("blobs", Endpoint::UploadStart));
        assert_eq!(
            parse("a/manifests/blobs/uploads/abc"),
            path(
                "a/manifests",
                Endpoint::Upload {
                    session: "abc".into()
                }
            )
        );
        assert_eq!(parse("tags/list/tags/list"), path("tags/list", Endpoint::Tags));
        assert_eq!(
            parse("x/manifests/tags/list"),
            path("x/manifests", Endpoint::Tags)
        );
    }

    #[test]
    fn unknown_endpoints() {
        let long_session = "a".repeat(MAX_UPLOAD_SESSION_LEN + 1);
        for rest in [
            "",
            "acme",
            "acme/web",
            "acme/web/",
            "acme/web/manifests",
            "acme/web/manifests/",
            "acme/web/blobs/",
            "acme/web/tags",
            "acme/web/tags/list/",
            "acme/web/catalog/x",
            "manifests/1.0",
            "tags/list",
            "blobs/uploads/",
            "uploads/abc",
            "acme/uploads/abc",
            "acme/blobs/uploads/sha256:abc",
            "acme/blobs/uploads/a_b",
            &format!("acme/blobs/uploads/{long_session}"),
        ] {
            assert_eq!(
                parse_registry_path(rest),
                Err(PathError::UnknownEndpoint),
                "{rest:?}"
            );
        }
        assert_eq!(PathError::UnknownEndpoint.to_string(), "not a registry endpoint");
    }

    #[test]
    fn invalid_names_references_and_digests() {
        let digest = Digest::sha256_of(b"x");
        let Err(PathError::NameInvalid(message)) = parse_registry_path("Acme/web/manifests/1.0") else {
            panic!("upper-case name accepted");
        };
        assert!(
            message.starts_with("'Acme/web' is not a valid repository name: "),
            "{message}"
        );
        for rest in [
            "acme//web/tags/list".to_owned(),
            "/acme/tags/list".to_owned(),
            format!("{}/tags/list", "a".repeat(256)),
            format!("a__-b/blobs/{digest}"),
        ] {
            assert!(
                matches!(parse_registry_path(&rest), Err(PathError::NameInvalid(_))),
                "{rest}"
            );
        }
        assert!(matches!(
            parse_registry_path("acme/manifests/.latest"),
            Err(PathError::TagInvalid(m)) if m.contains("not a valid tag")
        ));
        for rest in [
            "acme/manifests/sha256:ABC",
            "acme/blobs/latest",
            "acme/blobs/md5:d41d8cd98f00b204e9800998ecf8427e",
            "acme/referrers/sha256:00",
        ] {
            assert!(
                matches!(parse_registry_path(rest), Err(PathError::DigestInvalid(_))),
                "{rest}"
            );
        }
        // The name is checked before the reference.
        assert!(matches!(
            parse_registry_path("ACME/manifests/.x"),
            Err(PathError::NameInvalid(_))
        ));
    }
}
