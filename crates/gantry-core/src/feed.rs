//! Feed types and usages.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The package type a feed holds, with ProGet's identifiers.
///
/// The set is closed: every type Gantry knows is listed, whether or not its
/// format is implemented yet (the format registry says which are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedType {
    Universal,
    NuGet,
    Chocolatey,
    PowerShell,
    Npm,
    Bower,
    Maven,
    PyPi,
    Docker,
    Helm,
    Cargo,
    RubyGems,
    Debian,
    Rpm,
    Conda,
    Cran,
    Pub,
    Terraform,
    Vsix,
    Alpine,
    Asset,
}

impl FeedType {
    /// Every feed type, in ProGet's order of presentation.
    pub const ALL: [FeedType; 21] = [
        Self::Universal,
        Self::NuGet,
        Self::Chocolatey,
        Self::PowerShell,
        Self::Npm,
        Self::Bower,
        Self::Maven,
        Self::PyPi,
        Self::Docker,
        Self::Helm,
        Self::Cargo,
        Self::RubyGems,
        Self::Debian,
        Self::Rpm,
        Self::Conda,
        Self::Cran,
        Self::Pub,
        Self::Terraform,
        Self::Vsix,
        Self::Alpine,
        Self::Asset,
    ];

    /// The identifier used in feed JSON (`feedType`) and in the database.
    pub fn id(self) -> &'static str {
        match self {
            Self::Universal => "universal",
            Self::NuGet => "nuget",
            Self::Chocolatey => "chocolatey",
            Self::PowerShell => "powershell",
            Self::Npm => "npm",
            Self::Bower => "bower",
            Self::Maven => "maven",
            Self::PyPi => "pypi",
            Self::Docker => "docker",
            Self::Helm => "helm",
            Self::Cargo => "cargo",
            Self::RubyGems => "rubygems",
            Self::Debian => "debian",
            Self::Rpm => "rpm",
            Self::Conda => "conda",
            Self::Cran => "cran",
            Self::Pub => "pub",
            Self::Terraform => "terraform",
            Self::Vsix => "vsix",
            Self::Alpine => "alpine",
            Self::Asset => "asset",
        }
    }

    /// The type as people name it ("Universal", "NuGet", "npm", "PyPI").
    pub fn label(self) -> &'static str {
        match self {
            Self::Universal => "Universal",
            Self::NuGet => "NuGet",
            Self::Chocolatey => "Chocolatey",
            Self::PowerShell => "PowerShell",
            Self::Npm => "npm",
            Self::Bower => "Bower",
            Self::Maven => "Maven",
            Self::PyPi => "PyPI",
            Self::Docker => "Docker",
            Self::Helm => "Helm",
            Self::Cargo => "Cargo",
            Self::RubyGems => "RubyGems",
            Self::Debian => "Debian",
            Self::Rpm => "RPM",
            Self::Conda => "Conda",
            Self::Cran => "CRAN",
            Self::Pub => "Pub",
            Self::Terraform => "Terraform",
            Self::Vsix => "VSIX",
            Self::Alpine => "Alpine",
            Self::Asset => "Asset",
        }
    }

    /// The package type name used in promotion records (`packageType`),
    /// which says `upack` where the feed type says `universal`.
    pub fn package_type(self) -> &'static str {
        match self {
            Self::Universal => "upack",
            other => other.id(),
        }
    }

    /// Feeds whose packages may be promoted into each other share a family:
    /// NuGet, Chocolatey and PowerShell feeds all hold `.nupkg` files.
    pub fn promotion_family(self) -> &'static str {
        match self {
            Self::NuGet | Self::Chocolatey | Self::PowerShell => "nuget",
            other => other.id(),
        }
    }
}

impl fmt::Display for FeedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The text is not a known feed type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown feed type '{0}'")]
pub struct UnknownFeedType(pub String);

impl FromStr for FeedType {
    type Err = UnknownFeedType;

    /// Case-insensitive; also accepts `upack` for universal feeds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if lower == "upack" {
            return Ok(Self::Universal);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.id() == lower)
            .ok_or_else(|| UnknownFeedType(s.to_owned()))
    }
}

/// What a feed is for; a `validated` feed accepts packages only by promotion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedUsage {
    /// Internal packages, published directly.
    Private,
    /// Third-party packages cached from a connector.
    Proxy,
    /// Vetted packages, which arrive by promotion.
    Validated,
    /// Anything goes (the default).
    #[default]
    Mixed,
}

impl FeedUsage {
    /// The identifier used in feed JSON and in the database.
    pub fn id(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Proxy => "proxy",
            Self::Validated => "validated",
            Self::Mixed => "mixed",
        }
    }
}

impl FromStr for FeedUsage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "private" => Ok(Self::Private),
            "proxy" => Ok(Self::Proxy),
            "validated" => Ok(Self::Validated),
            "mixed" => Ok(Self::Mixed),
            _ => Err(format!(
                "unknown feed usage '{s}': expected private, proxy, validated or mixed"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_case_insensitively() {
        for t in FeedType::ALL {
            assert_eq!(t.id().parse::<FeedType>(), Ok(t));
            assert_eq!(t.id().to_uppercase().parse::<FeedType>(), Ok(t));
        }
        assert_eq!("upack".parse::<FeedType>(), Ok(FeedType::Universal));
        assert!("zip".parse::<FeedType>().is_err());
    }

    #[test]
    fn nuget_family_shares_promotion() {
        assert_eq!(
            FeedType::Chocolatey.promotion_family(),
            FeedType::NuGet.promotion_family()
        );
        assert_ne!(
            FeedType::Npm.promotion_family(),
            FeedType::NuGet.promotion_family()
        );
        assert_eq!(FeedType::Universal.package_type(), "upack");
    }
}
