//! Reading a `.upack` archive from a staged file.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use super::UpackManifest;
use crate::{ziplimits, FormatError};

/// The largest `upack.json` read; a manifest is a few kilobytes.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// The most a universal package may declare once decompressed. Universal
/// packages carry large binaries (disk images, installers) and uploads may
/// be 16 GiB by default, so this is four times that: room for any real
/// package, far below what a zip bomb declares.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// Validates a universal package file and returns its manifest.
///
/// Refuses what is not a zip, an archive without a valid `upack.json` at
/// its root, and any entry whose path would escape the package's folder
/// (`..`, absolute paths, drive letters, backslashes). Only the central
/// directory and the manifest are read, never the content, so the check
/// costs the same for a 1 KiB and a 1 GiB package. The zip bounds of
/// [`read_package_from`] apply.
pub fn read_package(path: &Path) -> Result<UpackManifest, FormatError> {
    let file = File::open(path).map_err(|e| FormatError(format!("cannot read the package: {e}")))?;
    read_package_from(file)
}

/// [`read_package`] on any seekable reader (the fuzz target reads from
/// memory). Also refuses more than [`crate::MAX_ZIP_ENTRIES`] entries,
/// duplicate entry names, symbolic links, more than [`MAX_UNPACKED_BYTES`]
/// declared in all, and a `upack.json` over 1 MiB or compressed more than
/// [`crate::MAX_COMPRESSION_RATIO`] to 1.
pub fn read_package_from<R: Read + Seek>(reader: R) -> Result<UpackManifest, FormatError> {
    let not_a_zip =
        |e: &dyn std::fmt::Display| FormatError(format!("the package is not a valid zip archive: {e}"));
    let mut archive = ziplimits::open(reader, MAX_UNPACKED_BYTES, &not_a_zip)?;
    let mut manifest_index = None;
    for index in 0..archive.len() {
        let entry = archive.entry(index)?;
        let raw_name = entry.name().to_owned();
        if entry.enclosed_name().is_none() || raw_name.contains('\\') || raw_name.contains(':') {
            return Err(FormatError(format!(
                "the package contains an entry whose path escapes its folder: '{}'",
                raw_name.escape_debug()
            )));
        }
        drop(entry);
        archive.check_entry(index)?;
        if raw_name == "upack.json" {
            manifest_index = Some(index);
        }
    }
    let index =
        manifest_index.ok_or_else(|| FormatError("the package has no upack.json at its root".into()))?;
    let bytes = archive.read_small_entry(
        index,
        MAX_MANIFEST_BYTES,
        &|| FormatError("upack.json is larger than 1 MiB".into()),
        &|e| FormatError(format!("cannot read upack.json from the package: {e}")),
    )?;
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

    mod hostile {
        use std::io::{Cursor, Write};
        use std::time::Duration;

        use zip::write::SimpleFileOptions;

        use super::super::*;
        use super::MANIFEST;
        use crate::ziplimits::tests::{raw_zip, read_counted, RawEnd, RawEntry};
        use crate::MAX_ZIP_ENTRIES;

        fn read(bytes: Vec<u8>) -> (Result<UpackManifest, FormatError>, u64, Duration) {
            read_counted(bytes, read_package_from)
        }

        fn refusal(bytes: Vec<u8>) -> String {
            let (outcome, _, elapsed) = read(bytes);
            assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
            outcome.expect_err("refused").0
        }

        fn deflated(entries: &[(&str, &[u8])]) -> Vec<u8> {
            let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for (name, body) in entries {
                writer
                    .start_file(*name, SimpleFileOptions::default())
                    .expect("entry");
                writer.write_all(body).expect("write");
            }
            writer.finish().expect("finish").into_inner()
        }

        #[test]
        fn a_million_entries_claimed_are_refused_before_the_directory_is_read() {
            let bytes = raw_zip(
                &[RawEntry::file("upack.json", MANIFEST)],
                RawEnd {
                    zip64: true,
                    declared_entries: Some(1_000_000),
                },
            );
            let (outcome, read_bytes, elapsed) = read(bytes);
            let err = outcome.expect_err("refused").0;
            assert_eq!(
                err,
                "the package's zip declares 1000000 entries; at most 100000 are accepted"
            );
            assert!(read_bytes < 4096, "read {read_bytes} bytes");
            assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        }

        #[test]
        fn entries_are_counted_up_to_the_limit() {
            let names: Vec<String> = (1..MAX_ZIP_ENTRIES).map(|i| format!("package/{i:x}")).collect();
            let mut entries: Vec<RawEntry<'_>> = names.iter().map(|n| RawEntry::file(n, b"")).collect();
            entries.push(RawEntry::file("upack.json", MANIFEST));
            let end = RawEnd {
                zip64: true,
                ..RawEnd::default()
            };
            let (outcome, _, elapsed) = read(raw_zip(&entries, end));
            assert_eq!(outcome.expect("at the limit").name, "hammer");
            assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
            entries.push(RawEntry::file("package/one-more", b""));
            let (outcome, read_bytes, _) = read(raw_zip(&entries, end));
            assert!(outcome
                .expect_err("over the limit")
                .0
                .contains("declares 100001 entries"));
            // The last 64 KiB (where the end records are), not the ~9 MB directory.
            assert!(read_bytes < 128 * 1024, "read {read_bytes} bytes");
        }

        #[test]
        fn refuses_a_central_directory_over_its_limit() {
            let mut bytes = raw_zip(&[RawEntry::file("upack.json", MANIFEST)], RawEnd::default());
            // The EOCD's directory size field, 12 bytes into its 22.
            let at = bytes.len() - 22 + 12;
            bytes[at..at + 4].copy_from_slice(&(48_u32 << 20).to_le_bytes());
            assert_eq!(
                refusal(bytes),
                "the package's zip central directory is larger than 32 MiB"
            );
        }

        #[test]
        fn refuses_duplicate_entries() {
            let evil = br#"{"name":"evil","version":"6.6.6"}"#;
            for second in [("upack.json", &evil[..]), ("package/a", b"2")] {
                let bytes = raw_zip(
                    &[
                        RawEntry::file("upack.json", MANIFEST),
                        RawEntry::file("package/a", b"1"),
                        RawEntry::file(second.0, second.1),
                    ],
                    RawEnd::default(),
                );
                let err = refusal(bytes);
                assert!(err.contains("duplicate entry names are not allowed"), "{err}");
                assert!(err.contains("declares 3 entries but holds 2"), "{err}");
            }
        }

        #[test]
        fn refuses_a_manifest_compressed_like_a_bomb() {
            let mut manifest = br#"{"name":"hammer","version":"1.0.0","pad":""#.to_vec();
            manifest.resize(900 * 1024, b' ');
            manifest.extend_from_slice(br#""}"#);
            let bytes = deflated(&[("upack.json", &manifest)]);
            assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
            let (outcome, read_bytes, _) = read(bytes);
            let err = outcome.expect_err("refused").0;
            assert_eq!(
                err,
                "'upack.json' is compressed more than 100 to 1; refusing it as a possible zip bomb"
            );
            assert!(read_bytes < 16 * 1024, "read {read_bytes} bytes");
            // The same manifest stored, or a small one compressed, is fine.
            let stored = raw_zip(&[RawEntry::file("upack.json", &manifest)], RawEnd::default());
            assert!(read(stored).0.is_ok());
            let small = br#"{"name":"hammer","version":"1.0.0","pad":"                                                                                  "}"#;
            assert!(read(deflated(&[("upack.json", small)])).0.is_ok());
        }

        #[test]
        fn refuses_a_manifest_declared_over_1_mib() {
            let bytes = raw_zip(
                &[RawEntry {
                    declared_size: Some(2 << 20),
                    ..RawEntry::file("upack.json", MANIFEST)
                }],
                RawEnd::default(),
            );
            assert_eq!(refusal(bytes), "upack.json is larger than 1 MiB");
        }

        #[test]
        fn refuses_more_than_64_gib_declared() {
            let names: Vec<String> = (0..17).map(|i| format!("package/part{i}")).collect();
            let mut entries = vec![RawEntry::file("upack.json", MANIFEST)];
            entries.extend(names.iter().map(|name| RawEntry {
                declared_size: Some(u32::MAX - 1),
                ..RawEntry::file(name, b"tiny")
            }));
            let (outcome, read_bytes, _) = read(raw_zip(&entries, RawEnd::default()));
            assert_eq!(
                outcome.expect_err("refused").0,
                "the package is larger than 64 GiB once decompressed"
            );
            assert!(read_bytes < 64 * 1024, "read {read_bytes} bytes");
            entries.truncate(16);
            assert!(read(raw_zip(&entries, RawEnd::default())).0.is_ok());
        }

        #[test]
        fn refuses_symbolic_links_and_other_escapes() {
            let link = RawEntry {
                symlink: true,
                ..RawEntry::file("package/etc", b"/etc")
            };
            let err = refusal(raw_zip(
                &[RawEntry::file("upack.json", MANIFEST), link],
                RawEnd::default(),
            ));
            assert!(err.contains("symbolic link at 'package/etc'"), "{err}");
            for name in [
                "package\\..\\evil",
                "C:/evil",
                "..",
                "/upack.json",
                "package/./../../x",
            ] {
                let bytes = raw_zip(
                    &[RawEntry::file("upack.json", MANIFEST), RawEntry::file(name, b"x")],
                    RawEnd::default(),
                );
                assert!(refusal(bytes).contains("escapes its folder"), "{name}");
            }
        }

        #[test]
        fn refuses_deeply_nested_json() {
            let mut manifest = br#"{"name":"hammer","version":"1.0.0","x":"#.to_vec();
            manifest.extend(std::iter::repeat_n(b'[', 100_000));
            manifest.extend(std::iter::repeat_n(b']', 100_000));
            manifest.push(b'}');
            let err = refusal(raw_zip(
                &[RawEntry::file("upack.json", &manifest)],
                RawEnd::default(),
            ));
            assert!(err.contains("recursion limit exceeded"), "{err}");
        }

        #[test]
        fn refuses_overlong_versions() {
            let manifest = format!(r#"{{"name":"hammer","version":"1.0.0-{}"}}"#, "a".repeat(300));
            let err = refusal(raw_zip(
                &[RawEntry::file("upack.json", manifest.as_bytes())],
                RawEnd::default(),
            ));
            assert!(err.contains("longer than 256 characters"), "{err}");
        }
    }
}
