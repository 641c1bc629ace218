//! Classic consumer-group membership (JoinGroup / SyncGroup / Heartbeat / LeaveGroup with the
//! "consumer" embedded protocol) and committed offsets, for consumers. Group administration for
//! the tools is in [`crate::client::group_admin`]. Must not fetch records: that is the consumer's.
//!
//! # The seam with the consumer
//!
//! The consumer owns fetching, positions and `auto.offset.reset`; [`GroupMember`] owns
//! membership and commits. It is driven by the consumer's loop, as Java's `ConsumerCoordinator`
//! is driven by `KafkaConsumer.poll`; only heartbeats run in a background task:
//!
//! ```text
//! let (mut member, first) = GroupMember::join(cluster.clone(), group_config, subscription).await?;
//! apply(&mut consumer, &first);
//! loop {
//!     let positions = positions_of(&consumer);   // Consumer::positions() as OffsetAndMetadata
//!     if let Some(change) = member.poll(&positions).await? {
//!         apply(&mut consumer, &change);
//!     }
//!     consumer.poll(timeout, handler).await?;    // fetch and deliver records
//! }
//! member.close(&positions_of(&consumer)).await?; // final auto-commit, then LeaveGroup
//!
//! fn apply(consumer, change: &Rebalance) {
//!     consumer.assign(change.assigned ...);      // drops revoked, keeps the others' positions
//!     for each tp in change.added: consumer.seek(tp, match change.committed[tp] {
//!         Some(o) => StartPosition::Offset(o.offset),
//!         None => StartPosition::Reset,          // auto.offset.reset
//!     });
//! }
//! ```
//!
//! Partitions are `(topic, partition)` tuples here and `consumer::TopicPartition` in the
//! consumer; `positions_of` maps `Consumer::positions()` to
//! `((topic.to_string(), partition), OffsetAndMetadata::new(offset))`.
//!
//! - [`GroupMember::join`] joins and returns the first [`Rebalance`]; [`GroupMember::new`] plus
//!   `poll` does the same lazily.
//! - [`GroupMember::poll`] must be called at least every `max.poll.interval.ms` (otherwise the
//!   heartbeat task leaves the group, as Java's does). It returns `Some(Rebalance)` when a
//!   rebalance completed during the call: `revoked`, the whole new `assigned`, and the `added`
//!   partitions with their `committed` offsets (`None` = no commit: the consumer applies
//!   `auto.offset.reset`). With range / round-robin the protocol is eager (everything owned is
//!   revoked, `added` = `assigned`); with cooperative-sticky alone (KIP-429) only partitions that
//!   move are revoked, the member rejoins by itself to complete such a rebalance, and the
//!   partitions it keeps must keep their positions. While rejoining, `poll` blocks (up to the
//!   rebalance timeout); the consumer fetches nothing meanwhile, exactly as in Java.
//! - `positions` (next offset to fetch per partition, with the leader epoch of the last record
//!   when known) are passed to every `poll` and to `close`: the member commits them every
//!   `auto.commit.interval.ms` (5 s), before giving partitions up in a rebalance, and on close,
//!   when `enable.auto.commit` is true. Only partitions the member owns are committed.
//! - [`GroupMember::commit`] commits explicitly (`commitSync`); [`GroupMember::committed`] reads
//!   committed offsets. Both go to the group coordinator, which may be another broker than the
//!   partition leaders.
//! - After an error from `poll`, [`GroupMember::assignment`] tells what is still owned (empty
//!   once an eager rejoin started; what was kept by a cooperative one); the next `poll` retries
//!   the rejoin.
//! - Dropping a member without `close` stops heartbeating; the coordinator removes it after
//!   `session.timeout.ms` (how a crashed consumer looks to the group).
//!
//! Modules: [`assignor`] (range, roundrobin, cooperative-sticky), [`config`] (settings,
//! subscription), [`coordinator`] (FindCoordinator and routing), [`offsets`] (OffsetCommit /
//! OffsetFetch shapes), `member` ([`GroupMember`]), and the private `join`, `heartbeat`,
//! `leave`, `link`, `state` modules.

pub mod assignor;
pub mod config;
pub mod coordinator;
mod heartbeat;
mod join;
mod leave;
mod link;
mod member;
pub mod offsets;
mod state;

pub use assignor::Assignor;
pub use config::{GroupConfig, Subscription, TopicPattern};
pub use join::CONSUMER_PROTOCOL_TYPE;
pub use member::{GroupMember, Rebalance};
pub use offsets::OffsetAndMetadata;

/// A (topic, partition), as the rest of the client names partitions.
pub type TopicPartition = (String, i32);
