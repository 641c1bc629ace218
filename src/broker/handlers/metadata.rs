//! Metadata (key 3): this node as the only broker and the controller, topics with their ids and
//! partitions (this node leads every partition, leader epoch 0), and topic auto-creation.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::RequestContext;
use crate::broker::config::Listener;
use crate::broker::state::{Broker, Topic};
use crate::protocol::topic as topic_rules;

/// `topic_authorized_operations` when the client did not ask for them.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;
/// The leader epoch of every partition: one node, never a leader change.
pub const LEADER_EPOCH: i32 = 0;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: MetadataRequest,
) -> MetadataResponse {
    let version = ctx.api_version;
    let all_topics = match &request.topics {
        None => true,
        Some(topics) => version == 0 && topics.is_empty(),
    };
    let auto_create = broker.config.auto_create_topics_enable
        && (version < 4 || request.allow_auto_topic_creation);
    let topics = if all_topics {
        broker
            .topics()
            .iter()
            .map(|t| topic_entry(broker, t))
            .collect()
    } else {
        request
            .topics
            .unwrap_or_default()
            .into_iter()
            // A topic id wins over the name, as in Apache's broker: Java's admin client sends
            // an empty name beside the id.
            .map(|requested| match requested.name {
                Some(name) if requested.topic_id.is_nil() => {
                    named_topic(broker, &name, auto_create)
                }
                _ => match broker.topic_by_id(requested.topic_id) {
                    Some(topic) => topic_entry(broker, &topic),
                    None => MetadataResponseTopic::default()
                        .with_error_code(ResponseError::UnknownTopicId.code())
                        .with_topic_id(requested.topic_id)
                        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED),
                },
            })
            .collect()
    };
    let node_id = BrokerId(broker.config.node_id);
    let brokers = advertised_listener(broker, ctx)
        .map(|l| {
            MetadataResponseBroker::default()
                .with_node_id(node_id)
                .with_host(StrBytes::from_string(advertised_host(&l.host, ctx)))
                .with_port(i32::from(l.port))
        })
        .into_iter()
        .collect();
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_string(broker.cluster_id.clone())))
        .with_controller_id(node_id)
        .with_topics(topics)
}

/// The advertised listener of the listener this connection came in on (matched by local port),
/// else the first advertised listener.
pub(super) fn advertised_listener<'a>(
    broker: &'a Broker,
    ctx: &RequestContext,
) -> Option<&'a Listener> {
    let config = &broker.config;
    config
        .listeners
        .iter()
        .find(|l| l.port == ctx.local.port())
        .and_then(|bound| {
            config
                .advertised_listeners
                .iter()
                .find(|a| a.name == bound.name)
        })
        .or_else(|| config.advertised_listeners.first())
}

/// An advertised host that is empty or a wildcard (`0.0.0.0`, `::`) is not reachable; answer with
/// the address the client connected to instead.
pub(super) fn advertised_host(host: &str, ctx: &RequestContext) -> String {
    if host.is_empty() || host == "0.0.0.0" || host == "::" {
        ctx.local.ip().to_string()
    } else {
        host.to_string()
    }
}

fn named_topic(broker: &Broker, name: &TopicName, auto_create: bool) -> MetadataResponseTopic {
    let name_str = name.as_str();
    if let Some(topic) = broker.topic(name_str) {
        return topic_entry(broker, &topic);
    }
    let error = if let Err(_reason) = topic_rules::validate(name_str) {
        ResponseError::InvalidTopicException
    } else if auto_create {
        let (partitions, replication) = if name_str == topic_rules::GROUP_METADATA_TOPIC {
            (broker.config.offsets_topic_num_partitions, 1)
        } else {
            (broker.config.num_partitions, 1)
        };
        match broker.create_topic(name_str, partitions, replication, Default::default()) {
            Ok(topic) => return topic_entry(broker, &topic),
            // Created concurrently by another request: serve what exists now.
            Err(_) => match broker.topic(name_str) {
                Some(topic) => return topic_entry(broker, &topic),
                None => ResponseError::UnknownTopicOrPartition,
            },
        }
    } else {
        ResponseError::UnknownTopicOrPartition
    };
    MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(Some(name.clone()))
        .with_topic_id(Uuid::nil())
        .with_is_internal(topic_rules::is_internal(name_str))
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}

fn topic_entry(broker: &Broker, topic: &Topic) -> MetadataResponseTopic {
    let node = BrokerId(broker.config.node_id);
    let partitions = topic
        .partitions
        .iter()
        .map(|p| {
            MetadataResponsePartition::default()
                .with_partition_index(p.index)
                .with_leader_id(node)
                .with_leader_epoch(LEADER_EPOCH)
                .with_replica_nodes(vec![node])
                .with_isr_nodes(vec![node])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(topic.name.clone()))))
        .with_topic_id(topic.id)
        .with_is_internal(topic.is_internal())
        .with_partitions(partitions)
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}
