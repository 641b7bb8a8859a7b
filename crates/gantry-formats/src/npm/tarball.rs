//! Reading an npm package tarball (`.tgz`) from a staged file.
//!
//! npm packs a package as a gzip-compressed tar whose entries all sit under
//! one top-level folder (`package/` as npm writes it; older tools used other
//! names), with `package.json` in that folder. Clients strip the folder on
//! extraction.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use serde_json::Value;
use tar::{Archive, EntryType, PaxExtensions};

use crate::FormatError;

/// The largest `package.json` read.
pub const MAX_PACKAGE_JSON_BYTES: u64 = 1024 * 1024;

/// The most a tarball may hold once decompressed, tar headers included.
pub const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The largest tar extension header (a long path, pax attributes) read;
/// real ones are a few hundred bytes.
const MAX_EXTENSION_BYTES: u64 = 64 * 1024;

/// A tar block.
const BLOCK: usize = 512;

/// What [`read_tarball`] found in a package.
#[derive(Clone, Debug, PartialEq)]
pub struct TarballContents {
    /// The parsed `package.json`.
    pub package_json: Value,
    /// Its `name` (`@acme/widget`).
    pub name: String,
    /// Its `version`, as written.
    pub version: String,
}

/// Validates an npm tarball and returns its `package.json`. Blocking: run it
/// off the async runtime.
///
/// Refuses what is not a gzip-compressed tar; any entry that is not a file
/// or a folder (links, devices, FIFOs) or whose path is absolute, holds a
/// `..` component or a NUL; a tarball without a `package.json` in its
/// top-level folder (the first component of the first entry), or with more
/// than one that would land there once npm strips that folder; a
/// `package.json` over 1 MiB, that is not JSON, or whose `name` or `version`
/// is not a string; entries hidden after the end-of-archive marker; and a
/// tarball over 4 GiB decompressed. The archive is read as a stream, entry
/// by entry; only `package.json` is kept in memory.
pub fn read_tarball(path: &Path) -> Result<TarballContents, FormatError> {
    let file = File::open(path).map_err(|e| FormatError(format!("cannot read the package: {e}")))?;
    read_tarball_from(file)
}

/// [`read_tarball`] on any reader (the fuzz target reads from memory).
pub fn read_tarball_from<R: Read>(mut reader: R) -> Result<TarballContents, FormatError> {
    let mut magic = [0_u8; 2];
    let is_gzip = reader.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    if !is_gzip {
        return Err(FormatError(
            "the package is not a gzip-compressed tarball (.tgz)".into(),
        ));
    }
    let over_limit = Rc::new(Cell::new(false));
    let reader = LimitedReader {
        inner: GzipMembers::new(BufReader::new(io::Cursor::new(magic).chain(reader))),
        read: 0,
        limit: MAX_UNPACKED_BYTES,
        over_limit: Rc::clone(&over_limit),
    };
    walk(Archive::new(reader)).map_err(|error| match error {
        WalkError::Format(e) => e,
        WalkError::Io(_) if over_limit.get() => too_large(),
        WalkError::Io(e) => FormatError(format!(
            "the package is not a valid gzip-compressed tar archive: {e}"
        )),
    })
}

fn too_large() -> FormatError {
    FormatError(format!(
        "the package is larger than {} GiB once decompressed",
        MAX_UNPACKED_BYTES >> 30
    ))
}

fn package_json_too_large() -> FormatError {
    FormatError(format!(
        "the package's package.json is larger than {} MiB",
        MAX_PACKAGE_JSON_BYTES >> 20
    ))
}

/// Why the walk stopped: the archive's fault, or a read error (which may be
/// the size limit tripping).
enum WalkError {
    Format(FormatError),
    Io(io::Error),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<FormatError> for WalkError {
    fn from(e: FormatError) -> Self {
        Self::Format(e)
    }
}

/// Extension headers seen since the last real entry, which describe the next one.
#[derive(Default)]
struct Pending {
    /// A GNU long name, or a pax `path`.
    path: Option<Vec<u8>>,
    /// A pax `size`, which must agree with the header's.
    size: Option<u64>,
}

fn walk<R: Read>(mut archive: Archive<R>) -> Result<TarballContents, WalkError> {
    let mut pending = Pending::default();
    let mut root: Option<Vec<u8>> = None;
    let mut package_json: Option<Vec<u8>> = None;
    let mut package_json_entries = 0_u32;
    let mut declared: u64 = 0;
    // Raw mode: the tar crate would buffer extension headers of any size;
    // here they are read with a limit, and a pax size that disagrees with
    // the header (which parsers would read differently) is refused.
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        let size = entry.size();
        declared = declared.saturating_add(size).saturating_add(BLOCK as u64);
        if declared > MAX_UNPACKED_BYTES {
            return Err(too_large().into());
        }
        let kind = entry.header().entry_type();
        match kind {
            EntryType::GNULongName => {
                pending.path = Some(trim_nul(read_extension(&mut entry, "long name")?));
                continue;
            }
            EntryType::GNULongLink => {
                // Only links have a link name, and links are refused below.
                read_extension(&mut entry, "long link name")?;
                continue;
            }
            EntryType::XHeader => {
                let body = read_extension(&mut entry, "pax header")?;
                read_pax(&body, &mut pending)?;
                continue;
            }
            EntryType::XGlobalHeader => {
                let body = read_extension(&mut entry, "pax global header")?;
                refuse_global_paths(&body)?;
                continue;
            }
            _ => {}
        }
        let entry_path = pending
            .path
            .take()
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        if pending.size.take().is_some_and(|pax_size| pax_size != size) {
            return Err(FormatError(format!(
                "the package's entry '{}' has two different sizes",
                show(&entry_path)
            ))
            .into());
        }
        check_path(&entry_path)?;
        check_kind(kind, &entry_path)?;
        let root = root.get_or_insert_with(|| first_component(&entry_path).to_vec());
        if !lands_on_package_json(&entry_path) {
            continue;
        }
        package_json_entries += 1;
        if package_json_entries > 1 {
            return Err(FormatError(
                "the package holds more than one package.json for its top-level folder".into(),
            )
            .into());
        }
        if !is_root_package_json(&entry_path, root) {
            continue;
        }
        if kind.is_dir() {
            return Err(FormatError("the package's package.json is a folder".into()).into());
        }
        if size > MAX_PACKAGE_JSON_BYTES {
            return Err(package_json_too_large().into());
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_PACKAGE_JSON_BYTES + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_PACKAGE_JSON_BYTES {
            return Err(package_json_too_large().into());
        }
        package_json = Some(bytes);
    }
    if pending.path.is_some() || pending.size.is_some() {
        return Err(FormatError("the package's tar archive ends with an unfinished entry".into()).into());
    }
    check_end(archive.into_inner())?;
    let Some(root) = root else {
        return Err(FormatError("the package's tar archive holds no files".into()).into());
    };
    let Some(bytes) = package_json else {
        return Err(FormatError(format!(
            "the package has no package.json in its top-level folder '{}/'",
            show(&root)
        ))
        .into());
    };
    Ok(parse_package_json(&bytes)?)
}

/// The tar crate stops at the first zero block; extractors that read on
/// after a single one would find entries never checked here. The block
/// after it must be zero too (or the data end); what follows the second is
/// ignored, but still decompressed so that a corrupt gzip stream is noticed.
fn check_end(mut rest: impl Read) -> Result<(), WalkError> {
    let mut block = Vec::with_capacity(BLOCK);
    (&mut rest).take(BLOCK as u64).read_to_end(&mut block)?;
    if block.iter().any(|b| *b != 0) {
        return Err(FormatError(
            "the package's tar archive has entries after its end-of-archive marker".into(),
        )
        .into());
    }
    io::copy(&mut rest, &mut io::sink())?;
    Ok(())
}

/// Reads an extension header's body, up to [`MAX_EXTENSION_BYTES`].
fn read_extension(entry: &mut impl Read, what: &str) -> Result<Vec<u8>, WalkError> {
    let mut body = Vec::new();
    entry.take(MAX_EXTENSION_BYTES + 1).read_to_end(&mut body)?;
    if body.len() as u64 > MAX_EXTENSION_BYTES {
        return Err(FormatError(format!(
            "the package's tar archive has a {what} larger than {} KiB",
            MAX_EXTENSION_BYTES >> 10
        ))
        .into());
    }
    Ok(body)
}

fn trim_nul(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    bytes
}

/// Takes `path` and `size` from a pax header for the next entry.
fn read_pax(body: &[u8], pending: &mut Pending) -> Result<(), FormatError> {
    let bad = || FormatError("the package's tar archive has an invalid pax header".into());
    for field in PaxExtensions::new(body) {
        let field = field.map_err(|_| bad())?;
        match field.key_bytes() {
            b"path" => pending.path = Some(field.value_bytes().to_vec()),
            b"size" => {
                let size = field
                    .value()
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(bad)?;
                pending.size = Some(size);
            }
            _ => {}
        }
    }
    Ok(())
}

/// A global pax header that renames or resizes entries would be read one way
/// here and another by some extractors; npm never writes one.
fn refuse_global_paths(body: &[u8]) -> Result<(), FormatError> {
    for field in PaxExtensions::new(body) {
        let field =
            field.map_err(|_| FormatError("the package's tar archive has an invalid pax header".into()))?;
        if matches!(field.key_bytes(), b"path" | b"linkpath" | b"size") {
            return Err(FormatError(format!(
                "the package's tar archive has a global pax header setting '{}'",
                show(field.key_bytes())
            )));
        }
    }
    Ok(())
}

/// Refuses paths that could land outside the folder they are extracted to.
fn check_path(path: &[u8]) -> Result<(), FormatError> {
    let escapes = || {
        FormatError(format!(
            "the package contains an entry whose path escapes its folder: '{}'",
            show(path)
        ))
    };
    let Some(&first) = path.first() else {
        return Err(FormatError(
            "the package contains an entry with an empty path".into(),
        ));
    };
    if path.contains(&0) {
        return Err(FormatError(format!(
            "the package contains an entry whose path holds a NUL character: '{}'",
            show(path)
        )));
    }
    let has_drive = first.is_ascii_alphabetic() && path.get(1) == Some(&b':');
    if first == b'/' || first == b'\\' || has_drive {
        return Err(escapes());
    }
    if path
        .split(|b| *b == b'/' || *b == b'\\')
        .any(|component| component == b"..")
    {
        return Err(escapes());
    }
    Ok(())
}

/// npm tarballs hold files and folders only.
fn check_kind(kind: EntryType, path: &[u8]) -> Result<(), FormatError> {
    let what = match kind {
        EntryType::Regular | EntryType::Continuous | EntryType::Directory => return Ok(()),
        EntryType::Symlink => "a symbolic link".to_owned(),
        EntryType::Link => "a hard link".to_owned(),
        EntryType::Char | EntryType::Block => "a device".to_owned(),
        EntryType::Fifo => "a FIFO".to_owned(),
        EntryType::GNUSparse => "a sparse file".to_owned(),
        other => format!("an entry of type {:?}", char::from(other.as_byte())),
    };
    Err(FormatError(format!(
        "the package contains {what} at '{}'; npm packages hold only files and folders",
        show(path)
    )))
}

fn first_component(path: &[u8]) -> &[u8] {
    path.split(|b| *b == b'/').next().unwrap_or_default()
}

/// Whether an entry would be extracted as the package's `package.json`
/// once npm strips the first path component (whatever it is), ignoring
/// empty and `.` components and letter case (case-insensitive file
/// systems).
fn lands_on_package_json(path: &[u8]) -> bool {
    let mut rest = path
        .split(|b| *b == b'/')
        .skip(1)
        .filter(|part| !part.is_empty() && *part != b".");
    rest.next()
        .is_some_and(|part| part.eq_ignore_ascii_case(b"package.json"))
        && rest.next().is_none()
}

/// Whether an entry is exactly `<root>/package.json`.
fn is_root_package_json(path: &[u8], root: &[u8]) -> bool {
    path.strip_prefix(root)
        .and_then(|rest| rest.strip_prefix(b"/"))
        .is_some_and(|rest| rest == b"package.json")
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

/// Parses `package.json` (a leading byte-order mark is skipped, as npm
/// does) and takes its name and version. The caller bounds its size
/// ([`read_tarball`] reads at most [`MAX_PACKAGE_JSON_BYTES`]); serde_json
/// refuses nesting deeper than 128 arrays or objects, so a hostile document
/// can exhaust neither the stack nor (when dropped) the heap.
pub fn parse_package_json(bytes: &[u8]) -> Result<TarballContents, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let package_json: Value = serde_json::from_slice(bytes)
        .map_err(|e| FormatError(format!("the package's package.json is not valid JSON: {e}")))?;
    if !package_json.is_object() {
        return Err(FormatError(
            "the package's package.json is not a JSON object".into(),
        ));
    }
    let field = |key: &str| match package_json.get(key) {
        Some(Value::String(value)) => Ok(value.clone()),
        Some(_) => Err(FormatError(format!(
            "the package's package.json has a '{key}' that is not a string"
        ))),
        None => Err(FormatError(format!("the package's package.json has no '{key}'"))),
    };
    let name = field("name")?;
    let version = field("version")?;
    Ok(TarballContents {
        package_json,
        name,
        version,
    })
}

/// A gzip stream read the way Node's zlib (and so npm) reads it: members
/// one after the other; after a member, zero bytes (padding) or the end of
/// the file end the stream, anything else must be another member.
struct GzipMembers<R> {
    decoder: Option<GzDecoder<R>>,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(inner: R) -> Self {
        Self {
            decoder: Some(GzDecoder::new(inner)),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            let mut inner = decoder.into_inner();
            if inner.fill_buf()?.first().is_some_and(|b| *b != 0) {
                self.decoder = Some(GzDecoder::new(inner));
            }
        }
    }
}

/// Counts what passes through and fails once more than `limit` bytes have:
/// the guard against decompression bombs.
struct LimitedReader<R> {
    inner: R,
    read: u64,
    limit: u64,
    over_limit: Rc<Cell<bool>>,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.limit {
            self.over_limit.set(true);
            return Err(io::Error::other("the decompressed package is too large"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;
    use tar::{Builder, Header};

    use super::*;

    const MANIFEST: &[u8] = br#"{"name":"@acme/widget","version":"1.0.0","scripts":{"install":"x"}}"#;

    enum Item<'a> {
        File(&'a str, &'a [u8]),
        Dir(&'a str),
        Symlink(&'a str, &'a str),
        HardLink(&'a str, &'a str),
        Fifo(&'a str),
        /// A file whose name is written into the header as is, past the
        /// builder's own path checks.
        RawName(&'a [u8], &'a [u8]),
        /// A file after a pax header.
        Pax(&'a str, &'a [(&'a str, &'a str)], &'a [u8]),
    }

    fn header(kind: EntryType, size: u64) -> Header {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header
    }

    fn tar_bytes(items: &[Item<'_>]) -> Vec<u8> {
        let mut builder = Builder::new(Vec::new());
        for item in items {
            match item {
                Item::File(path, body) => {
                    let mut h = header(EntryType::Regular, body.len() as u64);
                    builder.append_data(&mut h, path, *body).expect("file");
                }
                Item::Dir(path) => {
                    let mut h = header(EntryType::Directory, 0);
                    builder.append_data(&mut h, path, io::empty()).expect("dir");
                }
                Item::Symlink(path, target) => {
                    let mut h = header(EntryType::Symlink, 0);
                    builder.append_link(&mut h, path, target).expect("symlink");
                }
                Item::HardLink(path, target) => {
                    let mut h = header(EntryType::Link, 0);
                    builder.append_link(&mut h, path, target).expect("hard link");
                }
                Item::Fifo(path) => {
                    let mut h = header(EntryType::Fifo, 0);
                    builder.append_data(&mut h, path, io::empty()).expect("fifo");
                }
                Item::RawName(name, body) => {
                    let mut h = header(EntryType::Regular, body.len() as u64);
                    let gnu = h.as_gnu_mut().expect("gnu header");
                    gnu.name = [0; 100];
                    gnu.name[..name.len()].copy_from_slice(name);
                    h.set_cksum();
                    builder.append(&h, *body).expect("raw");
                }
                Item::Pax(path, fields, body) => {
                    builder
                        .append_pax_extensions(fields.iter().map(|(k, v)| (*k, v.as_bytes())))
                        .expect("pax");
                    let mut h = header(EntryType::Regular, body.len() as u64);
                    builder.append_data(&mut h, path, *body).expect("file");
                }
            }
        }
        builder.into_inner().expect("tar")
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(bytes).expect("write");
        file.flush().expect("flush");
        file
    }

    fn tgz(items: &[Item<'_>]) -> tempfile::NamedTempFile {
        file_with(&gzip(&tar_bytes(items)))
    }

    fn refusal(file: &tempfile::NamedTempFile) -> String {
        read_tarball(file.path()).expect_err("refused").0
    }

    #[test]
    fn reads_a_valid_tarball() {
        let file = tgz(&[
            Item::Dir("package"),
            Item::File("package/package.json", MANIFEST),
            Item::File("package/index.js", b"module.exports = 1;"),
            Item::Dir("package/lib"),
            Item::File("package/lib/package.json", br#"{"name":"nested"}"#),
        ]);
        let contents = read_tarball(file.path()).expect("valid");
        assert_eq!(contents.name, "@acme/widget");
        assert_eq!(contents.version, "1.0.0");
        assert_eq!(contents.package_json["scripts"]["install"], "x");
    }

    #[test]
    fn the_root_folder_may_have_another_name() {
        let file = tgz(&[
            Item::File("node-widget/index.js", b"x"),
            Item::File("node-widget/package.json", MANIFEST),
        ]);
        assert_eq!(read_tarball(file.path()).expect("valid").name, "@acme/widget");
    }

    #[test]
    fn long_and_pax_paths_are_followed() {
        // Past 100 bytes the header holds a truncated name and the real one
        // comes in a GNU long-name entry before it.
        let long_root = "d".repeat(120);
        let long_path = format!("{long_root}/package.json");
        let file = tgz(&[Item::File(&long_path, MANIFEST)]);
        assert_eq!(read_tarball(file.path()).expect("long name").version, "1.0.0");
        let file = tgz(&[Item::Pax(
            "package/placeholder",
            &[("path", "package/package.json"), ("comment", "hi")],
            MANIFEST,
        )]);
        assert_eq!(read_tarball(file.path()).expect("pax path").version, "1.0.0");
        let file = tgz(&[
            Item::File("package/package.json", MANIFEST),
            Item::Pax("package/x", &[("path", "../evil")], b"x"),
        ]);
        assert!(refusal(&file).contains("escapes"));
    }

    #[test]
    fn refuses_a_missing_or_doubled_package_json() {
        let file = tgz(&[Item::File("package/index.js", b"x")]);
        assert!(refusal(&file).contains("no package.json in its top-level folder 'package/'"));
        let nested = tgz(&[
            Item::File("package/index.js", b"x"),
            Item::File("package/lib/package.json", MANIFEST),
        ]);
        assert!(refusal(&nested).contains("no package.json"));
        let other_root = tgz(&[
            Item::File("first/index.js", b"x"),
            Item::File("package/package.json", MANIFEST),
        ]);
        assert!(refusal(&other_root).contains("'first/'"));
        let empty = file_with(&gzip(&[0; 1024]));
        assert!(refusal(&empty).contains("holds no files"));
        let folder = tgz(&[Item::Dir("package/package.json")]);
        assert!(refusal(&folder).contains("is a folder"));
        for second in [
            "package/package.json",
            "other/package.json",
            "package/Package.json",
            "package/./package.json",
        ] {
            let twice = tgz(&[
                Item::File("package/package.json", MANIFEST),
                Item::File(second, MANIFEST),
            ]);
            assert!(refusal(&twice).contains("more than one package.json"), "{second}");
        }
    }

    #[test]
    fn refuses_paths_that_escape() {
        for (raw, expected) in [
            (&b"package/../../evil"[..], "escapes"),
            (b"../evil", "escapes"),
            (b"/etc/passwd", "escapes"),
            (b"package\\..\\evil", "escapes"),
            (b"C:evil", "escapes"),
        ] {
            let file = tgz(&[
                Item::File("package/package.json", MANIFEST),
                Item::RawName(raw, b"x"),
            ]);
            let err = refusal(&file);
            assert!(err.contains(expected), "{err}");
        }
        let file = tgz(&[Item::Pax("package/x", &[("path", "package/a\0b")], b"x")]);
        assert!(refusal(&file).contains("NUL"));
    }

    #[test]
    fn refuses_links_devices_and_fifos() {
        for (item, expected) in [
            (Item::Symlink("package/link", "/etc/passwd"), "symbolic link"),
            (Item::HardLink("package/link", "package/index.js"), "hard link"),
            (Item::Fifo("package/fifo"), "FIFO"),
        ] {
            let file = tgz(&[Item::File("package/package.json", MANIFEST), item]);
            let err = refusal(&file);
            assert!(err.contains(expected) && err.contains("'package/"), "{err}");
        }
    }

    #[test]
    fn refuses_bad_package_json() {
        let cases: [(&[u8], &str); 6] = [
            (b"{not json", "not valid JSON"),
            (b"[1]", "not a JSON object"),
            (br#"{"name":"x"}"#, "no 'version'"),
            (br#"{"version":"1.0.0"}"#, "no 'name'"),
            (br#"{"name":"x","version":1}"#, "'version' that is not a string"),
            (
                br#"{"name":["x"],"version":"1.0.0"}"#,
                "'name' that is not a string",
            ),
        ];
        for (body, expected) in cases {
            let file = tgz(&[Item::File("package/package.json", body)]);
            let err = refusal(&file);
            assert!(err.contains(expected), "{err}");
        }
        let with_bom = tgz(&[Item::File(
            "package/package.json",
            b"\xEF\xBB\xBF{\"name\":\"x\",\"version\":\"1.0.0\"}",
        )]);
        assert!(read_tarball(with_bom.path()).is_ok());
    }

    #[test]
    fn refuses_a_package_json_over_1_mib() {
        let mut big = br#"{"name":"x","version":"1.0.0","pad":""#.to_vec();
        big.resize(MAX_PACKAGE_JSON_BYTES as usize + 10, b'a');
        big.extend_from_slice(br#""}"#);
        let file = tgz(&[Item::File("package/package.json", &big)]);
        assert!(refusal(&file).contains("larger than 1 MiB"));
    }

    #[test]
    fn refuses_what_is_not_a_gzipped_tar() {
        let valid_tar = tar_bytes(&[Item::File("package/package.json", MANIFEST)]);
        for bytes in [&b"just text"[..], b"", &valid_tar] {
            let file = file_with(bytes);
            assert!(refusal(&file).contains("not a gzip-compressed tarball"));
        }
        let text = b"not a tar archive, just some text. ".repeat(40);
        let mut truncated = gzip(&valid_tar);
        truncated.truncate(truncated.len() / 2);
        let mut corrupt = gzip(&valid_tar);
        let crc_at = corrupt.len() - 8;
        corrupt[crc_at] ^= 0xff;
        for bytes in [gzip(&text), gzip(b"short"), truncated, corrupt] {
            let file = file_with(&bytes);
            let err = refusal(&file);
            assert!(err.contains("not a valid gzip-compressed tar archive"), "{err}");
        }
    }

    #[test]
    fn reads_gzip_members_and_padding_as_npm_does() {
        let valid_tar = tar_bytes(&[Item::File("package/package.json", MANIFEST)]);
        let (head, tail) = valid_tar.split_at(700);
        let mut two_members = gzip(head);
        two_members.extend_from_slice(&gzip(tail));
        assert!(read_tarball(file_with(&two_members).path()).is_ok());
        let mut padded = gzip(&valid_tar);
        padded.extend_from_slice(&[0; 512]);
        assert!(read_tarball(file_with(&padded).path()).is_ok());
        let mut garbage = gzip(&valid_tar);
        garbage.extend_from_slice(b"garbage");
        assert!(refusal(&file_with(&garbage)).contains("not a valid gzip-compressed tar archive"));
    }

    #[test]
    fn refuses_entries_hidden_after_the_end_marker() {
        let mut hidden = tar_bytes(&[Item::File("package/package.json", MANIFEST)]);
        hidden.truncate(hidden.len() - 2 * BLOCK);
        hidden.extend_from_slice(&[0; BLOCK]);
        hidden.extend_from_slice(&tar_bytes(&[Item::Symlink("package/x", "/etc/passwd")]));
        let err = refusal(&file_with(&gzip(&hidden)));
        assert!(err.contains("after its end-of-archive marker"), "{err}");
        let mut after_two = tar_bytes(&[Item::File("package/package.json", MANIFEST)]);
        after_two.extend_from_slice(b"ignored, as tar does");
        assert!(read_tarball(file_with(&gzip(&after_two)).path()).is_ok());
    }

    #[test]
    fn refuses_oversized_extension_headers_and_size_disagreements() {
        let long = "a".repeat(MAX_EXTENSION_BYTES as usize + 1);
        let file = tgz(&[Item::Pax("package/x", &[("comment", &long)], b"x")]);
        assert!(refusal(&file).contains("pax header larger than 64 KiB"));
        let file = tgz(&[Item::Pax("package/package.json", &[("size", "1")], MANIFEST)]);
        assert!(refusal(&file).contains("two different sizes"));
    }

    #[test]
    fn the_size_limit_counts_what_is_decompressed() {
        let over_limit = Rc::new(Cell::new(false));
        let mut reader = LimitedReader {
            inner: io::repeat(0).take(100),
            read: 0,
            limit: 10,
            over_limit: Rc::clone(&over_limit),
        };
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        assert!(over_limit.get());
        let file = tgz(&[Item::File("package/package.json", MANIFEST)]);
        let archive = Archive::new(LimitedReader {
            inner: GzipMembers::new(BufReader::new(File::open(file.path()).expect("open"))),
            read: 0,
            limit: 1000,
            over_limit: Rc::new(Cell::new(false)),
        });
        assert!(matches!(walk(archive), Err(WalkError::Io(_))));
    }

    #[test]
    fn refuses_declared_sizes_over_the_limit() {
        let mut h = header(EntryType::Regular, MAX_UNPACKED_BYTES);
        h.set_path("package/huge").expect("path");
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.extend_from_slice(&[0; 1024]);
        assert!(refusal(&file_with(&gzip(&tar))).contains("larger than 4 GiB"));
    }

    /// A gzip stream of `header` followed by `len` bytes of `fill` and the
    /// end of the archive, built from repeated gzip members so that a
    /// 100 MB entry costs one compressed megabyte to make and ~100 KB to hold.
    fn gzip_of_large_entry(header: &Header, len: u64, fill: u8) -> Vec<u8> {
        const CHUNK: u64 = 1 << 20;
        let mut out = gzip(header.as_bytes());
        let chunk = gzip(&vec![fill; CHUNK as usize]);
        for _ in 0..len / CHUNK {
            out.extend_from_slice(&chunk);
        }
        let rest = len % CHUNK;
        let padding = (BLOCK as u64 - len % BLOCK as u64) % BLOCK as u64;
        let mut tail = vec![fill; rest as usize];
        tail.resize((rest + padding) as usize + 2 * BLOCK, 0);
        out.extend_from_slice(&gzip(&tail));
        out
    }

    /// Reads a tarball from memory; returns the outcome and the compressed
    /// bytes read, after checking it took under two seconds.
    fn read_counting(bytes: Vec<u8>) -> (Result<TarballContents, FormatError>, u64) {
        let read = Rc::new(Cell::new(0));
        let started = std::time::Instant::now();
        let outcome = read_tarball_from(crate::ziplimits::tests::Counting {
            inner: io::Cursor::new(bytes),
            read: Rc::clone(&read),
        });
        let elapsed = started.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(2), "took {elapsed:?}");
        (outcome, read.get())
    }

    #[test]
    fn refuses_a_100_mb_package_json_without_reading_it() {
        let len = 100 * 1000 * 1000;
        let mut h = header(EntryType::Regular, len);
        h.set_path("package/package.json").expect("path");
        h.set_cksum();
        let bytes = gzip_of_large_entry(&h, len, b' ');
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let (outcome, read) = read_counting(bytes);
        assert_eq!(
            outcome.expect_err("refused").0,
            "the package's package.json is larger than 1 MiB"
        );
        assert!(read < 64 * 1024, "read {read} compressed bytes");
        // The same stream with another name is read to its end, and passes.
        let mut h = header(EntryType::Regular, 3 << 20);
        h.set_path("package/big.bin").expect("path");
        h.set_cksum();
        let mut bytes = gzip(&tar_bytes(&[Item::File("package/package.json", MANIFEST)])[..1024]);
        bytes.extend_from_slice(&gzip_of_large_entry(&h, 3 << 20, 0));
        assert_eq!(read_counting(bytes).0.expect("valid").name, "@acme/widget");
    }

    #[test]
    fn refuses_deeply_nested_package_json() {
        let nested = |depth: usize| {
            let mut json = br#"{"name":"x","version":"1.0.0","x":"#.to_vec();
            json.extend(std::iter::repeat_n(b'[', depth));
            json.extend(std::iter::repeat_n(b']', depth));
            json.push(b'}');
            json
        };
        // serde_json's limit: 128 levels, the outer object included.
        assert!(parse_package_json(&nested(126)).is_ok());
        let err = parse_package_json(&nested(127)).expect_err("too deep").0;
        assert!(err.contains("recursion limit exceeded"), "{err}");
        let file = tgz(&[Item::File("package/package.json", &nested(500_000))]);
        let err = refusal(&file);
        assert!(err.contains("recursion limit exceeded"), "{err}");
    }

    #[test]
    fn refuses_a_linked_package_json() {
        for item in [
            Item::Symlink("package/package.json", "/etc/passwd"),
            Item::HardLink("package/package.json", "../../etc/passwd"),
        ] {
            let err = refusal(&tgz(&[item]));
            assert!(err.contains("link at 'package/package.json'"), "{err}");
        }
    }

    #[test]
    fn refuses_overlong_versions_in_the_version_key() {
        let version = format!("1.0.0-{}", "a".repeat(300));
        let body = format!(r#"{{"name":"x","version":"{version}"}}"#);
        let contents = read_tarball(tgz(&[Item::File("package/package.json", body.as_bytes())]).path())
            .expect("the tarball reader leaves versions to the format");
        let err = crate::npm::version_key(&contents.version).expect_err("too long");
        assert!(err.0.contains("longer than 256 characters"), "{err}");
    }
}
