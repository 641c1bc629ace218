//! The accept loop and the broker's lifetime: open the log directory, serve connections, run
//! retention and the group coordinator's timers, and on shutdown flush, close and mark the
//! shutdown clean.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::config::BrokerConfig;
use super::coordinator;
use super::limits::ConnectionQuotas;
use super::logging;
use super::meta::LogDir;
use super::security::{transport, ListenerSecurity};
use super::state::Broker;
use crate::Result;

/// How long open connections get to finish their current request after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Opens the log directory and the broker state (recovering after an unclean shutdown).
pub fn open(config: BrokerConfig) -> Result<(Arc<Broker>, LogDir)> {
    let log_dir = LogDir::open(&config.log_dir, config.node_id)?;
    if !log_dir.clean_shutdown {
        logging::warn(&format!(
            "No clean shutdown marker in {}: recovering every partition log",
            config.log_dir.display()
        ));
    }
    let broker = Broker::open(
        config,
        log_dir.meta.cluster_id.clone(),
        log_dir.clean_shutdown,
    )?;
    Ok((Arc::new(broker), log_dir))
}

/// Serves `listener` until `shutdown` completes, then shuts down cleanly.
pub async fn run(
    listener: TcpListener,
    config: BrokerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let (broker, log_dir) = open(config)?;
    serve(vec![listener], broker.clone(), shutdown).await;
    close(&broker, &log_dir)
}

/// A bound listener socket and the security its connections get.
#[derive(Debug)]
pub struct BoundListener {
    pub socket: TcpListener,
    pub security: Arc<ListenerSecurity>,
}

impl From<TcpListener> for BoundListener {
    /// A PLAINTEXT listener.
    fn from(socket: TcpListener) -> Self {
        BoundListener {
            socket,
            security: Arc::new(ListenerSecurity::plaintext()),
        }
    }
}

/// Accepts on every listener of an opened broker until `shutdown` completes, then lets open
/// connections finish their current request (split from [`run`] so the state can be inspected).
pub async fn serve<L: Into<BoundListener>>(
    listeners: Vec<L>,
    broker: Arc<Broker>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let retention = tokio::spawn(retention_loop(broker.clone(), stop_rx.clone()));
    let group_timers = tokio::spawn(coordinator::timers::run(
        broker.groups.clone(),
        stop_rx.clone(),
    ));
    let mut acceptors = JoinSet::new();
    // One count across all listeners, as Kafka's `max.connections` is broker-wide.
    let quotas = Arc::new(ConnectionQuotas::new(broker.config.limits));
    for listener in listeners {
        acceptors.spawn(accept_loop(
            listener.into(),
            broker.clone(),
            quotas.clone(),
            stop_rx.clone(),
        ));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    // Parked JoinGroup/SyncGroup requests are answered now, so connections can drain.
    broker.groups.shutdown();
    while acceptors.join_next().await.is_some() {}
    retention.abort();
    group_timers.abort();
}

async fn accept_loop(
    listener: BoundListener,
    broker: Arc<Broker>,
    quotas: Arc<ConnectionQuotas>,
    mut stop: watch::Receiver<bool>,
) {
    let BoundListener {
        socket: listener,
        security,
    } = listener;
    let mut connections = JoinSet::new();
    loop {
        // While `max.connections` are open no slot is free and nothing is accepted: new
        // connections wait in the listen backlog, as with Kafka's acceptor.
        let accept = async { (quotas.slot().await, listener.accept().await) };
        tokio::select! {
            _ = stop.changed() => break,
            (slot, accepted) = accept => match accepted {
                Ok((stream, peer)) => {
                    let permit = match quotas.admit(slot, peer.ip()) {
                        Ok(permit) => permit,
                        Err(reason) => {
                            logging::info(&format!("Closing connection from {peer}: {reason}"));
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let serve = transport::serve(
                        stream,
                        peer,
                        security.clone(),
                        broker.clone(),
                        stop.clone(),
                    );
                    connections.spawn(async move {
                        serve.await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    logging::warn(&format!("Failed to accept a connection: {e}"));
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// Flushes every log and writes the clean-shutdown marker.
pub fn close(broker: &Broker, log_dir: &LogDir) -> Result<()> {
    broker.flush_all()?;
    log_dir.mark_clean_shutdown(&broker.config.log_dir)?;
    logging::info("Shut down completed");
    Ok(())
}

async fn retention_loop(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    let interval = Duration::from_millis(broker.config.log_retention_check_interval_ms.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        let broker = broker.clone();
        let now = chrono::Utc::now().timestamp_millis();
        // Deleting segments is file I/O; keep it off the async workers.
        let _ = tokio::task::spawn_blocking(move || broker.enforce_retention(now)).await;
    }
}
