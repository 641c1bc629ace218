//! IncrementalAlterConfigs (key 44, v0–1), as Apache answers it: the broker's preprocessing
//! (duplicate resources, duplicate keys, null values, resource type) and then, for TOPIC
//! resources, the controller's SET / DELETE / APPEND / SUBTRACT semantics and validation of the
//! resulting configs. Also holds the steps legacy AlterConfigs shares. This broker has no
//! dynamic broker configs and fixed log levels, so BROKER changes and BROKER_LOGGER changes are
//! refused.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::describe_configs::resource_type;
use super::RequestContext;
use crate::broker::state::{Broker, TopicError};
use crate::broker::topic_config;
use crate::protocol::topic as topic_rules;

/// `AlterConfigOp.OpType` ids.
mod op {
    pub const SET: i8 = 0;
    pub const DELETE: i8 = 1;
    pub const APPEND: i8 = 2;
    pub const SUBTRACT: i8 = 3;
}

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let outcomes = resource_outcomes(
        &request.resources,
        |r| (r.resource_type, r.resource_name.as_str()),
        |r| alter(broker, r, request.validate_only),
    );
    let responses = request
        .resources
        .iter()
        .zip(outcomes)
        .map(|(resource, (code, message))| {
            AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// The per-resource loop both alter APIs share: every copy of a resource named twice is
/// refused, the others are altered; each outcome becomes an (error code, message) pair.
pub(super) fn resource_outcomes<'a, R>(
    resources: &'a [R],
    key: impl Fn(&'a R) -> (i8, &'a str),
    alter: impl Fn(&'a R) -> Result<(), TopicError>,
) -> Vec<(i16, Option<StrBytes>)> {
    let duplicates = duplicate_resources(resources.iter().map(&key));
    resources
        .iter()
        .zip(duplicates)
        .map(|(resource, duplicate)| {
            let outcome = if duplicate {
                Err(duplicate_resource_error())
            } else {
                alter(resource)
            };
            match outcome {
                Ok(()) => (0, None),
                Err(e) => (e.code, e.message.map(StrBytes::from_string)),
            }
        })
        .collect()
}

fn invalid_request(message: impl Into<String>) -> TopicError {
    TopicError::new(ResponseError::InvalidRequest.code(), message)
}

/// Which resources appear more than once (by type and name); Kafka refuses every copy.
fn duplicate_resources<'a>(keys: impl Iterator<Item = (i8, &'a str)>) -> Vec<bool> {
    let keys: Vec<(i8, &str)> = keys.collect();
    let mut counts: HashMap<(i8, &str), usize> = HashMap::new();
    for key in &keys {
        *counts.entry(*key).or_default() += 1;
    }
    keys.iter()
        .map(|key| counts.get(key).is_some_and(|n| *n > 1))
        .collect()
}

fn duplicate_resource_error() -> TopicError {
    invalid_request("Each resource must appear at most once.")
}

/// Kafka's first per-resource checks: a key named twice, then null values (`nulls`).
pub(super) fn check_keys_and_nulls<'a>(
    names: impl Iterator<Item = &'a str>,
    nulls: Vec<&str>,
) -> Result<(), TopicError> {
    let names: Vec<&str> = names.collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != names.len() {
        return Err(invalid_request("Error due to duplicate config keys"));
    }
    if !nulls.is_empty() {
        return Err(invalid_request(format!(
            "Null value not supported for : {}",
            nulls.join(", ")
        )));
    }
    Ok(())
}

/// Kafka's `validateResourceNameIsCurrentNodeId`.
pub(super) fn check_node_id(broker: &Broker, name: &str) -> Result<(), TopicError> {
    let id: i32 = name
        .parse()
        .map_err(|_| invalid_request(format!("Node id must be an integer, but it is: {name}")))?;
    let node_id = broker.config.node_id;
    if id != node_id {
        return Err(invalid_request(format!(
            "Unexpected broker id, expected {node_id}, but received {name}"
        )));
    }
    Ok(())
}

/// A BROKER resource change: the name must be "" or this node; setting any key fails because
/// this broker updates no config dynamically.
pub(super) fn alter_broker(
    broker: &Broker,
    name: &str,
    set_keys: &[&str],
) -> Result<(), TopicError> {
    if !name.is_empty() {
        check_node_id(broker, name)?;
    }
    if set_keys.is_empty() {
        return Ok(());
    }
    // Kafka prints the keys as a Java set.
    Err(invalid_request(format!(
        "Cannot update these configs dynamically: [{}]",
        set_keys.join(", ")
    )))
}

/// The controller's checks and change for one TOPIC resource: `change` computes the new
/// overrides from the current ones; then changed values' sizes, the resource name, the
/// resulting configs and the topic's existence are checked, in Kafka's order.
pub(super) fn alter_topic<F>(
    broker: &Broker,
    name: &str,
    validate_only: bool,
    change: F,
) -> Result<(), TopicError>
where
    F: FnOnce(&BTreeMap<String, String>) -> Result<BTreeMap<String, String>, TopicError>,
{
    let invalid_config =
        |e: topic_config::InvalidConfig| TopicError::new(ResponseError::InvalidConfig.code(), e.0);
    let outcome = broker.alter_topic_configs(name, validate_only, |current| {
        let new = change(current)?;
        for (key, value) in &new {
            if current.get(key) != Some(value) {
                topic_config::check_value_size(value).map_err(invalid_config)?;
            }
        }
        if name.is_empty() {
            return Err(invalid_request("Default topic resources are not allowed."));
        }
        topic_rules::validate(name)
            .map_err(|m| TopicError::new(ResponseError::InvalidTopicException.code(), m))?;
        topic_config::validate(&broker.config, &new).map_err(invalid_config)?;
        Ok(new)
    });
    outcome.map_err(|e| {
        if e.code == ResponseError::UnknownTopicOrPartition.code() && e.message.is_none() {
            TopicError::new(e.code, format!("The topic '{name}' does not exist."))
        } else {
            e
        }
    })
}

fn alter(
    broker: &Broker,
    resource: &AlterConfigsResource,
    validate_only: bool,
) -> Result<(), TopicError> {
    let configs = &resource.configs;
    let nulls = configs
        .iter()
        .filter(|c| c.config_operation != op::DELETE && c.value.is_none())
        .map(|c| c.name.as_str())
        .collect();
    check_keys_and_nulls(configs.iter().map(|c| c.name.as_str()), nulls)?;
    let name = resource.resource_name.as_str();
    let unknown_op = configs
        .iter()
        .find(|c| !(op::SET..=op::SUBTRACT).contains(&c.config_operation));
    match resource.resource_type {
        // Kafka's controller fails on an operation it does not know, without a message.
        resource_type::TOPIC if unknown_op.is_some() => Err(TopicError {
            code: ResponseError::UnknownServerError.code(),
            message: None,
        }),
        resource_type::TOPIC => alter_topic(broker, name, validate_only, |current| {
            apply_ops(current, configs)
        }),
        resource_type::BROKER => {
            if let Some(unknown) = unknown_op {
                return Err(invalid_request(format!(
                    "Unknown operations type {}",
                    unknown.config_operation
                )));
            }
            let set_keys: Vec<&str> = configs
                .iter()
                .filter(|c| c.config_operation != op::DELETE)
                .map(|c| c.name.as_str())
                .collect();
            alter_broker(broker, name, &set_keys)
        }
        resource_type::BROKER_LOGGER => {
            check_node_id(broker, name)?;
            Err(invalid_request(
                "This broker does not support changing log levels.",
            ))
        }
        other => Err(invalid_request(format!("Unknown resource type {other}"))),
    }
}

/// Java's `String.split(",")`: trailing empty parts dropped, but "" splits to [""].
fn java_split_comma(value: &str) -> Vec<&str> {
    if value.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = value.split(',').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// Applies SET / DELETE / APPEND / SUBTRACT to the current overrides, as Kafka's controller
/// does: list operations start from the stored value, else the topic default.
fn apply_ops(
    current: &BTreeMap<String, String>,
    ops: &[AlterableConfig],
) -> Result<BTreeMap<String, String>, TopicError> {
    let mut new = current.clone();
    for config in ops {
        let key = config.name.as_str();
        let value = config.value.as_deref().unwrap_or("");
        match config.config_operation {
            op::SET => {
                new.insert(key.to_string(), value.to_string());
            }
            op::DELETE => {
                new.remove(key);
            }
            operation => {
                let verb = if operation == op::APPEND {
                    "APPEND"
                } else {
                    "SUBTRACT"
                };
                if !topic_config::is_list(key) {
                    return Err(TopicError::new(
                        ResponseError::InvalidConfig.code(),
                        format!("Can't {verb} to key {key} because its type is not LIST."),
                    ));
                }
                let base = current
                    .get(key)
                    .map(String::as_str)
                    .or_else(|| topic_config::find(key).map(|def| def.default))
                    .unwrap_or("");
                let mut parts: Vec<&str> = java_split_comma(base)
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                for item in java_split_comma(value) {
                    if operation == op::APPEND {
                        if !parts.contains(&item) {
                            parts.push(item);
                        }
                    } else if let Some(at) = parts.iter().position(|p| *p == item) {
                        parts.remove(at);
                    }
                }
                new.insert(key.to_string(), parts.join(","));
            }
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, operation: i8, value: Option<&str>) -> AlterableConfig {
        AlterableConfig::default()
            .with_name(StrBytes::from_string(name.to_string()))
            .with_config_operation(operation)
            .with_value(value.map(|v| StrBytes::from_string(v.to_string())))
    }

    #[test]
    fn list_operations_start_from_the_default() {
        let current = BTreeMap::new();
        let new = apply_ops(
            &current,
            &[op("cleanup.policy", op::APPEND, Some("compact"))],
        )
        .expect("applies");
        assert_eq!(new["cleanup.policy"], "delete,compact");
        let new = apply_ops(&new, &[op("cleanup.policy", op::SUBTRACT, Some("delete"))])
            .expect("applies");
        assert_eq!(new["cleanup.policy"], "compact");
        let new =
            apply_ops(&new, &[op("cleanup.policy", op::APPEND, Some("compact"))]).expect("applies");
        assert_eq!(new["cleanup.policy"], "compact");
    }

    #[test]
    fn set_and_delete() {
        let mut current = BTreeMap::new();
        current.insert("retention.ms".to_string(), "1".to_string());
        let new = apply_ops(
            &current,
            &[
                op("retention.ms", op::DELETE, None),
                op("segment.ms", op::SET, Some("5")),
                op("flush.ms", op::DELETE, None),
            ],
        )
        .expect("applies");
        assert_eq!(new.len(), 1);
        assert_eq!(new["segment.ms"], "5");
    }

    #[test]
    fn list_operations_need_a_list() {
        let e = apply_ops(
            &BTreeMap::new(),
            &[op("retention.ms", op::APPEND, Some("1"))],
        )
        .expect_err("not a list");
        assert_eq!(
            e.message.as_deref(),
            Some("Can't APPEND to key retention.ms because its type is not LIST.")
        );
        let e = apply_ops(&BTreeMap::new(), &[op("nope", op::SUBTRACT, Some("1"))])
            .expect_err("unknown");
        assert_eq!(
            e.message.as_deref(),
            Some("Can't SUBTRACT to key nope because its type is not LIST.")
        );
    }

    #[test]
    fn splits_like_java() {
        assert_eq!(java_split_comma(""), vec![""]);
        assert_eq!(java_split_comma("a,"), vec!["a"]);
        assert!(java_split_comma(",").is_empty());
        assert_eq!(java_split_comma(",a"), vec!["", "a"]);
    }

    #[test]
    fn preprocessing_messages() {
        assert_eq!(
            check_keys_and_nulls(["a", "b", "a"].into_iter(), vec![])
                .expect_err("dup")
                .message
                .as_deref(),
            Some("Error due to duplicate config keys")
        );
        assert_eq!(
            check_keys_and_nulls(["a", "b"].into_iter(), vec!["a", "b"])
                .expect_err("nulls")
                .message
                .as_deref(),
            Some("Null value not supported for : a, b")
        );
        assert_eq!(
            duplicate_resources([(2, "t"), (4, "t"), (2, "t")].into_iter()),
            vec![true, false, true]
        );
    }
}
