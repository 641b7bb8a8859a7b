//! `gantry migrate`: opens the configured deployment and a target one, and
//! copies the first into the second.

use anyhow::Context;
use gantry_store::migrate::MigrationReport;
use gantry_store::sql::{redact_url, PoolSettings};
use gantry_store::SqlStore;

use crate::config::Config;

/// Copies the deployment `config` describes to the database `to` and the
/// blob store `to_blobs` (S3 settings from `config`), then verifies it.
pub async fn run(
    config: &Config,
    to: &str,
    to_blobs: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<MigrationReport> {
    let from = config.effective_database_url();
    if from == to {
        anyhow::bail!("the source and the target are the same database");
    }
    let settings = PoolSettings::default();
    let source = SqlStore::connect(&from, &settings)
        .await
        .with_context(|| format!("cannot open the source database {}", redact_url(&from)))?;
    let scratch = config.data_dir.join("tmp");
    let source_blobs = gantry_store::blob::open(
        config.blob_store.as_deref(),
        &config.s3,
        &config.data_dir,
        &scratch,
    )
    .await
    .context("cannot open the source blob store")?;
    let target = SqlStore::connect(to, &settings)
        .await
        .with_context(|| format!("cannot open the target database {}", redact_url(to)))?;
    let target_blobs = gantry_store::blob::open(Some(to_blobs), &config.s3, &config.data_dir, &scratch)
        .await
        .with_context(|| format!("cannot open the target blob store {to_blobs}"))?;
    progress(&format!(
        "copying {} to {} and {to_blobs}",
        redact_url(&from),
        redact_url(to)
    ));
    let report = gantry_store::migrate::migrate(&source, &source_blobs, &target, &target_blobs, progress)
        .await
        .context("the migration stopped; run the same command again to resume")?;
    source.close().await;
    target.close().await;
    Ok(report)
}
