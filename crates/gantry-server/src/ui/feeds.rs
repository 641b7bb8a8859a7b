//! The feeds list and a feed's page: its packages, searched and paged, and
//! how to point a client at it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gantry_core::Attribute;
use gantry_formats::{pick_latest, PackageFormat};
use gantry_store::{FeedRecord, PackageSummary, SummaryQuery};
use serde::Deserialize;

use super::page::{render, Page, UiError};
use super::session::Viewer;
use super::usage::{feed_snippets, upload_extensions, Snippet};
use super::view::{self, When};
use crate::protocols::base_url::BaseUrl;
use crate::services::feeds;
use crate::state::AppState;

/// Packages per page of a feed.
pub const PAGE_SIZE: i64 = 50;

/// One row of the feeds list.
pub struct FeedRow {
    pub name: String,
    pub link: String,
    pub type_label: &'static str,
    pub usage: &'static str,
    pub description: String,
    pub packages: i64,
    pub versions: i64,
    pub promote_to: Option<String>,
    pub connectors: Vec<ConnectorBadge>,
    pub active: bool,
}

impl FeedRow {
    fn new(
        feed: &FeedRecord,
        packages: i64,
        versions: i64,
        health: &HashMap<String, (String, String)>,
    ) -> Self {
        Self {
            name: feed.settings.name.clone(),
            link: view::feed_link(&feed.settings.name),
            type_label: feed.settings.feed_type.label(),
            usage: view::usage_label(feed.settings.usage),
            description: feed.settings.description.clone(),
            packages,
            versions,
            promote_to: feed.promote_to_feed.clone(),
            connectors: badges(&feed.settings.connectors, health),
            active: feed.settings.active,
        }
    }
}

/// A connector and its health, as a badge.
pub struct ConnectorBadge {
    pub name: String,
    pub status: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    page: Page,
    feeds: Vec<FeedRow>,
    may_create: bool,
}

/// The feeds the viewer may see.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    let all = state.meta().list_feeds().await.map_err(UiError::from_store)?;
    let visible: Vec<&FeedRecord> = all
        .iter()
        .filter(|f| state.may(&viewer.caller, Attribute::ViewPackages, Some(f)))
        .collect();
    if visible.is_empty() && !all.is_empty() && viewer.session.is_none() {
        // Anonymous may see nothing here: ask them to sign in.
        return Err(crate::error::ApiError::challenge().into());
    }
    let counts: HashMap<i64, (i64, i64)> = state
        .meta()
        .feed_counts()
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(|c| (c.feed_id, (c.packages, c.versions)))
        .collect();
    let health = connector_health(&state).await?;
    let feeds = visible
        .into_iter()
        .map(|f| {
            let (packages, versions) = counts.get(&f.id).copied().unwrap_or_default();
            FeedRow::new(f, packages, versions, &health)
        })
        .collect();
    let page = Page::new(&state, &viewer, "Feeds", "feeds");
    let may_create = viewer.may_act(&state, Attribute::ManageFeeds, None);
    render(&FeedsPage {
        page,
        feeds,
        may_create,
    })
}

async fn connector_health(state: &AppState) -> Result<HashMap<String, (String, String)>, UiError> {
    Ok(state
        .meta()
        .list_connectors()
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(|c| {
            (
                c.settings.name.to_ascii_lowercase(),
                (c.health.status, c.health.last_error.unwrap_or_default()),
            )
        })
        .collect())
}

fn badges(names: &[String], health: &HashMap<String, (String, String)>) -> Vec<ConnectorBadge> {
    names
        .iter()
        .map(|name| {
            let (status, last_error) = health
                .get(&name.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| ("unknown".into(), String::new()));
            ConnectorBadge {
                name: name.clone(),
                status,
                last_error,
            }
        })
        .collect()
}

/// The feed page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    /// Search text.
    #[serde(default)]
    pub q: String,
    /// 1-based page number.
    pub page: Option<String>,
    /// A change that just succeeded (fixed texts only).
    pub done: Option<String>,
}

/// One package on a feed page.
pub struct PackageRow {
    pub display_name: String,
    pub link: String,
    pub latest: String,
    pub latest_link: String,
    pub description: String,
    pub versions: i64,
    pub downloads: i64,
    pub published: When,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    page: Page,
    feed: FeedRow,
    query: String,
    packages: Vec<PackageRow>,
    total: i64,
    page_number: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    snippets: Vec<Snippet>,
    /// The upload form's accepted file endings (`.upack,.zip`).
    upload_accept: String,
    may_manage: bool,
    /// Whether to show the upload form (the viewer may add, the feed takes
    /// direct uploads, its packages are files).
    may_upload: bool,
    manage_link: String,
    promote_to_link: String,
    proxied: bool,
}

/// A feed's packages.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    base: BaseUrl,
    Path(name): Path<String>,
    Query(query): Query<FeedQuery>,
) -> Result<Response, UiError> {
    let (feed, format) =
        feeds::find_authorized(&state, &viewer.caller, &name, Attribute::ViewPackages).await?;
    let page_number = match query.page.as_deref() {
        None | Some("") => 1,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| UiError::bad_request(format!("'{raw}' is not a page number.")))?,
    };
    let search = query.q.trim().to_owned();
    let summaries = state
        .meta()
        .package_summaries(
            feed.id,
            &SummaryQuery {
                search: Some(search.clone()).filter(|s| !s.is_empty()),
                offset: (page_number - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(UiError::from_store)?;
    let packages = package_rows(&state, &feed, format, &summaries.items).await?;
    let pages = ((summaries.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link_to = |n: i64| {
        let link = format!("{}?page={n}", view::feed_link(&feed.settings.name));
        if search.is_empty() {
            link
        } else {
            view::with_param(&link, "q", &search)
        }
    };
    let health = connector_health(&state).await?;
    // The feed page counts packages (what matched) but not versions.
    let row = FeedRow::new(&feed, summaries.total, 0, &health);
    let notice = match query.done.as_deref() {
        Some("deleted") => Some("The package version was deleted.".to_owned()),
        Some("created") => Some("The feed was created.".to_owned()),
        Some("saved") => Some("The feed's settings were saved.".to_owned()),
        _ => None,
    };
    let previous = (page_number > 1).then(|| link_to(page_number - 1));
    let next = (page_number < pages).then(|| link_to(page_number + 1));
    let upload_extensions = upload_extensions(feed.settings.feed_type);
    render(&FeedPage {
        page: Page::new(&state, &viewer, feed.settings.name.clone(), "feeds").with_notice(notice),
        snippets: feed_snippets(base.as_str(), &feed.settings.name, feed.settings.feed_type),
        upload_accept: upload_extensions.join(","),
        may_manage: viewer.may_act(&state, Attribute::ManageFeeds, Some(&feed)),
        may_upload: viewer.session.is_some()
            && !upload_extensions.is_empty()
            && crate::protocols::upload::check_may_upload(&state, &viewer.caller, &feed).is_ok(),
        proxied: !feed.settings.connectors.is_empty(),
        manage_link: format!("/admin/feeds/{}", super::admin::segment(&feed.settings.name)),
        promote_to_link: feed
            .promote_to_feed
            .as_deref()
            .map(view::feed_link)
            .unwrap_or_default(),
        feed: row,
        query: search,
        packages,
        total: summaries.total,
        page_number,
        pages,
        previous,
        next,
    })
}

/// The rows of one page: each package's latest version (by the format's
/// ordering, listed versions first) and its description.
async fn package_rows(
    state: &AppState,
    feed: &FeedRecord,
    format: &'static dyn PackageFormat,
    summaries: &[PackageSummary],
) -> Result<Vec<PackageRow>, UiError> {
    let package_type = feeds::package_type_of(feed)?;
    let names: Vec<(String, String)> = summaries
        .iter()
        .map(|s| (s.group_key.clone(), s.name_key.clone()))
        .collect();
    let briefs = state
        .meta()
        .version_briefs(feed.id, &names)
        .await
        .map_err(UiError::from_store)?;
    let mut by_package: HashMap<(&str, &str), Vec<&gantry_store::VersionBrief>> = HashMap::new();
    for brief in &briefs {
        by_package
            .entry((brief.group_key.as_str(), brief.name_key.as_str()))
            .or_default()
            .push(brief);
    }
    let latest: Vec<Option<&gantry_store::VersionBrief>> = summaries
        .iter()
        .map(|s| {
            let versions = by_package.get(&(s.group_key.as_str(), s.name_key.as_str()))?;
            let listed: Vec<&str> = versions
                .iter()
                .filter(|v| v.listed)
                .map(|v| v.version.as_str())
                .collect();
            let pool: Vec<&str> = if listed.is_empty() {
                versions.iter().map(|v| v.version.as_str()).collect()
            } else {
                listed
            };
            let chosen = pick_latest(format, pool.iter().copied(), false)?;
            versions.iter().copied().find(|v| v.version == chosen)
        })
        .collect();
    let ids: Vec<i64> = latest.iter().flatten().map(|b| b.id).collect();
    let records: HashMap<i64, gantry_store::PackageRecord> = state
        .meta()
        .packages_by_ids(&ids)
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(summaries
        .iter()
        .zip(latest)
        .map(|(s, brief)| {
            let latest = brief.map(|b| b.version.clone()).unwrap_or_default();
            let description = brief
                .and_then(|b| records.get(&b.id))
                .map(|r| super::packages::describe(package_type, &r.metadata))
                .unwrap_or_default();
            PackageRow {
                display_name: view::display_name(&s.group, &s.name),
                link: view::package_link(&feed.settings.name, &s.group, &s.name),
                latest_link: view::version_link(&feed.settings.name, &s.group, &s.name, &latest, None),
                latest,
                description,
                versions: s.versions,
                downloads: s.downloads,
                published: When::at(s.last_published),
            }
        })
        .collect())
}
