//! [`GroupMember`]: one consumer's membership in a classic consumer group, driven by the
//! consumer's `poll` loop like Java's `ConsumerCoordinator` (see the module docs of
//! [`crate::client::group`] for the contract with the consumer).
//!
//! Owns joining and rejoining, auto-commit timing, commits before revocation and on close,
//! subscription changes (patterns, partition counts seen by the leader), and delivering the
//! committed offsets of newly assigned partitions. It does not fetch records or reset offsets.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, OffsetCommitRequest, OffsetFetchRequest};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::{GroupConfig, Subscription};
use super::coordinator::{classify, CoordinatorError};
use super::heartbeat::Heartbeat;
use super::join::{join_round, partition_counts, Joined, Round};
use super::leave::leave_group;
use super::link::CoordinatorLink;
use super::offsets::{
    commit_request, commit_results, fetch_request, fetch_results, CommitIdentity, OffsetAndMetadata,
};
use super::state::SharedState;
use super::TopicPartition;
use crate::client::cluster::Cluster;
use crate::client::error::{ClientError, ClientResult};
use crate::protocol::consumer_protocol::NO_GENERATION;

/// How soon a leader looks again for subscribed topics that had no metadata when it assigned
/// (instead of `metadata.max.age.ms`), so a group started before its topic exists gets the
/// topic's partitions soon after it is created.
const MISSING_TOPIC_RECHECK: Duration = Duration::from_secs(1);

/// What changed in a rebalance. With range / round-robin the protocol is eager: every
/// previously owned partition is revoked, then the new assignment is given (`added` =
/// `assigned`). With cooperative-sticky (KIP-429) only partitions that move are revoked; the
/// member keeps fetching the rest from its own positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebalance {
    pub generation_id: i32,
    pub member_id: String,
    /// The assignor the group used ("range", "roundrobin", "cooperative-sticky").
    pub protocol: String,
    /// Whether this member computed the assignment.
    pub is_leader: bool,
    /// Partitions the consumer must stop fetching (already committed if auto-commit is on).
    pub revoked: Vec<TopicPartition>,
    /// The whole new assignment.
    pub assigned: Vec<TopicPartition>,
    /// The partitions of `assigned` this member did not own before: the only ones to seek.
    pub added: Vec<TopicPartition>,
    /// Committed offsets of `added`; `None` = nothing committed (apply `auto.offset.reset`).
    pub committed: BTreeMap<TopicPartition, Option<OffsetAndMetadata>>,
}

/// A member of a consumer group. Dropping it stops the heartbeat without leaving the group (the
/// coordinator removes it after `session.timeout.ms`); [`close`](GroupMember::close) leaves.
pub struct GroupMember {
    config: GroupConfig,
    subscription: Subscription,
    link: Arc<CoordinatorLink>,
    state: SharedState,
    heartbeat: Option<JoinHandle<()>>,
    /// What the member owns now.
    assignment: BTreeSet<TopicPartition>,
    /// Revoked partitions not yet reported (a rejoin failed after revoking them).
    unreported_revoked: BTreeSet<TopicPartition>,
    /// An assignment whose committed offsets could not be fetched yet, and its new partitions.
    pending: Option<(Joined, Vec<TopicPartition>)>,
    /// The topics of the subscription sent in the last JoinGroup.
    joined_topics: BTreeSet<String>,
    /// Partition counts the leader assigned from (`None` unless leader).
    leader_snapshot: Option<BTreeMap<String, i32>>,
    next_auto_commit: Instant,
    next_metadata_check: Instant,
}

impl std::fmt::Debug for GroupMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupMember")
            .field("group_id", &self.config.group_id)
            .field("assignment", &self.assignment)
            .finish()
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        self.stop_heartbeat();
    }
}

impl GroupMember {
    /// Joins `config.group_id` subscribed to `subscription` and waits for the first assignment
    /// (bounded by the rebalance timeout plus `default.api.timeout.ms`).
    pub async fn join(
        cluster: Arc<Cluster>,
        config: GroupConfig,
        subscription: Subscription,
    ) -> ClientResult<(GroupMember, Rebalance)> {
        let mut member = GroupMember::new(cluster, config, subscription)?;
        let positions = BTreeMap::new();
        loop {
            if let Some(rebalance) = member.poll(&positions).await? {
                return Ok((member, rebalance));
            }
        }
    }

    /// A member that joins on its first [`poll`](GroupMember::poll).
    pub fn new(
        cluster: Arc<Cluster>,
        config: GroupConfig,
        subscription: Subscription,
    ) -> ClientResult<GroupMember> {
        config.validate()?;
        let link = Arc::new(CoordinatorLink::new(
            cluster,
            &config.group_id,
            config.max_poll_interval,
        ));
        let now = Instant::now();
        Ok(GroupMember {
            next_auto_commit: now + config.auto_commit_interval,
            next_metadata_check: now + config.metadata_max_age,
            config,
            subscription,
            link,
            state: SharedState::new(),
            heartbeat: None,
            assignment: BTreeSet::new(),
            unreported_revoked: BTreeSet::new(),
            pending: None,
            joined_topics: BTreeSet::new(),
            leader_snapshot: None,
        })
    }

    pub fn group_id(&self) -> &str {
        &self.config.group_id
    }

    /// The member id the coordinator gave ("" before the first join).
    pub fn member_id(&self) -> String {
        self.state.lock().member_id.clone()
    }

    /// The generation of the last completed rebalance (-1 when not in one).
    pub fn generation_id(&self) -> i32 {
        self.state.lock().generation_id
    }

    /// The partitions owned now (with the eager protocol: empty while rejoining and after a
    /// failed rejoin; a cooperative member keeps what it was not asked to give up).
    pub fn assignment(&self) -> &BTreeSet<TopicPartition> {
        &self.assignment
    }

    /// Whether the next [`poll`](GroupMember::poll) will rejoin the group.
    pub fn rejoin_needed(&self) -> bool {
        self.state.lock().rejoin.is_some() || self.pending.is_some()
    }

    /// Drives membership; call it from the consumer's loop at least every
    /// `max.poll.interval.ms`. `positions` are the consumer's next offsets to fetch for
    /// (some of) its assigned partitions: they are what auto-commit commits, every
    /// `auto.commit.interval.ms` and before a rebalance revokes them. Returns the change when a
    /// rebalance completed, `None` otherwise.
    pub async fn poll(
        &mut self,
        positions: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> ClientResult<Option<Rebalance>> {
        let (fatal, rejoin) = {
            let mut state = self.state.lock();
            state.last_poll = Instant::now();
            (state.fatal.clone(), state.rejoin.clone())
        };
        if let Some(error) = fatal {
            return Err(error);
        }
        if self.pending.is_some() {
            return self.deliver_pending().await.map(Some);
        }
        if rejoin.is_none() && Instant::now() >= self.next_metadata_check {
            self.check_metadata().await?;
        }
        let rejoin = self.state.lock().rejoin.clone();
        if let Some(reason) = rejoin {
            return self.rejoin(positions, &reason).await.map(Some);
        }
        if self.config.enable_auto_commit && Instant::now() >= self.next_auto_commit {
            self.next_auto_commit = Instant::now() + self.config.auto_commit_interval;
            let owned = self.owned_positions(positions);
            if !owned.is_empty() {
                // As Java's asynchronous auto-commit: one attempt, a failure is retried at the
                // next interval, and rebalance errors have already flagged the rejoin.
                let _ = self.commit_offsets(&owned, false).await;
            }
        }
        Ok(None)
    }

    /// Commits `offsets` with this member's generation (Java's `commitSync`), retrying
    /// coordinator errors within `default.api.timeout.ms`. Fails when the group is rebalancing
    /// or has moved on (the member then rejoins at its next `poll`).
    pub async fn commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> ClientResult<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        self.commit_offsets(offsets, true).await
    }

    /// The committed offsets of `partitions` (`None`: nothing committed), read with
    /// `require_stable` as Java's consumer does.
    pub async fn committed(
        &self,
        partitions: &[TopicPartition],
    ) -> ClientResult<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        if partitions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let cluster = self.link.cluster().clone();
        let config = cluster.config();
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        loop {
            let error = match self.fetch_committed_once(partitions).await {
                Ok(found) => return Ok(found),
                Err(e) => e,
            };
            let retry = match classify(&error) {
                CoordinatorError::Rediscover => {
                    self.link.invalidate();
                    true
                }
                CoordinatorError::Wait => true,
                CoordinatorError::Other => error.is_retriable(),
            };
            if !retry || Instant::now() + backoff >= deadline {
                return Err(error);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff_max);
        }
    }

    /// Leaves the group: commits `positions` first when auto-commit is on, then sends
    /// LeaveGroup (dynamic members only: a static member keeps its partitions until its session
    /// expires, as in Java). Returns the commit's error, if any, after leaving.
    pub async fn close(
        mut self,
        positions: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> ClientResult<()> {
        self.stop_heartbeat();
        let (member_id, generation_id) = {
            let s = self.state.lock();
            (s.member_id.clone(), s.generation_id)
        };
        let mut outcome = Ok(());
        if self.config.enable_auto_commit && generation_id != NO_GENERATION {
            let owned = self.owned_positions(positions);
            if !owned.is_empty() {
                outcome = self.commit_offsets(&owned, true).await;
            }
        }
        if self.config.group_instance_id.is_none() && !member_id.is_empty() {
            // Best effort: if it fails, the session timeout removes the member.
            let _ = leave_group(
                &self.link,
                &self.config.group_id,
                &member_id,
                None,
                "the consumer is being closed",
            )
            .await;
        }
        self.state.reset_member("closed");
        self.assignment.clear();
        outcome
    }

    fn stop_heartbeat(&mut self) {
        if let Some(task) = self.heartbeat.take() {
            task.abort();
        }
    }

    /// The positions of partitions this member owns.
    fn owned_positions(
        &self,
        positions: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        positions
            .iter()
            .filter(|(tp, _)| self.assignment.contains(*tp))
            .map(|(tp, o)| (tp.clone(), o.clone()))
            .collect()
    }

    /// Commits the owned positions, revokes what the protocol says (everything when eager; when
    /// cooperative only partitions of topics no longer subscribed, or everything if the
    /// generation was lost), joins until a generation is complete, starts heartbeating, and
    /// fetches the committed offsets of the partitions it gained. A cooperative member that
    /// must give partitions up revokes them and rejoins at its next `poll` (KIP-429's second
    /// rebalance), so nobody else fetches them while it still does.
    async fn rejoin(
        &mut self,
        positions: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        reason: &str,
    ) -> ClientResult<Rebalance> {
        self.stop_heartbeat();
        let cooperative = self.config.is_cooperative();
        let topics = self.subscribed_topics().await?;
        if !self.assignment.is_empty() {
            let lost = self.generation_id() == NO_GENERATION;
            if self.config.enable_auto_commit && !lost {
                let owned = self.owned_positions(positions);
                if !owned.is_empty() {
                    // Java commits synchronously before a rebalance and only logs a failure.
                    let _ = self.commit_offsets(&owned, true).await;
                }
            }
            let revoked: BTreeSet<TopicPartition> = if cooperative && !lost {
                self.assignment
                    .iter()
                    .filter(|(t, _)| !topics.contains(t))
                    .cloned()
                    .collect()
            } else {
                self.assignment.clone()
            };
            self.assignment.retain(|tp| !revoked.contains(tp));
            self.unreported_revoked.extend(revoked);
        }
        let owned = self.assignment.clone();
        let joined = self.join_until_done(&topics, &owned, reason).await?;
        self.joined_topics = topics;
        self.state.lock().rejoin = None;
        // Java rejoins when the assignment names topics outside the subscription (it changed
        // since the leader computed it); the rest is used meanwhile.
        let (inside, outside): (Vec<_>, Vec<_>) = joined
            .assignment
            .topic_partitions()
            .into_iter()
            .partition(|(t, _)| self.joined_topics.contains(t));
        if !outside.is_empty() {
            self.state
                .request_rejoin("the assignment does not match the subscription");
        }
        let assigned: BTreeSet<TopicPartition> = inside.into_iter().collect();
        let revoked: Vec<TopicPartition> = owned.difference(&assigned).cloned().collect();
        let added: Vec<TopicPartition> = assigned.difference(&owned).cloned().collect();
        if !revoked.is_empty() {
            // Positions were committed before joining, and nothing was fetched since.
            self.state.request_rejoin(
                "partitions were revoked: rejoining to complete the cooperative rebalance",
            );
            self.unreported_revoked.extend(revoked);
        }
        self.assignment = assigned;
        self.leader_snapshot = joined.leader_snapshot.clone();
        let recheck = self.metadata_recheck();
        self.heartbeat = Some(
            Heartbeat {
                link: self.link.clone(),
                state: self.state.clone(),
                group_id: self.config.group_id.clone(),
                member_id: joined.member_id.clone(),
                generation_id: joined.generation_id,
                group_instance_id: self.config.group_instance_id.clone(),
                interval: self.config.heartbeat_interval,
                session_timeout: self.config.session_timeout,
                max_poll_interval: self.config.max_poll_interval,
                retry_backoff: self.link.cluster().config().retry_backoff,
            }
            .spawn(),
        );
        let now = Instant::now();
        self.next_auto_commit = now + self.config.auto_commit_interval;
        self.next_metadata_check = now + recheck;
        self.pending = Some((joined, added));
        self.deliver_pending().await
    }

    /// Fetches the committed offsets of the pending assignment and reports it.
    async fn deliver_pending(&mut self) -> ClientResult<Rebalance> {
        let Some((joined, added)) = self.pending.as_ref() else {
            return Err(ClientError::Other("no rebalance to deliver".to_string()));
        };
        let added = added.clone();
        let (generation_id, member_id, protocol, is_leader) = (
            joined.generation_id,
            joined.member_id.clone(),
            joined.protocol.clone(),
            joined.is_leader,
        );
        let assigned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        let committed = self.committed(&added).await?;
        self.pending = None;
        Ok(Rebalance {
            generation_id,
            member_id,
            protocol,
            is_leader,
            revoked: std::mem::take(&mut self.unreported_revoked)
                .into_iter()
                .collect(),
            assigned,
            added,
            committed,
        })
    }

    /// Join rounds until one completes, backing off after errors; bounded by the rebalance
    /// timeout plus `default.api.timeout.ms`.
    async fn join_until_done(
        &mut self,
        topics: &BTreeSet<String>,
        owned: &BTreeSet<TopicPartition>,
        reason: &str,
    ) -> ClientResult<Joined> {
        let cluster = self.link.cluster().clone();
        let config = cluster.config();
        let deadline = Instant::now() + self.config.max_poll_interval + config.api_timeout;
        let mut backoff = config.retry_backoff;
        let mut reason = reason.to_string();
        loop {
            let error = match join_round(
                &self.link,
                &self.config,
                &self.state,
                topics,
                owned,
                &reason,
            )
            .await
            {
                Ok(Round::Joined(joined)) => return Ok(joined),
                Ok(Round::Again) => {
                    if Instant::now() >= deadline {
                        return Err(self.join_timeout("the group kept rebalancing"));
                    }
                    reason = "rejoining after the coordinator's answer".to_string();
                    continue;
                }
                Err(e) => e,
            };
            let retry = match classify(&error) {
                CoordinatorError::Rediscover => {
                    self.link.invalidate();
                    true
                }
                CoordinatorError::Wait => true,
                CoordinatorError::Other => {
                    error.code() == Some(ResponseError::RebalanceInProgress)
                        || (error.is_retriable() && error.code().is_some())
                        || unreadable_sync_answer(&error)
                }
            };
            if !retry {
                return Err(error);
            }
            if Instant::now() + backoff >= deadline {
                return Err(self.join_timeout(&error.to_string()));
            }
            reason = format!("rebalance failed due to '{error}'");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff_max);
        }
    }

    fn join_timeout(&self, last: &str) -> ClientError {
        ClientError::Other(format!(
            "joining group {} did not complete within {} ms: {last}",
            self.config.group_id,
            (self.config.max_poll_interval + self.link.cluster().config().api_timeout).as_millis()
        ))
    }

    /// The topics to subscribe to now: the list, or the pattern's matches in fresh metadata.
    async fn subscribed_topics(&self) -> ClientResult<BTreeSet<String>> {
        match &self.subscription {
            Subscription::Topics(topics) => Ok(topics.iter().cloned().collect()),
            Subscription::Pattern(pattern) => {
                let cluster = self.link.cluster();
                let metadata = cluster
                    .retry("Metadata for the subscription pattern", || {
                        cluster.refresh_metadata(None)
                    })
                    .await?;
                Ok(metadata
                    .topics
                    .values()
                    .filter(|t| !(self.config.exclude_internal_topics && t.is_internal))
                    .filter(|t| pattern.matches(&t.name))
                    .map(|t| t.name.clone())
                    .collect())
            }
        }
    }

    /// Every `metadata.max.age.ms`: a pattern that matches other topics now, or (leader) a
    /// topic of the group whose partition count changed, needs a rebalance.
    async fn check_metadata(&mut self) -> ClientResult<()> {
        self.next_metadata_check = Instant::now() + self.metadata_recheck();
        if matches!(self.subscription, Subscription::Pattern(_))
            && self.subscribed_topics().await? != self.joined_topics
        {
            self.state
                .request_rejoin("the topics matching the subscription pattern changed");
            return Ok(());
        }
        if let Some(snapshot) = &self.leader_snapshot {
            let topics: BTreeSet<String> = snapshot.keys().cloned().collect();
            if &partition_counts(&self.link, &topics).await? != snapshot {
                self.state
                    .request_rejoin("the partitions of the group's topics changed");
            }
        }
        Ok(())
    }

    /// How long until the next metadata check: `metadata.max.age.ms`, or sooner while the
    /// leader waits for a subscribed topic to appear.
    fn metadata_recheck(&self) -> Duration {
        let waiting = self
            .leader_snapshot
            .as_ref()
            .is_some_and(|counts| counts.values().any(|&n| n == 0));
        if waiting {
            self.config.metadata_max_age.min(MISSING_TOPIC_RECHECK)
        } else {
            self.config.metadata_max_age
        }
    }

    /// OffsetCommit with this member's identity; with `retries`, coordinator errors are retried
    /// (backed off, within `default.api.timeout.ms`), otherwise only noted (the coordinator is
    /// found again next time).
    async fn commit_offsets(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
        retries: bool,
    ) -> ClientResult<()> {
        let cluster = self.link.cluster().clone();
        let config = cluster.config();
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        loop {
            let identity = {
                let s = self.state.lock();
                CommitIdentity {
                    generation_id: s.generation_id,
                    member_id: s.member_id.clone(),
                    group_instance_id: self.config.group_instance_id.clone(),
                }
            };
            if identity.generation_id == NO_GENERATION {
                return Err(ClientError::Other(format!(
                    "cannot commit offsets for group {}: the consumer is not part of an active \
                     generation (it is rejoining the group)",
                    self.config.group_id
                )));
            }
            let error = match self.commit_attempt(&identity, offsets).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let retry = match error.code() {
                Some(ResponseError::UnknownMemberId) => {
                    self.state
                        .reset_member("the coordinator does not know this member");
                    false
                }
                Some(ResponseError::IllegalGeneration) => {
                    self.state
                        .reset_generation("the generation is no longer valid");
                    false
                }
                Some(ResponseError::RebalanceInProgress) => {
                    self.state.request_rejoin("the group is rebalancing");
                    false
                }
                Some(ResponseError::FencedInstanceId) => {
                    self.state.fail(error.clone());
                    false
                }
                _ => match classify(&error) {
                    CoordinatorError::Rediscover => {
                        self.link.invalidate();
                        true
                    }
                    CoordinatorError::Wait => true,
                    CoordinatorError::Other => error.is_retriable(),
                },
            };
            if !retry || !retries || Instant::now() + backoff >= deadline {
                return Err(error);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff_max);
        }
    }

    async fn commit_attempt(
        &self,
        identity: &CommitIdentity,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> ClientResult<()> {
        let connection = self.link.connection().await?;
        let version = connection.version_for::<OffsetCommitRequest>()?;
        let request = commit_request(version, &self.config.group_id, identity, offsets)?;
        let response = self
            .link
            .bounded(ApiKey::OffsetCommit, connection.send_at(request, version))
            .await?;
        match commit_results(&response)
            .into_iter()
            .find(|(_, code)| *code != 0)
        {
            None => Ok(()),
            Some(((topic, partition), code)) => Err(ClientError::kafka(
                code,
                None,
                format!(
                    "committing offsets of group {} (topic {topic} partition {partition})",
                    self.config.group_id
                ),
            )),
        }
    }

    async fn fetch_committed_once(
        &self,
        partitions: &[TopicPartition],
    ) -> ClientResult<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let connection = self.link.connection().await?;
        let version = connection.version_for::<OffsetFetchRequest>()?;
        let request = fetch_request(version, &self.config.group_id, Some(partitions), true)?;
        let response = self
            .link
            .bounded(ApiKey::OffsetFetch, connection.send_at(request, version))
            .await?;
        let mut found = fetch_results(version, &self.config.group_id, response)?;
        // Partitions the broker left out have nothing committed.
        for tp in partitions {
            found.entry(tp.clone()).or_insert(None);
        }
        Ok(found)
    }
}

/// A SyncGroup answer that does not decode. librdkafka's mock cluster writes a null assignment
/// (not allowed by the schema) into its error answers, e.g. REBALANCE_IN_PROGRESS; the sync
/// failed either way, so the member joins again (after a backoff, within the join deadline).
fn unreadable_sync_answer(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Protocol {
            api: ApiKey::SyncGroup,
            ..
        }
    )
}
