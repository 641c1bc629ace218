//! Connection limits with Kafka's names and defaults: `max.connections` (broker-wide; when
//! reached, the accept loop waits for a slot, as Kafka's acceptor does), `max.connections.per.ip`
//! (a connection beyond it is closed at once) and `connections.max.idle.ms` (a connection that
//! sends nothing for that long is closed). `socket.request.max.bytes` is enforced by the frame
//! reader before any allocation. A client that never reads its responses is held back by the
//! connection loop itself: it answers in order and stops reading requests while a response waits
//! for socket space. Owns the counting only; it never reads or writes a socket.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Kafka's defaults: effectively unlimited connections, ten minutes of idleness.
pub const DEFAULT_MAX_CONNECTIONS: usize = i32::MAX as usize;
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = i32::MAX as usize;
pub const DEFAULT_CONNECTIONS_MAX_IDLE_MS: i64 = 600_000;

/// The configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `max.connections`.
    pub max_connections: usize,
    /// `max.connections.per.ip`.
    pub max_connections_per_ip: usize,
    /// `connections.max.idle.ms`; `None` (a negative value) never closes idle connections.
    pub idle_timeout: Option<Duration>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            idle_timeout: idle_timeout(DEFAULT_CONNECTIONS_MAX_IDLE_MS),
        }
    }
}

/// `connections.max.idle.ms` as a timeout (negative disables it, as in Kafka's selector).
pub fn idle_timeout(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// Counts open connections, broker-wide and per client address.
#[derive(Debug)]
pub struct ConnectionQuotas {
    limits: ConnectionLimits,
    slots: Arc<Semaphore>,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection; dropping it frees its slots.
#[derive(Debug)]
pub struct ConnectionPermit {
    _slot: OwnedSemaphorePermit,
    ip: IpAddr,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.per_ip.lock() {
            if let Some(count) = counts.get_mut(&self.ip) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.remove(&self.ip);
                }
            }
        }
    }
}

/// A broker-wide slot, taken before accepting (so the broker stops accepting while full).
#[derive(Debug)]
pub struct Slot(OwnedSemaphorePermit);

impl ConnectionQuotas {
    pub fn new(limits: ConnectionLimits) -> Self {
        ConnectionQuotas {
            limits,
            slots: Arc::new(Semaphore::new(
                limits.max_connections.min(Semaphore::MAX_PERMITS),
            )),
            per_ip: Arc::default(),
        }
    }

    /// Waits until fewer than `max.connections` connections are open.
    pub async fn slot(&self) -> Slot {
        match self.slots.clone().acquire_owned().await {
            Ok(permit) => Slot(permit),
            // The semaphore is never closed; an unreachable fallback that still counts.
            Err(_) => std::future::pending().await,
        }
    }

    /// Counts an accepted connection from `ip`; `Err` with the reason when the address already
    /// has `max.connections.per.ip` connections (the caller closes it).
    pub fn admit(&self, slot: Slot, ip: IpAddr) -> Result<ConnectionPermit, String> {
        let mut counts = self
            .per_ip
            .lock()
            .map_err(|_| "connection counts unavailable".to_string())?;
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.limits.max_connections_per_ip {
            let open = *count;
            if open == 0 {
                counts.remove(&ip);
            }
            return Err(format!(
                "Too many connections from {ip}: {open} open, max.connections.per.ip is {}",
                self.limits.max_connections_per_ip
            ));
        }
        *count += 1;
        Ok(ConnectionPermit {
            _slot: slot.0,
            ip,
            per_ip: self.per_ip.clone(),
        })
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }
}

/// Runs `read` (waiting for the next request), giving up with `None` after the idle timeout.
pub async fn unless_idle<T>(idle: Option<Duration>, read: impl Future<Output = T>) -> Option<T> {
    match idle {
        Some(limit) => tokio::time::timeout(limit, read).await.ok(),
        None => Some(read.await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[tokio::test]
    async fn per_ip_limit_refuses_and_frees_on_drop() {
        let quotas = ConnectionQuotas::new(ConnectionLimits {
            max_connections_per_ip: 2,
            ..ConnectionLimits::default()
        });
        let a = quotas.admit(quotas.slot().await, CLIENT).expect("first");
        let _b = quotas.admit(quotas.slot().await, CLIENT).expect("second");
        let refused = quotas
            .admit(quotas.slot().await, CLIENT)
            .expect_err("third");
        assert!(refused.contains("max.connections.per.ip is 2"), "{refused}");
        let _other = quotas
            .admit(quotas.slot().await, OTHER)
            .expect("other address");
        drop(a);
        quotas
            .admit(quotas.slot().await, CLIENT)
            .expect("slot freed");
    }

    #[tokio::test]
    async fn broker_wide_limit_waits_for_a_free_slot() {
        let quotas = ConnectionQuotas::new(ConnectionLimits {
            max_connections: 1,
            ..ConnectionLimits::default()
        });
        let first = quotas.admit(quotas.slot().await, CLIENT).expect("first");
        let waiting = quotas.slot();
        tokio::pin!(waiting);
        assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        drop(first);
        let slot = waiting.await;
        quotas.admit(slot, CLIENT).expect("after the first closed");
    }

    #[test]
    fn negative_idle_disables_the_timeout() {
        assert_eq!(idle_timeout(-1), None);
        assert_eq!(idle_timeout(5), Some(Duration::from_millis(5)));
        assert_eq!(
            ConnectionLimits::default().idle_timeout,
            Some(Duration::from_millis(600_000))
        );
    }

    /// Polls a future once: `Some` if it was ready.
    async fn futures_poll_once<F: Future + Unpin>(future: F) -> Option<F::Output> {
        let mut future = future;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut future).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}

#[cfg(test)]
mod config_tests {
    use std::collections::BTreeMap;

    use crate::broker::config::BrokerConfig;

    #[test]
    fn server_properties_set_the_limits_with_kafka_names() {
        let props: BTreeMap<String, String> = [
            ("max.connections", "7"),
            ("max.connections.per.ip", "3"),
            ("connections.max.idle.ms", "1500"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (config, warnings) = BrokerConfig::from_properties(&props).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.limits.max_connections, 7);
        assert_eq!(config.limits.max_connections_per_ip, 3);
        assert_eq!(
            config.limits.idle_timeout,
            Some(std::time::Duration::from_millis(1500))
        );
        let bad: BTreeMap<String, String> = [("max.connections.per.ip", "-1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let error = BrokerConfig::from_properties(&bad).expect_err("negative refused");
        assert!(
            error.to_string().contains("max.connections.per.ip"),
            "{error}"
        );
    }
}
