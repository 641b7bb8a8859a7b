//! Feeds arbitrary bytes to the npm tarball reader as a whole `.tgz`: gzip
//! members, tar headers, pax and GNU extensions, and the `package.json`
//! inside. It must never panic, nor read past its bounds.

#![no_main]

use std::io::Cursor;

use gantry_formats::npm::read_tarball_from;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(contents) = read_tarball_from(Cursor::new(data)) {
        assert!(contents.package_json.is_object());
        assert_eq!(contents.package_json["name"], contents.name.as_str());
        assert_eq!(contents.package_json["version"], contents.version.as_str());
    }
});
