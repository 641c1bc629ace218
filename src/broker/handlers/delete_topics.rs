//! DeleteTopics (key 20, v1–6), as Apache's controller answers it: topics by name (v1–5 and v6)
//! or by id (v6), duplicates and ambiguous entries refused, unknown names and ids reported with
//! Kafka's default messages, and `delete.topic.enable=false` refusing everything.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::RequestContext;
use crate::broker::state::Broker;

/// From this version on, a disabled deletion answers TOPIC_DELETION_DISABLED.
const DELETION_DISABLED_ERROR_VERSION: i16 = 3;
/// The error code of success.
const NO_ERROR: i16 = 0;
/// Kafka's default message for UNKNOWN_TOPIC_OR_PARTITION.
const UNKNOWN_TOPIC_MESSAGE: &str = "This server does not host this topic-partition.";
/// Kafka's default message for UNKNOWN_TOPIC_ID.
const UNKNOWN_TOPIC_ID_MESSAGE: &str = "This server does not host this topic ID.";

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let responses = if broker.config.delete_topic_enable {
        delete(broker, &request)
    } else {
        deletion_disabled(ctx.api_version, &request)
    };
    DeleteTopicsResponse::default().with_responses(responses)
}

fn result(name: Option<&str>, id: Uuid, code: i16, message: Option<&str>) -> DeletableTopicResult {
    DeletableTopicResult::default()
        .with_name(name.map(|n| TopicName(StrBytes::from_string(n.to_string()))))
        .with_topic_id(id)
        .with_error_code(code)
        .with_error_message(message.map(|m| StrBytes::from_string(m.to_string())))
}

/// Kafka fails the whole request: every topic gets the error, without a message.
fn deletion_disabled(version: i16, request: &DeleteTopicsRequest) -> Vec<DeletableTopicResult> {
    let code = if version < DELETION_DISABLED_ERROR_VERSION {
        ResponseError::InvalidRequest.code()
    } else {
        ResponseError::TopicDeletionDisabled.code()
    };
    let names: Vec<Option<&str>> = request
        .topic_names
        .iter()
        .map(|n| Some(n.as_str()))
        .chain(
            request
                .topics
                .iter()
                .map(|t| t.name.as_ref().map(|n| n.as_str())),
        )
        .collect();
    names
        .into_iter()
        .map(|name| result(name, Uuid::nil(), code, None))
        .collect()
}

/// Names or ids given once, and those given more than once, in request order.
#[derive(Default)]
struct Provided<T: Ord + Clone> {
    once: Vec<T>,
    repeated: Vec<T>,
}

impl<T: Ord + Clone> Provided<T> {
    fn add(&mut self, item: T) {
        if self.repeated.contains(&item) {
            return;
        }
        if let Some(at) = self.once.iter().position(|i| *i == item) {
            self.once.remove(at);
            self.repeated.push(item);
        } else {
            self.once.push(item);
        }
    }
}

fn delete(broker: &Broker, request: &DeleteTopicsRequest) -> Vec<DeletableTopicResult> {
    let invalid = ResponseError::InvalidRequest.code();
    let mut responses = Vec::new();
    let mut names: Provided<String> = Provided::default();
    let mut ids: Provided<Uuid> = Provided::default();
    for name in &request.topic_names {
        names.add(name.to_string());
    }
    for topic in &request.topics {
        match (&topic.name, topic.topic_id.is_nil()) {
            (None, true) => responses.push(result(
                None,
                Uuid::nil(),
                invalid,
                Some("Neither topic name nor id were specified."),
            )),
            (None, false) => ids.add(topic.topic_id),
            (Some(name), true) => names.add(name.to_string()),
            (Some(name), false) => responses.push(result(
                Some(name.as_str()),
                topic.topic_id,
                invalid,
                Some("You may not specify both topic name and topic id."),
            )),
        }
    }
    for name in &names.repeated {
        responses.push(result(
            Some(name),
            Uuid::nil(),
            invalid,
            Some("Duplicate topic name."),
        ));
    }
    for id in &ids.repeated {
        responses.push(result(None, *id, invalid, Some("Duplicate topic id.")));
    }

    // Resolve everything to (id -> name) before deleting anything.
    let mut to_delete: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut order: Vec<Uuid> = Vec::new();
    for id in &ids.once {
        match broker.topic_by_id(*id) {
            Some(topic) => {
                to_delete.insert(*id, topic.name.clone());
                order.push(*id);
            }
            None => responses.push(result(
                None,
                *id,
                ResponseError::UnknownTopicId.code(),
                Some(UNKNOWN_TOPIC_ID_MESSAGE),
            )),
        }
    }
    for name in &names.once {
        let Some(topic) = broker.topic(name) else {
            responses.push(result(
                Some(name),
                Uuid::nil(),
                ResponseError::UnknownTopicOrPartition.code(),
                Some(UNKNOWN_TOPIC_MESSAGE),
            ));
            continue;
        };
        if to_delete.remove(&topic.id).is_some() {
            // The same topic by id and by name: Kafka answers once, for the name.
            order.retain(|id| *id != topic.id);
            responses.push(result(
                Some(name),
                topic.id,
                invalid,
                Some("The provided topic name maps to an ID that was already supplied."),
            ));
        } else {
            to_delete.insert(topic.id, name.clone());
            order.push(topic.id);
        }
    }
    for id in order {
        let Some(name) = to_delete.get(&id) else {
            continue;
        };
        let response = match broker.delete_topic(name) {
            Ok(()) => result(Some(name), id, NO_ERROR, None),
            Err(e) => {
                let message = e.message.as_deref().or_else(|| {
                    (e.code == ResponseError::UnknownTopicOrPartition.code())
                        .then_some(UNKNOWN_TOPIC_MESSAGE)
                });
                result(Some(name), id, e.code, message)
            }
        };
        responses.push(response);
    }
    responses
}
