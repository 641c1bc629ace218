//! A group member's own connection to its coordinator. It is separate from the cluster's shared
//! connections because a JoinGroup may be parked at the broker for up to the rebalance timeout
//! and a broker answers one connection's requests in order: fetches and admin calls must not
//! queue behind it. Its request timeout is therefore the rebalance timeout plus a margin (as
//! Java's `joinGroupTimeoutMs`); short requests bound themselves with [`CoordinatorLink::bounded`].
//!
//! Owns finding, connecting and forgetting the coordinator; not what is sent over it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::ApiKey;

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
