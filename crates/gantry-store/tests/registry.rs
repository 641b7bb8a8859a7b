//! Registry content in the store: a manifest is stored only with its
//! references present, a tag holds its whole image (referrers included),
//! immutable tags stay put, and the sweep frees exactly what nothing uses
//! any more — abandoned uploads, blobs no manifest uses, deleted manifests.

use std::path::Path;

use gantry_core::{FeedType, Sha256Digest};
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::sweep::sweep;
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddPartOutcome, BlobStore, DeleteManifestOutcome, MetadataStore, NewRegistryManifest, NewRegistryTag,
    PutManifestOutcome, RegistryBlob, RegistryRepository, RegistryUpload, SqlStore,
};

async fn open(backend: Backend, dir: &Path) -> (SqlStore, BlobStore) {
    let url = fresh_database(backend, dir).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store");
    let blobs = BlobStore::local(&dir.join("data"), &dir.join("tmp")).expect("blobs");
    (store, blobs)
}

/// Stores `bytes` as a leased blob; returns its digest as a registry names it.
async fn put(store: &SqlStore, blobs: &BlobStore, bytes: &[u8]) -> RegistryBlob {
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
    let staged = blobs.stage(body, 1 << 20).await.expect("staged");
    store.lease_blob(staged.info()).await.expect("lease");
    let info = blobs.commit(staged).await.expect("commit");
    RegistryBlob {
        digest: format!("sha256:{}", info.sha256),
        sha256: info.sha256,
        size: i64::try_from(info.size).expect("size"),
    }
}

fn manifest(
    at: &RegistryRepository,
    body: &RegistryBlob,
    references: &[&RegistryBlob],
    subject: Option<&RegistryBlob>,
    tag: Option<(&str, bool)>,
) -> NewRegistryManifest {
    NewRegistryManifest {
        at: at.clone(),
        digest: body.digest.clone(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        artifact_type: String::new(),
        subject: subject.map(|s| s.digest.clone()),
        annotations: serde_json::json!({}),
        sha256: body.sha256.clone(),
        size: body.size,
        references: references.iter().map(|r| r.digest.clone()).collect(),
        tag: tag.map(|(tag, immutable)| NewRegistryTag {
            tag: tag.into(),
            metadata: serde_json::json!({ "digest": body.digest }),
            immutable,
        }),
        user: "tester".into(),
        connector: None,
    }
}

fn files_of(outcome: &PutManifestOutcome) -> Vec<(String, String)> {
    let PutManifestOutcome::Stored { tag: Some(record) } = outcome else {
        panic!("expected a stored tag, got {outcome:?}");
    };
    let mut files: Vec<_> = record
        .files
        .iter()
        .map(|f| (f.qualifier.clone(), f.file_name.clone()))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn manifests_tags_referrers_and_the_sweep() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, blobs) = open(backend, dir.path()).await;
        let mut settings = universal_feed("dock");
        settings.feed_type = FeedType::Docker;
        let feed = store.create_feed(&settings).await.expect("feed");
        let at = RegistryRepository {
            feed_id: feed.id,
            feed_name: "dock".into(),
            package_type: "docker".into(),
            repository: "acme/web".into(),
        };
        let layer = put(&store, &blobs, b"layer").await;
        let config = put(&store, &blobs, b"config").await;
        let body = put(&store, &blobs, b"manifest").await;

        // A manifest whose layer is not in the repository is refused whole.
        store.registry_link_blob(&at, &config).await.expect("link");
        let refused = store
            .registry_put_manifest(&manifest(
                &at,
                &body,
                &[&config, &layer],
                None,
                Some(("1.0", false)),
            ))
            .await
            .expect("put");
        assert!(
            matches!(&refused, PutManifestOutcome::MissingReference(d) if *d == layer.digest),
            "{backend:?}: {refused:?}"
        );
        let tags = store
            .registry_tags(feed.id, "acme/web", None, 10)
            .await
            .expect("tags");
        assert!(tags.is_empty(), "{backend:?}: nothing was stored");
        assert!(store
            .registry_manifest(feed.id, "acme/web", &body.digest)
            .await
            .expect("manifest")
            .is_none());

        // With it, the tag holds the manifest (qualifier "") and its blobs.
        store.registry_link_blob(&at, &layer).await.expect("link");
        let stored = store
            .registry_put_manifest(&manifest(
                &at,
                &body,
                &[&config, &layer],
                None,
                Some(("1.0", false)),
            ))
            .await
            .expect("put");
        let mut expected = vec![
            (String::new(), body.digest.clone()),
            (config.digest.clone(), config.digest.clone()),
            (layer.digest.clone(), layer.digest.clone()),
        ];
        expected.sort();
        assert_eq!(files_of(&stored), expected, "{backend:?}");

        // A referrer pushed later joins the image of the tag.
        let sbom = put(&store, &blobs, b"sbom").await;
        let referrer = put(&store, &blobs, b"referrer manifest").await;
        store.registry_link_blob(&at, &sbom).await.expect("link");
        store
            .registry_put_manifest(&manifest(&at, &referrer, &[&sbom], Some(&body), None))
            .await
            .expect("referrer");
        let listed = store
            .registry_referrers(feed.id, "acme/web", &body.digest)
            .await
            .expect("referrers");
        assert_eq!(listed.len(), 1, "{backend:?}");
        let again = store
            .registry_put_manifest(&manifest(
                &at,
                &body,
                &[&config, &layer],
                None,
                Some(("1.0", true)),
            ))
            .await
            .expect("same image again");
        assert_eq!(
            files_of(&again).len(),
            5,
            "{backend:?}: manifest, config, layer, referrer, sbom"
        );

        // An immutable tag does not move.
        let other = put(&store, &blobs, b"another manifest").await;
        let moved = store
            .registry_put_manifest(&manifest(&at, &other, &[&config], None, Some(("1.0", true))))
            .await
            .expect("put");
        assert!(
            matches!(&moved, PutManifestOutcome::TagImmutable(d) if *d == body.digest),
            "{backend:?}: {moved:?}"
        );

        // An abandoned upload part and a blob no manifest uses.
        let part = put(&store, &blobs, b"half an upload").await;
        let unused = put(&store, &blobs, b"pushed, never used").await;
        let now = gantry_store::time::now_millis();
        store
            .registry_start_upload(&RegistryUpload {
                id: "session-1".into(),
                feed_id: feed.id,
                repository: "acme/web".into(),
                started_by: "tester".into(),
                started_at: now,
                updated_at: now,
                size: 0,
                parts: Vec::new(),
            })
            .await
            .expect("upload");
        let added = store
            .registry_add_upload_part("session-1", 0, &part.sha256, part.size)
            .await
            .expect("part");
        assert_eq!(added, AddPartOutcome::Added(part.size));
        let misplaced = store
            .registry_add_upload_part("session-1", 0, &part.sha256, part.size)
            .await
            .expect("part");
        assert_eq!(misplaced, AddPartOutcome::WrongOffset(part.size), "{backend:?}");
        store.registry_link_blob(&at, &unused).await.expect("link");

        // Within the grace period nothing goes; past it, the upload and the
        // unused blob do, and the image (tagged, with its referrer) stays.
        let report = sweep(&store, &blobs, 3_600_000).await.expect("sweep");
        assert_eq!(report.collected, 0, "{backend:?}");
        let report = sweep(&store, &blobs, -1000).await.expect("sweep");
        assert_eq!(
            (report.abandoned_uploads, report.unused_registry_blobs),
            (1, 1),
            "{backend:?}"
        );
        let gone = |d: &Sha256Digest| {
            let blobs = blobs.clone();
            let d = d.clone();
            async move { !blobs.exists(&d).await.expect("exists") }
        };
        assert!(
            gone(&part.sha256).await && gone(&unused.sha256).await,
            "{backend:?}"
        );
        // `other` was stored as bytes but refused as a manifest: unreferenced.
        assert!(gone(&other.sha256).await, "{backend:?}");
        for kept in [&layer, &config, &body, &sbom, &referrer] {
            assert!(!gone(&kept.sha256).await, "{backend:?}: {} stays", kept.digest);
        }
        assert!(store
            .registry_upload("session-1")
            .await
            .expect("upload")
            .is_none());

        // Deleting the manifest takes its tag; the referrer's subject edge
        // goes too, and the next sweeps free everything but the referrer.
        let deleted = store
            .registry_delete_manifest(&at, &body.digest, "tester")
            .await
            .expect("delete");
        assert_eq!(
            deleted,
            DeleteManifestOutcome::Deleted(vec!["1.0".into()]),
            "{backend:?}"
        );
        sweep(&store, &blobs, -1000).await.expect("sweep");
        for freed in [&layer, &config, &body] {
            assert!(
                gone(&freed.sha256).await,
                "{backend:?}: {} is freed",
                freed.digest
            );
        }
        for kept in [&sbom, &referrer] {
            assert!(!gone(&kept.sha256).await, "{backend:?}: {} stays", kept.digest);
        }
    }
}
