//! Feeds arbitrary text to the NuGet v2 OData `$filter` parser of
//! gantry-server (`package_types/nuget/protocol/v2/filter.rs`), compiled here from its own
//! source file so that the fuzz build does not build the whole server (and
//! its database drivers) with sanitizers. The file needs one thing from its
//! neighbours, `query::Row`; a stand-in with the same fields is given below.
//! Parsing must never panic; what parses is evaluated against a row and
//! asked for the ids it names.

#![no_main]

use gantry_formats::nuget::{NuGetVersion, Nuspec};
use libfuzzer_sys::fuzz_target;

/// The stand-in for `gantry-server`'s `feeds::nuget::v2::query`, which
/// `filter.rs` reaches as `super::query`.
#[allow(dead_code)]
mod query {
    use gantry_formats::nuget::{NuGetVersion, Nuspec};

    /// What the filter reads of a stored package row.
    pub struct Record {
        pub listed: bool,
    }

    /// The stand-in for `feeds::nuget::NuGetEntry`.
    pub struct NuGetEntry {
        pub record: Record,
        pub nuspec: Nuspec,
        pub version: NuGetVersion,
    }

    impl NuGetEntry {
        pub fn id(&self) -> &str {
            &self.nuspec.id
        }
    }

    /// The same fields as the server's `Row`.
    pub struct Row<'a> {
        pub entry: &'a NuGetEntry,
        pub is_latest: bool,
        pub is_absolute_latest: bool,
        pub id_downloads: i64,
    }
}

#[allow(dead_code)]
#[path = "../../crates/gantry-server/src/package_types/nuget/protocol/v2/filter.rs"]
mod filter;

use filter::Condition;
use query::{NuGetEntry, Record, Row};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(condition) = Condition::parse(text) else {
        return;
    };
    let entry = NuGetEntry {
        record: Record { listed: true },
        nuspec: Nuspec {
            id: "Acme.Hammer".into(),
            title: "Hammer".into(),
            tags: vec!["tools".into(), "İstanbul".into()],
            description: "Hits things. ß".into(),
            ..Nuspec::default()
        },
        version: NuGetVersion::parse("1.0.0-Beta.1+meta").expect("a valid version"),
    };
    let row = Row {
        entry: &entry,
        is_latest: false,
        is_absolute_latest: true,
        id_downloads: 0,
    };
    let _ = condition.matches(&row);
    let _ = condition.named_ids();
});
