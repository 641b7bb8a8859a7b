//! Rendered protocol documents (NuGet registrations and version lists, and
//! later npm packuments), kept per feed revision.
//!
//! Every change to a feed's packages raises the feed's `package_revision` in
//! the same transaction, and every request reads the feed row anyway: a kept
//! document is served only while its revision is the one just read. That
//! makes the cache correct on every node of a cluster without any message
//! between nodes. A document rendered after the feed row was read can only be
//! newer than that revision, never older, so storing it under that revision
//! is safe.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::HeaderValue;
use bytes::Bytes;
use gantry_store::FeedRecord;

/// The most bytes of documents kept; past it the cache starts afresh.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The most documents kept.
const MAX_ENTRIES: usize = 20_000;

/// A rendered document with its entity tag.
#[derive(Clone, Debug)]
pub struct Document {
    /// The body.
    pub body: Bytes,
    /// A weak entity tag of the body.
    pub etag: HeaderValue,
    /// The body gzipped, made at the first request that accepts it and kept
    /// with the document (`None` when compressing failed).
    gzipped: Arc<OnceLock<Option<(Bytes, HeaderValue)>>>,
}

/// Bodies smaller than this are not worth compressing.
const MIN_GZIP_BYTES: usize = 1024;

impl Document {
    /// A document for `body`, with its entity tag.
    pub fn new(body: Vec<u8>) -> Self {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
            .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
        Self {
            body: Bytes::from(body),
            etag,
            gzipped: Arc::default(),
        }
    }

    /// The gzipped body and its entity tag, for clients that accept gzip
    /// (npm and NuGet clients do): large packuments and registrations shrink
    /// about tenfold. Compressed once per document, then kept.
    pub fn gzipped(&self) -> Option<(Bytes, HeaderValue)> {
        if self.body.len() < MIN_GZIP_BYTES {
            return None;
        }
        self.gzipped
            .get_or_init(|| {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(&self.body).ok()?;
                let compressed = encoder.finish().ok()?;
                // A different representation needs a different tag.
                let tag = self.etag.to_str().ok()?.trim_end_matches('"').to_owned() + "-gzip\"";
                Some((Bytes::from(compressed), HeaderValue::from_str(&tag).ok()?))
            })
            .clone()
    }
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<(i64, String), (i64, Document)>,
    bytes: usize,
}

/// The documents of this node.
#[derive(Default)]
pub struct DocumentCache {
    entries: Mutex<Entries>,
}

impl DocumentCache {
    /// The document kept for `key` of `feed`, if it was rendered at the
    /// feed's current revision.
    pub fn get(&self, feed: &FeedRecord, key: &str) -> Option<Document> {
        let entries = self.entries.lock().ok()?;
        entries
            .by_key
            .get(&(feed.id, key.to_owned()))
            .filter(|(revision, _)| *revision == feed.package_revision)
            .map(|(_, document)| document.clone())
    }

    /// Keeps `document` for `key` of `feed` at the feed's revision.
    pub fn put(&self, feed: &FeedRecord, key: String, document: Document) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let size = document.body.len() + key.len();
        if size > MAX_BYTES / 4 {
            return;
        }
        if entries.bytes + size > MAX_BYTES || entries.by_key.len() >= MAX_ENTRIES {
            // Simple and bounded: hot documents come back at their next request.
            entries.by_key.clear();
            entries.bytes = 0;
        }
        let key_len = key.len();
        if let Some((_, old)) = entries
            .by_key
            .insert((feed.id, key), (feed.package_revision, document))
        {
            entries.bytes = entries.bytes.saturating_sub(old.body.len() + key_len);
        }
        entries.bytes += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::{FeedType, FeedUsage};
    use gantry_store::FeedSettings;

    fn feed(revision: i64) -> FeedRecord {
        FeedRecord {
            id: 7,
            created_at: 0,
            promote_to_feed: None,
            package_revision: revision,
            settings: FeedSettings {
                name: "f".into(),
                feed_type: FeedType::NuGet,
                description: String::new(),
                active: true,
                usage: FeedUsage::Mixed,
                promote_to_feed_id: None,
                deployment_records_enabled: true,
                alternate_names: vec![],
                allow_direct_uploads: false,
                connectors: Vec::new(),
                cache_connectors: true,
                offline: false,
                immutable_tags: false,
            },
        }
    }

    #[test]
    fn documents_are_served_only_at_their_revision() {
        let cache = DocumentCache::default();
        cache.put(&feed(3), "index".into(), Document::new(b"v3".to_vec()));
        assert_eq!(
            cache.get(&feed(3), "index").map(|d| d.body),
            Some(Bytes::from_static(b"v3"))
        );
        assert!(
            cache.get(&feed(4), "index").is_none(),
            "a newer revision makes it stale"
        );
        assert!(cache.get(&feed(3), "other").is_none());
        cache.put(&feed(4), "index".into(), Document::new(b"v4".to_vec()));
        assert_eq!(
            cache.get(&feed(4), "index").map(|d| d.body),
            Some(Bytes::from_static(b"v4"))
        );
    }

    #[test]
    fn large_documents_gzip_once_with_their_own_tag() {
        let body = serde_json::to_vec(&vec!["a version string"; 500]).expect("json");
        let document = Document::new(body.clone());
        let (gzipped, tag) = document.gzipped().expect("compressible");
        assert!(gzipped.len() < body.len() / 4);
        assert_ne!(tag, document.etag);
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut decoded)
            .expect("gunzip");
        assert_eq!(decoded, body);
        assert!(
            Document::new(b"{}".to_vec()).gzipped().is_none(),
            "small bodies stay as they are"
        );
    }

    #[test]
    fn equal_bodies_have_equal_tags() {
        assert_eq!(
            Document::new(b"x".to_vec()).etag,
            Document::new(b"x".to_vec()).etag
        );
        assert_ne!(
            Document::new(b"x".to_vec()).etag,
            Document::new(b"y".to_vec()).etag
        );
    }
}
