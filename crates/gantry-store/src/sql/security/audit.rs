//! The security audit trail: who changed what in security, when.

use sqlx::{AnyPool, Row};

use super::Tx;
use crate::metadata::SecurityEventRecord;
use crate::time::now_millis;
use crate::StoreResult;

/// Appends to the audit trail inside the caller's transaction.
pub(in crate::sql) async fn record_event(
    tx: &mut Tx<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO security_events (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now_millis())
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn list_events(
    pool: &AnyPool,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<SecurityEventRecord>> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, subject, detail FROM security_events WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SecurityEventRecord {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
