//! Tasks: named sets of permission attributes, built-in or custom.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::{finish, Tx};
use crate::metadata::{NewTask, TaskRecord};
use crate::sql::rows::{get_bool, get_string_list, string_list};
use crate::sql::{is_foreign_key_violation, is_unique_violation};
use crate::{StoreError, StoreResult};

fn task_from_row(row: &AnyRow) -> StoreResult<TaskRecord> {
    Ok(TaskRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        attributes: get_string_list(row, "attributes")?,
        built_in: get_bool(row, "built_in")?,
    })
}

/// The id of the task whose case-folded name is `name_key`, or not found.
pub(super) async fn task_id(tx: &mut Tx<'_>, name_key: &str) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT id FROM tasks WHERE name_key = $1")
        .bind(name_key)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no task named '{name_key}'.")))
}

pub async fn list_tasks(pool: &AnyPool) -> StoreResult<Vec<TaskRecord>> {
    let rows = sqlx::query(
        "SELECT id, name, description, attributes, built_in FROM tasks ORDER BY built_in DESC, id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(task_from_row).collect()
}

pub async fn save_task(
    pool: &AnyPool,
    task: &NewTask,
    replace: bool,
    actor: &str,
) -> StoreResult<TaskRecord> {
    let mut tx = pool.begin().await?;
    let key = task.name.to_ascii_lowercase();
    let existing =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(task_from_row)
            .transpose()?;
    let action = match existing {
        Some(current) if current.built_in => {
            return Err(StoreError::Conflict(format!(
                "'{}' is a built-in task and cannot be changed; create a custom task instead.",
                current.name
            )))
        }
        Some(current) if !replace => {
            return Err(StoreError::Conflict(format!(
                "A task named '{}' already exists.",
                current.name
            )))
        }
        Some(current) => {
            sqlx::query("UPDATE tasks SET description = $1, attributes = $2 WHERE id = $3")
                .bind(&task.description)
                .bind(string_list(&task.attributes))
                .bind(current.id)
                .execute(&mut *tx)
                .await?;
            "task.changed"
        }
        None => {
            sqlx::query(
                "INSERT INTO tasks (name, name_key, description, attributes, built_in) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&task.name)
            .bind(&key)
            .bind(&task.description)
            .bind(string_list(&task.attributes))
            .bind(false)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("A task named '{}' already exists.", task.name))
                } else {
                    e.into()
                }
            })?;
            "task.created"
        }
    };
    let row =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
    let record = task_from_row(&row)?;
    finish(tx, actor, action, &record.name, &record.attributes.join(", ")).await?;
    Ok(record)
}

pub async fn delete_task(pool: &AnyPool, name_key: &str, actor: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(row) =
        sqlx::query("SELECT id, name, description, attributes, built_in FROM tasks WHERE name_key = $1")
            .bind(name_key)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(false);
    };
    let task = task_from_row(&row)?;
    if task.built_in {
        return Err(StoreError::Conflict(format!(
            "'{}' is a built-in task and cannot be deleted.",
            task.name
        )));
    }
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM permissions WHERE task_id = $1")
        .bind(task.id)
        .fetch_one(&mut *tx)
        .await?;
    if used > 0 {
        return Err(StoreError::Conflict(format!(
            "The task '{}' is used by {used} permission(s); remove them first.",
            task.name
        )));
    }
    sqlx::query("DELETE FROM tasks WHERE id = $1")
        .bind(task.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(format!("The task '{}' is in use.", task.name))
            } else {
                e.into()
            }
        })?;
    finish(tx, actor, "task.deleted", &task.name, "").await?;
    Ok(true)
}
