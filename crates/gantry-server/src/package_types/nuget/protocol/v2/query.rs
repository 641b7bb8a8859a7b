//! The query string of an OData request (`$filter`, `$orderby`, `$skip`,
//! `$top`, `$inlinecount` and the function parameters), and what it does to
//! a list of versions: filtering, ordering and paging.

use std::cmp::Ordering;

use crate::api::extract::count_param;
use crate::error::{ApiError, ApiResult};
use crate::package_types::nuget::protocol::{NuGetEntry, VersionFilter};

use super::filter::Condition;

/// The most entries one page holds, and the page size when `$top` is absent.
pub const MAX_PAGE: usize = 100;

/// One version as a query sees it: the entry and what depends on its
/// siblings (which version is latest, the id's total downloads).
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// The version.
    pub entry: &'a NuGetEntry,
    /// The highest listed stable version of its id.
    pub is_latest: bool,
    /// The highest listed version of its id, prereleases included.
    pub is_absolute_latest: bool,
    /// Downloads of every version of its id.
    pub id_downloads: i64,
}

impl Row<'_> {
    /// Publication time as the feed shows it: unlisted versions are
    /// published "in 1900", which is how v2 clients recognise them.
    pub fn published_millis(&self) -> Option<i64> {
        self.entry.record.listed.then_some(self.entry.record.published_at)
    }
}

/// The rows of one id's versions (`versions` oldest first, as
/// [`crate::package_types::nuget::protocol::versions_of`] returns them): those the client's
/// `semVerLevel` lets it see, with the latest flags computed among them.
pub fn rows_of(versions: &[NuGetEntry], semver2: bool) -> Vec<Row<'_>> {
    let id_downloads = versions.iter().map(|v| v.record.downloads).sum();
    let visible: Vec<&NuGetEntry> = versions.iter().filter(|e| semver2 || !e.is_semver2()).collect();
    let latest = visible
        .iter()
        .rposition(|e| e.record.listed && !e.version.is_prerelease());
    let absolute_latest = visible.iter().rposition(|e| e.record.listed);
    visible
        .into_iter()
        .enumerate()
        .map(|(index, entry)| Row {
            entry,
            is_latest: latest == Some(index),
            is_absolute_latest: absolute_latest == Some(index),
            id_downloads,
        })
        .collect()
}

/// A property results may be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKey {
    Id,
    Version,
    Title,
    DownloadCount,
    VersionDownloadCount,
    Published,
    LastUpdated,
}

impl OrderKey {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" => Self::Id,
            "version" | "normalizedversion" => Self::Version,
            "title" => Self::Title,
            "downloadcount" => Self::DownloadCount,
            "versiondownloadcount" => Self::VersionDownloadCount,
            "published" => Self::Published,
            // Gantry keeps one date per version: it was created, published and last updated then.
            "lastupdated" | "created" => Self::LastUpdated,
            _ => return None,
        })
    }

    fn compare(self, a: &Row<'_>, b: &Row<'_>) -> Ordering {
        match self {
            Self::Id => a.entry.record.key.name_key.cmp(&b.entry.record.key.name_key),
            Self::Version => a.entry.version.cmp(&b.entry.version),
            Self::Title => a
                .entry
                .title()
                .to_lowercase()
                .cmp(&b.entry.title().to_lowercase()),
            Self::DownloadCount => a.id_downloads.cmp(&b.id_downloads),
            Self::VersionDownloadCount => a.entry.record.downloads.cmp(&b.entry.record.downloads),
            Self::Published => a.published_millis().cmp(&b.published_millis()),
            Self::LastUpdated => a.entry.record.published_at.cmp(&b.entry.record.published_at),
        }
    }
}

/// The query string of a request, decoded.
#[derive(Debug, Default)]
pub struct ODataQuery {
    /// `(raw key, raw value)` as sent, to build the next page's link.
    raw: Vec<(String, String)>,
    /// `(key, value)` decoded.
    decoded: Vec<(String, String)>,
}

impl ODataQuery {
    /// Splits a raw query string; a malformed percent-escape is kept as sent.
    pub fn new(query: Option<&str>) -> Self {
        let mut out = Self::default();
        for part in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
            out.raw.push((raw_key.to_owned(), raw_value.to_owned()));
            out.decoded.push((decode(raw_key), decode(raw_value)));
        }
        out
    }

    /// The first value of a parameter, its name matched ignoring case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.decoded
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Which versions the client's `semVerLevel` (and, for search,
    /// `includePrerelease`) lets through.
    pub fn version_filter(&self) -> VersionFilter {
        VersionFilter::from_params(
            self.get("includePrerelease").map(unquote_lenient),
            self.get("semVerLevel").map(unquote_lenient),
        )
    }

    /// A function parameter that must be an OData text literal (`id='x'`).
    pub fn required_text(&self, name: &str) -> ApiResult<String> {
        let raw = self.get(name).ok_or_else(|| {
            ApiError::bad_request(format!("The parameter {name} is required, as {name}='...'."))
        })?;
        text_literal(raw).ok_or_else(|| {
            ApiError::bad_request(format!(
                "The parameter {name} must be a quoted text, as {name}='...' (got {raw})."
            ))
        })
    }

    /// A text parameter, quoted (`searchTerm='x'`) or not; "" when absent.
    pub fn lenient_text(&self, name: &str) -> String {
        self.get(name)
            .map(|raw| text_literal(raw).unwrap_or_else(|| raw.trim().to_owned()))
            .unwrap_or_default()
    }

    /// A boolean parameter (`includePrerelease=true`); false when absent.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| unquote_lenient(v).eq_ignore_ascii_case("true"))
    }

    /// `$filter`, parsed; `None` when absent or empty.
    pub fn filter(&self) -> ApiResult<Option<Condition>> {
        match self.get("$filter").map(str::trim).filter(|f| !f.is_empty()) {
            None => Ok(None),
            Some(source) => Condition::parse(source).map(Some).map_err(|reason| {
                ApiError::bad_request(format!("The $filter '{source}' is not supported: {reason}."))
            }),
        }
    }

    /// `$orderby`, parsed: `Id, Version desc`.
    pub fn order(&self) -> ApiResult<Vec<(OrderKey, bool)>> {
        let Some(source) = self.get("$orderby").map(str::trim).filter(|o| !o.is_empty()) else {
            return Ok(Vec::new());
        };
        let bad = |reason: &str| {
            ApiError::bad_request(format!("The $orderby '{source}' is not supported: {reason}."))
        };
        source
            .split(',')
            .map(|clause| {
                let mut words = clause.split_whitespace();
                let name = words.next().ok_or_else(|| bad("a clause is empty"))?;
                let key = OrderKey::parse(name).ok_or_else(|| bad(&format!("cannot order by '{name}'")))?;
                let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(other) => return Err(bad(&format!("'{other}' is neither asc nor desc"))),
                };
                if let Some(extra) = words.next() {
                    return Err(bad(&format!("unexpected '{extra}'")));
                }
                Ok((key, descending))
            })
            .collect()
    }

    fn number(&self, name: &str) -> ApiResult<Option<usize>> {
        count_param(name, self.get(name))
    }

    /// `$skip` and `$top`.
    pub fn paging(&self) -> ApiResult<(usize, Option<usize>)> {
        Ok((self.number("$skip")?.unwrap_or(0), self.number("$top")?))
    }

    /// `$inlinecount=allpages`.
    pub fn inline_count(&self) -> ApiResult<bool> {
        match self.get("$inlinecount").map(str::trim) {
            None | Some("" | "none") => Ok(false),
            Some("allpages") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "$inlinecount must be allpages or none, not '{other}'."
            ))),
        }
    }

    /// The query string with `$skip` and `$top` replaced (or added), the
    /// rest as the client sent it.
    pub fn with_paging(&self, skip: usize, top: Option<usize>) -> String {
        let mut parts: Vec<String> = self
            .raw
            .iter()
            .zip(&self.decoded)
            .filter(|(_, (key, _))| !key.eq_ignore_ascii_case("$skip") && !key.eq_ignore_ascii_case("$top"))
            .map(|((key, value), _)| format!("{key}={value}"))
            .collect();
        if let Some(top) = top {
            parts.push(format!("$top={top}"));
        }
        parts.push(format!("$skip={skip}"));
        parts.join("&")
    }
}

fn decode(raw: &str) -> String {
    // One `k=v` pair through the form decoder: `+` is a space, `%xx` a byte.
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("k={raw}"))
        .ok()
        .and_then(|mut pairs| pairs.pop())
        .map_or_else(|| raw.to_owned(), |(_, value)| value)
}

/// The text of an OData literal `'...'` (`''` is a quote); `None` when not quoted.
pub fn text_literal(raw: &str) -> Option<String> {
    let inner = raw.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// The value with one pair of surrounding quotes removed, if any.
fn unquote_lenient(raw: &str) -> &str {
    let trimmed = raw.trim();
    trimmed
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or(trimmed)
}

/// Whether an entry matches every word of a `searchTerm`: a bare word in
/// its id, title, description, tags or authors; `id:`, `title:`,
/// `description:`, `tag:`/`tags:` and `author:`/`authors:` in that field
/// only. Case is ignored.
pub fn matches_search(entry: &NuGetEntry, search_term: &str) -> bool {
    let n = &entry.nuspec;
    let id = entry.id().to_lowercase();
    let title = n.title.to_lowercase();
    let description = n.description.to_lowercase();
    let tags: Vec<String> = n.tags.iter().map(|t| t.to_lowercase()).collect();
    let authors = n.authors.to_lowercase();
    search_term.split_whitespace().all(|word| {
        let word = word.to_lowercase();
        let (field, needle) = match word.split_once(':') {
            Some((field, needle)) if !needle.is_empty() => (Some(field.to_owned()), needle.to_owned()),
            _ => (None, word.clone()),
        };
        let in_tags = || tags.iter().any(|t| t.contains(&needle));
        match field.as_deref() {
            Some("id" | "packageid") => id.contains(&needle),
            Some("title") => title.contains(&needle),
            Some("description") => description.contains(&needle),
            Some("tag" | "tags") => in_tags(),
            Some("author" | "authors") => authors.contains(&needle),
            // A colon inside an ordinary word: match it as typed.
            _ => {
                id.contains(&word)
                    || title.contains(&word)
                    || description.contains(&word)
                    || tags.iter().any(|t| t.contains(&word))
                    || authors.contains(&word)
            }
        }
    })
}

/// Orders rows by the `$orderby` clauses, then by id and version.
pub fn sort(rows: &mut [Row<'_>], order: &[(OrderKey, bool)]) {
    rows.sort_by(|a, b| {
        order
            .iter()
            .map(|(key, descending)| {
                let ordering = key.compare(a, b);
                if *descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then_with(|| OrderKey::Id.compare(a, b))
            .then_with(|| OrderKey::Version.compare(a, b))
    });
}

/// One page of results.
#[derive(Debug)]
pub struct Page<'a> {
    /// The rows of the page.
    pub rows: Vec<Row<'a>>,
    /// How many rows matched in all.
    pub total: usize,
    /// The query string of the next page, when more rows remain.
    pub next: Option<String>,
}

/// Cuts the page that `$skip`/`$top` ask for, at most [`MAX_PAGE`] rows.
///
/// When rows remain after the page, the next page's query keeps the
/// client's page size (`$top`), as nuget.org does; when the server cut a
/// larger `$top` short, the next page asks for the rest of it.
pub fn page<'a>(rows: Vec<Row<'a>>, query: &ODataQuery) -> ApiResult<Page<'a>> {
    let (skip, top) = query.paging()?;
    let total = rows.len();
    let size = top.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    let page: Vec<Row<'a>> = rows.into_iter().skip(skip).take(size).collect();
    let end = skip.saturating_add(page.len());
    let next = (end < total && !page.is_empty()).then(|| {
        let next_top = top.map(|t| if t > page.len() { t - page.len() } else { t });
        query.with_paging(end, next_top)
    });
    Ok(Page {
        rows: page,
        total,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameters_as_clients_send_them() {
        let q = ODataQuery::new(Some(
            "$filter=IsLatestVersion&$orderby=Id&searchTerm=''&targetFramework=''&includePrerelease=false&$skip=0&$top=30&semVerLevel=2.0.0",
        ));
        assert_eq!(q.get("$FILTER"), Some("IsLatestVersion"));
        assert_eq!(q.lenient_text("searchTerm"), "");
        assert!(!q.flag("includePrerelease"));
        assert_eq!(q.paging().expect("valid"), (0, Some(30)));
        assert_eq!(q.order().expect("valid"), vec![(OrderKey::Id, false)]);
        let f = q.version_filter();
        assert!(f.semver2 && !f.prerelease);

        let q = ODataQuery::new(Some("id=%27Newtonsoft.Json%27&x=a+b"));
        assert_eq!(q.required_text("id").expect("quoted"), "Newtonsoft.Json");
        assert_eq!(q.get("x"), Some("a b"));
        let q = ODataQuery::new(Some("id=Newtonsoft.Json"));
        assert_eq!(q.required_text("id").expect_err("unquoted").status, 400);
        assert_eq!(text_literal("'it''s'"), Some("it's".into()));
    }

    #[test]
    fn order_and_paging_errors_are_400() {
        for query in [
            "$orderby=Size",
            "$orderby=Id sideways",
            "$orderby=Id,",
            "$skip=-1",
            "$top=x",
        ] {
            let q = ODataQuery::new(Some(query));
            let failed = q.order().is_err() || q.paging().is_err();
            assert!(failed, "{query}");
        }
        let q = ODataQuery::new(Some("$orderby=DownloadCount desc, Id"));
        assert_eq!(
            q.order().expect("valid"),
            vec![(OrderKey::DownloadCount, true), (OrderKey::Id, false)]
        );
        assert!(ODataQuery::new(Some("$inlinecount=some")).inline_count().is_err());
        assert!(ODataQuery::new(Some("$inlinecount=allpages"))
            .inline_count()
            .expect("valid"));
    }

    #[test]
    fn next_page_keeps_the_rest_of_the_query() {
        let q = ODataQuery::new(Some("$filter=Id%20eq%20%27a%27&$skip=0&$top=2&semVerLevel=2.0.0"));
        assert_eq!(
            q.with_paging(2, Some(2)),
            "$filter=Id%20eq%20%27a%27&semVerLevel=2.0.0&$top=2&$skip=2"
        );
        assert_eq!(ODataQuery::new(None).with_paging(100, None), "$skip=100");
    }
}
