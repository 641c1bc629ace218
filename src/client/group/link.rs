//! A group member's own connection to its coordinator. It is separate from the cluster's shared
//! connections because a JoinGroup may be parked at the broker for up to the rebalance timeout
//! and a broker answers one connection's requests in order: fetches and admin calls must not
//! queue behind it. Its request timeout is therefore the rebalance timeout plus a margin (as
//! Java's `joinGroupTimeoutMs`); short requests bound themselves with [`CoordinatorLink::bounded`].
//!
//! It also owns one compatibility rule. The membership APIs (JoinGroup, SyncGroup, Heartbeat,
//! LeaveGroup) go out at the newest version both sides support, as Java's do, unless the
//! coordinator closed the connection in answer to a version it advertised: then this member
//! falls back to their last versions before the flexible encoding (JoinGroup v5, SyncGroup v3,
//! Heartbeat v3, LeaveGroup v2 — what librdkafka always uses, and all the classic protocol needs).
//! librdkafka's mock cluster (2.16) is such a broker: it advertises JoinGroup v6 and LeaveGroup v4
//! but parses only the old layouts.
//!
//! Owns finding, connecting and forgetting the coordinator; not what is sent over it.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::Request;

use super::coordinator::find_coordinator;
use crate::client::cluster::Cluster;
use crate::client::connection::{Connection, Timeouts};
use crate::client::error::{ClientError, ClientResult};

/// Added to the rebalance timeout for requests that wait for a rebalance (Java adds 5 s).
const JOIN_TIMEOUT_MARGIN: Duration = Duration::from_secs(5);

/// The coordinator connection of one member (shared with its heartbeat task).
pub(super) struct CoordinatorLink {
    cluster: Arc<Cluster>,
    group_id: String,
    timeouts: Timeouts,
    /// `request.timeout.ms`: the bound of requests that do not wait for a rebalance.
    request_timeout: Duration,
    current: Mutex<Option<Arc<Connection>>>,
    /// Set once the coordinator failed a membership request it advertised (see module docs).
    legacy_versions: AtomicBool,
}

/// The last version of each membership API before the one that changed its layout in a way a
/// broker that closes connections on it cannot read (the flexible encoding; LeaveGroup's
/// member batch from v3).
fn legacy_max(key: i16) -> Option<i16> {
    const JOIN_GROUP_LEGACY: i16 = 5;
    const SYNC_GROUP_LEGACY: i16 = 3;
    const HEARTBEAT_LEGACY: i16 = 3;
    const LEAVE_GROUP_LEGACY: i16 = 2;
    match ApiKey::try_from(key).ok()? {
        ApiKey::JoinGroup => Some(JOIN_GROUP_LEGACY),
        ApiKey::SyncGroup => Some(SYNC_GROUP_LEGACY),
        ApiKey::Heartbeat => Some(HEARTBEAT_LEGACY),
        ApiKey::LeaveGroup => Some(LEAVE_GROUP_LEGACY),
        _ => None,
    }
}

impl CoordinatorLink {
    pub(super) fn new(
        cluster: Arc<Cluster>,
        group_id: &str,
        rebalance_timeout: Duration,
    ) -> CoordinatorLink {
        let base = cluster.config().timeouts;
        let timeouts = Timeouts {
            connect: base.connect,
            request: base.request.max(rebalance_timeout + JOIN_TIMEOUT_MARGIN),
        };
        CoordinatorLink {
            cluster,
            group_id: group_id.to_string(),
            timeouts,
            request_timeout: base.request,
            current: Mutex::new(None),
            legacy_versions: AtomicBool::new(false),
        }
    }

    /// The version to send `R` at on `connection`: the newest both sides support, capped to the
    /// legacy layouts once this coordinator has shown it cannot read newer ones.
    pub(super) fn version<R: Request>(&self, connection: &Connection) -> ClientResult<i16> {
        match legacy_max(R::KEY).filter(|_| self.legacy_versions.load(Ordering::Relaxed)) {
            Some(cap) => connection.version_in::<R>(R::VERSIONS.min, cap.min(R::VERSIONS.max)),
            None => connection.version_for::<R>(),
        }
    }

    /// Notes how a membership request at `version` failed: a connection the coordinator closed
    /// in answer to a newer layout switches this member to the legacy versions.
    pub(super) fn observe<R: Request>(&self, version: i16, error: &ClientError) {
        let closed = matches!(error, ClientError::Disconnected { .. });
        if closed && legacy_max(R::KEY).is_some_and(|cap| version > cap) {
            self.legacy_versions.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// A live connection to the coordinator, found (FindCoordinator, retried and bounded) and
    /// connected when there is none.
    pub(super) async fn connection(&self) -> ClientResult<Arc<Connection>> {
        if let Some(live) = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|c| !c.is_closed())
        {
            return Ok(live.clone());
        }
        let broker = find_coordinator(&self.cluster, &self.group_id).await?;
        let connection = Arc::new(
            Connection::connect(
                &broker.address(),
                &self.cluster.config().client_id,
                self.timeouts,
                &self.cluster.config().security,
            )
            .await?,
        );
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets the coordinator: the next request finds it again.
    pub(super) fn invalidate(&self) {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    /// Sends a membership request at `version` (from [`version`](Self::version)); `bounded`
    /// requests wait at most `request.timeout.ms`, the others (JoinGroup, SyncGroup: they wait
    /// for the rebalance) the link's long timeout.
    pub(super) async fn send<R: Request>(
        &self,
        connection: &Connection,
        request: R,
        version: i16,
        bounded: bool,
    ) -> ClientResult<R::Response> {
        let sent = connection.send_at(request, version);
        let result = if bounded {
            let api = ApiKey::try_from(R::KEY).unwrap_or(ApiKey::ApiVersions);
            self.bounded(api, sent).await
        } else {
            sent.await
        };
        if let Err(error) = &result {
            self.observe::<R>(version, error);
        }
        result
    }

    /// `request` bounded by `request.timeout.ms` instead of the link's long timeout.
    pub(super) async fn bounded<T>(
        &self,
        api: ApiKey,
        request: impl Future<Output = ClientResult<T>>,
    ) -> ClientResult<T> {
        match tokio::time::timeout(self.request_timeout, request).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout {
                api,
                broker: format!("coordinator of group {}", self.group_id),
                timeout_ms: self.request_timeout.as_millis() as u64,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{
        HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, OffsetCommitRequest,
    };

    use super::*;
    use crate::client::cluster::ClientConfig;

    fn link() -> CoordinatorLink {
        let cluster = Arc::new(Cluster::new(ClientConfig::new("127.0.0.1:9")).unwrap());
        CoordinatorLink::new(cluster, "g", Duration::from_secs(1))
    }

    #[test]
    fn only_a_closed_connection_on_a_newer_membership_layout_switches_to_legacy_versions() {
        let closed = ClientError::Disconnected {
            broker: "b:1".into(),
            reason: "closed by the broker".into(),
        };
        let refused = ClientError::kafka(27, None, "");
        let link = link();
        link.observe::<JoinGroupRequest>(9, &refused);
        link.observe::<JoinGroupRequest>(5, &closed);
        link.observe::<OffsetCommitRequest>(9, &closed);
        assert!(!link.legacy_versions.load(Ordering::Relaxed));
        link.observe::<LeaveGroupRequest>(3, &closed);
        assert!(link.legacy_versions.load(Ordering::Relaxed));
        assert_eq!(legacy_max(HeartbeatRequest::KEY), Some(3));
        assert_eq!(legacy_max(OffsetCommitRequest::KEY), None);
    }

    #[test]
    fn the_join_timeout_covers_the_rebalance() {
        let link = link();
        assert!(link.timeouts.request >= Duration::from_secs(1) + JOIN_TIMEOUT_MARGIN);
        assert_eq!(link.request_timeout, Timeouts::default().request);
    }
}
