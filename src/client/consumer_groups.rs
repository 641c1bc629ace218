//! What kafka-consumer-groups asks of a cluster beyond [`super::group_admin`]: the group listing
//! in the order the brokers answered (Apache's tool prints it unsorted, merged broker by broker)
//! with the protocol-type filter Java's `ListGroupsOptions.forConsumerGroups()` applies, and
//! consumer-group descriptions that cover both protocols: classic groups through DescribeGroups
//! and KIP-848 groups through ConsumerGroupDescribe (asked only for groups DescribeGroups does
//! not know, at coordinators that speak it), as Java's `describeConsumerGroups` does.
//!
//! Owns routing and the plain result structs; printing belongs to `cli`.

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, GroupId,
};
use kafka_protocol::protocol::StrBytes;

use super::cluster::{BrokerInfo, Cluster};
use super::error::{ClientError, ClientResult};
use super::group::coordinator::at_coordinator;
use super::group::{TopicPartition, CONSUMER_PROTOCOL_TYPE};
use super::group_admin::{GroupAdmin, GroupDescription, GroupFilter};

/// ConsumerGroupDescribe's `member_type` when the broker does not say (v0).
const MEMBER_TYPE_UNKNOWN: i8 = -1;
/// ConsumerGroupDescribe's `member_type` of a member using the consumer protocol.
const MEMBER_TYPE_CONSUMER: i8 = 1;

/// One group as a broker listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    /// `None` when the broker is older than ListGroups v4.
    pub state: Option<String>,
    /// `None` when the broker is older than ListGroups v5 (e.g. "classic", "consumer").
    pub group_type: Option<String>,
}

/// The protocol of a consumer group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupProtocol {
    Classic,
    /// KIP-848's consumer protocol.
    Consumer,
}

/// A consumer group as Java's `ConsumerGroupDescription` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupInfo {
    pub group_id: String,
    pub protocol: GroupProtocol,
    /// "Stable", "Empty", "PreparingRebalance", "Assigning", ...
    pub state: String,
    /// The classic group's chosen protocol, or the consumer group's server assignor.
    pub assignor: String,
    pub coordinator: BrokerInfo,
    pub group_epoch: Option<i32>,
    pub target_assignment_epoch: Option<i32>,
    pub members: Vec<ConsumerMember>,
}

/// A member of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// Partitions owned now (broker order within a topic is not kept).
    pub assignment: Vec<TopicPartition>,
    /// Partitions the coordinator wants the member to own (consumer protocol only).
    pub target_assignment: Option<Vec<TopicPartition>>,
    /// The member epoch (consumer protocol only).
    pub member_epoch: Option<i32>,
    /// Whether a member of a consumer-protocol group already uses that protocol (brokers that
    /// report member types only).
    pub upgraded: Option<bool>,
}

/// Consumer-group queries on a cluster.
#[derive(Debug)]
pub struct ConsumerGroups<'a> {
    cluster: &'a Cluster,
}

impl<'a> ConsumerGroups<'a> {
    pub fn new(cluster: &'a Cluster) -> ConsumerGroups<'a> {
        ConsumerGroups { cluster }
    }

    /// ListGroups at every broker, groups in the order the brokers (by node id) listed them,
    /// each once (the first failing broker fails the listing, as Java's `all()` does); only consumer groups (protocol type "consumer" or empty). `states` and `types`
    /// are sent as filters (types only to brokers with ListGroups v5; states need v4).
    pub async fn list(
        &self,
        states: &[String],
        types: &[String],
    ) -> ClientResult<Vec<ListedGroup>> {
        let cluster = self.cluster;
        let metadata = cluster
            .retry("listGroups", || cluster.refresh_metadata(Some(&[])))
            .await?;
        let mut seen = BTreeSet::new();
        let mut groups = Vec::new();
        for broker in metadata.brokers.values() {
            for group in self.list_on(broker, states, types).await? {
                let consumer =
                    group.protocol_type.is_empty() || group.protocol_type == CONSUMER_PROTOCOL_TYPE;
                if consumer && seen.insert(group.group_id.clone()) {
                    groups.push(group);
                }
            }
        }
        Ok(groups)
    }

    /// ListGroups at one broker, through the group admin's request (the one ListGroups path).
    async fn list_on(
        &self,
        broker: &BrokerInfo,
        states: &[String],
        types: &[String],
    ) -> ClientResult<Vec<ListedGroup>> {
        let filter = GroupFilter {
            states: states.to_vec(),
            types: types.to_vec(),
        };
        let listings = GroupAdmin::new(self.cluster)
            .list_groups_on(broker, &filter)
            .await?;
        Ok(listings
            .into_iter()
            .map(|g| ListedGroup {
                group_id: g.group_id,
                protocol_type: g.protocol_type,
                state: g.state,
                group_type: g.group_type,
            })
            .collect())
    }

    /// Describes consumer groups, one result per id in `group_ids` order. A group DescribeGroups
    /// does not know (GROUP_ID_NOT_FOUND) is asked again with ConsumerGroupDescribe where its
    /// coordinator supports that; still unknown, it stays GROUP_ID_NOT_FOUND.
    pub async fn describe(
        &self,
        group_ids: &[String],
    ) -> ClientResult<Vec<(String, ClientResult<ConsumerGroupInfo>)>> {
        let classic = GroupAdmin::new(self.cluster)
            .describe_groups(group_ids)
            .await?;
        let mut out = Vec::with_capacity(classic.len());
        for (group, result) in classic {
            let result = match result {
                Ok(description) => from_classic(description),
                Err(e) if e.code() == Some(ResponseError::GroupIdNotFound) => {
                    match self.describe_consumer_protocol(&group).await {
                        Ok(Some(info)) => Ok(info),
                        Ok(None) => Err(e),
                        Err(other) => Err(other),
                    }
                }
                Err(e) => Err(e),
            };
            out.push((group, result));
        }
        Ok(out)
    }

    /// ConsumerGroupDescribe for one group at its coordinator; `None` when the coordinator does
    /// not speak it or does not know the group as a consumer-protocol group.
    async fn describe_consumer_protocol(
        &self,
        group: &str,
    ) -> ClientResult<Option<ConsumerGroupInfo>> {
        let cluster = self.cluster;
        if cluster.cached_metadata().brokers.is_empty() {
            cluster
                .retry("describeConsumerGroups", || {
                    cluster.refresh_metadata(Some(&[]))
                })
                .await?;
        }
        at_coordinator(cluster, group, "describeConsumerGroups", |connection| {
            let group = group.to_string();
            async move {
                if !connection.supports::<ConsumerGroupDescribeRequest>() {
                    return Ok(None);
                }
                let coordinator = coordinator_info(cluster, connection.broker());
                let request = ConsumerGroupDescribeRequest::default()
                    .with_group_ids(vec![GroupId(StrBytes::from_string(group.clone()))])
                    .with_include_authorized_operations(false);
                let response = connection.send(request).await?;
                from_consumer_protocol(&group, response, coordinator)
            }
        })
        .await
    }
}

/// The coordinator's node as metadata knows it, found by the address we are connected to.
fn coordinator_info(cluster: &Cluster, address: &str) -> BrokerInfo {
    let metadata = cluster.cached_metadata();
    metadata
        .brokers
        .values()
        .find(|b| b.address() == address)
        .cloned()
        .unwrap_or_else(|| {
            let (host, port) = address.rsplit_once(':').unwrap_or((address, ""));
            BrokerInfo {
                node_id: -1,
                host: host.to_string(),
                port: port.parse().unwrap_or_default(),
                rack: None,
            }
        })
}

fn from_classic(description: GroupDescription) -> ClientResult<ConsumerGroupInfo> {
    let protocol_type = description.protocol_type.as_str();
    if !protocol_type.is_empty() && protocol_type != CONSUMER_PROTOCOL_TYPE {
        return Err(ClientError::Other(format!(
            "Group {} is not a consumer group ({protocol_type}).",
            description.group_id
        )));
    }
    Ok(ConsumerGroupInfo {
        group_id: description.group_id,
        protocol: GroupProtocol::Classic,
        state: description.state,
        assignor: description.protocol,
        coordinator: description.coordinator,
        group_epoch: None,
        target_assignment_epoch: None,
        members: description
            .members
            .into_iter()
            .map(|m| ConsumerMember {
                member_id: m.member_id,
                group_instance_id: m.group_instance_id,
                client_id: m.client_id,
                host: m.client_host,
                assignment: m
                    .assignment
                    .map(|a| a.topic_partitions())
                    .unwrap_or_default(),
                target_assignment: None,
                member_epoch: None,
                upgraded: None,
            })
            .collect(),
    })
}

fn from_consumer_protocol(
    group: &str,
    response: ConsumerGroupDescribeResponse,
    coordinator: BrokerInfo,
) -> ClientResult<Option<ConsumerGroupInfo>> {
    let Some(described) = response
        .groups
        .into_iter()
        .find(|g| g.group_id.as_str() == group)
    else {
        return Ok(None);
    };
    if described.error_code == ResponseError::GroupIdNotFound.code() {
        return Ok(None);
    }
    if described.error_code != 0 {
        return Err(ClientError::kafka(
            described.error_code,
            described.error_message.map(|m| m.to_string()),
            format!("group {group}"),
        ));
    }
    let partitions =
        |assignment: &kafka_protocol::messages::consumer_group_describe_response::Assignment| {
            assignment
                .topic_partitions
                .iter()
                .flat_map(|t| {
                    t.partitions
                        .iter()
                        .map(move |&p| (t.topic_name.to_string(), p))
                })
                .collect::<Vec<_>>()
        };
    Ok(Some(ConsumerGroupInfo {
        group_id: group.to_string(),
        protocol: GroupProtocol::Consumer,
        state: described.group_state.to_string(),
        assignor: described.assignor_name.to_string(),
        coordinator,
        group_epoch: Some(described.group_epoch),
        target_assignment_epoch: Some(described.assignment_epoch),
        members: described
            .members
            .iter()
            .map(|m| ConsumerMember {
                member_id: m.member_id.to_string(),
                group_instance_id: m.instance_id.as_ref().map(|i| i.to_string()),
                client_id: m.client_id.to_string(),
                host: m.client_host.to_string(),
                assignment: partitions(&m.assignment),
                target_assignment: Some(partitions(&m.target_assignment)),
                member_epoch: Some(m.member_epoch),
                upgraded: (m.member_type != MEMBER_TYPE_UNKNOWN)
                    .then_some(m.member_type == MEMBER_TYPE_CONSUMER),
            })
            .collect(),
    }))
}
