//! CONTRACT ONLY (skeleton): the storage helper replaces every body in this file.

#![allow(clippy::todo, unused_variables)]

use std::sync::Arc;

use bytes::Bytes;

use super::{LogConfig, LogLocation};

/// The log of one partition. Callers hold it behind a per-partition mutex; no method blocks on
/// anything but its own files.
#[derive(Debug)]
pub struct PartitionLog {
    _private: (),
}

/// What recovery found and did when a log was opened.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecoveryReport {
    /// Segments scanned (all of them after an unclean shutdown; none after a clean one).
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
    /// `error_message` for the response, where Kafka sends one.
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
    /// Reads the slice's bytes (positioned read; safe to call without the partition lock).
    pub fn read(&self) -> std::io::Result<Bytes> {
        todo!()
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

impl PartitionLog {
    /// Opens (creating if needed) the log in `location.dir`. When `clean_shutdown` is false the
    /// segments are scanned, a torn or corrupt tail is truncated and indexes are rebuilt.
    pub fn open(
        location: LogLocation,
        config: LogConfig,
        clean_shutdown: bool,
    ) -> crate::Result<(Self, RecoveryReport)> {
        todo!()
    }

    /// Validates one produced `records` blob, checks producer sequences, assigns offsets, appends,
    /// indexes, rolls segments as needed. `now_ms` is the broker's wall clock.
    pub fn append(&mut self, records: Bytes, now_ms: i64) -> Result<AppendResult, AppendError> {
        todo!()
    }

    /// Locates up to `max_bytes` of whole stored batches starting with the batch that contains
    /// `fetch_offset`. With `min_one_batch`, a first batch bigger than `max_bytes` is returned whole.
    pub fn read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        min_one_batch: bool,
    ) -> Result<LogRead, OffsetOutOfRange> {
        todo!()
    }

    pub fn log_start_offset(&self) -> i64 {
        todo!()
    }

    /// Next offset to be assigned (= high watermark on a single node).
    pub fn log_end_offset(&self) -> i64 {
        todo!()
    }

    /// First offset whose record timestamp is >= `timestamp_ms`, with that record's timestamp.
    pub fn offset_for_timestamp(&self, timestamp_ms: i64) -> crate::Result<Option<(i64, i64)>> {
        todo!()
    }

    /// Offset and timestamp of the first record carrying the largest timestamp in the log.
    pub fn max_timestamp(&self) -> crate::Result<Option<(i64, i64)>> {
        todo!()
    }

    /// Rolls a segment older than `segment.ms`, deletes segments beyond `retention.ms` /
    /// `retention.bytes` (never the active one) and advances the log start offset.
    pub fn enforce_retention(&mut self, now_ms: i64) -> crate::Result<RetentionReport> {
        todo!()
    }

    /// Applies a new effective configuration (after a topic config change).
    pub fn set_config(&mut self, config: LogConfig) {
        todo!()
    }

    /// Total bytes of all segment files.
    pub fn size_bytes(&self) -> u64 {
        todo!()
    }

    /// fsyncs the active segment and its indexes.
    pub fn flush(&mut self) -> crate::Result<()> {
        todo!()
    }

    /// Flushes and closes; after this the log can be reopened with `clean_shutdown = true`.
    pub fn close(self) -> crate::Result<()> {
        todo!()
    }

    /// Closes and removes the partition directory.
    pub fn delete(self) -> crate::Result<()> {
        todo!()
    }
}
