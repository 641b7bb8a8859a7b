//! The sweep racing an upload of the same bytes.
//!
//! The sweep collects a blob in two steps (claim it, then delete its bytes);
//! an upload of the same bytes leases the blob, commits them (a no-op when
//! the object is already there) and records the package. These tests run the
//! upload between the sweep's two steps, the one interleaving that could
//! leave a package row pointing at a deleted object, and check that the
//! package's bytes survive.

use std::path::Path;
use std::time::Duration;

use gantry_core::Sha256Digest;
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::sweep::{claim_orphan, claim_unreferenced, collect};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::time::now_millis;
use gantry_store::{AddOutcome, BlobStore, MetadataStore, NewPackage, NewPackageFile, PackageKey, SqlStore};

const BYTES: &[u8] = b"the same bytes, uploaded twice";

async fn open(backend: Backend, dir: &Path) -> (SqlStore, BlobStore, i64) {
    let url = fresh_database(backend, dir).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store");
    let blobs = BlobStore::local(&dir.join("data"), &dir.join("tmp")).expect("blobs");
    let feed = store.create_feed(&universal_feed("f")).await.expect("feed");
    (store, blobs, feed.id)
}

fn package(feed_id: i64, version: &str, digest: &Sha256Digest) -> NewPackage {
    NewPackage {
        feed_id,
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
            sha256: digest.clone(),
        }],
        dist_tags: vec![],
        connector: None,
    }
}

/// The publish path's steps: stage, lease, commit, record.
async fn upload(store: &SqlStore, blobs: &BlobStore, feed_id: i64, version: &str) -> Sha256Digest {
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(BYTES))]);
    let staged = blobs.stage(body, 1 << 20).await.expect("staged");
    store.lease_blob(staged.info()).await.expect("lease");
    let info = blobs.commit(staged).await.expect("commit");
    let added = store
        .add_package(&package(feed_id, version, &info.sha256), false)
        .await
        .expect("add");
    assert!(matches!(added, AddOutcome::Added(_)), "{version} added");
    info.sha256
}

/// Starts the upload, lets it run as far as it can while the sweep holds its
/// claim, then finishes the sweep's step and waits for the upload.
async fn upload_between(
    store: &SqlStore,
    blobs: &BlobStore,
    feed_id: i64,
    claim: gantry_store::sweep::Claim,
) -> Sha256Digest {
    let task = {
        let (store, blobs) = (store.clone(), blobs.clone());
        tokio::spawn(async move { upload(&store, &blobs, feed_id, "2.0.0").await })
    };
    // Long enough for the whole upload to finish if nothing holds it back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(collect(store, blobs, claim).await.expect("collect"));
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the upload finishes once the sweep has")
        .expect("upload task")
}

async fn assert_stored(
    store: &SqlStore,
    blobs: &BlobStore,
    feed_id: i64,
    digest: &Sha256Digest,
    backend: Backend,
) {
    let found = store
        .find_packages(feed_id, &gantry_store::PackageQuery::default())
        .await
        .expect("find");
    assert!(
        found
            .iter()
            .any(|p| p.version == "2.0.0" && p.files[0].sha256 == *digest),
        "{backend:?}: the upload is recorded"
    );
    assert!(
        blobs.exists(digest).await.expect("exists"),
        "{backend:?}: the recorded package's blob was deleted by the sweep"
    );
    assert_eq!(
        &blobs.rehash(digest).await.expect("rehash"),
        digest,
        "{backend:?}"
    );
    assert!(store.blob_known(digest).await.expect("known"), "{backend:?}");
}

#[tokio::test]
async fn an_upload_between_the_sweeps_claim_and_delete_keeps_its_bytes() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, blobs, feed_id) = open(backend, dir.path()).await;
        // A blob whose only package was deleted: collectable.
        let digest = upload(&store, &blobs, feed_id, "1.0.0").await;
        let first = store
            .find_packages(feed_id, &gantry_store::PackageQuery::default())
            .await
            .expect("find");
        assert!(store.delete_package(first[0].id, "f", "t").await.expect("delete"));
        // A cutoff in the future: the lease has ended for this sweep.
        let claim = claim_unreferenced(&store, &digest, now_millis() + 60_000)
            .await
            .expect("claim")
            .expect("the unreferenced blob is claimed");
        let uploaded = upload_between(&store, &blobs, feed_id, claim).await;
        assert_eq!(uploaded, digest);
        assert_stored(&store, &blobs, feed_id, &digest, backend).await;
    }
}

#[tokio::test]
async fn an_upload_between_the_sweeps_orphan_check_and_delete_keeps_its_bytes() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, blobs, feed_id) = open(backend, dir.path()).await;
        // An object with no row: what a crash between commit and record leaves.
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(BYTES))]);
        let staged = blobs.stage(body, 1 << 20).await.expect("staged");
        let digest = blobs.commit(staged).await.expect("commit").sha256;
        let claim = claim_orphan(&store, &digest)
            .await
            .expect("claim")
            .expect("the orphan is claimed");
        let uploaded = upload_between(&store, &blobs, feed_id, claim).await;
        assert_eq!(uploaded, digest);
        assert_stored(&store, &blobs, feed_id, &digest, backend).await;
    }
}
