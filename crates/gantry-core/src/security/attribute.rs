//! Attributes: the smallest things a permission can allow, and sets of them.

use std::fmt;
use std::str::FromStr;

/// What an action needs from the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribute {
    /// See a feed and list its packages.
    ViewPackages,
    /// Download package files.
    DownloadPackages,
    /// Publish a new package version.
    AddPackage,
    /// Replace an existing package version.
    OverwritePackage,
    /// Delete a package version.
    DeletePackage,
    /// Unlist, relist or deprecate a package version.
    UnlistPackage,
    /// Accept promotions into a feed.
    PromotePackage,
    /// Create and change a feed's connectors.
    ManageConnectors,
    /// Create, change and delete feeds.
    ManageFeeds,
    /// Users, groups, tasks, permissions, API keys and server settings.
    Administer,
}

impl Attribute {
    /// Every attribute, in a stable order.
    pub const ALL: [Attribute; 10] = [
        Self::ViewPackages,
        Self::DownloadPackages,
        Self::AddPackage,
        Self::OverwritePackage,
        Self::DeletePackage,
        Self::UnlistPackage,
        Self::PromotePackage,
        Self::ManageConnectors,
        Self::ManageFeeds,
        Self::Administer,
    ];

    /// The identifier used in task definitions (ProGet's attribute names).
    pub fn id(self) -> &'static str {
        match self {
            Self::ViewPackages => "Feeds_ViewFeed",
            Self::DownloadPackages => "Feeds_DownloadPackage",
            Self::AddPackage => "Feeds_AddPackage",
            Self::OverwritePackage => "Feeds_OverwritePackage",
            Self::DeletePackage => "Feeds_DeletePackage",
            Self::UnlistPackage => "Feeds_UnlistPackage",
            Self::PromotePackage => "Feeds_AcceptPackagePromotions",
            Self::ManageConnectors => "Feeds_ManageConnector",
            Self::ManageFeeds => "Feeds_ManageFeed",
            Self::Administer => "Admin_Administer",
        }
    }

    /// A short name accepted as well as [`Attribute::id`].
    fn alias(self) -> &'static str {
        match self {
            Self::ViewPackages => "view",
            Self::DownloadPackages => "download",
            Self::AddPackage => "add",
            Self::OverwritePackage => "overwrite",
            Self::DeletePackage => "delete",
            Self::UnlistPackage => "unlist",
            Self::PromotePackage => "promote",
            Self::ManageConnectors => "manage-connectors",
            Self::ManageFeeds => "manage-feed",
            Self::Administer => "administer",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Attribute {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|a| a.id().eq_ignore_ascii_case(s) || a.alias().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|a| a.id()).collect();
                format!("unknown attribute '{s}': expected one of {}", known.join(", "))
            })
    }
}

/// A set of attributes, as a task grants them. Copy-cheap: a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributeSet(u16);

impl AttributeSet {
    /// No attribute.
    pub const EMPTY: Self = Self(0);

    /// Every attribute.
    pub fn all() -> Self {
        Self::of(&Attribute::ALL)
    }

    /// The set of the given attributes.
    pub fn of(attributes: &[Attribute]) -> Self {
        Self(attributes.iter().fold(0, |bits, a| bits | a.bit()))
    }

    /// Whether `attribute` is in the set.
    pub fn contains(self, attribute: Attribute) -> bool {
        self.0 & attribute.bit() != 0
    }

    /// The union of two sets.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The attributes in the set, in [`Attribute::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Attribute> {
        Attribute::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_aliases_parse_case_insensitively() {
        for a in Attribute::ALL {
            assert_eq!(a.id().parse::<Attribute>(), Ok(a));
            assert_eq!(a.id().to_lowercase().parse::<Attribute>(), Ok(a));
            assert_eq!(a.alias().parse::<Attribute>(), Ok(a));
        }
        assert!("root".parse::<Attribute>().is_err());
    }

    #[test]
    fn sets_hold_what_they_are_given() {
        let set = AttributeSet::of(&[Attribute::ViewPackages, Attribute::PromotePackage]);
        assert!(set.contains(Attribute::ViewPackages));
        assert!(set.contains(Attribute::PromotePackage));
        assert!(!set.contains(Attribute::AddPackage));
        assert_eq!(set.iter().count(), 2);
        assert_eq!(AttributeSet::all().iter().count(), Attribute::ALL.len());
        assert!(AttributeSet::EMPTY.is_empty());
    }
}
