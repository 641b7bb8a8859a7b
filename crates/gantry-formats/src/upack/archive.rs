//! Reading a `.upack` archive from a staged file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;

use super::UpackManifest;
use crate::FormatError;

/// The largest `upack.json` read; a manifest is a few kilobytes.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Validates a universal package file and returns its manifest.
///
/// Refuses what is not a zip, an archive without a valid `upack.json` at
/// its root, and any entry whose path would escape the package's folder
/// (`..`, absolute paths, drive letters). Only the central directory and the
/// manifest are read, never the content, so the check costs the same for a
/// 1 KiB and a 1 GiB package.
pub fn read_package(path: &Path) -> Result<UpackManifest, FormatError> {
    let file = File::open(path).map_err(|e| FormatError(format!("cannot read the package: {e}")))?;
    let mut archive = ZipArchive::new(file)
        .map_err(|e| FormatError(format!("the package is not a valid zip archive: {e}")))?;
    let mut manifest_index = None;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| FormatError(format!("the package is not a valid zip archive: {e}")))?;
        let raw_name = entry.name().to_owned();
        if entry.enclosed_name().is_none() || raw_name.contains('\\') || raw_name.contains(':') {
            return Err(FormatError(format!(
                "the package contains an entry whose path escapes its folder: '{}'",
                raw_name.escape_debug()
            )));
        }
        if raw_name == "upack.json" {
            manifest_index = Some(index);
        }
    }
    let index =
        manifest_index.ok_or_else(|| FormatError("the package has no upack.json at its root".into()))?;
    let entry = archive
        .by_index(index)
        .map_err(|e| FormatError(format!("cannot read upack.json from the package: {e}")))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FormatError(format!("cannot read upack.json from the package: {e}")))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(FormatError("upack.json is larger than 1 MiB".into()));
    }
    UpackManifest::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_with(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let mut writer = zip::ZipWriter::new(file.reopen().expect("reopen"));
        for (name, body) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(body).expect("write");
        }
        writer.finish().expect("finish");
        file
    }

    const MANIFEST: &[u8] = br#"{"name":"hammer","version":"1.0.0"}"#;

    #[test]
    fn reads_a_valid_package() {
        let file = zip_with(&[("upack.json", MANIFEST), ("package/readme.txt", b"hi")]);
        let manifest = read_package(file.path()).expect("valid");
        assert_eq!(manifest.name, "hammer");
    }

    #[test]
    fn refuses_escapes_missing_manifest_and_non_zip() {
        let escape = zip_with(&[("upack.json", MANIFEST), ("package/../../evil", b"x")]);
        let err = read_package(escape.path()).expect_err("escape");
        assert!(err.0.contains("escapes"), "{err}");
        let absolute = zip_with(&[("upack.json", MANIFEST), ("/etc/passwd", b"x")]);
        assert!(read_package(absolute.path())
            .expect_err("absolute")
            .0
            .contains("escapes"));
        let nested = zip_with(&[("package/upack.json", MANIFEST)]);
        assert!(read_package(nested.path())
            .expect_err("missing")
            .0
            .contains("no upack.json"));
        let mut not_zip = tempfile::NamedTempFile::new().expect("temp file");
        not_zip.write_all(b"just text").expect("write");
        assert!(read_package(not_zip.path())
            .expect_err("not zip")
            .0
            .contains("not a valid zip"));
    }
}
