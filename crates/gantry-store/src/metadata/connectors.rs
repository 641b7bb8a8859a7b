//! Connector records: the upstream registries feeds proxy.

use gantry_core::FeedType;

/// What a client sets on a connector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectorSettings {
    /// Display name; uniqueness uses its lower-case form.
    pub name: String,
    /// The package type it serves; only feeds of that type may use it.
    pub feed_type: FeedType,
    /// The upstream's address (a registry URL, a NuGet service index, ...).
    pub url: String,
    /// Seconds to wait for the upstream before giving up on a request.
    pub timeout_secs: u32,
    /// Whether upstream metadata is kept for a while instead of being
    /// fetched on every request.
    pub metadata_cache_enabled: bool,
    /// How long kept metadata stays fresh.
    pub metadata_cache_minutes: u32,
    /// How many metadata documents are kept at most.
    pub metadata_cache_count: u32,
    /// User name sent upstream (basic authentication), if any.
    pub username: Option<String>,
    /// Password or token sent upstream; never shown by the API.
    pub password: Option<String>,
    /// Ordered include (`Newtonsoft.*`) and exclude (`!*.Beta`) patterns.
    pub filters: Vec<String>,
}

/// A connector's health as the nodes last saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectorHealth {
    /// `unknown` (never used yet), `healthy` or `unhealthy`.
    pub status: String,
    /// The last failure's description.
    pub last_error: Option<String>,
    /// When the last failure happened, Unix milliseconds.
    pub last_error_at: Option<i64>,
    /// When the upstream last answered well, Unix milliseconds.
    pub last_success_at: Option<i64>,
}

/// A connector as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectorRecord {
    /// Database id.
    pub id: i64,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
    /// The settings a client controls.
    pub settings: ConnectorSettings,
    /// Its health.
    pub health: ConnectorHealth,
}
