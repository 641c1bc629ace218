//! Tests of `PartitionLog` through its public methods, on real files in temp directories:
//! appends and reads, segment rolls, index and timestamp lookups, recovery, retention and
//! idempotent-producer state across reopen.

use std::path::Path;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::{Compression, RecordBatchDecoder};

use super::test_support::{encode, BatchSpec};
use super::{LogConfig, LogLocation, PartitionLog, TimestampType};
use crate::protocol::batch::{self, BatchHeader};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn location(dir: &Path) -> LogLocation {
    LogLocation {
        dir: dir.join("topic-0"),
        name: "topic-0".to_string(),
    }
}

fn open(dir: &Path, config: &LogConfig, clean: bool) -> (PartitionLog, super::RecoveryReport) {
    PartitionLog::open(location(dir), config.clone(), clean).expect("open")
}

fn append(log: &mut PartitionLog, spec: &BatchSpec) -> i64 {
    log.append(encode(spec), now()).expect("append").base_offset
}

/// Every (offset, timestamp) readable from `from`, fetching batch by batch.
fn read_records(log: &PartitionLog, from: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut offset = from;
    while offset < log.log_end_offset() {
        let read = log.read(offset, 1, true).expect("in range");
        let slice = read.slice.expect("data");
        let mut bytes = slice.read().expect("read");
        let set = RecordBatchDecoder::decode(&mut bytes).expect("decode");
        for r in &set.records {
            if r.offset >= offset {
                out.push((r.offset, r.timestamp));
            }
        }
        offset = set.records.last().expect("records").offset + 1;
    }
    out
}

fn segment_files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("topic-0"))
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

fn small_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 2000,
        index_interval_bytes: 1,
        ..LogConfig::default()
    }
}

#[test]
fn appends_assign_offsets_and_reads_return_whole_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, report) = open(dir.path(), &LogConfig::default(), true);
    assert_eq!(report, super::RecoveryReport::default());
    assert_eq!(log.log_end_offset(), 0);
    let ts = now();
    assert_eq!(append(&mut log, &BatchSpec::new(3, ts)), 0);
    assert_eq!(append(&mut log, &BatchSpec::new(2, ts)), 3);
    assert_eq!(append(&mut log, &BatchSpec::new(4, ts)), 5);
    assert_eq!(log.log_end_offset(), 9);
    assert_eq!(log.log_start_offset(), 0);

    // An offset inside the second batch returns that batch from its start, and what follows.
    let read = log.read(4, 1 << 20, false).expect("in range");
    assert_eq!(read.high_watermark, 9);
    let bytes = read.slice.expect("data").read().expect("read");
    let headers: Vec<BatchHeader> = batch::batches(&bytes)
        .map(|b| b.expect("whole batch").0)
        .collect();
    assert_eq!(headers.len(), 2);
    assert_eq!(headers[0].base_offset, 3);
    assert_eq!(
        headers[0].partition_leader_epoch,
        super::partition::LEADER_EPOCH
    );
    assert_eq!(headers[1].base_offset, 5);
    for (header, range) in batch::batches(&bytes).map(|b| b.expect("batch")) {
        assert_eq!(batch::verify_crc(&bytes[range]), Ok(()), "{header:?}");
    }

    let offsets: Vec<i64> = read_records(&log, 0).iter().map(|r| r.0).collect();
    assert_eq!(offsets, (0..9).collect::<Vec<_>>());
    assert!(log.read(9, 100, true).expect("caught up").slice.is_none());
    assert!(log.read(10, 100, true).is_err());
    assert!(log.read(-1, 100, true).is_err());
}

#[test]
fn max_bytes_returns_whole_batches_and_min_one_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, _) = open(dir.path(), &small_segments(), true);
    let one = encode(&BatchSpec::new(2, now())).len();
    for _ in 0..5 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    let slice = log
        .read(0, one * 2 + one / 2, false)
        .expect("read")
        .slice
        .expect("data");
    assert_eq!(slice.length, one * 2);
    assert!(log.read(0, one - 1, false).expect("read").slice.is_none());
    let first = log
        .read(0, one - 1, true)
        .expect("read")
        .slice
        .expect("data");
    assert_eq!(first.length, one);
    let zero = log.read(2, 0, true).expect("read").slice.expect("data");
    assert_eq!(zero.length, one);
}

#[test]
fn rolls_by_size_and_reads_across_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_segments();
    let (mut log, _) = open(dir.path(), &config, true);
    let one = encode(&BatchSpec::new(3, now())).len() as u64;
    for _ in 0..10 {
        append(&mut log, &BatchSpec::new(3, now()));
    }
    let per_segment = config.segment_bytes / one;
    let expected_segments = 10usize.div_ceil(per_segment as usize);
    let logs = segment_files(dir.path(), ".log");
    assert_eq!(logs.len(), expected_segments);
    assert_eq!(logs[0], "00000000000000000000.log");
    assert_eq!(logs[1], format!("{:020}.log", per_segment * 3));
    assert_eq!(segment_files(dir.path(), ".index").len(), expected_segments);
    assert_eq!(
        segment_files(dir.path(), ".timeindex").len(),
        expected_segments
    );
    for segment in log.segments() {
        assert!(segment.size() <= config.segment_bytes);
    }
    let offsets: Vec<i64> = read_records(&log, 0).iter().map(|r| r.0).collect();
    assert_eq!(offsets, (0..30).collect::<Vec<_>>());
    assert_eq!(log.size_bytes(), one * 10);
}

#[test]
fn rolls_by_segment_ms_on_append_and_on_retention() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_ms: 1000,
        retention_ms: -1,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    let t = now();
    append(&mut log, &BatchSpec::new(1, t));
    append(&mut log, &BatchSpec::new(1, t + 500));
    assert_eq!(log.segments().len(), 1);
    // Kafka measures the wait with the incoming batch's timestamp.
    append(&mut log, &BatchSpec::new(1, t + 1500));
    assert_eq!(log.segments().len(), 2);
    assert_eq!(log.segments()[1].base_offset, 2);
    log.enforce_retention(t + 1600).expect("retention");
    assert_eq!(log.segments().len(), 2);
    log.enforce_retention(t + 5000).expect("retention");
    assert_eq!(log.segments().len(), 3);
    // An empty active segment never rolls.
    log.enforce_retention(t + 50_000).expect("retention");
    assert_eq!(log.segments().len(), 3);
    assert_eq!(log.log_end_offset(), 3);
}

#[test]
fn index_lookup_finds_the_batch_of_every_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_bytes: 3000,
        index_interval_bytes: 200,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    let mut bases = Vec::new();
    for count in [1, 3, 2, 5, 1, 4, 2, 3, 1, 6, 2, 2, 3] {
        bases.push((
            append(&mut log, &BatchSpec::new(count, now())),
            count as i64,
        ));
    }
    assert!(log.segments().len() > 1);
    assert!(log
        .segments()
        .iter()
        .any(|s| !s.index_entries().0.is_empty()));
    for &(base, count) in &bases {
        for offset in base..base + count {
            let slice = log
                .read(offset, 1, true)
                .expect("read")
                .slice
                .expect("data");
            let bytes = slice.read().expect("read");
            let header = BatchHeader::parse(&bytes).expect("header");
            assert_eq!(header.base_offset, base, "offset {offset}");
            assert_eq!(slice.length, header.size());
        }
    }
}

#[test]
fn timestamp_lookup_returns_the_first_record_at_or_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_bytes: 600,
        index_interval_bytes: 1,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    let t = now() - 100_000;
    // Timestamps are not monotonic across or within batches.
    let batches: Vec<Vec<i64>> = vec![
        vec![t + 10, t + 20, t + 15],
        vec![t + 5, t + 30],
        vec![t + 25, t + 25, t + 40],
        vec![t + 35],
        vec![t + 50, t + 45, t + 60],
    ];
    for (i, timestamps) in batches.iter().enumerate() {
        let compression = if i % 2 == 0 {
            Compression::None
        } else {
            Compression::Gzip
        };
        let spec = BatchSpec {
            timestamps: timestamps.clone(),
            producer: None,
            compression,
        };
        log.append(encode(&spec), now()).expect("append");
    }
    assert!(log.segments().len() > 1);
    let all: Vec<(i64, i64)> = batches
        .iter()
        .flatten()
        .enumerate()
        .map(|(o, &ts)| (o as i64, ts))
        .collect();
    for target in t..t + 62 {
        // Kafka's answer: skip batches whose max timestamp is below the target, then the first
        // record of the first qualifying batch with a timestamp >= target.
        let mut expected = None;
        let mut offset = 0;
        for timestamps in &batches {
            let max = *timestamps.iter().max().expect("non-empty");
            if max >= target {
                let i = timestamps
                    .iter()
                    .position(|&ts| ts >= target)
                    .expect("qualifies");
                expected = Some((offset + i as i64, timestamps[i]));
                break;
            }
            offset += timestamps.len() as i64;
        }
        assert_eq!(
            log.offset_for_timestamp(target).expect("lookup"),
            expected,
            "target {target}"
        );
    }
    assert_eq!(log.max_timestamp().expect("max"), Some((11, t + 60)));
    assert!(all.contains(&(11, t + 60)));

    // The same answers from indexes read back from disk.
    let answers: Vec<_> = (t..t + 62)
        .map(|target| log.offset_for_timestamp(target).expect("lookup"))
        .collect();
    log.close().expect("close");
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report, super::RecoveryReport::default());
    let reopened: Vec<_> = (t..t + 62)
        .map(|target| log.offset_for_timestamp(target).expect("lookup"))
        .collect();
    assert_eq!(reopened, answers);
    assert_eq!(log.max_timestamp().expect("max"), Some((11, t + 60)));
}

#[test]
fn rolls_when_the_index_is_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        index_interval_bytes: 1,
        // Room for two offset-index entries (and one time-index entry).
        segment_index_bytes: 16,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..9 {
        append(&mut log, &BatchSpec::new(1, now()));
    }
    assert!(log.segments().len() > 1);
    for segment in log.segments() {
        let (offsets, times) = segment.index_entries();
        assert!(offsets.len() <= 2);
        assert!(times.len() <= 2);
    }
    assert_eq!(read_records(&log, 0).len(), 9);
}

#[test]
fn max_timestamp_is_the_first_record_carrying_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, _) = open(dir.path(), &small_segments(), true);
    assert_eq!(log.max_timestamp().expect("empty"), None);
    assert_eq!(log.offset_for_timestamp(0).expect("empty"), None);
    let t = now();
    let spec = |timestamps: Vec<i64>| BatchSpec {
        timestamps,
        producer: None,
        compression: Compression::Snappy,
    };
    log.append(encode(&spec(vec![t, t + 9, t + 3])), now())
        .expect("append");
    log.append(encode(&spec(vec![t + 1, t + 9])), now())
        .expect("append");
    assert_eq!(log.max_timestamp().expect("max"), Some((1, t + 9)));
    assert_eq!(log.offset_for_timestamp(t + 10).expect("none"), None);
}

#[test]
fn log_append_time_topics_stamp_the_broker_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        timestamp_type: TimestampType::LogAppendTime,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    let broker_time = now();
    let result = log
        .append(encode(&BatchSpec::new(3, 1000)), broker_time)
        .expect("append");
    assert_eq!(result.log_append_time_ms, broker_time);
    let bytes = log
        .read(0, 1 << 20, true)
        .expect("read")
        .slice
        .expect("data")
        .read()
        .expect("read");
    let header = BatchHeader::parse(&bytes).expect("header");
    assert!(header.is_log_append_time());
    assert_eq!(header.max_timestamp, broker_time);
    assert_eq!(batch::verify_crc(&bytes), Ok(()));
    assert_eq!(
        log.offset_for_timestamp(1001).expect("lookup"),
        Some((0, broker_time))
    );
    assert_eq!(log.max_timestamp().expect("max"), Some((0, broker_time)));

    let created = log
        .append(encode(&BatchSpec::new(1, 5)), broker_time + 1)
        .expect("append");
    assert_eq!(created.base_offset, 3);
}

#[test]
fn recovery_truncates_a_torn_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig::default();
    let (mut log, _) = open(dir.path(), &config, true);
    let one = encode(&BatchSpec::new(2, now())).len() as u64;
    for _ in 0..4 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    log.close().expect("close");
    let path = dir.path().join("topic-0/00000000000000000000.log");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(one * 3 + one / 2).expect("cut");
    drop(file);

    let (mut log, report) = open(dir.path(), &config, false);
    assert_eq!(report.segments_scanned, 1);
    assert_eq!(report.truncated_bytes, one / 2);
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(std::fs::metadata(&path).expect("meta").len(), one * 3);
    assert_eq!(read_records(&log, 0).len(), 6);
    assert_eq!(append(&mut log, &BatchSpec::new(2, now())), 6);
    assert_eq!(read_records(&log, 0).len(), 8);
}

#[test]
fn a_torn_tail_is_caught_even_after_a_clean_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig::default();
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..3 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    log.close().expect("close");
    let path = dir.path().join("topic-0/00000000000000000000.log");
    let len = std::fs::metadata(&path).expect("meta").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(len - 7).expect("cut");
    drop(file);
    let (log, report) = open(dir.path(), &config, true);
    assert!(report.truncated_bytes > 0);
    assert_eq!(log.log_end_offset(), 4);
}

#[test]
fn a_flipped_byte_truncates_the_log_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_segments();
    let (mut log, _) = open(dir.path(), &config, true);
    let one = encode(&BatchSpec::new(2, now())).len() as u64;
    for _ in 0..24 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    let segments = log.segments().len();
    assert!(segments >= 3);
    log.close().expect("close");
    // Corrupt the second batch of the first segment.
    let path = dir.path().join("topic-0/00000000000000000000.log");
    let mut bytes = std::fs::read(&path).expect("read");
    let at = (one + one / 2) as usize;
    bytes[at] ^= 0x40;
    std::fs::write(&path, &bytes).expect("write");

    let (mut log, report) = open(dir.path(), &config, false);
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(log.segments().len(), 1);
    assert_eq!(segment_files(dir.path(), ".log").len(), 1);
    assert_eq!(segment_files(dir.path(), ".index").len(), 1);
    assert_eq!(report.truncated_bytes, one * 23);
    assert_eq!(read_records(&log, 0).len(), 2);
    assert_eq!(append(&mut log, &BatchSpec::new(1, now())), 2);
}

#[test]
fn a_flipped_byte_in_the_active_segment_is_caught_after_a_clean_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig::default();
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..3 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    log.close().expect("close");
    let path = dir.path().join("topic-0/00000000000000000000.log");
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).expect("write");
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.segments_scanned, 1);
    assert!(report.truncated_bytes > 0);
    assert_eq!(log.log_end_offset(), 4);
}

#[test]
fn truncated_and_missing_index_files_are_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_bytes: 4000,
        index_interval_bytes: 300,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    for i in 0..30 {
        append(&mut log, &BatchSpec::new(1 + i % 3, now()));
    }
    let expected = read_records(&log, 0);
    let first_indexes = log.segments()[0].index_entries();
    assert!(first_indexes.0.len() > 2);
    log.close().expect("close");
    let seg = |name: &str| dir.path().join("topic-0").join(name);

    // Cut mid-entry.
    let index = seg("00000000000000000000.index");
    let len = std::fs::metadata(&index).expect("meta").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .expect("open");
    file.set_len(len - 3).expect("cut");
    drop(file);
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.indexes_rebuilt, 1);
    assert_eq!(report.truncated_bytes, 0);
    assert_eq!(log.segments()[0].index_entries(), first_indexes);
    assert_eq!(read_records(&log, 0), expected);
    log.close().expect("close");

    // Cut at an entry boundary: the walk after the last entry finds entries missing.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .expect("open");
    file.set_len(8).expect("cut");
    drop(file);
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.indexes_rebuilt, 1);
    assert_eq!(log.segments()[0].index_entries(), first_indexes);
    log.close().expect("close");

    // Missing index and time index.
    std::fs::remove_file(&index).expect("rm");
    std::fs::remove_file(seg("00000000000000000000.timeindex")).expect("rm");
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.indexes_rebuilt, 2);
    assert_eq!(log.segments()[0].index_entries(), first_indexes);
    assert_eq!(read_records(&log, 0), expected);

    // Garbage positions are never trusted.
    log.close().expect("close");
    let mut bytes = std::fs::read(&index).expect("read");
    bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&index, &bytes).expect("write");
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.indexes_rebuilt, 1);
    assert_eq!(read_records(&log, 0), expected);
}

#[test]
fn unclean_open_rebuilds_unwritten_index_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        index_interval_bytes: 1,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..10 {
        append(&mut log, &BatchSpec::new(1, now()));
    }
    let entries = log.segments()[0].index_entries();
    // Simulate a crash: no flush, no close.
    drop(log);
    let (log, report) = open(dir.path(), &config, false);
    assert_eq!(report.truncated_bytes, 0);
    assert_eq!(report.indexes_rebuilt, 2);
    assert_eq!(log.segments()[0].index_entries(), entries);
    assert_eq!(log.log_end_offset(), 10);
}

#[test]
fn retention_by_time_deletes_old_segments_and_advances_log_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        retention_ms: 60_000,
        ..small_segments()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    let t = now();
    for _ in 0..6 {
        append(&mut log, &BatchSpec::new(3, t - 120_000));
    }
    for _ in 0..6 {
        append(&mut log, &BatchSpec::new(3, t));
    }
    let before = log.segments().len();
    let report = log.enforce_retention(t).expect("retention");
    assert!(report.segments_deleted > 0);
    assert_eq!(log.segments().len(), before - report.segments_deleted);
    let start = log.log_start_offset();
    assert!(start > 0);
    assert_eq!(start, log.segments()[0].base_offset);
    assert!(log.read(start - 1, 100, true).is_err());
    assert!(log.read(start, 100, true).expect("read").slice.is_some());
    let remaining = read_records(&log, start);
    assert!(remaining.iter().all(|&(_, ts)| ts == t) || remaining[0].1 == t - 120_000);

    // Everything expired: the active segment is rolled, then deleted.
    let end = log.log_end_offset();
    let report = log.enforce_retention(t + 120_000).expect("retention");
    assert!(report.segments_deleted > 0);
    assert_eq!(log.segments().len(), 1);
    assert_eq!(log.log_start_offset(), end);
    assert_eq!(log.log_end_offset(), end);
    assert_eq!(log.size_bytes(), 0);
    assert_eq!(append(&mut log, &BatchSpec::new(1, now())), end);
    log.close().expect("close");
    let (log, _) = open(dir.path(), &config, true);
    assert_eq!(log.log_start_offset(), end);
    assert_eq!(log.log_end_offset(), end + 1);
}

#[test]
fn retention_by_bytes_deletes_oldest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        retention_bytes: 3000,
        retention_ms: -1,
        ..small_segments()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..20 {
        append(&mut log, &BatchSpec::new(3, now()));
    }
    let total = log.size_bytes();
    let first_size = log.segments()[0].size();
    let report = log.enforce_retention(now()).expect("retention");
    assert!(report.segments_deleted > 0);
    assert_eq!(log.size_bytes(), total - report.bytes_deleted);
    // Kafka stops before a segment whose removal would go below retention.bytes.
    assert!(log.size_bytes() >= 3000);
    assert!(log.size_bytes() < 3000 + first_size);
    assert_eq!(log.log_start_offset(), log.segments()[0].base_offset);
    let again = log.enforce_retention(now()).expect("retention");
    assert_eq!(again.segments_deleted, 0);
}

#[test]
fn a_slice_stays_readable_after_its_segment_is_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        retention_bytes: 0,
        retention_ms: -1,
        ..small_segments()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..10 {
        append(&mut log, &BatchSpec::new(3, now()));
    }
    let slice = log
        .read(0, 1 << 20, true)
        .expect("read")
        .slice
        .expect("data");
    log.enforce_retention(now()).expect("retention");
    assert!(log.read(0, 100, true).is_err());
    let bytes = slice.read().expect("read deleted");
    assert_eq!(BatchHeader::parse(&bytes).expect("header").base_offset, 0);
}

#[test]
fn reopen_keeps_offsets_and_producer_state() {
    for clean in [true, false] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = small_segments();
        let (mut log, _) = open(dir.path(), &config, true);
        let t = now();
        for i in 0..8 {
            append(&mut log, &BatchSpec::idempotent(3, t, 42, 1, i * 3));
        }
        if clean {
            log.close().expect("close");
        } else {
            drop(log);
        }
        let (mut log, _) = open(dir.path(), &config, clean);
        assert_eq!(log.log_end_offset(), 24);
        // A retry of the last batch is still recognised.
        let dup = log
            .append(encode(&BatchSpec::idempotent(3, t, 42, 1, 21)), now())
            .expect("duplicate");
        assert_eq!(dup.base_offset, 21);
        assert_eq!(dup.log_append_time_ms, t);
        assert_eq!(log.log_end_offset(), 24);
        // And a gap is still refused.
        let gap = log
            .append(encode(&BatchSpec::idempotent(1, t, 42, 1, 30)), now())
            .expect_err("gap");
        assert_eq!(
            gap.error_code,
            ResponseError::OutOfOrderSequenceNumber.code()
        );
        assert_eq!(
            append(&mut log, &BatchSpec::idempotent(1, t, 42, 1, 24)),
            24
        );
    }
}

#[test]
fn idempotent_producer_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, _) = open(dir.path(), &LogConfig::default(), true);
    let t = now();
    let send = |log: &mut PartitionLog, count, epoch, seq| {
        log.append(
            encode(&BatchSpec::idempotent(count, t, 7, epoch, seq)),
            now(),
        )
    };
    // Unknown producer: any sequence.
    assert_eq!(send(&mut log, 2, 0, 100).expect("unknown").base_offset, 0);
    for i in 0..6 {
        send(&mut log, 2, 0, 102 + i * 2).expect("in order");
    }
    assert_eq!(log.log_end_offset(), 14);
    // Duplicate of one of the last five.
    let dup = send(&mut log, 2, 0, 106).expect("duplicate");
    assert_eq!(dup.base_offset, 6);
    assert_eq!(log.log_end_offset(), 14);
    // An older batch, no longer retained, is out of order.
    let old = send(&mut log, 2, 0, 102).expect_err("too old");
    assert_eq!(
        old.error_code,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    assert_eq!(old.log_start_offset, 0);
    assert_eq!(old.message, None);
    // Out of order.
    let gap = send(&mut log, 1, 0, 120).expect_err("gap");
    assert_eq!(
        gap.error_code,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    // New epoch must start at 0.
    let bad_bump = send(&mut log, 1, 1, 5).expect_err("bump");
    assert_eq!(
        bad_bump.error_code,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    assert_eq!(send(&mut log, 1, 1, 0).expect("bump").base_offset, 14);
    // Stale epoch.
    let stale = send(&mut log, 1, 0, 114).expect_err("stale");
    assert_eq!(stale.error_code, ResponseError::InvalidProducerEpoch.code());
    assert_eq!(stale.log_start_offset, 0);
    assert_eq!(log.log_end_offset(), 15);
    // Another producer is independent.
    let other = log
        .append(encode(&BatchSpec::idempotent(1, t, 8, 0, 0)), now())
        .expect("other");
    assert_eq!(other.base_offset, 15);
}

#[test]
fn several_batches_in_one_append() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, _) = open(dir.path(), &LogConfig::default(), true);
    let t = now();
    let mut blob = encode(&BatchSpec::idempotent(2, t, 3, 0, 0)).to_vec();
    blob.extend_from_slice(&encode(&BatchSpec::idempotent(3, t, 3, 0, 2)));
    let result = log
        .append(Bytes::from(blob.clone()), now())
        .expect("append");
    assert_eq!(result.base_offset, 0);
    assert_eq!(log.log_end_offset(), 5);
    assert_eq!(read_records(&log, 0).len(), 5);
    // The same blob again is a duplicate: nothing is appended.
    let again = log.append(Bytes::from(blob), now()).expect("duplicate");
    assert_eq!(again.base_offset, 0);
    assert_eq!(log.log_end_offset(), 5);
}

#[test]
fn refused_appends_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        max_message_bytes: 400,
        ..LogConfig::default()
    };
    let (mut log, _) = open(dir.path(), &config, true);
    append(&mut log, &BatchSpec::new(1, now()));
    let cases: Vec<(Bytes, i16, i64)> = vec![
        (
            encode(&BatchSpec::new(5, now())),
            ResponseError::MessageTooLarge.code(),
            -1,
        ),
        (
            {
                let mut b = encode(&BatchSpec::new(1, now())).to_vec();
                let last = b.len() - 1;
                b[last] ^= 1;
                Bytes::from(b)
            },
            ResponseError::CorruptMessage.code(),
            -1,
        ),
        (
            {
                let mut b = encode(&BatchSpec::new(1, now())).to_vec();
                batch::set_base_offset(&mut b, 3).expect("patch");
                Bytes::from(b)
            },
            ResponseError::InvalidRecord.code(),
            0,
        ),
        (
            encode(&BatchSpec::new(1, now() + 7_200_000)),
            ResponseError::InvalidTimestamp.code(),
            0,
        ),
        (Bytes::new(), ResponseError::InvalidRecord.code(), -1),
    ];
    let size = log.size_bytes();
    for (blob, code, log_start) in cases {
        let error = log.append(blob, now()).expect_err("refused");
        assert_eq!(error.error_code, code);
        assert_eq!(error.log_start_offset, log_start);
    }
    let record_list = LogConfig {
        segment_bytes: 100,
        ..config
    };
    log.set_config(record_list);
    let error = log
        .append(encode(&BatchSpec::new(1, now())), now())
        .expect_err("refused");
    assert_eq!(error.error_code, ResponseError::RecordListTooLarge.code());
    assert_eq!(log.size_bytes(), size);
    assert_eq!(log.log_end_offset(), 1);
}

#[test]
fn delete_removes_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut log, _) = open(dir.path(), &LogConfig::default(), true);
    append(&mut log, &BatchSpec::new(1, now()));
    log.delete().expect("delete");
    assert!(!dir.path().join("topic-0").exists());
}

#[test]
fn damaged_data_is_refused_when_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_segments();
    let (mut log, _) = open(dir.path(), &config, true);
    for _ in 0..20 {
        append(&mut log, &BatchSpec::new(2, now()));
    }
    assert!(log.segments().len() > 1);
    log.close().expect("close");
    // A clean shutdown trusts sealed segments without reading them; damage one anyway.
    let path = dir.path().join("topic-0/00000000000000000000.log");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[100] ^= 0x10;
    std::fs::write(&path, &bytes).expect("write");
    let (log, report) = open(dir.path(), &config, true);
    assert_eq!(report.truncated_bytes, 0);
    let slice = log
        .read(0, 1 << 20, true)
        .expect("read")
        .slice
        .expect("data");
    let error = slice.read().expect_err("corrupt data served");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
}
