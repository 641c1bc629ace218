//! Per-partition idempotent-producer state: for each producer id the current epoch and the
//! metadata of its last five batches, the decision Kafka's `ProducerStateManager` /
//! `ProducerAppendInfo` take on each produced batch (duplicate, stale epoch, bad sequence), and
//! expiry. Pure in-memory bookkeeping: it is rebuilt from batch headers on open and never touches
//! files.

use std::collections::HashMap;

use kafka_protocol::error::ResponseError;

use crate::protocol::batch::{BatchHeader, NO_PRODUCER_EPOCH, NO_SEQUENCE};

/// Kafka's `NUM_BATCHES_TO_RETAIN`: how many recent batches per producer are kept for duplicate
/// detection.
pub const BATCHES_TO_RETAIN: usize = 5;

/// `producer.id.expiration.ms` default: a producer whose last batch timestamp is this old is
/// forgotten.
pub const PRODUCER_ID_EXPIRATION_MS: i64 = 86_400_000;

/// What is remembered of one appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub last_offset: i64,
    pub offset_delta: i32,
    /// The stored max timestamp (after any LogAppendTime patch).
    pub max_timestamp: i64,
}

impl BatchMetadata {
    pub fn first_offset(&self) -> i64 {
        self.last_offset - i64::from(self.offset_delta)
    }
}

const EMPTY_BATCH: BatchMetadata = BatchMetadata {
    first_seq: NO_SEQUENCE,
    last_seq: NO_SEQUENCE,
    last_offset: -1,
    offset_delta: 0,
    max_timestamp: -1,
};

/// One producer's state. A fixed array rather than a deque so that copying an entry never
/// allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerEntry {
    pub epoch: i16,
    batches: [BatchMetadata; BATCHES_TO_RETAIN],
    len: usize,
    /// Max timestamp of the last batch (what expiry looks at).
    pub last_timestamp: i64,
}

impl ProducerEntry {
    /// The state of a producer never seen: no epoch, no batches.
    pub fn empty() -> Self {
        ProducerEntry {
            epoch: NO_PRODUCER_EPOCH,
            batches: [EMPTY_BATCH; BATCHES_TO_RETAIN],
            len: 0,
            last_timestamp: -1,
        }
    }

    /// Retained batches, oldest first.
    pub fn batches(&self) -> &[BatchMetadata] {
        &self.batches[..self.len]
    }

    fn last_seq(&self) -> i32 {
        self.batches().last().map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    /// A retained batch with exactly this sequence range under the same epoch.
    pub fn find_duplicate(
        &self,
        epoch: i16,
        first_seq: i32,
        last_seq: i32,
    ) -> Option<BatchMetadata> {
        if epoch != self.epoch {
            return None;
        }
        self.batches()
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            .copied()
    }

    /// Records an appended batch; a new epoch forgets the old epoch's batches.
    pub fn record(&mut self, epoch: i16, batch: BatchMetadata) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.len = 0;
        }
        if self.len == BATCHES_TO_RETAIN {
            self.batches.copy_within(1.., 0);
            self.len -= 1;
        }
        self.batches[self.len] = batch;
        self.len += 1;
        self.last_timestamp = batch.max_timestamp;
    }
}

/// The decision on one client batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Accept,
    /// Already appended: answer with the original batch, append nothing.
    Duplicate(BatchMetadata),
    /// Refuse it with this Kafka error code; the text is Kafka's exception message (which Kafka
    /// does not put on the wire).
    Refuse { error_code: i16, reason: String },
}

/// Kafka's `inSequence`: the next sequence follows the last one, wrapping after `i32::MAX`.
fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    i64::from(next_seq) == i64::from(last_seq) + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

/// Decides on a client batch of producer `header.producer_id`, whose state is `entry` (`None` when
/// unknown), to be appended at `offset` of partition `partition`. Kafka's order: duplicate first,
/// then transactions, then epoch, then sequence.
pub fn check(
    entry: Option<&ProducerEntry>,
    header: &BatchHeader,
    offset: i64,
    partition: &str,
) -> SequenceCheck {
    let pid = header.producer_id;
    let epoch = header.producer_epoch;
    let first_seq = header.base_sequence;
    if let Some(duplicate) =
        entry.and_then(|e| e.find_duplicate(epoch, first_seq, header.last_sequence()))
    {
        return SequenceCheck::Duplicate(duplicate);
    }
    if header.is_transactional() {
        // This broker never has an ongoing, verified transaction.
        return SequenceCheck::Refuse {
            error_code: ResponseError::InvalidTxnState.code(),
            reason: "Record was not part of an ongoing transaction".to_string(),
        };
    }
    let current = entry.copied().unwrap_or_else(ProducerEntry::empty);
    if epoch < current.epoch {
        return SequenceCheck::Refuse {
            error_code: ResponseError::InvalidProducerEpoch.code(),
            reason: format!(
                "Epoch of producer {pid} at offset {offset} in {partition} is {epoch}, which is smaller than the last seen epoch {}",
                current.epoch
            ),
        };
    }
    if epoch != current.epoch {
        if first_seq != 0 && current.epoch != NO_PRODUCER_EPOCH {
            return SequenceCheck::Refuse {
                error_code: ResponseError::OutOfOrderSequenceNumber.code(),
                reason: format!(
                    "Invalid sequence number for new epoch of producer {pid} at offset {offset} in partition {partition}: {epoch} (request epoch), {first_seq} (seq. number), {} (current producer epoch)",
                    current.epoch
                ),
            };
        }
    } else {
        let last_seq = current.last_seq();
        if !(current.epoch == NO_PRODUCER_EPOCH || in_sequence(last_seq, first_seq)) {
            return SequenceCheck::Refuse {
                error_code: ResponseError::OutOfOrderSequenceNumber.code(),
                reason: format!(
                    "Out of order sequence number for producer {pid} at offset {offset} in partition {partition}: {first_seq} (incoming seq. number), {last_seq} (current end sequence number)"
                ),
            };
        }
    }
    SequenceCheck::Accept
}

/// The producers of one partition.
#[derive(Debug, Default)]
pub struct ProducerStates {
    producers: HashMap<i64, ProducerEntry>,
}

impl ProducerStates {
    pub fn get(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    pub fn insert(&mut self, producer_id: i64, entry: ProducerEntry) {
        self.producers.insert(producer_id, entry);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.producers.len()
    }

    /// Replays a stored batch header (recovery): no checks, just the bookkeeping.
    pub fn replay(&mut self, header: &BatchHeader) {
        if !header.has_producer_id() || header.is_control() {
            return;
        }
        self.producers
            .entry(header.producer_id)
            .or_insert_with(ProducerEntry::empty)
            .record(header.producer_epoch, metadata_of(header));
    }

    /// Forgets producers whose last batch is older than [`PRODUCER_ID_EXPIRATION_MS`].
    pub fn remove_expired(&mut self, now_ms: i64) {
        self.producers.retain(|_, entry| {
            now_ms.saturating_sub(entry.last_timestamp) < PRODUCER_ID_EXPIRATION_MS
        });
    }
}

/// The metadata Kafka retains of a stored batch (whose header carries its final offsets).
pub fn metadata_of(header: &BatchHeader) -> BatchMetadata {
    BatchMetadata {
        first_seq: header.base_sequence,
        last_seq: header.last_sequence(),
        last_offset: header.last_offset(),
        offset_delta: header.last_offset_delta,
        max_timestamp: header.max_timestamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(epoch: i16, seq: i32, count: i32) -> BatchHeader {
        BatchHeader {
            base_offset: 0,
            length: 100,
            partition_leader_epoch: -1,
            magic: 2,
            crc: 0,
            attributes: 0,
            last_offset_delta: count - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: 1,
            producer_epoch: epoch,
            base_sequence: seq,
            record_count: count,
        }
    }

    fn entry_after(batches: &[(i16, i32, i32)]) -> ProducerEntry {
        let mut entry = ProducerEntry::empty();
        let mut offset = 0;
        for &(epoch, seq, count) in batches {
            let mut h = header(epoch, seq, count);
            h.base_offset = offset;
            offset += i64::from(count);
            entry.record(epoch, metadata_of(&h));
        }
        entry
    }

    #[test]
    fn keeps_only_the_last_five_batches() {
        let batches: Vec<_> = (0..7).map(|i| (0, i * 2, 2)).collect();
        let entry = entry_after(&batches);
        assert_eq!(entry.batches().len(), BATCHES_TO_RETAIN);
        assert_eq!(entry.batches()[0].first_seq, 4);
        assert!(entry.find_duplicate(0, 2, 3).is_none());
        assert_eq!(
            entry.find_duplicate(0, 4, 5).map(|b| b.first_offset()),
            Some(4)
        );
    }

    #[test]
    fn decisions_follow_kafkas_order() {
        let entry = entry_after(&[(3, 0, 2), (3, 2, 2)]);
        assert_eq!(
            check(Some(&entry), &header(3, 4, 1), 4, "t-0"),
            SequenceCheck::Accept
        );
        assert!(matches!(
            check(Some(&entry), &header(3, 0, 2), 4, "t-0"),
            SequenceCheck::Duplicate(b) if b.first_offset() == 0
        ));
        let SequenceCheck::Refuse { error_code, reason } =
            check(Some(&entry), &header(2, 4, 1), 4, "t-0")
        else {
            panic!("stale epoch accepted");
        };
        assert_eq!(error_code, ResponseError::InvalidProducerEpoch.code());
        assert_eq!(
            reason,
            "Epoch of producer 1 at offset 4 in t-0 is 2, which is smaller than the last seen epoch 3"
        );
        let SequenceCheck::Refuse { error_code, reason } =
            check(Some(&entry), &header(3, 6, 1), 4, "t-0")
        else {
            panic!("gap accepted");
        };
        assert_eq!(error_code, ResponseError::OutOfOrderSequenceNumber.code());
        assert_eq!(
            reason,
            "Out of order sequence number for producer 1 at offset 4 in partition t-0: 6 (incoming seq. number), 3 (current end sequence number)"
        );
        assert_eq!(
            check(Some(&entry), &header(4, 0, 1), 4, "t-0"),
            SequenceCheck::Accept
        );
        assert!(matches!(
            check(Some(&entry), &header(4, 5, 1), 4, "t-0"),
            SequenceCheck::Refuse { error_code, .. }
                if error_code == ResponseError::OutOfOrderSequenceNumber.code()
        ));
        assert_eq!(
            check(None, &header(9, 77, 1), 0, "t-0"),
            SequenceCheck::Accept
        );
    }

    #[test]
    fn sequence_wraps_after_max() {
        let entry = entry_after(&[(0, i32::MAX - 1, 2)]);
        assert_eq!(
            check(Some(&entry), &header(0, 0, 1), 2, "t-0"),
            SequenceCheck::Accept
        );
    }

    #[test]
    fn transactional_batches_are_refused() {
        let mut h = header(0, 0, 1);
        h.attributes = crate::protocol::batch::TRANSACTIONAL_FLAG;
        assert!(matches!(
            check(None, &h, 0, "t-0"),
            SequenceCheck::Refuse { error_code, .. } if error_code == ResponseError::InvalidTxnState.code()
        ));
    }

    #[test]
    fn expiry_uses_the_batch_timestamp() {
        let mut states = ProducerStates::default();
        let mut h = header(0, 0, 1);
        h.max_timestamp = 1_000;
        states.replay(&h);
        states.remove_expired(1_000 + PRODUCER_ID_EXPIRATION_MS - 1);
        assert_eq!(states.len(), 1);
        states.remove_expired(1_000 + PRODUCER_ID_EXPIRATION_MS);
        assert_eq!(states.len(), 0);
    }
}
