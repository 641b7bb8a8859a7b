//! Feeds arbitrary bytes to what the server does with a `package.json`: parse
//! it, split and check its name, key its version, abbreviate it for
//! installers. None of it may panic.

#![no_main]

use gantry_formats::npm::{
    abbreviate, has_install_script, parse_package_json, split_name, validate_new_name, version_key,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(contents) = parse_package_json(data) else {
        return;
    };
    let _ = split_name(&contents.name);
    let _ = validate_new_name(&contents.name);
    if let Ok(key) = version_key(&contents.version) {
        assert_eq!(
            version_key(&key).as_deref(),
            Ok(key.as_str()),
            "a version key is its own key"
        );
    }
    let abbreviated = abbreviate(&contents.package_json);
    assert_eq!(
        has_install_script(&contents.package_json),
        abbreviated.get("hasInstallScript").is_some()
    );
});
