//! Paged views of a feed's packages, for the web UI: one row per package
//! name, so that a feed of ten thousand packages is never loaded whole.

use sqlx::{Any, AnyPool, Row};

use super::conditions::Conditions;
use super::packages::{group_rows, SELECT_PACKAGE};
use super::rows::get_bool;
use crate::metadata::{FeedCounts, PackageRecord, PackageSummary, SummaryPage, SummaryQuery, VersionBrief};
use crate::StoreResult;

const NAME_COLUMNS: &[&str] = &["name", "group_name"];

pub async fn summaries(pool: &AnyPool, feed_id: i64, query: &SummaryQuery) -> StoreResult<SummaryPage> {
    let search = query.search.as_deref().filter(|s| !s.is_empty());
    let mut count = Conditions::new("SELECT COUNT(*) FROM (SELECT 1 FROM packages WHERE 1 = 1");
    count
        .compare("feed_id =", Some(feed_id))?
        .contains(NAME_COLUMNS, search)?
        .push(" GROUP BY group_key, name_key) matched");
    let (sql, args) = count.finish();
    let total: i64 = sqlx::query_scalar_with::<Any, i64, _>(&sql, args)
        .fetch_one(pool)
        .await?;

    // MAX() picks one spelling per name where versions were published with
    // different cases; PostgreSQL would refuse a bare column here.
    let mut page = Conditions::new(
        "SELECT MAX(group_name) AS group_name, group_key, MAX(name) AS name, name_key, \
         COUNT(*) AS versions, CAST(SUM(downloads) AS BIGINT) AS downloads, \
         MAX(published_at) AS last_published FROM packages WHERE 1 = 1",
    );
    page.compare("feed_id =", Some(feed_id))?
        .contains(NAME_COLUMNS, search)?
        .push(" GROUP BY group_key, name_key ORDER BY name_key, group_key")
        .limit(Some(query.limit))?
        .offset(query.offset)?;
    let (sql, args) = page.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(PackageSummary {
                group: row.try_get("group_name")?,
                name: row.try_get("name")?,
                group_key: row.try_get("group_key")?,
                name_key: row.try_get("name_key")?,
                versions: row.try_get("versions")?,
                downloads: row.try_get("downloads")?,
                last_published: row.try_get("last_published")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(SummaryPage { total, items })
}

pub async fn version_briefs(
    pool: &AnyPool,
    feed_id: i64,
    packages: &[(String, String)],
) -> StoreResult<Vec<VersionBrief>> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = packages.iter().map(|(_, name)| name.clone()).collect();
    let mut c = Conditions::new("SELECT id, group_key, name_key, version, listed FROM packages WHERE 1 = 1");
    c.compare("feed_id =", Some(feed_id))?
        .any_in(&["name_key"], &names)?
        .push(" ORDER BY id");
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    let mut briefs = Vec::with_capacity(rows.len());
    for row in &rows {
        let brief = VersionBrief {
            id: row.try_get("id")?,
            group_key: row.try_get("group_key")?,
            name_key: row.try_get("name_key")?,
            version: row.try_get("version")?,
            listed: get_bool(row, "listed")?,
        };
        // The IN list matched names only; keep the asked (group, name) pairs.
        if packages
            .iter()
            .any(|(g, n)| *g == brief.group_key && *n == brief.name_key)
        {
            briefs.push(brief);
        }
    }
    Ok(briefs)
}

pub async fn by_ids(pool: &AnyPool, ids: &[i64]) -> StoreResult<Vec<PackageRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = Conditions::new(&format!("{SELECT_PACKAGE} WHERE 1 = 1"));
    c.number_in("p.id", ids)?.push(" ORDER BY p.id, f.qualifier");
    let (sql, args) = c.finish();
    let rows = sqlx::query_with::<Any, _>(&sql, args).fetch_all(pool).await?;
    group_rows(&rows)
}

pub async fn feed_counts(pool: &AnyPool) -> StoreResult<Vec<FeedCounts>> {
    let rows = sqlx::query(
        "SELECT feed_id, COUNT(*) AS packages, CAST(SUM(versions) AS BIGINT) AS versions FROM \
         (SELECT feed_id, COUNT(*) AS versions FROM packages GROUP BY feed_id, group_key, name_key) names \
         GROUP BY feed_id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FeedCounts {
                feed_id: row.try_get("feed_id")?,
                packages: row.try_get("packages")?,
                versions: row.try_get("versions")?,
            })
        })
        .collect()
}
