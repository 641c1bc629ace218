//! Admin operations over a [`Cluster`]: list, create, delete and grow topics, describe topic
//! partitions (DescribeTopicPartitions with the Metadata fallback Apache's admin client uses),
//! describe configs and the cluster, and list offsets routed to partition leaders.
//! Results are plain structs; printing belongs to the tools.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::cluster::{BrokerInfo, Cluster, PartitionInfo, TopicInfo};
use super::error::{ClientError, ClientResult};

/// Admin requests' `timeout_ms` (the broker-side wait for controller work).
const ADMIN_REQUEST_TIMEOUT_MS: i32 = 30_000;
/// DescribeTopicPartitions page size (`--partition-size-limit-per-response` default).
pub const DEFAULT_PARTITION_PAGE: i32 = 2000;
/// DescribeConfigs resource type TOPIC.
pub const RESOURCE_TOPIC: i8 = 2;
/// DescribeConfigs resource type BROKER.
pub const RESOURCE_BROKER: i8 = 4;
/// DescribeConfigs config source DEFAULT_CONFIG.
pub const SOURCE_DEFAULT: i8 = 5;
/// ListOffsets / Fetch isolation levels.
pub const READ_UNCOMMITTED: i8 = 0;
pub const READ_COMMITTED: i8 = 1;

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// A topic to create.
#[derive(Debug, Clone, Default)]
pub struct NewTopic {
    pub name: String,
    /// -1 = broker default.
    pub partitions: i32,
    /// -1 = broker default.
    pub replication_factor: i16,
    /// Explicit replica assignment, partition by partition (empty = none).
    pub assignments: Vec<Vec<i32>>,
    pub configs: Vec<(String, String)>,
}

/// One config entry of a DescribeConfigs answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: i8,
    pub is_sensitive: bool,
    pub read_only: bool,
}

/// A partition as DescribeTopicPartitions (or the Metadata fallback) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDescription {
    pub info: PartitionInfo,
    /// `None` when the broker could only answer through Metadata (printed as `N/A`).
    pub eligible_leader_replicas: Option<Vec<i32>>,
    pub last_known_elr: Option<Vec<i32>>,
}

/// A described topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub topic_id: Uuid,
    pub is_internal: bool,
    pub partitions: Vec<PartitionDescription>,
}

/// What ListOffsets should find for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    MaxTimestamp,
    Timestamp(i64),
}

impl OffsetSpec {
    fn wire(self) -> i64 {
        match self {
            OffsetSpec::Latest => -1,
            OffsetSpec::Earliest => -2,
            OffsetSpec::MaxTimestamp => -3,
            OffsetSpec::Timestamp(t) => t,
        }
    }
}

/// An offset found by ListOffsets (`offset` -1 when no record matched a timestamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    pub offset: i64,
    pub timestamp: i64,
    pub leader_epoch: i32,
}

/// Admin operations on a cluster.
#[derive(Debug)]
pub struct Admin<'a> {
    cluster: &'a Cluster,
}

impl<'a> Admin<'a> {
    pub fn new(cluster: &'a Cluster) -> Admin<'a> {
        Admin { cluster }
    }

    /// All topics from Metadata, sorted by name.
    pub async fn list_topics(&self) -> ClientResult<Vec<TopicInfo>> {
        let metadata = self
            .cluster
            .retry("listTopics", || self.cluster.refresh_metadata(None))
            .await?;
        Ok(metadata.topics.values().cloned().collect())
    }

    /// Creates topics; one result per topic, in request order.
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        validate_only: bool,
    ) -> ClientResult<Vec<(String, ClientResult<Uuid>)>> {
        let request = CreateTopicsRequest::default()
            .with_timeout_ms(ADMIN_REQUEST_TIMEOUT_MS)
            .with_validate_only(validate_only)
            .with_topics(
                topics
                    .iter()
                    .map(|t| {
                        CreatableTopic::default()
                            .with_name(topic_name(&t.name))
                            .with_num_partitions(t.partitions)
                            .with_replication_factor(t.replication_factor)
                            .with_assignments(
                                t.assignments
                                    .iter()
                                    .enumerate()
                                    .map(|(i, brokers)| {
                                        CreatableReplicaAssignment::default()
                                            .with_partition_index(i as i32)
                                            .with_broker_ids(
                                                brokers.iter().map(|&b| BrokerId(b)).collect(),
                                            )
                                    })
                                    .collect(),
                            )
                            .with_configs(
                                t.configs
                                    .iter()
                                    .map(|(k, v)| {
                                        CreatableTopicConfig::default()
                                            .with_name(StrBytes::from_string(k.clone()))
                                            .with_value(Some(StrBytes::from_string(v.clone())))
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let response = self
            .cluster
            .retry("createTopics", || async {
                self.cluster.controller().await?.send(request.clone()).await
            })
            .await?;
        Ok(response
            .topics
            .into_iter()
            .map(|t| {
                let name = t.name.to_string();
                let result = if t.error_code == 0 {
                    Ok(t.topic_id)
                } else {
                    Err(ClientError::kafka(
                        t.error_code,
                        t.error_message.map(|m| m.to_string()),
                        String::new(),
                    ))
                };
                (name, result)
            })
            .collect())
    }

    /// Deletes topics by name; one result per topic.
    pub async fn delete_topics(
        &self,
        names: &[String],
    ) -> ClientResult<Vec<(String, ClientResult<()>)>> {
        let cluster = self.cluster;
        let response = cluster
            .retry("deleteTopics", || async {
                let controller = cluster.controller().await?;
                let version = controller.version_for::<DeleteTopicsRequest>()?;
                let request = DeleteTopicsRequest::default()
                    .with_timeout_ms(ADMIN_REQUEST_TIMEOUT_MS)
                    .with_topic_names(if version < 6 {
                        names.iter().map(|n| topic_name(n)).collect()
                    } else {
                        Vec::new()
                    })
                    .with_topics(if version >= 6 {
                        names
                            .iter()
                            .map(|n| DeleteTopicState::default().with_name(Some(topic_name(n))))
                            .collect()
                    } else {
                        Vec::new()
                    });
                controller.send_at(request, version).await
            })
            .await?;
        Ok(response
            .responses
            .into_iter()
            .map(|r| {
                let name = r.name.map(|n| n.to_string()).unwrap_or_default();
                let result = if r.error_code == 0 {
                    Ok(())
                } else {
                    Err(ClientError::kafka(
                        r.error_code,
                        r.error_message.map(|m| m.to_string()),
                        String::new(),
                    ))
                };
                (name, result)
            })
            .collect())
    }

    /// Grows `topic` to `count` partitions, with optional assignments for the new ones.
    pub async fn create_partitions(
        &self,
        topic: &str,
        count: i32,
        new_assignments: Option<Vec<Vec<i32>>>,
    ) -> ClientResult<()> {
        let request = CreatePartitionsRequest::default()
            .with_timeout_ms(ADMIN_REQUEST_TIMEOUT_MS)
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(topic_name(topic))
                .with_count(count)
                .with_assignments(new_assignments.map(|all| {
                    all.into_iter()
                        .map(|brokers| {
                            CreatePartitionsAssignment::default()
                                .with_broker_ids(brokers.into_iter().map(BrokerId).collect())
                        })
                        .collect()
                }))]);
        let response = self
            .cluster
            .retry("createPartitions", || async {
                self.cluster.controller().await?.send(request.clone()).await
            })
            .await?;
        match response.results.first() {
            Some(r) if r.error_code != 0 => Err(ClientError::kafka(
                r.error_code,
                r.error_message.as_ref().map(|m| m.to_string()),
                String::new(),
            )),
            _ => Ok(()),
        }
    }

    /// Describes topics by name: DescribeTopicPartitions where the broker has it (with paging),
    /// otherwise Metadata (then ELR fields are unknown).
    pub async fn describe_topics(
        &self,
        names: &[String],
        page_size: i32,
    ) -> ClientResult<Vec<ClientResult<TopicDescription>>> {
        let connection = self.cluster.any_connection().await?;
        if !connection.supports::<DescribeTopicPartitionsRequest>() {
            return self.describe_topics_by_metadata(names).await;
        }
        let mut found: BTreeMap<String, ClientResult<TopicDescription>> = BTreeMap::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let request = DescribeTopicPartitionsRequest::default()
                .with_topics(
                    names
                        .iter()
                        .map(|n| TopicRequest::default().with_name(topic_name(n)))
                        .collect(),
                )
                .with_response_partition_limit(page_size)
                .with_cursor(cursor.take());
            let response = self
                .cluster
                .retry("describeTopics", || async {
                    self.cluster
                        .any_connection()
                        .await?
                        .send(request.clone())
                        .await
                })
                .await?;
            for topic in response.topics {
                let name = topic.name.map(|n| n.to_string()).unwrap_or_default();
                if topic.error_code != 0 {
                    found.insert(
                        name.clone(),
                        Err(ClientError::kafka(
                            topic.error_code,
                            None,
                            format!("topic {name}"),
                        )),
                    );
                    continue;
                }
                let partitions = topic.partitions.into_iter().map(|p| PartitionDescription {
                    info: PartitionInfo {
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader: p.leader_id.0,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                        isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                        offline_replicas: p.offline_replicas.iter().map(|b| b.0).collect(),
                    },
                    eligible_leader_replicas: Some(
                        p.eligible_leader_replicas
                            .unwrap_or_default()
                            .iter()
                            .map(|b| b.0)
                            .collect(),
                    ),
                    last_known_elr: Some(
                        p.last_known_elr
                            .unwrap_or_default()
                            .iter()
                            .map(|b| b.0)
                            .collect(),
                    ),
                });
                match found.entry(name.clone()) {
                    std::collections::btree_map::Entry::Occupied(mut e) => {
                        if let Ok(existing) = e.get_mut() {
                            existing.partitions.extend(partitions);
                        }
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(Ok(TopicDescription {
                            name,
                            topic_id: topic.topic_id,
                            is_internal: topic.is_internal,
                            partitions: partitions.collect(),
                        }));
                    }
                }
            }
            match response.next_cursor {
                Some(next) => {
                    cursor = Some(
                        Cursor::default()
                            .with_topic_name(next.topic_name)
                            .with_partition_index(next.partition_index),
                    )
                }
                None => break,
            }
        }
        Ok(names
            .iter()
            .map(|n| {
                let mut result = found.remove(n).unwrap_or_else(|| {
                    Err(ClientError::kafka(
                        ResponseError::UnknownTopicOrPartition.code(),
                        None,
                        format!("topic {n}"),
                    ))
                });
                if let Ok(t) = &mut result {
                    t.partitions.sort_by_key(|p| p.info.partition);
                }
                result
            })
            .collect())
    }

    async fn describe_topics_by_metadata(
        &self,
        names: &[String],
    ) -> ClientResult<Vec<ClientResult<TopicDescription>>> {
        let metadata = self
            .cluster
            .retry("describeTopics", || {
                self.cluster.refresh_metadata(Some(names))
            })
            .await?;
        Ok(names
            .iter()
            .map(|n| match metadata.topics.get(n) {
                Some(t) if t.error_code == 0 => Ok(TopicDescription {
                    name: t.name.clone(),
                    topic_id: t.topic_id,
                    is_internal: t.is_internal,
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| PartitionDescription {
                            info: p.clone(),
                            eligible_leader_replicas: None,
                            last_known_elr: None,
                        })
                        .collect(),
                }),
                Some(t) => Err(ClientError::kafka(t.error_code, None, format!("topic {n}"))),
                None => Err(ClientError::kafka(
                    ResponseError::UnknownTopicOrPartition.code(),
                    None,
                    format!("topic {n}"),
                )),
            })
            .collect())
    }

    /// Describes the configs of resources of one type (all keys).
    pub async fn describe_configs(
        &self,
        resource_type: i8,
        names: &[String],
    ) -> ClientResult<Vec<ClientResult<Vec<ConfigEntry>>>> {
        let request = DescribeConfigsRequest::default()
            .with_resources(
                names
                    .iter()
                    .map(|n| {
                        DescribeConfigsResource::default()
                            .with_resource_type(resource_type)
                            .with_resource_name(StrBytes::from_string(n.clone()))
                            .with_configuration_keys(None)
                    })
                    .collect(),
            )
            .with_include_synonyms(false);
        let response = self
            .cluster
            .retry("describeConfigs", || async {
                self.cluster
                    .any_connection()
                    .await?
                    .send(request.clone())
                    .await
            })
            .await?;
        let mut by_name: BTreeMap<String, ClientResult<Vec<ConfigEntry>>> = response
            .results
            .into_iter()
            .map(|r| {
                let name = r.resource_name.to_string();
                let result = if r.error_code != 0 {
                    Err(ClientError::kafka(
                        r.error_code,
                        r.error_message.map(|m| m.to_string()),
                        String::new(),
                    ))
                } else {
                    Ok(r.configs
                        .into_iter()
                        .map(|c| ConfigEntry {
                            name: c.name.to_string(),
                            value: c.value.map(|v| v.to_string()),
                            source: c.config_source,
                            is_sensitive: c.is_sensitive,
                            read_only: c.read_only,
                        })
                        .collect())
                };
                (name, result)
            })
            .collect();
        Ok(names
            .iter()
            .map(|n| {
                by_name.remove(n).unwrap_or_else(|| {
                    Err(ClientError::Other(format!("no configs returned for {n}")))
                })
            })
            .collect())
    }

    /// Live brokers: DescribeCluster where available, otherwise Metadata.
    pub async fn describe_cluster(&self) -> ClientResult<Vec<BrokerInfo>> {
        let connection = self.cluster.any_connection().await?;
        if connection.supports::<DescribeClusterRequest>() {
            let response = connection.send(DescribeClusterRequest::default()).await?;
            if response.error_code != 0 {
                return Err(ClientError::kafka(
                    response.error_code,
                    response.error_message.map(|m| m.to_string()),
                    String::new(),
                ));
            }
            return Ok(response
                .brokers
                .into_iter()
                .filter(|b| !b.is_fenced)
                .map(|b| BrokerInfo {
                    node_id: b.broker_id.0,
                    host: b.host.to_string(),
                    port: b.port,
                    rack: b.rack.map(|r| r.to_string()),
                })
                .collect());
        }
        let metadata = self.cluster.refresh_metadata(Some(&[])).await?;
        Ok(metadata.brokers.values().cloned().collect())
    }

    /// ListOffsets for each (topic, partition), routed to each partition's leader and retried
    /// after leader changes.
    pub async fn list_offsets(
        &self,
        partitions: &[(String, i32)],
        spec: OffsetSpec,
    ) -> ClientResult<BTreeMap<(String, i32), ClientResult<ListedOffset>>> {
        self.list_offsets_isolated(partitions, spec, READ_UNCOMMITTED)
            .await
    }

    /// [`Admin::list_offsets`] at an isolation level (`READ_COMMITTED` makes "latest" the last
    /// stable offset).
    pub async fn list_offsets_isolated(
        &self,
        partitions: &[(String, i32)],
        spec: OffsetSpec,
        isolation_level: i8,
    ) -> ClientResult<BTreeMap<(String, i32), ClientResult<ListedOffset>>> {
        // Group by leader so each broker gets one request.
        let mut results = BTreeMap::new();
        let mut remaining: Vec<(String, i32)> = partitions.to_vec();
        let cluster = self.cluster;
        let deadline = tokio::time::Instant::now() + cluster.config().api_timeout;
        let mut backoff = cluster.config().retry_backoff;
        while !remaining.is_empty() {
            let mut by_leader: BTreeMap<i32, Vec<(String, i32)>> = BTreeMap::new();
            let mut retry = Vec::new();
            for (topic, partition) in remaining.drain(..) {
                match cluster.leader(&topic, partition).await {
                    Ok(leader) => by_leader
                        .entry(leader)
                        .or_default()
                        .push((topic, partition)),
                    Err(e) if e.is_retriable() => retry.push((topic, partition)),
                    Err(e) => {
                        results.insert((topic, partition), Err(e));
                    }
                }
            }
            for (leader, parts) in by_leader {
                let outcome = self
                    .list_offsets_on(leader, &parts, spec, isolation_level)
                    .await;
                match outcome {
                    Ok(answers) => {
                        for (key, answer) in answers {
                            match answer {
                                Err(e) if e.is_retriable() => {
                                    cluster.invalidate_topic(&key.0);
                                    retry.push(key);
                                }
                                other => {
                                    results.insert(key, other);
                                }
                            }
                        }
                    }
                    Err(e) if e.is_retriable() => {
                        for key in parts {
                            cluster.invalidate_topic(&key.0);
                            retry.push(key);
                        }
                    }
                    Err(e) => {
                        for key in parts {
                            results.insert(key, Err(e.clone()));
                        }
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            if tokio::time::Instant::now() + backoff >= deadline {
                for key in retry {
                    results.insert(
                        key.clone(),
                        Err(ClientError::Other(format!(
                            "listOffsets for {}-{} did not succeed within {} ms",
                            key.0,
                            key.1,
                            cluster.config().api_timeout.as_millis()
                        ))),
                    );
                }
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(cluster.config().retry_backoff_max);
            remaining = retry;
        }
        Ok(results)
    }

    async fn list_offsets_on(
        &self,
        leader: i32,
        parts: &[(String, i32)],
        spec: OffsetSpec,
        isolation_level: i8,
    ) -> ClientResult<Vec<((String, i32), ClientResult<ListedOffset>)>> {
        let connection = self.cluster.connection_to_node(leader).await?;
        let min_version = if spec == OffsetSpec::MaxTimestamp {
            7
        } else if isolation_level != READ_UNCOMMITTED {
            // isolation_level arrived in v2.
            2
        } else {
            1
        };
        let version = connection.version_in::<ListOffsetsRequest>(
            min_version,
            <ListOffsetsRequest as kafka_protocol::protocol::Message>::VERSIONS.max,
        )?;
        let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in parts {
            topics.entry(t).or_default().push(*p);
        }
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_isolation_level(isolation_level)
            .with_topics(
                topics
                    .iter()
                    .map(|(t, ps)| {
                        ListOffsetsTopic::default()
                            .with_name(topic_name(t))
                            .with_partitions(
                                ps.iter()
                                    .map(|&p| {
                                        ListOffsetsPartition::default()
                                            .with_partition_index(p)
                                            .with_current_leader_epoch(-1)
                                            .with_timestamp(spec.wire())
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let response = connection.send_at(request, version).await?;
        let mut out = Vec::new();
        for topic in response.topics {
            let name = topic.name.to_string();
            for p in topic.partitions {
                let key = (name.clone(), p.partition_index);
                let answer = if p.error_code != 0 {
                    Err(ClientError::kafka(
                        p.error_code,
                        None,
                        format!("topic {} partition {}", key.0, key.1),
                    ))
                } else {
                    Ok(ListedOffset {
                        offset: p.offset,
                        timestamp: p.timestamp,
                        leader_epoch: p.leader_epoch,
                    })
                };
                out.push((key, answer));
            }
        }
        Ok(out)
    }
}
