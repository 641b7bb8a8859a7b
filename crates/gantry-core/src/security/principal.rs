//! Who is calling: the principals, and what an API key carries.

use std::str::FromStr;

use super::attribute::{Attribute, AttributeSet};

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

    /// The attributes the permission stands for: `view` includes
    /// downloading, `delete` includes overwriting and unlisting.
    pub fn attributes(self) -> AttributeSet {
        match self {
            Self::View => AttributeSet::of(&[Attribute::ViewPackages, Attribute::DownloadPackages]),
            Self::Add => AttributeSet::of(&[Attribute::AddPackage]),
            Self::Promote => AttributeSet::of(&[Attribute::PromotePackage]),
            Self::Delete => AttributeSet::of(&[
                Attribute::DeletePackage,
                Attribute::OverwritePackage,
                Attribute::UnlistPackage,
            ]),
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
    /// Everything, including API keys, security and server settings.
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

/// What a system or feed API key allows on its own. Personal keys carry no
/// grant: they act as their user ([`Principal::User`]).
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

impl ApiKeyGrant {
    /// Whether the key allows `attribute` on `feed_key` by itself.
    pub fn allows(&self, attribute: Attribute, feed_key: Option<&str>) -> bool {
        match self {
            Self::System { apis } => {
                apis.contains(&SystemApi::FullControl)
                    || (apis.contains(&SystemApi::Feeds) && attribute != Attribute::Administer)
            }
            Self::Feed {
                feed_key: own,
                permissions,
            } => {
                feed_key == Some(own.as_str())
                    && permissions.iter().any(|p| p.attributes().contains(attribute))
            }
        }
    }
}

/// Who is making a request, once credentials have been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were given.
    Anonymous,
    /// A user, signed in with a password or through one of their personal keys.
    User {
        /// The user's database id.
        id: i64,
        /// The user's name as stored (history shows it).
        name: String,
        /// The personal key used, when the user came through one.
        via_key: Option<i64>,
    },
    /// A valid, unexpired system or feed API key.
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
            Self::User { name, .. } => name,
            Self::ApiKey { user_name, .. } => user_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse() {
        assert_eq!(
            "Promote".parse::<PackagePermission>(),
            Ok(PackagePermission::Promote)
        );
        assert_eq!("full-control".parse::<SystemApi>(), Ok(SystemApi::FullControl));
        assert!("root".parse::<SystemApi>().is_err());
    }

    #[test]
    fn feed_key_grants_only_on_its_feed() {
        let grant = ApiKeyGrant::Feed {
            feed_key: "approved".into(),
            permissions: vec![PackagePermission::View, PackagePermission::Delete],
        };
        assert!(grant.allows(Attribute::DownloadPackages, Some("approved")));
        assert!(grant.allows(Attribute::OverwritePackage, Some("approved")));
        assert!(!grant.allows(Attribute::AddPackage, Some("approved")));
        assert!(!grant.allows(Attribute::ViewPackages, Some("other")));
        assert!(!grant.allows(Attribute::ViewPackages, None));
    }

    #[test]
    fn feeds_system_key_cannot_administer() {
        let feeds = ApiKeyGrant::System {
            apis: vec![SystemApi::Feeds],
        };
        assert!(feeds.allows(Attribute::ManageFeeds, None));
        assert!(feeds.allows(Attribute::DeletePackage, Some("any")));
        assert!(!feeds.allows(Attribute::Administer, None));
        let full = ApiKeyGrant::System {
            apis: vec![SystemApi::FullControl],
        };
        assert!(full.allows(Attribute::Administer, None));
    }
}
