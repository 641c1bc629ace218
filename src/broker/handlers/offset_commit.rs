//! OffsetCommit (key 8, v2–9): partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION
//! here; the rest go to the group coordinator, which checks membership (simple commits only
//! while a group has no members) and stores them durably.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use super::group_support::{optional, string};
use super::RequestContext;
use crate::broker::coordinator::types::{CommitRequest, ErrorCode, OffsetToCommit};
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: OffsetCommitRequest,
) -> OffsetCommitResponse {
    // Each partition's answer: known now (unknown topic) or the coordinator's, by position.
    let mut slots: Vec<Vec<Result<usize, ErrorCode>>> = Vec::with_capacity(request.topics.len());
    let mut offsets = Vec::new();
    for topic in &request.topics {
        let found = broker.topic(topic.name.as_str());
        let topic_slots = topic
            .partitions
            .iter()
            .map(|p| {
                if found
                    .as_ref()
                    .and_then(|t| t.partition(p.partition_index))
                    .is_none()
                {
                    return Err(ResponseError::UnknownTopicOrPartition.code());
                }
                offsets.push(OffsetToCommit {
                    topic: string(&topic.name),
                    partition: p.partition_index,
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: optional(&p.committed_metadata),
                });
                Ok(offsets.len() - 1)
            })
            .collect();
        slots.push(topic_slots);
    }
    let errors = if offsets.is_empty() {
        Vec::new()
    } else {
        let commit = CommitRequest {
            group_id: string(&request.group_id),
            generation_id: request.generation_id_or_member_epoch,
            member_id: string(&request.member_id),
            group_instance_id: optional(&request.group_instance_id),
            retention_time_ms: request.retention_time_ms,
            api_version: ctx.api_version,
        };
        broker.groups.commit_offsets(&commit, offsets)
    };
    let topics = request
        .topics
        .into_iter()
        .zip(slots)
        .map(|(topic, topic_slots)| {
            let partitions = topic
                .partitions
                .iter()
                .zip(topic_slots)
                .map(|(p, slot)| {
                    let error = match slot {
                        Ok(i) => errors
                            .get(i)
                            .copied()
                            .unwrap_or(ResponseError::UnknownServerError.code()),
                        Err(error) => error,
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(error)
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
