//! Feeds arbitrary bytes to the `upack.json` parser. It must never panic, and
//! what it accepts must have a valid name, group and SemVer 2 version, and
//! parse again from its own JSON.

#![no_main]

use gantry_core::SemVer2;
use gantry_formats::upack::{validate_group, validate_name, UpackManifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = UpackManifest::parse(data) else {
        return;
    };
    assert!(validate_name(&manifest.name).is_ok(), "an accepted name is valid");
    assert!(
        validate_group(&manifest.group).is_ok(),
        "an accepted group is valid"
    );
    assert!(
        SemVer2::parse(&manifest.version).is_ok(),
        "an accepted version parses"
    );
    let json = serde_json::to_vec(&manifest.document).expect("a parsed document serialises");
    let again = UpackManifest::parse(&json).expect("the document served back parses again");
    assert_eq!(again, manifest);
});
