//! Promotion: copying a version's rows into another feed, and its records.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use super::conditions::Conditions;
use super::packages::{bump_revision, find_id, insert_event, load, load_optional, EventRow};
use crate::metadata::{
    EventKind, GateVerdict, NewPromotion, PackageRecord, PromoteOutcome, PromotionQuery, PromotionRecord,
    PromotionRefusal,
};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

/// Two versions hold the same content when their whole sets of files match
/// one for one: the same qualifiers, each with the same bytes. (File names
/// and upload times are not content.)
fn same_files(a: &PackageRecord, b: &PackageRecord) -> bool {
    let files = |r: &PackageRecord| {
        let mut f: Vec<(String, String)> = r
            .files
            .iter()
            .map(|f| (f.qualifier.clone(), f.sha256.to_string()))
            .collect();
        f.sort();
        f
    };
    files(a) == files(b)
}

/// The gates' verdicts as kept in history details.
fn gates_json(gates: &[GateVerdict]) -> serde_json::Value {
    gates
        .iter()
        .map(|g| serde_json::json!({"gate": g.gate, "passed": g.passed, "reason": g.reason}))
        .collect()
}

pub async fn promote(pool: &AnyPool, p: &NewPromotion) -> StoreResult<PromoteOutcome> {
    let mut tx = pool.begin().await?;
    let Some(source) = load_optional(&mut tx, p.source_package_id).await? else {
        return Ok(PromoteOutcome::SourceGone);
    };
    let inserted = match find_id(&mut tx, p.to_feed_id, &source.key).await? {
        Some(_) => None,
        // The copy keeps the original publication date, publisher and manifest.
        None => sqlx::query_scalar::<_, i64>(
            "INSERT INTO packages (feed_id, group_name, group_key, name, name_key, version, version_key, \
             published_at, published_by, listed, downloads, metadata, deprecated, deprecation_reason) \
             SELECT $1, group_name, group_key, name, name_key, version, version_key, published_at, published_by, \
             listed, 0, metadata, deprecated, deprecation_reason FROM packages WHERE id = $2 \
             ON CONFLICT (feed_id, group_key, name_key, version_key) DO NOTHING RETURNING id",
        )
        .bind(p.to_feed_id)
        .bind(source.id)
        .fetch_optional(&mut *tx)
        .await?,
    };
    let (package, copied) = if let Some(id) = inserted {
        // Every file of the version as it was read above (and compared, had
        // the target held it), each keeping its name and who added it when.
        for file in &source.files {
            sqlx::query(
                "INSERT INTO package_files (package_id, qualifier, sha256, file_name, added_at, added_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(&file.qualifier)
            .bind(file.sha256.as_str())
            .bind(&file.file_name)
            .bind(file.added_at)
            .bind(&file.added_by)
            .execute(&mut *tx)
            .await?;
        }
        super::registry::copy_for_promotion(&mut tx, source.feed_id, p.to_feed_id, &source.key.name_key, id)
            .await?;
        (load(&mut tx, id).await?, true)
    } else {
        // Already there, possibly put there by a concurrent promotion that
        // has just committed: identical content is a success, anything else
        // a conflict that changes nothing.
        let Some(id) = find_id(&mut tx, p.to_feed_id, &source.key).await? else {
            // Nothing was inserted and no target row is there: the source
            // row was deleted before the copy could read it (or, rarer, the
            // target's copy that stopped the insert was deleted since).
            if load_optional(&mut tx, source.id).await?.is_none() {
                return Ok(PromoteOutcome::SourceGone);
            }
            return Err(StoreError::Conflict(
                "the target's copy of the version was deleted meanwhile; try again".into(),
            ));
        };
        let target = load(&mut tx, id).await?;
        if !same_files(&source, &target) {
            return Ok(PromoteOutcome::Conflict);
        }
        (target, false)
    };
    let now = now_millis();
    // Renew the blobs' leases: a promotion is a use, like an upload. Blobs,
    // then tags, then the feed row: the order uploads lock them in, so that
    // the two cannot deadlock on PostgreSQL. The blobs one by one in digest
    // order: one UPDATE of all of a version's blobs locks them in the order
    // of its plan (for a scan, of where rows lie, which concurrent updates
    // move), so two promotions of a version of several files (an image's
    // manifest, config and layers) could each hold one the other waits for.
    let mut digests: Vec<&str> = package.files.iter().map(|f| f.sha256.as_str()).collect();
    digests.sort_unstable();
    digests.dedup();
    for digest in digests {
        sqlx::query("UPDATE blobs SET last_used_at = $1 WHERE sha256 = $2")
            .bind(now)
            .bind(digest)
            .execute(&mut *tx)
            .await?;
    }
    // A blob the sweep claimed (its source version deleted meanwhile) is
    // losing its bytes: the copy must not be recorded against it.
    let claimed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM blobs WHERE claimed_at IS NOT NULL \
         AND sha256 IN (SELECT sha256 FROM package_files WHERE package_id = $1)",
    )
    .bind(package.id)
    .fetch_one(&mut *tx)
    .await?;
    if claimed > 0 {
        return Err(StoreError::Conflict(
            "the version's files are being collected by the blob sweep".into(),
        ));
    }
    if !super::dist_tags::apply_moves(
        &mut tx,
        p.to_feed_id,
        &package.key,
        &package.version,
        &p.tag_moves,
    )
    .await?
    {
        return Ok(PromoteOutcome::TagsMoved);
    }
    if copied || !p.tag_moves.is_empty() {
        bump_revision(&mut tx, p.to_feed_id).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO promotions (package_type, group_name, group_key, name, name_key, version, version_key, \
         from_feed, from_feed_key, to_feed, to_feed_key, user_name, at, comments) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(&p.package_type)
    .bind(&source.group)
    .bind(&source.key.group_key)
    .bind(&source.name)
    .bind(&source.key.name_key)
    .bind(&source.version)
    .bind(&source.key.version_key)
    .bind(&p.from_feed)
    .bind(p.from_feed.to_ascii_lowercase())
    .bind(&p.to_feed)
    .bind(p.to_feed.to_ascii_lowercase())
    .bind(&p.user)
    .bind(now)
    .bind(&p.comments)
    .fetch_one(&mut *tx)
    .await?;
    let mut details = serde_json::json!({
        "fromFeed": p.from_feed,
        "toFeed": p.to_feed,
        "comments": p.comments,
        "promotionId": id,
        "copied": copied,
    });
    if let (false, Some(map)) = (p.gates.is_empty(), details.as_object_mut()) {
        map.insert("gates".into(), gates_json(&p.gates));
    }
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &p.to_feed,
            package_type: &p.package_type,
            group: &source.group,
            name: &source.name,
            version: &source.version,
            key: &source.key,
            kind: EventKind::Promoted,
            user: &p.user,
            details,
        },
    )
    .await?;
    tx.commit().await?;
    let promotion = PromotionRecord {
        id,
        package_type: p.package_type.clone(),
        group: source.group,
        name: source.name,
        version: source.version,
        key: source.key,
        from_feed: p.from_feed.clone(),
        to_feed: p.to_feed.clone(),
        user_name: p.user.clone(),
        at: now,
        comments: p.comments.clone(),
    };
    Ok(if copied {
        PromoteOutcome::Copied { promotion, package }
    } else {
        PromoteOutcome::AlreadyPresent { promotion, package }
    })
}

pub async fn record_refusal(pool: &AnyPool, r: &PromotionRefusal) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let source = load_optional(&mut tx, r.source_package_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no package with id {}", r.source_package_id)))?;
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &r.from_feed,
            package_type: &r.package_type,
            group: &source.group,
            name: &source.name,
            version: &source.version,
            key: &source.key,
            kind: EventKind::PromotionRefused,
            user: &r.user,
            details: serde_json::json!({
                "toFeed": r.to_feed,
                "gates": gates_json(&r.gates),
                "comments": r.comments,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(pool: &AnyPool, q: &PromotionQuery) -> StoreResult<Vec<PromotionRecord>> {
    let mut c = Conditions::new(
        "SELECT id, package_type, group_name, group_key, name, name_key, version, version_key, from_feed, \
         to_feed, user_name, at, comments FROM promotions WHERE 1 = 1",
    );
    c.equals("from_feed_key", q.from_feed_key.as_ref())?
        .equals("to_feed_key", q.to_feed_key.as_ref())?
        .equals("group_key", q.group_key.as_ref())?
        .equals("name_key", q.name_key.as_ref())?
        .equals("version_key", q.version_key.as_ref())?
        .compare("at >=", q.since)?
        .compare("at <", q.until)?
        .compare("id >", q.after_id)?;
    if !c.visible_feeds(&["from_feed_key", "to_feed_key"], &q.visible)? {
        return Ok(Vec::new());
    }
    c.push(" ORDER BY id").limit(q.limit)?;
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> StoreResult<PromotionRecord> {
    Ok(PromotionRecord {
        id: row.try_get("id")?,
        package_type: row.try_get("package_type")?,
        group: row.try_get("group_name")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        key: crate::metadata::PackageKey {
            group_key: row.try_get("group_key")?,
            name_key: row.try_get("name_key")?,
            version_key: row.try_get("version_key")?,
        },
        from_feed: row.try_get("from_feed")?,
        to_feed: row.try_get("to_feed")?,
        user_name: row.try_get("user_name")?,
        at: row.try_get("at")?,
        comments: row.try_get("comments")?,
    })
}
