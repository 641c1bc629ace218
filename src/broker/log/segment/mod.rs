//! One log segment: `<20-digit base offset>.log` holding whole record batches back to back, with
//! its `.index` and `.timeindex`. Appends already-patched batches with one vectored write, keeps
//! the indexes the way Kafka's `LogSegment` does, locates batches by offset and timestamp with
//! positioned reads (headers only, except for the one batch a timestamp lookup must decode), and
//! loads itself from disk either trusting its indexes or by a full verifying scan that truncates a
//! torn or corrupt tail (`load`). Lookups live in `lookup`. It does not decide what to append or
//! when to roll: `partition` does.

mod load;
mod lookup;

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::index::{IndexEntry, OffsetEntry, OffsetIndex, TimeEntry, TimeIndex};
use super::LogConfig;
use crate::broker::logging;
use crate::protocol::batch::{BatchHeader, HEADER_SIZE, NO_TIMESTAMP};

/// Read buffer of the verifying scan.
const SCAN_BUFFER_BYTES: usize = 1 << 20;

/// Kafka keeps offsets relative to the segment base in an int.
const MAX_RELATIVE_OFFSET: i64 = i32::MAX as i64;

pub const LOG_SUFFIX: &str = ".log";
pub const INDEX_SUFFIX: &str = ".index";
pub const TIME_INDEX_SUFFIX: &str = ".timeindex";

/// `<dir>/<20-digit base offset><suffix>`.
pub fn segment_file(dir: &Path, base_offset: i64, suffix: &str) -> PathBuf {
    dir.join(format!("{base_offset:020}{suffix}"))
}

fn invalid_data(message: String) -> std::io::Error {
    std::io::Error::new(ErrorKind::InvalidData, message)
}

fn now_wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Kafka's per-segment index bookkeeping (`LogSegment.append`): the largest timestamp so far and
/// the batch that carried it, and the bytes appended since the last offset-index entry.
#[derive(Debug, Clone, Copy)]
struct IndexTracker {
    bytes_since_last_entry: u64,
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
}

impl IndexTracker {
    fn new() -> Self {
        IndexTracker {
            bytes_since_last_entry: 0,
            max_timestamp: NO_TIMESTAMP,
            offset_of_max_timestamp: -1,
        }
    }

    /// Accounts for a batch stored at `position`; returns the index entries it earns.
    fn on_batch(
        &mut self,
        base_offset: i64,
        header: &BatchHeader,
        position: u64,
        interval: u32,
    ) -> Option<(OffsetEntry, Option<TimeEntry>)> {
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            self.offset_of_max_timestamp = header.last_offset();
        }
        let entries = (self.bytes_since_last_entry > u64::from(interval)).then(|| {
            self.bytes_since_last_entry = 0;
            let offset = OffsetEntry {
                relative_offset: (header.last_offset() - base_offset) as u32,
                position: position as u32,
            };
            (offset, self.time_entry(base_offset))
        });
        self.bytes_since_last_entry += header.size() as u64;
        entries
    }

    /// The time-index entry for the max timestamp so far, if there is one.
    fn time_entry(&self, base_offset: i64) -> Option<TimeEntry> {
        (self.max_timestamp >= 0 && self.offset_of_max_timestamp >= base_offset).then(|| {
            TimeEntry {
                timestamp: self.max_timestamp,
                relative_offset: (self.offset_of_max_timestamp - base_offset) as u32,
            }
        })
    }
}

/// What loading a segment did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Bytes cut from the end of the segment.
    pub truncated_bytes: u64,
    /// Index files that had to be rewritten.
    pub indexes_rebuilt: usize,
}

/// A batch located in a segment.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub position: u64,
    pub header: BatchHeader,
}

#[derive(Debug)]
pub struct Segment {
    pub base_offset: i64,
    log_path: PathBuf,
    file: Arc<File>,
    size: u64,
    next_offset: i64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    tracker: IndexTracker,
    /// Max timestamp of the first batch (Kafka's `rollingBasedTimestamp`, for `segment.ms`).
    first_batch_timestamp: Option<i64>,
    created_ms: i64,
}

fn open_log_file(path: &Path, create: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(create)
        .open(path)
}

/// Writes every byte of `bufs`, however the kernel splits the writes.
fn write_all_vectored(mut file: &File, mut bufs: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !bufs.is_empty() {
        match file.write_vectored(bufs) {
            Ok(0) => return Err(std::io::Error::from(ErrorKind::WriteZero)),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Segment {
    /// Creates an empty segment (replacing any files of that name).
    pub fn create(dir: &Path, base_offset: i64, now_ms: i64) -> std::io::Result<Segment> {
        let log_path = segment_file(dir, base_offset, LOG_SUFFIX);
        let file = open_log_file(&log_path, true)?;
        let offset_index =
            OffsetIndex::create(&segment_file(dir, base_offset, INDEX_SUFFIX), Vec::new())?;
        let time_index = TimeIndex::create(
            &segment_file(dir, base_offset, TIME_INDEX_SUFFIX),
            Vec::new(),
        )?;
        Ok(Segment {
            base_offset,
            log_path,
            file: Arc::new(file),
            size: 0,
            next_offset: base_offset,
            offset_index,
            time_index,
            tracker: IndexTracker::new(),
            first_batch_timestamp: None,
            created_ms: now_ms,
        })
    }

    fn seek_to_end(&mut self) -> std::io::Result<()> {
        (&*self.file).seek(SeekFrom::Start(self.size))?;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The offset after the segment's last batch (its base offset when empty).
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub fn file(&self) -> &Arc<File> {
        &self.file
    }

    pub fn max_timestamp(&self) -> i64 {
        self.tracker.max_timestamp
    }

    /// Kafka's `largestTimestamp`: the max record timestamp, or the file's mtime when none.
    pub fn largest_timestamp(&self) -> i64 {
        if self.tracker.max_timestamp >= 0 {
            return self.tracker.max_timestamp;
        }
        std::fs::metadata(&self.log_path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64)
    }

    /// Kafka's `timeWaitedForRoll`.
    pub fn time_waited_for_roll(&self, now_ms: i64, message_timestamp: i64) -> i64 {
        match self.first_batch_timestamp {
            Some(ts) if ts >= 0 => message_timestamp.saturating_sub(ts),
            _ => now_ms.saturating_sub(self.created_ms),
        }
    }

    /// Kafka's `shouldRoll`, never for an empty segment.
    pub fn should_roll(
        &self,
        config: &LogConfig,
        append_bytes: u64,
        max_timestamp_in_append: i64,
        last_offset_in_append: i64,
        now_ms: i64,
    ) -> bool {
        if self.size == 0 {
            return false;
        }
        let segment_bytes = config.segment_bytes.min(super::validate::MAX_SEGMENT_BYTES);
        let index_bytes = config.segment_index_bytes as usize;
        self.size + append_bytes > segment_bytes
            || self.time_waited_for_roll(now_ms, max_timestamp_in_append) > config.segment_ms
            || self.offset_index.len() >= index_bytes / OffsetEntry::SIZE
            || self.time_index.len() >= index_bytes / TimeEntry::SIZE
            || last_offset_in_append - self.base_offset > MAX_RELATIVE_OFFSET
    }

    /// Appends already-validated, already-patched batches given as `bufs` (one write), whose
    /// final headers are `headers`, and indexes them.
    pub fn append(
        &mut self,
        bufs: &mut [IoSlice<'_>],
        headers: &[BatchHeader],
        index_interval_bytes: u32,
    ) -> std::io::Result<()> {
        if let Err(e) = write_all_vectored(&self.file, bufs) {
            // Leave no torn batch behind: the next append starts where the last good one ended.
            let _ = self.file.set_len(self.size);
            let _ = self.seek_to_end();
            return Err(e);
        }
        let mut position = self.size;
        for header in headers {
            self.first_batch_timestamp
                .get_or_insert(header.max_timestamp);
            let earned =
                self.tracker
                    .on_batch(self.base_offset, header, position, index_interval_bytes);
            if let Some((offset, time)) = earned {
                self.add_index_entries(offset, time);
            }
            position += header.size() as u64;
            self.next_offset = header.next_offset();
        }
        self.size = position;
        Ok(())
    }

    fn add_index_entries(&mut self, offset: OffsetEntry, time: Option<TimeEntry>) {
        // The in-memory index is updated either way; a failed file write is retried on sync.
        if let Err(e) = self.offset_index.push(offset) {
            logging::warn(&format!(
                "Could not write {}: {e}",
                self.offset_index.path().display()
            ));
        }
        if let Some(time) = time {
            if let Err(e) = self.time_index.maybe_push(time) {
                logging::warn(&format!(
                    "Could not write {}: {e}",
                    self.time_index.path().display()
                ));
            }
        }
    }

    /// Reads the header of the batch at `position`; `None` when it is torn or not a v2 batch.
    fn try_read_header(&self, position: u64) -> std::io::Result<Option<BatchHeader>> {
        if position + HEADER_SIZE as u64 > self.size {
            return Ok(None);
        }
        let mut raw = [0u8; HEADER_SIZE];
        self.file.read_exact_at(&mut raw, position)?;
        Ok(BatchHeader::parse(&raw).ok())
    }

    /// The header of the batch at `position`.
    pub fn read_header(&self, position: u64) -> std::io::Result<BatchHeader> {
        self.try_read_header(position)?.ok_or_else(|| {
            invalid_data(format!(
                "no valid batch header at position {position} of {}",
                self.log_path.display()
            ))
        })
    }

    /// Calls `visit` with every batch header and position, in order (one positioned read per
    /// batch; the records are skipped).
    pub fn walk_headers(
        &self,
        from: u64,
        visit: &mut dyn FnMut(u64, &BatchHeader) -> bool,
    ) -> std::io::Result<()> {
        let mut position = from;
        while position < self.size {
            let header = self.read_header(position)?;
            if !visit(position, &header) {
                break;
            }
            position += header.size() as u64;
        }
        Ok(())
    }

    fn relative(&self, offset: i64) -> u32 {
        (offset - self.base_offset).clamp(0, u32::MAX as i64) as u32
    }

    /// Makes the segment inactive: final time-index entry, index files written, then every file
    /// fsynced in the background so the append path does not wait for the disk.
    pub fn seal(&mut self) -> std::io::Result<()> {
        self.write_indexes()?;
        let files = [
            Some(Arc::clone(&self.file)),
            self.offset_index.try_clone_file().ok().map(Arc::new),
            self.time_index.try_clone_file().ok().map(Arc::new),
        ];
        let name = self.log_path.display().to_string();
        let spawned = std::thread::Builder::new()
            .name("segment-fsync".to_string())
            .spawn(move || {
                for file in files.iter().flatten() {
                    if let Err(e) = file.sync_all() {
                        logging::warn(&format!("Could not fsync a file of {name}: {e}"));
                    }
                }
            });
        if spawned.is_err() {
            self.flush()?;
        }
        Ok(())
    }

    fn write_indexes(&mut self) -> std::io::Result<()> {
        if let Some(time) = self.tracker.time_entry(self.base_offset) {
            self.time_index.maybe_push(time)?;
        }
        self.offset_index.write_pending()?;
        self.time_index.write_pending()
    }

    /// Writes the indexes out and fsyncs all three files.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.write_indexes()?;
        self.file.sync_all()?;
        self.offset_index.sync()?;
        self.time_index.sync()
    }

    /// Removes the segment's files. Open `FileSlice`s keep the log readable until dropped.
    pub fn delete(self) -> std::io::Result<()> {
        for path in [
            self.log_path.clone(),
            self.offset_index.path().to_path_buf(),
            self.time_index.path().to_path_buf(),
        ] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub fn index_entries(&self) -> (Vec<OffsetEntry>, Vec<TimeEntry>) {
        (
            self.offset_index.entries().to_vec(),
            self.time_index.entries().to_vec(),
        )
    }
}
