//! Small pieces of presentation the templates share: dates, sizes, links.

use gantry_store::time::format_millis;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use time::macros::format_description;
use time::OffsetDateTime;

/// A moment, for a `<time>` element: the page's script shows it in the
/// viewer's time zone; the UTC text stays in the title for hovering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct When {
    /// RFC 3339, for the `datetime` attribute.
    pub iso: String,
    /// `2026-11-24 13:05:09 UTC`, shown until the script runs and on hover.
    pub utc: String,
}

impl When {
    /// From Unix milliseconds.
    pub fn at(millis: i64) -> Self {
        let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
                ))
                .ok()
            })
            .unwrap_or_default();
        Self {
            iso: format_millis(millis),
            utc,
        }
    }
}

/// A byte count for people: `512 B`, `1.4 KB`, `3.0 MB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Display only: a few significant digits are all that is shown.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Characters kept as they are in a path segment or query value.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or a query value.
pub fn enc(text: &str) -> String {
    utf8_percent_encode(text, KEEP).to_string()
}

/// The page of a feed.
pub fn feed_link(feed: &str) -> String {
    format!("/feeds/{}", enc(feed))
}

/// The page of a package (every version).
pub fn package_link(feed: &str, group: &str, name: &str) -> String {
    let mut link = format!("/feeds/{}/packages/{}", enc(feed), enc(name));
    if !group.is_empty() {
        link.push_str("?group=");
        link.push_str(&enc(group));
    }
    link
}

/// The page of a package version; `tab` adds `tab=...`.
pub fn version_link(feed: &str, group: &str, name: &str, version: &str, tab: Option<&str>) -> String {
    let mut link = format!("/feeds/{}/packages/{}/{}", enc(feed), enc(name), enc(version));
    let mut query = Vec::new();
    if !group.is_empty() {
        query.push(format!("group={}", enc(group)));
    }
    if let Some(tab) = tab {
        query.push(format!("tab={}", enc(tab)));
    }
    if !query.is_empty() {
        link.push('?');
        link.push_str(&query.join("&"));
    }
    link
}

/// `link` with `name=value` added to its query string (value encoded).
pub fn with_param(link: &str, name: &str, value: &str) -> String {
    let separator = if link.contains('?') { '&' } else { '?' };
    format!("{link}{separator}{name}={}", enc(value))
}

/// How a package is named in its ecosystem: `@scope/name` for npm,
/// `group/name` for universal packages, the name alone otherwise.
pub fn display_name(group: &str, name: &str) -> String {
    crate::connectors::view::full_name(group, name)
}

/// A feed usage as people name it.
pub fn usage_label(usage: gantry_core::FeedUsage) -> &'static str {
    use gantry_core::FeedUsage as U;
    match usage {
        U::Private => "Private (internal packages)",
        U::Proxy => "Unapproved (proxies a public registry)",
        U::Validated => "Validated / promoted",
        U::Mixed => "Mixed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(3 * 1024 * 1024), "3.0 MB");
    }

    #[test]
    fn links_encode_every_part() {
        assert_eq!(
            version_link("my feed", "@acme", "a/b", "1.0.0+build", Some("history")),
            "/feeds/my%20feed/packages/a%2Fb/1.0.0%2Bbuild?group=%40acme&tab=history"
        );
        assert_eq!(
            package_link("f", "", "Newtonsoft.Json"),
            "/feeds/f/packages/Newtonsoft.Json"
        );
    }

    #[test]
    fn times_carry_utc_for_hovering() {
        let when = When::at(1_589_463_015_000);
        assert_eq!(when.iso, "2020-05-14T13:30:15Z");
        assert_eq!(when.utc, "2020-05-14 13:30:15 UTC");
    }
}
