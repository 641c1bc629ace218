//! Property tests of recovery on damaged segment files: whatever byte is flipped or wherever the
//! file is cut, reopening keeps exactly the intact batches before the damage, serves only
//! batches whose CRC holds, and accepts new appends. Test-only.

use proptest::prelude::*;

use super::test_support::{encode, BatchSpec};
use super::{LogConfig, LogLocation, PartitionLog};
use crate::protocol::batch;

/// Cases per property: each one writes and reopens a small log on disk.
const CASES: u32 = 24;
/// Batches written before the damage.
const BATCHES: usize = 12;
const TIMESTAMP: i64 = 1_700_000_000_000;

fn open(dir: &std::path::Path, clean: bool) -> PartitionLog {
    let location = LogLocation {
        dir: dir.join("t-0"),
        name: "t-0".to_string(),
    };
    let config = LogConfig {
        segment_bytes: 1 << 20,
        index_interval_bytes: 1,
        ..LogConfig::default()
    };
    PartitionLog::open(location, config, clean).expect("open").0
}

/// Every batch served from offset 0 on, checking each CRC.
fn served_batches(log: &PartitionLog) -> usize {
    let mut offset = log.log_start_offset();
    let mut batches = 0;
    while offset < log.log_end_offset() {
        let read = log.read(offset, 1, true).expect("in range");
        let bytes = read.slice.expect("data").read().expect("intact data");
        for item in batch::batches(&bytes) {
            let (header, range) = item.expect("whole batch");
            batch::verify_crc(&bytes[range]).expect("crc");
            offset = header.next_offset();
            batches += 1;
        }
    }
    batches
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn recovery_keeps_exactly_the_intact_prefix(
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = open(dir.path(), true);
        for _ in 0..BATCHES {
            log.append(encode(&BatchSpec::new(2, TIMESTAMP)), TIMESTAMP).expect("append");
        }
        log.close().expect("close");
        let path = dir.path().join("t-0/00000000000000000000.log");
        let mut bytes = std::fs::read(&path).expect("read");
        let one = bytes.len() / BATCHES;
        let at = at.index(bytes.len());
        if cut {
            bytes.truncate(at);
        } else {
            bytes[at] ^= 1 << bit;
        }
        std::fs::write(&path, &bytes).expect("write");
        // The leader epoch (bytes 12..16 of a batch) is outside the CRC and the base offset is
        // checked only against the order; damage from the magic byte on must end the log there.
        let damaged_batch = at / one;
        let within = at % one;
        let mut log = open(dir.path(), false);
        let kept = served_batches(&log);
        if cut || within >= batch::MAGIC_OFFSET {
            prop_assert_eq!(kept, damaged_batch);
        } else if within >= batch::PARTITION_LEADER_EPOCH_OFFSET {
            prop_assert_eq!(kept, BATCHES);
        } else {
            // A damaged base offset or length: the batch is dropped, or kept with its offsets
            // moved forward (a gap, which Kafka's recovery also keeps); never more than written.
            prop_assert!(kept >= damaged_batch && kept <= BATCHES);
        }
        let next = log.log_end_offset();
        let appended = log.append(encode(&BatchSpec::new(1, TIMESTAMP)), TIMESTAMP).expect("append after recovery");
        prop_assert_eq!(appended.base_offset, next);
    }
}
