//! Loading a segment from disk: trusting its indexes after a clean shutdown once they pass cheap
//! checks, or scanning and CRC-checking every batch, truncating a torn or corrupt tail and
//! rebuilding both indexes. Never appends.

use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use super::{
    now_wall_ms, open_log_file, segment_file, IndexTracker, LoadOutcome, Segment, INDEX_SUFFIX,
    LOG_SUFFIX, MAX_RELATIVE_OFFSET, SCAN_BUFFER_BYTES, TIME_INDEX_SUFFIX,
};
use crate::broker::log::index::{
    offset_entries_consistent, read_entries, time_entries_consistent, IndexEntry, Loaded,
    OffsetEntry, OffsetIndex, TimeEntry, TimeIndex,
};
use crate::broker::log::LogConfig;
use crate::protocol::batch::{BatchHeader, CRC_COVERAGE_START, HEADER_SIZE};

impl Segment {
    /// Opens a segment after a clean shutdown, trusting its indexes once they pass cheap checks:
    /// whole entries, ordered, inside the file; the batches after the last offset-index entry are
    /// walked (and, for the active segment, CRC-checked) and must be consistent with it, which
    /// also catches an index cut short. `None` when anything is off: the caller then recovers
    /// the segment with a full scan.
    pub fn open_trusted(
        dir: &Path,
        base_offset: i64,
        active: bool,
        upper_bound: Option<i64>,
        config: &LogConfig,
    ) -> std::io::Result<Option<Segment>> {
        let log_path = segment_file(dir, base_offset, LOG_SUFFIX);
        let index_path = segment_file(dir, base_offset, INDEX_SUFFIX);
        let time_path = segment_file(dir, base_offset, TIME_INDEX_SUFFIX);
        let file = open_log_file(&log_path, false)?;
        let size = file.metadata()?.len();
        let Loaded::Entries(offsets) = read_entries::<OffsetEntry>(&index_path)? else {
            return Ok(None);
        };
        let Loaded::Entries(times) = read_entries::<TimeEntry>(&time_path)? else {
            return Ok(None);
        };
        if !offset_entries_consistent(&offsets, size) {
            return Ok(None);
        }
        let mut segment = Segment {
            base_offset,
            log_path,
            file: Arc::new(file),
            size,
            next_offset: base_offset,
            offset_index: OffsetIndex::open_existing(&index_path, offsets)?,
            time_index: TimeIndex::open_existing(&time_path, times)?,
            tracker: IndexTracker::new(),
            first_batch_timestamp: None,
            created_ms: now_wall_ms(),
        };
        if !segment.check_tail(active, upper_bound, config.index_interval_bytes)? {
            return Ok(None);
        }
        let next_relative = (segment.next_offset - base_offset).max(0) as u64;
        if !time_entries_consistent(segment.time_index.entries(), next_relative) {
            return Ok(None);
        }
        if let Some(last) = segment.time_index.last() {
            if last.timestamp > segment.tracker.max_timestamp {
                segment.tracker.max_timestamp = last.timestamp;
                segment.tracker.offset_of_max_timestamp =
                    base_offset + i64::from(last.relative_offset);
            }
        }
        if segment.size > 0 {
            segment.first_batch_timestamp = Some(segment.read_header(0)?.max_timestamp);
        }
        segment.seek_to_end()?;
        Ok(Some(segment))
    }

    /// Walks the batches after the last offset-index entry; false when they contradict the index.
    fn check_tail(
        &mut self,
        verify_crc: bool,
        upper_bound: Option<i64>,
        interval: u32,
    ) -> std::io::Result<bool> {
        let last_entry = self.offset_index.last();
        let start = last_entry.map_or(0, |e| u64::from(e.position));
        let mut position = start;
        let mut expected_next = self.base_offset;
        let mut body = Vec::new();
        while position < self.size {
            let Some(header) = self.try_read_header(position)? else {
                return Ok(false);
            };
            let end = position + header.size() as u64;
            if end > self.size || header.last_offset_delta < 0 {
                return Ok(false);
            }
            if position == start {
                if let Some(entry) = last_entry {
                    let indexed = self.base_offset + i64::from(entry.relative_offset);
                    if header.last_offset() != indexed {
                        return Ok(false);
                    }
                } else if header.base_offset < self.base_offset {
                    return Ok(false);
                }
            } else if header.base_offset < expected_next || position - start > u64::from(interval) {
                // Out of order, or the index is missing entries it should have.
                return Ok(false);
            }
            if header.last_offset() - self.base_offset > MAX_RELATIVE_OFFSET
                || upper_bound.is_some_and(|bound| header.last_offset() >= bound)
            {
                return Ok(false);
            }
            if verify_crc {
                body.resize(header.size() - HEADER_SIZE, 0);
                self.file
                    .read_exact_at(&mut body, position + HEADER_SIZE as u64)?;
                let mut raw = [0u8; HEADER_SIZE];
                self.file.read_exact_at(&mut raw, position)?;
                let crc = crc32c::crc32c_append(crc32c::crc32c(&raw[CRC_COVERAGE_START..]), &body);
                if crc != header.crc {
                    return Ok(false);
                }
            }
            self.tracker
                .on_batch(self.base_offset, &header, position, u32::MAX);
            expected_next = header.next_offset();
            position = end;
        }
        self.next_offset = expected_next;
        self.tracker.bytes_since_last_entry = self.size - start;
        Ok(true)
    }

    /// Opens a segment by scanning and CRC-checking every batch: cuts the file at the first torn
    /// or corrupt batch (or one out of offset order, or reaching `upper_bound`), rebuilds both
    /// indexes, and calls `on_batch` for every batch kept.
    pub fn recover(
        dir: &Path,
        base_offset: i64,
        upper_bound: Option<i64>,
        config: &LogConfig,
        on_batch: &mut dyn FnMut(&BatchHeader),
    ) -> std::io::Result<(Segment, LoadOutcome)> {
        let log_path = segment_file(dir, base_offset, LOG_SUFFIX);
        let index_path = segment_file(dir, base_offset, INDEX_SUFFIX);
        let time_path = segment_file(dir, base_offset, TIME_INDEX_SUFFIX);
        let file = open_log_file(&log_path, false)?;
        let file_size = file.metadata()?.len();

        let mut tracker = IndexTracker::new();
        let mut offsets: Vec<OffsetEntry> = Vec::new();
        let mut times: Vec<TimeEntry> = Vec::new();
        let mut first_batch_timestamp = None;
        let mut next_offset = base_offset;
        let mut position = 0u64;
        {
            let mut reader = BufReader::with_capacity(SCAN_BUFFER_BYTES, &file);
            let mut raw = [0u8; HEADER_SIZE];
            let mut body = Vec::new();
            while position < file_size {
                if file_size - position < HEADER_SIZE as u64 {
                    break;
                }
                reader.read_exact(&mut raw)?;
                let Ok(header) = BatchHeader::parse(&raw) else {
                    break;
                };
                let size = header.size() as u64;
                let out_of_order = header.base_offset < next_offset
                    || header.last_offset_delta < 0
                    || header.last_offset() - base_offset > MAX_RELATIVE_OFFSET
                    || upper_bound.is_some_and(|bound| header.last_offset() >= bound);
                if size > file_size - position || out_of_order {
                    break;
                }
                body.resize(header.size() - HEADER_SIZE, 0);
                reader.read_exact(&mut body)?;
                let crc = crc32c::crc32c_append(crc32c::crc32c(&raw[CRC_COVERAGE_START..]), &body);
                if crc != header.crc {
                    break;
                }
                if let Some((offset, time)) =
                    tracker.on_batch(base_offset, &header, position, config.index_interval_bytes)
                {
                    offsets.push(offset);
                    if let Some(time) = time {
                        if times
                            .last()
                            .is_none_or(|last| time.timestamp > last.timestamp)
                        {
                            times.push(time);
                        }
                    }
                }
                first_batch_timestamp.get_or_insert(header.max_timestamp);
                on_batch(&header);
                next_offset = header.next_offset();
                position += size;
            }
        }
        let mut outcome = LoadOutcome::default();
        if position < file_size {
            file.set_len(position)?;
            outcome.truncated_bytes = file_size - position;
        }
        // The final entry Kafka writes when a segment becomes inactive.
        if let Some(time) = tracker.time_entry(base_offset) {
            if times
                .last()
                .is_none_or(|last| time.timestamp > last.timestamp)
            {
                times.push(time);
            }
        }
        outcome.indexes_rebuilt += usize::from(differs(&index_path, &offsets)?);
        outcome.indexes_rebuilt += usize::from(differs(&time_path, &times)?);
        let mut segment = Segment {
            base_offset,
            log_path,
            file: Arc::new(file),
            size: position,
            next_offset,
            offset_index: OffsetIndex::create(&index_path, offsets)?,
            time_index: TimeIndex::create(&time_path, times)?,
            tracker,
            first_batch_timestamp,
            created_ms: now_wall_ms(),
        };
        segment.seek_to_end()?;
        Ok((segment, outcome))
    }
}

/// Whether the index file at `path` lacks or contradicts `entries`.
fn differs<E: IndexEntry>(path: &Path, entries: &[E]) -> std::io::Result<bool> {
    Ok(match read_entries::<E>(path)? {
        Loaded::Entries(existing) => existing != entries,
        Loaded::Unusable => true,
    })
}
