//! Container registry content (Docker/OCI feeds): manifests and blobs by
//! digest within a repository of a feed, the edges between them, and blob
//! upload sessions.
//!
//! A tag is a package version (name = repository, version = tag) whose
//! files are the whole image: the tagged manifest under qualifier `""` and
//! every manifest and blob it reaches (referrers included) under their
//! digest. The store keeps those files in step as manifests are pushed, so
//! that promotion, history, deployments and the packages API treat a tag
//! like any other version, and promotion copies an image without a byte.
//! Digests are kept as the client wrote them (`sha256:…`, `sha512:…`); each
//! maps to the content-addressed blob (SHA-256) holding the bytes.

use gantry_core::Sha256Digest;
use serde_json::Value;

use super::PackageRecord;

/// A manifest (or index) in a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryManifest {
    /// The digest it is addressed by.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its artifact type ("" when none).
    pub artifact_type: String,
    /// The digest of the manifest it refers to ("" when none).
    pub subject: String,
    /// Its annotations, as a JSON object.
    pub annotations: Value,
    /// The blob holding its bytes.
    pub sha256: Sha256Digest,
    /// Its size in bytes.
    pub size: i64,
    /// When it was pushed (Unix milliseconds).
    pub pushed_at: i64,
    /// Who pushed it.
    pub pushed_by: String,
}

/// A blob (layer, config) in a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryBlob {
    /// The digest it is addressed by.
    pub digest: String,
    /// The content-addressed blob holding its bytes.
    pub sha256: Sha256Digest,
    /// Its size in bytes.
    pub size: i64,
}

/// Where registry content lives: a feed's repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRepository {
    /// The feed's id.
    pub feed_id: i64,
    /// The feed's name, for history events.
    pub feed_name: String,
    /// The package type, for history events.
    pub package_type: String,
    /// The repository (`acme/web`).
    pub repository: String,
}

/// A manifest to store, with the tag to point at it.
#[derive(Clone, Debug)]
pub struct NewRegistryManifest {
    /// Where it goes.
    pub at: RegistryRepository,
    /// Its digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its artifact type ("" when none).
    pub artifact_type: String,
    /// The digest of the manifest it refers to, if it is a referrer.
    pub subject: Option<String>,
    /// Its annotations, as a JSON object.
    pub annotations: Value,
    /// The blob holding its bytes, leased already.
    pub sha256: Sha256Digest,
    /// Its size in bytes.
    pub size: i64,
    /// The digests it references that must be in the repository already
    /// (an image's config and layers, an index's manifests).
    pub references: Vec<String>,
    /// The tag to point at it, if pushed by tag.
    pub tag: Option<NewRegistryTag>,
    /// Who pushes it.
    pub user: String,
    /// The connector it was fetched through, when a proxy feed cached it
    /// (named in the history events it makes).
    pub connector: Option<String>,
}

/// A tag to point at a pushed manifest.
#[derive(Clone, Debug)]
pub struct NewRegistryTag {
    /// The tag as written.
    pub tag: String,
    /// What the version page shows of the image (digest, platforms,
    /// layers...), stored as the version's metadata.
    pub metadata: Value,
    /// Whether a tag that points elsewhere must stay where it is.
    pub immutable: bool,
}

/// What pushing a manifest did.
#[derive(Clone, Debug)]
pub enum PutManifestOutcome {
    /// Stored; with the tag's version as it is now, when pushed by tag.
    Stored {
        /// The tag's version.
        tag: Option<Box<PackageRecord>>,
    },
    /// A referenced digest is not in the repository; nothing was stored.
    MissingReference(String),
    /// The feed's tags are immutable and the tag points at another
    /// manifest (its digest); nothing was stored.
    TagImmutable(String),
}

/// What deleting a manifest did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeleteManifestOutcome {
    /// Deleted, with the tags that pointed at it.
    Deleted(Vec<String>),
    /// No such manifest in the repository.
    NotFound,
    /// Another manifest of the repository (an index) references it.
    Referenced(String),
}

/// A blob upload session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryUpload {
    /// The session's id (in its URL).
    pub id: String,
    /// The feed it uploads into.
    pub feed_id: i64,
    /// The repository it uploads into.
    pub repository: String,
    /// Who started it.
    pub started_by: String,
    /// When it started (Unix milliseconds).
    pub started_at: i64,
    /// When a part last arrived.
    pub updated_at: i64,
    /// The bytes received so far.
    pub size: i64,
    /// The parts received, in order.
    pub parts: Vec<UploadPart>,
}

/// A part of an upload, stored as a blob of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPart {
    /// Its position (0, 1, ...).
    pub seq: i64,
    /// The blob holding its bytes.
    pub sha256: Sha256Digest,
    /// Its size.
    pub size: i64,
}

/// What adding a part to an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddPartOutcome {
    /// Added; the upload's size now.
    Added(i64),
    /// The part does not start where the upload ends (its size now).
    WrongOffset(i64),
    /// No such upload (finished, cancelled or expired).
    UnknownUpload,
}

/// A registry bearer token to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRegistryToken {
    /// SHA-256 (hex) of the token; the token itself is never stored.
    pub token_hash: String,
    /// Who the token stands for.
    pub holder: TokenHolder,
    /// When it ends (Unix milliseconds).
    pub expires_at: i64,
}

/// Whom a registry token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenHolder {
    /// Nobody signed in.
    Anonymous,
    /// The API key with this hash.
    ApiKey(String),
    /// A user, as of their last password change.
    User {
        /// The user's id.
        id: i64,
        /// The user's name (filled in on look-up).
        name: String,
        /// Their `password_changed_at` when the token was made.
        password_changed_at: i64,
    },
}
