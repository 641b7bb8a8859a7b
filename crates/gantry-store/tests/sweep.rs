//! The blob sweep: unreferenced blobs go after the grace period, nothing else does.

use std::path::Path;

use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::sweep::sweep;
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddOutcome, BlobStore, MetadataStore, NewPackage, NewPackageFile, PackageKey, SqlStore, StagedBlob,
};

async fn stage(blobs: &BlobStore, bytes: &'static [u8]) -> StagedBlob {
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))]);
    blobs.stage(body, 1 << 20).await.expect("staged")
}

fn files(dir: &Path) -> usize {
    let mut count = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    count
}

async fn open(backend: Backend, dir: &Path) -> (SqlStore, BlobStore) {
    let url = fresh_database(backend, dir).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store");
    let blobs = BlobStore::local(&dir.join("data"), &dir.join("tmp")).expect("blobs");
    (store, blobs)
}

#[tokio::test]
async fn sweep_collects_only_unreferenced_blobs_past_their_grace() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, blobs) = open(backend, dir.path()).await;
        let blob_dir = dir.path().join("data").join("blobs");
        let feed = store.create_feed(&universal_feed("f")).await.expect("feed");

        // Two blobs: one used by a package, one whose package is deleted.
        let mut ids = Vec::new();
        for (version, bytes) in [("1.0.0", &b"kept"[..]), ("2.0.0", &b"dropped"[..])] {
            let staged = stage(&blobs, bytes).await;
            store.lease_blob(staged.info()).await.expect("lease");
            let info = blobs.commit(staged).await.expect("commit");
            let added = store
                .add_package(
                    &NewPackage {
                        feed_id: feed.id,
                        feed_name: "f".into(),
                        package_type: "upack".into(),
                        group: String::new(),
                        name: "p".into(),
                        version: version.into(),
                        key: PackageKey {
                            group_key: String::new(),
                            name_key: "p".into(),
                            version_key: version.into(),
                        },
                        published_by: "t".into(),
                        metadata: serde_json::json!({}),
                        files: vec![NewPackageFile {
                            qualifier: String::new(),
                            file_name: "package.upack".into(),
                            sha256: info.sha256.clone(),
                        }],
                        dist_tags: vec![],
                        connector: None,
                    },
                    false,
                )
                .await
                .expect("add");
            let AddOutcome::Added(record) = added else {
                panic!("expected Added")
            };
            ids.push((record.id, info.sha256));
        }
        assert!(store.delete_package(ids[1].0, "f", "t").await.expect("delete"));
        assert_eq!(files(&blob_dir), 2);

        // Within the grace period nothing goes.
        let report = sweep(&store, &blobs, 3_600_000).await.expect("sweep");
        assert_eq!((report.collected, report.orphans), (0, 0), "{backend:?}");
        assert_eq!(files(&blob_dir), 2);

        // Past it, the unreferenced blob goes and the used one stays.
        let report = sweep(&store, &blobs, -1000).await.expect("sweep");
        assert_eq!(report.collected, 1, "{backend:?}");
        assert_eq!(files(&blob_dir), 1);
        assert!(blobs.exists(&ids[0].1).await.expect("exists"));
        assert!(!blobs.exists(&ids[1].1).await.expect("exists"));
        assert!(store.blob_known(&ids[0].1).await.expect("known"));
        assert!(!store.blob_known(&ids[1].1).await.expect("known"));

        // An object with no row at all (a crash between commit and record) is an orphan.
        let orphan = blobs
            .commit(stage(&blobs, b"orphan").await)
            .await
            .expect("commit");
        let report = sweep(&store, &blobs, 3_600_000).await.expect("sweep");
        assert_eq!(
            report.orphans, 0,
            "{backend:?}: a fresh orphan is within its grace"
        );
        let report = sweep(&store, &blobs, -1000).await.expect("sweep");
        assert_eq!(report.orphans, 1, "{backend:?}");
        assert!(!blobs.exists(&orphan.sha256).await.expect("exists"));
        assert!(blobs.exists(&ids[0].1).await.expect("exists"));
    }
}

#[tokio::test]
async fn staging_computes_every_digest_and_cleans_up_on_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = BlobStore::local(&dir.path().join("data"), &dir.path().join("tmp")).expect("blobs");
    let staged = stage(&blobs, b"abc").await;
    let info = staged.info().clone();
    assert_eq!(info.size, 3);
    assert_eq!(
        info.sha256.as_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(info.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(info.md5, "900150983cd24fb0d6963f7d28e17f72");
    assert!(info.sha512.starts_with("ddaf35a193617aba"));
    assert_eq!(files(&dir.path().join("tmp")), 1);
    drop(staged);
    assert_eq!(
        files(&dir.path().join("tmp")),
        0,
        "dropping a staged blob removes its file"
    );

    let too_big = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(vec![0u8; 100]))]);
    assert!(matches!(
        blobs.stage(too_big, 10).await,
        Err(gantry_store::StageError::TooLarge { limit: 10 })
    ));
    let broken = futures::stream::iter([
        Ok(bytes::Bytes::from_static(b"part")),
        Err(std::io::Error::other("connection reset")),
    ]);
    assert!(matches!(
        blobs.stage(broken, 1000).await,
        Err(gantry_store::StageError::Body(_))
    ));
    assert_eq!(
        files(&dir.path().join("tmp")),
        0,
        "failed uploads leave no staged file"
    );

    // Committing the same bytes twice keeps one blob.
    let first = blobs.commit(stage(&blobs, b"same").await).await.expect("commit");
    let second = blobs.commit(stage(&blobs, b"same").await).await.expect("commit");
    assert_eq!(first, second);
    assert_eq!(files(&dir.path().join("data")), 1);
    let mut read = blobs.open(&first.sha256, Some(1..3)).await.expect("open");
    let mut got = Vec::new();
    while let Some(chunk) = futures::StreamExt::next(&mut read.stream).await {
        got.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(got, b"am", "ranged reads return the range");
}
