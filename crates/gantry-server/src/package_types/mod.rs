//! The package types this server serves, each in its own folder, and the
//! one list that registers them.
//!
//! Adding a type: a format module in `gantry-formats`, a folder here whose
//! `mod.rs` implements [`PackageType`] (protocol routes, connector, upload,
//! presentation), its line in [`REGISTERED`], and its tests. Nothing else
//! in the server names a type.

mod package_type;

pub mod docker;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod universal;

pub use package_type::{download_command, DependencyRow, DetailTable, FeedAddress, PackageType, Snippet};

use gantry_core::FeedType;
use gantry_formats::PackageFormat;

use crate::api::routes::Routes;
use crate::connectors::remote::RemoteFormat;

/// Every registered package type, in the order the UI offers them.
static REGISTERED: &[&dyn PackageType] = &[
    &universal::Universal,
    &nuget::NuGetFamily,
    &npm::NpmType,
    &maven::MavenType,
    &docker::DockerType,
];

/// Every registered package type.
pub fn registered() -> &'static [&'static dyn PackageType] {
    REGISTERED
}

/// The package type serving `feed_type`, or `None` while that feed type is
/// not implemented.
pub fn for_feed_type(feed_type: FeedType) -> Option<&'static dyn PackageType> {
    REGISTERED
        .iter()
        .copied()
        .find(|t| t.feed_types().contains(&feed_type))
}

/// The identity rules of `feed_type`'s packages, while it is implemented.
pub fn format_for(feed_type: FeedType) -> Option<&'static dyn PackageFormat> {
    for_feed_type(feed_type).map(PackageType::format)
}

/// How feeds of `feed_type` proxy an upstream, when they can.
pub fn connector_for(feed_type: FeedType) -> Option<&'static dyn RemoteFormat> {
    for_feed_type(feed_type).and_then(PackageType::connector)
}

/// The feed types this server can create feeds of, in ProGet's order.
pub fn served_feed_types() -> impl Iterator<Item = FeedType> {
    FeedType::ALL.into_iter().filter(|t| for_feed_type(*t).is_some())
}

/// The feed types whose feeds can proxy an upstream through a connector.
pub fn proxied_feed_types() -> impl Iterator<Item = FeedType> {
    FeedType::ALL.into_iter().filter(|t| connector_for(*t).is_some())
}

/// Every type's protocol routes.
pub fn routes() -> Routes {
    REGISTERED
        .iter()
        .fold(Routes::default(), |routes, t| routes.merge(t.routes()))
}

/// Every header any type's clients send an API key in.
pub fn api_key_headers() -> impl Iterator<Item = &'static str> {
    REGISTERED
        .iter()
        .flat_map(|t| t.api_key_headers().iter().copied())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_feed_type_is_served_twice() {
        let mut seen = HashSet::new();
        for package_type in registered() {
            for feed_type in package_type.feed_types() {
                assert!(seen.insert(*feed_type), "{feed_type} is registered twice");
            }
        }
        assert!(!seen.is_empty());
    }

    #[test]
    fn a_type_promotes_within_its_family() {
        for package_type in registered() {
            let families: HashSet<_> = package_type
                .feed_types()
                .iter()
                .map(|t| t.promotion_family())
                .collect();
            assert_eq!(families.len(), 1, "{:?}", package_type.feed_types());
        }
    }
}
