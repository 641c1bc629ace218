//! One sessionless Fetch to one broker: the request for a set of partitions (by name below v13,
//! by topic id from v13), sent as a task so the application keeps reading earlier data while it
//! is in flight, and its response flattened into per-partition results. Owns the wire shapes
//! only; what the results mean for positions is the consumer's business.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::{Message, StrBytes};
use uuid::Uuid;

use super::completed::AbortedTransaction;
use super::TopicPartition;
use crate::client::error::{ClientError, ClientResult};
use crate::client::Cluster;

/// The oldest Fetch version spoken (Kafka 4.x's minimum; it carries KIP-74 limits).
const FETCH_MIN_VERSION: i16 = 4;
/// The last Fetch version that names topics rather than using topic ids.
const FETCH_LAST_VERSION_BY_NAME: i16 = 12;
/// `session_id` and `session_epoch` of a sessionless full fetch (KIP-227 FINAL_EPOCH).
const NO_SESSION_ID: i32 = 0;
const NO_SESSION_EPOCH: i32 = -1;
/// A consumer's `replica_id`.
const CONSUMER_REPLICA_ID: i32 = -1;

/// One partition to fetch.
#[derive(Debug, Clone)]
pub(super) struct FetchTarget {
    pub tp: TopicPartition,
    pub topic_id: Uuid,
    pub epoch: u64,
    pub fetch_offset: i64,
}

/// Request-wide fetch settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct FetchSettings {
    pub max_wait: Duration,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub partition_max_bytes: i32,
    pub isolation_level: i8,
}

/// What a broker answered for one partition.
#[derive(Debug)]
pub(super) struct PartitionResult {
    /// Index into the request's targets.
    pub target: usize,
    pub error_code: i16,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    pub records: Bytes,
    /// `Some` under read_committed.
    pub aborted: Option<Vec<AbortedTransaction>>,
}

/// The outcome of one Fetch to one broker.
#[derive(Debug)]
pub(super) struct FetchOutcome {
    pub node: i32,
    pub targets: Vec<FetchTarget>,
    /// Per-partition results, or why the whole request failed.
    pub result: ClientResult<Vec<PartitionResult>>,
}

/// Sends one Fetch for `targets` to broker `node` and waits for the answer.
pub(super) async fn fetch(
    cluster: Arc<Cluster>,
    node: i32,
    targets: Vec<FetchTarget>,
    settings: FetchSettings,
) -> FetchOutcome {
    let result = send(&cluster, node, &targets, settings).await;
    FetchOutcome {
        node,
        targets,
        result,
    }
}

async fn send(
    cluster: &Cluster,
    node: i32,
    targets: &[FetchTarget],
    settings: FetchSettings,
) -> ClientResult<Vec<PartitionResult>> {
    let connection = cluster.connection_to_node(node).await?;
    let by_name = targets.iter().any(|t| t.topic_id.is_nil());
    let max = if by_name {
        FETCH_LAST_VERSION_BY_NAME
    } else {
        FetchRequest::VERSIONS.max
    };
    let version = connection.version_in::<FetchRequest>(FETCH_MIN_VERSION, max)?;
    let request = build(targets, settings);
    let response = connection.send_at(request, version).await?;
    if response.error_code != 0 {
        return Err(ClientError::kafka(
            response.error_code,
            None,
            format!("Fetch from broker {}", connection.broker()),
        ));
    }
    let mut results = Vec::with_capacity(targets.len());
    for topic in response.responses {
        for partition in topic.partitions {
            let found = targets.iter().position(|t| {
                t.tp.partition == partition.partition_index
                    && if version > FETCH_LAST_VERSION_BY_NAME {
                        t.topic_id == topic.topic_id
                    } else {
                        *t.tp.topic == *topic.topic.0
                    }
            });
            let Some(target) = found else { continue };
            results.push(PartitionResult {
                target,
                error_code: partition.error_code,
                high_watermark: partition.high_watermark,
                last_stable_offset: partition.last_stable_offset,
                log_start_offset: partition.log_start_offset,
                records: partition.records.unwrap_or_default(),
                aborted: partition.aborted_transactions.map(|list| {
                    list.into_iter()
                        .map(|a| AbortedTransaction {
                            producer_id: a.producer_id.0,
                            first_offset: a.first_offset,
                        })
                        .collect()
                }),
            });
        }
    }
    Ok(results)
}

fn build(targets: &[FetchTarget], settings: FetchSettings) -> FetchRequest {
    // Keep the targets' order (the consumer rotates it for fairness) while grouping by topic.
    // The name and the id are both set: each version encodes only the one it knows.
    let mut topics: Vec<FetchTopic> = Vec::new();
    for target in targets {
        let partition = FetchPartition::default()
            .with_partition(target.tp.partition)
            .with_fetch_offset(target.fetch_offset)
            .with_partition_max_bytes(settings.partition_max_bytes);
        match topics.last_mut() {
            Some(last) if *last.topic.0 == *target.tp.topic => last.partitions.push(partition),
            _ => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(
                        target.tp.topic.to_string(),
                    )))
                    .with_topic_id(target.topic_id)
                    .with_partitions(vec![partition]),
            ),
        }
    }
    FetchRequest::default()
        .with_replica_id(BrokerId(CONSUMER_REPLICA_ID))
        .with_max_wait_ms(i32::try_from(settings.max_wait.as_millis()).unwrap_or(i32::MAX))
        .with_min_bytes(settings.min_bytes)
        .with_max_bytes(settings.max_bytes)
        .with_isolation_level(settings.isolation_level)
        .with_session_id(NO_SESSION_ID)
        .with_session_epoch(NO_SESSION_EPOCH)
        .with_topics(topics)
}
