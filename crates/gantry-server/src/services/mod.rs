//! Use cases shared by every protocol, the API and the web UI: finding
//! feeds and packages, publishing, serving downloads, and administering
//! feeds, connectors, API keys and security. Handlers and pages parse
//! requests and call these.

pub mod api_keys;
pub mod connectors;
pub mod deploy;
pub mod documents;
pub mod download;
pub mod feed_admin;
pub mod feeds;
pub mod gates;
pub mod history;
pub mod packages;
pub mod promote;
pub mod publish;
pub mod security;
