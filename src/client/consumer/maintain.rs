//! Work the poll loop does between fetches: follow a subscription's topics and partitions,
//! refresh metadata when leaders are unknown, and turn start positions (earliest, latest, a
//! timestamp, `auto.offset.reset`) into offsets through ListOffsets.

use std::collections::{BTreeMap, HashSet};

use tokio::time::Instant;

use super::{Consumer, OffsetReset, StartPosition, TopicPartition, TopicSelection};
use crate::client::admin::{Admin, OffsetSpec};
use crate::client::error::{ClientError, ClientResult};

impl Consumer {
    pub(super) async fn maintain(&mut self) -> ClientResult<()> {
        let now = Instant::now();
        if self.subscription.is_some() && now >= self.next_subscription_refresh {
            self.refresh_subscription().await?;
        }
        if self.metadata_needed && Instant::now() >= self.next_metadata_attempt {
            self.refresh_leaders().await?;
        }
        self.resolve_positions().await
    }

    fn fail_or_retry(&mut self, error: ClientError) -> ClientResult<()> {
        if self.tolerate(&error) {
            return Ok(());
        }
        Err(self.fatal.take().unwrap_or(error))
    }

    async fn refresh_subscription(&mut self) -> ClientResult<()> {
        let Some(selection) = self.subscription.clone() else {
            return Ok(());
        };
        let refreshed = match &selection {
            TopicSelection::Topics(names) => {
                self.cluster
                    .refresh_metadata_with(Some(names), self.config.allow_auto_create_topics)
                    .await
            }
            TopicSelection::Pattern(_) => self.cluster.refresh_metadata(None).await,
        };
        let metadata = match refreshed {
            Ok(metadata) => metadata,
            Err(e) => {
                self.next_subscription_refresh = Instant::now() + self.backoff;
                return self.fail_or_retry(e);
            }
        };
        self.note_success();
        let mut wanted = HashSet::new();
        let mut missing = false;
        for topic in metadata.topics.values() {
            if !selection.matches(
                &topic.name,
                topic.is_internal,
                self.config.exclude_internal_topics,
            ) {
                continue;
            }
            if topic.error_code != 0 || topic.partitions.is_empty() {
                missing = true;
                continue;
            }
            for p in &topic.partitions {
                wanted.insert(TopicPartition::new(&topic.name, p.partition));
            }
        }
        if let TopicSelection::Topics(names) = &selection {
            missing |= names.iter().any(|n| !metadata.topics.contains_key(n));
        }
        self.set_assignment(wanted);
        // A named topic that does not exist yet (or is still being created) is looked for
        // again soon, as Java's consumer does; otherwise every metadata.max.age.ms.
        let wait = if missing {
            self.cluster.config().retry_backoff_max
        } else {
            self.config.metadata_max_age
        };
        self.next_subscription_refresh = Instant::now() + wait;
        Ok(())
    }

    async fn refresh_leaders(&mut self) -> ClientResult<()> {
        let topics: Vec<String> = self
            .partitions
            .keys()
            .map(|tp| tp.topic.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        self.metadata_needed = false;
        self.next_metadata_attempt = Instant::now() + self.backoff;
        if topics.is_empty() {
            return Ok(());
        }
        match self
            .cluster
            .refresh_metadata_with(Some(&topics), self.config.allow_auto_create_topics)
            .await
        {
            Ok(_) => {
                self.note_success();
                Ok(())
            }
            Err(e) => {
                self.metadata_needed = true;
                self.fail_or_retry(e)
            }
        }
    }

    /// What ListOffsets should look up for `start` (`None` for a plain offset).
    fn spec_for(&self, start: StartPosition) -> Result<Option<OffsetSpec>, ()> {
        Ok(Some(match start {
            StartPosition::Earliest => OffsetSpec::Earliest,
            StartPosition::Latest => OffsetSpec::Latest,
            StartPosition::Timestamp(t) => OffsetSpec::Timestamp(t),
            StartPosition::Offset(_) => return Ok(None),
            StartPosition::Reset => match self.config.auto_offset_reset {
                OffsetReset::Earliest => OffsetSpec::Earliest,
                OffsetReset::Latest => OffsetSpec::Latest,
                OffsetReset::ByDuration(d) => {
                    let ago = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
                    OffsetSpec::Timestamp(chrono::Utc::now().timestamp_millis().saturating_sub(ago))
                }
                OffsetReset::None => return Err(()),
            },
        }))
    }

    async fn resolve_positions(&mut self) -> ClientResult<()> {
        let now = Instant::now();
        let mut by_spec: BTreeMap<SpecKey, Vec<TopicPartition>> = BTreeMap::new();
        let mut undefined = Vec::new();
        let mut direct = Vec::new();
        for (tp, state) in &self.partitions {
            if state.position.is_some() || state.retry_at.is_some_and(|at| at > now) {
                continue;
            }
            match self.spec_for(state.pending) {
                Ok(Some(spec)) => by_spec.entry(SpecKey(spec)).or_default().push(tp.clone()),
                Ok(None) => {
                    if let StartPosition::Offset(o) = state.pending {
                        direct.push((tp.clone(), o));
                    }
                }
                Err(()) => undefined.push(tp.to_string()),
            }
        }
        if !undefined.is_empty() {
            return Err(ClientError::Other(format!(
                "Undefined offset with no reset policy for partitions: [{}]",
                undefined.join(", ")
            )));
        }
        for (tp, offset) in direct {
            self.seek(&tp, StartPosition::Offset(offset));
        }
        for (SpecKey(spec), partitions) in by_spec {
            self.look_up(spec, partitions).await?;
        }
        Ok(())
    }

    async fn look_up(
        &mut self,
        spec: OffsetSpec,
        partitions: Vec<TopicPartition>,
    ) -> ClientResult<()> {
        let keys: Vec<(String, i32)> = partitions
            .iter()
            .map(|tp| (tp.topic.to_string(), tp.partition))
            .collect();
        let isolation = self.config.isolation_level.wire();
        let admin = Admin::new(&self.cluster);
        let mut answers = match admin.list_offsets_isolated(&keys, spec, isolation).await {
            Ok(answers) => answers,
            Err(e) => {
                for tp in &partitions {
                    self.retry_later(tp);
                }
                return self.fail_or_retry(e);
            }
        };
        let mut to_end = Vec::new();
        for tp in partitions {
            let answer = answers.remove(&(tp.topic.to_string(), tp.partition));
            match answer {
                Some(Ok(listed)) if listed.offset >= 0 => {
                    self.note_success();
                    self.seek(&tp, StartPosition::Offset(listed.offset));
                }
                // No record at or after the timestamp: start at the end.
                Some(Ok(_)) => to_end.push(tp),
                Some(Err(e)) => {
                    self.retry_later(&tp);
                    self.fail_or_retry(e)?;
                }
                None => self.retry_later(&tp),
            }
        }
        if !to_end.is_empty() {
            Box::pin(self.look_up(OffsetSpec::Latest, to_end)).await?;
        }
        Ok(())
    }

    fn retry_later(&mut self, tp: &TopicPartition) {
        let at = Instant::now() + self.backoff;
        if let Some(state) = self.partitions.get_mut(tp) {
            state.retry_at = Some(at);
        }
    }
}

/// [`OffsetSpec`] as a map key (grouping partitions into one ListOffsets per spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpecKey(OffsetSpec);

impl SpecKey {
    fn rank(&self) -> (u8, i64) {
        match self.0 {
            OffsetSpec::Earliest => (0, 0),
            OffsetSpec::Latest => (1, 0),
            OffsetSpec::MaxTimestamp => (2, 0),
            OffsetSpec::Timestamp(t) => (3, t),
        }
    }
}

impl PartialOrd for SpecKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SpecKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}
