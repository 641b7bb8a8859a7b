//! Promotion: copying a version's rows into another feed, and its records.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use super::conditions::Conditions;
use super::packages::{bump_revision, insert_event, load, load_optional, EventRow};
use crate::metadata::{NewPromotion, PackageRecord, PromoteOutcome, PromotionQuery, PromotionRecord};
use crate::time::now_millis;
use crate::{StoreError, StoreResult};

/// Two versions hold the same content when their files match one for one.
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

pub async fn promote(pool: &AnyPool, p: &NewPromotion) -> StoreResult<PromoteOutcome> {
    let mut tx = pool.begin().await?;
    let Some(source) = load_optional(&mut tx, p.source_package_id).await? else {
        return Ok(PromoteOutcome::SourceGone);
    };
    let find_target = "SELECT id FROM packages WHERE feed_id = $1 AND group_key = $2 AND name_key = $3 AND version_key = $4";
    let existing: Option<i64> = sqlx::query_scalar(find_target)
        .bind(p.to_feed_id)
        .bind(&source.key.group_key)
        .bind(&source.key.name_key)
        .bind(&source.key.version_key)
        .fetch_optional(&mut *tx)
        .await?;
    let inserted = match existing {
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
        sqlx::query(
            "INSERT INTO package_files (package_id, qualifier, sha256) \
             SELECT $1, qualifier, sha256 FROM package_files WHERE package_id = $2",
        )
        .bind(id)
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
        bump_revision(&mut tx, p.to_feed_id).await?;
        (load(&mut tx, id).await?, true)
    } else {
        // Already there, possibly put there by a concurrent promotion that
        // has just committed: identical content is a success, anything else
        // a conflict that changes nothing.
        let id: i64 = sqlx::query_scalar(find_target)
            .bind(p.to_feed_id)
            .bind(&source.key.group_key)
            .bind(&source.key.name_key)
            .bind(&source.key.version_key)
            .fetch_one(&mut *tx)
            .await?;
        let target = load(&mut tx, id).await?;
        if !same_files(&source, &target) {
            return Ok(PromoteOutcome::Conflict);
        }
        (target, false)
    };
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
    if !p.tag_moves.is_empty() && !copied {
        bump_revision(&mut tx, p.to_feed_id).await?;
    }
    let now = now_millis();
    // Renew the blobs' leases: a promotion is a use, like an upload.
    sqlx::query(
        "UPDATE blobs SET last_used_at = $1 WHERE sha256 IN (SELECT sha256 FROM package_files WHERE package_id = $2)",
    )
    .bind(now)
    .bind(package.id)
    .execute(&mut *tx)
    .await?;
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
    insert_event(
        &mut tx,
        &EventRow {
            feed_name: &p.to_feed,
            package_type: &p.package_type,
            group: &source.group,
            name: &source.name,
            version: &source.version,
            key: &source.key,
            kind: "promoted",
            user: &p.user,
            details: serde_json::json!({
                "fromFeed": p.from_feed,
                "toFeed": p.to_feed,
                "comments": p.comments,
                "promotionId": id,
                "copied": copied,
            }),
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
