//! The producer's sender task: obtains the producer id (idempotence), keeps leaders current,
//! drains ready batches into one Produce request per leader (at most `max.in.flight` requests
//! pipelined per connection, written in order so sequences arrive in order), and turns every
//! response into a delivery report, a retry (with backoff, after a metadata refresh when
//! leadership moved) or a failure. Never holds the producer's lock across an await.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    InitProducerIdRequest, ProduceRequest, ProduceResponse, ProducerId, TopicName,
};
use kafka_protocol::protocol::{Message, StrBytes};
use tokio::sync::mpsc;

use super::accumulator::{self, Failure, ProducerBatch, State};
use super::{Delivery, Inner};
use crate::client::{ClientError, ClientResult};
use crate::protocol::record_encode::ProducerFields;

/// First Produce version that names topics by id.
const TOPIC_ID_MIN_VERSION: i16 = 13;
/// The oldest Produce version the Java client still sends.
const PRODUCE_MIN_VERSION: i16 = 3;
/// The first Produce version that may carry zstd batches.
const ZSTD_MIN_VERSION: i16 = 7;
/// Transaction timeout sent by a non-transactional idempotent producer (Java's choice).
const NO_TRANSACTION_TIMEOUT_MS: i32 = i32::MAX;
/// How long the sender sleeps when nothing has a deadline (it is woken for new work anyway).
const IDLE_WAIT: Duration = Duration::from_secs(3600);

/// Errors after which leaders must be looked up again (Java's `InvalidMetadataException`s).
const METADATA_ERRORS: [ResponseError; 7] = [
    ResponseError::UnknownTopicOrPartition,
    ResponseError::LeaderNotAvailable,
    ResponseError::NotLeaderOrFollower,
    ResponseError::FencedLeaderEpoch,
    ResponseError::UnknownLeaderEpoch,
    ResponseError::KafkaStorageError,
    ResponseError::UnknownTopicId,
];

/// A request's batches coming back with the request's outcome.
struct Completion {
    node: i32,
    broker: String,
    version: i16,
    batches: Vec<ProducerBatch>,
    /// `None` for acks=0 (no response).
    result: ClientResult<Option<ProduceResponse>>,
}

pub(super) async fn run(inner: Arc<Inner>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Completion>();
    let mut in_flight: HashMap<i32, usize> = HashMap::new();
    loop {
        while let Ok(completion) = rx.try_recv() {
            complete(&inner, completion, &mut in_flight);
        }
        {
            let state = inner.lock();
            if state.closing && state.incomplete == 0 {
                return;
            }
        }
        let mut next_wake = Instant::now() + IDLE_WAIT;
        if inner.config.idempotence && !ensure_producer_id(&inner).await {
            next_wake = next_wake.min(Instant::now() + inner.cluster.config().retry_backoff);
        }
        if !refresh_leaders(&inner).await {
            next_wake = next_wake.min(Instant::now() + inner.cluster.config().retry_backoff);
        }
        loop {
            let (requests, wake) = drain(&inner, &in_flight);
            next_wake = next_wake.min(wake);
            if requests.is_empty() {
                break;
            }
            for (node, batches) in requests {
                *in_flight.entry(node).or_default() += 1;
                send(&inner, node, batches, &tx).await;
            }
        }
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(next_wake));
        tokio::select! {
            _ = inner.wake_sender.notified() => {}
            Some(completion) = rx.recv() => complete(&inner, completion, &mut in_flight),
            _ = sleep => {}
        }
    }
}

/// Gets a producer id when there is none, or a fresh one after a batch failed for good (once
/// nothing is in flight); sequences then restart at 0. Only asked for while there is something
/// to send. A failed try counts as a failed attempt of every waiting batch, so a cluster that
/// went away fails them after `retries` tries instead of at the delivery timeout. Returns false
/// if it must be tried again.
async fn ensure_producer_id(inner: &Inner) -> bool {
    {
        let state = inner.lock();
        let needed = state.producer.is_none() || state.reset_producer;
        if !needed || state.fatal.is_some() || state.in_flight_batches > 0 || state.incomplete == 0
        {
            return true;
        }
    }
    let request = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(NO_TRANSACTION_TIMEOUT_MS)
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let result = async {
        let connection = inner.cluster.any_connection().await?;
        let response = connection.send(request).await?;
        if response.error_code != 0 {
            return Err(ClientError::kafka(
                response.error_code,
                None,
                format!("InitProducerId from broker {}", connection.broker()),
            ));
        }
        Ok((response.producer_id.0, response.producer_epoch))
    }
    .await;
    let mut state = inner.lock();
    match result {
        Ok(producer) => {
            state.producer = Some(producer);
            state.reset_producer = false;
            for topic in state.topics.values_mut() {
                for partition in &mut topic.partitions {
                    partition.next_sequence = 0;
                    partition.acked_next = 0;
                    for batch in &mut partition.queue {
                        batch.sequence = None;
                    }
                }
            }
            true
        }
        Err(e) if e.is_retriable() || matches!(e, ClientError::Connect { .. }) => {
            let error = ClientError::Other(format!("cannot get a producer id: {e}"));
            let failures = count_failed_attempt(&mut state, &error, inner.config.retries);
            drop(state);
            inner.fail_unsent(failures);
            false
        }
        Err(e) => {
            state.fatal = Some(e.clone());
            let failures = take_all_unsent(&mut state, &e);
            drop(state);
            inner.fail_unsent(failures);
            true
        }
    }
}

/// Counts a failed attempt against every closed batch waiting to be sent; those past `retries`
/// are taken out as failures.
fn count_failed_attempt(state: &mut State, error: &ClientError, retries: u32) -> Vec<Failure> {
    let mut failures = Vec::new();
    for topic in state.topics.values_mut() {
        for (index, partition) in topic.partitions.iter_mut().enumerate() {
            let mut kept = std::collections::VecDeque::with_capacity(partition.queue.len());
            for mut batch in partition.queue.drain(..) {
                batch.attempts += 1;
                if batch.attempts > retries {
                    failures.push(Failure {
                        error: error.clone(),
                        meta: batch.meta,
                        topic: topic.name.clone(),
                        partition: index as i32,
                        memory: batch.memory,
                    });
                } else {
                    kept.push_back(batch);
                }
            }
            partition.queue = kept;
        }
    }
    failures
}

/// Every batch not in flight, as failures with `error`.
fn take_all_unsent(state: &mut State, error: &ClientError) -> Vec<Failure> {
    let mut failures = Vec::new();
    for topic in state.topics.values_mut() {
        for (index, partition) in topic.partitions.iter_mut().enumerate() {
            let index = index as i32;
            if let Some(open) = partition.open.take() {
                failures.push(Failure {
                    error: error.clone(),
                    meta: open.meta,
                    topic: topic.name.clone(),
                    partition: index,
                    memory: open.memory,
                });
            }
            for batch in partition.queue.drain(..) {
                failures.push(Failure {
                    error: error.clone(),
                    meta: batch.meta,
                    topic: topic.name.clone(),
                    partition: index,
                    memory: batch.memory,
                });
            }
        }
    }
    failures
}

/// Looks up leaders of the topics that need it. Returns false if that failed (to retry later;
/// the cached leaders stay in use meanwhile).
async fn refresh_leaders(inner: &Inner) -> bool {
    let names: Vec<String> = {
        let state = inner.lock();
        state
            .topics
            .iter()
            .filter(|t| t.needs_metadata)
            .map(|t| t.name.to_string())
            .collect()
    };
    if names.is_empty() {
        return true;
    }
    let metadata = match inner.cluster.refresh_metadata(Some(&names)).await {
        Ok(metadata) => metadata,
        Err(_) => return false,
    };
    let mut state = inner.lock();
    for name in &names {
        let (Some(info), Some(topic)) = (metadata.topics.get(name), state.topics.get_mut(name))
        else {
            continue;
        };
        if info.error_code != 0 {
            continue;
        }
        let leaders: Vec<(i32, i32)> = info
            .partitions
            .iter()
            .map(|p| {
                let known = metadata.brokers.contains_key(&p.leader);
                (p.partition, if known { p.leader } else { -1 })
            })
            .collect();
        topic.update(info.topic_id, &leaders);
    }
    true
}

/// Takes the batches that are ready now, grouped into at most one request per leader with room
/// for another in-flight request. Also closes lingering batches that are due and expires
/// batches past `delivery.timeout.ms`. Returns the requests and when to look again.
fn drain(
    inner: &Inner,
    in_flight: &HashMap<i32, usize>,
) -> (Vec<(i32, Vec<ProducerBatch>)>, Instant) {
    let config = &inner.config;
    let now = Instant::now();
    let mut next_wake = now + IDLE_WAIT;
    let mut failures = Vec::new();
    let mut requests: Vec<(i32, Vec<ProducerBatch>, usize)> = Vec::new();
    {
        let mut guard = inner.lock();
        let state = &mut *guard;
        let force = state.flushing > 0 || state.memory_waiters > 0 || state.closing;
        let producer = if config.idempotence {
            match (state.producer, state.reset_producer) {
                (Some(p), false) => Some(p),
                _ => None,
            }
        } else {
            None
        };
        let may_send = !config.idempotence || producer.is_some();
        for topic in state.topics.values_mut() {
            for index in 0..topic.partitions.len() {
                let partition_id = index as i32;
                // Close a lingering batch that is due.
                let due = topic.partitions[index]
                    .open
                    .as_ref()
                    .map(|open| (open.created + config.linger, open.builder.is_empty()));
                match due {
                    Some((deadline, false)) if force || deadline <= now => {
                        if let Some(open) = topic.partitions[index].open.take() {
                            match accumulator::close_batch(
                                topic,
                                partition_id,
                                open,
                                config.compression,
                            ) {
                                Ok(batch) => topic.partitions[index].queue.push_back(batch),
                                Err(failure) => failures.push(failure),
                            }
                        }
                    }
                    Some((deadline, false)) => next_wake = next_wake.min(deadline),
                    _ => {}
                }
                let partition = &mut topic.partitions[index];
                // Expire batches waiting too long (those in flight are bounded by the request
                // timeout instead).
                while let Some(front) = partition.queue.front() {
                    let expiry = front.created + config.delivery_timeout;
                    if expiry > now {
                        next_wake = next_wake.min(expiry);
                        break;
                    }
                    if let Some(batch) = partition.queue.pop_front() {
                        let elapsed = now.duration_since(batch.created).as_millis();
                        failures.push(Failure {
                            error: ClientError::Other(format!(
                                "Expiring {} record(s) for {}-{}:{} ms has passed since batch creation",
                                batch.record_count, topic.name, partition_id, elapsed
                            )),
                            meta: batch.meta,
                            topic: topic.name.clone(),
                            partition: partition_id,
                            memory: batch.memory,
                        });
                        if config.idempotence && batch.sequence.is_some() {
                            state.reset_producer = true;
                        }
                    }
                }
                if !may_send || partition.queue.is_empty() {
                    continue;
                }
                if partition.hold && partition.in_flight > 0 {
                    continue;
                }
                if let Some(retry_at) = partition.queue.front().and_then(|b| b.retry_at) {
                    if retry_at > now {
                        next_wake = next_wake.min(retry_at);
                        continue;
                    }
                }
                let leader = partition.leader;
                if leader < 0 {
                    topic.needs_metadata = true;
                    next_wake = next_wake.min(now + inner.cluster.config().retry_backoff);
                    continue;
                }
                let request = match requests.iter().position(|(n, _, _)| *n == leader) {
                    Some(i) => i,
                    None => {
                        if in_flight.get(&leader).copied().unwrap_or(0) >= config.max_in_flight {
                            continue;
                        }
                        requests.push((leader, Vec::new(), 0));
                        requests.len() - 1
                    }
                };
                let size = partition.queue.front().map_or(0, |b| b.data.len());
                let (_, batches, bytes) = &mut requests[request];
                if !batches.is_empty() && *bytes + size > config.max_request_size {
                    continue;
                }
                let Some(mut batch) = partition.queue.pop_front() else {
                    continue;
                };
                if let Some((producer_id, producer_epoch)) = producer {
                    let sequence = match batch.sequence {
                        Some(s) => s,
                        None => {
                            let s = partition.next_sequence;
                            partition.next_sequence =
                                accumulator::increment_sequence(s, batch.record_count);
                            s
                        }
                    };
                    if batch.sequence.is_none() {
                        batch.set_producer_fields(ProducerFields {
                            producer_id,
                            producer_epoch,
                            base_sequence: sequence,
                        });
                    }
                    batch.sequence = Some(sequence);
                }
                batch.topic_id = topic.topic_id;
                partition.in_flight += 1;
                partition.hold = false;
                state.in_flight_batches += 1;
                *bytes += size;
                batches.push(batch);
            }
        }
    }
    inner.fail_unsent(failures);
    (
        requests
            .into_iter()
            .map(|(node, batches, _)| (node, batches))
            .collect(),
        next_wake,
    )
}

/// Writes one Produce request for `batches` to `node` and arranges for its completion.
async fn send(
    inner: &Inner,
    node: i32,
    batches: Vec<ProducerBatch>,
    tx: &mpsc::UnboundedSender<Completion>,
) {
    let connection = match inner.cluster.connection_to_node(node).await {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Completion {
                node,
                broker: format!("node {node}"),
                version: PRODUCE_MIN_VERSION,
                batches,
                result: Err(e),
            });
            return;
        }
    };
    let broker = connection.broker().to_string();
    let min = if inner.config.compression == crate::protocol::record_encode::Compression::Zstd {
        ZSTD_MIN_VERSION
    } else {
        PRODUCE_MIN_VERSION
    };
    let version = match connection.version_in::<ProduceRequest>(min, ProduceRequest::VERSIONS.max) {
        Ok(v) => v,
        Err(e) => {
            let _ = tx.send(Completion {
                node,
                broker,
                version: PRODUCE_MIN_VERSION,
                batches,
                result: Err(e),
            });
            return;
        }
    };
    let mut topic_data: Vec<TopicProduceData> = Vec::new();
    for batch in &batches {
        let partition = PartitionProduceData::default()
            .with_index(batch.partition)
            .with_records(Some(batch.data.clone()));
        match topic_data
            .iter_mut()
            .find(|t| t.name.0.as_str() == &*batch.topic)
        {
            Some(topic) => topic.partition_data.push(partition),
            None => topic_data.push(
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(batch.topic.to_string())))
                    .with_topic_id(batch.topic_id)
                    .with_partition_data(vec![partition]),
            ),
        }
    }
    let request = ProduceRequest::default()
        .with_transactional_id(None)
        .with_acks(inner.config.acks)
        .with_timeout_ms(inner.cluster.config().timeouts.request.as_millis() as i32)
        .with_topic_data(topic_data);
    if inner.config.acks == 0 {
        let result = connection
            .send_without_response(request)
            .await
            .map(|()| None);
        let _ = tx.send(Completion {
            node,
            broker,
            version,
            batches,
            result,
        });
        return;
    }
    match connection.write_request(&request, version).await {
        Ok(pending) => {
            let tx = tx.clone();
            tokio::spawn(async move {
                let result = pending.response().await.map(Some);
                let _ = tx.send(Completion {
                    node,
                    broker,
                    version,
                    batches,
                    result,
                });
            });
        }
        Err(e) => {
            let _ = tx.send(Completion {
                node,
                broker,
                version,
                batches,
                result: Err(e),
            });
        }
    }
}

/// The outcome of one batch in a response: its base offset or the error.
fn batch_outcome(
    batch: &ProducerBatch,
    completion: &Completion,
) -> Result<i64, (ClientError, Option<ResponseError>)> {
    let context = format!(
        "topic {} partition {} on broker {}",
        batch.topic, batch.partition, completion.broker
    );
    let response = match &completion.result {
        Err(e) => {
            return Err((
                ClientError::Other(format!(
                    "{e} (topic {} partition {})",
                    batch.topic, batch.partition
                )),
                None,
            ))
        }
        Ok(None) => return Ok(-1),
        Ok(Some(response)) => response,
    };
    let by_id = completion.version >= TOPIC_ID_MIN_VERSION;
    let found = response
        .responses
        .iter()
        .find(|t| {
            if by_id {
                t.topic_id == batch.topic_id
            } else {
                t.name.0.as_str() == &*batch.topic
            }
        })
        .and_then(|t| {
            t.partition_responses
                .iter()
                .find(|p| p.index == batch.partition)
        });
    let Some(partition) = found else {
        return Err((
            ClientError::Other(format!("the Produce response has no result for {context}")),
            None,
        ));
    };
    if partition.error_code == 0 {
        return Ok(partition.base_offset);
    }
    let code = ResponseError::try_from_code(partition.error_code)
        .unwrap_or(ResponseError::Unknown(partition.error_code));
    if code == ResponseError::DuplicateSequenceNumber {
        // Already written by an earlier attempt: the broker deduplicated it.
        return Ok(-1);
    }
    let message = partition
        .error_message
        .as_ref()
        .map(|m| m.to_string())
        .filter(|m| !m.is_empty());
    Err((
        ClientError::kafka(partition.error_code, message, context),
        Some(code),
    ))
}

/// Whether a failed attempt may be tried again (connection failures included: a restarted
/// broker is reachable again).
fn retriable(error: &ClientError, completion: &Completion) -> bool {
    error.is_retriable()
        || matches!(
            completion.result,
            Err(ClientError::Connect { .. })
                | Err(ClientError::Disconnected { .. })
                | Err(ClientError::Timeout { .. })
        )
}

fn complete(inner: &Inner, mut completion: Completion, in_flight: &mut HashMap<i32, usize>) {
    if let Some(count) = in_flight.get_mut(&completion.node) {
        *count = count.saturating_sub(1);
    }
    let config = &inner.config;
    let now = Instant::now();
    let batches = std::mem::take(&mut completion.batches);
    let mut reports: Vec<(ProducerBatch, Result<i64, ClientError>)> = Vec::new();
    {
        let mut guard = inner.lock();
        let state = &mut *guard;
        for mut batch in batches {
            let outcome = batch_outcome(&batch, &completion);
            state.in_flight_batches = state.in_flight_batches.saturating_sub(1);
            let Some(topic) = state.topics.get_mut(&batch.topic) else {
                continue;
            };
            let Some(partition) = usize::try_from(batch.partition)
                .ok()
                .and_then(|i| topic.partitions.get_mut(i))
            else {
                continue;
            };
            partition.in_flight = partition.in_flight.saturating_sub(1);
            let error = match outcome {
                Ok(offset) => {
                    if let Some(sequence) = batch.sequence {
                        partition.acked_next =
                            accumulator::increment_sequence(sequence, batch.record_count);
                    }
                    reports.push((batch, Ok(offset)));
                    continue;
                }
                Err(error) => error,
            };
            let (error, code) = error;
            // An out-of-order answer while an earlier batch of the partition is still unresolved
            // is a consequence of that batch's failure, not of this one: retried (as an attempt,
            // so the retries bound it) once the earlier batch went through.
            let follows_failure = code == Some(ResponseError::OutOfOrderSequenceNumber)
                && batch.sequence.is_some_and(|s| s != partition.acked_next);
            batch.attempts += 1;
            let expired = now >= batch.created + config.delivery_timeout;
            let may_retry = (follows_failure || retriable(&error, &completion))
                && batch.attempts <= config.retries
                && !expired;
            if may_retry {
                if code.is_some_and(|c| METADATA_ERRORS.contains(&c)) {
                    topic.needs_metadata = true;
                }
                let wait = accumulator::backoff(
                    batch.attempts.max(1),
                    inner.cluster.config().retry_backoff,
                    inner.cluster.config().retry_backoff_max,
                );
                accumulator::requeue(partition, batch, now + wait);
                continue;
            }
            if config.idempotence && batch.sequence.is_some() {
                state.reset_producer = true;
            }
            reports.push((batch, Err(error)));
        }
        for (batch, _) in &reports {
            state.memory_used = state.memory_used.saturating_sub(batch.memory);
            state.incomplete = state.incomplete.saturating_sub(1);
        }
    }
    for (batch, outcome) in &reports {
        inner.report(&Delivery {
            topic: &batch.topic,
            partition: batch.partition,
            base_offset: *outcome.as_ref().unwrap_or(&-1),
            records: &batch.meta,
            result: outcome.as_ref().map(|_| ()),
        });
    }
    if !reports.is_empty() {
        inner.progress.notify_waiters();
    }
}
