//! A package's page: every version, newest first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gantry_formats::PackageId;
use gantry_store::PackageRecord;

use super::presentation::describe;
use super::{find_feed, PackageQuery};
use crate::connectors::view as feed_view;
use crate::services::feeds;
use crate::state::AppState;
use crate::ui::page::{render, Page, UiError};
use crate::ui::session::Viewer;
use crate::ui::view::{self, When};

/// A version in the package page's list.
pub struct VersionRow {
    pub version: String,
    pub link: String,
    pub published: Option<When>,
    pub size: String,
    pub downloads: i64,
    pub listed: bool,
    pub deprecated: bool,
    pub remote: Option<String>,
}

#[derive(Template)]
#[template(path = "package.html")]
struct PackagePage {
    page: Page,
    feed: String,
    feed_link: String,
    display_name: String,
    description: String,
    versions: Vec<VersionRow>,
}

/// Every version of a package in a feed (with its connectors' for a proxy feed), newest first.
pub async fn package(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((feed_name, name)): Path<(String, String)>,
    Query(query): Query<PackageQuery>,
) -> Result<Response, UiError> {
    let (feed, format) = find_feed(&state, &viewer, &feed_name).await?;
    let id = PackageId {
        group: query.group.clone(),
        name: name.clone(),
    };
    let mut records = feed_view::versions(&state, &feed, format, &id).await?;
    if records.is_empty() {
        return Err(UiError::not_found(format!(
            "Feed '{}' has no package {}.",
            feed.settings.name,
            view::display_name(&query.group, &name)
        )));
    }
    records.sort_by(|a, b| format.compare_versions(&b.version, &a.version));
    let package_type = feeds::package_type_of(&feed)?;
    let description = records
        .first()
        .map(|r| describe(package_type, &r.metadata))
        .unwrap_or_default();
    let first = &records[0];
    let display_name = view::display_name(&first.group, &first.name);
    let versions = records
        .iter()
        .map(|r| VersionRow {
            version: r.version.clone(),
            link: view::version_link(&feed.settings.name, &r.group, &r.name, &r.version, None),
            published: r.remote.is_none().then(|| When::at(r.published_at)),
            size: record_size(r),
            downloads: r.downloads,
            listed: r.listed,
            deprecated: r.deprecated,
            remote: r.remote.as_ref().map(|o| o.connector.clone()),
        })
        .collect();
    render(&PackagePage {
        page: Page::new(&state, &viewer, display_name.clone(), "feeds"),
        feed_link: view::feed_link(&feed.settings.name),
        feed: feed.settings.name.clone(),
        display_name,
        description,
        versions,
    })
}

fn record_size(record: &PackageRecord) -> String {
    let stored: u64 = record.files.iter().map(|f| f.size).sum();
    match (&record.remote, stored) {
        (Some(origin), 0) => origin.size.map(view::size).unwrap_or_default(),
        _ => view::size(stored),
    }
}
