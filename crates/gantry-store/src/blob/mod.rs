//! The content-addressed blob store.
//!
//! An upload is first *staged*: streamed to a temporary file in the node's
//! scratch folder while every digest is computed, never held whole in memory.
//! Only once the format has accepted it is it *committed* under its SHA-256
//! (`blobs/sha256/ab/abcd…`); until then nothing is visible, and a failed or
//! interrupted upload leaves only a temporary file that is removed at once
//! (or, after a crash, at the next start).

mod open;
mod staging;

pub use open::{open, S3Settings};
pub use staging::{StageError, StagedBlob};

use std::io::ErrorKind;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use gantry_core::Sha256Digest;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::{StoreError, StoreResult};

/// The digests and size of a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// SHA-256: the blob's address.
    pub sha256: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
    /// MD5, hex (Maven and ProGet's API report it).
    pub md5: String,
    /// SHA-1, hex (npm's `shasum`, Maven).
    pub sha1: String,
    /// SHA-512, hex (npm's `integrity`, NuGet).
    pub sha512: String,
}

/// An open blob: its size and a stream of its bytes (or of the requested range).
pub struct BlobRead {
    /// Size of the whole blob.
    pub size: u64,
    /// The bytes.
    pub stream: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Read buffer for local files: large enough that a download is not
/// dominated by per-chunk overhead.
const READ_CHUNK: usize = 256 * 1024;

/// Content-addressed blobs over an `object_store` backend.
#[derive(Clone, Debug)]
pub struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    /// The root folder when the backend is the local file system; commits
    /// then hard-link the staged file into place instead of copying it.
    local_root: Option<PathBuf>,
    staging_dir: PathBuf,
}

impl BlobStore {
    /// Blobs as local files under `root`, staged in `staging_dir`.
    pub fn local(root: &Path, staging_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(root)?;
        std::fs::create_dir_all(staging_dir)?;
        let objects = LocalFileSystem::new_with_prefix(root)?;
        Ok(Self {
            objects: Arc::new(objects),
            local_root: Some(root.to_path_buf()),
            staging_dir: staging_dir.to_path_buf(),
        })
    }

    /// Blobs in any `object_store` backend (S3 and the like), staged locally.
    pub fn remote(objects: Arc<dyn ObjectStore>, staging_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(staging_dir)?;
        Ok(Self {
            objects,
            local_root: None,
            staging_dir: staging_dir.to_path_buf(),
        })
    }

    /// Removes what interrupted uploads left in the staging folder. Call at
    /// start, before serving: staging is private to this node.
    pub fn clear_staging(&self) -> StoreResult<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.staging_dir)? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Streams `body` into a staged temporary file, computing every digest
    /// on the way; refuses bodies larger than `limit` bytes.
    pub async fn stage<S, E>(&self, body: S, limit: u64) -> Result<StagedBlob, StageError>
    where
        S: futures::Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        staging::stage(&self.staging_dir, body, limit).await
    }

    /// Makes a staged blob visible under its digest. Committing a blob that
    /// is already stored is a no-op: identical bytes are kept once.
    pub async fn commit(&self, staged: StagedBlob) -> StoreResult<BlobInfo> {
        let info = staged.info().clone();
        let key = object_key(&info.sha256);
        if let Some(root) = &self.local_root {
            let target = root.join(key.as_ref());
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // A hard link is atomic and refuses to replace: the blob appears
            // whole or not at all, and an existing copy is left untouched.
            match tokio::fs::hard_link(staged.path(), &target).await {
                Ok(()) => return Ok(info),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(info),
                // Staging on another file system: fall back to a streamed copy.
                Err(e) if e.raw_os_error() == Some(18) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if self.exists(&info.sha256).await? {
            return Ok(info);
        }
        let mut file = tokio::fs::File::open(staged.path()).await?;
        // Parts are uploaded as they fill, a few at a time, so memory stays
        // bounded whatever the blob's size; an error aborts the upload and
        // leaves no object behind.
        let mut writer =
            BufWriter::with_capacity(Arc::clone(&self.objects), key, 8 * 1024 * 1024).with_max_concurrency(2);
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            let n = file.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            if let Err(e) = writer.write_all(&buffer[..n]).await {
                let _ = writer.abort().await;
                return Err(e.into());
            }
        }
        writer.shutdown().await?;
        Ok(info)
    }

    /// `local` or `s3` (any remote `object_store` backend).
    pub fn backend(&self) -> &'static str {
        if self.local_root.is_some() {
            "local"
        } else {
            "s3"
        }
    }

    /// Checks that the store answers (a look-up of a key that never exists).
    pub async fn ping(&self) -> StoreResult<()> {
        match self.objects.head(&ObjectPath::from("health/probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Copies a blob from another store, checking on the way that its bytes
    /// hash to `expected`; a mismatch stores nothing.
    pub async fn import_from(&self, source: &BlobStore, expected: &Sha256Digest) -> StoreResult<BlobInfo> {
        let read = source.open(expected, None).await?;
        let staged = self.stage(read.stream, u64::MAX).await.map_err(|e| match e {
            StageError::Io(io) => StoreError::Io(io),
            other => StoreError::Io(std::io::Error::other(other.to_string())),
        })?;
        if &staged.info().sha256 != expected {
            return Err(StoreError::Corrupt(format!(
                "blob {expected} in the source store hashes to {}",
                staged.info().sha256
            )));
        }
        self.commit(staged).await
    }

    /// Reads a whole blob and returns the SHA-256 of its bytes.
    pub async fn rehash(&self, digest: &Sha256Digest) -> StoreResult<Sha256Digest> {
        use sha2::{Digest, Sha256};
        let mut read = self.open(digest, None).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = read.stream.next().await {
            hasher.update(&chunk?);
        }
        Ok(Sha256Digest::from_bytes(hasher.finalize().into()))
    }

    /// Whether a blob is stored.
    pub async fn exists(&self, digest: &Sha256Digest) -> StoreResult<bool> {
        match self.objects.head(&object_key(digest)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A stored blob's size in bytes; `None` when it is not stored.
    pub async fn size_of(&self, digest: &Sha256Digest) -> StoreResult<Option<u64>> {
        match self.objects.head(&object_key(digest)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens a blob, or a byte range of it, as a stream.
    pub async fn open(&self, digest: &Sha256Digest, range: Option<Range<u64>>) -> StoreResult<BlobRead> {
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = match self.objects.get_opts(&object_key(digest), options).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound(format!(
                    "blob {digest} is missing from the blob store"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        let size = result.meta.size;
        let stream = match result.payload {
            // The local backend hands over the open file: read it in large
            // chunks rather than object_store's small default ones.
            GetResultPayload::File(file, _) => {
                let span = result.range.clone();
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(span.start)).await?;
                let limited = file.take(span.end - span.start);
                ReaderStream::with_capacity(limited, READ_CHUNK).boxed()
            }
            GetResultPayload::Stream(stream) => stream.map_err(std::io::Error::other).boxed(),
        };
        Ok(BlobRead { size, stream })
    }

    /// Deletes a blob (the sweep does this once no package refers to it).
    pub async fn delete(&self, digest: &Sha256Digest) -> StoreResult<()> {
        match self.objects.delete(&object_key(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored blob with its last-modified time (Unix milliseconds).
    pub fn list(&self) -> BoxStream<'_, StoreResult<(Sha256Digest, i64)>> {
        let prefix = ObjectPath::from("blobs/sha256");
        self.objects
            .list(Some(&prefix))
            .map_err(StoreError::from)
            .try_filter_map(|meta| async move {
                let digest = meta
                    .location
                    .filename()
                    .and_then(|name| name.parse::<Sha256Digest>().ok());
                Ok(digest.map(|d| (d, meta.last_modified.timestamp_millis())))
            })
            .boxed()
    }
}

/// Where a blob lives: `blobs/sha256/ab/abcdef…`.
fn object_key(digest: &Sha256Digest) -> ObjectPath {
    let hex = digest.as_str();
    ObjectPath::from(format!("blobs/sha256/{}/{hex}", &hex[..2]))
}
