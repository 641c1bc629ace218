//! CreateTopics (key 19, v2–7), as Apache's controller answers it: duplicate names and
//! `__cluster_metadata` refused up front, a cap on partitions per request, then per topic the
//! name, the configs, the assignments or counts (with -1 meaning the broker default), and on
//! success a topic id (v7) and the effective configs (v5+). `validate_only` runs every check and
//! answers the same, with an id that is never used. This node is the only broker.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{BrokerId, CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::RequestContext;
use crate::broker::state::{Broker, TopicError};
use crate::broker::topic_config;

/// The most partitions one request may create (Kafka's `MAX_PARTITIONS_PER_BATCH`).
pub(super) const MAX_PARTITIONS_PER_REQUEST: i64 = 10_000;
/// KRaft's metadata log: never creatable as a topic.
const CLUSTER_METADATA_TOPIC: &str = "__cluster_metadata";
/// Partition count or replication factor meaning "the broker's default" (v4+).
const USE_DEFAULT: i32 = -1;
/// How many brokers are registered: this one.
const REGISTERED_BROKERS: i32 = 1;
/// The first version whose result carries partition count, replication factor and configs.
const CONFIGS_IN_RESULT_VERSION: i16 = 5;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let mut occurrences: HashMap<&str, usize> = HashMap::new();
    for topic in &request.topics {
        *occurrences.entry(topic.name.as_str()).or_default() += 1;
    }
    let is_duplicate = |name: &str| occurrences.get(name).is_some_and(|n| *n > 1);
    let effective: Vec<&CreatableTopic> = request
        .topics
        .iter()
        .filter(|t| !is_duplicate(t.name.as_str()) && t.name.as_str() != CLUSTER_METADATA_TOPIC)
        .collect();

    let total: i64 = effective
        .iter()
        .map(|t| requested_partitions(broker, t))
        .sum();
    if total > MAX_PARTITIONS_PER_REQUEST {
        // Kafka fails the whole request, so every topic named in it gets the error.
        let topics = request
            .topics
            .iter()
            .map(|t| {
                error_result(
                    &t.name,
                    &TopicError::new(
                        ResponseError::PolicyViolation.code(),
                        "Excessively large number of partitions per request.",
                    ),
                )
            })
            .collect();
        return CreateTopicsResponse::default().with_topics(topics);
    }

    let mut results: Vec<CreatableTopicResult> = effective
        .iter()
        .map(|topic| create_one(broker, ctx.api_version, topic, request.validate_only))
        .collect();
    let mut reported = BTreeSet::new();
    for topic in &request.topics {
        let name = topic.name.as_str();
        if is_duplicate(name) && reported.insert(name) {
            results.push(error_result(
                &topic.name,
                &TopicError::new(
                    ResponseError::InvalidRequest.code(),
                    "Duplicate topic name.",
                ),
            ));
        }
    }
    for topic in &request.topics {
        if topic.name.as_str() == CLUSTER_METADATA_TOPIC && !is_duplicate(CLUSTER_METADATA_TOPIC) {
            results.push(error_result(
                &topic.name,
                &TopicError::new(
                    ResponseError::InvalidRequest.code(),
                    format!("Creation of internal topic {CLUSTER_METADATA_TOPIC} is prohibited."),
                ),
            ));
        }
    }
    CreateTopicsResponse::default().with_topics(results)
}

/// The partitions a topic would add to the request's total (Kafka counts invalid counts as 0).
fn requested_partitions(broker: &Broker, topic: &CreatableTopic) -> i64 {
    if !topic.assignments.is_empty() {
        return topic.assignments.len() as i64;
    }
    match topic.num_partitions {
        USE_DEFAULT => i64::from(broker.config.num_partitions),
        n if n > 0 => i64::from(n),
        _ => 0,
    }
}

/// A topic that passed every check.
struct Plan {
    partitions: i32,
    replication_factor: i16,
    configs: BTreeMap<String, String>,
}

fn create_one(
    broker: &Broker,
    version: i16,
    topic: &CreatableTopic,
    validate_only: bool,
) -> CreatableTopicResult {
    let name = topic.name.as_str();
    let plan = match plan(broker, topic) {
        Ok(plan) => plan,
        Err(e) => return error_result(&topic.name, &e),
    };
    let id = if validate_only {
        Uuid::new_v4()
    } else {
        match broker.create_topic(
            name,
            plan.partitions,
            plan.replication_factor,
            plan.configs.clone(),
        ) {
            Ok(created) => created.id,
            Err(e) => return error_result(&topic.name, &e),
        }
    };
    let mut result = CreatableTopicResult::default()
        .with_name(topic.name.clone())
        .with_topic_id(id)
        .with_error_message(None);
    if version >= CONFIGS_IN_RESULT_VERSION {
        let configs = topic_config::creation_configs(&broker.config, &plan.configs)
            .into_iter()
            .map(|c| {
                CreatableTopicConfigs::default()
                    .with_name(StrBytes::from_static_str(c.name))
                    .with_value(c.value.map(StrBytes::from_string))
                    .with_read_only(false)
                    .with_config_source(c.source.id())
                    .with_is_sensitive(false)
            })
            .collect();
        result = result
            .with_num_partitions(plan.partitions)
            .with_replication_factor(plan.replication_factor)
            .with_configs(Some(configs));
    }
    result
}

/// Runs Kafka's checks for one topic, in Kafka's order.
fn plan(broker: &Broker, topic: &CreatableTopic) -> Result<Plan, TopicError> {
    broker.check_new_topic_name(topic.name.as_str())?;
    let configs = creation_configs(broker, topic)?;
    let (partitions, replication_factor) = if topic.assignments.is_empty() {
        counts(broker, topic)?
    } else {
        manual_counts(broker, topic)?
    };
    Ok(Plan {
        partitions,
        replication_factor,
        configs,
    })
}

/// The requested configs as a map (a repeated name keeps its last value), validated.
fn creation_configs(
    broker: &Broker,
    topic: &CreatableTopic,
) -> Result<BTreeMap<String, String>, TopicError> {
    let invalid = |message: String| TopicError::new(ResponseError::InvalidConfig.code(), message);
    let nulls: Vec<&str> = topic
        .configs
        .iter()
        .filter(|c| c.value.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !nulls.is_empty() {
        return Err(invalid(format!(
            "Null value not supported for topic configs: {}",
            nulls.join(",")
        )));
    }
    let configs: BTreeMap<String, String> = topic
        .configs
        .iter()
        .filter_map(|c| Some((c.name.to_string(), c.value.as_ref()?.to_string())))
        .collect();
    for value in configs.values() {
        topic_config::check_value_size(value).map_err(|e| invalid(e.0))?;
    }
    if !configs.is_empty() {
        topic_config::validate(&broker.config, &configs).map_err(|e| invalid(e.0))?;
    }
    Ok(configs)
}

/// Partition count and replication factor from the request or the broker defaults.
fn counts(broker: &Broker, topic: &CreatableTopic) -> Result<(i32, i16), TopicError> {
    let rf = i32::from(topic.replication_factor);
    if rf < USE_DEFAULT || rf == 0 {
        return Err(TopicError::new(
            ResponseError::InvalidReplicationFactor.code(),
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ));
    }
    if topic.num_partitions < USE_DEFAULT || topic.num_partitions == 0 {
        return Err(TopicError::new(
            ResponseError::InvalidPartitions.code(),
            "Number of partitions was set to an invalid non-positive value.",
        ));
    }
    let partitions = if topic.num_partitions == USE_DEFAULT {
        broker.config.num_partitions
    } else {
        topic.num_partitions
    };
    let replication_factor = if rf == USE_DEFAULT {
        broker.config.default_replication_factor
    } else {
        topic.replication_factor
    };
    if i32::from(replication_factor) > REGISTERED_BROKERS {
        return Err(TopicError::new(
            ResponseError::InvalidReplicationFactor.code(),
            format!(
                "Unable to replicate the partition {replication_factor} time(s): The target replication factor of {replication_factor} cannot be reached because only {REGISTERED_BROKERS} broker(s) are registered or some brokers have all their log directories cordoned."
            ),
        ));
    }
    Ok((partitions, replication_factor))
}

/// Partition count and replication factor from manual assignments.
fn manual_counts(broker: &Broker, topic: &CreatableTopic) -> Result<(i32, i16), TopicError> {
    let invalid_request =
        |message: &str| TopicError::new(ResponseError::InvalidRequest.code(), message);
    if i32::from(topic.replication_factor) != USE_DEFAULT {
        return Err(invalid_request(
            "A manual partition assignment was specified, but replication factor was not set to -1.",
        ));
    }
    if topic.num_partitions != USE_DEFAULT {
        return Err(invalid_request(
            "A manual partition assignment was specified, but numPartitions was not set to -1.",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut replication_factor = None;
    for assignment in &topic.assignments {
        if seen.contains(&assignment.partition_index) {
            return Err(TopicError::new(
                ResponseError::InvalidReplicaAssignment.code(),
                format!(
                    "Found multiple manual partition assignments for partition {}",
                    assignment.partition_index
                ),
            ));
        }
        validate_manual_assignment(broker, &assignment.broker_ids, replication_factor)?;
        replication_factor = Some(assignment.broker_ids.len());
        seen.insert(assignment.partition_index);
    }
    let consecutive = seen
        .iter()
        .enumerate()
        .all(|(i, index)| i64::from(*index) == i as i64);
    if !consecutive {
        return Err(TopicError::new(
            ResponseError::InvalidReplicaAssignment.code(),
            "partitions should be a consecutive 0-based integer sequence",
        ));
    }
    let partitions = i32::try_from(seen.len()).unwrap_or(i32::MAX);
    let replication_factor = replication_factor
        .and_then(|n| i16::try_from(n).ok())
        .unwrap_or(1);
    Ok((partitions, replication_factor))
}

/// Kafka's `validateManualPartitionAssignment` for one partition's replicas: not empty, only
/// registered brokers (this node), none twice, as many as the partitions before it.
pub(super) fn validate_manual_assignment(
    broker: &Broker,
    replicas: &[BrokerId],
    replication_factor: Option<usize>,
) -> Result<(), TopicError> {
    let invalid =
        |message: String| TopicError::new(ResponseError::InvalidReplicaAssignment.code(), message);
    if replicas.is_empty() {
        return Err(invalid(
            "The manual partition assignment includes an empty replica list.".to_string(),
        ));
    }
    let mut sorted: Vec<i32> = replicas.iter().map(|id| id.0).collect();
    sorted.sort_unstable();
    let mut previous = None;
    for id in &sorted {
        if *id != broker.config.node_id {
            return Err(invalid(format!(
                "The manual partition assignment includes broker {id}, but no such broker is registered."
            )));
        }
        if previous == Some(*id) {
            return Err(invalid(format!(
                "The manual partition assignment includes the broker {id} more than once."
            )));
        }
        previous = Some(*id);
    }
    if let Some(expected) = replication_factor {
        if sorted.len() != expected {
            return Err(invalid(format!(
                "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {expected} replica(s).",
                sorted.len()
            )));
        }
    }
    Ok(())
}

fn error_result(
    name: &kafka_protocol::messages::TopicName,
    error: &TopicError,
) -> CreatableTopicResult {
    CreatableTopicResult::default()
        .with_name(name.clone())
        .with_error_code(error.code)
        .with_error_message(error.message.clone().map(StrBytes::from_string))
}
