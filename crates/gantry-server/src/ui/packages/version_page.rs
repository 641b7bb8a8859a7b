//! A version's page, with its tabs (Overview, History, Deployments) and
//! the actions the viewer may take.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gantry_core::{Attribute, VersionSpec};
use gantry_formats::PackageId;
use gantry_store::{DeploymentQuery, EventKind, FeedRecord, PackageRecord};

use super::history::{self as history_tab, history_row, HistoryRow, FILTER_ORDER};
use super::presentation::{dependencies, describe, metadata_rows};
use super::{find_feed, PackageQuery};
use crate::connectors::view as feed_view;
use crate::package_types::{DependencyRow, DetailTable};
use crate::protocols::base_url::BaseUrl;
use crate::services::{feeds, history};
use crate::state::AppState;
use crate::ui::page::{render, Page, UiError};
use crate::ui::session::Viewer;
use crate::ui::usage::{install_command, other_install_commands, Snippet};
use crate::ui::view::{self, When};

/// A file of a version.
pub struct FileRow {
    pub name: String,
    pub size: String,
    pub sha256: String,
    pub download: String,
}

/// A deployment on the Deployments tab.
pub struct DeploymentRow {
    pub target: String,
    pub version: String,
    pub version_link: String,
    pub application: String,
    pub when: When,
    pub user: String,
    pub is_this: bool,
}

/// An entry of the History tab's action filter.
pub struct FilterOption {
    pub kind: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A feed the version may be promoted to.
pub struct TargetFeed {
    pub name: String,
    pub pipeline: bool,
}

#[derive(Template)]
#[template(path = "version.html")]
struct VersionPage {
    page: Page,
    feed: String,
    feed_link: String,
    package_link: String,
    display_name: String,
    group: String,
    version: String,
    this_link: String,
    tab: &'static str,
    description: String,
    metadata: Vec<(String, String)>,
    files: Vec<FileRow>,
    dependencies: Vec<DependencyRow>,
    install: String,
    /// Other ways to fetch it (`skopeo copy`).
    other_installs: Vec<Snippet>,
    /// The type's own tables (an image's layers and platforms).
    tables: Vec<DetailTable>,
    published: When,
    published_by: String,
    downloads: i64,
    listed: bool,
    deprecated: bool,
    deprecation_reason: String,
    remote: Option<String>,
    history: Vec<HistoryRow>,
    history_actions: Vec<FilterOption>,
    action_filter: String,
    deployments: Vec<DeploymentRow>,
    current_targets: Vec<DeploymentRow>,
    targets: Vec<TargetFeed>,
    pipeline_target: Option<String>,
    may_unlist: bool,
    may_delete: bool,
    action_base: String,
    /// This page's address with `dialog=` to append an action's name.
    dialog_link: String,
    /// The dialog rendered open (`promote`, `listing`, `deprecate`, `delete`), or "".
    open_dialog: &'static str,
}

/// The feeds this viewer may promote a version of `feed` to: only the
/// pipeline target when the feed has one.
pub async fn promotion_targets(
    state: &AppState,
    viewer: &Viewer,
    feed: &FeedRecord,
) -> Result<Vec<TargetFeed>, UiError> {
    if viewer.session.is_none() {
        return Ok(Vec::new());
    }
    let family = feed.settings.feed_type.promotion_family();
    let feeds = state.meta().list_feeds().await.map_err(UiError::from_store)?;
    Ok(feeds
        .iter()
        .filter(|f| f.id != feed.id && f.settings.feed_type.promotion_family() == family)
        .filter(|f| match &feed.promote_to_feed {
            Some(target) => f.settings.name.eq_ignore_ascii_case(target),
            None => true,
        })
        .filter(|f| state.may(&viewer.caller, Attribute::PromotePackage, Some(f)))
        .map(|f| TargetFeed {
            name: f.settings.name.clone(),
            pipeline: feed.promote_to_feed.is_some(),
        })
        .collect())
}

/// A version's page.
pub async fn version(
    State(state): State<AppState>,
    viewer: Viewer,
    base: BaseUrl,
    Path((feed_name, name, version)): Path<(String, String, String)>,
    Query(query): Query<PackageQuery>,
) -> Result<Response, UiError> {
    let (feed, format) = find_feed(&state, &viewer, &feed_name).await?;
    let package_type = feeds::package_type_of(&feed)?;
    let id = PackageId {
        group: query.group.clone(),
        name: name.clone(),
    };
    let record =
        feed_view::find_version(&state, &feed, format, &id, &VersionSpec::Exact(version.clone())).await?;
    let tab = match query.tab.as_deref() {
        None | Some("" | "overview") => "overview",
        Some("history") => "history",
        Some("deployments") => "deployments",
        Some(other) => return Err(UiError::bad_request(format!("There is no tab '{other}'."))),
    };
    let action_filter = query.action.clone().unwrap_or_default();
    let filter_kind = match action_filter.as_str() {
        "" => None,
        kind => Some(kind.parse::<EventKind>().map_err(|_| {
            UiError::bad_request(format!("There is no action '{action_filter}' to filter by."))
        })?),
    };
    let feed_link = view::feed_link(&feed.settings.name);
    let (group, name, version) = (record.group.clone(), record.name.clone(), record.version.clone());
    let history = if tab == "history" {
        let mut events = history::of_version(&state, &viewer.caller, &feed, &record.key).await?;
        events.reverse();
        events
            .into_iter()
            .filter(|e| filter_kind.is_none_or(|k| e.kind == k))
            .map(history_row)
            .collect()
    } else {
        Vec::new()
    };
    let (deployments, current_targets) = if tab == "deployments" {
        deployments(&state, &feed, &record).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let files = record
        .files
        .iter()
        .map(|f| FileRow {
            name: match (f.file_name.as_str(), f.qualifier.as_str()) {
                ("", "") => format.file_name(&group, &name, &version),
                ("", qualifier) => qualifier.to_owned(),
                (file_name, _) => file_name.to_owned(),
            },
            size: view::size(f.size),
            sha256: f.sha256.to_string(),
            download: download_link(&feed.settings.name, &group, &name, &version, &f.qualifier),
        })
        .collect();
    let stored = record.remote.is_none();
    let open_dialog = match query.dialog.as_deref() {
        Some("promote") => "promote",
        Some("listing") => "listing",
        Some("deprecate") => "deprecate",
        Some("delete") => "delete",
        _ => "",
    };
    let this_link = view::version_link(&feed.settings.name, &group, &name, &version, None);
    // The template appends the action's name.
    let dialog_link = view::with_param(&this_link, "dialog", "");
    let display_name = view::display_name(&group, &name);
    let page = Page::new(&state, &viewer, format!("{display_name} {version}"), "feeds")
        .with_notice(done_notice(query.done.as_deref()));
    render(&VersionPage {
        targets: promotion_targets(&state, &viewer, &feed).await?,
        pipeline_target: feed.promote_to_feed.clone(),
        may_unlist: stored && viewer.may_act(&state, Attribute::UnlistPackage, Some(&feed)),
        may_delete: stored && viewer.may_act(&state, Attribute::DeletePackage, Some(&feed)),
        action_base: format!(
            "/feeds/{}/packages/{}/{}",
            view::enc(&feed.settings.name),
            view::enc(&name),
            view::enc(&version)
        ),
        page,
        package_link: view::package_link(&feed.settings.name, &group, &name),
        this_link,
        dialog_link,
        open_dialog,
        install: install_command(
            base.as_str(),
            &feed.settings.name,
            feed.settings.feed_type,
            &group,
            &name,
            &version,
        ),
        other_installs: other_install_commands(
            base.as_str(),
            &feed.settings.name,
            feed.settings.feed_type,
            &group,
            &name,
            &version,
        ),
        tables: package_type.detail_tables(&record.metadata),
        description: describe(package_type, &record.metadata),
        metadata: metadata_rows(package_type, &record.metadata),
        dependencies: dependencies(package_type, &record.metadata),
        files,
        published: When::at(record.published_at),
        published_by: record.published_by.clone(),
        downloads: record.downloads,
        listed: record.listed,
        deprecated: record.deprecated,
        deprecation_reason: record.deprecation_reason.clone(),
        remote: record.remote.as_ref().map(|o| o.connector.clone()),
        history,
        history_actions: FILTER_ORDER
            .iter()
            .map(|kind| FilterOption {
                kind: kind.as_str(),
                label: history_tab::label(*kind),
                selected: filter_kind == Some(*kind),
            })
            .collect(),
        action_filter,
        deployments,
        current_targets,
        tab,
        feed: feed.settings.name.clone(),
        feed_link,
        display_name,
        group,
        version,
    })
}

fn done_notice(done: Option<&str>) -> Option<String> {
    match done? {
        "promoted" => Some("The package was promoted.".into()),
        "uploaded" => Some("The package was uploaded.".into()),
        "unlisted" => Some("The version is now unlisted.".into()),
        "listed" => Some("The version is listed again.".into()),
        "deprecated" => Some("The version is now deprecated.".into()),
        "undeprecated" => Some("The version is no longer deprecated.".into()),
        _ => None,
    }
}

/// The packages API download of one file of a version (the main file when
/// `qualifier` is empty).
fn download_link(feed: &str, group: &str, name: &str, version: &str, qualifier: &str) -> String {
    let mut link = format!(
        "/api/packages/{}/download?name={}&version={}",
        view::enc(feed),
        view::enc(name),
        view::enc(version)
    );
    if !group.is_empty() {
        link.push_str("&group=");
        link.push_str(&view::enc(group));
    }
    if !qualifier.is_empty() {
        link.push_str("&file=");
        link.push_str(&view::enc(qualifier));
    }
    link
}

/// This version's deployments (newest first), and where each version of
/// the package runs now.
async fn deployments(
    state: &AppState,
    feed: &FeedRecord,
    record: &PackageRecord,
) -> Result<(Vec<DeploymentRow>, Vec<DeploymentRow>), UiError> {
    let feed_key = feed.settings.name.to_ascii_lowercase();
    let row = |d: gantry_store::DeploymentRecord| DeploymentRow {
        is_this: d.version == record.version,
        version_link: view::version_link(
            &feed.settings.name,
            &d.group,
            &d.name,
            &d.version,
            Some("deployments"),
        ),
        target: d.target,
        version: d.version,
        application: d.application,
        when: When::at(d.at),
        user: d.user_name,
    };
    let this = state
        .meta()
        .list_deployments(&DeploymentQuery {
            feed_key: Some(feed_key.clone()),
            group_key: Some(record.key.group_key.clone()),
            name_key: Some(record.key.name_key.clone()),
            version_key: Some(record.key.version_key.clone()),
            limit: Some(1000),
            ..DeploymentQuery::default()
        })
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(row)
        .collect();
    let current = state
        .meta()
        .deployment_targets(&feed_key, &record.key.group_key, &record.key.name_key)
        .await
        .map_err(UiError::from_store)?
        .into_iter()
        .map(row)
        .collect();
    Ok((this, current))
}
