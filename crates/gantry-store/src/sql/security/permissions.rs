//! Permissions: a task granted to or denied a user, group or virtual
//! principal, on one feed or all.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::finish;
use super::groups::require_group_id;
use super::tasks::task_id;
use super::users::require_user_id;
use crate::metadata::{NewPermission, PermissionRecord, PermissionSubject};
use crate::sql::rows::{get_bool, get_string_list};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

const SELECT_PERMISSION: &str = "SELECT p.id, u.name AS user_name, g.name AS group_name, p.virtual_name, \
     t.name AS task_name, t.attributes, f.name AS feed_name, p.deny, p.created_at \
     FROM permissions p JOIN tasks t ON t.id = p.task_id \
     LEFT JOIN users u ON u.id = p.user_id LEFT JOIN user_groups g ON g.id = p.group_id \
     LEFT JOIN feeds f ON f.id = p.feed_id";

fn permission_from_row(row: &AnyRow) -> StoreResult<PermissionRecord> {
    let user: Option<String> = row.try_get("user_name")?;
    let group: Option<String> = row.try_get("group_name")?;
    let virtual_name: Option<String> = row.try_get("virtual_name")?;
    let subject = match (user, group, virtual_name) {
        (Some(u), _, _) => PermissionSubject::User(u),
        (_, Some(g), _) => PermissionSubject::Group(g),
        (_, _, Some(v)) => PermissionSubject::Virtual(v),
        _ => return Err(StoreError::Corrupt("a permission names no principal".into())),
    };
    Ok(PermissionRecord {
        id: row.try_get("id")?,
        subject,
        task: row.try_get("task_name")?,
        attributes: get_string_list(row, "attributes")?,
        feed: row.try_get("feed_name")?,
        deny: get_bool(row, "deny")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn list_permissions(pool: &AnyPool) -> StoreResult<Vec<PermissionRecord>> {
    let rows = sqlx::query(&format!("{SELECT_PERMISSION} ORDER BY p.id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(permission_from_row).collect()
}

pub async fn add_permission(
    pool: &AnyPool,
    permission: &NewPermission,
    actor: &str,
) -> StoreResult<PermissionRecord> {
    let mut tx = pool.begin().await?;
    let (user_id, group_id, virtual_name) = match &permission.subject {
        PermissionSubject::User(name) => (Some(require_user_id(&mut tx, name).await?), None, None),
        PermissionSubject::Group(name) => (None, Some(require_group_id(&mut tx, name).await?), None),
        PermissionSubject::Virtual(name) => (None, None, Some(name.clone())),
    };
    let task = task_id(&mut tx, &permission.task.to_ascii_lowercase()).await?;
    let feed_id: Option<i64> = match &permission.feed {
        Some(feed) => Some(
            sqlx::query_scalar("SELECT id FROM feeds WHERE name_key = $1")
                .bind(feed.to_ascii_lowercase())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("There is no feed named '{feed}'.")))?,
        ),
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO permissions (user_id, group_id, virtual_name, task_id, feed_id, deny, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user_id)
    .bind(group_id)
    .bind(virtual_name)
    .bind(task)
    .bind(feed_id)
    .bind(permission.deny)
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await?;
    let row = sqlx::query(&format!("{SELECT_PERMISSION} WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let record = permission_from_row(&row)?;
    let detail = describe(&record);
    finish(
        tx,
        actor,
        "permission.added",
        &format!("permission {id}"),
        &detail,
    )
    .await?;
    Ok(record)
}

/// "grant Promote Packages to group Senior Developers on approved-nuget".
fn describe(p: &PermissionRecord) -> String {
    let whom = match &p.subject {
        PermissionSubject::User(n) => format!("user {n}"),
        PermissionSubject::Group(n) => format!("group {n}"),
        PermissionSubject::Virtual(n) => n.clone(),
    };
    let scope = p
        .feed
        .as_deref()
        .map_or("all feeds".to_owned(), |f| format!("feed {f}"));
    let verb = if p.deny { "deny" } else { "grant" };
    format!("{verb} {} to {whom} on {scope}", p.task)
}

pub async fn delete_permission(pool: &AnyPool, id: i64, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query(&format!("{SELECT_PERMISSION} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let record = permission_from_row(&row)?;
    sqlx::query("DELETE FROM permissions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    finish(
        tx,
        actor,
        "permission.removed",
        &format!("permission {id}"),
        &describe(&record),
    )
    .await?;
    Ok(true)
}
