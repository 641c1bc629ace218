//! The group coordinator (classic protocol): consumer groups' membership state machines, their
//! timers and the committed offsets, with durable state in a journal under `log.dirs`.
//!
//! - [`group`] and [`rebalance`]: one group's Empty → PreparingRebalance → CompletingRebalance →
//!   Stable (→ Dead) state machine, pure in-memory logic; [`member`] one member.
//! - [`join`]: JoinGroup on one group.
//! - [`offsets`]: committed offsets and retention; [`offset_manager`]: the offset APIs;
//!   [`group_admin`]: list, describe and delete groups.
//! - [`journal`]: the on-disk format; [`durable`]: how state maps to its records.
//! - [`timers`]: the task that fires session, rebalance, sync and retention timers.
//!
//! All state sits behind one std mutex, held only for in-memory work and a journal append
//! (never across an `.await`); parked JoinGroup/SyncGroup answers are oneshot channels the
//! handlers await after the lock is released. After a restart groups come back Empty with their
//! protocol type, generation and committed offsets; members rejoin. Knows nothing of sockets or
//! wire versions: handlers translate.

mod durable;
mod group;
mod group_admin;
mod join;
mod journal;
mod member;
mod offset_manager;
mod offsets;
mod rebalance;
mod subscription;
pub mod timers;
pub mod types;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use kafka_protocol::error::ResponseError;
use tokio::sync::{oneshot, Notify};

use durable::{compact, replay};
use group::ClassicGroup;
pub use group::{GroupSettings, GroupState, Now, CLASSIC_GROUP_TYPE, CONSUMER_PROTOCOL_TYPE};
use journal::{Journal, Record};
use offsets::OffsetStore;
use types::*;

use super::config::BrokerConfig;
use super::logging;
use crate::Result;

/// Kafka's fixed timeout for a brand-new member waiting in a rebalance.
const NEW_MEMBER_JOIN_TIMEOUT_MS: u64 = 5 * 60 * 1000;

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
        if !groups.is_empty() {
            logging::info(&format!(
                "Loaded {} group(s) with committed offsets from {}",
                groups.len(),
                config.log_dir.display()
            ));
        }
        let coordinator = GroupCoordinator {
            config: CoordinatorConfig::from_broker(config),
            state: Mutex::new(State {
                active: true,
                groups,
                offsets,
                journal: loaded.journal,
                scheduled: None,
            }),
            timers_changed: Notify::new(),
        };
        // Groups that had members are Empty now (and from now on for offset retention): say so
        // in the journal, so a later crash does not restart their retention clock again.
        let mut state = coordinator.lock();
        let group_ids: Vec<String> = state.groups.keys().cloned().collect();
        for group_id in group_ids {
            coordinator.after_change(&mut state, &group_id);
        }
        drop(state);
        Ok(coordinator)
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
