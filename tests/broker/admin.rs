//! Topic and cluster admin APIs over raw requests: CreateTopics, DeleteTopics, CreatePartitions,
//! DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeCluster. Shared request
//! builders live here; one submodule per API.

mod alter_configs;
mod create_partitions;
mod create_topics;
mod delete_topics;
mod describe_cluster;
mod describe_configs;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::{
    CreateTopicsRequest, DescribeConfigsRequest, MetadataRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::common::RawClient;

/// `ConfigResource.Type` ids.
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;
pub const BROKER_LOGGER: i8 = 8;
pub const GROUP: i8 = 32;

pub fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

pub fn topic_name(name: &str) -> TopicName {
    TopicName(s(name))
}

/// A topic with -1/-1 (broker defaults) and the given configs.
pub fn new_topic(name: &str, configs: &[(&str, Option<&str>)]) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(topic_name(name))
        .with_num_partitions(-1)
        .with_replication_factor(-1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(s(k))
                        .with_value(v.map(s))
                })
                .collect(),
        )
}

pub async fn create_at(
    client: &mut RawClient,
    version: i16,
    topics: Vec<CreatableTopic>,
    validate_only: bool,
) -> Vec<CreatableTopicResult> {
    let request = CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(30_000)
        .with_validate_only(validate_only);
    client.send(request, version).await.topics
}

/// Creates one topic at v7 and asserts success.
pub async fn create(client: &mut RawClient, topic: CreatableTopic) -> CreatableTopicResult {
    let name = topic.name.to_string();
    let mut results = create_at(client, 7, vec![topic], false).await;
    assert_eq!(results.len(), 1);
    let result = results.remove(0);
    assert_eq!(
        (result.error_code, result.error_message.as_deref()),
        (0, None),
        "creating {name}"
    );
    result
}

pub async fn describe_at(
    client: &mut RawClient,
    version: i16,
    resources: Vec<DescribeConfigsResource>,
    synonyms: bool,
    documentation: bool,
) -> Vec<DescribeConfigsResult> {
    let request = DescribeConfigsRequest::default()
        .with_resources(resources)
        .with_include_synonyms(synonyms)
        .with_include_documentation(documentation);
    client.send(request, version).await.results
}

pub fn resource(kind: i8, name: &str, keys: Option<&[&str]>) -> DescribeConfigsResource {
    DescribeConfigsResource::default()
        .with_resource_type(kind)
        .with_resource_name(s(name))
        .with_configuration_keys(keys.map(|k| k.iter().map(|n| s(n)).collect()))
}

/// The non-default configs of a topic as `kafka-topics --describe` prints them.
pub async fn non_default_configs(client: &mut RawClient, topic: &str) -> Vec<(String, String)> {
    configs_from(client, topic, |source| source != 5).await
}

/// The topic's own overrides (source DYNAMIC_TOPIC_CONFIG).
pub async fn topic_overrides(client: &mut RawClient, topic: &str) -> Vec<(String, String)> {
    configs_from(client, topic, |source| source == 1).await
}

async fn configs_from(
    client: &mut RawClient,
    topic: &str,
    keep: impl Fn(i8) -> bool,
) -> Vec<(String, String)> {
    let results = describe_at(client, 4, vec![resource(TOPIC, topic, None)], false, false).await;
    assert_eq!(results[0].error_code, 0, "describing {topic}");
    results[0]
        .configs
        .iter()
        .filter(|c| keep(c.config_source))
        .map(|c| {
            (
                c.name.to_string(),
                c.value.as_deref().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Partition count of `topic` from Metadata, or `None` when it does not exist.
pub async fn partition_count(client: &mut RawClient, topic: &str) -> Option<usize> {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                .with_name(Some(topic_name(topic))),
        ]))
        .with_allow_auto_topic_creation(false);
    let response = client.send(request, 12).await;
    let t = &response.topics[0];
    (t.error_code == 0).then_some(t.partitions.len())
}
