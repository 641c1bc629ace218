//! OffsetFetch (key 9, v1–9): committed offsets of requested partitions or of all of them
//! (null topics, v2+), for one group (v1–7) or a batch of groups each with its own error (v8+).
//! A partition without a commit, or an unknown group, answers offset -1 without an error.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, TopicName};

use super::group_support::{str_bytes, string};
use super::RequestContext;
use crate::broker::coordinator::types::{
    CommittedOffset, ErrorCode, FetchTopics, FetchedTopic, NONE,
};
use crate::broker::state::Broker;

/// v8 moved to a batch of groups.
const MULTI_GROUP_MIN_VERSION: i16 = 8;
/// v2 added the top-level error code.
const TOP_LEVEL_ERROR_MIN_VERSION: i16 = 2;
const NO_OFFSET: i64 = -1;
const NO_EPOCH: i32 = -1;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: OffsetFetchRequest,
) -> OffsetFetchResponse {
    if ctx.api_version >= MULTI_GROUP_MIN_VERSION {
        let groups = request
            .groups
            .into_iter()
            .map(|g| {
                let topics: FetchTopics = g.topics.map(|topics| {
                    topics
                        .into_iter()
                        .map(|t| (string(&t.name), t.partition_indexes))
                        .collect()
                });
                let entry = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
                match broker.groups.fetch_offsets(g.group_id.as_str(), topics) {
                    Ok(found) => entry.with_topics(found.into_iter().map(group_topic).collect()),
                    Err(error) => entry.with_error_code(error),
                }
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let requested: FetchTopics = request.topics.map(|topics| {
        topics
            .into_iter()
            .map(|t| (string(&t.name), t.partition_indexes))
            .collect()
    });
    match broker
        .groups
        .fetch_offsets(request.group_id.as_str(), requested.clone())
    {
        Ok(found) => OffsetFetchResponse::default()
            .with_topics(found.into_iter().map(single_topic).collect()),
        Err(error) if ctx.api_version >= TOP_LEVEL_ERROR_MIN_VERSION => {
            OffsetFetchResponse::default().with_error_code(error)
        }
        // v1 has no top-level error: every requested partition carries it.
        Err(error) => {
            let topics = requested
                .unwrap_or_default()
                .into_iter()
                .map(|(topic, partitions)| {
                    let partitions = partitions
                        .into_iter()
                        .map(|p| single_partition(p, None, error))
                        .collect();
                    OffsetFetchResponseTopic::default()
                        .with_name(topic_name(topic))
                        .with_partitions(partitions)
                })
                .collect();
            OffsetFetchResponse::default().with_topics(topics)
        }
    }
}

fn topic_name(name: String) -> TopicName {
    TopicName(str_bytes(name))
}

/// (offset, leader epoch, metadata) of a commit, or Kafka's "nothing committed".
fn fields(committed: Option<CommittedOffset>) -> (i64, i32, String) {
    match committed {
        Some(c) => (c.offset, c.leader_epoch, c.metadata),
        None => (NO_OFFSET, NO_EPOCH, String::new()),
    }
}

fn single_partition(
    partition: i32,
    committed: Option<CommittedOffset>,
    error: ErrorCode,
) -> OffsetFetchResponsePartition {
    let (offset, epoch, metadata) = fields(committed);
    OffsetFetchResponsePartition::default()
        .with_partition_index(partition)
        .with_committed_offset(offset)
        .with_committed_leader_epoch(epoch)
        .with_metadata(Some(str_bytes(metadata)))
        .with_error_code(error)
}

fn single_topic((topic, partitions): FetchedTopic) -> OffsetFetchResponseTopic {
    let partitions = partitions
        .into_iter()
        .map(|(p, committed)| single_partition(p, committed, NONE))
        .collect();
    OffsetFetchResponseTopic::default()
        .with_name(topic_name(topic))
        .with_partitions(partitions)
}

fn group_topic((topic, partitions): FetchedTopic) -> OffsetFetchResponseTopics {
    let partitions = partitions
        .into_iter()
        .map(|(p, committed)| {
            let (offset, epoch, metadata) = fields(committed);
            OffsetFetchResponsePartitions::default()
                .with_partition_index(p)
                .with_committed_offset(offset)
                .with_committed_leader_epoch(epoch)
                .with_metadata(Some(str_bytes(metadata)))
        })
        .collect();
    OffsetFetchResponseTopics::default()
        .with_name(topic_name(topic))
        .with_partitions(partitions)
}
