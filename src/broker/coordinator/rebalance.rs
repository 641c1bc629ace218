//! The classic rebalance protocol on one group, as Kafka 4.x's GroupMetadataManager runs it:
//! preparing and completing the join phase (generations, leader, protocol), SyncGroup,
//! Heartbeat, LeaveGroup, the membership checks of OffsetCommit/OffsetDelete/DeleteGroups, and
//! the timers (session, new-member join, initial rebalance delay, rebalance, sync). JoinGroup
//! itself is in `join.rs`. Pure in-memory logic on explicit clock values; parked answers go out
//! through the members' oneshot senders.

use std::collections::HashMap;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot;

use super::group::{ClassicGroup, GroupSettings, GroupState, JoinTimer, Now};
use super::types::{
    ErrorCode, HeartbeatRequest, JoinResult, LeaveResult, LeavingMember, SyncRequest, SyncResult,
    NONE,
};
use crate::broker::logging;

fn code(error: ResponseError) -> ErrorCode {
    error.code()
}

impl ClassicGroup {
    pub(super) fn maybe_prepare_rebalance_or_complete_join(
        &mut self,
        reason: &str,
        settings: &GroupSettings,
        now: Now,
    ) {
        if self.can_rebalance() {
            self.prepare_rebalance(reason, settings, now);
        } else {
            self.maybe_complete_join_phase(now);
        }
    }

    pub(super) fn prepare_rebalance(&mut self, reason: &str, settings: &GroupSettings, now: Now) {
        if self.state == GroupState::CompletingRebalance {
            // Members waiting in SyncGroup must rejoin.
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
            }
            self.propagate_assignment(code(ResponseError::RebalanceInProgress), now);
        }
        self.pending_sync.clear();
        self.sync_timer = None;
        let initial = self.state == GroupState::Empty;
        if initial {
            // A new group waits for more members before its first generation.
            let delay_ms = settings.initial_rebalance_delay_ms;
            let remaining_ms = u64::try_from(self.rebalance_timeout_ms())
                .unwrap_or(0)
                .saturating_sub(delay_ms);
            self.join_timer = Some((
                now.instant + std::time::Duration::from_millis(delay_ms),
                JoinTimer::Initial {
                    delay_ms,
                    remaining_ms,
                },
            ));
        }
        self.transition(GroupState::PreparingRebalance, now);
        logging::info(&format!(
            "Preparing to rebalance group {} in state {} with old generation {} (reason: {reason}).",
            self.id,
            self.state.name(),
            self.generation
        ));
        if !initial {
            self.maybe_complete_join_else_schedule(now);
        }
    }

    fn maybe_complete_join_else_schedule(&mut self, now: Now) {
        if self.has_all_members_joined() {
            self.complete_join(now);
        } else {
            self.join_timer = Some((
                now.after_ms(self.rebalance_timeout_ms()),
                JoinTimer::Rebalance,
            ));
        }
    }

    /// Completes the join phase once everyone rejoined, except during an initial rebalance,
    /// which always waits for its delay.
    pub(super) fn maybe_complete_join_phase(&mut self, now: Now) {
        if self.state == GroupState::PreparingRebalance
            && self.previous_state != GroupState::Empty
            && self.has_all_members_joined()
        {
            self.complete_join(now);
        }
    }

    /// Ends the join phase: drops dynamic members that did not rejoin, moves to the next
    /// generation and answers every parked JoinGroup (the leader gets the member list).
    pub(super) fn complete_join(&mut self, now: Now) {
        self.join_timer = None;
        let not_rejoined: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.is_awaiting_join() && !m.is_static())
            .map(|m| m.id.clone())
            .collect();
        if !not_rejoined.is_empty() {
            for id in &not_rejoined {
                self.remove(id);
            }
            logging::info(&format!(
                "Group {} removed dynamic members who haven't joined: {not_rejoined:?}",
                self.id
            ));
        }
        if self.state == GroupState::Dead {
            return;
        }
        if !self.maybe_elect_new_joined_leader() && !self.members.is_empty() {
            // Only static members that did not rejoin are left: wait another rebalance timeout
            // for them (their sessions expire them otherwise).
            logging::error(&format!(
                "Group {} could not complete rebalance because no members rejoined.",
                self.id
            ));
            self.join_timer = Some((
                now.after_ms(self.rebalance_timeout_ms()),
                JoinTimer::Rebalance,
            ));
            return;
        }
        self.init_next_generation(now);
        if self.state == GroupState::Empty {
            logging::info(&format!(
                "Group {} with generation {} is now empty.",
                self.id, self.generation
            ));
            return;
        }
        logging::info(&format!(
            "Stabilized group {} generation {} with {} members.",
            self.id,
            self.generation,
            self.members.len()
        ));
        let all = self.join_members();
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let is_leader = self.is_leader(&id);
            let mut result = self.generation_result(&id, false, false, None);
            if is_leader {
                result.members = all.clone();
            }
            if let Some(member) = self.members.get_mut(&id) {
                member.complete_join(result);
                member.is_new = false;
            }
            self.reschedule_heartbeat(&id, now);
            self.pending_sync.insert(id);
        }
        self.sync_timer = Some((now.after_ms(self.rebalance_timeout_ms()), self.generation));
    }

    fn init_next_generation(&mut self, now: Now) {
        self.generation = self.generation.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition(GroupState::Empty, now);
        } else {
            self.protocol_name = self.select_protocol();
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition(GroupState::CompletingRebalance, now);
        }
        self.pending_sync.clear();
    }

    /// The initial-rebalance timer: extend while new members keep arriving (bounded by the
    /// rebalance timeout), else complete the join phase.
    fn try_complete_initial_rebalance(
        &mut self,
        delay_ms: u64,
        remaining_ms: u64,
        settings: &GroupSettings,
        now: Now,
    ) {
        if self.new_member_added && remaining_ms != 0 {
            self.new_member_added = false;
            let new_delay_ms = settings.initial_rebalance_delay_ms.min(remaining_ms);
            let new_remaining_ms = remaining_ms.saturating_sub(delay_ms);
            self.join_timer = Some((
                now.instant + std::time::Duration::from_millis(new_delay_ms),
                JoinTimer::Initial {
                    delay_ms: new_delay_ms,
                    remaining_ms: new_remaining_ms,
                },
            ));
        } else {
            self.complete_join(now);
        }
    }

    /// Answers every parked SyncGroup with its member's assignment (or `error`), restarting
    /// those members' sessions.
    fn propagate_assignment(&mut self, error: ErrorCode, now: Now) {
        let (protocol_type, protocol_name) = if error == NONE {
            (self.protocol_type.clone(), self.protocol_name.clone())
        } else {
            (None, None)
        };
        let mut answered = Vec::new();
        for member in self.members.values_mut() {
            let result = SyncResult {
                error,
                protocol_type: protocol_type.clone(),
                protocol_name: protocol_name.clone(),
                assignment: member.assignment.clone(),
            };
            if member.complete_sync(result) {
                answered.push(member.id.clone());
            }
        }
        for id in answered {
            self.reschedule_heartbeat(&id, now);
        }
    }

    /// SyncGroup: followers wait for the leader's assignment; the leader's completes the
    /// rebalance.
    pub fn sync(&mut self, request: SyncRequest, reply: oneshot::Sender<SyncResult>, now: Now) {
        if let Err(error) = self.validate_sync(&request) {
            let _ = reply.send(SyncResult::error(error));
            return;
        }
        let member_id = request.member_id.clone();
        match self.state {
            GroupState::PreparingRebalance => {
                let _ = reply.send(SyncResult::error(code(ResponseError::RebalanceInProgress)));
            }
            GroupState::CompletingRebalance => {
                if let Some(member) = self.members.get_mut(&member_id) {
                    member.awaiting_sync = Some(reply);
                }
                self.remove_pending_sync_member(&member_id);
                if self.is_leader(&member_id) {
                    logging::info(&format!(
                        "Assignment received from leader {member_id} for group {} for generation {}. The group has {} members, {} of which are static.",
                        self.id,
                        self.generation,
                        self.members.len(),
                        self.static_members.len()
                    ));
                    let assignments: HashMap<String, Bytes> =
                        request.assignments.into_iter().collect();
                    for member in self.members.values_mut() {
                        member.assignment =
                            assignments.get(&member.id).cloned().unwrap_or_default();
                    }
                    self.propagate_assignment(NONE, now);
                    self.transition(GroupState::Stable, now);
                }
            }
            GroupState::Stable => {
                self.remove_pending_sync_member(&member_id);
                let assignment = self
                    .members
                    .get(&member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default();
                let _ = reply.send(SyncResult {
                    error: NONE,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    assignment,
                });
            }
            GroupState::Empty | GroupState::Dead => {
                let _ = reply.send(SyncResult::error(code(ResponseError::UnknownMemberId)));
            }
        }
    }

    fn validate_sync(&self, request: &SyncRequest) -> Result<(), ErrorCode> {
        match self.state {
            GroupState::Empty => return Err(code(ResponseError::UnknownMemberId)),
            GroupState::Dead => return Err(code(ResponseError::CoordinatorNotAvailable)),
            _ => {}
        }
        self.validate_member(&request.member_id, request.group_instance_id.as_deref())?;
        if request.generation_id != self.generation {
            return Err(code(ResponseError::IllegalGeneration));
        }
        let inconsistent = |given: &Option<String>, ours: &Option<String>| {
            given.as_ref().is_some_and(|g| Some(g) != ours.as_ref())
        };
        if inconsistent(&request.protocol_type, &self.protocol_type)
            || inconsistent(&request.protocol_name, &self.protocol_name)
        {
            return Err(code(ResponseError::InconsistentGroupProtocol));
        }
        Ok(())
    }

    fn remove_pending_sync_member(&mut self, member_id: &str) {
        self.pending_sync.remove(member_id);
        let all_synced = self.pending_sync.is_empty();
        match self.state {
            GroupState::CompletingRebalance | GroupState::Stable if !all_synced => {}
            _ => self.sync_timer = None,
        }
    }

    /// Heartbeat: keeps the session alive and tells members to rejoin during a rebalance.
    pub fn heartbeat(&mut self, request: &HeartbeatRequest, now: Now) -> ErrorCode {
        if self.state == GroupState::Dead {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        if let Err(error) =
            self.validate_member(&request.member_id, request.group_instance_id.as_deref())
        {
            return error;
        }
        if request.generation_id != self.generation {
            return code(ResponseError::IllegalGeneration);
        }
        match self.state {
            GroupState::PreparingRebalance => {
                self.reschedule_heartbeat(&request.member_id, now);
                code(ResponseError::RebalanceInProgress)
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.reschedule_heartbeat(&request.member_id, now);
                NONE
            }
            GroupState::Empty | GroupState::Dead => code(ResponseError::UnknownMemberId),
        }
    }

    pub(super) fn reschedule_heartbeat(&mut self, member_id: &str, now: Now) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.heartbeat_deadline = Some(now.after_ms(i64::from(member.session_timeout_ms)));
        }
    }

    /// LeaveGroup for a batch of members (an empty member id with an instance id removes that
    /// static member, as admin tools do).
    pub fn leave(
        &mut self,
        members: &[LeavingMember],
        settings: &GroupSettings,
        now: Now,
    ) -> LeaveResult {
        if self.state == GroupState::Dead {
            return LeaveResult {
                error: code(ResponseError::CoordinatorNotAvailable),
                members: Vec::new(),
            };
        }
        let mut errors = Vec::with_capacity(members.len());
        let mut left = Vec::new();
        for leaving in members {
            let result = if leaving.member_id.is_empty() {
                match leaving
                    .group_instance_id
                    .as_ref()
                    .and_then(|i| self.static_members.get(i).cloned())
                {
                    Some(id) => {
                        self.remove_current_member(&id);
                        left.push(id);
                        NONE
                    }
                    None => code(ResponseError::UnknownMemberId),
                }
            } else if self.is_pending_member(&leaving.member_id) {
                self.remove(&leaving.member_id);
                left.push(leaving.member_id.clone());
                NONE
            } else {
                match self.validate_member(&leaving.member_id, leaving.group_instance_id.as_deref())
                {
                    Ok(()) => {
                        self.remove_current_member(&leaving.member_id);
                        left.push(leaving.member_id.clone());
                        NONE
                    }
                    Err(error) => error,
                }
            };
            if result == NONE {
                logging::info(&format!(
                    "[Group {}] Member {} has left group through explicit `LeaveGroup` request; client reason: {}",
                    self.id,
                    leaving.member_id,
                    leaving.reason.as_deref().unwrap_or("not provided")
                ));
            }
            errors.push(result);
        }
        if !left.is_empty() {
            let reason = format!(
                "explicit `LeaveGroup` request for ({}) members.",
                left.join(", ")
            );
            match self.state {
                GroupState::Stable | GroupState::CompletingRebalance => {
                    self.maybe_prepare_rebalance_or_complete_join(&reason, settings, now);
                }
                GroupState::PreparingRebalance => self.maybe_complete_join_phase(now),
                GroupState::Empty | GroupState::Dead => {}
            }
        }
        LeaveResult {
            error: NONE,
            members: errors,
        }
    }

    /// Removes a member, answering its parked JoinGroup with UNKNOWN_MEMBER_ID so a still-alive
    /// client rejoins.
    fn remove_current_member(&mut self, member_id: &str) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.complete_join(JoinResult::error(code(ResponseError::UnknownMemberId), ""));
        }
        self.remove(member_id);
    }

    /// Fires every timer that is due at `now`, each at most once.
    pub fn expire(&mut self, settings: &GroupSettings, now: Now) {
        if self.state == GroupState::Dead {
            return;
        }
        let due = |deadline: &std::time::Instant| *deadline <= now.instant;
        let expired_pending: Vec<String> = self
            .pending_join
            .iter()
            .filter(|(_, deadline)| due(deadline))
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            logging::info(&format!(
                "Pending member {id} in group {} has been removed after session timeout expiration.",
                self.id
            ));
            self.remove(&id);
            if self.state == GroupState::PreparingRebalance && self.has_all_members_joined() {
                self.complete_join(now);
            }
        }
        let expired_members: Vec<String> = self
            .members
            .values()
            .filter(|m| m.heartbeat_deadline.as_ref().is_some_and(due))
            .map(|m| m.id.clone())
            .collect();
        for id in expired_members {
            // An earlier expiry in this pass may have completed a join and restarted sessions.
            let Some(member) = self.members.get_mut(&id) else {
                continue;
            };
            if !member.heartbeat_deadline.as_ref().is_some_and(due) {
                continue;
            }
            if member.has_satisfied_heartbeat() {
                // Waiting in a rebalance counts as alive; the session restarts when it ends.
                member.heartbeat_deadline = None;
                continue;
            }
            logging::info(&format!(
                "Member {id} in group {} has failed, removing it from the group.",
                self.id
            ));
            self.remove_member_and_update_group(&id, settings, now);
        }
        if let Some((deadline, timer)) = self.join_timer {
            if due(&deadline) {
                self.join_timer = None;
                match timer {
                    JoinTimer::Initial {
                        delay_ms,
                        remaining_ms,
                    } => self.try_complete_initial_rebalance(delay_ms, remaining_ms, settings, now),
                    JoinTimer::Rebalance => self.complete_join(now),
                }
            }
        }
        if let Some((deadline, generation)) = self.sync_timer {
            if due(&deadline) {
                self.sync_timer = None;
                self.expire_pending_sync(generation, settings, now);
            }
        }
    }

    fn remove_member_and_update_group(
        &mut self,
        member_id: &str,
        settings: &GroupSettings,
        now: Now,
    ) {
        self.remove_current_member(member_id);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                let reason = format!("removing member {member_id} on heartbeat expiration.");
                self.maybe_prepare_rebalance_or_complete_join(&reason, settings, now);
            }
            GroupState::PreparingRebalance if self.has_all_members_joined() => {
                self.complete_join(now);
            }
            _ => {}
        }
    }

    /// The sync timer: members of `generation` that never sent SyncGroup are removed.
    fn expire_pending_sync(&mut self, generation: i32, settings: &GroupSettings, now: Now) {
        if generation != self.generation
            || !matches!(
                self.state,
                GroupState::CompletingRebalance | GroupState::Stable
            )
            || self.pending_sync.is_empty()
        {
            return;
        }
        let mut missing: Vec<String> = self.pending_sync.iter().cloned().collect();
        missing.sort();
        for id in &missing {
            self.remove(id);
        }
        let reason = format!("Removing {missing:?} on pending sync request expiration");
        self.prepare_rebalance(&reason, settings, now);
    }

    /// OffsetCommit's membership checks. Simple commits (negative generation, no member) are
    /// accepted only while the group has no members; member commits restart the session while
    /// the group is Stable or preparing a rebalance.
    pub fn validate_offset_commit(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        now: Now,
    ) -> Result<(), ErrorCode> {
        if self.state == GroupState::Dead {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        if generation < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if generation >= 0 || !member_id.is_empty() || instance_id.is_some() {
            self.validate_member(member_id, instance_id)?;
            if generation != self.generation {
                return Err(code(ResponseError::IllegalGeneration));
            }
        } else {
            return Err(code(ResponseError::UnknownMemberId));
        }
        match self.state {
            GroupState::CompletingRebalance => Err(code(ResponseError::RebalanceInProgress)),
            GroupState::Stable | GroupState::PreparingRebalance => {
                self.reschedule_heartbeat(member_id, now);
                Ok(())
            }
            GroupState::Empty | GroupState::Dead => Ok(()),
        }
    }

    /// OffsetDelete is refused while a non-consumer group is active.
    pub fn validate_offset_delete(&self) -> Result<(), ErrorCode> {
        match self.state {
            GroupState::Dead => Err(code(ResponseError::GroupIdNotFound)),
            GroupState::Empty => Ok(()),
            _ if self.uses_consumer_protocol() => Ok(()),
            _ => Err(code(ResponseError::NonEmptyGroup)),
        }
    }

    /// DeleteGroups only deletes groups without members.
    pub fn validate_delete(&self) -> Result<(), ErrorCode> {
        match self.state {
            GroupState::Dead => Err(code(ResponseError::GroupIdNotFound)),
            GroupState::Empty => Ok(()),
            _ => Err(code(ResponseError::NonEmptyGroup)),
        }
    }

    /// The coordinator is going away: answer everything parked with NOT_COORDINATOR (clients
    /// look for the coordinator again) and mark the group Dead.
    pub fn unload(&mut self, now: Now) {
        let not_coordinator = code(ResponseError::NotCoordinator);
        for member in self.members.values_mut() {
            member.complete_join(JoinResult::error(not_coordinator, member.id.clone()));
            member.complete_sync(SyncResult::error(not_coordinator));
        }
        self.join_timer = None;
        self.sync_timer = None;
        self.transition(GroupState::Dead, now);
    }
}
