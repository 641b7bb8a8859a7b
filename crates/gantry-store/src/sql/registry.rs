//! Registry content: manifests, blobs and edges by digest per repository,
//! tags as package versions holding their whole image, upload sessions.
//! See [`crate::metadata::RegistryManifest`] for the model.

use gantry_core::Sha256Digest;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use super::packages::{
    bump_revision, find_id, insert_event, insert_file, insert_version, load, renew_lease, EventRow,
};
use super::rows::get_json;
use crate::metadata::{
    AddPartOutcome, DeleteManifestOutcome, EventKind, NewPackage, NewPackageFile, NewRegistryManifest,
    NewRegistryToken, PackageKey, PutManifestOutcome, RegistryBlob, RegistryManifest, RegistryRepository,
    RegistryUpload, TokenHolder, UploadPart,
};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

const SELECT_MANIFEST: &str =
    "SELECT digest, media_type, artifact_type, subject, annotations, sha256, size, \
     pushed_at, pushed_by FROM registry_manifests";

fn sha256_of(text: &str) -> StoreResult<Sha256Digest> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("blob digest {text}")))
}

fn manifest_from_row(row: &AnyRow) -> StoreResult<RegistryManifest> {
    Ok(RegistryManifest {
        digest: row.try_get("digest")?,
        media_type: row.try_get("media_type")?,
        artifact_type: row.try_get("artifact_type")?,
        subject: row.try_get("subject")?,
        annotations: get_json(row, "annotations")?,
        sha256: sha256_of(&row.try_get::<String, _>("sha256")?)?,
        size: row.try_get("size")?,
        pushed_at: row.try_get("pushed_at")?,
        pushed_by: row.try_get("pushed_by")?,
    })
}

/// The blob rows of a claimed (being collected) blob cannot be linked.
async fn refuse_claimed(conn: &mut AnyConnection, sha256: &Sha256Digest) -> StoreResult<()> {
    let claimed: Option<Option<i64>> = sqlx::query_scalar("SELECT claimed_at FROM blobs WHERE sha256 = $1")
        .bind(sha256.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match claimed {
        Some(None) => Ok(()),
        Some(Some(_)) => Err(StoreError::Conflict(format!(
            "blob {sha256} is being collected by the blob sweep; upload it again"
        ))),
        None => Err(StoreError::Invalid(format!("blob {sha256} is not stored"))),
    }
}

async fn insert_link(
    conn: &mut AnyConnection,
    at: &RegistryRepository,
    blob: &RegistryBlob,
) -> StoreResult<()> {
    let now = now_millis();
    refuse_claimed(&mut *conn, &blob.sha256).await?;
    renew_lease(&mut *conn, &blob.sha256, now).await?;
    sqlx::query(
        "INSERT INTO registry_blobs (feed_id, repository, digest, sha256, size, linked_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (feed_id, repository, digest) DO UPDATE SET linked_at = excluded.linked_at",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(&blob.digest)
    .bind(blob.sha256.as_str())
    .bind(blob.size)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn link_blob(pool: &AnyPool, at: &RegistryRepository, blob: &RegistryBlob) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    insert_link(&mut tx, at, blob).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn blob(
    pool: &AnyPool,
    feed_id: i64,
    repository: &str,
    digest: &str,
) -> StoreResult<Option<RegistryBlob>> {
    let row = sqlx::query(
        "SELECT sha256, size FROM registry_blobs WHERE feed_id = $1 AND repository = $2 AND digest = $3 \
         UNION ALL SELECT sha256, size FROM registry_manifests WHERE feed_id = $1 AND repository = $2 AND digest = $3",
    )
    .bind(feed_id)
    .bind(repository)
    .bind(digest)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(RegistryBlob {
            digest: digest.to_owned(),
            sha256: sha256_of(&row.try_get::<String, _>("sha256")?)?,
            size: row.try_get("size")?,
        })
    })
    .transpose()
}

pub async fn unlink_blob(pool: &AnyPool, feed_id: i64, repository: &str, digest: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("DELETE FROM registry_blobs WHERE feed_id = $1 AND repository = $2 AND digest = $3")
            .bind(feed_id)
            .bind(repository)
            .bind(digest)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `digest` is a blob or a manifest of the repository.
async fn present(
    conn: &mut AnyConnection,
    feed_id: i64,
    repository: &str,
    digest: &str,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM registry_blobs WHERE feed_id = $1 AND repository = $2 AND digest = $3 \
         UNION ALL SELECT 1 FROM registry_manifests WHERE feed_id = $1 AND repository = $2 AND digest = $3",
    )
    .bind(feed_id)
    .bind(repository)
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Everything `root` reaches in the repository (itself included), with the
/// blob holding each; digests the repository no longer holds are left out.
async fn reach(
    conn: &mut AnyConnection,
    feed_id: i64,
    repository: &str,
    root: &str,
) -> StoreResult<Vec<(String, Sha256Digest)>> {
    let rows = sqlx::query(
        "WITH RECURSIVE reach(d) AS ( \
           SELECT CAST($3 AS TEXT) \
           UNION \
           SELECT e.child FROM registry_edges e JOIN reach r ON e.parent = r.d \
           WHERE e.feed_id = $1 AND e.repository = $2 \
         ) \
         SELECT r.d AS digest, COALESCE(m.sha256, b.sha256) AS sha256 FROM reach r \
         LEFT JOIN registry_manifests m ON m.feed_id = $1 AND m.repository = $2 AND m.digest = r.d \
         LEFT JOIN registry_blobs b ON b.feed_id = $1 AND b.repository = $2 AND b.digest = r.d \
         ORDER BY r.d",
    )
    .bind(feed_id)
    .bind(repository)
    .bind(root)
    .fetch_all(&mut *conn)
    .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(sha256) = row.try_get::<Option<String>, _>("sha256")? {
            found.push((row.try_get("digest")?, sha256_of(&sha256)?));
        }
    }
    Ok(found)
}

/// Adds to a tag's version every file `root` reaches that it lacks; the
/// version's own manifest keeps qualifier `""`. Returns how many were added.
async fn add_reach(
    conn: &mut AnyConnection,
    package_id: i64,
    at: &RegistryRepository,
    root: &str,
    tagged: &str,
    user: &str,
    now: i64,
) -> StoreResult<usize> {
    let mut added = 0;
    for (digest, sha256) in reach(&mut *conn, at.feed_id, &at.repository, root).await? {
        renew_lease(&mut *conn, &sha256, now).await?;
        let file = NewPackageFile {
            qualifier: if digest == tagged {
                String::new()
            } else {
                digest.clone()
            },
            file_name: digest,
            sha256,
        };
        if insert_file(&mut *conn, package_id, &file, now, user).await? {
            added += 1;
        }
    }
    Ok(added)
}

/// The digest a tag's version points at (its file with qualifier `""`).
async fn tagged_digest(conn: &mut AnyConnection, package_id: i64) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT file_name FROM package_files WHERE package_id = $1 AND qualifier = ''")
            .bind(package_id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

fn tag_event<'a>(
    at: &'a RegistryRepository,
    key: &'a PackageKey,
    tag: &'a str,
    kind: EventKind,
    user: &'a str,
    details: serde_json::Value,
) -> EventRow<'a> {
    EventRow {
        feed_name: &at.feed_name,
        package_type: &at.package_type,
        group: "",
        name: &at.repository,
        version: tag,
        key,
        kind,
        user,
        details,
    }
}

pub async fn put_manifest(pool: &AnyPool, m: &NewRegistryManifest) -> StoreResult<PutManifestOutcome> {
    let at = &m.at;
    let mut tx = pool.begin().await?;
    for reference in &m.references {
        if !present(&mut tx, at.feed_id, &at.repository, reference).await? {
            return Ok(PutManifestOutcome::MissingReference(reference.clone()));
        }
    }
    let now = now_millis();
    refuse_claimed(&mut tx, &m.sha256).await?;
    renew_lease(&mut tx, &m.sha256, now).await?;
    sqlx::query(
        "INSERT INTO registry_manifests (feed_id, repository, digest, media_type, artifact_type, subject, \
         annotations, sha256, size, pushed_at, pushed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (feed_id, repository, digest) DO NOTHING",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(&m.digest)
    .bind(&m.media_type)
    .bind(&m.artifact_type)
    .bind(m.subject.as_deref().unwrap_or_default())
    .bind(m.annotations.to_string())
    .bind(m.sha256.as_str())
    .bind(m.size)
    .bind(now)
    .bind(&m.user)
    .execute(&mut *tx)
    .await?;
    let edges = m
        .references
        .iter()
        .map(|child| (m.digest.as_str(), child.as_str()))
        .chain(m.subject.as_deref().map(|subject| (subject, m.digest.as_str())));
    for (parent, child) in edges {
        sqlx::query(
            "INSERT INTO registry_edges (feed_id, repository, parent, child) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (feed_id, repository, parent, child) DO NOTHING",
        )
        .bind(at.feed_id)
        .bind(&at.repository)
        .bind(parent)
        .bind(child)
        .execute(&mut *tx)
        .await?;
    }
    let mut changed = false;
    // A referrer travels with every tag whose image holds its subject.
    if let Some(subject) = &m.subject {
        let tagged: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT p.id, p.version FROM packages p JOIN package_files f ON f.package_id = p.id \
             WHERE p.feed_id = $1 AND p.group_key = '' AND p.name_key = $2 AND f.file_name = $3 ORDER BY p.id",
        )
        .bind(at.feed_id)
        .bind(&at.repository)
        .bind(subject)
        .fetch_all(&mut *tx)
        .await?;
        for (id, version) in tagged {
            let root = tagged_digest(&mut tx, id).await?.unwrap_or_default();
            if add_reach(&mut tx, id, at, &m.digest, &root, &m.user, now).await? > 0 {
                let key = tag_key(&at.repository, &version);
                let mut details =
                    serde_json::json!({ "referrer": m.digest, "artifactType": m.artifact_type });
                if let Some(connector) = &m.connector {
                    details["connector"] = connector.clone().into();
                }
                insert_event(
                    &mut tx,
                    &tag_event(at, &key, &version, EventKind::FileAdded, &m.user, details),
                )
                .await?;
                changed = true;
            }
        }
    }
    let mut tag_record = None;
    if let Some(tag) = &m.tag {
        let key = tag_key(&at.repository, &tag.tag);
        let existing = find_id(&mut tx, at.feed_id, &key).await?;
        let (id, kind, previous) = if let Some(id) = existing {
            let previous = tagged_digest(&mut tx, id).await?.unwrap_or_default();
            if previous != m.digest && tag.immutable {
                return Ok(PutManifestOutcome::TagImmutable(previous));
            }
            if previous == m.digest {
                (id, None, previous)
            } else {
                sqlx::query(
                    "UPDATE packages SET version = $1, published_at = $2, published_by = $3, metadata = $4 \
                         WHERE id = $5",
                )
                .bind(&tag.tag)
                .bind(now)
                .bind(&m.user)
                .bind(tag.metadata.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM package_files WHERE package_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                (id, Some(EventKind::Overwritten), previous)
            }
        } else {
            let package = NewPackage {
                feed_id: at.feed_id,
                feed_name: at.feed_name.clone(),
                package_type: at.package_type.clone(),
                group: String::new(),
                name: at.repository.clone(),
                version: tag.tag.clone(),
                key: key.clone(),
                published_by: m.user.clone(),
                metadata: tag.metadata.clone(),
                files: Vec::new(),
                dist_tags: Vec::new(),
                connector: m.connector.clone(),
            };
            let id = insert_version(&mut tx, &package, now).await?.ok_or_else(|| {
                StoreError::Conflict(format!("tag {} was pushed meanwhile; try again", tag.tag))
            })?;
            (id, Some(EventKind::Added), String::new())
        };
        add_reach(&mut tx, id, at, &m.digest, &m.digest, &m.user, now).await?;
        if let Some(kind) = kind {
            let mut details = serde_json::json!({ "digest": m.digest });
            if !previous.is_empty() {
                details["previousDigest"] = previous.into();
            }
            if let Some(connector) = &m.connector {
                details["connector"] = connector.clone().into();
            }
            insert_event(&mut tx, &tag_event(at, &key, &tag.tag, kind, &m.user, details)).await?;
            changed = true;
        }
        tag_record = Some(Box::new(load(&mut tx, id).await?));
    }
    if changed {
        bump_revision(&mut tx, at.feed_id).await?;
    }
    tx.commit().await?;
    Ok(PutManifestOutcome::Stored { tag: tag_record })
}

/// A tag's identity: registry tags have no group, and compare as written.
fn tag_key(repository: &str, tag: &str) -> PackageKey {
    PackageKey {
        group_key: String::new(),
        name_key: repository.to_owned(),
        version_key: tag.to_owned(),
    }
}

pub async fn manifest(
    pool: &AnyPool,
    feed_id: i64,
    repository: &str,
    digest: &str,
) -> StoreResult<Option<RegistryManifest>> {
    sqlx::query(&format!(
        "{SELECT_MANIFEST} WHERE feed_id = $1 AND repository = $2 AND digest = $3"
    ))
    .bind(feed_id)
    .bind(repository)
    .bind(digest)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(manifest_from_row)
    .transpose()
}

pub async fn referrers(
    pool: &AnyPool,
    feed_id: i64,
    repository: &str,
    subject: &str,
) -> StoreResult<Vec<RegistryManifest>> {
    sqlx::query(&format!(
        "{SELECT_MANIFEST} WHERE feed_id = $1 AND repository = $2 AND subject = $3 ORDER BY pushed_at, digest"
    ))
    .bind(feed_id)
    .bind(repository)
    .bind(subject)
    .fetch_all(pool)
    .await?
    .iter()
    .map(manifest_from_row)
    .collect()
}

pub async fn delete_manifest(
    pool: &AnyPool,
    at: &RegistryRepository,
    digest: &str,
    user: &str,
) -> StoreResult<DeleteManifestOutcome> {
    let mut tx = pool.begin().await?;
    let Some(subject) = sqlx::query_scalar::<_, String>(
        "SELECT subject FROM registry_manifests WHERE feed_id = $1 AND repository = $2 AND digest = $3",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(digest)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(DeleteManifestOutcome::NotFound);
    };
    // An index that lists it would break; its subject's edge to it does not
    // count (a referrer may go on its own).
    let parent: Option<String> = sqlx::query_scalar(
        "SELECT e.parent FROM registry_edges e JOIN registry_manifests m \
         ON m.feed_id = e.feed_id AND m.repository = e.repository AND m.digest = e.parent \
         WHERE e.feed_id = $1 AND e.repository = $2 AND e.child = $3 AND e.parent <> $4 ORDER BY e.parent",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(digest)
    .bind(&subject)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(parent) = parent {
        return Ok(DeleteManifestOutcome::Referenced(parent));
    }
    let tags: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.version FROM packages p JOIN package_files f ON f.package_id = p.id AND f.qualifier = '' \
         WHERE p.feed_id = $1 AND p.group_key = '' AND p.name_key = $2 AND f.file_name = $3 ORDER BY p.version",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(digest)
    .fetch_all(&mut *tx)
    .await?;
    for (id, tag) in &tags {
        sqlx::query("DELETE FROM package_files WHERE package_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM packages WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let key = tag_key(&at.repository, tag);
        let details = serde_json::json!({ "digest": digest });
        insert_event(
            &mut tx,
            &tag_event(at, &key, tag, EventKind::Deleted, user, details),
        )
        .await?;
    }
    // The manifest leaves the images of the tags that held it as a
    // referrer (its own blobs stay there until the tags move).
    sqlx::query(
        "DELETE FROM package_files WHERE qualifier = $3 AND package_id IN \
         (SELECT id FROM packages WHERE feed_id = $1 AND group_key = '' AND name_key = $2)",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(digest)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM registry_edges WHERE feed_id = $1 AND repository = $2 AND (parent = $3 OR child = $3)",
    )
    .bind(at.feed_id)
    .bind(&at.repository)
    .bind(digest)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM registry_manifests WHERE feed_id = $1 AND repository = $2 AND digest = $3")
        .bind(at.feed_id)
        .bind(&at.repository)
        .bind(digest)
        .execute(&mut *tx)
        .await?;
    bump_revision(&mut tx, at.feed_id).await?;
    tx.commit().await?;
    Ok(DeleteManifestOutcome::Deleted(
        tags.into_iter().map(|(_, tag)| tag).collect(),
    ))
}

pub async fn tags(
    pool: &AnyPool,
    feed_id: i64,
    repository: &str,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT p.version, f.file_name FROM packages p \
         JOIN package_files f ON f.package_id = p.id AND f.qualifier = '' \
         WHERE p.feed_id = $1 AND p.group_key = '' AND p.name_key = $2 AND p.version_key > $3 \
         ORDER BY p.version_key LIMIT $4",
    )
    .bind(feed_id)
    .bind(repository)
    .bind(after.unwrap_or_default())
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn repositories(
    pool: &AnyPool,
    feed_id: i64,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT repository FROM registry_manifests WHERE feed_id = $1 AND repository > $2 \
         ORDER BY repository LIMIT $3",
    )
    .bind(feed_id)
    .bind(after.unwrap_or_default())
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn start_upload(pool: &AnyPool, upload: &RegistryUpload) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO registry_uploads (id, feed_id, repository, started_by, started_at, updated_at, size, parts) \
         VALUES ($1, $2, $3, $4, $5, $5, 0, 0)",
    )
    .bind(&upload.id)
    .bind(upload.feed_id)
    .bind(&upload.repository)
    .bind(&upload.started_by)
    .bind(upload.started_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn upload(pool: &AnyPool, id: &str) -> StoreResult<Option<RegistryUpload>> {
    let Some(row) = sqlx::query(
        "SELECT id, feed_id, repository, started_by, started_at, updated_at, size FROM registry_uploads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let parts =
        sqlx::query("SELECT seq, sha256, size FROM registry_upload_parts WHERE upload_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|part| {
                Ok(UploadPart {
                    seq: part.try_get("seq")?,
                    sha256: sha256_of(&part.try_get::<String, _>("sha256")?)?,
                    size: part.try_get("size")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(RegistryUpload {
        id: row.try_get("id")?,
        feed_id: row.try_get("feed_id")?,
        repository: row.try_get("repository")?,
        started_by: row.try_get("started_by")?,
        started_at: row.try_get("started_at")?,
        updated_at: row.try_get("updated_at")?,
        size: row.try_get("size")?,
        parts,
    }))
}

pub async fn add_upload_part(
    pool: &AnyPool,
    id: &str,
    offset: i64,
    sha256: &Sha256Digest,
    size: i64,
) -> StoreResult<AddPartOutcome> {
    let mut tx = pool.begin().await?;
    let now = now_millis();
    // Only a part that starts where the upload ends moves it on: of two
    // racing PATCHes at one offset, one wins and the other is told where
    // the upload stands.
    let moved: Option<i64> = sqlx::query_scalar(
        "UPDATE registry_uploads SET size = size + $3, parts = parts + 1, updated_at = $4 \
         WHERE id = $1 AND size = $2 RETURNING parts",
    )
    .bind(id)
    .bind(offset)
    .bind(size)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(parts) = moved else {
        let current: Option<i64> = sqlx::query_scalar("SELECT size FROM registry_uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        return Ok(current.map_or(AddPartOutcome::UnknownUpload, AddPartOutcome::WrongOffset));
    };
    refuse_claimed(&mut tx, sha256).await?;
    renew_lease(&mut tx, sha256, now).await?;
    sqlx::query("INSERT INTO registry_upload_parts (upload_id, seq, sha256, size) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(parts - 1)
        .bind(sha256.as_str())
        .bind(size)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(AddPartOutcome::Added(offset + size))
}

pub async fn finish_upload(pool: &AnyPool, id: &str, blob: &RegistryBlob) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query("SELECT feed_id, repository FROM registry_uploads WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let at = RegistryRepository {
        feed_id: row.try_get("feed_id")?,
        feed_name: String::new(),
        package_type: String::new(),
        repository: row.try_get("repository")?,
    };
    delete_upload(&mut tx, id).await?;
    insert_link(&mut tx, &at, blob).await?;
    tx.commit().await?;
    Ok(true)
}

async fn delete_upload(conn: &mut AnyConnection, id: &str) -> StoreResult<bool> {
    sqlx::query("DELETE FROM registry_upload_parts WHERE upload_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM registry_uploads WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn cancel_upload(pool: &AnyPool, id: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let deleted = delete_upload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(deleted)
}

pub async fn prune(pool: &AnyPool, cutoff: i64) -> StoreResult<(u64, u64)> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "DELETE FROM registry_upload_parts WHERE upload_id IN (SELECT id FROM registry_uploads WHERE updated_at < $1)",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    let uploads = sqlx::query("DELETE FROM registry_uploads WHERE updated_at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // A blob pushed but never used by a manifest of its repository (an
    // abandoned push, a manifest deleted since).
    let links = sqlx::query(
        "DELETE FROM registry_blobs WHERE linked_at < $1 AND NOT EXISTS (SELECT 1 FROM registry_edges e \
         WHERE e.feed_id = registry_blobs.feed_id AND e.repository = registry_blobs.repository \
         AND e.child = registry_blobs.digest)",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((uploads, links))
}

/// Inside a promotion's transaction: brings into the target repository the
/// registry rows (manifests, blobs, edges) of the digests the promoted
/// version's files name, so that the target serves the image by digest as
/// the source does. Rows only; the bytes are shared. A no-op for versions
/// that are not registry tags (no such rows exist).
pub async fn copy_for_promotion(
    conn: &mut AnyConnection,
    from_feed: i64,
    to_feed: i64,
    repository: &str,
    package_id: i64,
) -> StoreResult<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO registry_manifests (feed_id, repository, digest, media_type, artifact_type, subject, \
         annotations, sha256, size, pushed_at, pushed_by) \
         SELECT $2, repository, digest, media_type, artifact_type, subject, annotations, sha256, size, pushed_at, \
         pushed_by FROM registry_manifests WHERE feed_id = $1 AND repository = $3 \
         AND digest IN (SELECT file_name FROM package_files WHERE package_id = $4) \
         ON CONFLICT (feed_id, repository, digest) DO NOTHING",
    )
    .bind(from_feed)
    .bind(to_feed)
    .bind(repository)
    .bind(package_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO registry_blobs (feed_id, repository, digest, sha256, size, linked_at) \
         SELECT $2, repository, digest, sha256, size, $5 FROM registry_blobs WHERE feed_id = $1 AND repository = $3 \
         AND digest IN (SELECT file_name FROM package_files WHERE package_id = $4) \
         ON CONFLICT (feed_id, repository, digest) DO NOTHING",
    )
    .bind(from_feed)
    .bind(to_feed)
    .bind(repository)
    .bind(package_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO registry_edges (feed_id, repository, parent, child) \
         SELECT $2, repository, parent, child FROM registry_edges WHERE feed_id = $1 AND repository = $3 \
         AND parent IN (SELECT file_name FROM package_files WHERE package_id = $4) \
         AND child IN (SELECT file_name FROM package_files WHERE package_id = $4) \
         ON CONFLICT (feed_id, repository, parent, child) DO NOTHING",
    )
    .bind(from_feed)
    .bind(to_feed)
    .bind(repository)
    .bind(package_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn create_token(pool: &AnyPool, token: &NewRegistryToken) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let now = now_millis();
    // Expired tokens go as new ones are made, as web sessions do.
    sqlx::query("DELETE FROM registry_tokens WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let (key, user, changed) = match &token.holder {
        TokenHolder::Anonymous => (None, None, 0),
        TokenHolder::ApiKey(hash) => (Some(hash.as_str()), None, 0),
        TokenHolder::User {
            id,
            password_changed_at,
            ..
        } => (None, Some(*id), *password_changed_at),
    };
    sqlx::query(
        "INSERT INTO registry_tokens (token_hash, api_key_hash, user_id, password_changed_at, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&token.token_hash)
    .bind(key)
    .bind(user)
    .bind(changed)
    .bind(now)
    .bind(token.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn find_token(pool: &AnyPool, token_hash: &str, now: i64) -> StoreResult<Option<TokenHolder>> {
    let row = sqlx::query(
        "SELECT t.api_key_hash, t.user_id, t.password_changed_at AS seen, u.name, u.disabled, \
         u.password_changed_at AS current FROM registry_tokens t LEFT JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if let Some(hash) = row.try_get::<Option<String>, _>("api_key_hash")? {
        return Ok(Some(TokenHolder::ApiKey(hash)));
    }
    let Some(id) = row.try_get::<Option<i64>, _>("user_id")? else {
        return Ok(Some(TokenHolder::Anonymous));
    };
    let seen: i64 = row.try_get("seen")?;
    let current: Option<i64> = row.try_get("current")?;
    let disabled = super::rows::get_bool(&row, "disabled")?;
    if disabled || current != Some(seen) {
        return Ok(None);
    }
    Ok(Some(TokenHolder::User {
        id,
        name: row.try_get("name")?,
        password_changed_at: seen,
    }))
}
