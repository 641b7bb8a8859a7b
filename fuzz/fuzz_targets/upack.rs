//! Feeds arbitrary bytes to the `.upack` reader as a whole file: the zip's
//! end records, central directory, entry names and the `upack.json` inside.
//! It must never panic, nor read past its bounds.

#![no_main]

use std::io::Cursor;

use gantry_formats::upack::{read_package_from, validate_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = read_package_from(Cursor::new(data)) {
        assert!(validate_name(&manifest.name).is_ok(), "an accepted name is valid");
    }
});
