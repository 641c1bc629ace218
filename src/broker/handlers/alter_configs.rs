//! AlterConfigs (key 33, v0–2), the legacy full-replacement API, as Apache answers it: the
//! broker's preprocessing (duplicate resources, duplicate keys, null values, resource type),
//! then for TOPIC resources the controller replacing every override with the given set (keys
//! left out are deleted) after validating it. BROKER changes are refused: this broker updates
//! no config dynamically.

use kafka_protocol::messages::alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};

use super::describe_configs::resource_type;
use super::incremental_alter_configs::{
    alter_broker, alter_topic, check_keys_and_nulls, resource_outcomes,
};
use super::RequestContext;
use crate::broker::state::{Broker, TopicError};

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: AlterConfigsRequest,
) -> AlterConfigsResponse {
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
    AlterConfigsResponse::default().with_responses(responses)
}

fn alter(
    broker: &Broker,
    resource: &AlterConfigsResource,
    validate_only: bool,
) -> Result<(), TopicError> {
    let configs = &resource.configs;
    let nulls = configs
        .iter()
        .filter(|c| c.value.is_none())
        .map(|c| c.name.as_str())
        .collect();
    check_keys_and_nulls(configs.iter().map(|c| c.name.as_str()), nulls)?;
    let name = resource.resource_name.as_str();
    match resource.resource_type {
        resource_type::TOPIC => alter_topic(broker, name, validate_only, |_current| {
            Ok(configs
                .iter()
                .filter_map(|c| Some((c.name.to_string(), c.value.as_ref()?.to_string())))
                .collect())
        }),
        resource_type::BROKER => {
            let keys: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
            alter_broker(broker, name, &keys)
        }
        // Legacy AlterConfigs never supported BROKER_LOGGER; Kafka refuses it here too.
        other => Err(TopicError::new(
            kafka_protocol::error::ResponseError::InvalidRequest.code(),
            format!("Unknown resource type {other}"),
        )),
    }
}
