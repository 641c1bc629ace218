//! OffsetDelete (key 47, v0): deletes committed offsets of an Empty group, or of topics an
//! active consumer group does not subscribe to. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION
//! here; group-level errors replace the whole answer.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::group_support::string;
use super::RequestContext;
use crate::broker::coordinator::types::ErrorCode;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    if request.group_id.is_empty() {
        return OffsetDeleteResponse::default()
            .with_error_code(ResponseError::InvalidGroupId.code());
    }
    let mut known = Vec::new();
    let mut unknown: Vec<(usize, i32)> = Vec::new();
    for (t, topic) in request.topics.iter().enumerate() {
        let found = broker.topic(topic.name.as_str());
        let mut partitions = Vec::new();
        for p in &topic.partitions {
            if found
                .as_ref()
                .and_then(|t| t.partition(p.partition_index))
                .is_some()
            {
                partitions.push(p.partition_index);
            } else {
                unknown.push((t, p.partition_index));
            }
        }
        known.push((string(&topic.name), partitions));
    }
    let results = match broker
        .groups
        .delete_offsets(request.group_id.as_str(), known)
    {
        Ok(results) => results,
        Err(error) => return OffsetDeleteResponse::default().with_error_code(error),
    };
    let topics = request
        .topics
        .into_iter()
        .zip(results)
        .enumerate()
        .map(|(t, (topic, (_, deleted)))| {
            let errors: Vec<(i32, ErrorCode)> = topic
                .partitions
                .iter()
                .map(|p| {
                    let unknown_here = unknown.contains(&(t, p.partition_index));
                    let error = if unknown_here {
                        ResponseError::UnknownTopicOrPartition.code()
                    } else {
                        deleted
                            .iter()
                            .find(|(index, _)| *index == p.partition_index)
                            .map_or(0, |(_, error)| *error)
                    };
                    (p.partition_index, error)
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(
                    errors
                        .into_iter()
                        .map(|(index, error)| {
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(index)
                                .with_error_code(error)
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}
