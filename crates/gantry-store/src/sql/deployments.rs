//! Deployment records.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use super::conditions::Conditions;
use super::packages::{insert_event, EventRow};
use crate::metadata::{DeploymentQuery, DeploymentRecord, EventKind, NewDeployment};
use crate::StoreResult;

const COLUMNS: &str = "d.id, d.feed_name, d.package_type, d.group_name, d.name, d.version, d.application, \
     d.description, d.target, d.user_name, d.url, d.at";

pub async fn record(pool: &AnyPool, d: &NewDeployment) -> StoreResult<DeploymentRecord> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deployments (feed_name, feed_key, package_type, group_name, group_key, name, name_key, \
         version, version_key, application, description, target, target_key, user_name, url, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(&d.feed_name)
    .bind(d.feed_name.to_ascii_lowercase())
    .bind(&d.package_type)
    .bind(&d.group)
    .bind(&d.key.group_key)
    .bind(&d.name)
    .bind(&d.key.name_key)
    .bind(&d.version)
    .bind(&d.key.version_key)
    .bind(&d.application)
    .bind(&d.description)
    .bind(&d.target)
    .bind(d.target.to_ascii_lowercase())
    .bind(&d.user)
    .bind(&d.url)
    .bind(d.at)
    .fetch_one(&mut *tx)
    .await?;
    // A record dated earlier than the target's latest (a late report) does
    // not replace it.
    sqlx::query(
        "INSERT INTO deployment_targets (feed_key, group_key, name_key, target_key, deployment_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (feed_key, group_key, name_key, target_key) DO UPDATE \
         SET deployment_id = excluded.deployment_id, at = excluded.at \
         WHERE excluded.at > deployment_targets.at \
            OR (excluded.at = deployment_targets.at AND excluded.deployment_id > deployment_targets.deployment_id)",
    )
    .bind(d.feed_name.to_ascii_lowercase())
    .bind(&d.key.group_key)
    .bind(&d.key.name_key)
    .bind(d.target.to_ascii_lowercase())
    .bind(id)
    .bind(d.at)
    .execute(&mut *tx)
    .await?;
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &d.feed_name,
            package_type: &d.package_type,
            group: &d.group,
            name: &d.name,
            version: &d.version,
            key: &d.key,
            kind: EventKind::Deployed,
            user: &d.user,
            details: serde_json::json!({
                "deploymentId": id,
                "target": d.target,
                "application": d.application,
                "description": d.description,
                "url": d.url,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DeploymentRecord {
        id,
        feed_name: d.feed_name.clone(),
        package_type: d.package_type.clone(),
        group: d.group.clone(),
        name: d.name.clone(),
        version: d.version.clone(),
        application: d.application.clone(),
        description: d.description.clone(),
        target: d.target.clone(),
        user_name: d.user.clone(),
        url: d.url.clone(),
        at: d.at,
    })
}

pub async fn list(pool: &AnyPool, q: &DeploymentQuery) -> StoreResult<Vec<DeploymentRecord>> {
    let mut c = Conditions::new(&format!("SELECT {COLUMNS} FROM deployments d WHERE 1 = 1"));
    c.equals("d.feed_key", q.feed_key.as_ref())?
        .equals("d.group_key", q.group_key.as_ref())?
        .equals("d.name_key", q.name_key.as_ref())?
        .equals("d.version_key", q.version_key.as_ref())?
        .equals("d.target_key", q.target_key.as_ref())?
        .equals("d.application", q.application.as_ref())?
        .compare("d.at >=", q.since)?
        .compare("d.at <", q.until)?
        .compare("d.id <", q.before_id)?;
    if !c.visible_feeds(&["d.feed_key"], &q.visible)? {
        return Ok(Vec::new());
    }
    c.push(" ORDER BY d.id DESC").limit(q.limit)?;
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

pub async fn targets(
    pool: &AnyPool,
    feed_key: &str,
    group_key: &str,
    name_key: &str,
) -> StoreResult<Vec<DeploymentRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deployment_targets t JOIN deployments d ON d.id = t.deployment_id \
         WHERE t.feed_key = $1 AND t.name_key = $2 AND t.group_key = $3 ORDER BY d.target"
    ))
    .bind(feed_key)
    .bind(name_key)
    .bind(group_key)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> StoreResult<DeploymentRecord> {
    Ok(DeploymentRecord {
        id: row.try_get("id")?,
        feed_name: row.try_get("feed_name")?,
        package_type: row.try_get("package_type")?,
        group: row.try_get("group_name")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        application: row.try_get("application")?,
        description: row.try_get("description")?,
        target: row.try_get("target")?,
        user_name: row.try_get("user_name")?,
        url: row.try_get("url")?,
        at: row.try_get("at")?,
    })
}
