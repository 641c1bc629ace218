//! DescribeTopicPartitions (key 75, KIP-966): topics sorted by name with their partitions,
//! paged by `response_partition_limit` and a cursor. Without ELR the ELR lists are empty (not
//! null), which is what makes `kafka-topics --describe` print `Elr: ` as against Apache's broker.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::broker::state::Broker;
use crate::protocol::topic as topic_rules;

/// `max.request.partition.size.limit`: the broker's cap on partitions per response.
const MAX_PARTITIONS_PER_RESPONSE: i32 = 2000;
/// Every topic operation (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS,
/// ALTER_CONFIGS) as a bit set: there is no authorizer, so everything is allowed.
const ALL_TOPIC_OPERATIONS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

/// Err(reason) closes the connection, as Kafka's exceptions for a bad cursor do.
pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: DescribeTopicPartitionsRequest,
) -> Result<DescribeTopicPartitionsResponse, String> {
    let all_topics = request.topics.is_empty();
    let mut names: Vec<String> = if all_topics {
        broker.topics().iter().map(|t| t.name.clone()).collect()
    } else {
        request.topics.iter().map(|t| t.name.to_string()).collect()
    };
    names.sort();
    names.dedup();
    let (cursor_topic, cursor_partition) = match &request.cursor {
        Some(c) => (Some(c.topic_name.to_string()), c.partition_index),
        None => (None, 0),
    };
    if cursor_partition < 0 {
        return Err("negative cursor partition index".to_string());
    }
    if let Some(cursor) = &cursor_topic {
        if !all_topics && !names.contains(cursor) {
            return Err(format!("cursor topic {cursor} is not in the request"));
        }
        names.retain(|n| n >= cursor);
    }
    let mut budget = request
        .response_partition_limit
        .clamp(1, MAX_PARTITIONS_PER_RESPONSE);
    let node = BrokerId(broker.config.node_id);
    let mut topics = Vec::new();
    let mut next_cursor = None;
    for (i, name) in names.iter().enumerate() {
        if budget == 0 {
            next_cursor = Some(cursor_at(name, 0));
            break;
        }
        let Some(topic) = broker.topic(name) else {
            if !all_topics {
                let error = if topic_rules::validate(name).is_err() {
                    ResponseError::InvalidTopicException
                } else {
                    ResponseError::UnknownTopicOrPartition
                };
                topics.push(
                    DescribeTopicPartitionsResponseTopic::default()
                        .with_error_code(error.code())
                        .with_name(Some(topic_name(name)))
                        .with_topic_id(Uuid::nil())
                        .with_is_internal(topic_rules::is_internal(name))
                        .with_topic_authorized_operations(ALL_TOPIC_OPERATIONS),
                );
            }
            continue;
        };
        let start = if cursor_topic.as_deref() == Some(name.as_str()) {
            cursor_partition
        } else {
            0
        };
        let mut partitions = Vec::new();
        for p in topic.partitions.iter().filter(|p| p.index >= start) {
            if budget == 0 {
                next_cursor = Some(cursor_at(name, p.index));
                break;
            }
            budget -= 1;
            partitions.push(
                DescribeTopicPartitionsResponsePartition::default()
                    .with_partition_index(p.index)
                    .with_leader_id(node)
                    .with_leader_epoch(LEADER_EPOCH)
                    .with_replica_nodes(vec![node])
                    .with_isr_nodes(vec![node])
                    .with_eligible_leader_replicas(Some(Vec::new()))
                    .with_last_known_elr(Some(Vec::new())),
            );
        }
        topics.push(
            DescribeTopicPartitionsResponseTopic::default()
                .with_name(Some(topic_name(name)))
                .with_topic_id(topic.id)
                .with_is_internal(topic.is_internal())
                .with_partitions(partitions)
                .with_topic_authorized_operations(ALL_TOPIC_OPERATIONS),
        );
        if next_cursor.is_some() {
            break;
        }
        if budget == 0 {
            // Ran out exactly at a topic boundary: point at the next topic, which may not exist.
            if let Some(following) = names.get(i + 1) {
                next_cursor = Some(cursor_at(following, 0));
            }
            break;
        }
    }
    Ok(DescribeTopicPartitionsResponse::default()
        .with_topics(topics)
        .with_next_cursor(next_cursor))
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn cursor_at(topic: &str, partition: i32) -> Cursor {
    Cursor::default()
        .with_topic_name(topic_name(topic))
        .with_partition_index(partition)
}
