//! Consumer-group administration for the tools (kafka-consumer-groups): list groups on every
//! broker, describe groups at their coordinators (decoding members' subscriptions and
//! assignments), read a group's committed offsets, alter them (a commit from outside the group:
//! generation -1, no member), delete groups, delete a group's offsets.
//!
//! Owns routing these to the right brokers with bounded retries and turning answers into plain
//! structs; printing and the tools' messages belong to `cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, GroupId, ListGroupsRequest, OffsetCommitRequest,
    OffsetDeleteRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;

use super::cluster::{BrokerInfo, Cluster};
use super::connection::Connection;
use super::error::{ClientError, ClientResult};
use super::group::coordinator::{at_coordinator, classify, find_coordinators, CoordinatorError};
use super::group::offsets::{
    commit_request, commit_results, fetch_request, fetch_results, CommitIdentity,
};
use super::group::{OffsetAndMetadata, TopicPartition, CONSUMER_PROTOCOL_TYPE};
use crate::protocol::consumer_protocol::{Assignment, Subscription};

/// The first ListGroups version with `states_filter`.
const LIST_STATES_VERSION: i16 = 4;
/// The first ListGroups version with `types_filter`.
const LIST_TYPES_VERSION: i16 = 5;
/// The first DescribeGroups version that answers GROUP_ID_NOT_FOUND for unknown groups.
const DESCRIBE_NOT_FOUND_VERSION: i16 = 6;
/// The state DescribeGroups reports for a group that does not exist (before v6).
const DEAD_STATE: &str = "Dead";

/// One group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    /// "consumer" for consumer groups, "" for groups that only have offsets (simple groups).
    pub protocol_type: String,
    /// The state (ListGroups v4+), e.g. "Stable".
    pub state: Option<String>,
    /// The group type (ListGroups v5+), e.g. "classic".
    pub group_type: Option<String>,
    /// The broker that listed it (its coordinator).
    pub coordinator: i32,
}

/// Groups of every broker that answered, and the errors of those that did not.
#[derive(Debug, Clone, Default)]
pub struct ListedGroups {
    /// By group id.
    pub groups: Vec<GroupListing>,
    pub errors: Vec<ClientError>,
}

/// Which groups ListGroups should return (empty = all). States compare case-insensitively; a
/// types filter is dropped for brokers older than ListGroups v5 (as Java's admin client does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFilter {
    pub states: Vec<String>,
    pub types: Vec<String>,
}

/// A described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty".
    pub state: String,
    pub protocol_type: String,
    /// The chosen protocol (assignor) while Stable, "" otherwise.
    pub protocol: String,
    pub members: Vec<MemberDescription>,
    pub coordinator: BrokerInfo,
}

/// A member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// The member's subscription, for consumer groups while Stable (members carry no metadata
    /// in other states) when it is readable.
    pub subscription: Option<Subscription>,
    /// The member's assignment for consumer groups (empty while none is known), `None` for
    /// other protocol types or unreadable bytes.
    pub assignment: Option<Assignment>,
    pub metadata: Vec<u8>,
    pub assignment_bytes: Vec<u8>,
}

fn group_id(value: &str) -> GroupId {
    GroupId(StrBytes::from_string(value.to_string()))
}

fn topic_name(value: &str) -> TopicName {
    TopicName(StrBytes::from_string(value.to_string()))
}

/// Group administration on a cluster.
#[derive(Debug)]
pub struct GroupAdmin<'a> {
    cluster: &'a Cluster,
}

impl<'a> GroupAdmin<'a> {
    pub fn new(cluster: &'a Cluster) -> GroupAdmin<'a> {
        GroupAdmin { cluster }
    }

    /// ListGroups at every broker of the cluster (each lists the groups it coordinates).
    pub async fn list_groups(&self, filter: &GroupFilter) -> ClientResult<ListedGroups> {
        let cluster = self.cluster;
        let metadata = cluster
            .retry("listGroups", || cluster.refresh_metadata(Some(&[])))
            .await?;
        let mut groups: BTreeMap<String, GroupListing> = BTreeMap::new();
        let mut errors = Vec::new();
        for broker in metadata.brokers.values() {
            match self.list_groups_on(broker, filter).await {
                Ok(listed) => {
                    for g in listed {
                        groups.entry(g.group_id.clone()).or_insert(g);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        Ok(ListedGroups {
            groups: groups.into_values().collect(),
            errors,
        })
    }

    pub(crate) async fn list_groups_on(
        &self,
        broker: &BrokerInfo,
        filter: &GroupFilter,
    ) -> ClientResult<Vec<GroupListing>> {
        let cluster = self.cluster;
        let response = cluster
            .retry(&format!("listGroups at broker {}", broker.node_id), || async {
                let connection = cluster.connection_to(&broker.address()).await?;
                let version = connection.version_for::<ListGroupsRequest>()?;
                let mut request = ListGroupsRequest::default();
                if !filter.states.is_empty() {
                    if version < LIST_STATES_VERSION {
                        return Err(ClientError::UnsupportedVersion {
                            api: kafka_protocol::messages::ApiKey::ListGroups,
                            broker: broker.address(),
                            detail: format!(
                                "the broker only supports ListGroups v{version}, but \
                                 v{LIST_STATES_VERSION} or newer is needed to filter groups by state"
                            ),
                        });
                    }
                    request = request.with_states_filter(
                        filter
                            .states
                            .iter()
                            .map(|s| StrBytes::from_string(s.clone()))
                            .collect(),
                    );
                }
                if !filter.types.is_empty() && version >= LIST_TYPES_VERSION {
                    request = request.with_types_filter(
                        filter
                            .types
                            .iter()
                            .map(|s| StrBytes::from_string(s.clone()))
                            .collect(),
                    );
                }
                let response = connection.send_at(request, version).await?;
                if response.error_code != 0 {
                    return Err(ClientError::kafka(
                        response.error_code,
                        None,
                        format!("listing groups at broker {}", broker.address()),
                    ));
                }
                Ok((version, response))
            })
            .await?;
        let (version, response) = response;
        Ok(response
            .groups
            .into_iter()
            .map(|g| GroupListing {
                group_id: g.group_id.to_string(),
                protocol_type: g.protocol_type.to_string(),
                state: (version >= LIST_STATES_VERSION).then(|| g.group_state.to_string()),
                group_type: (version >= LIST_TYPES_VERSION).then(|| g.group_type.to_string()),
                coordinator: broker.node_id,
            })
            .collect())
    }

    /// Describes each group at its coordinator; a group that does not exist is a
    /// GROUP_ID_NOT_FOUND error (whatever the DescribeGroups version).
    pub async fn describe_groups(
        &self,
        group_ids: &[String],
    ) -> ClientResult<Vec<(String, ClientResult<GroupDescription>)>> {
        let mut results = self
            .per_coordinator(group_ids, "describeGroups", |connection, broker, groups| {
                describe_at(connection, broker, groups)
            })
            .await;
        Ok(group_ids
            .iter()
            .map(|g| (g.clone(), take_result(&mut results, g)))
            .collect())
    }

    /// Deletes groups (only Empty ones can be: others fail with NON_EMPTY_GROUP).
    pub async fn delete_groups(
        &self,
        group_ids: &[String],
    ) -> ClientResult<Vec<(String, ClientResult<()>)>> {
        let mut results = self
            .per_coordinator(group_ids, "deleteGroups", |connection, _, groups| {
                delete_at(connection, groups)
            })
            .await;
        Ok(group_ids
            .iter()
            .map(|g| (g.clone(), take_result(&mut results, g)))
            .collect())
    }

    /// The committed offsets of `group` for `partitions`, or for every partition it has
    /// offsets for (`None`). `None` values: nothing committed.
    pub async fn list_group_offsets(
        &self,
        group: &str,
        partitions: Option<&[TopicPartition]>,
    ) -> ClientResult<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        at_coordinator(
            self.cluster,
            group,
            "listConsumerGroupOffsets",
            |connection| async move {
                let version = connection.version_for::<OffsetFetchRequest>()?;
                let request = fetch_request(version, group, partitions, false)?;
                let response = connection.send_at(request, version).await?;
                let mut found = fetch_results(version, group, response)?;
                for tp in partitions.unwrap_or_default() {
                    found.entry(tp.clone()).or_insert(None);
                }
                Ok(found)
            },
        )
        .await
    }

    /// Sets committed offsets of `group` from outside it (generation -1, no member id), as
    /// kafka-consumer-groups `--reset-offsets --execute` does. The coordinator accepts this only
    /// while the group has no active members. One result per partition.
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> ClientResult<BTreeMap<TopicPartition, ClientResult<()>>> {
        let codes = at_coordinator(
            self.cluster,
            group,
            "alterConsumerGroupOffsets",
            |connection| async move {
                let version = connection.version_for::<OffsetCommitRequest>()?;
                let request = commit_request(version, group, &CommitIdentity::simple(), offsets)?;
                let response = connection.send_at(request, version).await?;
                let codes = commit_results(&response);
                // A coordinator error on any partition is the whole request's: find it again.
                if let Some(&code) = codes.values().find(|&&c| {
                    classify(&ClientError::kafka(c, None, "")) != CoordinatorError::Other
                }) {
                    return Err(ClientError::kafka(code, None, format!("group {group}")));
                }
                Ok(codes)
            },
        )
        .await?;
        Ok(offsets
            .keys()
            .map(|tp| {
                let result = match codes.get(tp) {
                    Some(0) => Ok(()),
                    Some(&code) => Err(partition_error(code, group, tp)),
                    None => Err(ClientError::Other(format!(
                        "OffsetCommit answered nothing for {}-{} of group {group}",
                        tp.0, tp.1
                    ))),
                };
                (tp.clone(), result)
            })
            .collect())
    }

    /// Deletes committed offsets of `group` (OffsetDelete). Fails as a whole for group errors
    /// (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP); per partition otherwise
    /// (GROUP_SUBSCRIBED_TO_TOPIC while members consume the topic).
    pub async fn delete_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> ClientResult<BTreeMap<TopicPartition, ClientResult<()>>> {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (topic, partition) in partitions {
            by_topic.entry(topic).or_default().push(*partition);
        }
        let request = OffsetDeleteRequest::default()
            .with_group_id(group_id(group))
            .with_topics(
                by_topic
                    .iter()
                    .map(|(topic, ps)| {
                        OffsetDeleteRequestTopic::default()
                            .with_name(topic_name(topic))
                            .with_partitions(
                                ps.iter()
                                    .map(|&p| {
                                        OffsetDeleteRequestPartition::default()
                                            .with_partition_index(p)
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let response = at_coordinator(self.cluster, group, "deleteConsumerGroupOffsets", |c| {
            let request = request.clone();
            async move {
                let response = c.send(request).await?;
                if response.error_code != 0 {
                    return Err(ClientError::kafka(
                        response.error_code,
                        None,
                        format!("group {group}"),
                    ));
                }
                Ok(response)
            }
        })
        .await?;
        let codes: BTreeMap<TopicPartition, i16> = response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(move |p| ((t.name.to_string(), p.partition_index), p.error_code))
            })
            .collect();
        Ok(partitions
            .iter()
            .map(|tp| {
                let result = match codes.get(tp) {
                    Some(0) => Ok(()),
                    Some(&code) => Err(partition_error(code, group, tp)),
                    None => Err(ClientError::Other(format!(
                        "OffsetDelete answered nothing for {}-{} of group {group}",
                        tp.0, tp.1
                    ))),
                };
                (tp.clone(), result)
            })
            .collect())
    }

    /// Runs `operation` once per coordinator for the groups it coordinates (coordinators found
    /// with batched FindCoordinator), retrying groups whose coordinator moved or was not ready,
    /// backed off and bounded by `default.api.timeout.ms`.
    async fn per_coordinator<T, F, Fut>(
        &self,
        group_ids: &[String],
        what: &str,
        mut operation: F,
    ) -> BTreeMap<String, ClientResult<T>>
    where
        F: FnMut(Arc<Connection>, BrokerInfo, Vec<String>) -> Fut,
        Fut: Future<Output = ClientResult<BTreeMap<String, ClientResult<T>>>>,
    {
        let config = self.cluster.config();
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        let mut done: BTreeMap<String, ClientResult<T>> = BTreeMap::new();
        let mut remaining: Vec<String> = group_ids
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut last_errors: BTreeMap<String, ClientError> = BTreeMap::new();
        while !remaining.is_empty() {
            let mut retry: Vec<String> = Vec::new();
            let mut by_coordinator: BTreeMap<i32, (BrokerInfo, Vec<String>)> = BTreeMap::new();
            match find_coordinators(self.cluster, &remaining).await {
                Ok(found) => {
                    for (group, coordinator) in found {
                        match coordinator {
                            Ok(broker) => by_coordinator
                                .entry(broker.node_id)
                                .or_insert_with(|| (broker.clone(), Vec::new()))
                                .1
                                .push(group),
                            Err(e) if retriable(&e) => {
                                last_errors.insert(group.clone(), e);
                                retry.push(group);
                            }
                            Err(e) => {
                                done.insert(group, Err(e));
                            }
                        }
                    }
                }
                Err(e) if retriable(&e) => {
                    for group in &remaining {
                        last_errors.insert(group.clone(), e.clone());
                    }
                    retry = std::mem::take(&mut remaining);
                }
                Err(e) => {
                    for group in remaining.drain(..) {
                        done.insert(group, Err(e.clone()));
                    }
                }
            }
            for (_, (broker, groups)) in by_coordinator {
                let outcome = match self.cluster.connection_to(&broker.address()).await {
                    Ok(connection) => operation(connection, broker.clone(), groups.clone()).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(mut results) => {
                        for group in groups {
                            match results.remove(&group) {
                                Some(Err(e)) if retriable(&e) => {
                                    last_errors.insert(group.clone(), e);
                                    retry.push(group);
                                }
                                Some(result) => {
                                    done.insert(group, result);
                                }
                                None => {
                                    let missing = Err(ClientError::Other(format!(
                                        "{what}: the coordinator answered nothing for group {group}"
                                    )));
                                    done.insert(group, missing);
                                }
                            }
                        }
                    }
                    Err(e) if retriable(&e) => {
                        for group in groups {
                            last_errors.insert(group.clone(), e.clone());
                            retry.push(group);
                        }
                    }
                    Err(e) => {
                        for group in groups {
                            done.insert(group, Err(e.clone()));
                        }
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            if Instant::now() + backoff >= deadline {
                for group in retry {
                    let last = last_errors
                        .remove(&group)
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    done.insert(
                        group.clone(),
                        Err(ClientError::Other(format!(
                            "{what} for group {group} did not succeed within {} ms: {last}",
                            config.api_timeout.as_millis()
                        ))),
                    );
                }
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff_max);
            remaining = retry;
        }
        done
    }
}

/// Whether a group operation may succeed if tried again (after finding the coordinator again).
fn retriable(error: &ClientError) -> bool {
    classify(error) != CoordinatorError::Other || error.is_retriable()
}

fn take_result<T>(results: &mut BTreeMap<String, ClientResult<T>>, group: &str) -> ClientResult<T> {
    results.remove(group).unwrap_or_else(|| {
        Err(ClientError::Other(format!(
            "no answer for group {group} (listed twice?)"
        )))
    })
}

fn partition_error(code: i16, group: &str, tp: &TopicPartition) -> ClientError {
    ClientError::kafka(
        code,
        None,
        format!("group {group} topic {} partition {}", tp.0, tp.1),
    )
}

/// One DescribeGroups for `groups` at their coordinator `broker`.
async fn describe_at(
    connection: Arc<Connection>,
    broker: BrokerInfo,
    groups: Vec<String>,
) -> ClientResult<BTreeMap<String, ClientResult<GroupDescription>>> {
    let version = connection.version_for::<DescribeGroupsRequest>()?;
    let request = DescribeGroupsRequest::default()
        .with_groups(groups.iter().map(|g| group_id(g)).collect())
        .with_include_authorized_operations(false);
    let response = connection.send_at(request, version).await?;
    Ok(response
        .groups
        .into_iter()
        .map(|g| {
            let id = g.group_id.to_string();
            let state = g.group_state.to_string();
            let not_found = || {
                Err(ClientError::kafka(
                    ResponseError::GroupIdNotFound.code(),
                    Some(format!("Group {id} not found.")),
                    String::new(),
                ))
            };
            let result = if g.error_code != 0 {
                if g.error_code == ResponseError::GroupIdNotFound.code() {
                    not_found()
                } else {
                    Err(ClientError::kafka(
                        g.error_code,
                        g.error_message.map(|m| m.to_string()),
                        format!("group {id}"),
                    ))
                }
            } else if state == DEAD_STATE && version < DESCRIBE_NOT_FOUND_VERSION {
                not_found()
            } else {
                let protocol_type = g.protocol_type.to_string();
                let consumer = protocol_type == CONSUMER_PROTOCOL_TYPE || protocol_type.is_empty();
                Ok(GroupDescription {
                    group_id: id.clone(),
                    state,
                    protocol: g.protocol_data.to_string(),
                    members: g
                        .members
                        .into_iter()
                        .map(|m| MemberDescription {
                            member_id: m.member_id.to_string(),
                            group_instance_id: m.group_instance_id.map(|i| i.to_string()),
                            client_id: m.client_id.to_string(),
                            client_host: m.client_host.to_string(),
                            subscription: (consumer && !m.member_metadata.is_empty())
                                .then(|| Subscription::decode(&m.member_metadata).ok())
                                .flatten(),
                            assignment: consumer
                                .then(|| Assignment::decode(&m.member_assignment).ok())
                                .flatten(),
                            metadata: m.member_metadata.to_vec(),
                            assignment_bytes: m.member_assignment.to_vec(),
                        })
                        .collect(),
                    protocol_type,
                    coordinator: broker.clone(),
                })
            };
            (id, result)
        })
        .collect())
}

/// One DeleteGroups for `groups` at their coordinator.
async fn delete_at(
    connection: Arc<Connection>,
    groups: Vec<String>,
) -> ClientResult<BTreeMap<String, ClientResult<()>>> {
    let request = DeleteGroupsRequest::default()
        .with_groups_names(groups.iter().map(|g| group_id(g)).collect());
    let response = connection.send(request).await?;
    Ok(response
        .results
        .into_iter()
        .map(|r| {
            let id = r.group_id.to_string();
            let result = if r.error_code == 0 {
                Ok(())
            } else {
                Err(ClientError::kafka(
                    r.error_code,
                    None,
                    format!("group {id}"),
                ))
            };
            (id, result)
        })
        .collect())
}
