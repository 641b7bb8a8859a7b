//! Web UI session rows.

use sqlx::{AnyPool, Row};

use super::rows::get_bool;
use crate::metadata::{NewSession, SessionRecord};
use crate::time::now_millis;
use crate::StoreResult;

pub async fn create(pool: &AnyPool, session: &NewSession) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let now = now_millis();
    // Expired sessions go at the next sign-in rather than by a timer: a
    // table of sign-ins stays small without another background job.
    sqlx::query("DELETE FROM ui_sessions WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ui_sessions (token_hash, user_id, password_changed_at, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.token_hash)
    .bind(session.user_id)
    .bind(session.password_changed_at)
    .bind(&session.csrf_token)
    .bind(now)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn find(pool: &AnyPool, token_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
    let row = sqlx::query(
        "SELECT s.user_id, u.name, u.disabled, s.password_changed_at AS seen, u.password_changed_at AS current, \
         s.csrf_token, s.created_at, s.expires_at \
         FROM ui_sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let seen: i64 = row.try_get("seen")?;
    let current: i64 = row.try_get("current")?;
    if get_bool(&row, "disabled")? || seen != current {
        return Ok(None);
    }
    Ok(Some(SessionRecord {
        user_id: row.try_get("user_id")?,
        user_name: row.try_get("name")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub async fn extend(pool: &AnyPool, token_hash: &str, expires_at: i64) -> StoreResult<()> {
    sqlx::query("UPDATE ui_sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(expires_at)
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM ui_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}
