//! "How to use this feed" snippets and install commands, with this
//! server's real URLs: each package type writes its own
//! ([`crate::package_types::PackageType::feed_snippets`]).

use gantry_core::FeedType;

pub use crate::package_types::Snippet;
use crate::package_types::{self, FeedAddress};

/// How to point a client at `feed`.
pub fn feed_snippets(base: &str, feed: &str, feed_type: FeedType) -> Vec<Snippet> {
    let address = FeedAddress {
        base,
        feed,
        feed_type,
    };
    match package_types::for_feed_type(feed_type) {
        Some(package_type) => package_type.feed_snippets(address),
        None => vec![Snippet::new(
            "Feed API",
            format!("{base}/api/packages/{feed}/versions"),
        )],
    }
}

/// The command that installs one version from `feed`.
pub fn install_command(
    base: &str,
    feed: &str,
    feed_type: FeedType,
    group: &str,
    name: &str,
    version: &str,
) -> String {
    let address = FeedAddress {
        base,
        feed,
        feed_type,
    };
    match package_types::for_feed_type(feed_type) {
        Some(package_type) => package_type.install_command(address, group, name, version),
        None => package_types::download_command(address, group, name, version),
    }
}

/// Other commands that fetch one version from `feed`, if its type has any.
pub fn other_install_commands(
    base: &str,
    feed: &str,
    feed_type: FeedType,
    group: &str,
    name: &str,
    version: &str,
) -> Vec<Snippet> {
    let address = FeedAddress {
        base,
        feed,
        feed_type,
    };
    package_types::for_feed_type(feed_type)
        .map(|t| t.other_install_commands(address, group, name, version))
        .unwrap_or_default()
}

/// The file name endings the feed page's upload form accepts for a feed
/// type; empty when its packages are not uploaded as files.
pub fn upload_extensions(feed_type: FeedType) -> &'static [&'static str] {
    package_types::for_feed_type(feed_type).map_or(&[], |t| t.upload_extensions())
}
