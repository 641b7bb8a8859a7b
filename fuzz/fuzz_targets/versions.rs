//! Feeds arbitrary text to the version parsers (SemVer 2 for universal and
//! npm packages, NuGet's), which also parse versions from URLs. They must
//! never panic, and order, equality and keys must agree.

#![no_main]

use std::cmp::Ordering;

use gantry_core::SemVer2;
use gantry_formats::nuget::NuGetVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Two versions separated by a newline, to compare them.
    let (a, b) = text.split_once('\n').unwrap_or((text, "1.0.0"));
    if let (Ok(x), Ok(y)) = (SemVer2::parse(a), SemVer2::parse(b)) {
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        assert_eq!(SemVer2::parse(&x.key()).map(|v| v.key()), Ok(x.key()));
    }
    if let (Ok(x), Ok(y)) = (NuGetVersion::parse(a), NuGetVersion::parse(b)) {
        let order = x.cmp(&y);
        assert_eq!(order, y.cmp(&x).reverse());
        assert_eq!(
            order == Ordering::Equal,
            x.key() == y.key(),
            "order and key agree"
        );
        assert_eq!(order == Ordering::Equal, x == y);
        let normalized = NuGetVersion::parse(&x.to_full_string()).expect("a normalised version parses");
        assert_eq!(normalized, x);
    }
    let _ = gantry_formats::npm::version_key(a);
});
