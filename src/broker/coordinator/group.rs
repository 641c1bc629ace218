//! One classic group's data and its membership primitives: members and static-member mapping,
//! pending (MEMBER_ID_REQUIRED) members, leader, protocol selection, subscriptions, timers and
//! the views ListGroups/DescribeGroups show. The rebalance transitions that use these live in
//! `rebalance.rs`. Pure in-memory logic on explicit clock values: no I/O, no locks, no async.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot;

use super::member::Member;
use super::subscription;
use super::types::{
    DescribedGroup, DescribedMember, ErrorCode, JoinMember, JoinRequest, JoinResult, ListedGroup,
};

/// The protocol type of groups formed by consumers (the only one whose metadata the broker
/// reads, to learn subscriptions).
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";
/// What ListGroups v5+ calls every group this coordinator runs.
pub const CLASSIC_GROUP_TYPE: &str = "classic";

/// The classic group states, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// Coordinator-wide settings the state machine needs.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    /// `group.initial.rebalance.delay.ms`.
    pub initial_rebalance_delay_ms: u64,
    /// `group.max.size`.
    pub max_size: usize,
    /// How long a brand-new member may wait in a rebalance before it is dropped (Kafka's fixed
    /// 5 minutes).
    pub new_member_join_timeout_ms: u64,
}

/// The clock an operation runs at: a monotonic instant for timers and wall-clock milliseconds
/// for state timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub wall_ms: i64,
}

impl Now {
    pub fn current() -> Self {
        Now {
            instant: Instant::now(),
            wall_ms: chrono::Utc::now().timestamp_millis(),
        }
    }

    /// The instant `ms` milliseconds from now (negative durations count as zero).
    pub fn after_ms(&self, ms: i64) -> Instant {
        self.instant + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }
}

/// The group's join-phase timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JoinTimer {
    /// The initial rebalance of a group that was Empty, extended while new members arrive.
    Initial { delay_ms: u64, remaining_ms: u64 },
    /// The rebalance timeout: members that have not rejoined by then are dropped.
    Rebalance,
}

#[derive(Debug)]
pub struct ClassicGroup {
    pub(super) id: String,
    pub(super) state: GroupState,
    pub(super) previous_state: GroupState,
    /// Wall-clock time of the last state change (offset retention counts from when a group
    /// became Empty).
    pub(super) state_timestamp_ms: i64,
    pub(super) protocol_type: Option<String>,
    pub(super) protocol_name: Option<String>,
    pub(super) generation: i32,
    pub(super) leader: Option<String>,
    /// Ordered by id, so "the next member" (new leader) is deterministic.
    pub(super) members: BTreeMap<String, Member>,
    /// Group instance id → member id.
    pub(super) static_members: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the deadline to rejoin by.
    pub(super) pending_join: BTreeMap<String, Instant>,
    /// Members that have not sent SyncGroup for the current generation.
    pub(super) pending_sync: HashSet<String>,
    /// Topics the members subscribe to (consumer groups with parsable metadata only).
    pub(super) subscribed_topics: Option<HashSet<String>>,
    /// A member joined during the initial rebalance delay, which extends it.
    pub(super) new_member_added: bool,
    pub(super) join_timer: Option<(Instant, JoinTimer)>,
    /// The deadline for SyncGroup from every member of the given generation.
    pub(super) sync_timer: Option<(Instant, i32)>,
}

impl ClassicGroup {
    /// A new, Empty group at generation 0.
    pub fn new(id: &str, now_ms: i64) -> Self {
        Self::restored(id, None, 0, now_ms)
    }

    /// An Empty group as it was persisted.
    pub fn restored(
        id: &str,
        protocol_type: Option<String>,
        generation: i32,
        state_timestamp_ms: i64,
    ) -> Self {
        let mut group = ClassicGroup {
            id: id.to_string(),
            state: GroupState::Empty,
            previous_state: GroupState::Dead,
            state_timestamp_ms,
            protocol_type,
            protocol_name: None,
            generation,
            leader: None,
            members: BTreeMap::new(),
            static_members: HashMap::new(),
            pending_join: BTreeMap::new(),
            pending_sync: HashSet::new(),
            subscribed_topics: None,
            new_member_added: false,
            join_timer: None,
            sync_timer: None,
        };
        group.subscribed_topics = group.compute_subscribed_topics();
        group
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn state(&self) -> GroupState {
        self.state
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }

    pub fn state_timestamp_ms(&self) -> i64 {
        self.state_timestamp_ms
    }

    pub fn is_pending_member(&self, id: &str) -> bool {
        self.pending_join.contains_key(id)
    }

    pub(super) fn is_leader(&self, id: &str) -> bool {
        self.leader.as_deref() == Some(id)
    }

    pub(super) fn transition(&mut self, to: GroupState, now: Now) {
        self.previous_state = self.state;
        self.state = to;
        self.state_timestamp_ms = now.wall_ms;
    }

    /// Whether a rebalance may start from the current state.
    pub(super) fn can_rebalance(&self) -> bool {
        matches!(
            self.state,
            GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty
        )
    }

    /// `<client id or instance id>-<uuid>`, as Kafka names members.
    pub(super) fn generate_member_id(client_id: &str, instance_id: Option<&str>) -> String {
        format!(
            "{}-{}",
            instance_id.unwrap_or(client_id),
            uuid::Uuid::new_v4()
        )
    }

    /// A member for `request` under `id`.
    pub(super) fn new_member(id: &str, request: &JoinRequest) -> Member {
        Member {
            id: id.to_string(),
            instance_id: request.group_instance_id.clone(),
            client_id: request.client_id.clone(),
            client_host: request.client_host.clone(),
            rebalance_timeout_ms: request.rebalance_timeout_ms,
            session_timeout_ms: request.session_timeout_ms,
            protocol_type: request.protocol_type.clone(),
            protocols: request.protocols.clone(),
            assignment: Bytes::new(),
            awaiting_join: None,
            awaiting_sync: None,
            is_new: false,
            heartbeat_deadline: None,
        }
    }

    /// Adds a member (its JoinGroup parked on `reply`); the first member sets the protocol type
    /// and the first member of a leaderless group leads.
    pub(super) fn add(&mut self, mut member: Member, reply: Option<oneshot::Sender<JoinResult>>) {
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        member.awaiting_join = reply;
        self.pending_join.remove(&member.id);
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member or pending member; a removed leader is replaced by the next member.
    /// Parked responses of the removed member are dropped (callers answer them first where
    /// Kafka does).
    pub(super) fn remove(&mut self, id: &str) {
        if let Some(member) = self.members.remove(id) {
            if let Some(instance) = &member.instance_id {
                if self.static_members.get(instance).map(String::as_str) == Some(id) {
                    self.static_members.remove(instance);
                }
            }
        }
        if self.is_leader(id) {
            self.leader = self.members.keys().next().cloned();
        }
        self.pending_join.remove(id);
        self.pending_sync.remove(id);
    }

    /// After the join phase: if the leader did not rejoin, the first member that did takes
    /// over. False when there is no leader or nobody rejoined.
    pub(super) fn maybe_elect_new_joined_leader(&mut self) -> bool {
        let Some(leader) = self.leader.clone() else {
            return false;
        };
        if self
            .members
            .get(&leader)
            .is_some_and(Member::is_awaiting_join)
        {
            return true;
        }
        match self.members.values().find(|m| m.is_awaiting_join()) {
            Some(joined) => {
                self.leader = Some(joined.id.clone());
                true
            }
            None => false,
        }
    }

    /// Checks that `member_id` is a member and, for a static member, that the instance id maps
    /// to it (else FENCED_INSTANCE_ID).
    pub(super) fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), ErrorCode> {
        if let Some(instance) = instance_id {
            match self.static_members.get(instance) {
                None => return Err(ResponseError::UnknownMemberId.code()),
                Some(existing) if existing != member_id => {
                    return Err(ResponseError::FencedInstanceId.code())
                }
                Some(_) => {}
            }
        }
        if self.members.contains_key(member_id) {
            Ok(())
        } else {
            Err(ResponseError::UnknownMemberId.code())
        }
    }

    /// Whether a member with this protocol type and these protocols can join: an Empty group
    /// takes any non-empty type and list; otherwise the type must match and one protocol must
    /// be supported by every current member.
    pub(super) fn supports_protocols<'a>(
        &self,
        protocol_type: &str,
        mut protocols: impl Iterator<Item = &'a str>,
    ) -> bool {
        if self.state == GroupState::Empty {
            return !protocol_type.is_empty() && protocols.next().is_some();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.any(|name| self.support_count(name) == self.members.len())
    }

    fn support_count(&self, protocol: &str) -> usize {
        self.members
            .values()
            .filter(|m| m.supports(protocol))
            .count()
    }

    /// The protocol every member supports that most members prefer. Kafka breaks ties in hash
    /// order; here the smallest name wins, so the choice is at least stable.
    pub(super) fn select_protocol(&self) -> Option<String> {
        let candidates: BTreeSet<&str> = self
            .members
            .values()
            .flat_map(|m| m.protocols.iter().map(|p| p.name.as_str()))
            .filter(|name| self.support_count(name) == self.members.len())
            .collect();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            if let Some(choice) = member.vote(&candidates) {
                *votes.entry(choice).or_default() += 1;
            }
        }
        let best = votes.values().copied().max()?;
        votes
            .into_iter()
            .find(|(_, count)| *count == best)
            .map(|(name, _)| name.to_string())
    }

    pub(super) fn awaiting_join_count(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.is_awaiting_join())
            .count()
    }

    /// Every member has rejoined and no MEMBER_ID_REQUIRED member is still expected.
    pub(super) fn has_all_members_joined(&self) -> bool {
        self.awaiting_join_count() == self.members.len() && self.pending_join.is_empty()
    }

    /// The largest rebalance timeout of the members: the join and sync phases' deadline.
    pub(super) fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
            .max(0)
    }

    pub fn uses_consumer_protocol(&self) -> bool {
        self.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE)
    }

    /// The union of the members' subscriptions, for consumer groups whose chosen protocol's
    /// metadata parses; `None` when unknown.
    pub(super) fn compute_subscribed_topics(&self) -> Option<HashSet<String>> {
        if !self.uses_consumer_protocol() {
            return None;
        }
        if self.members.is_empty() {
            return Some(HashSet::new());
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = HashSet::new();
        for member in self.members.values() {
            topics.extend(subscription::topics(&member.metadata(protocol))?);
        }
        Some(topics)
    }

    /// Whether the group actively subscribes to `topic`; when unknown, consumer groups count as
    /// subscribed to everything and other groups to nothing.
    pub fn is_subscribed_to(&self, topic: &str) -> bool {
        match &self.subscribed_topics {
            Some(topics) => topics.contains(topic),
            None => self.uses_consumer_protocol(),
        }
    }

    /// Every member with its metadata for the chosen protocol (what the leader receives).
    pub(super) fn join_members(&self) -> Vec<JoinMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinMember {
                member_id: m.id.clone(),
                group_instance_id: m.instance_id.clone(),
                metadata: m.metadata(protocol),
            })
            .collect()
    }

    /// The earliest timer of this group.
    pub fn next_deadline(&self) -> Option<Instant> {
        let members = self.members.values().filter_map(|m| m.heartbeat_deadline);
        let pending = self.pending_join.values().copied();
        let group = self
            .join_timer
            .map(|(d, _)| d)
            .into_iter()
            .chain(self.sync_timer.map(|(d, _)| d));
        members.chain(pending).chain(group).min()
    }

    pub fn listed(&self) -> ListedGroup {
        ListedGroup {
            group_id: self.id.clone(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            state: self.state.name(),
            group_type: CLASSIC_GROUP_TYPE,
        }
    }

    /// DescribeGroups' view: a Stable group shows its protocol and each member's metadata for
    /// it; other states show members without metadata.
    pub fn describe(&self) -> DescribedGroup {
        let stable_protocol = match self.state {
            GroupState::Stable => self.protocol_name.clone(),
            _ => None,
        };
        let members = self
            .members
            .values()
            .map(|m| DescribedMember {
                member_id: m.id.clone(),
                group_instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                metadata: stable_protocol
                    .as_deref()
                    .map(|p| m.metadata(p))
                    .unwrap_or_default(),
                assignment: m.assignment.clone(),
            })
            .collect();
        DescribedGroup {
            group_id: self.id.clone(),
            state: self.state.name(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol_data: stable_protocol.unwrap_or_default(),
            members,
        }
    }
}
