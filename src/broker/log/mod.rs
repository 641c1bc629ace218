//! The on-disk log of one partition: segments (`<20-digit base offset>.log`), a sparse offset index
//! (`.index`) and a time index (`.timeindex`) per segment, recovery of a torn tail, segment roll,
//! retention, and the per-producer sequence state that makes idempotent produce work.
//!
//! Record batches are stored exactly as produced; the log only patches the header fields Kafka's
//! broker rewrites (base offset, leader epoch, max timestamp / timestamp type, then the CRC).
//! This module never sees protocol structs, only raw batch bytes.
//!
//! - `partition`: [`PartitionLog`], the public face: append, read, lookups, retention.
//! - `validate`: the produce-path checks of a client blob, with Kafka's error codes.
//! - `producer_state`: idempotent-producer sequences and duplicates.
//! - `segment`: one `.log` file with its indexes; appends, lookups, verifying scan.
//! - `index`: the `.index` / `.timeindex` files.
//! - `recovery`: opening a partition directory after a clean or unclean shutdown.

#[cfg(test)]
mod fuzz_tests;
mod index;
mod partition;
mod producer_state;
mod recovery;
mod segment;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
mod validate;

use std::path::PathBuf;

pub use partition::{
    AppendError, AppendResult, FileSlice, LogRead, OffsetOutOfRange, PartitionLog, RecoveryReport,
    RetentionReport,
};

/// Whether record timestamps come from the producer or from the broker at append time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// The effective log settings of one partition (topic overrides applied over broker defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `segment.bytes`: roll when the active segment would exceed this.
    pub segment_bytes: u64,
    /// `segment.ms`: roll when the active segment's first batch is older than this.
    pub segment_ms: i64,
    /// `retention.ms`: delete segments whose newest timestamp is older; -1 = keep forever.
    pub retention_ms: i64,
    /// `retention.bytes`: delete oldest segments while the log is larger; -1 = unlimited.
    pub retention_bytes: i64,
    /// `index.interval.bytes`: bytes between two offset-index entries.
    pub index_interval_bytes: u32,
    /// `segment.index.bytes`: the largest an index file may grow before a roll.
    pub segment_index_bytes: u32,
    /// `max.message.bytes`: the largest batch accepted.
    pub max_message_bytes: u32,
    /// `message.timestamp.type`.
    pub timestamp_type: TimestampType,
    /// `message.timestamp.before.max.ms`.
    pub timestamp_before_max_ms: i64,
    /// `message.timestamp.after.max.ms`.
    pub timestamp_after_max_ms: i64,
}

impl Default for LogConfig {
    /// Kafka 4.x's defaults.
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1024 * 1024 * 1024,
            segment_ms: 7 * 24 * 60 * 60 * 1000,
            retention_ms: 7 * 24 * 60 * 60 * 1000,
            retention_bytes: -1,
            index_interval_bytes: 4096,
            segment_index_bytes: 10 * 1024 * 1024,
            max_message_bytes: 1_048_588,
            timestamp_type: TimestampType::CreateTime,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: 3_600_000,
        }
    }
}

/// Where a partition's log lives and what it is called in messages.
#[derive(Debug, Clone)]
pub struct LogLocation {
    /// The partition directory, `<log.dir>/<topic>-<partition>`.
    pub dir: PathBuf,
    /// `topic-partition`, used in error messages.
    pub name: String,
}
