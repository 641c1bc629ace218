//! CreatePartitions (key 37, v0–3), as Apache's controller answers it: duplicate names refused
//! first, then per topic its existence (with a null message), the new count against the current
//! one, and the manual assignments (which may only name this node). New partitions get the
//! topic's single replica. `validate_only` runs every check and changes nothing.

use std::collections::{BTreeSet, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;

use super::create_topics::{validate_manual_assignment, MAX_PARTITIONS_PER_REQUEST};
use super::RequestContext;
use crate::broker::state::{self, Broker, TopicError};

/// Every partition of this broker has exactly one replica.
const REPLICAS_PER_PARTITION: usize = 1;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let mut occurrences: HashMap<&str, usize> = HashMap::new();
    for topic in &request.topics {
        *occurrences.entry(topic.name.as_str()).or_default() += 1;
    }
    let is_duplicate = |name: &str| occurrences.get(name).is_some_and(|n| *n > 1);

    // Kafka answers the duplicates first, then the rest.
    let mut results = Vec::new();
    let mut reported = BTreeSet::new();
    for topic in &request.topics {
        if is_duplicate(topic.name.as_str()) && reported.insert(topic.name.as_str()) {
            results.push(result(
                topic,
                Err(TopicError::new(
                    ResponseError::InvalidRequest.code(),
                    "Duplicate topic name.",
                )),
            ));
        }
    }
    let mut budget = MAX_PARTITIONS_PER_REQUEST;
    for topic in &request.topics {
        if !is_duplicate(topic.name.as_str()) {
            let outcome = grow(broker, topic, request.validate_only, &mut budget);
            results.push(result(topic, outcome));
        }
    }
    CreatePartitionsResponse::default().with_results(results)
}

fn result(
    topic: &CreatePartitionsTopic,
    outcome: Result<(), TopicError>,
) -> CreatePartitionsTopicResult {
    let (code, message) = match outcome {
        Ok(()) => (0, None),
        Err(e) => (e.code, e.message),
    };
    CreatePartitionsTopicResult::default()
        .with_name(topic.name.clone())
        .with_error_code(code)
        .with_error_message(message.map(StrBytes::from_string))
}

/// Kafka's `createPartitionsForTopic` checks, then the growth itself.
fn grow(
    broker: &Broker,
    request: &CreatePartitionsTopic,
    validate_only: bool,
    budget: &mut i64,
) -> Result<(), TopicError> {
    let name = request.name.as_str();
    let topic = broker.topic(name).ok_or(TopicError {
        code: ResponseError::UnknownTopicOrPartition.code(),
        message: None,
    })?;
    let current = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
    if request.count <= current {
        return Err(state::partition_count_error(name, current, request.count));
    }
    let additional = request.count - current;
    if let Some(assignments) = &request.assignments {
        if i64::try_from(assignments.len()) != Ok(i64::from(additional)) {
            return Err(TopicError::new(
                ResponseError::InvalidReplicaAssignment.code(),
                format!(
                    "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                    assignments.len()
                ),
            ));
        }
        for assignment in assignments {
            validate_manual_assignment(
                broker,
                &assignment.broker_ids,
                Some(REPLICAS_PER_PARTITION),
            )?;
        }
    }
    // Kafka's controller writes at most this many records per request.
    *budget -= i64::from(additional);
    if *budget < 0 {
        return Err(TopicError::new(
            ResponseError::PolicyViolation.code(),
            "Unable to perform excessively large batch operation.",
        ));
    }
    if validate_only {
        return Ok(());
    }
    broker.add_partitions(name, request.count)
}
