//! Gantry's HTTP server: the ProGet-compatible API, the package protocols,
//! authentication and the one authorization point, and configuration.
//!
//! Requests flow one way: the edge (`api/`, `feeds/`) parses them, the
//! `services/` carry out the use cases, and those call the formats and the
//! stores.

pub mod api;
pub mod auth;
pub mod config;
pub mod connections;
pub mod connectors;
pub mod error;
pub mod events;
pub mod migration;
pub mod package_types;
pub mod protocols;
pub mod server;
pub mod services;
pub mod state;
pub mod ui;

pub use config::{Config, LogFormat, Overrides};
pub use server::{shutdown_signal, Server};
