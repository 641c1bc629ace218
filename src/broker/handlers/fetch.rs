//! Fetch (key 1): sessionless reads (always `session_id = 0`, which every client accepts) of whole
//! stored batches, with per-partition and response size limits, KIP-74's "at least one batch",
//! and long polling on `max_wait_ms`/`min_bytes` woken by appends.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse};
use tokio::time::Instant;

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::broker::logging;
use crate::broker::state::{Broker, Topic};

/// Kafka's `fetch.max.bytes` broker default: the most one response carries.
const FETCH_MAX_BYTES: usize = 57_671_680;
/// First Fetch version that names topics by id.
const TOPIC_ID_MIN_VERSION: i16 = 13;
/// `isolation_level` 1.
const READ_COMMITTED: i8 = 1;
const UNKNOWN: i64 = -1;
/// `preferred_read_replica` meaning "keep fetching from the leader".
const NO_PREFERRED_REPLICA: i32 = -1;

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: FetchRequest) -> FetchResponse {
    let by_id = ctx.api_version >= TOPIC_ID_MIN_VERSION;
    let topics: Vec<Option<std::sync::Arc<Topic>>> = request
        .topics
        .iter()
        .map(|t| {
            if by_id {
                broker.topic_by_id(t.topic_id)
            } else {
                broker.topic(t.topic.as_str())
            }
        })
        .collect();
    let max_bytes = usize::try_from(request.max_bytes)
        .unwrap_or(0)
        .min(FETCH_MAX_BYTES);
    let min_bytes = usize::try_from(request.min_bytes)
        .unwrap_or(0)
        .min(max_bytes);
    let deadline =
        Instant::now() + Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
    // Subscribe before the first read so an append between read and wait is not missed.
    let mut appends = broker.subscribe_appends();
    loop {
        appends.borrow_and_update();
        let round = read_all(&request, &topics, max_bytes, by_id);
        let done = round.bytes >= min_bytes
            || round.had_error
            || request.max_wait_ms <= 0
            || request.topics.is_empty()
            || Instant::now() >= deadline;
        if done {
            return FetchResponse::default()
                .with_session_id(0)
                .with_responses(round.responses);
        }
        tokio::select! {
            changed = appends.changed() => if changed.is_err() {
                return FetchResponse::default().with_responses(round.responses);
            },
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

struct Round {
    responses: Vec<FetchableTopicResponse>,
    bytes: usize,
    had_error: bool,
}

fn read_all(
    request: &FetchRequest,
    topics: &[Option<std::sync::Arc<Topic>>],
    max_bytes: usize,
    by_id: bool,
) -> Round {
    let read_committed = request.isolation_level == READ_COMMITTED;
    let mut budget = max_bytes;
    let mut bytes = 0;
    let mut had_error = false;
    let mut responses = Vec::with_capacity(request.topics.len());
    for (fetch_topic, topic) in request.topics.iter().zip(topics) {
        let unknown = if by_id {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        let partitions = fetch_topic
            .partitions
            .iter()
            .map(|p| {
                let entry = PartitionData::default()
                    .with_partition_index(p.partition)
                    .with_preferred_read_replica(BrokerId(NO_PREFERRED_REPLICA));
                let Some(partition) = topic.as_ref().and_then(|t| t.partition(p.partition)) else {
                    had_error = true;
                    return error_entry(entry, unknown);
                };
                if p.current_leader_epoch > LEADER_EPOCH {
                    had_error = true;
                    return error_entry(entry, ResponseError::UnknownLeaderEpoch);
                }
                let limit = usize::try_from(p.partition_max_bytes)
                    .unwrap_or(0)
                    .min(budget);
                // KIP-74: until some partition returned data, a first batch larger than the
                // limits is returned whole so consumers always make progress.
                let min_one_batch = bytes == 0;
                let read = partition.log().read(p.fetch_offset, limit, min_one_batch);
                let Ok(read) = read else {
                    had_error = true;
                    return error_entry(entry, ResponseError::OffsetOutOfRange);
                };
                // The positioned read happens after the partition lock is released.
                let records = match read.slice.as_ref().map(|s| s.read()) {
                    None => Bytes::new(),
                    Some(Ok(data)) => data,
                    Some(Err(e)) => {
                        logging::error(&format!(
                            "Fetch read failed for {}-{}: {e}",
                            partition.topic, partition.index
                        ));
                        had_error = true;
                        return error_entry(entry, ResponseError::KafkaStorageError);
                    }
                };
                budget = budget.saturating_sub(records.len());
                bytes += records.len();
                entry
                    .with_high_watermark(read.high_watermark)
                    .with_last_stable_offset(read.high_watermark)
                    .with_log_start_offset(read.log_start_offset)
                    .with_aborted_transactions(read_committed.then(Vec::new))
                    .with_records(Some(records))
            })
            .collect();
        responses.push(
            FetchableTopicResponse::default()
                .with_topic(fetch_topic.topic.clone())
                .with_topic_id(fetch_topic.topic_id)
                .with_partitions(partitions),
        );
    }
    Round {
        responses,
        bytes,
        had_error,
    }
}

fn error_entry(entry: PartitionData, error: ResponseError) -> PartitionData {
    entry
        .with_error_code(error.code())
        .with_high_watermark(UNKNOWN)
        .with_last_stable_offset(UNKNOWN)
        .with_log_start_offset(UNKNOWN)
        .with_records(Some(Bytes::new()))
}
