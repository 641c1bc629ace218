//! The background heartbeat of a member between rebalances: a Heartbeat every
//! `heartbeat.interval.ms` keeps the session alive; REBALANCE_IN_PROGRESS,
//! ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID flag a rejoin for the next `poll`; a `poll` gap longer
//! than `max.poll.interval.ms` makes the member leave the group, as Java's heartbeat thread does.
//! Coordinator errors and lost connections make it find the coordinator again.
//!
//! Owns the timing and the reaction to heartbeat answers; it never joins or syncs (that is
//! `poll`'s work, so assignments change only when the consumer asks).

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{GroupId, HeartbeatRequest};
use kafka_protocol::protocol::StrBytes;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::coordinator::{classify, CoordinatorError};
use super::leave::leave_group;
use super::link::CoordinatorLink;
use super::state::SharedState;
use crate::client::error::{ClientError, ClientResult};

/// The first Heartbeat version with `group_instance_id`.
const INSTANCE_ID_VERSION: i16 = 3;

/// What one heartbeat task needs: the member's identity in the generation it heartbeats for.
pub(super) struct Heartbeat {
    pub link: Arc<CoordinatorLink>,
    pub state: SharedState,
    pub group_id: String,
    pub member_id: String,
    pub generation_id: i32,
    pub group_instance_id: Option<String>,
    pub interval: Duration,
    pub session_timeout: Duration,
    pub max_poll_interval: Duration,
    pub retry_backoff: Duration,
}

/// What to do after one heartbeat.
enum Next {
    /// Wait the heartbeat interval.
    Interval,
    /// Wait the retry backoff (the heartbeat did not get through).
    Backoff,
    /// This generation is over for us: stop.
    Stop,
}

impl Heartbeat {
    /// Starts heartbeating; abort the handle when the member rejoins or closes.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let mut last_success = Instant::now();
        let mut wait = self.interval;
        loop {
            tokio::time::sleep(wait).await;
            let since_poll = self.state.lock().last_poll.elapsed();
            if since_poll > self.max_poll_interval {
                self.poll_timeout().await;
                return;
            }
            let next = match self.send().await {
                Ok(()) => {
                    last_success = Instant::now();
                    Next::Interval
                }
                Err(error) => self.on_error(error),
            };
            wait = match next {
                Next::Interval => self.interval,
                Next::Backoff => self.retry_backoff,
                Next::Stop => return,
            };
            // Nothing got through for a whole session: the coordinator may have moved.
            if last_success.elapsed() > self.session_timeout {
                self.link.invalidate();
            }
        }
    }

    async fn send(&self) -> ClientResult<()> {
        let connection = self.link.connection().await?;
        let version = self.link.version::<HeartbeatRequest>(&connection)?;
        let mut request = HeartbeatRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(self.group_id.clone())))
            .with_generation_id(self.generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        if version >= INSTANCE_ID_VERSION {
            request = request.with_group_instance_id(
                self.group_instance_id
                    .as_ref()
                    .map(|i| StrBytes::from_string(i.clone())),
            );
        }
        let response = self.link.send(&connection, request, version, true).await?;
        if response.error_code == 0 {
            Ok(())
        } else {
            Err(ClientError::kafka(
                response.error_code,
                None,
                format!("heartbeat of group {}", self.group_id),
            ))
        }
    }

    fn on_error(&self, error: ClientError) -> Next {
        match error.code() {
            Some(ResponseError::RebalanceInProgress) => {
                // Keep heartbeating: it keeps the session alive until `poll` rejoins.
                self.state.request_rejoin("the group is rebalancing");
                return Next::Interval;
            }
            Some(ResponseError::IllegalGeneration) => {
                self.state
                    .reset_generation("the generation is no longer valid");
                return Next::Stop;
            }
            Some(ResponseError::UnknownMemberId) => {
                self.state
                    .reset_member("the coordinator does not know this member");
                return Next::Stop;
            }
            _ => {}
        }
        match classify(&error) {
            CoordinatorError::Rediscover => {
                self.link.invalidate();
                Next::Backoff
            }
            CoordinatorError::Wait => Next::Backoff,
            CoordinatorError::Other if error.is_retriable() => Next::Backoff,
            CoordinatorError::Other => {
                self.state.fail(error);
                Next::Stop
            }
        }
    }

    /// `poll` was not called within `max.poll.interval.ms`: give the partitions up so the rest
    /// of the group can take them (static members only stop; their session expires instead).
    async fn poll_timeout(&self) {
        if self.group_instance_id.is_none() {
            // Best effort, as Java's: the session timeout removes us anyway.
            let _ = leave_group(
                &self.link,
                &self.group_id,
                &self.member_id,
                None,
                "consumer poll timeout has expired.",
            )
            .await;
        }
        self.state.reset_member("consumer poll timeout has expired");
    }
}
