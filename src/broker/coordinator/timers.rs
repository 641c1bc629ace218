//! The coordinator's clock: one task that sleeps until the earliest group timer (session,
//! new-member join, initial delay, rebalance, sync) or the next offset-retention check, fires
//! what is due, and is woken early when an operation sets an earlier timer. Owns scheduling
//! only; what a timer does is decided by the group state machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{GroupCoordinator, Now};

/// The shortest pause between two passes, so a timer re-armed for "now" (a zero rebalance
/// timeout sent by a client) cannot make the task spin.
const MIN_PAUSE: Duration = Duration::from_millis(1);

/// Runs until `stop` changes (or its sender is dropped).
pub async fn run(coordinator: Arc<GroupCoordinator>, mut stop: watch::Receiver<bool>) {
    let retention_interval = Duration::from_millis(
        coordinator
            .config()
            .offsets_retention_check_interval_ms
            .max(1),
    );
    let mut next_retention = Instant::now() + retention_interval;
    loop {
        let now = Now::current();
        let next_timer = coordinator.expire(now);
        if now.instant >= next_retention {
            coordinator.expire_offsets(now.wall_ms);
            next_retention = now.instant + retention_interval;
        }
        let wake_at = next_timer
            .map_or(next_retention, |t| t.min(next_retention))
            .max(Instant::now() + MIN_PAUSE);
        tokio::select! {
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake_at)) => {}
            _ = coordinator.timers_changed.notified() => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}
