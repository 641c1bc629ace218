//! The two sparse per-segment indexes in Kafka's on-disk layout: `.index` (8-byte entries:
//! relative offset u32 + file position u32) and `.timeindex` (12-byte entries: timestamp i64 +
//! relative offset u32), big-endian. The entries are kept in memory for lookups; the file only
//! ever holds a prefix of them and is brought up to date in bulk (every [`WRITE_BATCH_ENTRIES`]
//! entries, and on `sync`), so an append never pays an index write per batch. After a crash the
//! files are rebuilt from the segment, so a short file is harmless. No file handle is kept between
//! those writes: a broker with 10,000 partitions would otherwise hold three descriptors per
//! segment and run out of them (the `.log` file is the only one a segment keeps open, as in
//! Kafka, which maps its indexes and closes them). This module knows nothing about record batches.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Entries buffered in memory before they are written out.
pub const WRITE_BATCH_ENTRIES: usize = 128;

/// One fixed-size index entry.
pub trait IndexEntry: Copy + PartialEq + std::fmt::Debug {
    /// Bytes per entry on disk.
    const SIZE: usize;
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> Self;
}

/// `.index` entry: the last offset of a batch (relative to the segment base) and where the batch
/// starts in the segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

/// `.timeindex` entry: the largest timestamp so far and the (relative) last offset of the batch
/// that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

impl IndexEntry for OffsetEntry {
    const SIZE: usize = 8;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.relative_offset.to_be_bytes());
        out.extend_from_slice(&self.position.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        OffsetEntry {
            relative_offset: be_u32(&bytes[0..4]),
            position: be_u32(&bytes[4..8]),
        }
    }
}

impl IndexEntry for TimeEntry {
    const SIZE: usize = 12;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.relative_offset.to_be_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&bytes[0..8]);
        TimeEntry {
            timestamp: i64::from_be_bytes(ts),
            relative_offset: be_u32(&bytes[8..12]),
        }
    }
}

/// An index: every entry in memory, a prefix of them on disk.
#[derive(Debug)]
pub struct Index<E: IndexEntry> {
    path: PathBuf,
    entries: Vec<E>,
    /// How many entries the file holds.
    written: usize,
    /// A write failed part-way: the file must be rewritten whole before it is trusted again.
    needs_rewrite: bool,
}

pub type OffsetIndex = Index<OffsetEntry>;
pub type TimeIndex = Index<TimeEntry>;

/// What reading an index file from disk found.
#[derive(Debug)]
pub enum Loaded<E: IndexEntry> {
    Entries(Vec<E>),
    /// Absent, or not a whole number of entries: must be rebuilt.
    Unusable,
}

/// Reads the entries of an index file, if it exists and holds whole entries.
pub fn read_entries<E: IndexEntry>(path: &Path) -> std::io::Result<Loaded<E>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Loaded::Unusable),
        Err(e) => return Err(e),
    };
    if bytes.len() % E::SIZE != 0 {
        return Ok(Loaded::Unusable);
    }
    Ok(Loaded::Entries(
        bytes.chunks_exact(E::SIZE).map(E::decode).collect(),
    ))
}

impl<E: IndexEntry> Index<E> {
    /// Takes over `path`, which holds exactly `entries` (as read by [`read_entries`]); later
    /// writes append from there.
    pub fn open_existing(path: &Path, entries: Vec<E>) -> std::io::Result<Self> {
        let written = entries.len();
        Ok(Index {
            path: path.to_path_buf(),
            entries,
            written,
            needs_rewrite: false,
        })
    }

    /// Creates (or replaces) `path` with `entries`, written out at once.
    pub fn create(path: &Path, entries: Vec<E>) -> std::io::Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        let mut bytes = Vec::with_capacity(entries.len() * E::SIZE);
        for entry in &entries {
            entry.encode(&mut bytes);
        }
        file.write_all(&bytes)?;
        drop(file);
        Self::open_existing(path, entries)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn last(&self) -> Option<E> {
        self.entries.last().copied()
    }

    /// Adds an entry; the file is written once enough entries are pending.
    pub fn push(&mut self, entry: E) -> std::io::Result<()> {
        self.entries.push(entry);
        if self.entries.len() - self.written >= WRITE_BATCH_ENTRIES {
            self.write_pending()?;
        }
        Ok(())
    }

    /// The index file, opened for appending (created if a crash or an operator removed it:
    /// `written` then no longer describes it, so it is rewritten whole).
    fn open_for_append(&mut self) -> std::io::Result<File> {
        match OpenOptions::new().append(true).open(&self.path) {
            Ok(file) => Ok(file),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.needs_rewrite = true;
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&self.path)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the entries the file does not hold yet.
    pub fn write_pending(&mut self) -> std::io::Result<()> {
        if self.written == self.entries.len() && !self.needs_rewrite {
            return Ok(());
        }
        let mut file = self.open_for_append()?;
        self.write_pending_to(&mut file)
    }

    fn write_pending_to(&mut self, file: &mut File) -> std::io::Result<()> {
        if self.needs_rewrite {
            // The file is opened for appending, so after this the writes start at 0 again.
            file.set_len(0)?;
            self.written = 0;
            self.needs_rewrite = false;
        }
        if self.written == self.entries.len() {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity((self.entries.len() - self.written) * E::SIZE);
        for entry in &self.entries[self.written..] {
            entry.encode(&mut bytes);
        }
        if let Err(e) = file.write_all(&bytes) {
            self.needs_rewrite = true;
            return Err(e);
        }
        self.written = self.entries.len();
        Ok(())
    }

    /// Writes pending entries and fsyncs the file.
    pub fn sync(&mut self) -> std::io::Result<()> {
        let mut file = self.open_for_append()?;
        self.write_pending_to(&mut file)?;
        file.sync_all()
    }

    /// A handle for a background fsync.
    pub fn try_clone_file(&self) -> std::io::Result<File> {
        OpenOptions::new().append(true).open(&self.path)
    }

    /// The last entry whose key is <= `key` (entries are sorted by key).
    pub fn floor_by<K: Ord>(&self, key: K, key_of: impl Fn(&E) -> K) -> Option<E> {
        let count = self.entries.partition_point(|e| key_of(e) <= key);
        count.checked_sub(1).map(|i| self.entries[i])
    }
}

impl OffsetIndex {
    /// The entry with the largest relative offset <= `relative_offset`.
    pub fn lookup(&self, relative_offset: u32) -> Option<OffsetEntry> {
        self.floor_by(relative_offset, |e| e.relative_offset)
    }

    /// The entry with the largest position <= `position`.
    pub fn lookup_position(&self, position: u32) -> Option<OffsetEntry> {
        self.floor_by(position, |e| e.position)
    }
}

impl TimeIndex {
    /// The entry with the largest timestamp <= `timestamp`.
    pub fn lookup(&self, timestamp: i64) -> Option<TimeEntry> {
        self.floor_by(timestamp, |e| e.timestamp)
    }

    /// Appends `entry` if its timestamp is larger than the last one (Kafka's `maybeAppend`).
    pub fn maybe_push(&mut self, entry: TimeEntry) -> std::io::Result<()> {
        match self.last() {
            Some(last) if entry.timestamp <= last.timestamp => Ok(()),
            _ => self.push(entry),
        }
    }
}

/// Whether offset-index entries are usable for a segment file of `log_size` bytes: strictly
/// increasing offsets and positions, every position inside the file.
pub fn offset_entries_consistent(entries: &[OffsetEntry], log_size: u64) -> bool {
    let ordered = entries
        .windows(2)
        .all(|w| w[0].relative_offset < w[1].relative_offset && w[0].position < w[1].position);
    ordered && entries.iter().all(|e| u64::from(e.position) < log_size)
}

/// Whether time-index entries are usable: strictly increasing timestamps, non-decreasing offsets,
/// every offset below `next_relative_offset`.
pub fn time_entries_consistent(entries: &[TimeEntry], next_relative_offset: u64) -> bool {
    let ordered = entries
        .windows(2)
        .all(|w| w[0].timestamp < w[1].timestamp && w[0].relative_offset <= w[1].relative_offset);
    ordered
        && entries
            .iter()
            .all(|e| u64::from(e.relative_offset) < next_relative_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.index");
        let mut index = OffsetIndex::create(&path, Vec::new()).expect("create");
        for i in 0..(WRITE_BATCH_ENTRIES as u32 + 3) {
            index
                .push(OffsetEntry {
                    relative_offset: i * 10,
                    position: i * 4096,
                })
                .expect("push");
        }
        // Only whole write batches reach the file before a sync.
        assert_eq!(
            std::fs::metadata(&path).expect("meta").len() as usize,
            WRITE_BATCH_ENTRIES * OffsetEntry::SIZE
        );
        index.sync().expect("sync");
        let Loaded::Entries(read) = read_entries::<OffsetEntry>(&path).expect("read") else {
            panic!("unusable");
        };
        assert_eq!(read, index.entries());
        assert!(offset_entries_consistent(&read, u64::MAX));
        assert_eq!(index.lookup(25).map(|e| e.relative_offset), Some(20));
        assert_eq!(index.lookup_position(4095).map(|e| e.position), Some(0));
        assert_eq!(index.lookup_position(8192).map(|e| e.position), Some(8192));
    }

    /// No handle is held between writes, so a file removed behind the index's back is created
    /// again and written whole on the next write.
    #[test]
    fn a_removed_file_is_rewritten_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.index");
        let mut index = OffsetIndex::create(&path, Vec::new()).expect("create");
        let entry = |i: u32| OffsetEntry {
            relative_offset: i,
            position: i * 100,
        };
        index.push(entry(0)).expect("push");
        index.sync().expect("sync");
        std::fs::remove_file(&path).expect("remove");
        index.push(entry(1)).expect("push");
        index.sync().expect("sync");
        let Loaded::Entries(read) = read_entries::<OffsetEntry>(&path).expect("read") else {
            panic!("unusable");
        };
        assert_eq!(read, vec![entry(0), entry(1)]);
    }

    #[test]
    fn time_index_appends_only_growing_timestamps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.timeindex");
        let mut index = TimeIndex::create(&path, Vec::new()).expect("create");
        for (ts, off) in [(10, 0), (10, 1), (5, 2), (20, 3)] {
            index
                .maybe_push(TimeEntry {
                    timestamp: ts,
                    relative_offset: off,
                })
                .expect("push");
        }
        assert_eq!(index.len(), 2);
        assert_eq!(index.lookup(15).map(|e| e.relative_offset), Some(0));
        assert_eq!(index.lookup(9), None);
        index.sync().expect("sync");
        let Loaded::Entries(read) = read_entries::<TimeEntry>(&path).expect("read") else {
            panic!("unusable");
        };
        assert!(time_entries_consistent(&read, 4));
        assert!(!time_entries_consistent(&read, 3));
    }

    #[test]
    fn partial_or_missing_files_are_unusable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0.index");
        assert!(matches!(
            read_entries::<OffsetEntry>(&path),
            Ok(Loaded::Unusable)
        ));
        std::fs::write(&path, [0u8; 11]).expect("write");
        assert!(matches!(
            read_entries::<OffsetEntry>(&path),
            Ok(Loaded::Unusable)
        ));
        let unordered = [
            OffsetEntry {
                relative_offset: 5,
                position: 100,
            },
            OffsetEntry {
                relative_offset: 4,
                position: 200,
            },
        ];
        assert!(!offset_entries_consistent(&unordered, 1000));
        assert!(!offset_entries_consistent(&unordered[..1], 100));
    }
}
