//! What every package protocol shares: the base URL clients see, kept
//! protocol documents, and staging uploads. Each type's own protocol is in
//! its folder under [`crate::package_types`].

pub mod base_url;
pub mod documents;
pub mod upload;
