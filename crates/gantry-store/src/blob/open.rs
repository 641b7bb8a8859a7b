//! Opening the blob store a configuration names.

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;
use serde::{Deserialize, Serialize};

use super::BlobStore;
use crate::{StoreError, StoreResult};

/// Settings for an S3-compatible blob store (AWS, MinIO, Ceph, Garage, ...).
/// Unset values fall back to the usual `AWS_*` environment variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The service's URL, for anything but AWS (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    /// The region (default `us-east-1`).
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key (never shown by `gantry config show`).
    pub secret_access_key: Option<String>,
    /// Allow plain HTTP to the endpoint.
    pub allow_http: bool,
    /// Address buckets as `bucket.host` instead of `host/bucket` (path
    /// style, the default, is what self-hosted servers expect).
    pub virtual_hosted_style: bool,
}

/// Opens the blob store named by `url`: `None` or `file:///PATH` for local
/// files (under `data_dir` by default), `s3://BUCKET[/PREFIX]` for S3. Uploads
/// are staged in `staging_dir`, which must be local to this node. A remote
/// store is checked at once, so a wrong bucket or credentials stop the
/// server at start rather than at the first upload.
pub async fn open(
    url: Option<&str>,
    s3: &S3Settings,
    data_dir: &Path,
    staging_dir: &Path,
) -> StoreResult<BlobStore> {
    let Some(url) = url else {
        return BlobStore::local(data_dir, staging_dir);
    };
    if let Some(path) = url.strip_prefix("file://") {
        return BlobStore::local(Path::new(path), staging_dir);
    }
    let Some(rest) = url.strip_prefix("s3://") else {
        return Err(StoreError::Config(format!(
            "unsupported blob store '{url}': use file:///PATH or s3://BUCKET/PREFIX"
        )));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(StoreError::Config(format!("blob store '{url}' names no bucket")));
    }
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_allow_http(s3.allow_http)
        .with_virtual_hosted_style_request(s3.virtual_hosted_style);
    builder = builder.with_region(s3.region.clone().unwrap_or_else(|| "us-east-1".into()));
    if let Some(endpoint) = &s3.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(id) = &s3.access_key_id {
        builder = builder.with_access_key_id(id);
    }
    if let Some(secret) = &s3.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    let s3_store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
    let prefix = prefix.trim_matches('/');
    let objects: Arc<dyn ObjectStore> = if prefix.is_empty() {
        s3_store
    } else {
        Arc::new(PrefixStore::new(s3_store, prefix))
    };
    // One listing request proves the endpoint, bucket and credentials.
    let probe = ObjectPath::from("blobs");
    if let Some(Err(e)) = objects.list(Some(&probe)).next().await {
        return Err(StoreError::Config(format!(
            "cannot reach the blob store {url}: {e}"
        )));
    }
    BlobStore::remote(objects, staging_dir)
}
