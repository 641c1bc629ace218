//! One member of a classic group: identity, timeouts, supported protocols, its current
//! assignment, its parked JoinGroup/SyncGroup responses and its session deadline. Owns the
//! member's own bookkeeping only; group-wide rules live in the group modules.

use std::collections::BTreeSet;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::types::{JoinResult, Protocol, SyncResult};

#[derive(Debug)]
pub struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub protocol_type: String,
    /// In the member's order of preference.
    pub protocols: Vec<Protocol>,
    pub assignment: Bytes,
    pub(super) awaiting_join: Option<oneshot::Sender<JoinResult>>,
    pub(super) awaiting_sync: Option<oneshot::Sender<SyncResult>>,
    /// Added during the current rebalance and not yet through a completed join phase: such a
    /// member is expired even while it waits in JoinGroup.
    pub(super) is_new: bool,
    /// When the member is removed unless it heartbeats (or waits in a rebalance) before.
    pub(super) heartbeat_deadline: Option<Instant>,
}

impl Member {
    pub fn is_awaiting_join(&self) -> bool {
        self.awaiting_join.is_some()
    }

    pub fn is_awaiting_sync(&self) -> bool {
        self.awaiting_sync.is_some()
    }

    pub fn is_static(&self) -> bool {
        self.instance_id.is_some()
    }

    /// Whether the member rejoined with exactly the protocols (names, metadata, order) it has.
    pub fn matches(&self, protocols: &[Protocol]) -> bool {
        self.protocols == protocols
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p.name == protocol)
    }

    /// The member's metadata for `protocol` (empty if it does not support it).
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }

    /// The member's most preferred protocol among `candidates`.
    pub fn vote<'a>(&'a self, candidates: &BTreeSet<&str>) -> Option<&'a str> {
        self.protocols
            .iter()
            .map(|p| p.name.as_str())
            .find(|name| candidates.contains(name))
    }

    /// Members waiting in a rebalance count as alive, except brand-new ones (which cannot
    /// heartbeat yet and may have given up on a long rebalance).
    pub fn has_satisfied_heartbeat(&self) -> bool {
        !self.is_new && (self.is_awaiting_join() || self.is_awaiting_sync())
    }

    /// Answers the parked JoinGroup, if any; true if there was one.
    pub fn complete_join(&mut self, result: JoinResult) -> bool {
        match self.awaiting_join.take() {
            Some(sender) => {
                // The client may have gone away; the answer is then simply dropped.
                let _ = sender.send(result);
                true
            }
            None => false,
        }
    }

    /// Answers the parked SyncGroup, if any; true if there was one.
    pub fn complete_sync(&mut self, result: SyncResult) -> bool {
        match self.awaiting_sync.take() {
            Some(sender) => {
                let _ = sender.send(result);
                true
            }
            None => false,
        }
    }
}
