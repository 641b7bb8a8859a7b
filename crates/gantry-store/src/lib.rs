//! Gantry's storage: the [`MetadataStore`] trait with its SQL implementation
//! (SQLite embedded, PostgreSQL for scale-out), and the content-addressed
//! [`BlobStore`] over the `object_store` crate.
//!
//! Stores know nothing of package formats: identity arrives already
//! normalised (the `*_key` fields), and metadata as opaque JSON.

pub mod blob;
pub mod error;
pub mod fsck;
pub mod metadata;
pub mod migrate;
pub mod sql;
pub mod sweep;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use blob::{BlobInfo, BlobRead, BlobStore, S3Settings, StageError, StagedBlob};
pub use error::{StoreError, StoreResult};
pub use metadata::{
    AddFileOutcome, AddOutcome, ApiKeyRecord, ConnectorHealth, ConnectorRecord, ConnectorSettings,
    DeploymentQuery, DeploymentRecord, DistTag, EventKind, FeedRecord, FeedSettings, FeedVisibility,
    GateVerdict, MetadataOnAdd, MetadataStore, NewApiKey, NewDeployment, NewDistTag, NewFileUpload,
    NewPackage, NewPackageFile, NewPromotion, PackageEvent, PackageFileRecord, PackageKey, PackageQuery,
    PackageRecord, PackageStatusChange, PromoteOutcome, PromotionQuery, PromotionRecord, PromotionRefusal,
    RemoteOrigin, SecurityStore, TagMove, UnknownEventKind,
};
pub use metadata::{
    AddPartOutcome, DeleteManifestOutcome, NewRegistryManifest, NewRegistryTag, NewRegistryToken,
    PutManifestOutcome, RegistryBlob, RegistryManifest, RegistryRepository, RegistryUpload, TokenHolder,
    UploadPart,
};
pub use metadata::{
    FeedCounts, NewSession, PackageSummary, SessionRecord, SummaryPage, SummaryQuery, VersionBrief,
};
pub use sql::SqlStore;
