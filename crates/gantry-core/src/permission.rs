//! Who may do what: principals, the attributes an action needs, and the one
//! decision function every endpoint goes through.
//!
//! This is the minimal model of API keys (system and feed keys). The full
//! model of users, groups and tasks replaces the body of [`decide`] without
//! changing its callers.

use std::fmt;
use std::str::FromStr;

/// What an action needs from the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// See a feed's packages and download them.
    ViewPackages,
    /// Publish a new package version.
    AddPackage,
    /// Replace or delete an existing package version.
    DeletePackage,
    /// Promote a package into a feed.
    PromotePackage,
    /// Create, change and delete feeds.
    ManageFeeds,
    /// Create, list and delete API keys; change server-wide settings.
    Administer,
}

/// A package permission of a feed API key, with ProGet's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PackagePermission {
    View,
    Add,
    Promote,
    Delete,
}

impl PackagePermission {
    /// ProGet's identifier (`view`, `add`, `promote`, `delete`).
    pub fn id(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Add => "add",
            Self::Promote => "promote",
            Self::Delete => "delete",
        }
    }
}

impl FromStr for PackagePermission {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "view" => Ok(Self::View),
            "add" => Ok(Self::Add),
            "promote" => Ok(Self::Promote),
            "delete" => Ok(Self::Delete),
            _ => Err(format!(
                "unknown package permission '{s}': expected view, add, promote or delete"
            )),
        }
    }
}

/// A system API a system key may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemApi {
    /// Everything, including API keys and server settings.
    FullControl,
    /// Feed management and every package operation on every feed.
    Feeds,
}

impl SystemApi {
    /// The identifier used in `ApiKeyInfo.systemApis`.
    pub fn id(self) -> &'static str {
        match self {
            Self::FullControl => "full-control",
            Self::Feeds => "feeds",
        }
    }
}

impl FromStr for SystemApi {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full-control" | "fullcontrol" => Ok(Self::FullControl),
            "feeds" => Ok(Self::Feeds),
            _ => Err(format!(
                "unknown system API '{s}': expected full-control or feeds"
            )),
        }
    }
}

/// What an authenticated API key allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiKeyGrant {
    /// A system key: acts as `SYSTEM` with the listed APIs on every feed.
    System { apis: Vec<SystemApi> },
    /// A feed key: the listed permissions on one feed (compared by its key).
    Feed {
        feed_key: String,
        permissions: Vec<PackagePermission>,
    },
}

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were given.
    Anonymous,
    /// A valid, unexpired API key.
    ApiKey {
        /// The key's database id.
        id: i64,
        /// The name history records show for the key's actions.
        user_name: String,
        /// What the key allows.
        grant: ApiKeyGrant,
    },
}

impl Principal {
    /// The name recorded in history for this principal's actions.
    pub fn user_name(&self) -> &str {
        match self {
            Self::Anonymous => "Anonymous",
            Self::ApiKey { user_name, .. } => user_name,
        }
    }
}

/// The outcome of an authorization check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// No credentials were given and Anonymous may not act: ask for them (401).
    Challenge,
    /// Credentials were given but do not allow this (403).
    Forbid,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Challenge => "challenge",
            Self::Forbid => "forbid",
        })
    }
}

/// Server-wide settings the decision depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnonymousPolicy {
    /// Anonymous may view and download every feed's packages.
    pub may_view: bool,
}

/// Decides whether `principal` may act with `attribute` on `feed_key`
/// (`None` for actions not tied to one feed). Pure: the caller has already
/// turned credentials into a principal.
pub fn decide(
    principal: &Principal,
    attribute: Attribute,
    feed_key: Option<&str>,
    anonymous: AnonymousPolicy,
) -> Decision {
    match principal {
        Principal::Anonymous => {
            if attribute == Attribute::ViewPackages && anonymous.may_view {
                Decision::Allow
            } else {
                Decision::Challenge
            }
        }
        Principal::ApiKey { grant, .. } => {
            // An authenticated caller has at least what Anonymous has
            // (ProGet's "Everyone"): a feed key that may promote into one feed
            // may still view the open feed it promotes from.
            let as_everyone = attribute == Attribute::ViewPackages && anonymous.may_view;
            if as_everyone || grant_allows(grant, attribute, feed_key) {
                Decision::Allow
            } else {
                Decision::Forbid
            }
        }
    }
}

fn grant_allows(grant: &ApiKeyGrant, attribute: Attribute, feed_key: Option<&str>) -> bool {
    match grant {
        ApiKeyGrant::System { apis } => {
            apis.contains(&SystemApi::FullControl)
                || (apis.contains(&SystemApi::Feeds) && attribute != Attribute::Administer)
        }
        ApiKeyGrant::Feed {
            feed_key: own,
            permissions,
        } => {
            let needed = match attribute {
                Attribute::ViewPackages => PackagePermission::View,
                Attribute::AddPackage => PackagePermission::Add,
                Attribute::DeletePackage => PackagePermission::Delete,
                Attribute::PromotePackage => PackagePermission::Promote,
                Attribute::ManageFeeds | Attribute::Administer => return false,
            };
            feed_key == Some(own.as_str()) && permissions.contains(&needed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: AnonymousPolicy = AnonymousPolicy { may_view: true };
    const CLOSED: AnonymousPolicy = AnonymousPolicy { may_view: false };

    fn key(grant: ApiKeyGrant) -> Principal {
        Principal::ApiKey {
            id: 1,
            user_name: "SYSTEM".into(),
            grant,
        }
    }

    #[test]
    fn anonymous_views_only_when_allowed() {
        let anon = Principal::Anonymous;
        assert_eq!(
            decide(&anon, Attribute::ViewPackages, Some("f"), OPEN),
            Decision::Allow
        );
        assert_eq!(
            decide(&anon, Attribute::ViewPackages, Some("f"), CLOSED),
            Decision::Challenge
        );
        assert_eq!(
            decide(&anon, Attribute::AddPackage, Some("f"), OPEN),
            Decision::Challenge
        );
    }

    #[test]
    fn feeds_system_key_cannot_administer() {
        let feeds = key(ApiKeyGrant::System {
            apis: vec![SystemApi::Feeds],
        });
        assert_eq!(
            decide(&feeds, Attribute::ManageFeeds, None, OPEN),
            Decision::Allow
        );
        assert_eq!(
            decide(&feeds, Attribute::DeletePackage, Some("any"), OPEN),
            Decision::Allow
        );
        assert_eq!(
            decide(&feeds, Attribute::Administer, None, OPEN),
            Decision::Forbid
        );
        let full = key(ApiKeyGrant::System {
            apis: vec![SystemApi::FullControl],
        });
        assert_eq!(decide(&full, Attribute::Administer, None, OPEN), Decision::Allow);
    }

    #[test]
    fn feed_key_is_limited_to_its_feed_and_permissions() {
        let k = key(ApiKeyGrant::Feed {
            feed_key: "approved".into(),
            permissions: vec![PackagePermission::View, PackagePermission::Add],
        });
        assert_eq!(
            decide(&k, Attribute::AddPackage, Some("approved"), OPEN),
            Decision::Allow
        );
        assert_eq!(
            decide(&k, Attribute::AddPackage, Some("other"), OPEN),
            Decision::Forbid
        );
        assert_eq!(
            decide(&k, Attribute::DeletePackage, Some("approved"), OPEN),
            Decision::Forbid
        );
        assert_eq!(decide(&k, Attribute::ManageFeeds, None, OPEN), Decision::Forbid);
    }

    #[test]
    fn keys_have_at_least_what_anonymous_has() {
        let k = key(ApiKeyGrant::Feed {
            feed_key: "approved".into(),
            permissions: vec![PackagePermission::Promote],
        });
        assert_eq!(
            decide(&k, Attribute::ViewPackages, Some("unapproved"), OPEN),
            Decision::Allow
        );
        assert_eq!(
            decide(&k, Attribute::ViewPackages, Some("unapproved"), CLOSED),
            Decision::Forbid
        );
        assert_eq!(
            decide(&k, Attribute::AddPackage, Some("unapproved"), OPEN),
            Decision::Forbid
        );
    }

    #[test]
    fn identifiers_parse() {
        assert_eq!(
            "Promote".parse::<PackagePermission>(),
            Ok(PackagePermission::Promote)
        );
        assert_eq!("full-control".parse::<SystemApi>(), Ok(SystemApi::FullControl));
        assert!("root".parse::<SystemApi>().is_err());
    }
}
