//! The poll loop: hand out buffered records, keep one Fetch in flight per leader broker (sent as
//! soon as the previous answer arrives, so the network works while the application reads), and
//! fold each answer into positions: data becomes a completed fetch, OFFSET_OUT_OF_RANGE a reset,
//! leadership errors a metadata refresh and a re-route.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use tokio::task::JoinError;
use tokio::time::Instant;

use super::completed::{CompletedFetch, Drained};
use super::fetch::{self, FetchOutcome, FetchSettings, FetchTarget, PartitionResult};
use super::{Consumer, ConsumerRecord, OffsetReset, StartPosition};
use crate::client::error::{ClientError, ClientResult};

/// Completed fetches a partition may have waiting before it is fetched again.
const MAX_BUFFERED_FETCHES: usize = 2;
/// How long to wait when there is nothing to do (no partitions, everything backing off).
const IDLE_WAIT: Duration = Duration::from_millis(100);

impl Consumer {
    /// Hands records to `handler` until it returns `Break` or the buffered data is used up;
    /// waits up to `timeout` for data when none is buffered. Returns how many records were
    /// handed out (0 when the timeout passed first). Each handed-out record advances its
    /// partition's position, including the one the handler stopped at.
    pub async fn poll<F>(&mut self, timeout: Duration, mut handler: F) -> ClientResult<usize>
    where
        F: FnMut(&ConsumerRecord<'_>) -> ControlFlow<()>,
    {
        let deadline = Instant::now() + timeout;
        match tokio::time::timeout_at(deadline, self.poll_until_records(&mut handler)).await {
            Ok(result) => result,
            // Every await inside is cancel-safe: state only changes between awaits.
            Err(_) => Ok(0),
        }
    }

    async fn poll_until_records<F>(&mut self, handler: &mut F) -> ClientResult<usize>
    where
        F: FnMut(&ConsumerRecord<'_>) -> ControlFlow<()>,
    {
        loop {
            self.reap();
            if let Some(error) = self.fatal.take() {
                return Err(error);
            }
            let delivered = self.drain(handler)?;
            if delivered > 0 {
                return Ok(delivered);
            }
            self.maintain().await?;
            self.send_fetches();
            if !self.completed.is_empty() {
                continue;
            }
            if self.in_flight.is_empty() {
                tokio::time::sleep_until(self.next_wakeup()).await;
                continue;
            }
            let wake = self.next_wakeup();
            tokio::select! {
                joined = self.in_flight.join_next() => {
                    if let Some(joined) = joined {
                        self.on_joined(joined);
                        self.send_fetches();
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// When something besides a fetch answer needs doing (a backoff ends, a refresh is due).
    fn next_wakeup(&self) -> Instant {
        let now = Instant::now();
        let mut wake = now + IDLE_WAIT;
        if self.subscription.is_some() {
            wake = wake.min(self.next_subscription_refresh.max(now));
        }
        for state in self.partitions.values() {
            if let Some(at) = state.retry_at {
                wake = wake.min(at.max(now));
            }
        }
        wake
    }

    /// Collects fetches that already finished, without waiting.
    pub(super) fn reap(&mut self) {
        let mut any = false;
        while let Some(joined) = self.in_flight.try_join_next() {
            self.on_joined(joined);
            any = true;
        }
        if any {
            self.send_fetches();
        }
    }

    /// Hands out buffered records in arrival order.
    fn drain<F>(&mut self, handler: &mut F) -> ClientResult<usize>
    where
        F: FnMut(&ConsumerRecord<'_>) -> ControlFlow<()>,
    {
        let mut delivered = 0;
        while let Some(chunk) = self.completed.front_mut() {
            let state = self
                .partitions
                .get_mut(&chunk.tp)
                .filter(|s| s.epoch == chunk.epoch);
            let Some(state) = state else {
                self.completed.pop_front();
                continue;
            };
            let Some(position) = state.position.as_mut() else {
                state.buffered = state.buffered.saturating_sub(1);
                self.completed.pop_front();
                continue;
            };
            match chunk.drain(position, &mut delivered, handler) {
                Ok(Drained::Stopped) => return Ok(delivered),
                Ok(Drained::Finished) => {
                    state.buffered = state.buffered.saturating_sub(1);
                    self.completed.pop_front();
                }
                Err(e) => {
                    let tp = chunk.tp.clone();
                    let at = *position;
                    // Refetch from the bad record next time, as Java does: the error repeats
                    // until the application seeks past it.
                    self.seek(&tp, StartPosition::Offset(at));
                    return Err(ClientError::Other(format!(
                        "Received exception when fetching the next record from {tp}. If needed, please seek past the record to continue consumption. ({e})"
                    )));
                }
            }
        }
        Ok(delivered)
    }

    fn settings(&self) -> FetchSettings {
        FetchSettings {
            max_wait: self.config.fetch_max_wait,
            min_bytes: self.config.fetch_min_bytes,
            max_bytes: self.config.fetch_max_bytes,
            partition_max_bytes: self.config.max_partition_fetch_bytes,
            isolation_level: self.config.isolation_level.wire(),
        }
    }

    /// Sends a Fetch to every leader that has fetchable partitions and nothing in flight.
    pub(super) fn send_fetches(&mut self) {
        let now = Instant::now();
        let metadata = self.cluster.cached_metadata();
        let mut by_node: BTreeMap<i32, Vec<(bool, FetchTarget)>> = BTreeMap::new();
        for (tp, state) in &self.partitions {
            let Some(position) = state.position else {
                continue;
            };
            if state.in_flight
                || state.buffered >= MAX_BUFFERED_FETCHES
                || state.retry_at.is_some_and(|at| at > now)
            {
                continue;
            }
            let topic = metadata.topics.get(&*tp.topic);
            let leader = topic
                .and_then(|t| t.partitions.iter().find(|p| p.partition == tp.partition))
                .map(|p| p.leader)
                .filter(|&l| l >= 0 && metadata.brokers.contains_key(&l));
            let (Some(topic), Some(leader)) = (topic, leader) else {
                self.metadata_needed = true;
                continue;
            };
            if self.in_flight_nodes.contains(&leader) {
                continue;
            }
            let fetch_offset = if state.buffered == 0 {
                position
            } else {
                state.fetch_offset
            };
            by_node.entry(leader).or_default().push((
                state.prefer_first,
                FetchTarget {
                    tp: tp.clone(),
                    topic_id: topic.topic_id,
                    epoch: state.epoch,
                    fetch_offset,
                },
            ));
        }
        self.rotation = self.rotation.wrapping_add(1);
        let settings = self.settings();
        for (node, mut entries) in by_node {
            // Rotate so no partition is always last (and starved by the response size limit),
            // but put first any partition that needs a whole oversized batch.
            let shift = self.rotation % entries.len();
            entries.rotate_left(shift);
            entries.sort_by_key(|(first, _)| !*first);
            let targets: Vec<FetchTarget> = entries.into_iter().map(|(_, t)| t).collect();
            for target in &targets {
                if let Some(state) = self.partitions.get_mut(&target.tp) {
                    state.in_flight = true;
                    state.prefer_first = false;
                    state.fetch_offset = target.fetch_offset;
                }
            }
            self.in_flight_nodes.insert(node);
            self.in_flight
                .spawn(fetch::fetch(self.cluster.clone(), node, targets, settings));
        }
    }

    fn on_joined(&mut self, joined: Result<FetchOutcome, JoinError>) {
        let outcome = match joined {
            Ok(outcome) => outcome,
            Err(e) => {
                // Fetch tasks do not panic; if one did, start over with every broker.
                self.in_flight_nodes.clear();
                for state in self.partitions.values_mut() {
                    state.in_flight = false;
                }
                self.fatal = Some(ClientError::Other(format!("fetch task failed: {e}")));
                return;
            }
        };
        self.in_flight_nodes.remove(&outcome.node);
        for target in &outcome.targets {
            if let Some(state) = self.partitions.get_mut(&target.tp) {
                state.in_flight = false;
            }
        }
        match outcome.result {
            Ok(results) => {
                self.note_success();
                for result in results {
                    if let Some(target) = outcome.targets.get(result.target) {
                        self.on_partition(target, result);
                    }
                }
            }
            Err(error) => {
                if self.tolerate(&error) {
                    for target in &outcome.targets {
                        self.back_off(target);
                    }
                }
            }
        }
    }

    /// Whether `error` is worth retrying after a backoff; otherwise it becomes fatal.
    pub(super) fn tolerate(&mut self, error: &ClientError) -> bool {
        let transient = error.is_retriable()
            || (self.connected_once && matches!(error, ClientError::Connect { .. }));
        if !transient {
            self.fatal = Some(error.clone());
            return false;
        }
        let now = Instant::now();
        let since = *self.outage_since.get_or_insert(now);
        let limit = self.cluster.config().api_timeout;
        if now.duration_since(since) > limit {
            self.fatal = Some(ClientError::Other(format!(
                "consuming did not succeed within {} ms: {error}",
                limit.as_millis()
            )));
            return false;
        }
        true
    }

    pub(super) fn note_success(&mut self) {
        self.connected_once = true;
        self.outage_since = None;
        self.backoff = self.cluster.config().retry_backoff;
    }

    /// Forgets the partition's leader and waits before fetching it again.
    fn back_off(&mut self, target: &FetchTarget) {
        self.cluster.invalidate_topic(&target.tp.topic);
        self.metadata_needed = true;
        let backoff = self.backoff;
        self.backoff = (self.backoff * 2).min(self.cluster.config().retry_backoff_max);
        if let Some(state) = self.partitions.get_mut(&target.tp) {
            state.retry_at = Some(Instant::now() + backoff);
        }
    }

    fn on_partition(&mut self, target: &FetchTarget, result: PartitionResult) {
        let check_crcs = self.config.check_crcs;
        let Some(state) = self
            .partitions
            .get_mut(&target.tp)
            .filter(|s| s.epoch == target.epoch)
        else {
            return;
        };
        let error = ResponseError::try_from_code(result.error_code);
        match error {
            None => {
                state.high_watermark = result.high_watermark;
                state.last_stable_offset = result.last_stable_offset;
                state.log_start_offset = result.log_start_offset;
                state.retry_at = None;
                if result.records.is_empty() {
                    return;
                }
                let chunk = CompletedFetch::new(
                    target.tp.clone(),
                    target.epoch,
                    target.fetch_offset,
                    result.records,
                    check_crcs,
                    result.aborted,
                );
                if chunk.is_stuck() {
                    if result.target == 0 {
                        self.fatal = Some(ClientError::Other(format!(
                            "Fetch of {} at offset {} returned part of a record batch and no whole batch; the broker does not return oversized batches (raise max.partition.fetch.bytes and fetch.max.bytes)",
                            target.tp, target.fetch_offset
                        )));
                    } else {
                        state.prefer_first = true;
                    }
                    return;
                }
                state.fetch_offset = chunk.end_offset;
                state.buffered += 1;
                self.completed.push_back(chunk);
            }
            Some(ResponseError::OffsetOutOfRange) => {
                let at_position =
                    state.buffered == 0 && state.position == Some(target.fetch_offset);
                if !at_position {
                    // A read-ahead fetch went past the end (the log was truncated): read what
                    // is buffered, then fetch again from the position.
                    state.fetch_offset = state.position.unwrap_or(target.fetch_offset);
                    return;
                }
                if self.config.auto_offset_reset == OffsetReset::None {
                    self.fatal = Some(ClientError::Other(format!(
                        "Fetch position FetchPosition{{offset={}}} is out of range for partition {}",
                        target.fetch_offset, target.tp
                    )));
                    return;
                }
                state.position = None;
                state.pending = StartPosition::Reset;
            }
            Some(
                ResponseError::NotLeaderOrFollower
                | ResponseError::UnknownTopicOrPartition
                | ResponseError::LeaderNotAvailable
                | ResponseError::ReplicaNotAvailable
                | ResponseError::FencedLeaderEpoch
                | ResponseError::UnknownLeaderEpoch
                | ResponseError::KafkaStorageError
                | ResponseError::OffsetNotAvailable
                | ResponseError::UnknownTopicId
                | ResponseError::InconsistentTopicId,
            ) => self.back_off(target),
            Some(_) => {
                self.fatal = Some(ClientError::kafka(
                    result.error_code,
                    None,
                    format!("fetching {}", target.tp),
                ));
            }
        }
    }
}
