//! The media types of OCI and Docker images, and the `Accept` header check.
//!
//! Media types compare case-insensitively and without their parameters
//! (`; charset=utf-8`), as HTTP defines them.

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index (a multi-platform image or a list of artifacts).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker manifest list, the Docker counterpart of an OCI index.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image manifest, schema 1 (refused: deprecated, and signed with
/// a key the registry can't check).
pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// A signed Docker image manifest, schema 1 (refused as well).
pub const DOCKER_MANIFEST_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The four manifest media types the manifests endpoint stores.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

/// The empty JSON document `{}`, the config of an artifact that has none.
pub const OCI_EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
/// An OCI image configuration.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// A Docker image configuration.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// An uncompressed OCI layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// A gzip-compressed OCI layer.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// A zstd-compressed OCI layer.
pub const OCI_LAYER_TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// A non-distributable OCI layer (deprecated), uncompressed.
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar";
/// A non-distributable OCI layer (deprecated), gzip-compressed.
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/// A non-distributable OCI layer (deprecated), zstd-compressed.
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
/// A gzip-compressed Docker layer.
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// A foreign Docker layer (fetched from its `urls`, such as Windows base layers).
pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/// A media type without its parameters and surrounding spaces:
/// `application/json; charset=utf-8` is `application/json`.
pub fn essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

/// The manifest media type constant a media type names (case and
/// parameters aside), `None` when it names none of the four.
pub fn canonical_manifest_type(media_type: &str) -> Option<&'static str> {
    let essence = essence(media_type);
    MANIFEST_MEDIA_TYPES
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(essence))
}

/// Whether a media type is one the manifests endpoint stores: an image
/// manifest or an index, OCI or Docker.
pub fn is_manifest_media_type(media_type: &str) -> bool {
    canonical_manifest_type(media_type).is_some()
}

/// Whether a media type is an index: an OCI index or a Docker manifest list.
pub fn is_index_media_type(media_type: &str) -> bool {
    matches!(
        canonical_manifest_type(media_type),
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST)
    )
}

/// Whether a layer media type is one clients may fetch from the layer's
/// `urls` instead of the registry: the (deprecated) non-distributable OCI
/// layers and Docker's foreign layers (Windows base layers).
pub fn is_foreign_layer_media_type(media_type: &str) -> bool {
    let essence = essence(media_type);
    [
        OCI_LAYER_NONDISTRIBUTABLE_TAR,
        OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
        OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD,
        DOCKER_FOREIGN_LAYER,
    ]
    .iter()
    .any(|foreign| foreign.eq_ignore_ascii_case(essence))
}

/// Whether a media type is an image manifest, OCI or Docker.
pub fn is_image_manifest_media_type(media_type: &str) -> bool {
    matches!(
        canonical_manifest_type(media_type),
        Some(OCI_MANIFEST | DOCKER_MANIFEST)
    )
}

/// Whether the `Accept` headers of a request allow a media type. Each header
/// value is split on `,`; each media range loses its parameters. `*/*` and
/// `type/*` match as HTTP says; a range with `q=0` allows nothing, and the
/// media type itself with `q=0` refuses it whatever wildcards say; no header
/// (or only empty ones) allows everything.
pub fn accepts(accept_values: &[&str], media_type: &str) -> bool {
    let wanted = essence(media_type);
    let mut any_range = false;
    let mut allowed = false;
    for range in accept_values.iter().flat_map(|value| value.split(',')) {
        let mut parts = range.split(';');
        let range_type = parts.next().unwrap_or_default().trim();
        if range_type.is_empty() {
            continue;
        }
        any_range = true;
        if !range_matches(range_type, wanted) {
            continue;
        }
        if !parts.any(is_zero_quality) {
            allowed = true;
        } else if !range_type.ends_with("/*") {
            return false;
        }
    }
    allowed || !any_range
}

/// Whether a media range (`*/*`, `application/*`, `application/json`) covers
/// a media type.
fn range_matches(range: &str, media_type: &str) -> bool {
    if range == "*/*" {
        return true;
    }
    match range.strip_suffix("/*") {
        Some(range_main) => media_type
            .split_once('/')
            .is_some_and(|(main, _)| main.eq_ignore_ascii_case(range_main)),
        None => range.eq_ignore_ascii_case(media_type),
    }
}

/// Whether a parameter is `q=0` (or `q=0.0`...): "not acceptable".
fn is_zero_quality(parameter: &str) -> bool {
    let Some((name, value)) = parameter.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_manifest_types() {
        for mt in MANIFEST_MEDIA_TYPES {
            assert!(is_manifest_media_type(mt), "{mt}");
            assert_eq!(canonical_manifest_type(mt), Some(mt));
        }
        assert!(is_index_media_type(OCI_INDEX));
        assert!(is_index_media_type(DOCKER_MANIFEST_LIST));
        assert!(!is_index_media_type(OCI_MANIFEST));
        assert!(is_image_manifest_media_type(DOCKER_MANIFEST));
        assert!(!is_image_manifest_media_type(DOCKER_MANIFEST_LIST));
        assert!(is_manifest_media_type(
            "Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8"
        ));
        assert_eq!(
            canonical_manifest_type(" application/vnd.oci.image.index.v1+json ;x=y"),
            Some(OCI_INDEX)
        );
        for other in [
            OCI_CONFIG,
            OCI_EMPTY_JSON,
            DOCKER_MANIFEST_V1,
            DOCKER_MANIFEST_V1_SIGNED,
            "",
            "application/json",
        ] {
            assert!(!is_manifest_media_type(other), "{other}");
            assert!(!is_index_media_type(other), "{other}");
        }
        assert_eq!(essence("application/json; charset=utf-8"), "application/json");
    }

    #[test]
    fn absent_or_wildcard_accept_allows_all() {
        assert!(accepts(&[], OCI_MANIFEST));
        assert!(accepts(&[""], OCI_MANIFEST));
        assert!(accepts(&[" , "], OCI_MANIFEST));
        assert!(accepts(&["*/*"], OCI_INDEX));
        assert!(accepts(&["text/html, */*;q=0.1"], OCI_INDEX));
        assert!(accepts(&["application/*"], OCI_INDEX));
        assert!(!accepts(&["text/*"], OCI_INDEX));
    }

    #[test]
    fn matches_listed_types_with_parameters() {
        let docker = [
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json;q=0.5",
        ];
        assert!(accepts(&docker, DOCKER_MANIFEST));
        assert!(accepts(&docker, DOCKER_MANIFEST_LIST));
        assert!(accepts(&docker, OCI_INDEX));
        assert!(!accepts(&docker, OCI_MANIFEST));
        assert!(accepts(
            &["APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON ; q=1"],
            OCI_MANIFEST
        ));
        assert!(accepts(
            &[OCI_MANIFEST],
            "application/vnd.oci.image.manifest.v1+json; charset=utf-8"
        ));
    }

    #[test]
    fn zero_quality_refuses() {
        assert!(!accepts(
            &["application/vnd.oci.image.index.v1+json;q=0"],
            OCI_INDEX
        ));
        assert!(!accepts(
            &["application/vnd.oci.image.index.v1+json; Q = 0.000"],
            OCI_INDEX
        ));
        assert!(!accepts(&["*/*;q=0"], OCI_INDEX));
        assert!(accepts(&["*/*;q=0.001"], OCI_INDEX));
        assert!(accepts(&["*/*;q=nonsense"], OCI_INDEX));
        assert!(accepts(
            &["*/*;q=0", "application/vnd.oci.image.index.v1+json"],
            OCI_INDEX
        ));
        assert!(!accepts(
            &["application/vnd.oci.image.index.v1+json;q=0, */*"],
            OCI_INDEX
        ));
        assert!(accepts(
            &["application/vnd.oci.image.index.v1+json;q=0, */*"],
            OCI_MANIFEST
        ));
    }
}
