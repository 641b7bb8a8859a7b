//! Building `.upack` files for tests.

use std::io::{Cursor, Write};

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

/// A zip with the given entries.
pub fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .expect("zip entry");
        writer.write_all(body).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

/// A `.upack` with the given manifest and one content file.
pub fn upack_with_manifest(manifest: &Value, content: &[u8]) -> Vec<u8> {
    let manifest = serde_json::to_vec(manifest).expect("manifest JSON");
    zip_with(&[("upack.json", &manifest), ("package/content.bin", content)])
}

/// A `.upack` for `group/name` `version` ("" for no group) with `content`.
pub fn upack(group: &str, name: &str, version: &str, content: &[u8]) -> Vec<u8> {
    let mut manifest = json!({"name": name, "version": version, "title": format!("{name} title")});
    if !group.is_empty() {
        manifest["group"] = json!(group);
    }
    upack_with_manifest(&manifest, content)
}

/// `len` bytes of deterministic, incompressible noise (xorshift64).
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}
