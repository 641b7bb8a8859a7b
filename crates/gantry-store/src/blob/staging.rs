//! Staging: an upload streamed to a temporary file while it is hashed.

use std::io::Write;
use std::path::Path;

use bytes::Bytes;
use futures::StreamExt;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use tempfile::TempPath;

use super::BlobInfo;
use gantry_core::Sha256Digest;

/// Why staging failed; nothing is left behind in any case.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The body was larger than the limit.
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The client's body failed (a dropped connection, a bad chunk).
    #[error("the upload was interrupted: {0}")]
    Body(String),
    /// Writing the temporary file failed.
    #[error("could not stage the upload: {0}")]
    Io(#[from] std::io::Error),
}

/// An upload held in a temporary file, with its digests; dropping it removes the file.
#[derive(Debug)]
pub struct StagedBlob {
    path: TempPath,
    info: BlobInfo,
}

impl StagedBlob {
    /// The temporary file, for a format to read and validate.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Digests and size.
    pub fn info(&self) -> &BlobInfo {
        &self.info
    }
}

/// Chunks in flight between the network and the hashing thread: bounds the
/// memory an upload may take while the disk or the hashers catch up.
const CHANNEL_DEPTH: usize = 16;

struct Hashers {
    sha256: Sha256,
    sha512: Sha512,
    sha1: Sha1,
    md5: Md5,
}

impl Hashers {
    fn new() -> Self {
        Self {
            sha256: Sha256::new(),
            sha512: Sha512::new(),
            sha1: Sha1::new(),
            md5: Md5::new(),
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.sha512.update(chunk);
        self.sha1.update(chunk);
        self.md5.update(chunk);
    }
}

pub async fn stage<S, E>(dir: &Path, mut body: S, limit: u64) -> Result<StagedBlob, StageError>
where
    S: futures::Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let file = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_DEPTH);
    // Hashing and writing run on a blocking thread, so the network side keeps
    // receiving while the (CPU-bound) digests are computed.
    let worker = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let (mut handle, path) = file.into_parts();
        let mut hashers = Hashers::new();
        let mut size = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            handle.write_all(&chunk)?;
            hashers.update(&chunk);
            size += chunk.len() as u64;
        }
        handle.sync_data()?;
        Ok((path, hashers, size))
    });

    let mut received = 0u64;
    let mut failure = None;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => {
                received += chunk.len() as u64;
                if received > limit {
                    failure = Some(StageError::TooLarge { limit });
                    break;
                }
                if tx.send(chunk).await.is_err() {
                    break; // the worker failed; its error is reported below
                }
            }
            Err(e) => {
                failure = Some(StageError::Body(e.to_string()));
                break;
            }
        }
    }
    drop(tx);
    let outcome = worker
        .await
        .map_err(|e| StageError::Io(std::io::Error::other(e)))?;
    // On failure the temporary path is dropped here, which deletes the file.
    let (path, hashers, size) = outcome?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    let info = BlobInfo {
        sha256: Sha256Digest::from_bytes(hashers.sha256.finalize().into()),
        size,
        md5: hex::encode(hashers.md5.finalize()),
        sha1: hex::encode(hashers.sha1.finalize()),
        sha512: hex::encode(hashers.sha512.finalize()),
    };
    Ok(StagedBlob { path, info })
}
