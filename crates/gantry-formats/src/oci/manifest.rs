//! Manifests as the server reads them on push: OCI image manifests and
//! indexes, Docker schema 2 manifests and manifest lists.
//!
//! An image manifest names a config blob and layer blobs; an index names
//! child manifests (one per platform, or artifacts). Either may name a
//! `subject`, the manifest it refers to (a signature, an SBOM), which the
//! referrers API lists it under.
//!
//! The document's fields must fit its media type: an image manifest with a
//! `manifests` field, or an index with `config` or `layers`, is refused, so
//! that one document can't read as an image to one client and as an index
//! to another (CVE-2021-41190).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::digest::Digest;
use super::media_types::{
    canonical_manifest_type, essence, is_foreign_layer_media_type, is_index_media_type, DOCKER_MANIFEST_V1,
    DOCKER_MANIFEST_V1_SIGNED, MANIFEST_MEDIA_TYPES, OCI_INDEX,
};
use super::{shown, MAX_MANIFEST_BYTES};
use crate::FormatError;

/// Whether a manifest is an image or an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManifestKind {
    /// An image manifest: a config and layers.
    Image,
    /// An index or manifest list: child manifests.
    Index,
}

/// A reference to content: its media type, digest and size, with what the
/// image spec lets a descriptor carry besides. Serialised in camelCase,
/// without absent or empty fields; other fields (`urls`, `data`) are not
/// kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the content.
    pub media_type: String,
    /// The digest of the content.
    pub digest: Digest,
    /// The size of the content in bytes.
    pub size: u64,
    /// The platform of a child manifest in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The artifact type of the manifest the descriptor points at (indexes
    /// and referrer lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

/// The platform an image runs on, as an index names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// The CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// The operating system (`linux`, `windows`).
    pub os: String,
    /// The CPU variant (`v8` for `arm64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The operating system version (`10.0.17763.1879` for Windows); the
    /// JSON key is `os.version`.
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

impl Platform {
    /// The platform as Docker writes it: `linux/amd64`, `linux/arm64/v8`.
    pub fn label(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{}/{}/{variant}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// A manifest or index as the server reads it on push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedManifest {
    /// The media type, one of [`MANIFEST_MEDIA_TYPES`]: the document's
    /// `mediaType`, or the request's `Content-Type` when the document has none.
    pub media_type: String,
    /// Image or index, by the media type.
    pub kind: ManifestKind,
    /// The config blob (images only).
    pub config: Option<Descriptor>,
    /// The layer blobs (images only).
    pub layers: Vec<Descriptor>,
    /// The positions in `layers` of the foreign layers: those of a
    /// non-distributable or foreign media type with `http(s)` `urls`, which
    /// clients fetch from there (Windows base layers), so the repository
    /// need not hold them.
    pub foreign_layers: Vec<usize>,
    /// The child manifests (indexes only).
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    pub subject: Option<Descriptor>,
    /// The `artifactType`; for an image manifest without one, the config's
    /// media type (the referrers API's rule). `None` for an index without one.
    pub artifact_type: Option<String>,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl ParsedManifest {
    /// Every descriptor the manifest references that must already be in the
    /// repository: the config and layers of an image, the child manifests of
    /// an index, in document order (a blob used twice is listed twice). Not
    /// the subject: a referrer may be pushed before its subject; nor the
    /// foreign layers, which clients fetch from their `urls` (the reference
    /// registry does not ask for them either).
    pub fn references(&self) -> Vec<&Descriptor> {
        match self.kind {
            ManifestKind::Image => {
                let layers = self
                    .layers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !self.foreign_layers.contains(i))
                    .map(|(_, layer)| layer);
                self.config.iter().chain(layers).collect()
            }
            ManifestKind::Index => self.manifests.iter().collect(),
        }
    }

    /// The size of the content an image is made of: its config and layers
    /// (the manifest's own bytes aside). 0 for an index.
    pub fn content_size(&self) -> u64 {
        self.config
            .iter()
            .chain(&self.layers)
            .fold(0, |total, d| total.saturating_add(d.size))
    }

    /// The descriptor the referrers API lists this manifest under, once
    /// stored with the given digest and size: its media type, artifact type
    /// and annotations.
    pub fn referrer_descriptor(&self, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest,
            size,
            platform: None,
            annotations: self.annotations.clone(),
            artifact_type: self.artifact_type.clone(),
        }
    }
}

/// Reads a pushed manifest. `content_type` is the request's `Content-Type`.
///
/// Refuses a document larger than [`MAX_MANIFEST_BYTES`], one that is not a
/// JSON object, a `schemaVersion` other than 2 (Docker schema 1 with its own
/// message), a media type that is not one of [`MANIFEST_MEDIA_TYPES`] or
/// that differs from the `Content-Type`, fields that don't fit the media
/// type, an image without a config, an index without `manifests`, and
/// descriptors without a media type, with an invalid or unsupported digest
/// or without a size of 0 or more.
pub fn parse_manifest(bytes: &[u8], content_type: Option<&str>) -> Result<ParsedManifest, FormatError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(FormatError(format!(
            "the manifest is {} bytes; the largest accepted is {MAX_MANIFEST_BYTES}",
            bytes.len()
        )));
    }
    let document: Value = serde_json::from_slice(bytes)
        .map_err(|e| FormatError(format!("the manifest is not valid JSON: {e}")))?;
    let Value::Object(document) = document else {
        return Err(FormatError("the manifest must be a JSON object".into()));
    };
    check_schema_version(&document)?;
    let media_type = resolve_media_type(&document, content_type)?;
    let kind = if is_index_media_type(media_type) {
        ManifestKind::Index
    } else {
        ManifestKind::Image
    };

    let (config, layers, manifests) = match kind {
        ManifestKind::Image => {
            refuse_field(&document, "manifests", "an image manifest", media_type)?;
            let config = match present(&document, "config") {
                Some(config) => descriptor(config, "config")?,
                None => return Err(FormatError("an image manifest needs a config descriptor".into())),
            };
            (Some(config), descriptor_list(&document, "layers")?, Vec::new())
        }
        ManifestKind::Index => {
            refuse_field(&document, "config", "an index", media_type)?;
            refuse_field(&document, "layers", "an index", media_type)?;
            if present(&document, "manifests").is_none() {
                return Err(FormatError("an index needs a manifests array".into()));
            }
            (None, Vec::new(), descriptor_list(&document, "manifests")?)
        }
    };
    let foreign_layers = foreign_layers(&document, &layers);
    let subject = present(&document, "subject")
        .map(|subject| descriptor(subject, "subject"))
        .transpose()?;
    let artifact_type = string_field(&document, "", "artifactType")?
        .filter(|t| !t.is_empty())
        .or_else(|| config.as_ref().map(|c| c.media_type.clone()));
    Ok(ParsedManifest {
        media_type: media_type.to_owned(),
        kind,
        config,
        layers,
        foreign_layers,
        manifests,
        subject,
        artifact_type,
        annotations: annotations(&document, "")?,
    })
}

/// The referrers API's answer: an OCI index listing the referrers'
/// descriptors, without absent fields.
pub fn referrers_index(referrers: &[Descriptor]) -> Value {
    let manifests: Vec<Value> = referrers
        .iter()
        .filter_map(|d| serde_json::to_value(d).ok())
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests,
    })
}

fn check_schema_version(document: &Map<String, Value>) -> Result<(), FormatError> {
    match present(document, "schemaVersion") {
        Some(version) if version.as_u64() == Some(2) => Ok(()),
        Some(version) if version.as_u64() == Some(1) => Err(schema1_refused()),
        Some(other) => Err(FormatError(format!(
            "the manifest's schemaVersion must be 2 (it is {})",
            shown(&other.to_string())
        ))),
        None => Err(FormatError(
            "the manifest has no schemaVersion; it must be 2".into(),
        )),
    }
}

fn schema1_refused() -> FormatError {
    FormatError(
        "Docker image manifests of schema 1 are not supported; push with a client that writes \
         schema 2 or OCI manifests"
            .into(),
    )
}

/// The manifest's media type from its `mediaType` and the request's
/// `Content-Type`: either, and both alike when both are there.
fn resolve_media_type(
    document: &Map<String, Value>,
    content_type: Option<&str>,
) -> Result<&'static str, FormatError> {
    let declared = string_field(document, "", "mediaType")?.filter(|t| !t.is_empty());
    let sent = content_type.map(essence).filter(|t| !t.is_empty());
    let is_schema1 = |t: &str| {
        [DOCKER_MANIFEST_V1, DOCKER_MANIFEST_V1_SIGNED]
            .iter()
            .any(|v1| v1.eq_ignore_ascii_case(essence(t)))
    };
    if declared.as_deref().is_some_and(is_schema1) || sent.is_some_and(is_schema1) {
        return Err(schema1_refused());
    }
    let media_type = match (declared.as_deref(), sent) {
        (Some(declared), Some(sent)) if !essence(declared).eq_ignore_ascii_case(sent) => {
            return Err(FormatError(format!(
                "the manifest's mediaType '{}' differs from the Content-Type '{}' it was sent with",
                shown(declared),
                shown(sent)
            )))
        }
        (Some(declared), _) => declared,
        (None, Some(sent)) => sent,
        (None, None) => {
            return Err(FormatError(
                "the manifest has no mediaType and was sent without a Content-Type".into(),
            ))
        }
    };
    canonical_manifest_type(media_type).ok_or_else(|| {
        FormatError(format!(
            "'{}' is not a manifest media type; the registry accepts {}",
            shown(media_type),
            MANIFEST_MEDIA_TYPES.join(", ")
        ))
    })
}

/// A field's value, `None` when absent or `null`.
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// A field's name for messages: `layers[1].digest`, or `mediaType` at the top.
fn field_name(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// Refuses a field that doesn't belong in a manifest of this media type.
fn refuse_field(
    document: &Map<String, Value>,
    key: &str,
    what: &str,
    media_type: &str,
) -> Result<(), FormatError> {
    match present(document, key) {
        Some(_) => Err(FormatError(format!(
            "{what} ({media_type}) must not have a {key} field; is the mediaType right?"
        ))),
        None => Ok(()),
    }
}

fn string_field(object: &Map<String, Value>, at: &str, key: &str) -> Result<Option<String>, FormatError> {
    match present(object, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FormatError(format!("{} must be a string", field_name(at, key)))),
    }
}

fn annotations(object: &Map<String, Value>, at: &str) -> Result<BTreeMap<String, String>, FormatError> {
    let name = field_name(at, "annotations");
    match present(object, "annotations") {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(value) => Ok((key.clone(), value.clone())),
                _ => Err(FormatError(format!(
                    "{name}: the value of '{}' must be a string",
                    shown(key)
                ))),
            })
            .collect(),
        Some(_) => Err(FormatError(format!("{name} must be an object of strings"))),
    }
}

/// The positions of the foreign layers (see [`ParsedManifest::foreign_layers`]):
/// a non-distributable or foreign media type and at least one `urls` entry,
/// every entry an `http` or `https` URL. A layer of such a type without
/// usable `urls` is an ordinary layer, which the repository must hold.
fn foreign_layers(document: &Map<String, Value>, layers: &[Descriptor]) -> Vec<usize> {
    let Some(Value::Array(items)) = present(document, "layers") else {
        return Vec::new();
    };
    let fetchable = |item: &Value| match item.get("urls") {
        Some(Value::Array(urls)) if !urls.is_empty() => urls.iter().all(|url| {
            url.as_str().is_some_and(|url| {
                let lower = url.to_ascii_lowercase();
                lower.starts_with("https://") || lower.starts_with("http://")
            })
        }),
        _ => false,
    };
    layers
        .iter()
        .zip(items)
        .enumerate()
        .filter(|(_, (layer, item))| is_foreign_layer_media_type(&layer.media_type) && fetchable(item))
        .map(|(i, _)| i)
        .collect()
}

/// The descriptors of an array field (`layers`, `manifests`); none when absent.
fn descriptor_list(document: &Map<String, Value>, key: &str) -> Result<Vec<Descriptor>, FormatError> {
    match present(document, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| descriptor(item, &format!("{key}[{i}]")))
            .collect(),
        Some(_) => Err(FormatError(format!("{key} must be an array of descriptors"))),
    }
}

/// Reads a descriptor; `at` names it in messages (`layers[0]`).
fn descriptor(value: &Value, at: &str) -> Result<Descriptor, FormatError> {
    let Value::Object(object) = value else {
        return Err(FormatError(format!("{at} must be an object (a descriptor)")));
    };
    let required = |key: &str| FormatError(format!("{} is missing", field_name(at, key)));
    let media_type = string_field(object, at, "mediaType")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| required("mediaType"))?;
    let digest = string_field(object, at, "digest")?.ok_or_else(|| required("digest"))?;
    let digest =
        Digest::parse(&digest).map_err(|e| FormatError(format!("{}: {e}", field_name(at, "digest"))))?;
    let size = present(object, "size").ok_or_else(|| required("size"))?;
    let size = size.as_u64().ok_or_else(|| {
        FormatError(format!(
            "{} must be a whole number of bytes, 0 or more (it is {})",
            field_name(at, "size"),
            shown(&size.to_string())
        ))
    })?;
    let platform = present(object, "platform")
        .map(|platform| {
            Platform::deserialize(platform)
                .map_err(|e| FormatError(format!("{}: {e}", field_name(at, "platform"))))
        })
        .transpose()?;
    Ok(Descriptor {
        media_type,
        digest,
        size,
        platform,
        annotations: annotations(object, at)?,
        artifact_type: string_field(object, at, "artifactType")?.filter(|t| !t.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::media_types::{
        DOCKER_CONFIG, DOCKER_FOREIGN_LAYER, DOCKER_LAYER, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_CONFIG,
        OCI_EMPTY_JSON, OCI_LAYER_NONDISTRIBUTABLE_TAR, OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
        OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD, OCI_LAYER_TAR_GZIP, OCI_MANIFEST,
    };
    use super::*;

    fn digest(seed: &str) -> Digest {
        Digest::sha256_of(seed.as_bytes())
    }

    fn parse(document: &Value, content_type: Option<&str>) -> Result<ParsedManifest, FormatError> {
        parse_manifest(&serde_json::to_vec(document).expect("serialises"), content_type)
    }

    /// Sets a value at a JSON pointer, adding the last key if absent.
    fn set(document: &mut Value, pointer: &str, value: Value) {
        let mut target = document;
        for segment in pointer.trim_start_matches('/').split('/') {
            target = match segment.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[segment],
            };
        }
        *target = value;
    }

    fn error(document: &Value, content_type: Option<&str>) -> String {
        parse(document, content_type).expect_err("refused").0
    }

    fn image() -> Value {
        json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest("config").to_string(), "size": 100},
            "layers": [
                {"mediaType": OCI_LAYER_TAR_GZIP, "digest": digest("layer1").to_string(), "size": 1000},
                {"mediaType": OCI_LAYER_TAR_GZIP, "digest": digest("layer2").to_string(), "size": 2000,
                 "annotations": {"org.opencontainers.image.title": "app.tar.gz"}, "urls": ["https://x"]}
            ],
            "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
        })
    }

    #[test]
    fn reads_an_oci_image_manifest() {
        let manifest = parse(&image(), Some(OCI_MANIFEST)).expect("valid");
        assert_eq!(manifest.media_type, OCI_MANIFEST);
        assert_eq!(manifest.kind, ManifestKind::Image);
        let config = manifest.config.as_ref().expect("config");
        assert_eq!((config.digest.clone(), config.size), (digest("config"), 100));
        assert_eq!(manifest.layers.len(), 2);
        assert_eq!(
            manifest.layers[1].annotations["org.opencontainers.image.title"],
            "app.tar.gz"
        );
        assert!(manifest.manifests.is_empty());
        assert_eq!(manifest.subject, None);
        assert_eq!(manifest.artifact_type.as_deref(), Some(OCI_CONFIG));
        assert_eq!(manifest.annotations.len(), 1);
        let references: Vec<&Digest> = manifest.references().iter().map(|d| &d.digest).collect();
        assert_eq!(
            references,
            [&digest("config"), &digest("layer1"), &digest("layer2")]
        );
        assert_eq!(manifest.content_size(), 3100);
    }

    #[test]
    fn foreign_layers_with_urls_are_not_required_in_the_repository() {
        let layer = |media_type: &str, seed: &str, urls: Value| {
            let mut layer = json!({"mediaType": media_type, "digest": digest(seed).to_string(), "size": 10});
            if !urls.is_null() {
                layer["urls"] = urls;
            }
            layer
        };
        let document = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest("config").to_string(), "size": 100},
            "layers": [
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP, "nd-gzip", json!(["https://store.example.com/a"])),
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR, "nd-tar", json!(["http://store.example.com/b", "https://mirror.example.com/b"])),
                layer(DOCKER_FOREIGN_LAYER, "docker-foreign", json!(["https://mcr.example.com/c"])),
                // Of a foreign type, but nowhere else to fetch it from.
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD, "no-urls", Value::Null),
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP, "empty-urls", json!([])),
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP, "file-url", json!(["file:///etc/passwd"])),
                layer(OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP, "not-a-string", json!([7])),
                // URLs on an ordinary layer change nothing.
                layer(OCI_LAYER_TAR_GZIP, "ordinary", json!(["https://x.example.com/d"])),
            ]
        });
        let manifest = parse(&document, None).expect("valid");
        assert_eq!(manifest.foreign_layers, [0, 1, 2]);
        assert_eq!(manifest.layers.len(), 8);
        let references: Vec<&Digest> = manifest.references().iter().map(|d| &d.digest).collect();
        assert_eq!(
            references,
            [
                &digest("config"),
                &digest("no-urls"),
                &digest("empty-urls"),
                &digest("file-url"),
                &digest("not-a-string"),
                &digest("ordinary")
            ]
        );
    }

    #[test]
    fn reads_a_docker_manifest() {
        let document = format!(
            r#"{{
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {{
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": 7023,
                    "digest": "{}"
                }},
                "layers": [
                    {{
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 32654,
                        "digest": "{}"
                    }}
                ]
            }}"#,
            digest("config"),
            digest("layer")
        );
        let manifest = parse_manifest(document.as_bytes(), Some(DOCKER_MANIFEST)).expect("valid");
        assert_eq!(manifest.media_type, DOCKER_MANIFEST);
        assert_eq!(manifest.kind, ManifestKind::Image);
        assert_eq!(manifest.artifact_type.as_deref(), Some(DOCKER_CONFIG));
        assert_eq!(manifest.layers[0].media_type, DOCKER_LAYER);
        assert_eq!(manifest.content_size(), 7023 + 32654);
    }

    #[test]
    fn reads_an_index_with_platforms() {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": digest("amd64").to_string(), "size": 500,
                 "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": OCI_MANIFEST, "digest": digest("arm64").to_string(), "size": 501,
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
                {"mediaType": OCI_MANIFEST, "digest": digest("windows").to_string(), "size": 502,
                 "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879",
                              "os.features": ["win32k"]}}
            ]
        });
        let manifest = parse(&index, Some(OCI_INDEX)).expect("valid");
        assert_eq!(manifest.kind, ManifestKind::Index);
        assert_eq!(manifest.config, None);
        assert!(manifest.layers.is_empty());
        assert_eq!(manifest.artifact_type, None);
        assert_eq!(manifest.content_size(), 0);
        let labels: Vec<String> = manifest
            .manifests
            .iter()
            .map(|m| m.platform.as_ref().expect("platform").label())
            .collect();
        assert_eq!(labels, ["linux/amd64", "linux/arm64/v8", "windows/amd64"]);
        assert_eq!(
            manifest.manifests[2]
                .platform
                .as_ref()
                .and_then(|p| p.os_version.as_deref()),
            Some("10.0.17763.1879")
        );
        let references: Vec<&Digest> = manifest.references().iter().map(|d| &d.digest).collect();
        assert_eq!(
            references,
            [&digest("amd64"), &digest("arm64"), &digest("windows")]
        );
    }

    #[test]
    fn reads_a_docker_manifest_list_and_an_empty_index() {
        let list = json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST_LIST,
            "manifests": [{"mediaType": DOCKER_MANIFEST, "digest": digest("a").to_string(), "size": 7,
                           "platform": {"architecture": "ppc64le", "os": "linux"}}]
        });
        let manifest = parse(&list, None).expect("valid");
        assert_eq!(
            (manifest.media_type.as_str(), manifest.kind),
            (DOCKER_MANIFEST_LIST, ManifestKind::Index)
        );
        let empty = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []});
        assert!(parse(&empty, None).expect("valid").references().is_empty());
        let without = json!({"schemaVersion": 2, "mediaType": OCI_INDEX});
        assert!(error(&without, None).contains("needs a manifests array"));
    }

    #[test]
    fn media_type_from_document_or_content_type() {
        let mut document = image();
        document.as_object_mut().expect("object").remove("mediaType");
        let manifest = parse(
            &document,
            Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
        )
        .expect("Content-Type used");
        assert_eq!(manifest.media_type, OCI_MANIFEST);
        assert!(error(&document, None).contains("no mediaType and was sent without a Content-Type"));
        assert!(error(&document, Some("  ")).contains("without a Content-Type"));

        // Both present: they must agree (case and parameters aside).
        assert!(parse(&image(), Some("Application/VND.OCI.image.manifest.v1+json")).is_ok());
        let message = error(&image(), Some(DOCKER_MANIFEST));
        assert!(message.contains("differs from the Content-Type"), "{message}");

        let mut odd = image();
        odd["mediaType"] = json!(OCI_CONFIG);
        let message = error(&odd, None);
        assert!(
            message.contains("is not a manifest media type; the registry accepts"),
            "{message}"
        );
        assert!(error(&document, Some("application/json")).contains("not a manifest media type"));
        odd["mediaType"] = json!(7);
        assert!(error(&odd, None).contains("mediaType must be a string"));
    }

    #[test]
    fn refuses_schema_1_and_other_versions() {
        let schema1 = json!({"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": []});
        assert!(error(&schema1, None).contains("schema 1 are not supported"));
        let mut document = image();
        document["mediaType"] = json!("application/vnd.docker.distribution.manifest.v1+prettyjws");
        assert!(error(&document, None).contains("schema 1 are not supported"));
        assert!(error(&image(), Some(DOCKER_MANIFEST_V1)).contains("schema 1 are not supported"));
        for version in [json!(3), json!("2"), json!(2.5), json!(null)] {
            let mut document = image();
            document["schemaVersion"] = version.clone();
            assert!(error(&document, None).contains("schemaVersion"), "{version}");
        }
        let mut document = image();
        document.as_object_mut().expect("object").remove("schemaVersion");
        assert!(error(&document, None).contains("has no schemaVersion"));
    }

    #[test]
    fn refuses_bad_documents() {
        assert!(parse_manifest(b"not json", None)
            .expect_err("refused")
            .0
            .contains("not valid JSON"));
        assert!(parse_manifest(b"[]", None)
            .expect_err("refused")
            .0
            .contains("a JSON object"));
        let huge = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert!(parse_manifest(&huge, None)
            .expect_err("refused")
            .0
            .contains("the largest accepted is"));

        let mut no_config = image();
        no_config.as_object_mut().expect("object").remove("config");
        assert!(error(&no_config, None).contains("needs a config descriptor"));
        no_config["config"] = Value::Null;
        assert!(error(&no_config, None).contains("needs a config descriptor"));

        let mut no_layers = image();
        no_layers.as_object_mut().expect("object").remove("layers");
        assert!(parse(&no_layers, None)
            .expect("layers are optional")
            .layers
            .is_empty());
        no_layers["layers"] = json!({});
        assert!(error(&no_layers, None).contains("layers must be an array of descriptors"));
    }

    #[test]
    fn refuses_bad_descriptors() {
        let cases = [
            (
                "/layers/0/size",
                json!(-1),
                "layers[0].size must be a whole number of bytes, 0 or more (it is -1)",
            ),
            (
                "/layers/0/size",
                json!(1.5),
                "layers[0].size must be a whole number",
            ),
            (
                "/layers/0/size",
                json!("10"),
                "layers[0].size must be a whole number",
            ),
            (
                "/layers/1/digest",
                json!("sha256:ABC"),
                "layers[1].digest: 'sha256:ABC' is not a valid digest",
            ),
            (
                "/config/digest",
                json!("md5:d41d8cd98f00b204e9800998ecf8427e"),
                "config.digest: the digest algorithm 'md5' is not supported",
            ),
            ("/config/mediaType", json!(""), "config.mediaType is missing"),
            ("/layers/0", json!("sha256:x"), "layers[0] must be an object"),
            (
                "/layers/1/annotations",
                json!({"a": 1}),
                "layers[1].annotations: the value of 'a' must be a string",
            ),
            (
                "/annotations",
                json!(["x"]),
                "annotations must be an object of strings",
            ),
            (
                "/layers/0/platform",
                json!({"os": "linux"}),
                "layers[0].platform: missing field `architecture`",
            ),
        ];
        for (pointer, value, message) in cases {
            let mut document = image();
            set(&mut document, pointer, value);
            let got = error(&document, None);
            assert!(got.contains(message), "{pointer}: {got}");
        }
        for key in ["mediaType", "digest", "size"] {
            let mut document = image();
            document["layers"][0].as_object_mut().expect("object").remove(key);
            let got = error(&document, None);
            assert_eq!(got, format!("layers[0].{key} is missing"));
        }
    }

    #[test]
    fn refuses_fields_of_the_other_kind() {
        let mut ambiguous = image();
        ambiguous["manifests"] = json!([]);
        assert!(error(&ambiguous, None).contains(
            "an image manifest (application/vnd.oci.image.manifest.v1+json) must not have a manifests field"
        ));
        for key in ["config", "layers"] {
            let mut index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []});
            index[key] = image()[key].clone();
            assert!(
                error(&index, None).contains(&format!("must not have a {key} field")),
                "{key}"
            );
        }
    }

    #[test]
    fn subject_and_artifact_type() {
        // An artifact: empty config, an explicit artifactType, a subject.
        let signature = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.signature",
            "config": {"mediaType": OCI_EMPTY_JSON, "digest": Digest::sha256_of(b"{}").to_string(), "size": 2},
            "layers": [{"mediaType": "application/vnd.example.sig", "digest": digest("sig").to_string(), "size": 10}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest("image").to_string(), "size": 700},
            "annotations": {"org.example.signer": "ci"}
        });
        let manifest = parse(&signature, None).expect("valid");
        assert_eq!(
            manifest.artifact_type.as_deref(),
            Some("application/vnd.example.signature")
        );
        let subject = manifest.subject.as_ref().expect("subject");
        assert_eq!(subject.digest, digest("image"));
        // The subject is no reference that must exist.
        assert!(manifest.references().iter().all(|d| d.digest != digest("image")));
        assert_eq!(manifest.references().len(), 2);

        // Without artifactType, the config's media type, the empty one too.
        let mut without = signature.clone();
        without.as_object_mut().expect("object").remove("artifactType");
        assert_eq!(
            parse(&without, None).expect("valid").artifact_type.as_deref(),
            Some(OCI_EMPTY_JSON)
        );
        without["artifactType"] = json!("");
        assert_eq!(
            parse(&without, None).expect("valid").artifact_type.as_deref(),
            Some(OCI_EMPTY_JSON)
        );
        let mut sbom = without.clone();
        sbom["config"]["mediaType"] = json!("application/vnd.example.sbom.config");
        assert_eq!(
            parse(&sbom, None).expect("valid").artifact_type.as_deref(),
            Some("application/vnd.example.sbom.config")
        );

        // An index may have a subject and an artifactType too.
        let index = json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX, "artifactType": "application/vnd.example.bundle",
            "manifests": [], "subject": {"mediaType": OCI_MANIFEST, "digest": digest("image").to_string(), "size": 1}
        });
        let parsed = parse(&index, None).expect("valid");
        assert_eq!(
            parsed.artifact_type.as_deref(),
            Some("application/vnd.example.bundle")
        );
        assert!(parsed.subject.is_some());

        let mut bad_subject = signature;
        bad_subject["subject"]["digest"] = json!("sha256:nope");
        assert!(error(&bad_subject, None).contains("subject.digest: "));
    }

    #[test]
    fn referrers_index_lists_descriptors_without_absent_fields() {
        let signature = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.signature",
            "config": {"mediaType": OCI_EMPTY_JSON, "digest": Digest::sha256_of(b"{}").to_string(), "size": 2},
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest("image").to_string(), "size": 700},
            "annotations": {"org.example.signer": "ci"}
        });
        let referrer = parse(&signature, None)
            .expect("valid")
            .referrer_descriptor(digest("signature manifest"), 321);
        let plain = Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: digest("plain"),
            size: 5,
            platform: None,
            annotations: BTreeMap::new(),
            artifact_type: None,
        };
        assert_eq!(
            referrers_index(&[referrer, plain]),
            json!({
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    {
                        "mediaType": OCI_MANIFEST,
                        "digest": digest("signature manifest").to_string(),
                        "size": 321,
                        "annotations": {"org.example.signer": "ci"},
                        "artifactType": "application/vnd.example.signature"
                    },
                    {"mediaType": OCI_MANIFEST, "digest": digest("plain").to_string(), "size": 5}
                ]
            })
        );
        assert_eq!(
            referrers_index(&[]),
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
        );
    }

    #[test]
    fn descriptors_round_trip_through_serde() {
        let descriptor = Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: digest("w"),
            size: 9,
            platform: Some(Platform {
                architecture: "amd64".into(),
                os: "windows".into(),
                variant: None,
                os_version: Some("10.0".into()),
            }),
            annotations: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
            artifact_type: None,
        };
        let value = serde_json::to_value(&descriptor).expect("serialises");
        assert_eq!(
            value["platform"],
            json!({"architecture": "amd64", "os": "windows", "os.version": "10.0"})
        );
        assert!(value.get("artifactType").is_none());
        let back: Descriptor = serde_json::from_value(value).expect("deserialises");
        assert_eq!(back, descriptor);
        let with_unknown: Descriptor = serde_json::from_value(json!({
            "mediaType": "x/y", "digest": digest("u").to_string(), "size": 1, "urls": ["https://x"], "data": "e30="
        }))
        .expect("unknown fields ignored");
        assert_eq!(with_unknown.size, 1);
    }
}
