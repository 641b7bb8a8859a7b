//! Promotion: copy one package version from a feed to another feed of the
//! same kind, never touching the source, and record who, when, from where,
//! to where and why. Written once against
//! [`crate::package_types::PackageType`], with no branch per type: a type's
//! own promotion policy (npm's `latest`) is its
//! [`crate::package_types::PackageType::promotion_tag_moves`].

use gantry_core::{Attribute, VersionSpec};
use gantry_store::{
    FeedRecord, NewPromotion, PackageRecord, PromoteOutcome, PromotionRecord, PromotionRefusal,
};

use crate::auth::Caller;
use crate::connectors::{fetch, view};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::services::feeds;
use crate::services::gates::{self, PromotionCandidate};
use crate::state::AppState;

/// What a client asks to promote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromoteRequest {
    /// Source feed.
    pub from_feed: Option<String>,
    /// Target feed.
    pub to_feed: Option<String>,
    /// Package name (npm: without the scope; Docker: the repository).
    pub name: Option<String>,
    /// Group (npm: the `@scope`; Maven: the groupId).
    pub group: Option<String>,
    /// Exact version, `latest` or `latest-stable` (Docker: the tag).
    pub version: Option<String>,
    /// Why.
    pub comments: Option<String>,
}

/// A promotion that succeeded.
#[derive(Clone, Debug)]
pub struct Promoted {
    /// The record.
    pub promotion: PromotionRecord,
    /// Whether rows were copied (false: the target already held identical content).
    pub copied: bool,
    /// The version in the target feed.
    pub package: PackageRecord,
}

fn required<'a>(value: Option<&'a String>, field: &str) -> ApiResult<&'a str> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("{field} is required.")))
}

/// Checks the request against every rule, then promotes in one transaction.
pub async fn promote(state: &AppState, caller: &Caller, request: &PromoteRequest) -> ApiResult<Promoted> {
    let from_name = required(request.from_feed.as_ref(), "fromFeed")?;
    let to_name = required(request.to_feed.as_ref(), "toFeed")?;
    let name = required(request.name.as_ref(), "name (or packageName)")?;
    let version = required(request.version.as_ref(), "version")?;
    let group = request.group.as_deref().map(str::trim).unwrap_or_default();

    let from = feeds::find(state, from_name).await?;
    let to = feeds::find(state, to_name).await?;
    state.authorize(caller, Attribute::PromotePackage, Some(&to))?;
    state.authorize(caller, Attribute::ViewPackages, Some(&from))?;
    check_rules(&from, &to)?;

    let package_type = feeds::package_type_of(&from)?;
    let format = package_type.format();
    let id = format.identity(group, name);
    format.validate_id(&id).map_err(|e| ApiError::bad_request(e.0))?;
    let spec = VersionSpec::parse(version);
    if let VersionSpec::Exact(v) = &spec {
        format.version_key(v).map_err(|e| ApiError::bad_request(e.0))?;
    }
    let mut source = view::find_version(state, &from, format, &id, &spec).await?;
    if source.remote.is_some() {
        // Only the source feed's connector has it: store it into the source
        // feed first (history: added via the connector), then promote that.
        source = fetch::cache(state, &from, format, &source).await?;
    }

    let package_label = if source.group.is_empty() {
        source.name.clone()
    } else {
        format!("{}/{}", source.group, source.name)
    };
    let comments = request.comments.clone().unwrap_or_default();
    let candidate = PromotionCandidate {
        caller,
        from: &from,
        to: &to,
        package: &source,
        comments: &comments,
    };
    let (gates, all_passed) = gates::decide(state, &candidate).await?;
    if !all_passed {
        let why = gates
            .last()
            .map(|g| format!("gate '{}' refused it: {}", g.gate, g.reason))
            .unwrap_or_default();
        state
            .meta()
            .record_promotion_refused(&PromotionRefusal {
                source_package_id: source.id,
                from_feed: from.settings.name.clone(),
                to_feed: to.settings.name.clone(),
                package_type: from.settings.feed_type.package_type().to_owned(),
                user: caller.user_name().to_owned(),
                comments,
                gates,
            })
            .await?;
        return Err(ApiError::forbidden(format!(
            "{package_label} {} was not promoted from '{}' to '{}': {why}.",
            source.version, from.settings.name, to.settings.name
        )));
    }
    // The target's tags are read, a move decided, and the promotion made
    // only if they did not change in between; a concurrent change means
    // deciding again.
    let mut attempts = 0;
    let (promotion, package, copied) = loop {
        attempts += 1;
        let tag_moves = package_type.promotion_tag_moves(state, &to, &source).await?;
        let outcome = state
            .meta()
            .promote(&NewPromotion {
                source_package_id: source.id,
                from_feed: from.settings.name.clone(),
                to_feed_id: to.id,
                to_feed: to.settings.name.clone(),
                package_type: from.settings.feed_type.package_type().to_owned(),
                user: caller.user_name().to_owned(),
                comments: comments.clone(),
                tag_moves,
                gates: gates.clone(),
            })
            .await?;
        match outcome {
            PromoteOutcome::Copied { promotion, package } => break (promotion, package, true),
            PromoteOutcome::AlreadyPresent { promotion, package } => break (promotion, package, false),
            PromoteOutcome::TagsMoved if attempts < 5 => {}
            PromoteOutcome::TagsMoved => return Err(ApiError::conflict(
                "The target's dist-tags kept changing during the promotion; nothing was changed. Try again.",
            )),
            PromoteOutcome::Conflict => {
                return Err(ApiError::conflict(format!(
                    "Feed '{}' already holds {package_label} {} with different content; nothing was changed.",
                    to.settings.name, source.version
                )))
            }
            PromoteOutcome::SourceGone => {
                return Err(ApiError::not_found(format!(
                    "{package_label} {} was deleted from feed '{}' while it was being promoted.",
                    source.version, from.settings.name
                )))
            }
        }
    };
    tracing::info!(
        id = promotion.id, package = %package_label, version = %promotion.version,
        from = %promotion.from_feed, to = %promotion.to_feed, copied, "package promoted"
    );
    state.events().publish(Event::Promoted {
        promotion: promotion.clone(),
        copied,
    });
    Ok(Promoted {
        promotion,
        copied,
        package,
    })
}

/// The rules between two feeds, each refused with its own reason.
fn check_rules(from: &FeedRecord, to: &FeedRecord) -> ApiResult<()> {
    if from.id == to.id {
        return Err(ApiError::bad_request(format!(
            "fromFeed and toFeed are the same feed ('{}'); promote to another feed.",
            from.settings.name
        )));
    }
    if from.settings.feed_type.promotion_family() != to.settings.feed_type.promotion_family() {
        return Err(ApiError::bad_request(format!(
            "Feed '{}' holds {} packages and feed '{}' holds {} packages; packages can only be promoted between feeds of the same type.",
            from.settings.name, from.settings.feed_type, to.settings.name, to.settings.feed_type
        )));
    }
    if let (Some(target_id), Some(target_name)) = (from.settings.promote_to_feed_id, &from.promote_to_feed) {
        if target_id != to.id {
            return Err(ApiError::bad_request(format!(
                "Feed '{}' promotes only to feed '{target_name}' (its promotion pipeline); promote to '{target_name}', not '{}'.",
                from.settings.name, to.settings.name
            )));
        }
    }
    if !to.settings.active {
        return Err(ApiError::bad_request(format!(
            "Feed '{}' is inactive and cannot receive promotions.",
            to.settings.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use gantry_core::{FeedType, FeedUsage};
    use gantry_store::FeedSettings;

    use super::*;

    fn feed(id: i64, name: &str, feed_type: FeedType) -> FeedRecord {
        FeedRecord {
            id,
            created_at: 0,
            promote_to_feed: None,
            package_revision: 0,
            settings: FeedSettings {
                name: name.into(),
                feed_type,
                description: String::new(),
                active: true,
                usage: FeedUsage::Mixed,
                promote_to_feed_id: None,
                deployment_records_enabled: true,
                alternate_names: vec![],
                allow_direct_uploads: false,
                connectors: Vec::new(),
                cache_connectors: true,
                offline: false,
                immutable_tags: false,
            },
        }
    }

    #[test]
    fn feeds_of_another_kind_are_refused() {
        let npm = feed(1, "npm-approved", FeedType::Npm);
        let nuget = feed(2, "nuget-approved", FeedType::NuGet);
        let err = check_rules(&npm, &nuget).expect_err("npm cannot go to nuget");
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(err.message.contains("same type"), "{}", err.message);
    }

    #[test]
    fn the_nuget_family_promotes_among_itself() {
        let nuget = feed(1, "nuget", FeedType::NuGet);
        let choco = feed(2, "choco", FeedType::Chocolatey);
        assert!(check_rules(&nuget, &choco).is_ok());
    }

    #[test]
    fn the_pipeline_names_the_expected_target() {
        let mut dev = feed(1, "dev", FeedType::Universal);
        dev.settings.promote_to_feed_id = Some(2);
        dev.promote_to_feed = Some("rc".into());
        let prod = feed(3, "prod", FeedType::Universal);
        let err = check_rules(&dev, &prod).expect_err("pipeline");
        assert!(err.message.contains("'rc'"), "{}", err.message);
        assert!(check_rules(&dev, &feed(2, "rc", FeedType::Universal)).is_ok());
    }
}
