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

/// A request body that sends the first `head` bytes at once and the rest in
/// 64 KiB pieces every 200 ms: an upload still in flight for as long as a
/// test needs to interrupt it.
pub fn trickle_body(bytes: Vec<u8>, head: usize) -> reqwest::Body {
    use futures::StreamExt;
    let mut first = bytes;
    let rest = first.split_off(head.min(first.len()));
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
        futures::stream::unfold(rest, |rest| async move {
            if rest.is_empty() {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let n = rest.len().min(64 * 1024);
            Some((Ok(rest[..n].to_vec()), rest[n..].to_vec()))
        }),
    );
    reqwest::Body::wrap_stream(stream)
}
