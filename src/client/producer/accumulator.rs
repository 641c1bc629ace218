//! The producer's record accumulator: per topic-partition an open batch that records are
//! appended to, a queue of closed batches waiting to be sent, and the idempotence bookkeeping
//! (next sequence, the sequence expected to be acknowledged next, retry holds). Plain data and
//! synchronous logic under the producer's lock: no I/O and no awaiting here.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use uuid::Uuid;

use super::config::ProducerConfig;
use super::RecordMeta;
use crate::client::ClientError;
use crate::protocol::batch::HEADER_SIZE;
use crate::protocol::record_encode::{
    write_producer_fields, BatchBuilder, Compression, ProducerFields, RecordHeader,
};

/// Java's `CompressionRatioEstimator` steps and the safety factor applied to the estimate.
const RATIO_DETERIORATE_STEP: f32 = 0.05;
const RATIO_IMPROVING_STEP: f32 = 0.005;
const RATIO_ESTIMATION_FACTOR: f32 = 1.05;
/// Records per batch assumed when sizing the per-batch record list.
const TYPICAL_RECORD_BYTES: usize = 64;

/// A batch that failed before it could be sent (compression error), for reporting.
#[derive(Debug)]
pub struct Failure {
    pub error: ClientError,
    pub meta: Vec<RecordMeta>,
    pub topic: Arc<str>,
    pub partition: i32,
    /// Reserved `buffer.memory` to give back.
    pub memory: usize,
}

/// A batch still taking records.
#[derive(Debug)]
pub struct OpenBatch {
    pub builder: BatchBuilder,
    pub meta: Vec<RecordMeta>,
    pub created: Instant,
    /// Bytes of `buffer.memory` reserved for this batch.
    pub memory: usize,
}

/// A closed batch: encoded (and compressed), waiting to be sent or in flight.
#[derive(Debug)]
pub struct ProducerBatch {
    pub topic: Arc<str>,
    pub topic_id: Uuid,
    pub partition: i32,
    pub data: Bytes,
    pub record_count: i32,
    pub meta: Vec<RecordMeta>,
    pub created: Instant,
    pub memory: usize,
    /// Send attempts that failed so far.
    pub attempts: u32,
    /// The base sequence given when first sent (idempotent producer), kept across retries.
    pub sequence: Option<i32>,
    /// Not to be sent again before this instant (retry backoff).
    pub retry_at: Option<Instant>,
}

impl ProducerBatch {
    /// Sets the producer fields in the encoded header (copying the bytes only if shared).
    pub fn set_producer_fields(&mut self, fields: ProducerFields) {
        let mut data = match std::mem::take(&mut self.data).try_into_mut() {
            Ok(unique) => unique,
            Err(shared) => bytes::BytesMut::from(&shared[..]),
        };
        write_producer_fields(&mut data, fields);
        self.data = data.freeze();
    }
}

/// Per-partition state.
#[derive(Debug, Default)]
pub struct PartitionState {
    /// Leader node id from metadata (-1: unknown).
    pub leader: i32,
    pub open: Option<OpenBatch>,
    pub queue: VecDeque<ProducerBatch>,
    /// Batches of this partition in flight.
    pub in_flight: usize,
    /// Idempotence: the base sequence the next new batch gets.
    pub next_sequence: i32,
    /// Idempotence: the base sequence of the next batch the broker should acknowledge.
    pub acked_next: i32,
    /// A batch was requeued for retry: send nothing more until the in-flight batches are back,
    /// so the retried batches go out again in sequence order.
    pub hold: bool,
}

/// The sticky partition for records without key or partition (Java's `BuiltInPartitioner`).
#[derive(Debug, Default)]
pub struct Sticky {
    pub partition: Option<i32>,
    pub produced_bytes: usize,
}

/// Per-topic state.
#[derive(Debug)]
pub struct TopicState {
    pub name: Arc<str>,
    pub topic_id: Uuid,
    pub partitions: Vec<PartitionState>,
    pub sticky: Sticky,
    /// Leaders must be looked up again before sending.
    pub needs_metadata: bool,
    /// Compressed size over uncompressed size, as last observed (Java's estimator).
    pub compression_ratio: f32,
}

impl TopicState {
    pub fn new(name: &str) -> TopicState {
        TopicState {
            name: Arc::from(name),
            topic_id: Uuid::nil(),
            partitions: Vec::new(),
            sticky: Sticky::default(),
            needs_metadata: true,
            compression_ratio: 1.0,
        }
    }

    /// Updates leaders (and the partition count, which only grows) from metadata.
    pub fn update(&mut self, topic_id: Uuid, leaders: &[(i32, i32)]) {
        self.topic_id = topic_id;
        for &(partition, leader) in leaders {
            let Ok(index) = usize::try_from(partition) else {
                continue;
            };
            if index >= self.partitions.len() {
                self.partitions
                    .resize_with(index + 1, PartitionState::default);
            }
            self.partitions[index].leader = leader;
        }
        self.needs_metadata = false;
    }

    fn observe_compression(&mut self, uncompressed: usize, compressed: usize) {
        if uncompressed == 0 {
            return;
        }
        let observed = compressed as f32 / uncompressed as f32;
        let current = self.compression_ratio;
        self.compression_ratio = if observed > current {
            (current + RATIO_DETERIORATE_STEP).max(observed)
        } else {
            (current - RATIO_IMPROVING_STEP).max(observed)
        };
    }
}

/// The topics a producer has seen: a list (so a record's topic is found once per `send` and then
/// used by position) and an index by name that remembers the last topic asked for, because
/// records usually come for the same topic one after another.
#[derive(Debug, Default)]
pub struct Topics {
    list: Vec<TopicState>,
    by_name: HashMap<String, usize>,
    last: Option<usize>,
}

impl Topics {
    /// The position of `name`, if known.
    pub fn index_of(&mut self, name: &str) -> Option<usize> {
        if let Some(last) = self.last {
            if self.list.get(last).is_some_and(|t| &*t.name == name) {
                return Some(last);
            }
        }
        let found = self.by_name.get(name).copied();
        if found.is_some() {
            self.last = found;
        }
        found
    }

    pub fn get(&self, name: &str) -> Option<&TopicState> {
        self.by_name.get(name).map(|&i| &self.list[i])
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut TopicState> {
        let index = self.index_of(name)?;
        self.list.get_mut(index)
    }

    pub fn at(&mut self, index: usize) -> Option<&mut TopicState> {
        self.list.get_mut(index)
    }

    /// The topic `name`, added if new.
    pub fn entry(&mut self, name: &str) -> &mut TopicState {
        let index = match self.index_of(name) {
            Some(i) => i,
            None => {
                self.list.push(TopicState::new(name));
                self.by_name.insert(name.to_string(), self.list.len() - 1);
                self.list.len() - 1
            }
        };
        &mut self.list[index]
    }

    pub fn iter(&self) -> impl Iterator<Item = &TopicState> {
        self.list.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut TopicState> {
        self.list.iter_mut()
    }
}

/// Everything behind the producer's lock.
#[derive(Debug)]
pub struct State {
    pub topics: Topics,
    pub memory_used: usize,
    /// Batches created and not yet completed (open, queued or in flight).
    pub incomplete: usize,
    /// `flush()` calls in progress: every open batch is ready at once.
    pub flushing: usize,
    /// `send()` calls waiting for memory: every open batch is ready at once.
    pub memory_waiters: usize,
    pub closing: bool,
    /// The producer id and epoch (idempotence), once obtained.
    pub producer: Option<(i64, i16)>,
    /// A batch failed for good: the sequences must restart under a new producer id once
    /// nothing is in flight.
    pub reset_producer: bool,
    /// A failure that makes the producer unusable (reported by every later `send`).
    pub fatal: Option<ClientError>,
    pub in_flight_batches: usize,
}

impl State {
    pub fn new() -> State {
        State {
            topics: Topics::default(),
            memory_used: 0,
            incomplete: 0,
            flushing: 0,
            memory_waiters: 0,
            closing: false,
            producer: None,
            reset_producer: false,
            fatal: None,
            in_flight_batches: 0,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// What `append` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    /// The record went into the partition's open batch.
    Done { new_batch: bool, bytes: usize },
    /// A new batch is needed and `buffer.memory` has no room for it: wait, then try again.
    NoMemory,
}

/// Record fields for `append`.
#[derive(Debug, Clone, Copy)]
pub struct RecordParts<'a> {
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [RecordHeader<'a>],
    /// Upper bound of the record's encoded size.
    pub size_bound: usize,
}

/// Closes `open` into a queued batch (compressing it). A compression failure is returned with
/// the batch's record list, for reporting.
pub fn close_batch(
    topic: &mut TopicState,
    partition: i32,
    open: OpenBatch,
    compression: Compression,
) -> Result<ProducerBatch, Failure> {
    let uncompressed = open.builder.size();
    let record_count = open.builder.record_count();
    match open.builder.close(compression) {
        Ok(data) => {
            if compression != Compression::None {
                topic.observe_compression(uncompressed - HEADER_SIZE, data.len() - HEADER_SIZE);
            }
            Ok(ProducerBatch {
                topic: topic.name.clone(),
                topic_id: topic.topic_id,
                partition,
                data: Bytes::from(data),
                record_count,
                meta: open.meta,
                created: open.created,
                memory: open.memory,
                attempts: 0,
                sequence: None,
                retry_at: None,
            })
        }
        Err(e) => Err(Failure {
            error: ClientError::Other(format!(
                "cannot compress a batch for topic {} partition {partition} with {}: {e}",
                topic.name,
                compression.name()
            )),
            meta: open.meta,
            topic: topic.name.clone(),
            partition,
            memory: open.memory,
        }),
    }
}

/// Whether `open` has room for a record of `size` bytes under `batch.size` (a batch always
/// takes its first record).
pub fn has_room(open: &OpenBatch, size: usize, config: &ProducerConfig, ratio: f32) -> bool {
    if open.builder.is_empty() {
        return true;
    }
    if config.batch_size == 0 {
        return false;
    }
    let records = (open.builder.size() - HEADER_SIZE + size) as f32;
    let estimated = match config.compression {
        Compression::None => records,
        _ => records * ratio * RATIO_ESTIMATION_FACTOR,
    };
    HEADER_SIZE + estimated as usize <= config.batch_size
}

/// Appends one record to `partition`'s open batch, closing a full one first. Closed batches are
/// queued; compression failures are returned for reporting.
pub fn append(
    state: &mut State,
    topic: usize,
    partition: i32,
    record: &RecordParts<'_>,
    config: &ProducerConfig,
    now: impl FnOnce() -> Instant,
    failures: &mut Vec<Failure>,
) -> Appended {
    let memory_free = config.buffer_memory.saturating_sub(state.memory_used);
    let Some(topic_state) = state.topics.at(topic) else {
        return Appended::NoMemory;
    };
    let ratio = topic_state.compression_ratio;
    let Some(slot) = usize::try_from(partition)
        .ok()
        .filter(|&i| i < topic_state.partitions.len())
    else {
        return Appended::NoMemory;
    };
    let mut new_batch = false;
    let fits = topic_state.partitions[slot]
        .open
        .as_ref()
        .is_some_and(|open| has_room(open, record.size_bound, config, ratio));
    if !fits {
        let needed = config.batch_size.max(HEADER_SIZE + record.size_bound);
        if needed > memory_free {
            // Closing the full batch lets the sender free memory; the record waits.
            if let Some(open) = topic_state.partitions[slot].open.take() {
                queue_closed(topic_state, slot, partition, open, config, failures);
            }
            return Appended::NoMemory;
        }
        if let Some(open) = topic_state.partitions[slot].open.take() {
            queue_closed(topic_state, slot, partition, open, config, failures);
        }
        topic_state.partitions[slot].open = Some(OpenBatch {
            builder: BatchBuilder::with_capacity(needed),
            meta: Vec::with_capacity(needed / TYPICAL_RECORD_BYTES),
            created: now(),
            memory: needed,
        });
        state.memory_used += needed;
        state.incomplete += 1;
        new_batch = true;
    }
    let Some(open) = state
        .topics
        .at(topic)
        .and_then(|t| t.partitions.get_mut(slot))
        .and_then(|p| p.open.as_mut())
    else {
        return Appended::NoMemory;
    };
    let bytes = open
        .builder
        .append(record.timestamp, record.key, record.value, record.headers);
    open.meta.push(RecordMeta {
        key_size: record.key.map(|k| k.len() as u32),
        value_size: record.value.map(|v| v.len() as u32),
    });
    Appended::Done { new_batch, bytes }
}

pub fn queue_closed(
    topic: &mut TopicState,
    slot: usize,
    partition: i32,
    open: OpenBatch,
    config: &ProducerConfig,
    failures: &mut Vec<Failure>,
) {
    match close_batch(topic, partition, open, config.compression) {
        Ok(batch) => topic.partitions[slot].queue.push_back(batch),
        Err(failure) => failures.push(failure),
    }
}

/// Kafka's sequence arithmetic (`DefaultRecordBatch.incrementSequence`): wraps to 0 after
/// `i32::MAX`.
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

/// Puts a batch that must be retried back in its partition's queue, before every batch that
/// has not been sent and after requeued batches with lower sequences.
pub fn requeue(partition: &mut PartitionState, mut batch: ProducerBatch, retry_at: Instant) {
    batch.retry_at = Some(retry_at);
    let position = partition
        .queue
        .iter()
        .position(|queued| match (queued.sequence, batch.sequence) {
            (Some(q), Some(b)) => q > b,
            (None, _) => true,
            (Some(_), None) => false,
        })
        .unwrap_or(partition.queue.len());
    partition.queue.insert(position, batch);
    partition.hold = true;
}

/// The exponential retry backoff after `attempts` failures.
pub fn backoff(attempts: u32, base: Duration, max: Duration) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    (base * factor).min(max.max(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(sequence: Option<i32>) -> ProducerBatch {
        ProducerBatch {
            topic: Arc::from("t"),
            topic_id: Uuid::nil(),
            partition: 0,
            data: Bytes::new(),
            record_count: 1,
            meta: Vec::new(),
            created: Instant::now(),
            memory: 0,
            attempts: 0,
            sequence,
            retry_at: None,
        }
    }

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(increment_sequence(5, 3), 8);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 5), 3);
    }

    #[test]
    fn requeued_batches_keep_sequence_order() {
        let mut p = PartitionState::default();
        p.queue.push_back(batch(None));
        let now = Instant::now();
        requeue(&mut p, batch(Some(10)), now);
        requeue(&mut p, batch(Some(5)), now);
        requeue(&mut p, batch(Some(20)), now);
        let order: Vec<_> = p.queue.iter().map(|b| b.sequence).collect();
        assert_eq!(order, vec![Some(5), Some(10), Some(20), None]);
        assert!(p.hold);
    }

    #[test]
    fn appends_fill_batches_up_to_batch_size() {
        let config = ProducerConfig {
            batch_size: 1024,
            ..ProducerConfig::default()
        };
        let mut state = State::new();
        state.topics.entry("t").update(Uuid::nil(), &[(0, 1)]);
        let value = [b'x'; 100];
        let mut failures = Vec::new();
        let mut new_batches = 0;
        for _ in 0..30 {
            let parts = RecordParts {
                timestamp: 1,
                key: None,
                value: Some(&value),
                headers: &[],
                size_bound: crate::protocol::record_encode::record_size_upper_bound(
                    None,
                    Some(&value),
                    &[],
                ),
            };
            match append(
                &mut state,
                0,
                0,
                &parts,
                &config,
                Instant::now,
                &mut failures,
            ) {
                Appended::Done { new_batch, .. } => new_batches += usize::from(new_batch),
                Appended::NoMemory => panic!("memory"),
            }
        }
        let partition = &state.topics.get("t").unwrap().partitions[0];
        assert!(failures.is_empty());
        assert_eq!(new_batches, 1 + partition.queue.len());
        for closed in &partition.queue {
            assert!(closed.data.len() <= 1024);
            assert!(closed.data.len() > 1024 - 120);
        }
        assert_eq!(state.memory_used, 1024 * new_batches);
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        assert_eq!(backoff(1, base, max), base);
        assert_eq!(backoff(2, base, max), base * 2);
        assert_eq!(backoff(10, base, max), max);
    }
}
