//! Validated names that are safe to store, compare and put in a path.

use std::fmt;

/// Why a name was refused; the text is shown to the client as is.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct NameError(pub String);

/// The longest feed name accepted.
pub const MAX_FEED_NAME_LEN: usize = 100;

/// A feed name: 1–100 characters of letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit. Feed names are unique case-insensitively;
/// [`FeedName::key`] is the form used to compare them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FeedName(String);

impl FeedName {
    /// Validates a feed name as given by a client.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError("feed name must not be empty".into()));
        }
        if raw.chars().count() > MAX_FEED_NAME_LEN {
            return Err(NameError(format!(
                "feed name must be at most {MAX_FEED_NAME_LEN} characters"
            )));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(NameError(format!(
                "feed name '{}' contains the character {bad:?}; use letters, digits, '-', '_' and '.'",
                raw.escape_debug()
            )));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(NameError(format!(
                "feed name '{raw}' must start with a letter or digit"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as the feed was created.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and look-ups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FeedName({})", self.0)
    }
}

/// Names that stand for virtual principals or for API-key sign-in, and so
/// cannot be the name of a user or a group.
const RESERVED_PRINCIPALS: &[&str] = &["anonymous", "authenticated", "everyone", "api", "system"];

fn check_principal_name(
    kind: &str,
    raw: &str,
    allowed: impl Fn(char) -> bool,
    allowed_text: &str,
) -> Result<(), NameError> {
    if raw.trim().is_empty() {
        return Err(NameError(format!("{kind} name must not be empty")));
    }
    if raw.chars().count() > 100 {
        return Err(NameError(format!("{kind} name must be at most 100 characters")));
    }
    if let Some(bad) = raw.chars().find(|c| !allowed(*c)) {
        return Err(NameError(format!(
            "{kind} name '{}' contains the character {bad:?}; use {allowed_text}",
            raw.escape_debug()
        )));
    }
    if raw.trim() != raw {
        return Err(NameError(format!(
            "{kind} name '{raw}' must not start or end with a space"
        )));
    }
    if RESERVED_PRINCIPALS.iter().any(|r| r.eq_ignore_ascii_case(raw)) {
        return Err(NameError(format!(
            "'{raw}' is reserved and cannot be a {kind} name"
        )));
    }
    Ok(())
}

/// A user name: 1–100 characters of letters, digits, `-`, `_`, `.`, `@` and
/// `+` (so e-mail addresses work), unique case-insensitively, and none of
/// `Anonymous`, `Authenticated`, `Everyone`, `api`, `SYSTEM`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    /// Validates a user name as given by a client.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_principal_name(
            "user",
            raw,
            |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'),
            "letters, digits, '-', '_', '.', '@' and '+'",
        )?;
        Ok(Self(raw.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and look-ups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A group name: 1–100 characters of letters, digits, spaces, `-`, `_`,
/// `.` and `&` ("Senior Developers"), unique case-insensitively, and not
/// the name of a virtual principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupName(String);

impl GroupName {
    /// Validates a group name as given by a client.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_principal_name(
            "group",
            raw,
            |c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '&'),
            "letters, digits, spaces, '-', '_', '.' and '&'",
        )?;
        Ok(Self(raw.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and look-ups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["approved-nuget", "Feed_1", "a", "v1.2", &"x".repeat(100)] {
            assert!(FeedName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_separators_controls_and_overlong() {
        for bad in [
            "",
            "a/b",
            "a\\b",
            "..",
            ".hidden",
            "-x",
            "tab\there",
            "nul\0",
            "new\nline",
            "spa ce",
            "é",
            &"x".repeat(101),
        ] {
            assert!(FeedName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn key_folds_case() {
        let a = FeedName::parse("Approved").expect("valid");
        let b = FeedName::parse("APPROVED").expect("valid");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Approved");
    }

    #[test]
    fn user_and_group_names() {
        assert!(UserName::parse("alice.smith@example.com").is_ok());
        assert!(UserName::parse("Everyone").is_err());
        assert!(UserName::parse("api").is_err());
        assert!(UserName::parse("al ice").is_err());
        assert!(UserName::parse("").is_err());
        assert!(GroupName::parse("Senior Developers").is_ok());
        assert!(GroupName::parse(" Padded").is_err());
        assert!(GroupName::parse("authenticated").is_err());
        assert!(GroupName::parse("a/b").is_err());
        assert_eq!(GroupName::parse("Devs").map(|g| g.key()), Ok("devs".to_owned()));
    }
}
