//! Bounds on the zip archives Gantry reads (`.upack`, `.nupkg`), the zip
//! counterpart of the limits `npm::tarball` puts on tarballs.
//!
//! The `zip` crate loads the whole central directory when it opens an
//! archive, one record per entry, whatever number the archive declares, and
//! keeps the last of several entries with the same name without a word. So
//! before it runs, the End Of Central Directory record (and its zip64
//! counterpart) is read here to check the declared entry count and
//! directory size; the crate then reads through a budget that stops it if it
//! reads more than a bounded directory could need (it looks for other EOCD
//! records when the first one does not lead to a directory); and afterwards
//! the number of distinct names it found must equal the number declared,
//! which refuses duplicate entries.

use std::cell::Cell;
use std::fmt::Display;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use zip::read::ZipFile;
use zip::ZipArchive;

use crate::FormatError;

/// The most entries a package's zip may declare. Real packages hold a few
/// thousand files at most; each entry costs a few hundred bytes of memory
/// once the central directory is loaded, so this keeps that under ~50 MiB.
pub const MAX_ZIP_ENTRIES: u64 = 100_000;

/// The largest central directory read: room for [`MAX_ZIP_ENTRIES`] entries
/// with long (~300 byte) names and extra fields. It is held in memory whole.
pub const MAX_CENTRAL_DIRECTORY_BYTES: u64 = 32 * 1024 * 1024;

/// The highest compression ratio accepted for an entry Gantry decompresses
/// (a manifest), once it declares more than [`RATIO_CHECK_FLOOR`]. JSON and
/// XML compress 3–10 to 1; a ratio of hundreds is padding meant to make the
/// server decompress far more than it received.
pub const MAX_COMPRESSION_RATIO: u64 = 100;

/// Below this size the ratio is not checked: a small, repetitive manifest
/// can compress well and costs nothing to decompress.
const RATIO_CHECK_FLOOR: u64 = 64 * 1024;

/// Bytes the zip crate may read while opening the archive and Gantry while
/// reading its manifest: the directory, its end records and the manifest's
/// compressed bytes, with room to spare. Reading more means a crafted
/// archive is sending the parser on a walk through the whole file.
const READ_BUDGET: u64 = MAX_CENTRAL_DIRECTORY_BYTES + 8 * 1024 * 1024;

/// How far before the end of the file an EOCD record can start: its 22 bytes
/// and a comment of up to 65,535.
const EOCD_SEARCH: u64 = 22 + 0xFFFF;

const EOCD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const EOCD64_LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
const EOCD64_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
const EOCD64_LEN: u64 = 56;
const EOCD64_LOCATOR_LEN: u64 = 20;

/// An opened archive whose declared size was checked.
pub(crate) struct CheckedZip<R> {
    archive: ZipArchive<Budget<R>>,
    over_budget: Rc<Cell<bool>>,
    total_unpacked: u64,
    max_unpacked: u64,
}

/// Opens a package's zip, refusing more than [`MAX_ZIP_ENTRIES`] entries, a
/// central directory over [`MAX_CENTRAL_DIRECTORY_BYTES`] and duplicate entry
/// names. `not_a_zip` words the refusal of what is not a readable zip;
/// `max_unpacked` is the most the entries may declare in all, checked by
/// [`CheckedZip::check_entry`].
pub(crate) fn open<R: Read + Seek>(
    mut reader: R,
    max_unpacked: u64,
    not_a_zip: &dyn Fn(&dyn Display) -> FormatError,
) -> Result<CheckedZip<R>, FormatError> {
    let declared = read_end_records(&mut reader)
        .map_err(|e| not_a_zip(&e))?
        .ok_or_else(|| not_a_zip(&"it has no end of central directory record"))?;
    if declared.most_entries > MAX_ZIP_ENTRIES {
        return Err(too_many_entries(declared.most_entries));
    }
    if declared.directory_bytes > MAX_CENTRAL_DIRECTORY_BYTES {
        return Err(directory_too_large());
    }
    reader.seek(SeekFrom::Start(0)).map_err(|e| not_a_zip(&e))?;
    let over_budget = Rc::new(Cell::new(false));
    let budget = Budget {
        inner: reader,
        left: READ_BUDGET,
        tripped: Rc::clone(&over_budget),
    };
    // No BufReader: the crate seeks after every directory record, which
    // would throw its buffer away and read it again each time.
    let archive = match ZipArchive::new(budget) {
        Ok(archive) => archive,
        Err(_) if over_budget.get() => return Err(directory_too_large()),
        Err(e) => return Err(not_a_zip(&e)),
    };
    let found = archive.len() as u64;
    if found > MAX_ZIP_ENTRIES {
        return Err(too_many_entries(found));
    }
    if found != declared.entries {
        return Err(FormatError(format!(
            "the package's zip declares {} entries but holds {found} distinct names: \
             duplicate entry names are not allowed",
            declared.entries
        )));
    }
    Ok(CheckedZip {
        archive,
        over_budget,
        total_unpacked: 0,
        max_unpacked,
    })
}

fn too_many_entries(count: u64) -> FormatError {
    FormatError(format!(
        "the package's zip declares {count} entries; at most {MAX_ZIP_ENTRIES} are accepted"
    ))
}

fn directory_too_large() -> FormatError {
    FormatError(format!(
        "the package's zip central directory is larger than {} MiB",
        MAX_CENTRAL_DIRECTORY_BYTES >> 20
    ))
}

impl<R: Read + Seek> CheckedZip<R> {
    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.archive.len()
    }

    /// An entry's name and metadata, without decompressing it.
    pub(crate) fn entry(&mut self, index: usize) -> Result<ZipFile<'_, Budget<R>>, FormatError> {
        let over_budget = Rc::clone(&self.over_budget);
        self.archive.by_index_raw(index).map_err(|e| {
            if over_budget.get() {
                directory_too_large()
            } else {
                FormatError(format!("the package's zip has an unreadable entry: {e}"))
            }
        })
    }

    /// Adds an entry's declared size to the total, refusing a total over the
    /// limit, and refuses symbolic links: a package holds files and folders,
    /// and an extractor that honours a link can be made to write through it.
    pub(crate) fn check_entry(&mut self, index: usize) -> Result<(), FormatError> {
        let max_unpacked = self.max_unpacked;
        let entry = self.entry(index)?;
        if entry.is_symlink() {
            return Err(FormatError(format!(
                "the package contains a symbolic link at '{}'; packages hold only files and folders",
                entry.name().escape_debug()
            )));
        }
        let size = entry.size();
        drop(entry);
        self.total_unpacked = self.total_unpacked.saturating_add(size);
        if self.total_unpacked > max_unpacked {
            return Err(FormatError(format!(
                "the package is larger than {} GiB once decompressed",
                max_unpacked >> 30
            )));
        }
        Ok(())
    }

    /// Decompresses one small entry (a manifest): refuses one that declares
    /// more than `max_bytes`, takes more than `2 × max_bytes` compressed (no
    /// compression makes data larger than that), or is compressed more than
    /// [`MAX_COMPRESSION_RATIO`] to 1; and stops reading after `max_bytes`
    /// whatever it declares.
    pub(crate) fn read_small_entry(
        &mut self,
        index: usize,
        max_bytes: u64,
        too_large: &dyn Fn() -> FormatError,
        cannot_read: &dyn Fn(&dyn Display) -> FormatError,
    ) -> Result<Vec<u8>, FormatError> {
        let over_budget = Rc::clone(&self.over_budget);
        let entry = self.archive.by_index(index).map_err(|e| cannot_read(&e))?;
        let compressed = entry.compressed_size();
        if entry.size() > max_bytes || compressed > max_bytes.saturating_mul(2) {
            return Err(too_large());
        }
        let name = entry.name().to_owned();
        let over_ratio =
            |size: u64| size > RATIO_CHECK_FLOOR && size > compressed.saturating_mul(MAX_COMPRESSION_RATIO);
        let ratio_refusal = || {
            FormatError(format!(
                "'{}' is compressed more than {MAX_COMPRESSION_RATIO} to 1; refusing it as a possible zip bomb",
                name.escape_debug()
            ))
        };
        if over_ratio(entry.size()) {
            return Err(ratio_refusal());
        }
        let mut bytes = Vec::new();
        entry.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|e| {
            if over_budget.get() {
                directory_too_large()
            } else {
                cannot_read(&e)
            }
        })?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large());
        }
        // The declared size may lie; the ratio holds for what came out too.
        if over_ratio(bytes.len() as u64) {
            return Err(ratio_refusal());
        }
        Ok(bytes)
    }
}

/// What the end records of an archive declare.
#[derive(Debug, PartialEq, Eq)]
struct Declared {
    /// The entry count the zip crate will read (the record nearest the end).
    entries: u64,
    /// The highest count any plausible EOCD record near the end declares:
    /// the zip crate falls back to earlier records when one leads nowhere.
    most_entries: u64,
    /// The central directory's size, as the record nearest the end says.
    directory_bytes: u64,
}

fn u16_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 2)
        .map_or(0, |b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 8).map_or(0, |b| {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    })
}

/// Reads the EOCD records in the last 64 KiB of the archive (where the
/// format puts them), the way the zip crate picks them: from the end
/// backwards, a record whose comment fits in the file and whose directory
/// starts before it. `None` when there is none.
fn read_end_records<R: Read + Seek>(reader: &mut R) -> io::Result<Option<Declared>> {
    let file_len = reader.seek(SeekFrom::End(0))?;
    let tail_start = file_len.saturating_sub(EOCD_SEARCH);
    reader.seek(SeekFrom::Start(tail_start))?;
    let mut tail = Vec::new();
    reader.by_ref().take(EOCD_SEARCH).read_to_end(&mut tail)?;
    let mut chosen: Option<Declared> = None;
    let mut most_entries = 0;
    let mut at = tail.len().saturating_sub(22);
    loop {
        let record = &tail[at..];
        if record.starts_with(&EOCD_SIGNATURE) && record.len() >= 22 {
            let offset = tail_start + at as u64;
            let comment_fits = offset + 22 + u16_at(record, 20) <= file_len;
            let this_disk = u16_at(record, 8);
            let total = u16_at(record, 10);
            let directory_offset = u32_at(record, 16);
            let directory_bytes = u32_at(record, 12);
            let may_be_zip64 = total == 0xFFFF || directory_offset == 0xFFFF_FFFF;
            let plausible = comment_fits && (this_disk == 0 || may_be_zip64 || directory_offset < offset);
            if plausible {
                // An unreadable zip64 record only matters on the record the
                // crate will use; elsewhere it is stray bytes.
                let zip64 = if may_be_zip64 {
                    match read_zip64_end(reader, offset) {
                        Ok(found) => found,
                        Err(e) if chosen.is_none() => return Err(e),
                        Err(_) => None,
                    }
                } else {
                    None
                };
                let declared = match zip64 {
                    Some((entries, most, bytes)) => Declared {
                        entries,
                        most_entries: most,
                        directory_bytes: bytes,
                    },
                    None => Declared {
                        entries: this_disk,
                        most_entries: this_disk.max(total),
                        directory_bytes,
                    },
                };
                most_entries = most_entries.max(declared.most_entries);
                chosen.get_or_insert(declared);
            }
        }
        if at == 0 {
            break;
        }
        at -= 1;
    }
    Ok(chosen.map(|declared| Declared {
        most_entries,
        ..declared
    }))
}

/// The zip64 end record an EOCD at `eocd_offset` points to, if it has one:
/// (entries, the higher of its two counts, directory size).
fn read_zip64_end<R: Read + Seek>(reader: &mut R, eocd_offset: u64) -> io::Result<Option<(u64, u64, u64)>> {
    let Some(locator_offset) = eocd_offset.checked_sub(EOCD64_LOCATOR_LEN) else {
        return Ok(None);
    };
    let locator = read_at(reader, locator_offset, EOCD64_LOCATOR_LEN)?;
    if !locator.starts_with(&EOCD64_LOCATOR_SIGNATURE) {
        return Ok(None);
    }
    // Where the locator says, or (with data prepended to the archive, which
    // shifts every offset) right before the locator, where writers put it.
    let declared_at = u64_at(&locator, 8);
    for candidate in [Some(declared_at), locator_offset.checked_sub(EOCD64_LEN)] {
        let Some(candidate) = candidate.filter(|c| *c < locator_offset) else {
            continue;
        };
        let record = read_at(reader, candidate, EOCD64_LEN)?;
        if record.starts_with(&EOCD64_SIGNATURE) && record.len() as u64 == EOCD64_LEN {
            let this_disk = u64_at(&record, 24);
            let total = u64_at(&record, 32);
            return Ok(Some((total, this_disk.max(total), u64_at(&record, 40))));
        }
    }
    Err(io::Error::other(
        "its zip64 end of central directory record cannot be found",
    ))
}

fn read_at<R: Read + Seek>(reader: &mut R, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    reader.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    reader.by_ref().take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Fails reads once `left` bytes have been read: the guard that keeps the
/// zip crate from walking a crafted file end to end.
pub(crate) struct Budget<R> {
    inner: R,
    left: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 && !buf.is_empty() {
            self.tripped.set(true);
            return Err(io::Error::other("the package's zip needs too much reading"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Budget<R> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.inner.seek(position)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! A zip writer that writes what the `zip` crate's writer refuses to
    //! (duplicate names, lying counts and sizes, links), for the readers'
    //! tests.

    use std::io::Cursor;

    use super::*;

    /// One entry of a hand-made zip (stored, not compressed).
    pub(crate) struct RawEntry<'a> {
        pub name: &'a str,
        pub data: &'a [u8],
        /// The uncompressed size the central directory declares, if not the real one.
        pub declared_size: Option<u32>,
        /// A symbolic link (Unix mode in the external attributes).
        pub symlink: bool,
    }

    impl<'a> RawEntry<'a> {
        pub(crate) fn file(name: &'a str, data: &'a [u8]) -> Self {
            Self {
                name,
                data,
                declared_size: None,
                symlink: false,
            }
        }
    }

    /// How the end records are written.
    #[derive(Clone, Copy, Default)]
    pub(crate) struct RawEnd {
        /// Write zip64 end records (needed past 65,535 entries).
        pub zip64: bool,
        /// The entry count declared, if not the real one.
        pub declared_entries: Option<u64>,
    }

    /// Writes a stored zip, entry by entry, without the zip crate's checks.
    pub(crate) fn raw_zip(entries: &[RawEntry<'_>], end: RawEnd) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for entry in entries {
            let mut crc = flate2::Crc::new();
            crc.update(entry.data);
            let crc = crc.sum();
            let offset = out.len() as u32;
            let size = entry.data.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&20_u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0_u16.to_le_bytes()); // flags
            out.extend_from_slice(&0_u16.to_le_bytes()); // stored
            out.extend_from_slice(&0_u32.to_le_bytes()); // time, date
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0_u16.to_le_bytes());
            out.extend_from_slice(entry.name.as_bytes());
            out.extend_from_slice(entry.data);

            directory.extend_from_slice(b"PK\x01\x02");
            directory.extend_from_slice(&(3_u16 << 8 | 0x14).to_le_bytes()); // made by Unix
            directory.extend_from_slice(&20_u16.to_le_bytes());
            directory.extend_from_slice(&0_u16.to_le_bytes());
            directory.extend_from_slice(&0_u16.to_le_bytes());
            directory.extend_from_slice(&0_u32.to_le_bytes());
            directory.extend_from_slice(&crc.to_le_bytes());
            directory.extend_from_slice(&size.to_le_bytes());
            directory.extend_from_slice(&entry.declared_size.unwrap_or(size).to_le_bytes());
            directory.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            let mode: u32 = if entry.symlink { 0o120_777 } else { 0o100_644 };
            directory.extend_from_slice(&(mode << 16).to_le_bytes());
            directory.extend_from_slice(&offset.to_le_bytes());
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let count = end.declared_entries.unwrap_or(entries.len() as u64);
        let directory_offset = out.len() as u64;
        let directory_len = directory.len() as u64;
        out.extend_from_slice(&directory);
        if end.zip64 {
            let eocd64_offset = out.len() as u64;
            out.extend_from_slice(b"PK\x06\x06");
            out.extend_from_slice(&44_u64.to_le_bytes());
            out.extend_from_slice(&45_u16.to_le_bytes());
            out.extend_from_slice(&45_u16.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // disks
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&directory_len.to_le_bytes());
            out.extend_from_slice(&directory_offset.to_le_bytes());
            out.extend_from_slice(b"PK\x06\x07");
            out.extend_from_slice(&0_u32.to_le_bytes());
            out.extend_from_slice(&eocd64_offset.to_le_bytes());
            out.extend_from_slice(&1_u32.to_le_bytes());
        }
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]); // disks
        let short_count = if end.zip64 { 0xFFFF } else { count as u16 };
        out.extend_from_slice(&short_count.to_le_bytes());
        out.extend_from_slice(&short_count.to_le_bytes());
        out.extend_from_slice(&(directory_len as u32).to_le_bytes());
        let short_offset = if end.zip64 {
            0xFFFF_FFFF
        } else {
            directory_offset as u32
        };
        out.extend_from_slice(&short_offset.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out
    }

    /// A reader that counts what is read through it.
    pub(crate) struct Counting<R> {
        pub inner: R,
        pub read: Rc<Cell<u64>>,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
            self.inner.seek(position)
        }
    }

    /// Runs a package reader on `bytes` in memory; returns its outcome, the
    /// bytes it read (what it can have held in memory) and the time taken.
    pub(crate) fn read_counted<T>(
        bytes: Vec<u8>,
        reader: impl FnOnce(Counting<Cursor<Vec<u8>>>) -> Result<T, FormatError>,
    ) -> (Result<T, FormatError>, u64, std::time::Duration) {
        let read = Rc::new(Cell::new(0));
        let started = std::time::Instant::now();
        let outcome = reader(Counting {
            inner: Cursor::new(bytes),
            read: Rc::clone(&read),
        });
        (outcome, read.get(), started.elapsed())
    }

    fn not_a_zip(e: &dyn Display) -> FormatError {
        FormatError(format!("not a zip: {e}"))
    }

    fn open_bytes(bytes: Vec<u8>) -> Result<CheckedZip<Cursor<Vec<u8>>>, FormatError> {
        open(Cursor::new(bytes), 1 << 30, &not_a_zip)
    }

    #[test]
    fn reads_the_declared_counts() {
        let entries = [RawEntry::file("a", b"1"), RawEntry::file("b", b"22")];
        for zip64 in [false, true] {
            let bytes = raw_zip(
                &entries,
                RawEnd {
                    zip64,
                    ..RawEnd::default()
                },
            );
            let declared = read_end_records(&mut Cursor::new(&bytes))
                .expect("read")
                .expect("found");
            assert_eq!(declared.entries, 2, "zip64 {zip64}");
            assert_eq!(declared.most_entries, 2);
            assert_eq!(declared.directory_bytes, 2 * 46 + 2);
            assert_eq!(open_bytes(bytes).expect("valid").len(), 2);
        }
        // The zip crate's own writer agrees.
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in ["x", "y/z"] {
            writer
                .start_file(name, zip::write::SimpleFileOptions::default())
                .expect("entry");
        }
        let bytes = writer.finish().expect("finish").into_inner();
        assert_eq!(open_bytes(bytes).expect("valid").len(), 2);
    }

    #[test]
    fn refuses_what_has_no_end_record() {
        let err = open_bytes(b"just text".to_vec()).err().expect("refused");
        assert_eq!(err.0, "not a zip: it has no end of central directory record");
        let err = open_bytes(Vec::new()).err().expect("refused");
        assert!(err.0.contains("no end of central directory"), "{err}");
    }

    #[test]
    fn the_budget_stops_reading() {
        let over = Rc::new(Cell::new(false));
        let mut budget = Budget {
            inner: io::repeat(1),
            left: 10,
            tripped: Rc::clone(&over),
        };
        let mut buf = [0; 8];
        assert_eq!(budget.read(&mut buf).expect("read"), 8);
        assert_eq!(budget.read(&mut buf).expect("read"), 2);
        assert!(budget.read(&mut buf).is_err());
        assert!(over.get());
    }
}
