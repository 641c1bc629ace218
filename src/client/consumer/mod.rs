//! The consumer: a set of assigned partitions with positions, fetched from their leaders with one
//! Fetch in flight per broker while the application reads what already arrived, handed out
//! record by record through a callback with no allocation per record.
//!
//! Two ways to decide the partitions:
//! - [`Consumer::assign`] / [`Consumer::seek`]: the caller decides (the console consumer's
//!   `--partition`, or a group-membership component feeding in its assignment and committed
//!   offsets, then reading [`Consumer::positions`] to commit);
//! - [`Consumer::subscribe`]: every partition of the matching topics, re-checked every
//!   `metadata.max.age.ms` so new topics and partitions are picked up (what a sole member of a
//!   group would be given; there is no group protocol here).
//!
//! Partitions without a position start from `auto.offset.reset`. Owns fetching and positions;
//! must not implement group membership or commit offsets.
//!
//! - [`config`] — settings from Java consumer properties.
//! - `completed` — one partition's fetched data being read.
//! - `fetch` — the Fetch request and response.
//! - `poll` — the fetch/drain loop; `maintain` — metadata and start positions.

pub mod config;

mod completed;
mod fetch;
mod maintain;
mod poll;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use config::{ConsumerConfig, IsolationLevel, OffsetReset};

use super::error::ClientError;
use super::Cluster;
use crate::protocol::record_decode::Record;
use completed::CompletedFetch;
use fetch::FetchOutcome;

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: Arc::from(topic),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    /// Java's `TopicPartition.toString()`: `topic-partition`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Where a partition starts (or restarts after a seek).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    Earliest,
    Latest,
    Offset(i64),
    /// The first offset whose timestamp is at or after this (ms since the epoch); the end of the
    /// partition when there is none.
    Timestamp(i64),
    /// Whatever `auto.offset.reset` says.
    Reset,
}

/// One record handed to the application, borrowing the fetched bytes.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerRecord<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub record: Record<'a>,
}

/// Which topics a [`Consumer::subscribe`] covers.
#[derive(Debug, Clone)]
pub enum TopicSelection {
    Topics(Vec<String>),
    /// A regular expression that must match the whole topic name (Java's `Pattern.matches`).
    Pattern(Regex),
}

impl TopicSelection {
    /// A pattern selection from a Java-style regular expression (anchored at both ends).
    pub fn pattern(expression: &str) -> Result<TopicSelection, regex::Error> {
        Regex::new(&format!("^(?:{expression})$")).map(TopicSelection::Pattern)
    }

    fn matches(&self, topic: &str, is_internal: bool, exclude_internal: bool) -> bool {
        match self {
            TopicSelection::Topics(names) => names.iter().any(|n| n == topic),
            TopicSelection::Pattern(regex) => {
                !(is_internal && exclude_internal) && regex.is_match(topic)
            }
        }
    }
}

/// Per-partition state.
#[derive(Debug)]
struct PartitionState {
    /// Next offset to hand out; `None` until resolved from `pending`.
    position: Option<i64>,
    pending: StartPosition,
    /// Next offset to fetch: ahead of `position` while fetched data waits to be read.
    fetch_offset: i64,
    /// Changes on every seek or reset; fetched data for an older epoch is dropped.
    epoch: u64,
    in_flight: bool,
    /// Completed fetches of this partition waiting to be read.
    buffered: usize,
    /// No fetch or lookup before this (backoff after an error).
    retry_at: Option<Instant>,
    /// Put first in the next request (KIP-74 returns an oversized batch only to the first).
    prefer_first: bool,
    high_watermark: i64,
    last_stable_offset: i64,
    log_start_offset: i64,
}

/// A partition's offsets as the last fetch reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub position: Option<i64>,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
}

/// A Kafka consumer without group membership (see the module docs).
pub struct Consumer {
    cluster: Arc<Cluster>,
    config: ConsumerConfig,
    partitions: BTreeMap<TopicPartition, PartitionState>,
    subscription: Option<TopicSelection>,
    next_subscription_refresh: Instant,
    /// Where newly assigned partitions start.
    initial_position: StartPosition,
    completed: VecDeque<CompletedFetch>,
    in_flight: JoinSet<FetchOutcome>,
    in_flight_nodes: HashSet<i32>,
    next_epoch: u64,
    rotation: usize,
    metadata_needed: bool,
    next_metadata_attempt: Instant,
    backoff: Duration,
    /// When brokers became unreachable (cleared by any success).
    outage_since: Option<Instant>,
    /// Whether any broker ever answered (before that, a refused connection fails at once).
    connected_once: bool,
    /// An error found while handling a response, returned by the next poll.
    fatal: Option<ClientError>,
}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("partitions", &self.partitions.len())
            .field("buffered", &self.completed.len())
            .finish()
    }
}

impl Consumer {
    pub fn new(cluster: Arc<Cluster>, config: ConsumerConfig) -> Consumer {
        let now = Instant::now();
        let backoff = cluster.config().retry_backoff;
        Consumer {
            cluster,
            config,
            partitions: BTreeMap::new(),
            subscription: None,
            next_subscription_refresh: now,
            initial_position: StartPosition::Reset,
            completed: VecDeque::new(),
            in_flight: JoinSet::new(),
            in_flight_nodes: HashSet::new(),
            next_epoch: 0,
            rotation: 0,
            metadata_needed: false,
            next_metadata_attempt: now,
            backoff,
            outage_since: None,
            connected_once: false,
            fatal: None,
        }
    }

    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// Consumes every partition of the topics `selection` covers, re-checking the cluster every
    /// `metadata.max.age.ms` (sooner while a named topic is missing). Positions start from
    /// `auto.offset.reset`.
    pub fn subscribe(&mut self, selection: TopicSelection) {
        self.subscription = Some(selection);
        self.next_subscription_refresh = Instant::now();
    }

    /// Consumes exactly `partitions`. Partitions already assigned keep their positions; new ones
    /// start from `auto.offset.reset` unless [`Consumer::seek`] says otherwise. Ends any
    /// subscription.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.subscription = None;
        self.set_assignment(partitions.into_iter().collect());
    }

    fn set_assignment(&mut self, wanted: HashSet<TopicPartition>) {
        self.partitions.retain(|tp, _| wanted.contains(tp));
        self.completed.retain(|c| wanted.contains(&c.tp));
        for tp in wanted {
            if !self.partitions.contains_key(&tp) {
                let epoch = self.bump_epoch();
                self.partitions.insert(
                    tp,
                    PartitionState {
                        position: None,
                        pending: self.initial_position,
                        fetch_offset: 0,
                        epoch,
                        in_flight: false,
                        buffered: 0,
                        retry_at: None,
                        prefer_first: false,
                        high_watermark: -1,
                        last_stable_offset: -1,
                        log_start_offset: -1,
                    },
                );
            }
        }
    }

    /// Where partitions assigned from now on start (default: [`StartPosition::Reset`], i.e.
    /// `auto.offset.reset`). A group component leaves this alone and seeks to committed
    /// offsets instead.
    pub fn set_initial_position(&mut self, position: StartPosition) {
        self.initial_position = position;
    }

    /// The assigned partitions, sorted.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.partitions.keys().cloned().collect()
    }

    /// Moves `tp` (which must be assigned; otherwise nothing happens) to `position`, dropping
    /// data fetched for the old position.
    pub fn seek(&mut self, tp: &TopicPartition, position: StartPosition) {
        let epoch = self.bump_epoch();
        let Some(state) = self.partitions.get_mut(tp) else {
            return;
        };
        state.epoch = epoch;
        state.buffered = 0;
        state.retry_at = None;
        match position {
            StartPosition::Offset(offset) => {
                state.position = Some(offset);
                state.fetch_offset = offset;
            }
            other => {
                state.position = None;
                state.pending = other;
            }
        }
        self.completed.retain(|c| &c.tp != tp);
    }

    /// Each assigned partition's next offset to hand out (what a group commits), for
    /// partitions whose position is known.
    pub fn positions(&self) -> Vec<(TopicPartition, i64)> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.position.map(|p| (tp.clone(), p)))
            .collect()
    }

    /// The offsets known for `tp`.
    pub fn offsets(&self, tp: &TopicPartition) -> Option<PartitionOffsets> {
        self.partitions.get(tp).map(|s| PartitionOffsets {
            position: s.position,
            high_watermark: s.high_watermark,
            last_stable_offset: s.last_stable_offset,
            log_start_offset: s.log_start_offset,
        })
    }

    /// Whether fetched records are waiting to be handed out (collects finished fetches first).
    pub fn has_buffered_records(&mut self) -> bool {
        self.reap();
        !self.completed.is_empty()
    }

    fn bump_epoch(&mut self) -> u64 {
        self.next_epoch += 1;
        self.next_epoch
    }
}
