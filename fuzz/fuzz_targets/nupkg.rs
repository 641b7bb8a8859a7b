//! Feeds arbitrary bytes to the `.nupkg` reader as a whole file: the zip's
//! end records, central directory, entry names and the nuspec inside. It
//! must never panic; what it accepts names its nuspec after its id.

#![no_main]

use std::io::Cursor;

use gantry_formats::nuget::{parse_nuspec, read_package_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(contents) = read_package_from(Cursor::new(data)) else {
        return;
    };
    let stem = contents
        .nuspec_file_name
        .strip_suffix(".nuspec")
        .or_else(|| {
            contents
                .nuspec_file_name
                .get(..contents.nuspec_file_name.len() - 7)
        })
        .expect("an accepted nuspec ends in .nuspec");
    assert!(stem.eq_ignore_ascii_case(&contents.nuspec.id));
    assert_eq!(
        parse_nuspec(&contents.nuspec_xml).expect("the kept nuspec parses"),
        contents.nuspec
    );
});
