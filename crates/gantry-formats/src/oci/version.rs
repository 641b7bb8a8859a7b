//! The order of tags, which are a repository's versions, and what makes one
//! a prerelease.
//!
//! Tags are free-form, so the order is a best effort that puts the tags
//! people call versions where they expect them:
//!
//! 1. names that are not versions (`main`, `edge`, `stable`), in byte order;
//! 2. versions: an optional `v`, numbers separated by dots, and an optional
//!    `-suffix` (`1.2`, `v1.10.0`, `2.0-rc1`, `1.25-alpine`), by their
//!    numbers (missing parts count as 0), then a suffixed tag before the
//!    plain one as in SemVer (`2.0-rc1` < `2.0`; `1.25-alpine` < `1.25` too),
//!    suffixes by natural order (`rc2` < `rc10`);
//! 3. `latest`, last: it is the newest by convention.
//!
//! Tags equal by these rules (`1.0` and `v1.0`, `1` and `1.0`) are ordered by
//! bytes, so that distinct tags never compare equal.

use std::cmp::Ordering;

/// Suffixes that mark a tag as a prerelease, compared case-insensitively.
const PRERELEASE_MARKERS: [&str; 7] = [
    "-rc",
    "-alpha",
    "-beta",
    "-dev",
    "-snapshot",
    "-preview",
    "-nightly",
];

/// Compares two tags by the order above.
pub fn compare_tags(a: &str, b: &str) -> Ordering {
    compare_classified(&classify(a), &classify(b)).then_with(|| a.cmp(b))
}

/// Whether a tag looks like a prerelease: it contains `-rc`, `-alpha`,
/// `-beta`, `-dev`, `-snapshot`, `-preview` or `-nightly`, in any case
/// (`1.0-rc1`, `2.0.0-beta.2`, `nightly-dev`). Anything else is stable,
/// `latest` included.
pub fn is_prerelease_tag(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    PRERELEASE_MARKERS.iter().any(|marker| lower.contains(marker))
}

/// A tag sorted into its class.
enum Tag<'a> {
    Name,
    Version {
        /// The dot-separated numbers, all digits and not empty.
        numbers: Vec<&'a str>,
        /// What follows the first `-`, if there is one.
        suffix: Option<&'a str>,
    },
    Latest,
}

impl Tag<'_> {
    fn rank(&self) -> u8 {
        match self {
            Tag::Name => 0,
            Tag::Version { .. } => 1,
            Tag::Latest => 2,
        }
    }
}

fn classify(tag: &str) -> Tag<'_> {
    if tag == "latest" {
        return Tag::Latest;
    }
    let unprefixed = tag.strip_prefix('v').unwrap_or(tag);
    let (core, suffix) = match unprefixed.split_once('-') {
        Some((core, suffix)) => (core, Some(suffix)),
        None => (unprefixed, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let all_numbers = numbers
        .iter()
        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if all_numbers {
        Tag::Version { numbers, suffix }
    } else {
        Tag::Name
    }
}

fn compare_classified(a: &Tag<'_>, b: &Tag<'_>) -> Ordering {
    match (a, b) {
        (
            Tag::Version {
                numbers: a_numbers,
                suffix: a_suffix,
            },
            Tag::Version {
                numbers: b_numbers,
                suffix: b_suffix,
            },
        ) => {
            let parts = a_numbers.len().max(b_numbers.len());
            let numbers = (0..parts)
                .map(|i| {
                    let a = a_numbers.get(i).copied().unwrap_or("0");
                    let b = b_numbers.get(i).copied().unwrap_or("0");
                    compare_digits(a, b)
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal);
            numbers.then_with(|| match (a_suffix, b_suffix) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => compare_natural(a, b),
            })
        }
        // Names compare by bytes, left to the caller's tie-break.
        _ => a.rank().cmp(&b.rank()),
    }
}

/// Compares two runs of ASCII digits as numbers, however long.
fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two strings piece by piece, digit runs as numbers and the rest
/// by bytes: `rc2` < `rc10`.
fn compare_natural(a: &str, b: &str) -> Ordering {
    let mut a_pieces = pieces(a);
    let mut b_pieces = pieces(b);
    loop {
        match (a_pieces.next(), b_pieces.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => {
                let both_digits = a.starts_with(|c: char| c.is_ascii_digit())
                    && b.starts_with(|c: char| c.is_ascii_digit());
                let order = if both_digits {
                    compare_digits(a, b)
                } else {
                    a.cmp(b)
                };
                if order.is_ne() {
                    return order;
                }
            }
        }
    }
}

/// Splits a string into runs of digits and runs of other characters.
fn pieces(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let digits = rest.chars().next()?.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(tags: &[&'static str]) -> Vec<&'static str> {
        let mut tags = tags.to_vec();
        tags.sort_by(|a, b| compare_tags(a, b));
        tags
    }

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(
            sorted(&["1.10", "1.9", "1.2.3", "v1.2.10", "2", "0.1", "10.0"]),
            ["0.1", "1.2.3", "v1.2.10", "1.9", "1.10", "2", "10.0"]
        );
        assert_eq!(compare_tags("1.0", "1"), Ordering::Greater);
        assert_eq!(compare_tags("1", "1.0"), Ordering::Less);
        assert_eq!(compare_tags("v1.0", "1.0"), Ordering::Greater);
        assert_eq!(compare_tags("1.0", "1.0"), Ordering::Equal);
        assert_eq!(
            compare_tags("99999999999999999999999", "100000000000000000000000"),
            Ordering::Less
        );
        assert_eq!(compare_tags("1.01", "1.1"), Ordering::Less);
    }

    #[test]
    fn suffixes_sort_before_the_plain_version() {
        assert_eq!(
            sorted(&["2.0", "2.0-rc10", "2.0-rc2", "2.0-beta", "1.9", "2.0.1-alpha"]),
            ["1.9", "2.0-beta", "2.0-rc2", "2.0-rc10", "2.0", "2.0.1-alpha"]
        );
        assert_eq!(compare_tags("1.25-alpine", "1.25"), Ordering::Less);
        assert_eq!(compare_tags("1.25-alpine", "1.24"), Ordering::Greater);
        assert_eq!(compare_tags("1.0-", "1.0"), Ordering::Less);
    }

    #[test]
    fn names_first_and_latest_last() {
        assert_eq!(
            sorted(&["latest", "2.0", "main", "edge", "1.0", "v", "v.1", "1.x", "Latest"]),
            ["1.x", "Latest", "edge", "main", "v", "v.1", "1.0", "2.0", "latest"]
        );
    }

    #[test]
    fn prereleases() {
        for tag in [
            "1.0-rc1",
            "2.0.0-beta.2",
            "1.0-ALPHA",
            "3-dev",
            "1.0-SNAPSHOT",
            "5-preview1",
            "edge-nightly",
        ] {
            assert!(is_prerelease_tag(tag), "{tag}");
        }
        for tag in ["latest", "1.0", "1.25-alpine", "rc1", "main", "beta", "1.0_rc1"] {
            assert!(!is_prerelease_tag(tag), "{tag}");
        }
    }

    #[test]
    fn natural_order() {
        assert_eq!(compare_natural("rc2", "rc10"), Ordering::Less);
        assert_eq!(compare_natural("a", "a1"), Ordering::Less);
        assert_eq!(compare_natural("alpine3.19", "alpine3.9"), Ordering::Greater);
        assert_eq!(compare_natural("", ""), Ordering::Equal);
        assert_eq!(pieces("ab12c").collect::<Vec<_>>(), ["ab", "12", "c"]);
    }
}
