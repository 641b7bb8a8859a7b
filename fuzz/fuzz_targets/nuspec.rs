//! Feeds arbitrary bytes to the `.nuspec` parser. It must never panic, and
//! whatever it accepts must survive the trip through JSON that the server
//! makes when it stores a package's metadata, and keep a version that parses.

#![no_main]

use gantry_formats::nuget::{parse_nuspec, validate_id, NuGetVersion, Nuspec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(nuspec) = parse_nuspec(data) else {
        return;
    };
    let json = serde_json::to_value(&nuspec).expect("a parsed nuspec serialises to JSON");
    let back: Nuspec = serde_json::from_value(json).expect("the JSON of a nuspec reads back");
    assert_eq!(back, nuspec, "the JSON round trip changed the nuspec");

    assert!(validate_id(&nuspec.id).is_ok(), "an accepted id is valid");
    let version = nuspec.parsed_version().expect("the stored version parses");
    assert_eq!(
        version.to_full_string(),
        nuspec.version,
        "the stored version is normalised"
    );
    let original = NuGetVersion::parse(&nuspec.original_version).expect("the original version parses");
    assert_eq!(original, version);
    assert_eq!(original.key(), version.key());
    let _ = nuspec.is_semver2();
});
