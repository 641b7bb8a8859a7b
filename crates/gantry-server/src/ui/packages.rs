//! A package's page (its versions) and a version's page with its tabs:
//! Overview, History and Deployments, and the actions the viewer may take.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gantry_core::{Attribute, VersionSpec};
use gantry_formats::{PackageFormat, PackageId};
use gantry_store::{DeploymentQuery, FeedRecord, PackageEvent, PackageRecord};
use serde::Deserialize;
use serde_json::Value;

use super::page::{render, Page, UiError};
use super::session::Viewer;
use super::usage::install_command;
use super::view::{self, When};
use crate::connectors::view as feed_view;
use crate::feeds::base_url::BaseUrl;
use crate::services::{feeds, history};
use crate::state::AppState;

/// The text shown for a package in lists: its description, else its title or summary.
pub fn describe(metadata: &Value) -> String {
    ["description", "summary", "title"]
        .iter()
        .find_map(|key| {
            metadata
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        })
        .map(|s| {
            let s = s.trim();
            match s.char_indices().nth(300) {
                Some((cut, _)) => format!("{}…", &s[..cut]),
                None => s.to_owned(),
            }
        })
        .unwrap_or_default()
}

/// Metadata fields worth showing as `name: value` lines: text, numbers,
/// flags and lists of text, by field name.
pub fn metadata_rows(metadata: &Value) -> Vec<(String, String)> {
    const SKIPPED: &[&str] = &["readme", "dependencies", "dependencyGroups", "dist", "versions"];
    let Some(object) = metadata.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(key, _)| !SKIPPED.contains(&key.as_str()))
        .filter_map(|(key, value)| {
            let text = match value {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::Object(fields) if fields.values().all(Value::is_string) && !fields.is_empty() => {
                    fields
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                _ => return None,
            };
            Some((key.clone(), text))
        })
        .take(40)
        .collect()
}

/// A dependency of a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyRow {
    /// The framework or kind it applies to ("" for all).
    pub scope: String,
    /// What is depended on.
    pub name: String,
    /// Which versions.
    pub range: String,
}

/// The dependencies in any of the shapes the formats store: NuGet's
/// `dependencyGroups`, npm's `dependencies` object (and its optional and
/// peer siblings), universal packages' `group/name:version` strings.
pub fn dependencies(metadata: &Value) -> Vec<DependencyRow> {
    let mut rows = Vec::new();
    if let Some(groups) = metadata.get("dependencyGroups").and_then(Value::as_array) {
        for group in groups {
            let scope = group
                .get("targetFramework")
                .and_then(Value::as_str)
                .unwrap_or_default();
            for dependency in group
                .get("dependencies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                rows.push(DependencyRow {
                    scope: scope.to_owned(),
                    name: text(dependency, "id"),
                    range: text(dependency, "range"),
                });
            }
        }
    }
    for (key, scope) in [
        ("dependencies", ""),
        ("optionalDependencies", "optional"),
        ("peerDependencies", "peer"),
    ] {
        match metadata.get(key) {
            Some(Value::Object(map)) => rows.extend(map.iter().map(|(name, range)| DependencyRow {
                scope: scope.to_owned(),
                name: name.clone(),
                range: range.as_str().unwrap_or_default().to_owned(),
            })),
            Some(Value::Array(items)) => rows.extend(items.iter().filter_map(Value::as_str).map(|item| {
                let (name, range) = item.rsplit_once(':').unwrap_or((item, ""));
                DependencyRow {
                    scope: scope.to_owned(),
                    name: name.to_owned(),
                    range: range.to_owned(),
                }
            })),
            _ => {}
        }
    }
    rows
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Which package: the group comes in the query string (it may hold `/`).
#[derive(Debug, Default, Deserialize)]
pub struct PackageQuery {
    /// Group, scope or namespace.
    #[serde(default)]
    pub group: String,
    /// The version page's tab: `overview`, `history` or `deployments`.
    pub tab: Option<String>,
    /// History filter: one action.
    pub action: Option<String>,
    /// A change that just succeeded (fixed texts only).
    pub done: Option<String>,
    /// An action's dialog to show open: how the Actions menu works
    /// without script.
    pub dialog: Option<String>,
}

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

async fn find_feed(
    state: &AppState,
    viewer: &Viewer,
    feed: &str,
) -> Result<(FeedRecord, &'static dyn PackageFormat), UiError> {
    Ok(feeds::find_authorized(state, &viewer.caller, feed, Attribute::ViewPackages).await?)
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
    let description = records.first().map(|r| describe(&r.metadata)).unwrap_or_default();
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

/// A file of a version.
pub struct FileRow {
    pub name: String,
    pub size: String,
    pub sha256: String,
    pub download: String,
}

/// One line of the History tab.
pub struct HistoryRow {
    pub action: &'static str,
    pub kind: String,
    pub when: When,
    pub user: String,
    pub feed: String,
    pub detail: String,
    pub comment: String,
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

/// The History tab's actions, for its filter: stored kind and label.
const ACTIONS: &[(&str, &str)] = &[
    ("added", "Added"),
    ("overwritten", "Overwritten"),
    ("promoted", "Promoted"),
    ("status-changed", "Status changed"),
    ("deployed", "Deployed"),
    ("dist-tag-set", "Tagged"),
    ("dist-tag-removed", "Tag removed"),
    ("deleted", "Deleted"),
];

fn action_label(kind: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Changed", |(_, label)| label)
}

/// What the History tab says of an event, besides its action, time and user.
fn history_row(event: PackageEvent) -> HistoryRow {
    let d = &event.details;
    let (detail, comment) = match event.kind.as_str() {
        "promoted" => (
            format!("from {} to {}", text(d, "fromFeed"), text(d, "toFeed")),
            text(d, "comments"),
        ),
        "deployed" => {
            let mut detail = format!("to {}", text(d, "target"));
            let application = text(d, "application");
            if !application.is_empty() {
                let _ = write!(detail, " by {application}");
            }
            (detail, text(d, "description"))
        }
        "status-changed" => {
            let mut parts = Vec::new();
            match d.get("listed").and_then(Value::as_bool) {
                Some(true) => parts.push("listed".to_owned()),
                Some(false) => parts.push("unlisted".to_owned()),
                None => {}
            }
            match d.get("deprecated").and_then(Value::as_bool) {
                Some(true) => parts.push("deprecated".to_owned()),
                Some(false) => parts.push("no longer deprecated".to_owned()),
                None => {}
            }
            (parts.join(", "), text(d, "deprecationReason"))
        }
        "dist-tag-set" => {
            let previous = text(d, "previousVersion");
            let mut detail = format!("'{}' in {}", text(d, "tag"), event.feed_name);
            if !previous.is_empty() {
                let _ = write!(detail, " (was {previous})");
            }
            (detail, String::new())
        }
        "dist-tag-removed" => (
            format!("'{}' in {}", text(d, "tag"), event.feed_name),
            String::new(),
        ),
        "added" => {
            let connector = text(d, "connector");
            if connector.is_empty() {
                (format!("in {}", event.feed_name), String::new())
            } else {
                (
                    format!("in {} from connector {connector}", event.feed_name),
                    String::new(),
                )
            }
        }
        _ => (format!("in {}", event.feed_name), String::new()),
    };
    HistoryRow {
        action: action_label(&event.kind),
        kind: event.kind,
        when: When::at(event.at),
        user: event.user_name,
        feed: event.feed_name,
        detail,
        comment,
    }
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
    if !action_filter.is_empty() && !ACTIONS.iter().any(|(k, _)| *k == action_filter) {
        return Err(UiError::bad_request(format!(
            "There is no action '{action_filter}' to filter by."
        )));
    }
    let feed_link = view::feed_link(&feed.settings.name);
    let (group, name, version) = (record.group.clone(), record.name.clone(), record.version.clone());
    let history = if tab == "history" {
        let mut events = history::of_version(&state, &viewer.caller, &feed, &record.key).await?;
        events.reverse();
        events
            .into_iter()
            .filter(|e| action_filter.is_empty() || e.kind == action_filter)
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
            name: if f.qualifier.is_empty() {
                format.file_name(&group, &name, &version)
            } else {
                f.qualifier.clone()
            },
            size: view::size(f.size),
            sha256: f.sha256.to_string(),
            download: download_link(&feed.settings.name, &group, &name, &version),
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
        description: describe(&record.metadata),
        metadata: metadata_rows(&record.metadata),
        dependencies: dependencies(&record.metadata),
        files,
        published: When::at(record.published_at),
        published_by: record.published_by.clone(),
        downloads: record.downloads,
        listed: record.listed,
        deprecated: record.deprecated,
        deprecation_reason: record.deprecation_reason.clone(),
        remote: record.remote.as_ref().map(|o| o.connector.clone()),
        history,
        history_actions: ACTIONS
            .iter()
            .map(|(kind, label)| FilterOption {
                kind,
                label,
                selected: *kind == action_filter,
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

fn download_link(feed: &str, group: &str, name: &str, version: &str) -> String {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dependencies_are_read_from_every_format_shape() {
        let nuget = json!({"dependencyGroups": [{"targetFramework": "net8.0", "dependencies": [{"id": "Newtonsoft.Json", "range": "[13.0.1, )"}]}]});
        assert_eq!(
            dependencies(&nuget),
            [DependencyRow {
                scope: "net8.0".into(),
                name: "Newtonsoft.Json".into(),
                range: "[13.0.1, )".into()
            }]
        );
        let npm = json!({"dependencies": {"left-pad": "^1.3.0"}, "peerDependencies": {"react": ">=18"}});
        assert_eq!(dependencies(&npm).len(), 2);
        let upack = json!({"dependencies": ["acme/tools/hammer:1.2.0"]});
        assert_eq!(
            dependencies(&upack),
            [DependencyRow {
                scope: String::new(),
                name: "acme/tools/hammer".into(),
                range: "1.2.0".into()
            }]
        );
    }

    #[test]
    fn descriptions_are_cut_for_lists() {
        let long = "x".repeat(400);
        assert_eq!(describe(&json!({"description": long})).chars().count(), 301);
        assert_eq!(describe(&json!({"title": "Hammer"})), "Hammer");
        assert_eq!(describe(&json!({})), "");
    }

    #[test]
    fn metadata_rows_keep_text_and_skip_nested_documents() {
        let rows = metadata_rows(
            &json!({"title": "T", "tags": ["a", "b"], "dist": {"tarball": "x"}, "n": 3, "nested": {"a": {"b": 1}}}),
        );
        assert_eq!(
            rows,
            [
                ("n".to_owned(), "3".to_owned()),
                ("tags".into(), "a, b".into()),
                ("title".into(), "T".into())
            ]
        );
    }
}
