//! Integration tests: the real server on 127.0.0.1:0, on every backend.
//!
//! One test binary with a module per area keeps link time down.

mod api_keys;
mod authorization_matrix;
mod cli_admin;
mod cli_packages;
mod cli_sources;
mod cli_support;
mod cluster;
mod connectors;
mod connectors_npm;
mod connectors_nuget;
mod crash;
mod deployments;
mod docker_clients;
mod docker_connectors;
mod docker_registry;
mod feeds;
mod hostile_archives;
mod maven_browse;
mod maven_client;
mod maven_connectors;
mod maven_deploy;
mod migration;
mod npm_client;
mod npm_registry;
mod nuget_client;
mod nuget_v2;
mod nuget_v3;
mod operations;
mod package_upload;
mod packages_api;
mod promotion_gates;
mod promotions;
mod protocol_snapshots;
mod schemathesis;
mod security;
mod security_holes;
mod ui;
mod ui_admin_security;
mod ui_browser;
mod upack;

use reqwest::{Response, StatusCode};

/// Asserts a status, showing the body when it differs; returns the body.
pub async fn expect_status(response: Response, expected: StatusCode, context: &str) -> String {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, expected, "{context}: {body}");
    body
}
