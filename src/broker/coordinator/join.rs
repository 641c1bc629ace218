//! JoinGroup on one classic group, as Kafka 4.x's GroupMetadataManager handles it: new members
//! (KIP-394 MEMBER_ID_REQUIRED for dynamic members), known and pending members by group state,
//! static members (KIP-345) replacing their previous member id, and `group.max.size`. The
//! rebalance that a join starts or completes lives in `rebalance.rs`. Pure in-memory logic.

use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot;

use super::group::{ClassicGroup, GroupSettings, GroupState, Now};
use super::types::{ErrorCode, JoinRequest, JoinResult, SyncResult, NONE};
use crate::broker::logging;

/// JoinGroup v4+ dynamic members get their id through MEMBER_ID_REQUIRED first (KIP-394).
const MEMBER_ID_REQUIRED_MIN_VERSION: i16 = 4;
/// JoinGroup v9+ lets a rejoining static leader skip the assignment (KIP-814).
const SKIP_ASSIGNMENT_MIN_VERSION: i16 = 9;

fn code(error: ResponseError) -> ErrorCode {
    error.code()
}

impl ClassicGroup {
    /// JoinGroup on this group (the caller created it for a member without id).
    pub fn join(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        if !self.accepts_joining_member(&request.member_id, settings) {
            self.remove(&request.member_id);
            let _ = reply.send(JoinResult::error(
                code(ResponseError::GroupMaxSizeReached),
                "",
            ));
        } else if request.member_id.is_empty() {
            self.join_new_member(request, reply, settings, now);
        } else {
            self.join_existing_member(request, reply, settings, now);
        }
    }

    /// `group.max.size`: while preparing a rebalance, members already waiting always get in and
    /// others only while fewer than the maximum wait; otherwise existing members get in and new
    /// ones only below the maximum.
    fn accepts_joining_member(&self, member_id: &str, settings: &GroupSettings) -> bool {
        match self.state {
            GroupState::Empty | GroupState::Dead => true,
            GroupState::PreparingRebalance => {
                self.members
                    .get(member_id)
                    .is_some_and(|m| m.is_awaiting_join())
                    || self.awaiting_join_count() < settings.max_size
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.members.contains_key(member_id) || self.members.len() < settings.max_size
            }
        }
    }

    fn join_new_member(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        if self.state == GroupState::Dead {
            let _ = reply.send(JoinResult::error(
                code(ResponseError::CoordinatorNotAvailable),
                "",
            ));
            return;
        }
        let names = request.protocols.iter().map(|p| p.name.as_str());
        if !self.supports_protocols(&request.protocol_type, names) {
            let _ = reply.send(JoinResult::error(
                code(ResponseError::InconsistentGroupProtocol),
                "",
            ));
            return;
        }
        let new_id =
            Self::generate_member_id(&request.client_id, request.group_instance_id.as_deref());
        let existing_static = request
            .group_instance_id
            .as_ref()
            .map(|instance| self.static_members.get(instance).cloned());
        match existing_static {
            Some(Some(old_id)) => {
                logging::info(&format!(
                    "Static member with groupInstanceId={} and unknown member id joins group {} in {} state. Replacing previously mapped member {old_id} with this groupInstanceId.",
                    request.group_instance_id.as_deref().unwrap_or_default(),
                    self.id,
                    self.state.name()
                ));
                self.replace_static_member_then_rebalance_or_complete_join(
                    request, &old_id, &new_id, reply, settings, now,
                );
            }
            Some(None) => {
                self.add_member_then_rebalance_or_complete_join(
                    &new_id, request, reply, settings, now,
                );
            }
            None if request.api_version >= MEMBER_ID_REQUIRED_MIN_VERSION => {
                // The member must come back with this id; until then it holds up the join phase
                // for at most its session timeout.
                self.pending_join.insert(
                    new_id.clone(),
                    now.after_ms(i64::from(request.session_timeout_ms)),
                );
                let _ = reply.send(JoinResult::error(
                    code(ResponseError::MemberIdRequired),
                    new_id,
                ));
            }
            None => {
                self.add_member_then_rebalance_or_complete_join(
                    &new_id, request, reply, settings, now,
                );
            }
        }
    }

    fn join_existing_member(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        let member_id = request.member_id.clone();
        if self.state == GroupState::Dead {
            let _ = reply.send(JoinResult::error(
                code(ResponseError::CoordinatorNotAvailable),
                member_id,
            ));
            return;
        }
        let names = request.protocols.iter().map(|p| p.name.as_str());
        if !self.supports_protocols(&request.protocol_type, names) {
            let _ = reply.send(JoinResult::error(
                code(ResponseError::InconsistentGroupProtocol),
                member_id,
            ));
            return;
        }
        if self.is_pending_member(&member_id) {
            if request.group_instance_id.is_some() {
                // Pending ids are only handed to dynamic members; Kafka fails such a request
                // with an internal error.
                let _ = reply.send(JoinResult::error(
                    code(ResponseError::UnknownServerError),
                    member_id,
                ));
                return;
            }
            self.add_member_then_rebalance_or_complete_join(
                &member_id, request, reply, settings, now,
            );
            return;
        }
        if let Err(error) = self.validate_member(&member_id, request.group_instance_id.as_deref()) {
            let _ = reply.send(JoinResult::error(error, member_id));
            return;
        }
        let (is_leader, matches) = match self.members.get(&member_id) {
            Some(m) => (self.is_leader(&member_id), m.matches(&request.protocols)),
            None => (false, false),
        };
        match self.state {
            GroupState::PreparingRebalance => {
                self.update_member_then_rebalance_or_complete_join(request, reply, settings, now);
            }
            GroupState::CompletingRebalance if matches => {
                // The member lost the JoinGroup answer: send the current generation again.
                let result = self.generation_result(&member_id, is_leader, false, None);
                let _ = reply.send(result);
            }
            GroupState::Stable if !is_leader && matches => {
                // A follower without changes just gets the current generation, then syncs.
                let result = self.generation_result(&member_id, false, false, None);
                let _ = reply.send(result);
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                // Changed metadata, or the leader asking for a new assignment.
                self.update_member_then_rebalance_or_complete_join(request, reply, settings, now);
            }
            GroupState::Empty | GroupState::Dead => {
                let _ = reply.send(JoinResult::error(
                    code(ResponseError::UnknownMemberId),
                    member_id,
                ));
            }
        }
    }

    /// The current generation as a JoinGroup answer for `member_id`.
    pub(super) fn generation_result(
        &self,
        member_id: &str,
        with_members: bool,
        skip_assignment: bool,
        leader: Option<String>,
    ) -> JoinResult {
        JoinResult {
            error: NONE,
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader: leader.unwrap_or_else(|| self.leader.clone().unwrap_or_default()),
            skip_assignment,
            member_id: member_id.to_string(),
            members: if with_members {
                self.join_members()
            } else {
                Vec::new()
            },
        }
    }

    fn update_member(
        &mut self,
        member_id: &str,
        request: &JoinRequest,
        reply: Option<oneshot::Sender<JoinResult>>,
    ) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.protocols = request.protocols.clone();
            member.rebalance_timeout_ms = request.rebalance_timeout_ms;
            member.session_timeout_ms = request.session_timeout_ms;
            member.awaiting_join = reply;
        }
    }

    fn update_member_then_rebalance_or_complete_join(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        self.update_member(&request.member_id, &request, Some(reply));
        let reason = format!(
            "Updating metadata for member {} during {}; client reason: {}",
            request.member_id,
            self.state.name(),
            join_reason(&request)
        );
        self.maybe_prepare_rebalance_or_complete_join(&reason, settings, now);
    }

    fn add_member_then_rebalance_or_complete_join(
        &mut self,
        member_id: &str,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        let mut member = Self::new_member(member_id, &request);
        member.is_new = true;
        // A new member can neither heartbeat nor be noticed leaving while its JoinGroup waits,
        // so it gets a fixed join timeout instead of its session timeout.
        member.heartbeat_deadline = Some(
            now.after_ms(i64::try_from(settings.new_member_join_timeout_ms).unwrap_or(i64::MAX)),
        );
        if self.state == GroupState::PreparingRebalance && self.previous_state == GroupState::Empty
        {
            self.new_member_added = true;
        }
        self.add(member, Some(reply));
        let reason = format!(
            "Adding new member {member_id} with group instance id {}; client reason: {}",
            request.group_instance_id.as_deref().unwrap_or("None"),
            join_reason(&request)
        );
        self.maybe_prepare_rebalance_or_complete_join(&reason, settings, now);
    }

    /// A static member rejoined without its member id: the new id replaces the old one. A Stable
    /// group whose chosen protocol stays the same keeps its assignment and does not rebalance.
    fn replace_static_member_then_rebalance_or_complete_join(
        &mut self,
        request: JoinRequest,
        old_id: &str,
        new_id: &str,
        reply: oneshot::Sender<JoinResult>,
        settings: &GroupSettings,
        now: Now,
    ) {
        let current_leader = self.leader.clone();
        self.replace_static_member(old_id, new_id);
        self.reschedule_heartbeat(new_id, now);
        self.update_member(new_id, &request, Some(reply));
        match self.state {
            GroupState::Stable => {
                if self.protocol_name == self.select_protocol() {
                    logging::info(&format!(
                        "Static member which joins during Stable stage and doesn't affect the selected protocol will not trigger a rebalance (group {}).",
                        self.id
                    ));
                    let result = if request.api_version >= SKIP_ASSIGNMENT_MIN_VERSION {
                        let is_leader = self.is_leader(new_id);
                        self.generation_result(new_id, is_leader, is_leader, None)
                    } else {
                        // Older clients are told the previous leader id, so a rejoining static
                        // leader does not recompute an assignment it cannot skip.
                        self.generation_result(new_id, false, false, current_leader)
                    };
                    if let Some(member) = self.members.get_mut(new_id) {
                        member.complete_join(result);
                    }
                } else {
                    let reason = format!(
                        "Group's selectedProtocol will change because static member {new_id} with instance id {} joined with change of protocol; client reason: {}",
                        request.group_instance_id.as_deref().unwrap_or_default(),
                        join_reason(&request)
                    );
                    self.maybe_prepare_rebalance_or_complete_join(&reason, settings, now);
                }
            }
            GroupState::CompletingRebalance => {
                // The leader may already be assigning to the old id: start over.
                let reason = format!(
                    "Updating metadata for static member {new_id} with instance id {}; client reason: {}",
                    request.group_instance_id.as_deref().unwrap_or_default(),
                    join_reason(&request)
                );
                self.prepare_rebalance(&reason, settings, now);
            }
            _ => self.maybe_complete_join_phase(now),
        }
    }

    /// Moves a static member to a new member id, fencing whatever the old id had parked.
    fn replace_static_member(&mut self, old_id: &str, new_id: &str) {
        let Some(mut member) = self.members.remove(old_id) else {
            return;
        };
        let mut fenced = JoinResult::error(code(ResponseError::FencedInstanceId), old_id);
        fenced.leader = String::new();
        member.complete_join(fenced);
        member.complete_sync(SyncResult::error(code(ResponseError::FencedInstanceId)));
        member.id = new_id.to_string();
        member.is_new = false;
        member.heartbeat_deadline = None;
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), new_id.to_string());
        }
        if self.is_leader(old_id) {
            self.leader = Some(new_id.to_string());
        }
        self.members.insert(new_id.to_string(), member);
    }
}

fn join_reason(request: &JoinRequest) -> &str {
    request.reason.as_deref().unwrap_or("not provided")
}
