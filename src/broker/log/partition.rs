//! `PartitionLog`: the log of one partition as the broker sees it. Owns the segment list, the log
//! start offset and the producer state; turns a produced blob into an append (validate, check
//! producer sequences, assign offsets by patching headers, roll, write once), answers fetch reads
//! with file slices, timestamp lookups, and retention. It never sees protocol structs and never
//! blocks on anything but its own files.

use std::io::IoSlice;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;

use super::producer_state::{self, metadata_of, ProducerEntry, ProducerStates, SequenceCheck};
use super::recovery;
use super::segment::Segment;
use super::validate::{self, Target, ValidBatch, NO_LOG_START_OFFSET};
use super::{LogConfig, LogLocation, TimestampType};
use crate::broker::logging;
use crate::error::Error;
use crate::protocol::batch::{self, BatchHeader, HEADER_SIZE, TIMESTAMP_TYPE_LOG_APPEND_TIME};

/// The leader epoch stamped on every stored batch: a single node is leader forever, at epoch 0
/// (what Metadata reports).
pub const LEADER_EPOCH: i32 = 0;

/// `log_append_time_ms` for CreateTime topics.
const NO_LOG_APPEND_TIME: i64 = -1;

/// The log of one partition. Callers hold it behind a per-partition mutex; no method blocks on
/// anything but its own files.
#[derive(Debug)]
pub struct PartitionLog {
    location: LogLocation,
    config: LogConfig,
    /// Sorted by base offset, never empty; the last one is the active segment.
    segments: Vec<Segment>,
    log_start_offset: i64,
    producers: ProducerStates,
}

/// What recovery found and did when a log was opened.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecoveryReport {
    /// Segments scanned (all of them after an unclean shutdown; none after a clean one, unless
    /// a segment's indexes failed their checks).
    pub segments_scanned: usize,
    /// Bytes cut from the end of the log because they were torn or corrupt.
    pub truncated_bytes: u64,
    /// Index files rebuilt because they were missing, short or inconsistent.
    pub indexes_rebuilt: usize,
}

/// What retention deleted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RetentionReport {
    pub segments_deleted: usize,
    pub bytes_deleted: u64,
}

/// A successful (or deduplicated) append.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendResult {
    /// Offset of the first record appended (for a duplicate: of the original append).
    pub base_offset: i64,
    /// Broker time for LogAppendTime topics (stored max timestamp for duplicates), else -1.
    pub log_append_time_ms: i64,
    /// Log start offset after the append.
    pub log_start_offset: i64,
}

/// A refused append, with everything the Produce response needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendError {
    /// Kafka error code (`CORRUPT_MESSAGE`, `INVALID_RECORD`, `MESSAGE_TOO_LARGE`, ...).
    pub error_code: i16,
    /// `error_message` for the response, where Kafka sends one (only for record-validation
    /// errors, i.e. those with `record_errors`; Kafka sends none for the others).
    pub message: Option<String>,
    /// `log_start_offset` for the response: -1 or the real one, as Kafka does per error.
    pub log_start_offset: i64,
    /// `record_errors` (batch index, message), for per-record validation failures.
    pub record_errors: Vec<(i32, Option<String>)>,
}

/// A read position in a segment file; the bytes are read after the partition lock is released.
#[derive(Debug, Clone)]
pub struct FileSlice {
    pub file: Arc<std::fs::File>,
    pub position: u64,
    pub length: usize,
}

impl FileSlice {
    /// Reads the slice's bytes (positioned read; safe to call without the partition lock, and
    /// after retention deleted the segment: the open file stays readable). Every batch's CRC is
    /// checked on the way out (hardware CRC-32C, cheap next to the read), so data damaged on disk
    /// after it was recovered or trusted is refused with `InvalidData` instead of being served.
    pub fn read(&self) -> std::io::Result<Bytes> {
        let mut bytes = vec![0u8; self.length];
        self.file.read_exact_at(&mut bytes, self.position)?;
        for item in batch::batches(&bytes) {
            let checked = item.and_then(|(_, range)| batch::verify_crc(&bytes[range]));
            if let Err(e) = checked {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("stored data at position {} is corrupt: {e}", self.position),
                ));
            }
        }
        Ok(Bytes::from(bytes))
    }
}

/// The fetch offset is below the log start or beyond the log end (OFFSET_OUT_OF_RANGE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetOutOfRange;

/// The answer to a fetch read.
#[derive(Debug, Clone)]
pub struct LogRead {
    pub high_watermark: i64,
    pub log_start_offset: i64,
    /// `None` when there is nothing to return (caught up, or the first batch did not fit and
    /// `min_one_batch` was false).
    pub slice: Option<FileSlice>,
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn storage_error(name: &str, what: &str, e: &dyn std::fmt::Display) -> AppendError {
    logging::error(&format!("Error while {what} the log of {name}: {e}"));
    AppendError {
        error_code: ResponseError::KafkaStorageError.code(),
        message: None,
        log_start_offset: NO_LOG_START_OFFSET,
        record_errors: Vec::new(),
    }
}

impl PartitionLog {
    /// Opens (creating if needed) the log in `location.dir`. When `clean_shutdown` is false the
    /// segments are scanned, a torn or corrupt tail is truncated and indexes are rebuilt.
    pub fn open(
        location: LogLocation,
        config: LogConfig,
        clean_shutdown: bool,
    ) -> crate::Result<(Self, RecoveryReport)> {
        let loaded = recovery::load(&location, &config, clean_shutdown, wall_clock_ms())?;
        let log_start_offset = loaded.segments.first().map_or(0, |s| s.base_offset);
        let log = PartitionLog {
            location,
            config,
            segments: loaded.segments,
            log_start_offset,
            producers: loaded.producers,
        };
        Ok((log, loaded.report))
    }

    fn active(&self) -> &Segment {
        // `segments` is never empty (open and retention keep an active segment).
        &self.segments[self.segments.len() - 1]
    }

    fn active_mut(&mut self) -> &mut Segment {
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        Error::io(
            format!("cannot {what} the log of {}", self.location.name),
            e,
        )
    }

    /// Validates one produced `records` blob, checks producer sequences, assigns offsets, appends,
    /// indexes, rolls segments as needed. `now_ms` is the broker's wall clock.
    pub fn append(&mut self, records: Bytes, now_ms: i64) -> Result<AppendResult, AppendError> {
        let log_start = self.log_start_offset;
        let target = Target {
            config: &self.config,
            partition: &self.location.name,
            log_start_offset: log_start,
            now_ms,
        };
        let batches = validate::validate(&records, target).map_err(|r| r.error)?;
        let log_append_time = self.config.timestamp_type == TimestampType::LogAppendTime;

        // Offsets, patched headers and producer-state changes, staged until the write succeeds.
        let first_offset = self.log_end_offset();
        let mut next_offset = first_offset;
        let mut headers: Vec<BatchHeader> = Vec::with_capacity(batches.len());
        let mut staged: Vec<(i64, ProducerEntry)> = Vec::new();
        for valid in &batches {
            let mut header = valid.header;
            header.base_offset = next_offset;
            header.partition_leader_epoch = LEADER_EPOCH;
            if log_append_time {
                header.max_timestamp = now_ms;
                header.attributes |= TIMESTAMP_TYPE_LOG_APPEND_TIME;
            }
            if header.has_producer_id() {
                let pid = header.producer_id;
                let slot = staged.iter().position(|(id, _)| *id == pid);
                let current = slot
                    .map(|i| staged[i].1)
                    .or_else(|| self.producers.get(pid).copied());
                match producer_state::check(
                    current.as_ref(),
                    &header,
                    next_offset,
                    &self.location.name,
                ) {
                    SequenceCheck::Accept => {
                        let mut entry = current.unwrap_or_else(ProducerEntry::empty);
                        entry.record(header.producer_epoch, metadata_of(&header));
                        match slot {
                            Some(i) => staged[i].1 = entry,
                            None => staged.push((pid, entry)),
                        }
                    }
                    SequenceCheck::Duplicate(original) => {
                        return Ok(AppendResult {
                            base_offset: original.first_offset(),
                            log_append_time_ms: original.max_timestamp,
                            log_start_offset: log_start,
                        })
                    }
                    SequenceCheck::Refuse { error_code, .. } => {
                        return Err(AppendError {
                            error_code,
                            message: None,
                            log_start_offset: log_start,
                            record_errors: Vec::new(),
                        })
                    }
                }
            }
            next_offset = header.next_offset();
            headers.push(header);
        }

        let append_bytes: u64 = headers.iter().map(|h| h.size() as u64).sum();
        let max_timestamp = headers.iter().map(|h| h.max_timestamp).max().unwrap_or(-1);
        if self.active().should_roll(
            &self.config,
            append_bytes,
            max_timestamp,
            next_offset - 1,
            now_ms,
        ) {
            self.roll(now_ms)
                .map_err(|e| storage_error(&self.location.name, "rolling", &e))?;
        }

        let patched = patch_headers(&records, &batches, first_offset, log_append_time, now_ms)
            .map_err(|e| storage_error(&self.location.name, "patching", &e))?;
        let mut bufs = Vec::with_capacity(batches.len() * 2);
        for (raw, valid) in patched.iter().zip(&batches) {
            bufs.push(IoSlice::new(raw));
            bufs.push(IoSlice::new(
                &records[valid.range.start + HEADER_SIZE..valid.range.end],
            ));
        }
        let interval = self.config.index_interval_bytes;
        if let Err(e) = self.active_mut().append(&mut bufs, &headers, interval) {
            return Err(storage_error(&self.location.name, "appending to", &e));
        }
        for (pid, entry) in staged {
            self.producers.insert(pid, entry);
        }
        Ok(AppendResult {
            base_offset: first_offset,
            log_append_time_ms: if log_append_time {
                now_ms
            } else {
                NO_LOG_APPEND_TIME
            },
            log_start_offset: log_start,
        })
    }

    /// Seals the active segment and starts a new one at the log end offset.
    fn roll(&mut self, now_ms: i64) -> std::io::Result<()> {
        let next = self.log_end_offset();
        self.active_mut().seal()?;
        let segment = Segment::create(&self.location.dir, next, now_ms)?;
        self.segments.push(segment);
        Ok(())
    }

    /// Locates up to `max_bytes` of whole stored batches starting with the batch that contains
    /// `fetch_offset`. With `min_one_batch`, a first batch bigger than `max_bytes` is returned whole.
    pub fn read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        min_one_batch: bool,
    ) -> Result<LogRead, OffsetOutOfRange> {
        let log_end = self.log_end_offset();
        if fetch_offset < self.log_start_offset || fetch_offset > log_end {
            return Err(OffsetOutOfRange);
        }
        let mut read = LogRead {
            high_watermark: log_end,
            log_start_offset: self.log_start_offset,
            slice: None,
        };
        if fetch_offset == log_end {
            return Ok(read);
        }
        match self.locate_slice(fetch_offset, max_bytes, min_one_batch) {
            Ok(slice) => read.slice = slice,
            // Never serve what cannot be read back as whole batches; the fetch sees no data.
            Err(e) => logging::error(&format!(
                "Error reading offset {fetch_offset} of {}: {e}",
                self.location.name
            )),
        }
        Ok(read)
    }

    fn locate_slice(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        min_one_batch: bool,
    ) -> std::io::Result<Option<FileSlice>> {
        let first = self
            .segments
            .partition_point(|s| s.base_offset <= fetch_offset)
            .saturating_sub(1);
        for segment in &self.segments[first..] {
            let Some(located) = segment.locate(fetch_offset)? else {
                continue;
            };
            let first_size = located.header.size();
            let end = if first_size > max_bytes {
                if !min_one_batch {
                    return Ok(None);
                }
                located.position + first_size as u64
            } else {
                segment.whole_batches_end(&located, max_bytes)?
            };
            return Ok(Some(FileSlice {
                file: Arc::clone(segment.file()),
                position: located.position,
                length: (end - located.position) as usize,
            }));
        }
        Ok(None)
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// Next offset to be assigned (= high watermark on a single node).
    pub fn log_end_offset(&self) -> i64 {
        self.active().next_offset()
    }

    /// First offset whose record timestamp is >= `timestamp_ms`, with that record's timestamp.
    pub fn offset_for_timestamp(&self, timestamp_ms: i64) -> crate::Result<Option<(i64, i64)>> {
        for segment in &self.segments {
            if segment.size() == 0 || segment.max_timestamp() < timestamp_ms {
                continue;
            }
            let found = segment
                .find_offset_by_timestamp(timestamp_ms)
                .map_err(|e| self.io_error("search", e))?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Offset and timestamp of the first record carrying the largest timestamp in the log.
    pub fn max_timestamp(&self) -> crate::Result<Option<(i64, i64)>> {
        let mut best: Option<&Segment> = None;
        for segment in self.segments.iter().filter(|s| s.size() > 0) {
            if best.is_none_or(|b| segment.max_timestamp() > b.max_timestamp()) {
                best = Some(segment);
            }
        }
        let Some(segment) = best else {
            return Ok(None);
        };
        segment
            .find_offset_by_timestamp(segment.max_timestamp())
            .map_err(|e| self.io_error("search", e))
    }

    /// Rolls a segment older than `segment.ms`, deletes segments beyond `retention.ms` /
    /// `retention.bytes` (the active one only after rolling it, as Kafka does) and advances the
    /// log start offset. Also forgets expired producers.
    pub fn enforce_retention(&mut self, now_ms: i64) -> crate::Result<RetentionReport> {
        let mut report = RetentionReport::default();
        let active = self.active();
        if active.size() > 0 && active.time_waited_for_roll(now_ms, now_ms) > self.config.segment_ms
        {
            self.roll(now_ms).map_err(|e| self.io_error("roll", e))?;
        }
        self.producers.remove_expired(now_ms);

        let retention_ms = self.config.retention_ms;
        if retention_ms >= 0 {
            let active_base = self.active().base_offset;
            let expired = self
                .segments
                .iter()
                .take_while(|s| {
                    // An empty active segment is never deleted, so its file need not be
                    // stat'ed for a timestamp: with thousands of idle partitions those stats
                    // were most of a retention pass.
                    let idle_active = s.base_offset == active_base && s.size() == 0;
                    !idle_active && now_ms.saturating_sub(s.largest_timestamp()) > retention_ms
                })
                .count();
            self.delete_oldest(expired, now_ms, &mut report)?;
        }
        if let Ok(retention_bytes) = u64::try_from(self.config.retention_bytes) {
            let total = self.size_bytes();
            if total >= retention_bytes {
                let mut excess = total - retention_bytes;
                let over = self
                    .segments
                    .iter()
                    .take_while(|s| {
                        let fits = excess >= s.size();
                        if fits {
                            excess -= s.size();
                        }
                        fits
                    })
                    .count();
                self.delete_oldest(over, now_ms, &mut report)?;
            }
        }
        Ok(report)
    }

    /// Deletes the `count` oldest segments; the active one is rolled first when it is among
    /// them, and an empty active segment is never deleted.
    fn delete_oldest(
        &mut self,
        mut count: usize,
        now_ms: i64,
        report: &mut RetentionReport,
    ) -> crate::Result<()> {
        if count == self.segments.len() {
            if self.active().size() == 0 {
                count -= 1;
            } else {
                self.roll(now_ms).map_err(|e| self.io_error("roll", e))?;
            }
        }
        if count == 0 {
            return Ok(());
        }
        for segment in self.segments.drain(..count) {
            report.segments_deleted += 1;
            report.bytes_deleted += segment.size();
            let base = segment.base_offset;
            segment.delete().map_err(|e| {
                Error::io(
                    format!(
                        "cannot delete segment {base} of the log of {}",
                        self.location.name
                    ),
                    e,
                )
            })?;
        }
        let first = self.segments[0].base_offset;
        self.log_start_offset = self.log_start_offset.max(first);
        Ok(())
    }

    /// Applies a new effective configuration (after a topic config change).
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    /// Total bytes of all segment files.
    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(Segment::size).sum()
    }

    /// fsyncs the active segment and its indexes (and the directory, for files created since).
    pub fn flush(&mut self) -> crate::Result<()> {
        self.active_mut()
            .flush()
            .map_err(|e| self.io_error("flush", e))?;
        std::fs::File::open(&self.location.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| self.io_error("flush", e))
    }

    /// Flushes and closes; after this the log can be reopened with `clean_shutdown = true`.
    pub fn close(mut self) -> crate::Result<()> {
        self.flush()
    }

    /// Closes and removes the partition directory.
    pub fn delete(self) -> crate::Result<()> {
        let dir = self.location.dir.clone();
        drop(self);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("cannot delete {}", dir.display()), e)),
        }
    }

    #[cfg(test)]
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

/// The stored headers of `batches`: base offset assigned, leader epoch stamped, and for
/// LogAppendTime topics the max timestamp, timestamp type and CRC rewritten. The records are not
/// copied: they are written from `records` as they came.
fn patch_headers(
    records: &[u8],
    batches: &[ValidBatch],
    first_offset: i64,
    log_append_time: bool,
    now_ms: i64,
) -> Result<Vec<[u8; HEADER_SIZE]>, batch::BatchError> {
    let mut next_offset = first_offset;
    let mut patched = Vec::with_capacity(batches.len());
    for valid in batches {
        let start = valid.range.start;
        let mut raw = [0u8; HEADER_SIZE];
        raw.copy_from_slice(&records[start..start + HEADER_SIZE]);
        batch::set_base_offset(&mut raw, next_offset)?;
        batch::set_partition_leader_epoch(&mut raw, LEADER_EPOCH)?;
        if log_append_time {
            batch::set_log_append_time_split(
                &mut raw,
                &records[start + HEADER_SIZE..valid.range.end],
                now_ms,
            )?;
        }
        next_offset += i64::from(valid.header.last_offset_delta) + 1;
        patched.push(raw);
    }
    Ok(patched)
}
