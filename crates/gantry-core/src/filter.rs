//! Package filters: which packages a connector lets through.
//!
//! A filter list is an ordered list of wildcard patterns on package names
//! (`Newtonsoft.*`, `@acme/*`, `acme/tools/*`); a pattern prefixed with `!`
//! blocks what it matches. The **last** pattern that matches a name decides,
//! as in `.gitignore`. A name no pattern matches is let through when the list
//! has no allowing pattern at all (a list of blocks only), and blocked
//! otherwise (a list that names what it allows). An empty list lets
//! everything through. `*` matches any run of characters, `?` exactly one;
//! matching ignores ASCII case, since NuGet ids do.

use std::fmt;

/// The longest pattern accepted.
pub const MAX_PATTERN_LEN: usize = 250;

/// A pattern is malformed; the message says why.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FilterError(pub String);

/// One pattern of a filter list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFilter {
    /// Whether a match lets the package through (`false`: the `!` form).
    pub allow: bool,
    /// The wildcard pattern, without its `!`.
    pub pattern: String,
}

impl fmt::Display for PackageFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.allow {
            f.write_str("!")?;
        }
        f.write_str(&self.pattern)
    }
}

impl PackageFilter {
    /// Reads `pattern` or `!pattern`.
    pub fn parse(raw: &str) -> Result<Self, FilterError> {
        let (allow, pattern) = match raw.strip_prefix('!') {
            Some(rest) => (false, rest),
            None => (true, raw),
        };
        if pattern.is_empty() {
            return Err(FilterError(format!("filter '{raw}' has no pattern")));
        }
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(FilterError(format!(
                "filter '{}…' is longer than {MAX_PATTERN_LEN} characters",
                pattern.chars().take(20).collect::<String>()
            )));
        }
        if let Some(bad) = pattern
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '!')
        {
            return Err(FilterError(format!(
                "filter '{}' contains {bad:?}; patterns are package names with * and ?, and only a leading ! blocks",
                raw.escape_debug()
            )));
        }
        Ok(Self {
            allow,
            pattern: pattern.to_owned(),
        })
    }

    /// Whether the pattern matches `name` (ASCII case ignored).
    pub fn matches(&self, name: &str) -> bool {
        wildcard_match(self.pattern.as_bytes(), name.as_bytes())
    }
}

/// An ordered filter list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageFilters(Vec<PackageFilter>);

impl PackageFilters {
    /// Reads a list of patterns, refusing the first malformed one.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, FilterError> {
        raw.iter()
            .map(|p| PackageFilter::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// The patterns, in order.
    pub fn filters(&self) -> &[PackageFilter] {
        &self.0
    }

    /// The patterns as written (`!` for blocks), in order.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Whether `name` gets through (see the module documentation).
    pub fn allows(&self, name: &str) -> bool {
        match self.0.iter().rev().find(|f| f.matches(name)) {
            Some(last) => last.allow,
            None => !self.0.iter().any(|f| f.allow),
        }
    }
}

/// `*` and `?` wildcard matching, ASCII case-insensitive, in linear time for
/// the usual patterns (the classic backtrack-to-last-star method).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            // Let the last star swallow one more character and retry.
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(list: &[&str]) -> PackageFilters {
        PackageFilters::parse(list).expect("valid filters")
    }

    #[test]
    fn wildcards_match_whole_names_ignoring_case() {
        let cases = [
            ("Newtonsoft.*", "newtonsoft.json", true),
            ("Newtonsoft.*", "Newtonsoft", false),
            ("*.Beta", "Acme.Tools.beta", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("@acme/*", "@acme/widget", true),
            ("@acme/*", "@other/widget", false),
            ("*", "", true),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                PackageFilter::parse(pattern).expect("valid").matches(name),
                expected,
                "{pattern} ~ {name}"
            );
        }
    }

    #[test]
    fn the_last_matching_pattern_decides() {
        let list = filters(&["Newtonsoft.*", "!*.Beta"]);
        assert!(list.allows("Newtonsoft.Json"));
        assert!(
            !list.allows("Newtonsoft.Json.Beta"),
            "blocked by the later pattern"
        );
        assert!(
            !list.allows("Serilog"),
            "a list that names what it allows blocks the rest"
        );

        let blocks_only = filters(&["!*.Beta", "!Evil.*"]);
        assert!(blocks_only.allows("Serilog"));
        assert!(!blocks_only.allows("Evil.Package"));

        let reallowed = filters(&["!Acme.*", "Acme.Approved"]);
        assert!(reallowed.allows("Acme.Approved"));
        assert!(!reallowed.allows("Acme.Other"));
        assert!(!reallowed.allows("Serilog"));

        assert!(PackageFilters::default().allows("anything"));
    }

    #[test]
    fn malformed_patterns_are_refused_and_lists_round_trip() {
        for bad in ["", "!", "a b", "a!b", "!!a", &"x".repeat(251)] {
            assert!(PackageFilter::parse(bad).is_err(), "{bad:?}");
        }
        let list = filters(&["Newtonsoft.*", "!*.Beta"]);
        assert_eq!(list.to_strings(), ["Newtonsoft.*", "!*.Beta"]);
        assert_eq!(PackageFilters::parse(&list.to_strings()), Ok(list));
    }
}
