//! Package version rows, their files, and their history events.

use gantry_core::Sha256Digest;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Row};

use super::conditions::Conditions;
use super::rows::{get_bool, get_json};
use crate::metadata::{
    AddFileOutcome, AddOutcome, EventKind, MetadataOnAdd, NewFileUpload, NewPackage, NewPackageFile,
    PackageEvent, PackageFileRecord, PackageKey, PackageQuery, PackageRecord, PackageStatusChange,
};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

pub(super) const SELECT_PACKAGE: &str = "SELECT p.id, p.feed_id, p.group_name, p.group_key, p.name, p.name_key, \
     p.version, p.version_key, p.published_at, p.published_by, p.listed, p.deprecated, p.deprecation_reason, p.downloads, p.metadata, \
     f.qualifier, f.file_name, f.added_at, f.added_by, b.sha256, b.size, b.md5, b.sha1, b.sha512 \
     FROM packages p \
     LEFT JOIN package_files f ON f.package_id = p.id \
     LEFT JOIN blobs b ON b.sha256 = f.sha256";

pub async fn add(pool: &AnyPool, package: &NewPackage, overwrite: bool) -> StoreResult<AddOutcome> {
    for (i, file) in package.files.iter().enumerate() {
        if package.files[..i].iter().any(|f| f.qualifier == file.qualifier) {
            return Err(StoreError::Invalid(format!(
                "the version's files name the qualifier '{}' twice",
                file.qualifier
            )));
        }
    }
    let mut tx = pool.begin().await?;
    let existing = find_id(&mut tx, package.feed_id, &package.key).await?;
    let now = now_millis();
    let (id, kind) = match existing {
        Some(_) if !overwrite => return Ok(AddOutcome::Exists),
        Some(id) => {
            sqlx::query(
                "UPDATE packages SET group_name = $1, name = $2, version = $3, published_at = $4, \
                 published_by = $5, listed = $6, metadata = $7 WHERE id = $8",
            )
            .bind(&package.group)
            .bind(&package.name)
            .bind(&package.version)
            .bind(now)
            .bind(&package.published_by)
            .bind(true)
            .bind(package.metadata.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM package_files WHERE package_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (id, EventKind::Overwritten)
        }
        // A concurrent writer on another node may win the race between the
        // look-up and this insert: the unique key then makes it a no-op.
        None => match insert_version(&mut tx, package, now).await? {
            Some(id) => (id, EventKind::Added),
            None => return Ok(AddOutcome::Exists),
        },
    };
    for file in &package.files {
        if !insert_file(&mut tx, id, file, now, &package.published_by).await? {
            return Err(StoreError::Conflict(format!(
                "the file '{}' of the version was stored meanwhile; try again",
                file.qualifier
            )));
        }
    }
    // In one order, so that two versions sharing blobs cannot deadlock.
    let mut digests: Vec<&Sha256Digest> = package.files.iter().map(|f| &f.sha256).collect();
    digests.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    digests.dedup();
    for digest in digests {
        renew_lease(&mut tx, digest, now).await?;
    }
    for tag in &package.dist_tags {
        super::dist_tags::upsert(&mut tx, package.feed_id, &package.key, &package.version, tag).await?;
    }
    bump_revision(&mut tx, package.feed_id).await?;
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &package.feed_name,
            package_type: &package.package_type,
            group: &package.group,
            name: &package.name,
            version: &package.version,
            key: &package.key,
            kind,
            user: &package.published_by,
            details: match &package.connector {
                Some(connector) => serde_json::json!({ "connector": connector }),
                None => serde_json::json!({}),
            },
        },
    )
    .await?;
    let record = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(if kind == EventKind::Added {
        AddOutcome::Added(record)
    } else {
        AddOutcome::Replaced(record)
    })
}

pub async fn add_file(pool: &AnyPool, upload: &NewFileUpload) -> StoreResult<AddFileOutcome> {
    let package = &upload.package;
    let [file] = package.files.as_slice() else {
        return Err(StoreError::Invalid(format!(
            "a file upload carries exactly one file, not {}",
            package.files.len()
        )));
    };
    let mut tx = pool.begin().await?;
    let now = now_millis();
    let id = if let Some(id) = find_id(&mut tx, package.feed_id, &package.key).await? {
        id
    } else {
        if let Some(id) = insert_version(&mut tx, package, now).await? {
            return create_with_file(tx, package, file, id, now).await;
        }
        // A concurrent upload (on any node) created the version between the
        // look-up and the insert, which the unique key made a no-op: its row
        // is committed now, so add the file to it.
        find_id(&mut tx, package.feed_id, &package.key)
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(format!(
                    "version {} was deleted while a file was being added to it; try again",
                    package.version
                ))
            })?
    };
    let mut stored = stored_file(&mut tx, id, &file.qualifier).await?;
    let mut inserted = false;
    if stored.is_none() {
        // Of two uploads of the same qualifier, the primary key lets one
        // insert; the other finds the winner's row and decides against it.
        inserted = insert_file(&mut tx, id, file, now, &package.published_by).await?;
        if !inserted {
            stored = stored_file(&mut tx, id, &file.qualifier).await?;
        }
    }
    let (kind, previous) = match stored {
        None if inserted => (EventKind::FileAdded, None),
        None => {
            return Err(StoreError::Conflict(format!(
                "version {} was deleted while a file was being added to it; try again",
                package.version
            )))
        }
        Some(sha256) if sha256 == file.sha256.as_str() || !upload.replace => {
            let record = load(&mut tx, id).await?;
            tx.commit().await?;
            return Ok(AddFileOutcome::FileExists(record));
        }
        Some(sha256) => {
            sqlx::query(
                "UPDATE package_files SET sha256 = $1, file_name = $2, added_at = $3, added_by = $4 \
                 WHERE package_id = $5 AND qualifier = $6",
            )
            .bind(file.sha256.as_str())
            .bind(&file.file_name)
            .bind(now)
            .bind(&package.published_by)
            .bind(id)
            .bind(&file.qualifier)
            .execute(&mut *tx)
            .await?;
            (EventKind::FileReplaced, Some(sha256))
        }
    };
    renew_lease(&mut tx, &file.sha256, now).await?;
    if upload.metadata == MetadataOnAdd::Replace {
        sqlx::query("UPDATE packages SET metadata = $1 WHERE id = $2")
            .bind(package.metadata.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    bump_revision(&mut tx, package.feed_id).await?;
    let record = load(&mut tx, id).await?;
    let size = record
        .files
        .iter()
        .find(|f| f.qualifier == file.qualifier)
        .map_or(0, |f| f.size);
    let mut details = serde_json::json!({
        "file": file.file_name,
        "qualifier": file.qualifier,
        "sha256": file.sha256.as_str(),
        "size": size,
    });
    if let (Some(previous), Some(map)) = (previous, details.as_object_mut()) {
        map.insert("previousSha256".into(), previous.into());
    }
    if let (Some(connector), Some(map)) = (&package.connector, details.as_object_mut()) {
        map.insert("connector".into(), connector.clone().into());
    }
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &package.feed_name,
            package_type: &package.package_type,
            group: &record.group,
            name: &record.name,
            version: &record.version,
            key: &record.key,
            kind,
            user: &package.published_by,
            details,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(if kind == EventKind::FileAdded {
        AddFileOutcome::FileAdded(record)
    } else {
        AddFileOutcome::FileReplaced(record)
    })
}

/// The rest of [`add_file`] once it has inserted the version row `id`: its
/// first file, dist-tags, revision and `added` event.
async fn create_with_file(
    mut tx: sqlx::Transaction<'_, Any>,
    package: &NewPackage,
    file: &NewPackageFile,
    id: i64,
    now: i64,
) -> StoreResult<AddFileOutcome> {
    if !insert_file(&mut tx, id, file, now, &package.published_by).await? {
        return Err(StoreError::Corrupt(format!(
            "package {id} had a file before it was created"
        )));
    }
    renew_lease(&mut tx, &file.sha256, now).await?;
    for tag in &package.dist_tags {
        super::dist_tags::upsert(&mut tx, package.feed_id, &package.key, &package.version, tag).await?;
    }
    bump_revision(&mut tx, package.feed_id).await?;
    let mut details = serde_json::json!({ "file": file.file_name });
    if let (Some(connector), Some(map)) = (&package.connector, details.as_object_mut()) {
        map.insert("connector".into(), connector.clone().into());
    }
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &package.feed_name,
            package_type: &package.package_type,
            group: &package.group,
            name: &package.name,
            version: &package.version,
            key: &package.key,
            kind: EventKind::Added,
            user: &package.published_by,
            details,
        },
    )
    .await?;
    let record = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(AddFileOutcome::Created(record))
}

/// The id of a feed's version, inside the caller's transaction.
pub(super) async fn find_id(
    conn: &mut AnyConnection,
    feed_id: i64,
    key: &PackageKey,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM packages WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND version_key = $4",
    )
    .bind(feed_id)
    .bind(&key.group_key)
    .bind(&key.name_key)
    .bind(&key.version_key)
    .fetch_optional(conn)
    .await?)
}

/// Inserts a version row without files; `None` when the feed holds the
/// version already (the unique key turns a lost race into a no-op).
pub(super) async fn insert_version(
    conn: &mut AnyConnection,
    package: &NewPackage,
    now: i64,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO packages (feed_id, group_name, group_key, name, name_key, version, version_key, \
         published_at, published_by, listed, downloads, metadata) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11) \
         ON CONFLICT (feed_id, group_key, name_key, version_key) DO NOTHING RETURNING id",
    )
    .bind(package.feed_id)
    .bind(&package.group)
    .bind(&package.key.group_key)
    .bind(&package.name)
    .bind(&package.key.name_key)
    .bind(&package.version)
    .bind(&package.key.version_key)
    .bind(now)
    .bind(&package.published_by)
    .bind(true)
    .bind(package.metadata.to_string())
    .fetch_optional(conn)
    .await?)
}

/// The digest stored under a qualifier of a version, if any.
async fn stored_file(
    conn: &mut AnyConnection,
    package_id: i64,
    qualifier: &str,
) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT sha256 FROM package_files WHERE package_id = $1 AND qualifier = $2")
            .bind(package_id)
            .bind(qualifier)
            .fetch_optional(conn)
            .await?,
    )
}

/// Inserts a file row added now by `user`; false when the version holds a
/// file of that qualifier already (the primary key decides between
/// concurrent uploads).
pub(super) async fn insert_file(
    conn: &mut AnyConnection,
    package_id: i64,
    file: &NewPackageFile,
    now: i64,
    user: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO package_files (package_id, qualifier, sha256, file_name, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (package_id, qualifier) DO NOTHING",
    )
    .bind(package_id)
    .bind(&file.qualifier)
    .bind(file.sha256.as_str())
    .bind(&file.file_name)
    .bind(now)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Renews the lease of a blob a file row now uses, refusing one the sweep
/// is collecting: its lease waited for any claim, but an upload slower than
/// the grace period could meet a later one. Renewing here, in the
/// transaction, orders this against the sweep's claim on the same row.
pub(super) async fn renew_lease(
    conn: &mut AnyConnection,
    digest: &Sha256Digest,
    now: i64,
) -> StoreResult<()> {
    let renewed = sqlx::query("UPDATE blobs SET last_used_at = $1 WHERE sha256 = $2 AND claimed_at IS NULL")
        .bind(now)
        .bind(digest.as_str())
        .execute(conn)
        .await?;
    if renewed.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "blob {digest} is being collected by the blob sweep; upload it again"
        )));
    }
    Ok(())
}

pub async fn find(pool: &AnyPool, feed_id: i64, query: &PackageQuery) -> StoreResult<Vec<PackageRecord>> {
    let mut c = Conditions::new(&format!("{SELECT_PACKAGE} WHERE 1 = 1"));
    c.compare("p.feed_id =", Some(feed_id))?
        .equals("p.group_key", query.group_key.as_ref())?
        .equals("p.name_key", query.name_key.as_ref())?
        .equals("p.version_key", query.version_key.as_ref())?
        .push(" ORDER BY p.id, f.qualifier");
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    group_rows(&rows)
}

pub async fn delete(pool: &AnyPool, package_id: i64, feed_name: &str, user: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT p.feed_id, p.group_name, p.group_key, p.name, p.name_key, p.version, p.version_key, fd.feed_type \
         FROM packages p JOIN feeds fd ON fd.id = p.feed_id WHERE p.id = $1",
    )
    .bind(package_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM package_files WHERE package_id = $1")
        .bind(package_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM packages WHERE id = $1")
        .bind(package_id)
        .execute(&mut *tx)
        .await?;
    let feed_id: i64 = row.try_get("feed_id")?;
    let key = PackageKey {
        group_key: row.try_get("group_key")?,
        name_key: row.try_get("name_key")?,
        version_key: row.try_get("version_key")?,
    };
    super::dist_tags::delete_for_version(&mut tx, feed_id, &key).await?;
    bump_revision(&mut tx, feed_id).await?;
    let package_type = package_type_of(&row.try_get::<String, _>("feed_type")?)?;
    let (group, name, version): (String, String, String) = (
        row.try_get("group_name")?,
        row.try_get("name")?,
        row.try_get("version")?,
    );
    insert_event(
        &mut tx,
        &EventRow {
            feed_name,
            package_type,
            group: &group,
            name: &name,
            version: &version,
            key: &key,
            kind: EventKind::Deleted,
            user,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn set_status(
    pool: &AnyPool,
    package_id: i64,
    change: &PackageStatusChange,
    feed_name: &str,
    user: &str,
) -> StoreResult<Option<PackageRecord>> {
    let mut tx = pool.begin().await?;
    let Some(before) = load_optional(&mut tx, package_id).await? else {
        return Ok(None);
    };
    let listed = change.listed.unwrap_or(before.listed);
    let deprecated = change.deprecated.unwrap_or(before.deprecated);
    // Undeprecating clears the reason; a reason alone keeps the flag.
    let reason = if deprecated {
        change
            .deprecation_reason
            .clone()
            .unwrap_or_else(|| before.deprecation_reason.clone())
    } else {
        String::new()
    };
    let mut details = serde_json::Map::new();
    if listed != before.listed {
        details.insert("listed".into(), listed.into());
    }
    if deprecated != before.deprecated {
        details.insert("deprecated".into(), deprecated.into());
    }
    if reason != before.deprecation_reason {
        details.insert("deprecationReason".into(), reason.clone().into());
    }
    if details.is_empty() {
        return Ok(Some(before));
    }
    sqlx::query("UPDATE packages SET listed = $1, deprecated = $2, deprecation_reason = $3 WHERE id = $4")
        .bind(listed)
        .bind(deprecated)
        .bind(&reason)
        .bind(package_id)
        .execute(&mut *tx)
        .await?;
    bump_revision(&mut tx, before.feed_id).await?;
    let feed_type: String = sqlx::query_scalar("SELECT feed_type FROM feeds WHERE id = $1")
        .bind(before.feed_id)
        .fetch_one(&mut *tx)
        .await?;
    let package_type = package_type_of(&feed_type)?;
    insert_event(
        &mut tx,
        &EventRow {
            feed_name,
            package_type,
            group: &before.group,
            name: &before.name,
            version: &before.version,
            key: &before.key,
            kind: EventKind::StatusChanged,
            user,
            details: serde_json::Value::Object(details),
        },
    )
    .await?;
    let after = load(&mut tx, package_id).await?;
    tx.commit().await?;
    Ok(Some(after))
}

pub async fn events(
    pool: &AnyPool,
    package_types: &[String],
    key: &PackageKey,
) -> StoreResult<Vec<PackageEvent>> {
    let mut c = Conditions::new(
        "SELECT id, feed_name, package_type, group_name, name, version, kind, at, user_name, details \
         FROM package_events WHERE 1 = 1",
    );
    c.equals("name_key", Some(&key.name_key))?
        .equals("group_key", Some(&key.group_key))?
        .equals("version_key", Some(&key.version_key))?;
    if !package_types.is_empty() {
        c.any_in(&["package_type"], package_types)?;
    }
    c.push(" ORDER BY id");
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(PackageEvent {
                id: row.try_get("id")?,
                feed_name: row.try_get("feed_name")?,
                package_type: row.try_get("package_type")?,
                group: row.try_get("group_name")?,
                name: row.try_get("name")?,
                version: row.try_get("version")?,
                kind: event_kind(&row.try_get::<String, _>("kind")?)?,
                at: row.try_get("at")?,
                user_name: row.try_get("user_name")?,
                details: get_json(row, "details")?,
            })
        })
        .collect()
}

/// A stored event kind; one this Gantry does not know is corrupt.
fn event_kind(stored: &str) -> StoreResult<EventKind> {
    stored
        .parse()
        .map_err(|e: crate::metadata::UnknownEventKind| StoreError::Corrupt(e.to_string()))
}

/// The package type history records for a feed type as stored.
pub fn package_type_of(feed_type: &str) -> StoreResult<&'static str> {
    feed_type
        .parse::<gantry_core::FeedType>()
        .map(gantry_core::FeedType::package_type)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Raises a feed's package revision inside the caller's transaction: every
/// change to a feed's packages calls it, so that documents rendered from an
/// older revision are known to be stale.
pub async fn bump_revision(conn: &mut AnyConnection, feed_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE feeds SET package_revision = package_revision + 1 WHERE id = $1")
        .bind(feed_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The fields of a history event.
pub struct EventRow<'a> {
    /// The feed it happens in.
    pub feed_name: &'a str,
    /// The package type.
    pub package_type: &'a str,
    /// Group as displayed.
    pub group: &'a str,
    /// Name as displayed.
    pub name: &'a str,
    /// Version as displayed.
    pub version: &'a str,
    /// Identity as compared.
    pub key: &'a PackageKey,
    /// What happens.
    pub kind: EventKind,
    /// Who does it.
    pub user: &'a str,
    /// Kind-specific details.
    pub details: serde_json::Value,
}

/// Writes a history event inside the caller's transaction.
pub async fn insert_event(conn: &mut AnyConnection, event: &EventRow<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO package_events (feed_name, package_type, group_key, name_key, version_key, group_name, \
         name, version, kind, at, user_name, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(event.feed_name)
    .bind(event.package_type)
    .bind(&event.key.group_key)
    .bind(&event.key.name_key)
    .bind(&event.key.version_key)
    .bind(event.group)
    .bind(event.name)
    .bind(event.version)
    .bind(event.kind.as_str())
    .bind(now_millis())
    .bind(event.user)
    .bind(event.details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A package version with its files, inside the caller's transaction.
pub async fn load(conn: &mut AnyConnection, id: i64) -> StoreResult<PackageRecord> {
    load_optional(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no package with id {id}")))
}

/// Like [`load`], `None` when the version does not exist.
pub async fn load_optional(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<PackageRecord>> {
    let rows = sqlx::query(&format!("{SELECT_PACKAGE} WHERE p.id = $1 ORDER BY f.qualifier"))
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(group_rows(&rows)?.pop())
}

/// Folds the joined rows (one per file) into one record per package version.
pub(super) fn group_rows(rows: &[AnyRow]) -> StoreResult<Vec<PackageRecord>> {
    let mut records: Vec<PackageRecord> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if records.last().is_none_or(|r| r.id != id) {
            records.push(PackageRecord {
                id,
                feed_id: row.try_get("feed_id")?,
                group: row.try_get("group_name")?,
                name: row.try_get("name")?,
                version: row.try_get("version")?,
                key: PackageKey {
                    group_key: row.try_get("group_key")?,
                    name_key: row.try_get("name_key")?,
                    version_key: row.try_get("version_key")?,
                },
                published_at: row.try_get("published_at")?,
                published_by: row.try_get("published_by")?,
                listed: get_bool(row, "listed")?,
                deprecated: get_bool(row, "deprecated")?,
                deprecation_reason: row.try_get("deprecation_reason")?,
                downloads: row.try_get("downloads")?,
                metadata: get_json(row, "metadata")?,
                files: Vec::new(),
                remote: None,
            });
        }
        let sha256: Option<String> = row.try_get("sha256")?;
        if let (Some(sha256), Some(record)) = (sha256, records.last_mut()) {
            let size: i64 = row.try_get("size")?;
            record.files.push(PackageFileRecord {
                qualifier: row.try_get("qualifier")?,
                file_name: row.try_get("file_name")?,
                added_at: row.try_get("added_at")?,
                added_by: row.try_get("added_by")?,
                sha256: sha256
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("blob digest {sha256}")))?,
                size: size as u64,
                md5: row.try_get("md5")?,
                sha1: row.try_get("sha1")?,
                sha512: row.try_get("sha512")?,
            });
        }
    }
    Ok(records)
}
