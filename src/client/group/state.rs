//! What a member and its heartbeat task both know: the member id and generation the coordinator
//! gave, whether a rejoin is needed (and why), a fatal error, and when `poll` was last called.
//! Owns the rules for resetting these after errors, as Java's `AbstractCoordinator` does.
//! The lock is a std mutex held only for field updates, never across an await.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::Instant;

use crate::client::error::ClientError;
use crate::protocol::consumer_protocol::NO_GENERATION;

/// The member's identity in the group and its pending work.
#[derive(Debug)]
pub(super) struct MemberState {
    /// "" until the coordinator assigns one.
    pub member_id: String,
    /// [`NO_GENERATION`] when not part of a completed rebalance.
    pub generation_id: i32,
    /// Why the member must (re)join, if it must.
    pub rejoin: Option<String>,
    /// An error that ends membership (FENCED_INSTANCE_ID, authorization): reported by `poll`.
    pub fatal: Option<ClientError>,
    /// The last `poll` (for `max.poll.interval.ms`).
    pub last_poll: Instant,
}

/// [`MemberState`] shared between the member and its heartbeat task.
#[derive(Debug, Clone)]
pub(super) struct SharedState(Arc<Mutex<MemberState>>);

impl SharedState {
    pub fn new() -> SharedState {
        SharedState(Arc::new(Mutex::new(MemberState {
            member_id: String::new(),
            generation_id: NO_GENERATION,
            rejoin: Some("initial join".to_string()),
            fatal: None,
            last_poll: Instant::now(),
        })))
    }

    pub fn lock(&self) -> MutexGuard<'_, MemberState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The group is rebalancing (or our view is stale): join again, keeping member id and
    /// generation (commits with the old generation are still accepted while it prepares).
    pub fn request_rejoin(&self, reason: &str) {
        self.lock().rejoin.get_or_insert_with(|| reason.to_string());
    }

    /// ILLEGAL_GENERATION: our generation is gone; rejoin with the same member id.
    pub fn reset_generation(&self, reason: &str) {
        let mut state = self.lock();
        state.generation_id = NO_GENERATION;
        state.rejoin.get_or_insert_with(|| reason.to_string());
    }

    /// UNKNOWN_MEMBER_ID, or the member left: rejoin from scratch.
    pub fn reset_member(&self, reason: &str) {
        let mut state = self.lock();
        state.member_id.clear();
        state.generation_id = NO_GENERATION;
        state.rejoin.get_or_insert_with(|| reason.to_string());
    }

    pub fn fail(&self, error: ClientError) {
        self.lock().fatal.get_or_insert(error);
    }
}
