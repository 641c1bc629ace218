//! DescribeConfigs (key 32, v1–4), as Apache's broker answers it (`ConfigHelper`): TOPIC
//! resources list every topic config with value, source, synonyms (when asked), type (v3+) and
//! documentation (when asked); the BROKER resource lists this broker's configs ("" lists the
//! dynamic cluster-wide defaults); BROKER_LOGGER lists the root logger. Entries come in
//! Apache's order. GROUP and CLIENT_METRICS resources are refused one by one; an unknown
//! resource type fails the whole request, as in Kafka.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::broker::state::{Broker, TopicError};
use crate::broker::topic_config::{self, ConfigSource, DescribedConfig};
use crate::protocol::topic as topic_rules;

/// `ConfigResource.Type` ids.
pub(super) mod resource_type {
    pub const TOPIC: i8 = 2;
    pub const BROKER: i8 = 4;
    pub const BROKER_LOGGER: i8 = 8;
    pub const CLIENT_METRICS: i8 = 16;
    pub const GROUP: i8 = 32;

    /// The name Kafka prints for a resource type id.
    pub fn name(id: i8) -> &'static str {
        match id {
            TOPIC => "TOPIC",
            BROKER => "BROKER",
            BROKER_LOGGER => "BROKER_LOGGER",
            CLIENT_METRICS => "CLIENT_METRICS",
            GROUP => "GROUP",
            _ => "UNKNOWN",
        }
    }
}

/// The one logger this broker has, and its level (it logs INFO and above).
const ROOT_LOGGER: (&str, &str) = ("root", "INFO");

/// Kafka's default message for INVALID_REQUEST.
const INVALID_REQUEST_MESSAGE: &str = "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.";

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    if request
        .resources
        .iter()
        .any(|r| resource_type::name(r.resource_type) == "UNKNOWN")
    {
        // Kafka refuses the whole request when a resource type is unknown: every resource gets
        // INVALID_REQUEST with the default message.
        let results = request
            .resources
            .iter()
            .map(|r| {
                DescribeConfigsResult::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
                    .with_error_code(ResponseError::InvalidRequest.code())
                    .with_error_message(Some(StrBytes::from_static_str(INVALID_REQUEST_MESSAGE)))
            })
            .collect();
        return DescribeConfigsResponse::default().with_results(results);
    }
    let results = request
        .resources
        .iter()
        .map(|resource| {
            let outcome = describe(broker, resource).map(|configs| {
                filter_and_order(configs, resource.configuration_keys.as_deref())
                    .iter()
                    .map(|c| {
                        entry(
                            c,
                            request.include_synonyms,
                            request.include_documentation,
                            ctx.api_version,
                        )
                    })
                    .collect()
            });
            let result = DescribeConfigsResult::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            match outcome {
                Ok(configs) => result.with_configs(configs),
                // Without a message Kafka leaves the field at its default, the empty string.
                Err(e) => match e.message {
                    Some(message) => result
                        .with_error_code(e.code)
                        .with_error_message(Some(StrBytes::from_string(message))),
                    None => result.with_error_code(e.code),
                },
            }
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn invalid_request(message: String) -> TopicError {
    TopicError::new(ResponseError::InvalidRequest.code(), message)
}

/// Kafka's `resourceNameToBrokerId`.
fn broker_id(name: &str) -> Result<i32, TopicError> {
    name.parse::<i32>()
        .map_err(|_| invalid_request(format!("Broker id must be an integer, but it is: {name}")))
}

fn describe(
    broker: &Broker,
    resource: &DescribeConfigsResource,
) -> Result<Vec<DescribedConfig>, TopicError> {
    let name = resource.resource_name.as_str();
    let node_id = broker.config.node_id;
    match resource.resource_type {
        resource_type::TOPIC => {
            topic_rules::validate(name)
                .map_err(|m| TopicError::new(ResponseError::InvalidTopicException.code(), m))?;
            let topic = broker.topic(name).ok_or(TopicError {
                code: ResponseError::UnknownTopicOrPartition.code(),
                message: None,
            })?;
            Ok(topic_config::describe_topic(&broker.config, &topic.configs))
        }
        resource_type::BROKER => {
            if name.is_empty() {
                return Ok(topic_config::describe_cluster_defaults(&broker.config));
            }
            if broker_id(name)? != node_id {
                return Err(invalid_request(format!(
                    "Unexpected broker id, expected {node_id} or empty string, but received {name}"
                )));
            }
            Ok(topic_config::describe_broker(&broker.config))
        }
        resource_type::BROKER_LOGGER => {
            if name.is_empty() {
                return Err(invalid_request("Broker id must not be empty".to_string()));
            }
            if broker_id(name)? != node_id {
                return Err(invalid_request(format!(
                    "Unexpected broker id, expected {node_id} but received {name}"
                )));
            }
            Ok(vec![DescribedConfig {
                name: ROOT_LOGGER.0.to_string(),
                value: Some(ROOT_LOGGER.1.to_string()),
                source: ConfigSource::DynamicBrokerLogger,
                read_only: false,
                is_sensitive: false,
                synonyms: Vec::new(),
                config_type: topic_config::UNKNOWN_CONFIG_TYPE,
                documentation: None,
            }])
        }
        other => Err(invalid_request(format!(
            "Unsupported resource type: {}",
            resource_type::name(other)
        ))),
    }
}

/// Keeps the requested keys (none or an empty list: all; unknown keys are ignored) and puts
/// them in the order Apache's broker lists them.
fn filter_and_order(
    mut configs: Vec<DescribedConfig>,
    keys: Option<&[StrBytes]>,
) -> Vec<DescribedConfig> {
    if let Some(keys) = keys.filter(|k| !k.is_empty()) {
        configs.retain(|c| keys.iter().any(|k| k.as_str() == c.name));
    }
    topic_config::apache_order(&mut configs);
    configs
}

fn entry(
    config: &DescribedConfig,
    include_synonyms: bool,
    include_documentation: bool,
    version: i16,
) -> DescribeConfigsResourceResult {
    let synonyms = if include_synonyms {
        config
            .synonyms
            .iter()
            .map(|s| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_string(s.name.clone()))
                    .with_value(s.value.clone().map(StrBytes::from_string))
                    .with_source(s.source.id())
            })
            .collect()
    } else {
        Vec::new()
    };
    /// `config_type` and `documentation` exist from this version on.
    const TYPED_VERSION: i16 = 3;
    let documentation = (include_documentation && version >= TYPED_VERSION)
        .then_some(config.documentation)
        .flatten()
        .map(StrBytes::from_static_str);
    DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_string(config.name.clone()))
        .with_value(config.value.clone().map(StrBytes::from_string))
        .with_read_only(config.read_only)
        .with_config_source(config.source.id())
        .with_is_sensitive(config.is_sensitive)
        .with_synonyms(synonyms)
        .with_config_type(config.config_type)
        .with_documentation(documentation)
}
