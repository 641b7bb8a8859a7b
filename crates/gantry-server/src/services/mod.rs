//! Use cases shared by every protocol: finding feeds and packages,
//! publishing, and serving downloads. Handlers parse requests and call these.

pub mod deploy;
pub mod documents;
pub mod download;
pub mod feeds;
pub mod history;
pub mod packages;
pub mod promote;
pub mod publish;
