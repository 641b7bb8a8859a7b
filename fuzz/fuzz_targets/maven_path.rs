//! Feeds arbitrary bytes to the Maven readers of client input: as text to
//! the repository path parser (and, split at `/`, to the version order),
//! and as bytes to the POM reader and the reader of an upstream's
//! `maven-metadata.xml`. None may panic. An accepted path must
//! print back to itself and parse again to the same value, and what it
//! names must be valid Maven coordinates that render to well-formed
//! metadata; an accepted POM must have valid coordinates.

#![no_main]

use std::cmp::Ordering;

use gantry_formats::maven::{
    artifact_metadata_xml, compare_versions, parse_path, read_metadata, read_pom, snapshot_metadata_xml,
    sort_versions,
    validate_artifact_id, validate_group_id, validate_version, ArtifactFile, ComparableVersion,
    MavenPathKind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pom) = read_pom(data) {
        assert!(
            validate_group_id(&pom.group_id).is_ok(),
            "an accepted POM's groupId is valid"
        );
        assert!(
            validate_artifact_id(&pom.artifact_id).is_ok(),
            "its artifactId too"
        );
        assert!(validate_version(&pom.version).is_ok(), "and its version");
        assert!(!pom.packaging.is_empty());
        let metadata = pom.metadata();
        assert!(metadata["dependencies"].is_array());
        serde_json::to_string(&metadata).expect("the metadata serialises");
    }

    if let Ok(metadata) = read_metadata(data) {
        // What a connector merges must be valid versions and builds that
        // render to metadata again.
        let versions: Vec<&str> = metadata.versions.iter().map(String::as_str).collect();
        for version in &versions {
            assert!(validate_version(version).is_ok(), "{version:?} was accepted");
        }
        let _ = artifact_metadata_xml("g", "a", &versions, metadata.last_updated_millis.unwrap_or_default());
        let _ = snapshot_metadata_xml("g", "a", "1.0-SNAPSHOT", &metadata.snapshot_files, 0);
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // The segments as versions: the order must be antisymmetric, and
    // sorting (which meets Maven's cycles between odd versions) must not panic.
    let mut segments: Vec<&str> = text.split('/').take(32).collect();
    let parsed: Vec<ComparableVersion> = segments.iter().map(|s| ComparableVersion::new(s)).collect();
    for (i, a) in parsed.iter().enumerate() {
        assert_eq!(a.compare(a), Ordering::Equal);
        for b in &parsed[i + 1..] {
            assert_eq!(a.compare(b), b.compare(a).reverse(), "{a:?} vs {b:?}");
        }
    }
    if let [a, b, ..] = segments.as_slice() {
        assert_eq!(compare_versions(a, b), parsed[0].compare(&parsed[1]));
    }
    sort_versions(&mut segments);
    let _ = artifact_metadata_xml("g", "a", &segments, 0);

    let Ok(path) = parse_path(text) else {
        return;
    };
    let printed = path.to_path();
    if text != "/" {
        assert_eq!(printed, text, "an accepted path prints back to itself");
    }
    assert_eq!(
        parse_path(&printed).as_ref(),
        Ok(&path),
        "and parses again to the same value"
    );

    match &path.kind {
        MavenPathKind::Artifact(file) => {
            assert!(validate_group_id(&file.group_id).is_ok());
            assert!(validate_artifact_id(&file.artifact_id).is_ok());
            assert!(validate_version(&file.version).is_ok());
            let rebuilt = ArtifactFile::new(
                &file.group_id,
                &file.artifact_id,
                &file.version,
                file.classifier.as_deref(),
                &file.extension,
                file.snapshot.as_ref(),
            )
            .expect("an accepted file can be named again");
            assert_eq!(&rebuilt, file);
            let builds: Vec<_> = file.snapshot_file().into_iter().collect();
            let xml = snapshot_metadata_xml(&file.group_id, &file.artifact_id, &file.version, &builds, 0);
            assert!(xml.contains(&format!("<version>{}</version>", file.version)));
        }
        MavenPathKind::ArtifactMetadata {
            group_id,
            artifact_id,
        } => {
            assert!(validate_group_id(group_id).is_ok());
            assert!(validate_artifact_id(artifact_id).is_ok());
            let _ = artifact_metadata_xml(group_id, artifact_id, &[artifact_id.as_str()], i64::MAX);
        }
        MavenPathKind::VersionMetadata {
            group_id,
            artifact_id,
            version,
        } => {
            assert!(validate_group_id(group_id).is_ok());
            assert!(validate_artifact_id(artifact_id).is_ok());
            assert!(validate_version(version).is_ok());
        }
        MavenPathKind::Directory(directory) => {
            assert!(path.checksum.is_none(), "a directory has no checksum");
            let _ = (
                directory.as_group(),
                directory.as_artifact(),
                directory.as_version(),
            );
        }
    }
});
