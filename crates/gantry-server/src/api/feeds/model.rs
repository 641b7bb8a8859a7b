//! The feed JSON, with ProGet's field names and Gantry's additions
//! (`usage`, `promoteToFeed`).

use gantry_store::FeedRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::double_option;
use crate::services::feed_admin::FeedRequest;

/// A feed as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedInfo {
    /// Unique name (case-insensitively).
    pub name: String,
    /// Other names the feed answers to.
    pub alternate_names: Vec<String>,
    /// Package type: `universal`, `nuget`, `npm`, ...
    pub feed_type: String,
    /// Free text.
    pub description: String,
    /// An inactive feed serves nothing.
    pub active: bool,
    /// `private`, `proxy`, `validated` or `mixed`.
    pub usage: String,
    /// The feed packages must be promoted to, if the feed is in a pipeline.
    pub promote_to_feed: Option<String>,
    /// Whether deployments of this feed's packages are recorded.
    pub deployment_records_enabled: bool,
    /// A validated feed takes direct uploads only when this is set.
    pub allow_direct_uploads: bool,
    /// The connectors the feed proxies, in the order they are asked.
    pub connectors: Vec<String>,
    /// Whether packages served through a connector are stored in the feed
    /// on first download.
    pub cache_connectors: bool,
    /// Whether the feed serves only what it stores, never asking a connector.
    pub offline: bool,
    /// Whether a pushed registry tag can never be moved to another image
    /// (Docker feeds).
    pub immutable_tags: bool,
}

impl From<&FeedRecord> for FeedInfo {
    fn from(feed: &FeedRecord) -> Self {
        Self {
            name: feed.settings.name.clone(),
            alternate_names: feed.settings.alternate_names.clone(),
            feed_type: feed.settings.feed_type.id().to_owned(),
            description: feed.settings.description.clone(),
            active: feed.settings.active,
            usage: feed.settings.usage.id().to_owned(),
            promote_to_feed: feed.promote_to_feed.clone(),
            deployment_records_enabled: feed.settings.deployment_records_enabled,
            allow_direct_uploads: feed.settings.allow_direct_uploads,
            connectors: feed.settings.connectors.clone(),
            cache_connectors: feed.settings.cache_connectors,
            offline: feed.settings.offline,
            immutable_tags: feed.settings.immutable_tags,
        }
    }
}

/// A feed as a client sends it to create or update one. On update, absent
/// fields keep their value; `promoteToFeed: null` clears the pipeline.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedInput {
    /// Required on create; on update, renames the feed.
    pub name: Option<String>,
    /// Required on create; cannot change on update.
    pub feed_type: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Default true.
    pub active: Option<bool>,
    /// Default `mixed`.
    pub usage: Option<String>,
    /// The promotion pipeline target.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub promote_to_feed: Option<Option<String>>,
    /// Default true.
    pub deployment_records_enabled: Option<bool>,
    /// Default false; lets a validated feed take direct uploads.
    pub allow_direct_uploads: Option<bool>,
    /// Connector names, in the order they are asked; replaces the list.
    pub connectors: Option<Vec<String>>,
    /// Default true: store what a connector serves on its first download.
    pub cache_connectors: Option<bool>,
    /// Default false: serve only stored packages, never asking a connector.
    pub offline: Option<bool>,
    /// Default false: a pushed tag of a Docker feed can never be moved.
    pub immutable_tags: Option<bool>,
}

impl From<FeedInput> for FeedRequest {
    fn from(input: FeedInput) -> Self {
        Self {
            name: input.name,
            feed_type: input.feed_type,
            description: input.description,
            active: input.active,
            usage: input.usage,
            promote_to_feed: input.promote_to_feed,
            deployment_records_enabled: input.deployment_records_enabled,
            allow_direct_uploads: input.allow_direct_uploads,
            connectors: input.connectors,
            cache_connectors: input.cache_connectors,
            offline: input.offline,
            immutable_tags: input.immutable_tags,
        }
    }
}
