//! One round of the classic join protocol for a member: JoinGroup (with the KIP-394
//! MEMBER_ID_REQUIRED second try), the leader's assignment, SyncGroup. Each call of
//! [`join_round`] sends at most one JoinGroup and one SyncGroup and says whether the member is
//! in, must go again at once, or failed; the caller loops with backoff and a deadline.
//!
//! Owns the request shapes, the error reactions of Java's `JoinGroupResponseHandler` and
//! `SyncGroupResponseHandler`, and the leader's use of the assignors.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{GroupId, JoinGroupRequest, SyncGroupRequest};
use kafka_protocol::protocol::StrBytes;

use super::assignor::sticky::OwnedPartitions;
use super::assignor::{Assignor, MemberSubscription};
use super::config::GroupConfig;
use super::link::CoordinatorLink;
use super::state::SharedState;
use super::TopicPartition;
use crate::client::error::{ClientError, ClientResult};
use crate::protocol::consumer_protocol::{Assignment, Subscription as ProtocolSubscription};

/// The embedded protocol type of consumer groups.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";
/// The first JoinGroup version with `group_instance_id` (static membership).
const JOIN_INSTANCE_ID_VERSION: i16 = 5;
/// The first SyncGroup version with `group_instance_id`.
const SYNC_INSTANCE_ID_VERSION: i16 = 3;
/// The first SyncGroup version with `protocol_type` / `protocol_name`.
const SYNC_PROTOCOL_VERSION: i16 = 5;

/// A completed join: the generation and what this member got.
#[derive(Debug, Clone)]
pub(super) struct Joined {
    pub generation_id: i32,
    pub member_id: String,
    pub protocol: String,
    pub is_leader: bool,
    pub assignment: Assignment,
    /// Partition counts the leader assigned from (topic → count, 0 = no metadata), so it can
    /// notice later changes; `None` for followers.
    pub leader_snapshot: Option<BTreeMap<String, i32>>,
}

/// The outcome of one round.
pub(super) enum Round {
    Joined(Joined),
    /// Go again at once (new member id, rebalance restarted during sync, ...).
    Again,
}

/// Sends one JoinGroup (and, if that completes, one SyncGroup) for a member subscribed to
/// `topics` that owns `owned` going in (sent in the subscription, with the generation they
/// belong to, for the cooperative-sticky leader).
pub(super) async fn join_round(
    link: &CoordinatorLink,
    config: &GroupConfig,
    state: &SharedState,
    topics: &BTreeSet<String>,
    owned: &BTreeSet<TopicPartition>,
    reason: &str,
) -> ClientResult<Round> {
    let connection = link.connection().await?;
    let version = link.version::<JoinGroupRequest>(&connection)?;
    if config.group_instance_id.is_some() && version < JOIN_INSTANCE_ID_VERSION {
        return Err(ClientError::Config(format!(
            "the group coordinator only supports JoinGroup v{version}; static membership \
             (group.instance.id) needs v{JOIN_INSTANCE_ID_VERSION}"
        )));
    }
    let (member_id, generation_id) = {
        let s = state.lock();
        (s.member_id.clone(), s.generation_id)
    };
    let mut subscription = ProtocolSubscription::new(topics.iter().cloned().collect());
    subscription.generation_id = generation_id;
    for (topic, partition) in owned {
        subscription
            .owned_partitions
            .entry(topic.clone())
            .or_default()
            .push(*partition);
    }
    let metadata = Bytes::from(subscription.encode());
    let request = JoinGroupRequest::default()
        .with_group_id(group_id(&config.group_id))
        .with_session_timeout_ms(config.session_timeout_ms())
        .with_rebalance_timeout_ms(config.rebalance_timeout_ms())
        .with_member_id(StrBytes::from_string(member_id))
        .with_group_instance_id(config.group_instance_id.as_ref().map(|i| s(i)))
        .with_protocol_type(StrBytes::from_static_str(CONSUMER_PROTOCOL_TYPE))
        .with_protocols(
            config
                .assignors
                .iter()
                .map(|a| {
                    JoinGroupRequestProtocol::default()
                        .with_name(StrBytes::from_static_str(a.name()))
                        .with_metadata(metadata.clone())
                })
                .collect(),
        )
        .with_reason(Some(s(reason)));
    let response = link.send(&connection, request, version, false).await?;
    let context = format!("joining group {}", config.group_id);
    match response.error_code {
        0 => {}
        code if code == ResponseError::MemberIdRequired.code() => {
            // KIP-394: the coordinator parked the id it generated; join again with it.
            state.lock().member_id = response.member_id.to_string();
            return Ok(Round::Again);
        }
        code if code == ResponseError::UnknownMemberId.code() => {
            state.reset_member("the coordinator does not know this member");
            return Ok(Round::Again);
        }
        code if code == ResponseError::IllegalGeneration.code() => {
            state.reset_generation("the generation is no longer valid");
            return Ok(Round::Again);
        }
        code => return Err(ClientError::kafka(code, None, context)),
    }
    let member_id = response.member_id.to_string();
    let generation_id = response.generation_id;
    // v7+ may send null; earlier versions send "" for "no protocol".
    let protocol = response
        .protocol_name
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    {
        let mut s = state.lock();
        s.member_id = member_id.clone();
        s.generation_id = generation_id;
    }
    let is_leader = response.leader.as_str() == member_id;
    let (assignments, leader_snapshot) = if is_leader {
        let assignor = Assignor::by_name(&protocol).ok_or_else(|| {
            ClientError::Other(format!(
                "the coordinator chose protocol {protocol:?} for group {}, which this member did not offer",
                config.group_id
            ))
        })?;
        let (assignments, snapshot) = leader_assignments(link, assignor, &response.members).await?;
        // A static leader rejoining without a rebalance (v9 skip_assignment) must not hand out
        // new assignments; it only learns the group's subscriptions.
        let assignments = if response.skip_assignment {
            Vec::new()
        } else {
            assignments
        };
        (assignments, Some(snapshot))
    } else {
        (Vec::new(), None)
    };
    let sync_version = link.version::<SyncGroupRequest>(&connection)?;
    let mut sync = SyncGroupRequest::default()
        .with_group_id(group_id(&config.group_id))
        .with_generation_id(generation_id)
        .with_member_id(s(&member_id))
        .with_assignments(assignments);
    if sync_version >= SYNC_INSTANCE_ID_VERSION {
        sync = sync.with_group_instance_id(config.group_instance_id.as_ref().map(|i| s(i)));
    } else if config.group_instance_id.is_some() {
        return Err(ClientError::Config(format!(
            "the group coordinator only supports SyncGroup v{sync_version}; static membership \
             needs v{SYNC_INSTANCE_ID_VERSION}"
        )));
    }
    if sync_version >= SYNC_PROTOCOL_VERSION {
        sync = sync
            .with_protocol_type(Some(StrBytes::from_static_str(CONSUMER_PROTOCOL_TYPE)))
            .with_protocol_name(Some(s(&protocol)));
    }
    let synced = link.send(&connection, sync, sync_version, false).await?;
    let context = format!("syncing group {}", config.group_id);
    match synced.error_code {
        0 => {}
        code if code == ResponseError::RebalanceInProgress.code() => return Ok(Round::Again),
        code if code == ResponseError::UnknownMemberId.code() => {
            state.reset_member("the coordinator does not know this member");
            return Ok(Round::Again);
        }
        code if code == ResponseError::IllegalGeneration.code() => {
            state.reset_generation("the generation is no longer valid");
            return Ok(Round::Again);
        }
        code => return Err(ClientError::kafka(code, None, context)),
    }
    let assignment = Assignment::decode(&synced.assignment).map_err(|e| {
        ClientError::Other(format!(
            "group {}: the leader's assignment is unreadable: {e}",
            config.group_id
        ))
    })?;
    Ok(Round::Joined(Joined {
        generation_id,
        member_id,
        protocol,
        is_leader,
        assignment,
        leader_snapshot,
    }))
}

/// The leader's work: read every member's subscription, look up the partition counts of all
/// subscribed topics, run the assignor. Returns the SyncGroup assignments and the counts used.
async fn leader_assignments(
    link: &CoordinatorLink,
    assignor: Assignor,
    members: &[JoinGroupResponseMember],
) -> ClientResult<(Vec<SyncGroupRequestAssignment>, BTreeMap<String, i32>)> {
    let mut subscriptions = Vec::with_capacity(members.len());
    let mut owned = BTreeMap::new();
    for m in members {
        // An unreadable subscription (not a consumer-protocol member) subscribes to nothing
        // and owns nothing: it gets an empty assignment instead of failing the whole group.
        let decoded = ProtocolSubscription::decode(&m.metadata).ok();
        let member_id = m.member_id.to_string();
        if let Some(sub) = &decoded {
            owned.insert(
                member_id.clone(),
                OwnedPartitions {
                    generation_id: sub.generation_id,
                    partitions: sub
                        .owned_partitions
                        .iter()
                        .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
                        .collect(),
                },
            );
        }
        subscriptions.push(MemberSubscription {
            member_id,
            group_instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
            topics: decoded
                .map(|sub| sub.topics.into_iter().collect())
                .unwrap_or_default(),
        });
    }
    let topics: BTreeSet<String> = subscriptions
        .iter()
        .flat_map(|m| m.topics.iter().cloned())
        .collect();
    let counts = partition_counts(link, &topics).await?;
    let assigned = assignor.assign_owned(
        &counts
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(t, &n)| (t.clone(), n))
            .collect(),
        &subscriptions,
        &owned,
    );
    let assignments = assigned
        .into_iter()
        .map(|(member_id, partitions)| {
            SyncGroupRequestAssignment::default()
                .with_member_id(StrBytes::from_string(member_id))
                .with_assignment(Bytes::from(Assignment::new(partitions).encode()))
        })
        .collect();
    Ok((assignments, counts))
}

/// Partition counts of `topics` from fresh metadata; 0 for topics without metadata (missing,
/// or failing), which the assignors skip.
pub(super) async fn partition_counts(
    link: &CoordinatorLink,
    topics: &BTreeSet<String>,
) -> ClientResult<BTreeMap<String, i32>> {
    let names: Vec<String> = topics.iter().cloned().collect();
    let cluster = link.cluster();
    let metadata = cluster
        .retry("Metadata for the group's topics", || {
            cluster.refresh_metadata(Some(&names))
        })
        .await?;
    Ok(topics
        .iter()
        .map(|t| {
            let count = metadata
                .topics
                .get(t)
                .filter(|info| info.error_code == 0)
                .map_or(0, |info| info.partitions.len() as i32);
            (t.clone(), count)
        })
        .collect())
}

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn group_id(value: &str) -> GroupId {
    GroupId(s(value))
}
