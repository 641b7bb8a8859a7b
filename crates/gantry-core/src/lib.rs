//! Gantry's core domain: plain Rust types and rules with no I/O.
//!
//! Everything here is validated at construction, so a value of one of these
//! types can be passed to a store or put in a path without further checks.

pub mod digest;
pub mod feed;
pub mod filter;
pub mod names;
pub mod security;
pub mod version;

pub use digest::Sha256Digest;
pub use feed::{FeedType, FeedUsage};
pub use filter::{FilterError, PackageFilter, PackageFilters};
pub use names::{FeedName, GroupName, NameError, UserName};
pub use security::{
    ApiKeyGrant, Attribute, AttributeSet, Decision, PackagePermission, Principal, SecurityModel, SystemApi,
};
pub use version::{SemVer2, VersionSpec};
