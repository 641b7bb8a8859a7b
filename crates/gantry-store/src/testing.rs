//! Throw-away databases for tests, on either backend.
//!
//! Every test gets its own database: an SQLite file in a temporary folder,
//! or a freshly created PostgreSQL database on the server named by
//! `GANTRY_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! `GANTRY_TEST_BACKENDS` (default `sqlite,postgres`) says which backends
//! the suites run on; a backend that is asked for but unreachable fails the
//! test rather than being skipped.

use std::path::Path;

use sqlx::{Connection, Executor};

use crate::metadata::FeedSettings;
use crate::sql::Backend;

/// The backends the test suites run on.
pub fn backends() -> Vec<Backend> {
    let wanted = std::env::var("GANTRY_TEST_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    wanted
        .split(',')
        .filter_map(|b| match b.trim() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" => Some(Backend::Postgres),
            _ => None,
        })
        .collect()
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("GANTRY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates an empty database for one test and returns its URL. SQLite files
/// go in `dir`; PostgreSQL databases are named `gantry_test_<random>` and
/// left for the throw-away server (or `scripts/drop-test-databases`).
pub async fn fresh_database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("gantry.db").display()),
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("gantry_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL for tests is not reachable at {admin}: {e}"));
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
            let _ = conn.close().await;
            match admin.rsplit_once('/') {
                Some((server, _)) => format!("{server}/{name}"),
                None => panic!("GANTRY_TEST_POSTGRES_URL must end with /DATABASE"),
            }
        }
    }
}

/// The settings of a plain universal feed named `name`, for store tests.
pub fn universal_feed(name: &str) -> FeedSettings {
    FeedSettings {
        name: name.into(),
        feed_type: gantry_core::FeedType::Universal,
        description: String::new(),
        active: true,
        usage: gantry_core::FeedUsage::Mixed,
        promote_to_feed_id: None,
        deployment_records_enabled: true,
        alternate_names: vec![],
        allow_direct_uploads: false,
        connectors: Vec::new(),
        cache_connectors: true,
        offline: false,
        immutable_tags: false,
    }
}
