//! Copying a whole deployment to another one: every table with its ids, and
//! every blob, verified by digest. Used to move from the embedded default
//! (SQLite + local files) to PostgreSQL + S3, and back.
//!
//! The copy is idempotent: rows go in with their ids and `ON CONFLICT DO
//! NOTHING`, blobs already in the target are kept, so running it again after
//! an interruption resumes where it stopped. It ends by comparing every
//! table's row count and re-hashing every blob in the target.

use std::fmt::Write as _;

use gantry_core::Sha256Digest;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyPool, Arguments, Row};

use crate::sql::rows::get_bool;
use crate::sql::{Backend, SqlStore};
use crate::{BlobStore, StoreError, StoreResult};

/// How a column is read and written.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bool,
}

/// A table, its columns, and the column(s) it is paged by (unique, in order).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order: &'static [&'static str],
}

/// Every table, parents before children. `feeds.promote_to_feed_id` is
/// copied in a second pass, once every feed exists.
const TABLES: &[Table] = &[
    Table {
        name: "feeds",
        columns: &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("feed_type", Kind::Text),
            ("description", Kind::Text),
            ("active", Kind::Bool),
            ("usage", Kind::Text),
            ("deployment_records_enabled", Kind::Bool),
            ("alternate_names", Kind::Text),
            ("created_at", Kind::Int),
            ("allow_direct_uploads", Kind::Bool),
            ("package_revision", Kind::Int),
            ("cache_connectors", Kind::Bool),
            ("offline", Kind::Bool),
            ("immutable_tags", Kind::Bool),
        ],
        order: &["id"],
    },
    Table {
        name: "connectors",
        columns: &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("feed_type", Kind::Text),
            ("url", Kind::Text),
            ("timeout_secs", Kind::Int),
            ("metadata_cache_enabled", Kind::Bool),
            ("metadata_cache_minutes", Kind::Int),
            ("metadata_cache_count", Kind::Int),
            ("username", Kind::OptText),
            ("password", Kind::OptText),
            ("filters", Kind::Text),
            ("created_at", Kind::Int),
            ("health_status", Kind::Text),
            ("last_error", Kind::OptText),
            ("last_error_at", Kind::OptInt),
            ("last_success_at", Kind::OptInt),
        ],
        order: &["id"],
    },
    Table {
        name: "feed_connectors",
        columns: &[
            ("feed_id", Kind::Int),
            ("connector_id", Kind::Int),
            ("position", Kind::Int),
        ],
        order: &["feed_id", "connector_id"],
    },
    Table {
        name: "blobs",
        columns: &[
            ("sha256", Kind::Text),
            ("size", Kind::Int),
            ("md5", Kind::Text),
            ("sha1", Kind::Text),
            ("sha512", Kind::Text),
            ("created_at", Kind::Int),
            ("last_used_at", Kind::Int),
        ],
        order: &["sha256"],
    },
    Table {
        name: "packages",
        columns: &[
            ("id", Kind::Int),
            ("feed_id", Kind::Int),
            ("group_name", Kind::Text),
            ("group_key", Kind::Text),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("version", Kind::Text),
            ("version_key", Kind::Text),
            ("published_at", Kind::Int),
            ("published_by", Kind::Text),
            ("listed", Kind::Bool),
            ("downloads", Kind::Int),
            ("metadata", Kind::Text),
            ("deprecated", Kind::Bool),
            ("deprecation_reason", Kind::Text),
        ],
        order: &["id"],
    },
    Table {
        name: "package_files",
        columns: &[
            ("package_id", Kind::Int),
            ("qualifier", Kind::Text),
            ("sha256", Kind::Text),
            ("file_name", Kind::Text),
            ("added_at", Kind::Int),
            ("added_by", Kind::Text),
        ],
        order: &["package_id", "qualifier"],
    },
    Table {
        name: "registry_manifests",
        columns: &[
            ("feed_id", Kind::Int),
            ("repository", Kind::Text),
            ("digest", Kind::Text),
            ("media_type", Kind::Text),
            ("artifact_type", Kind::Text),
            ("subject", Kind::Text),
            ("annotations", Kind::Text),
            ("sha256", Kind::Text),
            ("size", Kind::Int),
            ("pushed_at", Kind::Int),
            ("pushed_by", Kind::Text),
        ],
        order: &["feed_id", "repository", "digest"],
    },
    Table {
        name: "registry_blobs",
        columns: &[
            ("feed_id", Kind::Int),
            ("repository", Kind::Text),
            ("digest", Kind::Text),
            ("sha256", Kind::Text),
            ("size", Kind::Int),
            ("linked_at", Kind::Int),
        ],
        order: &["feed_id", "repository", "digest"],
    },
    Table {
        name: "registry_edges",
        columns: &[
            ("feed_id", Kind::Int),
            ("repository", Kind::Text),
            ("parent", Kind::Text),
            ("child", Kind::Text),
        ],
        order: &["feed_id", "repository", "parent", "child"],
    },
    Table {
        name: "registry_uploads",
        columns: &[
            ("id", Kind::Text),
            ("feed_id", Kind::Int),
            ("repository", Kind::Text),
            ("started_by", Kind::Text),
            ("started_at", Kind::Int),
            ("updated_at", Kind::Int),
            ("size", Kind::Int),
            ("parts", Kind::Int),
        ],
        order: &["id"],
    },
    Table {
        name: "registry_upload_parts",
        columns: &[
            ("upload_id", Kind::Text),
            ("seq", Kind::Int),
            ("sha256", Kind::Text),
            ("size", Kind::Int),
        ],
        order: &["upload_id", "seq"],
    },
    Table {
        name: "dist_tags",
        columns: &[
            ("feed_id", Kind::Int),
            ("group_key", Kind::Text),
            ("name_key", Kind::Text),
            ("tag", Kind::Text),
            ("version", Kind::Text),
            ("version_key", Kind::Text),
            ("updated_at", Kind::Int),
        ],
        order: &["feed_id", "group_key", "name_key", "tag"],
    },
    Table {
        name: "package_events",
        columns: &[
            ("id", Kind::Int),
            ("feed_name", Kind::Text),
            ("package_type", Kind::Text),
            ("group_key", Kind::Text),
            ("name_key", Kind::Text),
            ("version_key", Kind::Text),
            ("group_name", Kind::Text),
            ("name", Kind::Text),
            ("version", Kind::Text),
            ("kind", Kind::Text),
            ("at", Kind::Int),
            ("user_name", Kind::Text),
            ("details", Kind::Text),
        ],
        order: &["id"],
    },
    Table {
        name: "promotions",
        columns: &[
            ("id", Kind::Int),
            ("package_type", Kind::Text),
            ("group_name", Kind::Text),
            ("group_key", Kind::Text),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("version", Kind::Text),
            ("version_key", Kind::Text),
            ("from_feed", Kind::Text),
            ("from_feed_key", Kind::Text),
            ("to_feed", Kind::Text),
            ("to_feed_key", Kind::Text),
            ("user_name", Kind::Text),
            ("at", Kind::Int),
            ("comments", Kind::Text),
        ],
        order: &["id"],
    },
    Table {
        name: "deployments",
        columns: &[
            ("id", Kind::Int),
            ("feed_name", Kind::Text),
            ("feed_key", Kind::Text),
            ("package_type", Kind::Text),
            ("group_name", Kind::Text),
            ("group_key", Kind::Text),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("version", Kind::Text),
            ("version_key", Kind::Text),
            ("application", Kind::Text),
            ("description", Kind::Text),
            ("target", Kind::Text),
            ("target_key", Kind::Text),
            ("user_name", Kind::Text),
            ("url", Kind::OptText),
            ("at", Kind::Int),
        ],
        order: &["id"],
    },
    Table {
        name: "deployment_targets",
        columns: &[
            ("feed_key", Kind::Text),
            ("group_key", Kind::Text),
            ("name_key", Kind::Text),
            ("target_key", Kind::Text),
            ("deployment_id", Kind::Int),
            ("at", Kind::Int),
        ],
        order: &["feed_key", "group_key", "name_key", "target_key"],
    },
    Table {
        name: "api_keys",
        columns: &[
            ("id", Kind::Int),
            ("key_hash", Kind::Text),
            ("key_type", Kind::Text),
            ("display_name", Kind::Text),
            ("description", Kind::Text),
            ("system_apis", Kind::Text),
            ("package_permissions", Kind::Text),
            ("feed_name", Kind::OptText),
            ("user_name", Kind::OptText),
            ("expires_at", Kind::OptInt),
            ("created_at", Kind::Int),
            ("feed_id", Kind::OptInt),
        ],
        order: &["id"],
    },
    Table {
        name: "users",
        columns: &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("display_name", Kind::Text),
            ("email", Kind::Text),
            ("password_hash", Kind::Text),
            ("disabled", Kind::Bool),
            ("created_at", Kind::Int),
            ("password_changed_at", Kind::Int),
        ],
        order: &["id"],
    },
    Table {
        name: "user_groups",
        columns: &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("created_at", Kind::Int),
        ],
        order: &["id"],
    },
    Table {
        name: "group_members",
        columns: &[("group_id", Kind::Int), ("user_id", Kind::Int)],
        order: &["group_id", "user_id"],
    },
    // The built-in tasks are in every database already (same ids): they
    // are skipped by ON CONFLICT, and custom tasks come along.
    Table {
        name: "tasks",
        columns: &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("name_key", Kind::Text),
            ("description", Kind::Text),
            ("attributes", Kind::Text),
            ("built_in", Kind::Bool),
        ],
        order: &["id"],
    },
    Table {
        name: "permissions",
        columns: &[
            ("id", Kind::Int),
            ("user_id", Kind::OptInt),
            ("group_id", Kind::OptInt),
            ("virtual_name", Kind::OptText),
            ("task_id", Kind::Int),
            ("feed_id", Kind::OptInt),
            ("deny", Kind::Bool),
            ("created_at", Kind::Int),
        ],
        order: &["id"],
    },
    Table {
        name: "security_events",
        columns: &[
            ("id", Kind::Int),
            ("at", Kind::Int),
            ("actor", Kind::Text),
            ("action", Kind::Text),
            ("subject", Kind::Text),
            ("detail", Kind::Text),
        ],
        order: &["id"],
    },
];

/// Tables whose `id` is generated, and so whose sequence must move past the
/// copied ids on PostgreSQL.
const IDENTITY_TABLES: &[&str] = &[
    "feeds",
    "connectors",
    "packages",
    "package_events",
    "promotions",
    "deployments",
    "api_keys",
    "users",
    "user_groups",
    "tasks",
    "permissions",
    "security_events",
];

/// Rows read and written at a time.
const PAGE: i64 = 1000;

/// What a migration did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Per table: rows in the source, rows in the target after the copy.
    pub tables: Vec<(String, i64, i64)>,
    /// Blobs copied now (the others were already in the target).
    pub blobs_copied: usize,
    /// Blobs whose bytes were re-hashed in the target and matched.
    pub blobs_verified: usize,
}

/// Copies everything from one deployment to another, then verifies it.
/// `progress` is told what happens, a line at a time.
pub async fn migrate(
    source: &SqlStore,
    source_blobs: &BlobStore,
    target: &SqlStore,
    target_blobs: &BlobStore,
    progress: &mut dyn FnMut(&str),
) -> StoreResult<MigrationReport> {
    let mut report = MigrationReport::default();
    // Blobs first: a row must never point at bytes the target lacks.
    let digests: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(source.read_pool())
        .await?;
    for (i, digest) in digests.iter().enumerate() {
        let digest: Sha256Digest = digest
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("blob digest {digest}")))?;
        if !target_blobs.exists(&digest).await? {
            target_blobs.import_from(source_blobs, &digest).await?;
            report.blobs_copied += 1;
        }
        if (i + 1) % 100 == 0 {
            progress(&format!("blobs: {} of {} checked", i + 1, digests.len()));
        }
    }
    progress(&format!(
        "blobs: {} copied, {} already there",
        report.blobs_copied,
        digests.len() - report.blobs_copied
    ));

    for table in TABLES {
        let copied = copy_table(source.read_pool(), target.write_pool(), table).await?;
        progress(&format!("{}: {copied} rows copied", table.name));
    }
    // The pipeline links, now that every feed exists on the target.
    let links: Vec<(i64, Option<i64>)> = sqlx::query("SELECT id, promote_to_feed_id FROM feeds ORDER BY id")
        .fetch_all(source.read_pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("promote_to_feed_id")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    for (id, target_id) in links {
        sqlx::query("UPDATE feeds SET promote_to_feed_id = $1 WHERE id = $2")
            .bind(target_id)
            .bind(id)
            .execute(target.write_pool())
            .await?;
    }
    // The one-row security state is not copied but carried over: whether the
    // first start's defaults were written (they are among the copied rows),
    // and a new version so that every node rebuilds its permission model.
    let seeded = get_bool(
        &sqlx::query("SELECT seeded FROM security_state WHERE id = 1")
            .fetch_one(source.read_pool())
            .await?,
        "seeded",
    )?;
    sqlx::query("UPDATE security_state SET seeded = $1, version = version + 1 WHERE id = 1")
        .bind(seeded)
        .execute(target.write_pool())
        .await?;
    if target.backend_kind() == Backend::Postgres {
        for table in IDENTITY_TABLES {
            // The next generated id follows the largest copied one.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(target.write_pool())
            .await?;
        }
    }

    for table in TABLES {
        let count_sql = format!("SELECT COUNT(*) FROM {}", table.name);
        let in_source: i64 = sqlx::query_scalar(&count_sql)
            .fetch_one(source.read_pool())
            .await?;
        let in_target: i64 = sqlx::query_scalar(&count_sql)
            .fetch_one(target.read_pool())
            .await?;
        if in_source != in_target {
            return Err(StoreError::Corrupt(format!(
                "{}: {in_source} rows in the source but {in_target} in the target (was the target in use?)",
                table.name
            )));
        }
        report.tables.push((table.name.to_owned(), in_source, in_target));
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(target.read_pool())
        .await?;
    for digest in stored {
        let digest: Sha256Digest = digest
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("blob digest {digest}")))?;
        let actual = target_blobs.rehash(&digest).await?;
        if actual != digest {
            return Err(StoreError::Corrupt(format!(
                "blob {digest} in the target hashes to {actual}"
            )));
        }
        report.blobs_verified += 1;
    }
    progress(&format!(
        "verified: row counts of {} tables, {} blobs re-hashed",
        TABLES.len(),
        report.blobs_verified
    ));
    Ok(report)
}

/// Copies one table page by page; returns the rows read from the source.
async fn copy_table(source: &AnyPool, target: &AnyPool, table: &Table) -> StoreResult<i64> {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let select_list = columns.join(", ");
    let order = table.order.join(", ");
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO {} ({select_list}) VALUES ({}) ON CONFLICT DO NOTHING",
        table.name,
        placeholders.join(", ")
    );
    let mut cursor: Option<Vec<Value>> = None;
    let mut total = 0;
    loop {
        // Keyset paging: rows after the last one seen, in key order.
        let mut sql = format!("SELECT {select_list} FROM {}", table.name);
        let mut args = AnyArguments::default();
        if let Some(last) = &cursor {
            let condition = keyset_condition(table.order, &mut args, last)?;
            let _ = write!(sql, " WHERE {condition}");
        }
        args.add(PAGE).map_err(sqlx::Error::Encode)?;
        let _ = write!(sql, " ORDER BY {order} LIMIT ${}", args.len());
        let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(source).await?;
        if rows.is_empty() {
            return Ok(total);
        }
        let mut tx = target.begin().await?;
        for row in &rows {
            let values = read_row(row, table)?;
            let mut args = AnyArguments::default();
            for value in values {
                value.bind(&mut args)?;
            }
            sqlx::query_with::<Any, _>(&insert, args)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        total += rows.len() as i64;
        let last = rows.last().map(|row| read_row(row, table)).transpose()?;
        cursor = last.map(|values| {
            table
                .order
                .iter()
                .map(|key| {
                    let index = columns.iter().position(|c| c == key).unwrap_or_default();
                    values[index].clone()
                })
                .collect()
        });
    }
}

/// `(a > $1) OR (a = $1 AND b > $2)` for a composite key.
fn keyset_condition(keys: &[&str], args: &mut AnyArguments<'static>, last: &[Value]) -> StoreResult<String> {
    let mut alternatives = Vec::new();
    for depth in 0..keys.len() {
        let mut parts = Vec::new();
        for (i, key) in keys.iter().enumerate().take(depth + 1) {
            last[i].bind(args)?;
            let op = if i == depth { ">" } else { "=" };
            parts.push(format!("{key} {op} ${}", args.len()));
        }
        alternatives.push(format!("({})", parts.join(" AND ")));
    }
    Ok(alternatives.join(" OR "))
}

/// A column value in transit.
#[derive(Clone, Debug)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl Value {
    fn bind(&self, args: &mut AnyArguments<'static>) -> StoreResult<()> {
        match self {
            Self::Int(v) => args.add(*v),
            Self::Text(v) => args.add(v.clone()),
            Self::Bool(v) => args.add(*v),
        }
        .map_err(sqlx::Error::Encode)?;
        Ok(())
    }
}

fn read_row(row: &AnyRow, table: &Table) -> StoreResult<Vec<Value>> {
    table
        .columns
        .iter()
        .map(|(column, kind)| {
            Ok(match kind {
                Kind::Int => Value::Int(Some(row.try_get(*column)?)),
                Kind::OptInt => Value::Int(row.try_get(*column)?),
                Kind::Text => Value::Text(Some(row.try_get(*column)?)),
                Kind::OptText => Value::Text(row.try_get(*column)?),
                Kind::Bool => Value::Bool(get_bool(row, column)?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::PoolSettings;

    /// Tables `migrate` deliberately leaves behind: cluster job leases are
    /// per-deployment state that a new deployment starts without; the
    /// security state row exists in every database and is carried over by
    /// an update rather than copied.
    // Sessions are sign-ins to the old deployment: users sign in again;
    // registry tokens live 15 minutes and clients ask for new ones.
    const NOT_COPIED: &[&str] = &["job_leases", "registry_tokens", "security_state", "ui_sessions"];

    /// Columns `migrate` deliberately leaves to the target's defaults: the
    /// pipeline link is copied in a second pass once every feed exists; a
    /// sweep's claim on a blob belongs to the deployment whose sweep took it.
    const COLUMNS_NOT_COPIED: &[(&str, &str)] = &[("feeds", "promote_to_feed_id"), ("blobs", "claimed_at")];

    #[tokio::test]
    async fn every_column_of_a_copied_table_is_copied() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .expect("store");
        for table in TABLES {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(table.name)
                .fetch_all(store.read_pool())
                .await
                .expect("columns");
            assert!(!columns.is_empty(), "table {} does not exist", table.name);
            for column in columns {
                assert!(
                    table.columns.iter().any(|(c, _)| *c == column)
                        || COLUMNS_NOT_COPIED.contains(&(table.name, column.as_str())),
                    "{}.{column} is not copied by `gantry migrate`: add it to TABLES",
                    table.name
                );
            }
        }
    }

    #[tokio::test]
    async fn every_table_is_either_copied_or_knowingly_left_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .expect("store");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
        )
        .fetch_all(store.read_pool())
        .await
        .expect("tables");
        for table in tables {
            assert!(
                TABLES.iter().any(|t| t.name == table) || NOT_COPIED.contains(&table.as_str()),
                "table {table} is not copied by `gantry migrate`: add it to TABLES (or to NOT_COPIED, with a reason)"
            );
        }
    }
}
