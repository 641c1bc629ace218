//! The Kafka producer: `send` picks a partition (explicit, Java's murmur2 of the key, or sticky for
//! keyless records), appends into the partition's batch and returns without waiting for the
//! broker; a sender task ships ready batches, pipelined, to each partition's leader, retries what
//! can be retried, and reports every batch's outcome to a delivery callback. Idempotence is on
//! by default as in Java's client. Memory is bounded by `buffer.memory`; `send` blocks at most
//! `max.block.ms` for metadata or memory.
//!
//! - [`config`] — settings with Java's names, defaults and validation.
//! - [`accumulator`] — batches per partition and the idempotence bookkeeping (no I/O).
//! - `sender` — the task that drains batches into Produce requests and handles responses.

pub mod accumulator;
pub mod config;
mod sender;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kafka_protocol::error::ResponseError;
use rand::Rng;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use self::accumulator::{Appended, Failure, RecordParts, State};
pub use self::config::ProducerConfig;
use super::{ClientError, ClientResult, Cluster};
use crate::protocol::batch::HEADER_SIZE;
use crate::protocol::murmur2::partition_for_key;
use crate::protocol::record_encode::record_size_upper_bound;
pub use crate::protocol::record_encode::{Compression, RecordHeader};

/// One record to send. Borrowed: `send` copies it into a batch before returning.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub topic: &'a str,
    /// An explicit partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// CreateTime in ms; `None` means now.
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [RecordHeader<'a>],
}

/// What a delivery report says about each record (enough for Java's error line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordMeta {
    pub key_size: Option<u32>,
    pub value_size: Option<u32>,
}

/// The outcome of one batch: its records, where they went, and whether they were written.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub topic: &'a str,
    /// -1 when the record never got a partition.
    pub partition: i32,
    /// Offset of the first record; -1 when unknown (acks=0, a duplicate, or a failure).
    pub base_offset: i64,
    pub records: &'a [RecordMeta],
    pub result: Result<(), &'a ClientError>,
}

/// Called once per batch from the sender task.
pub type DeliveryCallback = Box<dyn FnMut(&Delivery<'_>) + Send>;

struct Inner {
    cluster: Arc<Cluster>,
    config: ProducerConfig,
    state: Mutex<State>,
    /// Wakes the sender: a batch is ready, a flush started, or the producer closes.
    wake_sender: Notify,
    /// Wakes `send` and `flush` waiters: memory was freed or batches completed.
    progress: Notify,
    on_delivery: Mutex<DeliveryCallback>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn report(&self, delivery: &Delivery<'_>) {
        let mut callback = self.on_delivery.lock().unwrap_or_else(|p| p.into_inner());
        callback(delivery);
    }

    /// Reports batches that failed before they were sent and gives their memory back.
    fn fail_unsent(&self, failures: Vec<Failure>) {
        if failures.is_empty() {
            return;
        }
        {
            let mut state = self.lock();
            for f in &failures {
                state.memory_used = state.memory_used.saturating_sub(f.memory);
                state.incomplete = state.incomplete.saturating_sub(1);
            }
        }
        for f in &failures {
            self.report(&Delivery {
                topic: &f.topic,
                partition: f.partition,
                base_offset: -1,
                records: &f.meta,
                result: Err(&f.error),
            });
        }
        self.progress.notify_waiters();
    }
}

/// A producer bound to one cluster. Create it inside a tokio runtime (it spawns its sender).
pub struct Producer {
    inner: Arc<Inner>,
    sender: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").finish()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Producer {
    /// A producer for `cluster` that reports each batch's outcome to `on_delivery`.
    pub fn new(
        cluster: Arc<Cluster>,
        config: ProducerConfig,
        on_delivery: DeliveryCallback,
    ) -> Producer {
        let inner = Arc::new(Inner {
            cluster,
            config,
            state: Mutex::new(State::new()),
            wake_sender: Notify::new(),
            progress: Notify::new(),
            on_delivery: Mutex::new(on_delivery),
        });
        let sender = tokio::spawn(sender::run(inner.clone()));
        Producer {
            inner,
            sender: Some(sender),
        }
    }

    pub fn config(&self) -> &ProducerConfig {
        &self.inner.config
    }

    /// Queues `record` for sending. Waits only for the topic's metadata or for buffer memory,
    /// at most `max.block.ms`. Errors here concern this record alone (too large, no metadata,
    /// invalid partition, no memory); delivery failures go to the callback.
    pub async fn send(&self, record: &Record<'_>) -> ClientResult<()> {
        let config = &self.inner.config;
        // Read the clock only when this send has to wait (most never do).
        let started = std::cell::OnceCell::new();
        let deadline = || *started.get_or_init(|| tokio::time::Instant::now() + config.max_block);
        let size_bound = record_size_upper_bound(record.key, record.value, record.headers);
        let serialized = HEADER_SIZE + size_bound;
        if serialized > config.max_request_size {
            return Err(ClientError::Other(format!(
                "The message is {serialized} bytes when serialized which is larger than {}, which is the value of the max.request.size configuration.",
                config.max_request_size
            )));
        }
        if serialized > config.buffer_memory {
            return Err(ClientError::Other(format!(
                "The message is {serialized} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration."
            )));
        }
        let (topic_index, partition_count) = self.partition_count(record.topic, deadline).await?;
        let partition = match (record.partition, record.key) {
            (Some(p), _) => {
                if p < 0 || p >= partition_count {
                    return Err(ClientError::Other(format!(
                        "Invalid partition given with record: {p} is not in the range [0...{partition_count}]."
                    )));
                }
                Some(p)
            }
            (None, Some(key)) => Some(partition_for_key(key, partition_count)),
            (None, None) => None,
        };
        let parts = RecordParts {
            timestamp: record.timestamp.unwrap_or_else(now_ms),
            key: record.key,
            value: record.value,
            headers: record.headers,
            size_bound,
        };
        let mut waiting: Option<std::pin::Pin<Box<tokio::sync::futures::Notified<'_>>>> = None;
        loop {
            let mut failures = Vec::new();
            let appended = {
                let mut state = self.inner.lock();
                if let Some(fatal) = &state.fatal {
                    let fatal = fatal.clone();
                    if waiting.is_some() {
                        state.memory_waiters -= 1;
                    }
                    return Err(fatal);
                }
                let chosen = match partition {
                    Some(p) => p,
                    None => {
                        sticky_partition(&mut state, topic_index, size_bound, config, &mut failures)
                    }
                };
                let appended = accumulator::append(
                    &mut state,
                    topic_index,
                    chosen,
                    &parts,
                    config,
                    Instant::now,
                    &mut failures,
                );
                if let (None, Appended::Done { bytes, .. }) = (partition, &appended) {
                    if let Some(topic) = state.topics.at(topic_index) {
                        topic.sticky.produced_bytes += bytes;
                    }
                }
                match (&appended, &waiting) {
                    (Appended::Done { .. }, Some(_)) => state.memory_waiters -= 1,
                    (Appended::NoMemory, None) => {
                        state.memory_waiters += 1;
                        // Registered while the lock is held, so memory freed from now on
                        // wakes this waiter.
                        let mut notified = Box::pin(self.inner.progress.notified());
                        notified.as_mut().enable();
                        waiting = Some(notified);
                    }
                    _ => {}
                }
                appended
            };
            self.inner.fail_unsent(failures);
            match appended {
                Appended::Done { new_batch, .. } => {
                    if new_batch {
                        // A new batch starts its linger timer; a closed one may be ready.
                        // Yielding lets the sender ship it and read responses now, even on a
                        // single-threaded runtime where the caller would otherwise keep the
                        // thread until its input runs dry.
                        self.inner.wake_sender.notify_one();
                        tokio::task::yield_now().await;
                    }
                    return Ok(());
                }
                Appended::NoMemory => {
                    self.inner.wake_sender.notify_one();
                    let Some(notified) = waiting.as_mut() else {
                        continue;
                    };
                    if tokio::time::timeout_at(deadline(), notified.as_mut())
                        .await
                        .is_err()
                    {
                        self.inner.lock().memory_waiters -= 1;
                        return Err(ClientError::Other(format!(
                            "Failed to allocate memory within the configured max blocking time {} ms.",
                            config.max_block.as_millis()
                        )));
                    }
                    // Wait for the next release after this one.
                    let mut next = Box::pin(self.inner.progress.notified());
                    next.as_mut().enable();
                    waiting = Some(next);
                }
            }
        }
    }

    /// The topic's position in the producer's state and its partition count, fetching (and
    /// letting the broker auto-create) its metadata when unknown, for at most until `deadline`.
    async fn partition_count(
        &self,
        topic: &str,
        deadline: impl Fn() -> tokio::time::Instant,
    ) -> ClientResult<(usize, i32)> {
        {
            let mut state = self.inner.lock();
            if let Some(index) = state.topics.index_of(topic) {
                if let Some(known) = state.topics.at(index).filter(|t| !t.partitions.is_empty()) {
                    return Ok((index, known.partitions.len() as i32));
                }
            }
        }
        let deadline = deadline();
        let cluster = &self.inner.cluster;
        let mut backoff = cluster.config().retry_backoff;
        let names = [topic.to_string()];
        loop {
            let attempt = tokio::time::timeout_at(
                deadline,
                cluster.refresh_metadata_with(Some(&names), true),
            )
            .await;
            let last_error = match attempt {
                Err(_) => None,
                Ok(Err(e)) if !e.is_retriable() => return Err(e),
                Ok(Err(e)) => Some(e),
                Ok(Ok(metadata)) => match metadata.topics.get(topic) {
                    Some(info) if info.error_code == 0 && !info.partitions.is_empty() => {
                        let leaders: Vec<(i32, i32)> = info
                            .partitions
                            .iter()
                            .map(|p| (p.partition, p.leader))
                            .collect();
                        let mut state = self.inner.lock();
                        let entry = state.topics.entry(topic);
                        entry.update(info.topic_id, &leaders);
                        let count = entry.partitions.len() as i32;
                        let index = state.topics.index_of(topic).unwrap_or_default();
                        return Ok((index, count));
                    }
                    Some(info)
                        if info.error_code != 0
                            && !is_transient_metadata_error(info.error_code) =>
                    {
                        return Err(ClientError::kafka(
                            info.error_code,
                            None,
                            format!("topic {topic}"),
                        ));
                    }
                    _ => None,
                },
            };
            let now = tokio::time::Instant::now();
            if now + backoff >= deadline {
                let waited = self.inner.config.max_block.as_millis();
                return Err(match last_error {
                    Some(e) => ClientError::Other(format!(
                        "Topic {topic} not present in metadata after {waited} ms: {e}"
                    )),
                    None => ClientError::Other(format!(
                        "Topic {topic} not present in metadata after {waited} ms."
                    )),
                });
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(cluster.config().retry_backoff_max);
        }
    }

    /// Sends every buffered record now (no linger wait) and waits until all have been
    /// acknowledged or have failed.
    pub async fn flush(&self) {
        self.inner.lock().flushing += 1;
        self.inner.wake_sender.notify_one();
        loop {
            let notified = self.inner.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inner.lock().incomplete == 0 {
                break;
            }
            notified.await;
        }
        self.inner.lock().flushing -= 1;
    }

    /// Flushes, then stops the sender.
    pub async fn close(mut self) {
        self.flush().await;
        self.inner.lock().closing = true;
        self.inner.wake_sender.notify_one();
        if let Some(sender) = self.sender.take() {
            let _ = sender.await;
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.abort();
        }
    }
}

/// Errors a topic shows in metadata while it is being created or elected.
fn is_transient_metadata_error(code: i16) -> bool {
    code == ResponseError::LeaderNotAvailable.code()
        || code == ResponseError::UnknownTopicOrPartition.code()
}

/// Java's `BuiltInPartitioner` for records without key or partition: stay on one partition
/// until about `batch.size` bytes went to it and its batch is full, then pick another at random
/// among the partitions that have a leader.
fn sticky_partition(
    state: &mut State,
    topic: usize,
    record_size: usize,
    config: &ProducerConfig,
    failures: &mut Vec<Failure>,
) -> i32 {
    let Some(topic_state) = state.topics.at(topic) else {
        return 0;
    };
    let count = topic_state.partitions.len();
    if count <= 1 {
        return 0;
    }
    if let Some(current) = topic_state.sticky.partition {
        let produced = topic_state.sticky.produced_bytes;
        let batch_full = topic_state
            .partitions
            .get(current as usize)
            .and_then(|p| p.open.as_ref())
            .is_none_or(|open| {
                !accumulator::has_room(open, record_size, config, topic_state.compression_ratio)
            });
        let limit = config.batch_size.max(1);
        if produced < limit || (!batch_full && produced < 2 * limit) {
            return current;
        }
        // Leaving a full batch: it is ready now rather than after its linger.
        if batch_full {
            let slot = current as usize;
            if let Some(open) = topic_state
                .partitions
                .get_mut(slot)
                .and_then(|p| p.open.take())
            {
                accumulator::queue_closed(topic_state, slot, current, open, config, failures);
            }
        }
    }
    let available: Vec<i32> = topic_state
        .partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.leader >= 0)
        .map(|(i, _)| i as i32)
        .collect();
    let mut rng = rand::thread_rng();
    let next = if available.is_empty() {
        rng.gen_range(0..count as i32)
    } else {
        available[rng.gen_range(0..available.len())]
    };
    topic_state.sticky.partition = Some(next);
    topic_state.sticky.produced_bytes = 0;
    next
}
