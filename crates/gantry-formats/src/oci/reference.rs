//! Repository names and tags, by the distribution spec's grammar, and the
//! reference that follows `/manifests/`: a tag or a digest.
//!
//! ```text
//! name      [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
//! tag       [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
//! ```

use std::fmt;

use super::digest::Digest;
use super::shown;
use crate::FormatError;

/// The longest repository name accepted (the part after the feed; clients
/// limit the whole `host/feed/name` to 255 characters).
pub const MAX_REPOSITORY_LEN: usize = 255;

/// The longest tag accepted.
pub const MAX_TAG_LEN: usize = 128;

/// Checks a repository name: path components of lower-case letters and
/// digits, joined inside a component by `.`, `_`, `__` or dashes, and
/// separated by `/` (`acme/web`, `library/my_app`, `a/b--c/d.e`).
pub fn validate_repository(name: &str) -> Result<(), FormatError> {
    let invalid =
        |why: String| FormatError(format!("'{}' is not a valid repository name: {why}", shown(name)));
    if name.is_empty() {
        return Err(FormatError("a repository name can't be empty".into()));
    }
    if name.len() > MAX_REPOSITORY_LEN {
        return Err(invalid(format!(
            "it is {} characters long; the longest accepted is {MAX_REPOSITORY_LEN}",
            name.chars().count()
        )));
    }
    if let Some(upper) = name.chars().find(char::is_ascii_uppercase) {
        return Err(invalid(format!(
            "it contains the upper-case letter '{upper}'; repository names are lower case"
        )));
    }
    if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(invalid(format!(
            "it contains the character {bad:?}; use lower-case letters, digits, '.', '_', '-' and '/'"
        )));
    }
    for component in name.split('/') {
        check_component(component).map_err(invalid)?;
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-' | '/')
}

fn is_component_alphanumeric(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9')
}

/// Checks one `/`-separated component whose characters are already known to
/// be valid: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn check_component(component: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err("it has an empty path component (a leading, trailing or doubled '/')".into());
    }
    let starts_and_ends_alphanumeric =
        component.starts_with(is_component_alphanumeric) && component.ends_with(is_component_alphanumeric);
    if !starts_and_ends_alphanumeric {
        return Err(format!(
            "the path component '{}' must start and end with a letter or digit",
            shown(component)
        ));
    }
    let separators = component
        .split(is_component_alphanumeric)
        .filter(|run| !run.is_empty());
    for separator in separators {
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !allowed {
            return Err(format!(
                "the path component '{}' has '{separator}' between letters or digits; \
                 only '.', '_', '__' or dashes may join them",
                shown(component)
            ));
        }
    }
    Ok(())
}

/// Checks a tag: 1 to 128 ASCII letters, digits, `_`, `.` and `-`, not
/// starting with `.` or `-`. Tags are case-sensitive.
pub fn validate_tag(tag: &str) -> Result<(), FormatError> {
    let invalid = |why: String| FormatError(format!("'{}' is not a valid tag: {why}", shown(tag)));
    if tag.is_empty() {
        return Err(FormatError("a tag can't be empty".into()));
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(invalid(format!(
            "it is {} characters long; the longest accepted is {MAX_TAG_LEN}",
            tag.chars().count()
        )));
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(invalid(format!(
            "it contains the character {bad:?}; use ASCII letters, digits, '_', '.' and '-'"
        )));
    }
    if tag.starts_with(['.', '-']) {
        return Err(invalid("it must not start with '.' or '-'".into()));
    }
    Ok(())
}

/// What follows `/manifests/`: a tag or a digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reference {
    /// A tag (`1.0`, `latest`).
    Tag(String),
    /// A manifest digest (`sha256:…`).
    Digest(Digest),
}

impl Reference {
    /// Parses a reference: with a `:` it is a digest, without one a tag
    /// (tags can't contain `:`).
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        if s.contains(':') {
            Digest::parse(s).map(Self::Digest)
        } else {
            validate_tag(s)?;
            Ok(Self::Tag(s.to_owned()))
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => f.write_str(tag),
            Self::Digest(digest) => digest.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_repository_names_of_the_grammar() {
        for name in [
            "a",
            "web",
            "acme/web",
            "library/ubuntu",
            "a/b/c/d/e",
            "my_app",
            "my__app",
            "my.app",
            "my-app",
            "my---app",
            "a1/2b/0",
            "blobs/manifests/tags",
            "a.b_c__d-e--f/g",
        ] {
            assert_eq!(validate_repository(name), Ok(()), "{name}");
        }
        assert_eq!(validate_repository(&"a".repeat(MAX_REPOSITORY_LEN)), Ok(()));
        let nested = format!("{}/{}", "a".repeat(127), "b".repeat(127));
        assert_eq!(validate_repository(&nested), Ok(()));
    }

    #[test]
    fn refuses_names_outside_the_grammar() {
        let too_long = "a".repeat(MAX_REPOSITORY_LEN + 1);
        for (name, message) in [
            ("", "can't be empty"),
            (
                too_long.as_str(),
                "256 characters long; the longest accepted is 255",
            ),
            (
                "Acme/web",
                "'Acme/web' is not a valid repository name: it contains the upper-case letter 'A'",
            ),
            ("acme/Web", "upper-case letter 'W'"),
            ("acme web", "the character ' '"),
            ("acme:web", "the character ':'"),
            ("acme/wéb", "the character 'é'"),
            ("/acme", "empty path component"),
            ("acme/", "empty path component"),
            ("acme//web", "empty path component"),
            ("-acme", "must start and end with a letter or digit"),
            ("acme/web_", "must start and end with a letter or digit"),
            ("acme/.web", "must start and end with a letter or digit"),
            ("my___app", "has '___' between"),
            ("my..app", "has '..' between"),
            ("my._app", "has '._' between"),
            ("my-_app", "has '-_' between"),
            ("my_-app", "has '_-' between"),
            ("my.-app", "has '.-' between"),
        ] {
            let error = validate_repository(name).expect_err(name);
            assert!(error.0.contains(message), "{name}: {error}");
        }
    }

    #[test]
    fn tags_follow_the_grammar() {
        for tag in [
            "latest",
            "1.0",
            "v1.2.3-rc.1",
            "_",
            "_private",
            "A_b.C-d",
            "1.0--x",
        ] {
            assert_eq!(validate_tag(tag), Ok(()), "{tag}");
        }
        assert_eq!(validate_tag(&"a".repeat(MAX_TAG_LEN)), Ok(()));
        let too_long = "a".repeat(MAX_TAG_LEN + 1);
        for (tag, message) in [
            ("", "can't be empty"),
            (too_long.as_str(), "129 characters long"),
            (".hidden", "must not start with '.' or '-'"),
            ("-x", "must not start with '.' or '-'"),
            ("1.0+build", "the character '+'"),
            ("a/b", "the character '/'"),
            ("a:b", "the character ':'"),
            ("a b", "the character ' '"),
        ] {
            let error = validate_tag(tag).expect_err(tag);
            assert!(error.0.contains(message), "{tag}: {error}");
        }
    }

    #[test]
    fn references_are_tags_or_digests() {
        assert_eq!(Reference::parse("1.0"), Ok(Reference::Tag("1.0".into())));
        assert_eq!(Reference::parse("Latest"), Ok(Reference::Tag("Latest".into())));
        let digest = Digest::sha256_of(b"x");
        assert_eq!(
            Reference::parse(&digest.to_string()),
            Ok(Reference::Digest(digest.clone()))
        );
        assert_eq!(Reference::Digest(digest.clone()).to_string(), digest.to_string());
        assert_eq!(Reference::Tag("v1".into()).to_string(), "v1");
        assert!(Reference::parse("sha256:abc")
            .expect_err("short")
            .0
            .contains("64 lower-case hex"));
        assert!(Reference::parse(".x")
            .expect_err("bad tag")
            .0
            .contains("not a valid tag"));
        assert!(Reference::parse("").is_err());
    }
}
