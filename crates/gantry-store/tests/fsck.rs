//! The consistency check finds exactly what was broken on purpose, on every backend.

use std::path::{Path, PathBuf};

use gantry_core::Sha256Digest;
use gantry_store::fsck::{fsck, BlobFault, CollectableKind, FsckOptions, FsckReport};
use gantry_store::sql::{Backend, PoolSettings};
use gantry_store::testing::{backends, fresh_database, universal_feed};
use gantry_store::{
    AddFileOutcome, AddOutcome, BlobStore, MetadataOnAdd, MetadataStore, NewFileUpload, NewPackage,
    NewPackageFile, PackageKey, SqlStore,
};

struct Fixture {
    store: SqlStore,
    blobs: BlobStore,
    raw: sqlx::AnyPool,
    data: PathBuf,
    feed_id: i64,
    _dir: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path()).await;
    let store = SqlStore::connect(&url, &PoolSettings::default())
        .await
        .expect("store");
    let raw = sqlx::AnyPool::connect(&url).await.expect("raw pool");
    let data = dir.path().join("data");
    let blobs = BlobStore::local(&data, &dir.path().join("tmp")).expect("blobs");
    let feed = store.create_feed(&universal_feed("f")).await.expect("feed");
    Fixture {
        store,
        blobs,
        raw,
        data,
        feed_id: feed.id,
        _dir: dir,
    }
}

impl Fixture {
    async fn commit(&self, bytes: &[u8]) -> Sha256Digest {
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
        let staged = self.blobs.stage(body, 1 << 20).await.expect("staged");
        self.blobs.commit(staged).await.expect("commit").sha256
    }

    /// Publishes `name` 1.0.0 as the server does; returns its id and blob.
    async fn publish(&self, name: &str, bytes: &[u8]) -> (i64, Sha256Digest) {
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
        let staged = self.blobs.stage(body, 1 << 20).await.expect("staged");
        self.store.lease_blob(staged.info()).await.expect("lease");
        let digest = self.blobs.commit(staged).await.expect("commit").sha256;
        let added = self
            .store
            .add_package(
                &NewPackage {
                    feed_id: self.feed_id,
                    feed_name: "f".into(),
                    package_type: "upack".into(),
                    group: String::new(),
                    name: name.into(),
                    version: "1.0.0".into(),
                    key: PackageKey {
                        group_key: String::new(),
                        name_key: name.into(),
                        version_key: "1.0.0".into(),
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
                },
                false,
            )
            .await
            .expect("add");
        let AddOutcome::Added(record) = added else {
            panic!("expected Added")
        };
        (record.id, digest)
    }

    /// Uploads one file of `name` `version` as the server does for formats
    /// whose versions hold many files.
    async fn add_file(&self, name: &str, version: &str, qualifier: &str, bytes: &[u8]) -> AddFileOutcome {
        let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(bytes))]);
        let staged = self.blobs.stage(body, 1 << 20).await.expect("staged");
        self.store.lease_blob(staged.info()).await.expect("lease");
        let digest = self.blobs.commit(staged).await.expect("commit").sha256;
        self.store
            .add_package_file(&NewFileUpload {
                package: NewPackage {
                    feed_id: self.feed_id,
                    feed_name: "f".into(),
                    package_type: "upack".into(),
                    group: String::new(),
                    name: name.into(),
                    version: version.into(),
                    key: PackageKey {
                        group_key: String::new(),
                        name_key: name.into(),
                        version_key: version.into(),
                    },
                    published_by: "t".into(),
                    metadata: serde_json::json!({}),
                    files: vec![NewPackageFile {
                        qualifier: qualifier.into(),
                        file_name: format!("{name}-{version}{qualifier}.bin"),
                        sha256: digest,
                    }],
                    dist_tags: vec![],
                    connector: None,
                },
                replace: true,
                metadata: MetadataOnAdd::KeepExisting,
            })
            .await
            .expect("add file")
    }

    fn object(&self, digest: &Sha256Digest) -> PathBuf {
        let hex = digest.as_str();
        self.data.join("blobs/sha256").join(&hex[..2]).join(hex)
    }

    async fn check(&self, quick: bool) -> FsckReport {
        let options = FsckOptions {
            quick,
            grace_millis: 3_600_000,
            strict: false,
        };
        fsck(&self.store, &self.blobs, &options).await.expect("fsck")
    }
}

fn faults(report: &FsckReport) -> Vec<(String, (BlobFault, Vec<String>))> {
    report
        .blobs
        .iter()
        .map(|p| {
            let names = p.used_by.iter().map(|r| r.name.clone()).collect();
            (p.sha256.clone(), (p.fault.clone(), names))
        })
        .sorted_by_digest()
}

fn write(path: &Path, bytes: &[u8]) {
    // A hard link may share the inode with the staged copy: replace, never edit in place.
    std::fs::remove_file(path).expect("remove");
    std::fs::write(path, bytes).expect("write");
}

#[tokio::test]
async fn fsck_is_clean_then_names_each_corruption() {
    for backend in backends() {
        let f = open(backend).await;
        let (_, missing) = f.publish("missing", b"bytes that will be deleted").await;
        let (_, truncated) = f.publish("truncated", b"bytes that will be cut short").await;
        let (_, altered) = f.publish("altered", b"bytes that will be changed!").await;
        let (gone_id, unreferenced) = f.publish("gone", b"a deleted package's bytes").await;
        assert!(f.store.delete_package(gone_id, "f", "t").await.expect("delete"));

        let report = f.check(false).await;
        assert!(report.is_clean(), "{backend:?}: {report:#?}");
        assert_eq!(report.checked.used_blobs, 3);
        assert_eq!(report.checked.objects, 4);
        assert_eq!(report.collectable.len(), 1, "{backend:?}");
        assert_eq!(report.collectable[0].sha256, unreferenced.as_str());
        assert_eq!(report.collectable[0].kind, CollectableKind::Unreferenced);
        assert!(!report.collectable[0].past_grace);

        std::fs::remove_file(f.object(&missing)).expect("delete object");
        write(&f.object(&truncated), b"bytes that");
        write(&f.object(&altered), b"BYTES that will be changed!");
        let report = f.check(false).await;
        assert_eq!(
            faults(&report),
            vec![
                (
                    missing.as_str().to_owned(),
                    (BlobFault::Missing, vec!["missing".to_owned()])
                ),
                (
                    truncated.as_str().to_owned(),
                    (
                        BlobFault::SizeMismatch {
                            recorded: 28,
                            stored: 10
                        },
                        vec!["truncated".to_owned()]
                    )
                ),
                (
                    altered.as_str().to_owned(),
                    (
                        BlobFault::DigestMismatch {
                            actual: hex_sha256(b"BYTES that will be changed!")
                        },
                        vec!["altered".to_owned()]
                    )
                ),
            ]
            .into_iter()
            .sorted_by_digest(),
            "{backend:?}"
        );
        assert_eq!(report.problems, 3);
        assert!(report.packages_without_files.is_empty() && report.dangling_dist_tags.is_empty());

        // Quick mode reads no bytes: the altered blob has the right size.
        let report = f.check(true).await;
        assert_eq!(report.problems, 2, "{backend:?}: {report:#?}");
        assert_eq!(report.checked.bytes_hashed, 0);
        assert!(report.blobs.iter().all(|p| p.sha256 != altered.as_str()));

        // Rows the constraints cannot rule out.
        sqlx::query(
            "INSERT INTO packages (feed_id, group_name, group_key, name, name_key, version, version_key, \
             published_at, published_by, listed, downloads, metadata) \
             VALUES ($1, '', '', 'hollow', 'hollow', '1.0.0', '1.0.0', 0, 't', $2, 0, '{}')",
        )
        .bind(f.feed_id)
        .bind(true)
        .execute(&f.raw)
        .await
        .expect("insert");
        sqlx::query(
            "INSERT INTO dist_tags (feed_id, group_key, name_key, tag, version, version_key, updated_at) \
             VALUES ($1, '', 'missing', 'latest', '9.9.9', '9.9.9', 0)",
        )
        .bind(f.feed_id)
        .execute(&f.raw)
        .await
        .expect("insert tag");
        // An object no row knows (a crash between commit and record).
        let stray = f.commit(b"a stray object").await;

        let report = f.check(true).await;
        let hollow: Vec<&str> = report
            .packages_without_files
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(hollow, ["hollow"], "{backend:?}");
        let silent: Vec<&str> = report
            .packages_without_history
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(silent, ["hollow"], "{backend:?}");
        assert_eq!(report.dangling_dist_tags.len(), 1);
        assert_eq!(
            (
                report.dangling_dist_tags[0].name_key.as_str(),
                report.dangling_dist_tags[0].version.as_str()
            ),
            ("missing", "9.9.9")
        );
        assert_eq!(report.problems, 2 + 3, "{backend:?}: {report:#?}");
        let kinds = report
            .collectable
            .iter()
            .map(|c| (c.sha256.clone(), c.kind))
            .sorted_by_digest();
        assert_eq!(
            kinds,
            vec![
                (unreferenced.as_str().to_owned(), CollectableKind::Unreferenced),
                (stray.as_str().to_owned(), CollectableKind::ObjectWithoutRow),
            ]
            .into_iter()
            .sorted_by_digest()
        );

        // Strict, with no grace: collectable blobs count as problems too.
        let strict = fsck(
            &f.store,
            &f.blobs,
            &FsckOptions {
                quick: true,
                grace_millis: -60_000,
                strict: true,
            },
        )
        .await
        .expect("fsck");
        assert_eq!(strict.collectable_past_grace(), 2);
        assert_eq!(strict.problems, report.problems + 2);

        // A row whose object is gone and no package uses: the sweep's to take.
        std::fs::remove_file(f.object(&unreferenced)).expect("delete object");
        let report = f.check(true).await;
        assert!(report
            .collectable
            .iter()
            .any(|c| c.sha256 == unreferenced.as_str() && c.kind == CollectableKind::RowWithoutObject));
        assert_eq!(report.problems, 5);
        // The report serializes for `gantry fsck --json`.
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["blobs"][0]["fault"]["kind"], "missing");
    }
}

#[tokio::test]
async fn versions_of_many_files_check_clean() {
    for backend in backends() {
        let f = open(backend).await;
        assert!(matches!(
            f.add_file("widget", "1.0", "", b"the jar").await,
            AddFileOutcome::Created(_)
        ));
        assert!(matches!(
            f.add_file("widget", "1.0", "pom", b"the pom").await,
            AddFileOutcome::FileAdded(_)
        ));
        assert!(matches!(
            f.add_file("widget", "1.0", "sources", b"the sources").await,
            AddFileOutcome::FileAdded(_)
        ));
        // Another version sharing one of the blobs.
        assert!(matches!(
            f.add_file("widget", "1.1", "pom", b"the pom").await,
            AddFileOutcome::Created(_)
        ));
        let (_, single) = f.publish("single", b"a one-file version").await;

        let report = f.check(false).await;
        assert!(report.is_clean(), "{backend:?}: {report:#?}");
        assert_eq!(report.checked.used_blobs, 4, "{backend:?}");
        assert_eq!(report.checked.objects, 4);
        assert!(report.collectable.is_empty(), "{backend:?}: {report:#?}");

        // Replacing a file leaves its old blob to the sweep, nothing broken.
        let AddFileOutcome::FileReplaced(record) =
            f.add_file("widget", "1.0", "sources", b"new sources").await
        else {
            panic!("expected FileReplaced")
        };
        assert_eq!(record.files.len(), 3);
        let report = f.check(false).await;
        assert!(report.is_clean(), "{backend:?}: {report:#?}");
        assert_eq!(report.checked.used_blobs, 4);
        assert_eq!(report.collectable.len(), 1, "{backend:?}");
        assert_eq!(report.collectable[0].sha256, hex_sha256(b"the sources"));

        // A missing object names each version using it, whichever file it is.
        let shared = hex_sha256(b"the pom").parse::<Sha256Digest>().expect("digest");
        std::fs::remove_file(f.object(&shared)).expect("delete object");
        let report = f.check(true).await;
        assert_eq!(report.problems, 1, "{backend:?}: {report:#?}");
        let users: Vec<&str> = report.blobs[0]
            .used_by
            .iter()
            .map(|p| p.version.as_str())
            .collect();
        assert_eq!(users, ["1.0", "1.1"], "{backend:?}");
        assert!(report.blobs.iter().all(|p| p.sha256 != single.as_str()));
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Sorts report entries by their digest (the first field).
trait SortedByDigest<T>: Iterator<Item = (String, T)> + Sized {
    fn sorted_by_digest(self) -> Vec<(String, T)> {
        let mut items: Vec<_> = self.collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items
    }
}

impl<T, I: Iterator<Item = (String, T)>> SortedByDigest<T> for I {}
