//! The group coordinator (classic protocol): consumer groups' membership state machines, their
//! timers and the committed offsets, with durable state in a journal under `log.dirs`.
//!
//! - [`group`] and [`rebalance`]: one group's Empty → PreparingRebalance → CompletingRebalance →
//!   Stable (→ Dead) state machine, pure in-memory logic; [`member`] one member.
//! - [`offsets`]: committed offsets and retention; [`journal`]: the on-disk format.
//! - [`timers`]: the task that fires session, rebalance, sync and retention timers.
//!
//! All state sits behind one std mutex, held only for in-memory work and a journal append
//! (never across an `.await`); parked JoinGroup/SyncGroup answers are oneshot channels the
//! handlers await after the lock is released. After a restart groups come back Empty with their
//! protocol type, generation and committed offsets; members rejoin. Knows nothing of sockets or
//! wire versions: handlers translate.

mod group;
mod journal;
mod member;
mod offsets;
mod rebalance;
mod subscription;
pub mod timers;
pub mod types;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use kafka_protocol::error::ResponseError;
use tokio::sync::{oneshot, Notify};

use group::ClassicGroup;
pub use group::{GroupSettings, GroupState, Now, CLASSIC_GROUP_TYPE, CONSUMER_PROTOCOL_TYPE};
use journal::{Journal, OffsetEntry, Record};
use offsets::OffsetStore;
use types::*;

use super::config::BrokerConfig;
use super::logging;
use crate::Result;

/// Kafka's fixed timeout for a brand-new member waiting in a rebalance.
const NEW_MEMBER_JOIN_TIMEOUT_MS: u64 = 5 * 60 * 1000;
/// OffsetCommit v9+ answers GROUP_ID_NOT_FOUND for member commits to a missing group; older
/// versions ILLEGAL_GENERATION.
const COMMIT_GROUP_ID_NOT_FOUND_MIN_VERSION: i16 = 9;

/// Coordinator settings from the broker configuration.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    pub group: GroupSettings,
    pub min_session_timeout_ms: i32,
    pub max_session_timeout_ms: i32,
    pub offset_metadata_max_bytes: usize,
    pub offsets_retention_ms: i64,
    pub offsets_retention_check_interval_ms: u64,
}

impl CoordinatorConfig {
    pub fn from_broker(config: &BrokerConfig) -> Self {
        CoordinatorConfig {
            group: GroupSettings {
                initial_rebalance_delay_ms: config.group_initial_rebalance_delay_ms,
                max_size: usize::try_from(config.group_max_size).unwrap_or(usize::MAX),
                new_member_join_timeout_ms: NEW_MEMBER_JOIN_TIMEOUT_MS,
            },
            min_session_timeout_ms: config.group_min_session_timeout_ms,
            max_session_timeout_ms: config.group_max_session_timeout_ms,
            offset_metadata_max_bytes: config.offset_metadata_max_bytes,
            offsets_retention_ms: config.offsets_retention_ms,
            offsets_retention_check_interval_ms: config.offsets_retention_check_interval_ms,
        }
    }
}

/// A group's metadata as last written to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Persisted {
    protocol_type: Option<String>,
    generation: i32,
    empty: bool,
}

impl Persisted {
    fn of(group: &ClassicGroup) -> Self {
        Persisted {
            protocol_type: group.protocol_type().map(str::to_string),
            generation: group.generation(),
            empty: group.state() == GroupState::Empty,
        }
    }
}

#[derive(Debug)]
struct Entry {
    group: ClassicGroup,
    persisted: Option<Persisted>,
}

#[derive(Debug)]
struct State {
    /// False once the broker is shutting down: every request gets COORDINATOR_NOT_AVAILABLE.
    active: bool,
    groups: BTreeMap<String, Entry>,
    offsets: OffsetStore,
    journal: Journal,
    /// The deadline the timer task sleeps until; an earlier one must wake it.
    scheduled: Option<Instant>,
}

#[derive(Debug)]
pub struct GroupCoordinator {
    config: CoordinatorConfig,
    state: Mutex<State>,
    /// Wakes the timer task when a timer earlier than the one it sleeps for is set.
    timers_changed: Notify,
}

fn code(error: ResponseError) -> ErrorCode {
    error.code()
}

impl GroupCoordinator {
    /// Loads the durable state from `config.log_dir`.
    pub fn open(config: &BrokerConfig) -> Result<Self> {
        let loaded = Journal::load(&config.log_dir)?;
        journal::log_repair(&config.log_dir, loaded.truncated_bytes);
        let now = Now::current();
        let mut groups = BTreeMap::new();
        let mut offsets = OffsetStore::default();
        for record in &loaded.records {
            replay(&mut groups, &mut offsets, record, now.wall_ms);
        }
        for entry in groups.values_mut() {
            entry.persisted = Some(Persisted::of(&entry.group));
        }
        if !groups.is_empty() {
            logging::info(&format!(
                "Loaded {} group(s) with committed offsets from {}",
                groups.len(),
                config.log_dir.display()
            ));
        }
        Ok(GroupCoordinator {
            config: CoordinatorConfig::from_broker(config),
            state: Mutex::new(State {
                active: true,
                groups,
                offsets,
                journal: loaded.journal,
                scheduled: None,
            }),
            timers_changed: Notify::new(),
        })
    }

    pub fn config(&self) -> &CoordinatorConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent enough state to keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// JoinGroup; the answer may come only when the join phase completes.
    pub fn join_group(&self, request: JoinRequest) -> Reply<JoinResult> {
        let (reply, answer) = oneshot::channel();
        let mut state = self.lock();
        if !state.active {
            let _ = reply.send(JoinResult::error(
                code(ResponseError::CoordinatorNotAvailable),
                request.member_id,
            ));
            return answer;
        }
        let now = Now::current();
        let group_id = request.group_id.clone();
        if !state.groups.contains_key(&group_id) {
            if !request.member_id.is_empty() {
                let _ = reply.send(JoinResult::error(
                    code(ResponseError::UnknownMemberId),
                    request.member_id,
                ));
                return answer;
            }
            state.groups.insert(
                group_id.clone(),
                Entry {
                    group: ClassicGroup::new(&group_id, now.wall_ms),
                    persisted: None,
                },
            );
        }
        if let Some(entry) = state.groups.get_mut(&group_id) {
            entry.group.join(request, reply, &self.config.group, now);
        }
        self.after_change(&mut state, &group_id);
        answer
    }

    /// SyncGroup; followers' answers wait for the leader's assignment.
    pub fn sync_group(&self, request: SyncRequest) -> Reply<SyncResult> {
        let (reply, answer) = oneshot::channel();
        let mut state = self.lock();
        if !state.active {
            let _ = reply.send(SyncResult::error(code(
                ResponseError::CoordinatorNotAvailable,
            )));
            return answer;
        }
        let group_id = request.group_id.clone();
        match state.groups.get_mut(&group_id) {
            None => {
                let _ = reply.send(SyncResult::error(code(ResponseError::UnknownMemberId)));
            }
            Some(entry) => entry.group.sync(request, reply, Now::current()),
        }
        self.after_change(&mut state, &group_id);
        answer
    }

    pub fn heartbeat(&self, request: HeartbeatRequest) -> ErrorCode {
        let mut state = self.lock();
        if !state.active {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        let error = match state.groups.get_mut(&request.group_id) {
            None => code(ResponseError::UnknownMemberId),
            Some(entry) => entry.group.heartbeat(&request, Now::current()),
        };
        self.after_change(&mut state, &request.group_id);
        error
    }

    pub fn leave_group(&self, group_id: &str, members: &[LeavingMember]) -> LeaveResult {
        let mut state = self.lock();
        if !state.active {
            return LeaveResult {
                error: code(ResponseError::CoordinatorNotAvailable),
                members: Vec::new(),
            };
        }
        let result = match state.groups.get_mut(group_id) {
            None => LeaveResult {
                error: NONE,
                members: vec![code(ResponseError::UnknownMemberId); members.len()],
            },
            Some(entry) => entry
                .group
                .leave(members, &self.config.group, Now::current()),
        };
        self.after_change(&mut state, group_id);
        result
    }

    /// OffsetCommit for partitions of existing topics; one error code per offset, in order.
    pub fn commit_offsets(
        &self,
        request: &CommitRequest,
        offsets: Vec<OffsetToCommit>,
    ) -> Vec<ErrorCode> {
        let mut state = self.lock();
        let all = |error: ResponseError| vec![error.code(); offsets.len()];
        if !state.active {
            return all(ResponseError::CoordinatorNotAvailable);
        }
        let now = Now::current();
        let group_id = request.group_id.as_str();
        match state.groups.get_mut(group_id) {
            Some(entry) => {
                let checked = entry.group.validate_offset_commit(
                    &request.member_id,
                    request.group_instance_id.as_deref(),
                    request.generation_id,
                    now,
                );
                if let Err(error) = checked {
                    return vec![error; offsets.len()];
                }
            }
            None if request.generation_id < 0 => {
                // A commit outside group management creates a "simple" group.
                logging::info(&format!(
                    "[GroupId {group_id}] Creating a simple consumer group via manual offset commit."
                ));
                state.groups.insert(
                    group_id.to_string(),
                    Entry {
                        group: ClassicGroup::new(group_id, now.wall_ms),
                        persisted: None,
                    },
                );
            }
            None if request.api_version >= COMMIT_GROUP_ID_NOT_FOUND_MIN_VERSION => {
                return all(ResponseError::GroupIdNotFound);
            }
            None => return all(ResponseError::IllegalGeneration),
        }
        self.after_change(&mut state, group_id);

        let expire_timestamp_ms = (request.retention_time_ms != -1)
            .then(|| now.wall_ms.saturating_add(request.retention_time_ms));
        let mut errors = Vec::with_capacity(offsets.len());
        let mut entries = Vec::new();
        for o in offsets {
            let metadata = o.metadata.unwrap_or_default();
            if metadata.encode_utf16().count() > self.config.offset_metadata_max_bytes {
                errors.push(code(ResponseError::OffsetMetadataTooLarge));
                continue;
            }
            errors.push(NONE);
            entries.push(OffsetEntry {
                topic: o.topic,
                partition: o.partition,
                committed: CommittedOffset {
                    offset: o.offset,
                    leader_epoch: o.leader_epoch,
                    metadata,
                    commit_timestamp_ms: now.wall_ms,
                    expire_timestamp_ms,
                },
            });
        }
        if entries.is_empty() {
            return errors;
        }
        let record = Record::Offsets {
            group: group_id.to_string(),
            offsets: entries,
        };
        if let Err(e) = self.write(&mut state, &record) {
            logging::error(&format!("Cannot store offsets of group {group_id}: {e}"));
            // Storage failed: the client looks for the coordinator again and retries.
            for error in errors.iter_mut().filter(|e| **e == NONE) {
                *error = code(ResponseError::NotCoordinator);
            }
            return errors;
        }
        errors
    }

    /// OffsetFetch for one group: the requested partitions (`None` = every committed one).
    /// Unknown groups and partitions without a commit are not errors.
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        topics: FetchTopics,
    ) -> Result<Vec<FetchedTopic>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let known = state.groups.contains_key(group_id);
        Ok(match topics {
            None => state
                .offsets
                .group(group_id)
                .filter(|_| known)
                .map(|topics| {
                    topics
                        .iter()
                        .map(|(topic, partitions)| {
                            let partitions = partitions
                                .iter()
                                .map(|(p, o)| (*p, Some(o.clone())))
                                .collect();
                            (topic.clone(), partitions)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(topics) => topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let partitions = partitions
                        .into_iter()
                        .map(|p| {
                            let found = state.offsets.get(group_id, &topic, p).filter(|_| known);
                            (p, found.cloned())
                        })
                        .collect();
                    (topic, partitions)
                })
                .collect(),
        })
    }

    /// OffsetDelete for partitions of existing topics: a group-level error, or per topic the
    /// partitions with their errors.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<Vec<TopicErrors>, ErrorCode> {
        let mut state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let group = match state.groups.get(group_id) {
            None => return Err(code(ResponseError::GroupIdNotFound)),
            Some(entry) => &entry.group,
        };
        group.validate_offset_delete()?;
        let mut deleted = Vec::new();
        let mut results = Vec::with_capacity(topics.len());
        for (topic, partitions) in topics {
            let subscribed = group.is_subscribed_to(&topic);
            let errors = partitions
                .into_iter()
                .map(|p| {
                    if subscribed {
                        return (p, code(ResponseError::GroupSubscribedToTopic));
                    }
                    if state.offsets.get(group_id, &topic, p).is_some() {
                        deleted.push((topic.clone(), p));
                    }
                    (p, NONE)
                })
                .collect();
            results.push((topic, errors));
        }
        if !deleted.is_empty() {
            let record = Record::OffsetsDeleted {
                group: group_id.to_string(),
                partitions: deleted,
            };
            if let Err(e) = self.write(&mut state, &record) {
                logging::error(&format!("Cannot delete offsets of group {group_id}: {e}"));
                return Err(code(ResponseError::NotCoordinator));
            }
        }
        Ok(results)
    }

    /// ListGroups with Kafka's filters: states case-insensitively, types by name.
    pub fn list_groups(
        &self,
        states_filter: &[String],
        types_filter: &[String],
    ) -> Result<Vec<ListedGroup>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let states: HashSet<String> = states_filter
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        let classic_wanted = types_filter.is_empty()
            || types_filter
                .iter()
                .any(|t| t.to_lowercase() == CLASSIC_GROUP_TYPE);
        if !classic_wanted {
            return Ok(Vec::new());
        }
        Ok(state
            .groups
            .values()
            .map(|e| &e.group)
            .filter(|g| states.is_empty() || states.contains(&g.state().name().to_lowercase()))
            .map(ClassicGroup::listed)
            .collect())
    }

    /// DescribeGroups for one group; `None` if it does not exist.
    pub fn describe_group(&self, group_id: &str) -> Result<Option<DescribedGroup>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        Ok(state.groups.get(group_id).map(|e| e.group.describe()))
    }

    /// DeleteGroups: Empty groups are deleted with their offsets; duplicates are answered once.
    pub fn delete_groups(&self, group_ids: &[String]) -> Vec<(String, ErrorCode)> {
        let mut state = self.lock();
        let mut seen = HashSet::new();
        let mut results = Vec::new();
        for group_id in group_ids {
            if !seen.insert(group_id.as_str()) {
                continue;
            }
            let error = if !state.active {
                code(ResponseError::CoordinatorNotAvailable)
            } else {
                match state.groups.get(group_id) {
                    None => code(ResponseError::GroupIdNotFound),
                    Some(entry) => match entry.group.validate_delete() {
                        Err(error) => error,
                        Ok(()) => self.delete_group(&mut state, group_id),
                    },
                }
            };
            results.push((group_id.clone(), error));
        }
        results
    }

    fn delete_group(&self, state: &mut State, group_id: &str) -> ErrorCode {
        let record = Record::GroupDeleted {
            group: group_id.to_string(),
        };
        if let Err(e) = self.write(state, &record) {
            logging::error(&format!("Cannot delete group {group_id}: {e}"));
            return code(ResponseError::NotCoordinator);
        }
        logging::info(&format!(
            "Deleted group {group_id} and its committed offsets"
        ));
        NONE
    }

    /// A topic was deleted: its committed offsets go too.
    pub fn on_topic_deleted(&self, topic: &str) {
        let mut state = self.lock();
        if !state.offsets.has_topic(topic) {
            return;
        }
        let record = Record::TopicDeleted {
            topic: topic.to_string(),
        };
        if let Err(e) = self.write(&mut state, &record) {
            // The topic is gone either way; its offsets must not be served any more.
            logging::error(&format!(
                "Cannot record the removal of offsets of deleted topic {topic}: {e}"
            ));
            state.apply(&record);
        }
    }

    /// Fires due group timers and returns the earliest timer left (what the timer task sleeps
    /// until).
    pub fn expire(&self, now: Now) -> Option<Instant> {
        let mut state = self.lock();
        if !state.active {
            state.scheduled = None;
            return None;
        }
        let due: Vec<String> = state
            .groups
            .values()
            .filter(|e| e.group.next_deadline().is_some_and(|d| d <= now.instant))
            .map(|e| e.group.id().to_string())
            .collect();
        for group_id in due {
            if let Some(entry) = state.groups.get_mut(&group_id) {
                entry.group.expire(&self.config.group, now);
            }
            self.after_change(&mut state, &group_id);
        }
        let next = state
            .groups
            .values()
            .filter_map(|e| e.group.next_deadline())
            .min();
        state.scheduled = next;
        next
    }

    /// Offset retention: expired offsets are deleted, then Empty groups left without offsets.
    pub fn expire_offsets(&self, now_ms: i64) {
        let mut state = self.lock();
        if !state.active {
            return;
        }
        let retention_ms = self.config.offsets_retention_ms;
        let mut expired_count = 0;
        let group_ids: Vec<String> = state.groups.keys().cloned().collect();
        for group_id in group_ids {
            let Some(entry) = state.groups.get(&group_id) else {
                continue;
            };
            let (expired, all_expired) = state.offsets.expired(&entry.group, retention_ms, now_ms);
            let deletable = all_expired && entry.group.state() == GroupState::Empty;
            if !expired.is_empty() {
                expired_count += expired.len();
                let record = Record::OffsetsDeleted {
                    group: group_id.clone(),
                    partitions: expired,
                };
                if let Err(e) = self.write(&mut state, &record) {
                    logging::error(&format!("Cannot expire offsets of group {group_id}: {e}"));
                    continue;
                }
            }
            if deletable {
                self.delete_group(&mut state, &group_id);
            }
        }
        if expired_count > 0 {
            logging::info(&format!("Removed {expired_count} expired offset(s)"));
        }
    }

    /// Shutdown: stop serving, write a snapshot, and answer every parked request with
    /// NOT_COORDINATOR so clients do not wait on a broker that is going away.
    pub fn shutdown(&self) {
        let mut state = self.lock();
        if !state.active {
            return;
        }
        state.active = false;
        if let Err(e) = compact(&mut state) {
            logging::warn(&format!("Cannot write the group coordinator snapshot: {e}"));
        }
        let now = Now::current();
        for entry in state.groups.values_mut() {
            entry.group.unload(now);
        }
        state.scheduled = None;
        self.timers_changed.notify_one();
    }

    /// Journals a change, then applies it; compacts the journal when it has grown large. A
    /// change that cannot be journalled is not applied.
    fn write(&self, state: &mut State, record: &Record) -> Result<()> {
        state.journal.append(record)?;
        state.apply(record);
        if state.journal.wants_compaction() {
            if let Err(e) = compact(state) {
                logging::warn(&format!(
                    "Cannot compact the group coordinator journal: {e}"
                ));
            }
        }
        Ok(())
    }

    /// After an operation on `group_id`: journal its metadata if it changed, and wake the timer
    /// task if the group now has an earlier timer than the one it sleeps for.
    fn after_change(&self, state: &mut State, group_id: &str) {
        let Some(entry) = state.groups.get_mut(group_id) else {
            return;
        };
        let current = Persisted::of(&entry.group);
        let deadline = entry.group.next_deadline();
        if entry.persisted.as_ref() != Some(&current) {
            let record = Record::Group {
                group: group_id.to_string(),
                protocol_type: current.protocol_type.clone(),
                generation: current.generation,
                empty_since_ms: current.empty.then(|| entry.group.state_timestamp_ms()),
            };
            entry.persisted = Some(current);
            if let Err(e) = self.write(state, &record) {
                logging::warn(&format!("Cannot store metadata of group {group_id}: {e}"));
            }
        }
        if let Some(deadline) = deadline {
            if state.scheduled.is_none_or(|s| deadline < s) {
                state.scheduled = Some(deadline);
                self.timers_changed.notify_one();
            }
        }
    }
}

impl State {
    /// Applies a journalled change to the in-memory state (group records only matter when
    /// loading; at run time the live group is the source).
    fn apply(&mut self, record: &Record) {
        match record {
            Record::Group { .. } => {}
            other => replay_data(&mut self.groups, &mut self.offsets, other),
        }
    }
}

/// Rebuilds state from one record while loading.
fn replay(
    groups: &mut BTreeMap<String, Entry>,
    offsets: &mut OffsetStore,
    record: &Record,
    now_ms: i64,
) {
    if let Record::Group {
        group,
        protocol_type,
        generation,
        empty_since_ms,
    } = record
    {
        // Members are not restored: the group waits Empty for them to rejoin.
        let restored = ClassicGroup::restored(
            group,
            protocol_type.clone(),
            *generation,
            empty_since_ms.unwrap_or(now_ms),
        );
        groups.insert(
            group.clone(),
            Entry {
                group: restored,
                persisted: None,
            },
        );
        return;
    }
    if let Record::Offsets { group, .. } = record {
        // Offsets without group metadata belong to a simple group.
        groups.entry(group.clone()).or_insert_with(|| Entry {
            group: ClassicGroup::new(group, now_ms),
            persisted: None,
        });
    }
    replay_data(groups, offsets, record);
}

/// The effect of a non-metadata record, shared by loading and run time.
fn replay_data(groups: &mut BTreeMap<String, Entry>, offsets: &mut OffsetStore, record: &Record) {
    match record {
        Record::Group { .. } => {}
        Record::GroupDeleted { group } => {
            groups.remove(group);
            offsets.delete_group(group);
        }
        Record::Offsets {
            group,
            offsets: entries,
        } => {
            for e in entries {
                offsets.commit(group, &e.topic, e.partition, e.committed.clone());
            }
        }
        Record::OffsetsDeleted { group, partitions } => {
            for (topic, partition) in partitions {
                offsets.delete(group, topic, *partition);
            }
        }
        Record::TopicDeleted { topic } => offsets.delete_topic(topic),
    }
}

/// Writes the whole durable state as a snapshot and starts an empty journal.
fn compact(state: &mut State) -> Result<()> {
    let mut records = Vec::with_capacity(state.groups.len() * 2);
    for (group_id, entry) in &state.groups {
        let group = &entry.group;
        let empty = group.state() == GroupState::Empty;
        records.push(Record::Group {
            group: group_id.clone(),
            protocol_type: group.protocol_type().map(str::to_string),
            generation: group.generation(),
            empty_since_ms: empty.then(|| group.state_timestamp_ms()),
        });
        if let Some(topics) = state.offsets.group(group_id) {
            let offsets = topics
                .iter()
                .flat_map(|(topic, partitions)| {
                    partitions.iter().map(|(p, o)| OffsetEntry {
                        topic: topic.clone(),
                        partition: *p,
                        committed: o.clone(),
                    })
                })
                .collect();
            records.push(Record::Offsets {
                group: group_id.clone(),
                offsets,
            });
        }
    }
    state.journal.compact(&records)
}
