//! Atom documents of the v2 feed: a feed of entries (`Packages()`,
//! `Search()`, `FindPackagesById()`) or one entry (`Packages(Id=,Version=)`).
//!
//! Each entry carries the OData properties of a `V2FeedPackage` in
//! `<m:properties>`, and the ones WCF Data Services maps onto Atom (id as
//! `<title>`, authors as `<author>`, summary, last update) in both places,
//! since older clients read the Atom elements and newer ones the properties.

use std::fmt::Write as _;

use base64::Engine as _;
use gantry_formats::nuget::Nuspec;
use time::macros::format_description;
use time::OffsetDateTime;

use super::query::{Page, Row};
use crate::package_types::nuget::protocol::FeedUrls;

/// The Atom namespace.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// The OData data namespace (`d:`).
pub const DATA_NS: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices";
/// The OData metadata namespace (`m:`).
pub const METADATA_NS: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
/// The scheme of an entry's `<category>`.
const SCHEME: &str = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme";
/// The entity type's full name, as `$metadata` declares it.
pub const ENTITY_TYPE: &str = "NuGetGallery.OData.V2FeedPackage";
/// What v2 clients read as "unlisted": nuget.org's convention.
const UNLISTED_PUBLISHED: &str = "1900-01-01T00:00:00";

/// Escapes text for an XML element or a double-quoted attribute. Characters
/// XML 1.0 cannot carry at all (most control characters) become U+FFFD, so
/// that a manifest's odd bytes never make the document unreadable.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Stored milliseconds as an OData `Edm.DateTime` in UTC, with milliseconds.
pub fn odata_date(millis: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

/// An entry's key segment: `Packages(Id='x',Version='1.0.0')`, quotes doubled.
pub fn entry_path(row: &Row<'_>) -> String {
    format!(
        "Packages(Id='{}',Version='{}')",
        row.entry.id().replace('\'', "''"),
        row.entry.version.to_normalized_string().replace('\'', "''")
    )
}

/// The `Dependencies` property: `id:range:framework` joined by `|`; a
/// framework group with no dependencies is `::framework`.
pub fn dependencies(nuspec: &Nuspec) -> String {
    let mut parts = Vec::new();
    for group in &nuspec.dependency_groups {
        if group.dependencies.is_empty() {
            if !group.target_framework.is_empty() {
                parts.push(format!("::{}", group.target_framework));
            }
            continue;
        }
        for dependency in &group.dependencies {
            let mut part = format!("{}:{}", dependency.id, dependency.range);
            if !group.target_framework.is_empty() {
                part.push(':');
                part.push_str(&group.target_framework);
            }
            parts.push(part);
        }
    }
    parts.join("|")
}

/// The hex SHA-512 of the `.nupkg` in base64, as v2 clients compare it.
fn package_hash(row: &Row<'_>) -> Option<String> {
    let hex = &row.entry.record.primary_file()?.sha512;
    let bytes = hex::decode(hex).ok().filter(|b| !b.is_empty())?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The license URL: the manifest's, else the public page of its license expression.
fn license_url(row: &Row<'_>) -> Option<String> {
    let n = &row.entry.nuspec;
    if !n.license_url.is_empty() {
        return Some(n.license_url.clone());
    }
    license_expression(row).map(|expression| format!("https://licenses.nuget.org/{expression}"))
}

fn license_expression<'a>(row: &Row<'a>) -> Option<&'a str> {
    row.entry
        .nuspec
        .license
        .as_ref()
        .filter(|l| l.kind.eq_ignore_ascii_case("expression") && !l.value.is_empty())
        .map(|l| l.value.as_str())
}

/// Builds the properties of one entry.
struct Properties(String);

impl Properties {
    fn text(&mut self, name: &str, value: &str) {
        let _ = write!(self.0, "<d:{name}>{}</d:{name}>", escape(value));
    }

    /// A text property that is `m:null` when empty.
    fn optional(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            let _ = write!(self.0, "<d:{name} m:null=\"true\"/>");
        } else {
            self.text(name, value);
        }
    }

    fn typed(&mut self, name: &str, edm_type: &str, value: &str) {
        let _ = write!(
            self.0,
            "<d:{name} m:type=\"{edm_type}\">{}</d:{name}>",
            escape(value)
        );
    }

    fn boolean(&mut self, name: &str, value: bool) {
        self.typed(name, "Edm.Boolean", if value { "true" } else { "false" });
    }
}

/// Appends one `<entry>`; `root_attributes` holds `xml:base` and the
/// namespaces when the entry is the document's root.
fn write_entry(out: &mut String, urls: &FeedUrls, row: &Row<'_>, root_attributes: &str) {
    let entry = row.entry;
    let n = &entry.nuspec;
    let root = urls.v2_root();
    let path = entry_path(row);
    let updated = odata_date(entry.record.published_at);
    let normalized = entry.version.to_normalized_string();
    let download = urls.v2_download(entry.id(), &normalized);
    let _ = write!(
        out,
        "<entry{root_attributes}><id>{}</id><category term=\"{ENTITY_TYPE}\" scheme=\"{SCHEME}\"/>\
         <link rel=\"edit\" title=\"V2FeedPackage\" href=\"{}\"/>\
         <title type=\"text\">{}</title><summary type=\"text\">{}</summary><updated>{updated}</updated>\
         <author><name>{}</name></author><content type=\"application/zip\" src=\"{}\"/>",
        escape(&format!("{root}{path}")),
        escape(&path),
        escape(entry.id()),
        escape(&n.summary),
        escape(&n.authors),
        escape(&download),
    );

    let mut p = Properties(String::new());
    p.text("Id", entry.id());
    p.text("Version", &entry.version.to_full_string());
    p.text("NormalizedVersion", &normalized);
    p.optional("Title", &n.title);
    p.optional("Description", &n.description);
    p.optional("Summary", &n.summary);
    p.optional("ReleaseNotes", &n.release_notes);
    p.optional("Authors", &n.authors);
    p.optional("Owners", &n.owners);
    p.optional("Copyright", &n.copyright);
    p.optional("Language", &n.language);
    p.optional("Tags", &n.tags.join(" "));
    p.optional("ProjectUrl", &n.project_url);
    p.optional("IconUrl", &n.icon_url);
    p.optional("LicenseUrl", &license_url(row).unwrap_or_default());
    p.optional("LicenseNames", license_expression(row).unwrap_or_default());
    p.boolean("RequireLicenseAcceptance", n.require_license_acceptance);
    p.boolean("DevelopmentDependency", n.development_dependency);
    p.text("Dependencies", &dependencies(n));
    p.optional("MinClientVersion", &n.min_client_version);
    p.boolean("IsLatestVersion", row.is_latest);
    p.boolean("IsAbsoluteLatestVersion", row.is_absolute_latest);
    p.boolean("IsPrerelease", entry.version.is_prerelease());
    p.boolean("Listed", entry.record.listed);
    let published = row
        .published_millis()
        .map_or_else(|| UNLISTED_PUBLISHED.to_owned(), odata_date);
    p.typed("Published", "Edm.DateTime", &published);
    p.typed("Created", "Edm.DateTime", &updated);
    p.typed("LastUpdated", "Edm.DateTime", &updated);
    // Edm.Int32, as the clients' models declare these counts.
    let int32 = |n: i64| n.clamp(0, i64::from(i32::MAX)).to_string();
    p.typed("DownloadCount", "Edm.Int32", &int32(row.id_downloads));
    p.typed(
        "VersionDownloadCount",
        "Edm.Int32",
        &int32(entry.record.downloads),
    );
    p.optional("PackageHash", &package_hash(row).unwrap_or_default());
    p.text("PackageHashAlgorithm", "SHA512");
    p.typed("PackageSize", "Edm.Int64", &entry.package_size().to_string());

    let _ = write!(out, "<m:properties>{}</m:properties></entry>", p.0);
}

fn namespaces(root: &str) -> String {
    format!(
        " xml:base=\"{}\" xmlns=\"{ATOM_NS}\" xmlns:d=\"{DATA_NS}\" xmlns:m=\"{METADATA_NS}\"",
        escape(root)
    )
}

/// The document of one entry.
pub fn entry_document(urls: &FeedUrls, row: &Row<'_>) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_entry(&mut out, urls, row, &namespaces(&urls.v2_root()));
    out.into_bytes()
}

/// The document of a page of entries. `title` names the collection or
/// function (`Packages`, `Search`), `path` is the requested segment, and
/// `count` is set for `$inlinecount=allpages`.
pub fn feed_document(urls: &FeedUrls, title: &str, path: &str, page: &Page<'_>, count: bool) -> Vec<u8> {
    let root = urls.v2_root();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = write!(out, "<feed{}>", namespaces(&root));
    if count {
        let _ = write!(out, "<m:count>{}</m:count>", page.total);
    }
    // The newest change among the entries, so that the same answer keeps
    // the same bytes (and ETag).
    let updated = page
        .rows
        .iter()
        .map(|r| r.entry.record.published_at)
        .max()
        .unwrap_or(0);
    let _ = write!(
        out,
        "<id>{}</id><title type=\"text\">{}</title><updated>{}</updated>\
         <link rel=\"self\" title=\"{}\" href=\"{}\"/>",
        escape(&format!("{root}{path}")),
        escape(title),
        odata_date(updated),
        escape(title),
        escape(path),
    );
    for row in &page.rows {
        write_entry(&mut out, urls, row, "");
    }
    if let Some(next) = &page.next {
        let _ = write!(
            out,
            "<link rel=\"next\" href=\"{}\"/>",
            escape(&format!("{root}{path}?{next}"))
        );
    }
    out.push_str("</feed>");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use gantry_formats::nuget::{Dependency, DependencyGroup};

    use super::*;

    #[test]
    fn escapes_markup_and_unrepresentable_characters() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("tab\tnl\nx\u{1}y"), "tab\tnl\nx\u{FFFD}y");
    }

    #[test]
    fn dependencies_are_id_range_framework() {
        let group = |framework: &str, ids: &[(&str, &str)]| DependencyGroup {
            target_framework: framework.into(),
            dependencies: ids
                .iter()
                .map(|(id, range)| Dependency {
                    id: (*id).into(),
                    range: (*range).into(),
                    ..Dependency::default()
                })
                .collect(),
        };
        let nuspec = Nuspec {
            dependency_groups: vec![
                group(".NETStandard2.0", &[("Newtonsoft.Json", "[13.0.1, )"), ("A", "")]),
                group("net8.0", &[]),
                group("", &[("B", "1.0.0")]),
            ],
            ..Nuspec::default()
        };
        assert_eq!(
            dependencies(&nuspec),
            "Newtonsoft.Json:[13.0.1, ):.NETStandard2.0|A::.NETStandard2.0|::net8.0|B:1.0.0"
        );
        assert_eq!(dependencies(&Nuspec::default()), "");
    }

    #[test]
    fn dates_are_utc_with_milliseconds() {
        assert_eq!(odata_date(1_701_152_626_920), "2023-11-28T06:23:46.920Z");
        assert_eq!(odata_date(0), "1970-01-01T00:00:00.000Z");
    }
}
