//! Users, groups, tasks, permissions and the security audit trail.
//!
//! Every change runs in one transaction with its audit entry and a raise of
//! `security_state.version`, which nodes watch to rebuild their models.
//!
//! One file per kind of record: [`users`], [`groups`], [`tasks`],
//! [`permissions`], and the [`audit`] trail they all write to; the shared
//! transaction helpers, the version and the first start's seeding are here.

mod audit;
mod groups;
mod permissions;
mod tasks;
mod users;

pub use audit::list_events;
pub(in crate::sql) use audit::record_event;
pub use groups::{change_group_member, create_group, delete_group, list_groups, set_group_members};
pub use permissions::{add_permission, delete_permission, list_permissions};
pub use tasks::{delete_task, list_tasks, save_task};
pub use users::{count_users, create_user, delete_user, find_user, list_users, update_user};

use gantry_core::security::{ADMINISTER_TASK, VIEW_TASK};
use sqlx::{Any, AnyPool, Transaction};

use crate::metadata::{SecurityDefaults, SecuritySnapshot};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

type Tx<'a> = Transaction<'a, Any>;

/// Raises the version every node compares its model against.
pub(super) async fn bump_version(tx: &mut Tx<'_>) -> StoreResult<()> {
    sqlx::query("UPDATE security_state SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The change is complete: audit it, raise the version, commit.
async fn finish(mut tx: Tx<'_>, actor: &str, action: &str, subject: &str, detail: &str) -> StoreResult<()> {
    record_event(&mut tx, actor, action, subject, detail).await?;
    bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn version(pool: &AnyPool) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT version FROM security_state WHERE id = 1")
            .fetch_one(pool)
            .await?,
    )
}

pub async fn snapshot(pool: &AnyPool) -> StoreResult<SecuritySnapshot> {
    // Read the version before and after: equal means no change slipped in
    // between (a change always raises it), so the parts agree. Portable where
    // snapshot isolation is not.
    for _ in 0..5 {
        let before = version(pool).await?;
        let users = list_users(pool).await?;
        let permissions = list_permissions(pool).await?;
        if version(pool).await? == before {
            return Ok(SecuritySnapshot {
                version: before,
                users,
                permissions,
            });
        }
    }
    Err(StoreError::Conflict(
        "security settings are changing too fast to be read; try again".into(),
    ))
}

pub async fn seed(pool: &AnyPool, defaults: &SecurityDefaults) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    // Claim the seeding first: of two nodes starting at once, one writes.
    let claimed = sqlx::query("UPDATE security_state SET seeded = $1 WHERE id = 1 AND seeded = $2")
        .bind(true)
        .bind(false)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(false);
    }
    let now = now_millis();
    let admins: i64 = match groups::find_group_id(&mut tx, "administrators").await? {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO user_groups (name, name_key, created_at) VALUES ('Administrators', 'administrators', $1) RETURNING id",
            )
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let administer = tasks::task_id(&mut tx, &ADMINISTER_TASK.to_ascii_lowercase()).await?;
    sqlx::query("INSERT INTO permissions (group_id, task_id, feed_id, deny, created_at) VALUES ($1, $2, NULL, $3, $4)")
        .bind(admins)
        .bind(administer)
        .bind(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if defaults.everyone_may_view {
        let view = tasks::task_id(&mut tx, &VIEW_TASK.to_ascii_lowercase()).await?;
        sqlx::query(
            "INSERT INTO permissions (virtual_name, task_id, feed_id, deny, created_at) VALUES ('Everyone', $1, NULL, $2, $3)",
        )
        .bind(view)
        .bind(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(admin) = &defaults.admin {
        let mut admin = admin.clone();
        admin.groups = vec!["Administrators".into()];
        users::insert_user(&mut tx, &admin).await?;
    }
    let detail = format!(
        "Administrators may administer{}{}",
        if defaults.everyone_may_view {
            "; Everyone may view & download"
        } else {
            ""
        },
        defaults
            .admin
            .as_ref()
            .map(|a| format!("; created {}", a.name))
            .unwrap_or_default()
    );
    finish(tx, "SYSTEM", "security.seeded", "defaults", &detail).await?;
    Ok(true)
}
