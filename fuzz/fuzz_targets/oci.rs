//! Feeds arbitrary bytes to the OCI readers of client input: as a manifest
//! (with and without a Content-Type), and as text to the registry path,
//! digest, tag and token-scope parsers. None may panic. An accepted
//! manifest's references are valid digests of the kind it names; an
//! accepted path names a valid repository; an accepted digest prints back
//! to itself; the tag order is a total order on accepted tags.

#![no_main]

use std::cmp::Ordering;

use gantry_formats::oci::{
    compare_tags, parse_manifest, parse_registry_path, parse_scope, validate_repository, validate_tag, Digest,
    ManifestKind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for content_type in [None, Some("application/vnd.oci.image.manifest.v1+json")] {
        if let Ok(manifest) = parse_manifest(data, content_type) {
            match manifest.kind {
                ManifestKind::Image => assert!(manifest.manifests.is_empty(), "an image lists no manifests"),
                ManifestKind::Index => assert!(
                    manifest.config.is_none() && manifest.layers.is_empty(),
                    "an index has no config or layers"
                ),
            }
            for reference in manifest.references() {
                let text = reference.digest.to_string();
                assert_eq!(Digest::parse(&text).as_ref(), Ok(&reference.digest), "{text}");
            }
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = parse_registry_path(text) {
        assert!(validate_repository(&path.repository).is_ok(), "{text}");
    }
    if let Ok(digest) = Digest::parse(text) {
        assert_eq!(digest.to_string(), text, "a digest prints back as written");
        assert_eq!(digest.hex().len(), digest.algorithm().hex_len());
    }
    let _ = parse_scope(text);
    let tags: Vec<&str> = text.split('/').filter(|t| validate_tag(t).is_ok()).collect();
    for a in &tags {
        assert_eq!(compare_tags(a, a), Ordering::Equal);
        for b in &tags {
            assert_eq!(compare_tags(a, b), compare_tags(b, a).reverse(), "{a} {b}");
        }
    }
});
