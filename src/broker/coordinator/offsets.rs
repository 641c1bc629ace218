//! Committed offsets per group, topic and partition, and Kafka's offset-retention rule. Owns
//! the in-memory map only; the coordinator journals every change before applying it here.

use std::collections::{BTreeMap, HashMap};

use super::group::{ClassicGroup, GroupState};
use super::types::CommittedOffset;

type TopicOffsets = BTreeMap<String, BTreeMap<i32, CommittedOffset>>;

#[derive(Debug, Default)]
pub struct OffsetStore {
    groups: HashMap<String, TopicOffsets>,
}

impl OffsetStore {
    pub fn commit(&mut self, group: &str, topic: &str, partition: i32, offset: CommittedOffset) {
        self.groups
            .entry(group.to_string())
            .or_default()
            .entry(topic.to_string())
            .or_default()
            .insert(partition, offset);
    }

    pub fn get(&self, group: &str, topic: &str, partition: i32) -> Option<&CommittedOffset> {
        self.groups.get(group)?.get(topic)?.get(&partition)
    }

    /// Every committed offset of `group`, by topic and partition.
    pub fn group(&self, group: &str) -> Option<&TopicOffsets> {
        self.groups.get(group)
    }

    /// Removes one offset; empty topics and groups disappear.
    pub fn delete(&mut self, group: &str, topic: &str, partition: i32) {
        let Some(topics) = self.groups.get_mut(group) else {
            return;
        };
        if let Some(partitions) = topics.get_mut(topic) {
            partitions.remove(&partition);
            if partitions.is_empty() {
                topics.remove(topic);
            }
        }
        if topics.is_empty() {
            self.groups.remove(group);
        }
    }

    pub fn delete_group(&mut self, group: &str) {
        self.groups.remove(group);
    }

    /// Whether any group has an offset for `topic`.
    pub fn has_topic(&self, topic: &str) -> bool {
        self.groups.values().any(|t| t.contains_key(topic))
    }

    /// Drops every group's offsets for a deleted topic.
    pub fn delete_topic(&mut self, topic: &str) {
        self.groups.retain(|_, topics| {
            topics.remove(topic);
            !topics.is_empty()
        });
    }

    /// The offsets of `group` that have expired at `now_ms`, and whether all of its offsets
    /// have (a group with none counts as all expired). Kafka's rule: an explicit expiry time
    /// (OffsetCommit v2–4) wins; an Empty group with a protocol type expires offsets a retention
    /// period after it became Empty; a simple group (no protocol type) a retention period after
    /// each commit; a Stable consumer group with known subscriptions only expires topics it no
    /// longer subscribes to, by commit time; other groups keep their offsets.
    pub fn expired(
        &self,
        group: &ClassicGroup,
        retention_ms: i64,
        now_ms: i64,
    ) -> (Vec<(String, i32)>, bool) {
        let Some(topics) = self.groups.get(group.id()) else {
            return (Vec::new(), true);
        };
        let base: Box<dyn Fn(&CommittedOffset) -> i64> = match group.protocol_type() {
            None => Box::new(|o: &CommittedOffset| o.commit_timestamp_ms),
            Some(_) if group.state() == GroupState::Empty => {
                let since = group.state_timestamp_ms();
                Box::new(move |_: &CommittedOffset| since)
            }
            Some(_)
                if group.uses_consumer_protocol()
                    && group.state() == GroupState::Stable
                    && group.subscribed_topics.is_some() =>
            {
                Box::new(|o: &CommittedOffset| o.commit_timestamp_ms)
            }
            Some(_) => return (Vec::new(), false),
        };
        let mut expired = Vec::new();
        let mut all = true;
        for (topic, partitions) in topics {
            if group.is_subscribed_to(topic) {
                all = false;
                continue;
            }
            for (partition, offset) in partitions {
                let is_expired = match offset.expire_timestamp_ms {
                    Some(expire_at) => now_ms >= expire_at,
                    None => now_ms.saturating_sub(base(offset)) >= retention_ms,
                };
                if is_expired {
                    expired.push((topic.clone(), *partition));
                } else {
                    all = false;
                }
            }
        }
        (expired, all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(value: i64, committed_at: i64, expire_at: Option<i64>) -> CommittedOffset {
        CommittedOffset {
            offset: value,
            leader_epoch: -1,
            metadata: String::new(),
            commit_timestamp_ms: committed_at,
            expire_timestamp_ms: expire_at,
        }
    }

    #[test]
    fn topics_and_groups_disappear_with_their_last_offset() {
        let mut store = OffsetStore::default();
        store.commit("g", "t", 0, offset(1, 0, None));
        store.commit("g", "u", 0, offset(2, 0, None));
        store.delete("g", "t", 0);
        assert!(store.group("g").unwrap().get("t").is_none());
        store.delete_topic("u");
        assert!(store.group("g").is_none());
        assert!(!store.has_topic("u"));
    }

    #[test]
    fn retention_follows_the_group_kind() {
        let retention = 1000;
        let mut store = OffsetStore::default();
        // A simple group: each offset by its commit time; explicit expiry wins.
        let simple = ClassicGroup::new("simple", 0);
        store.commit("simple", "t", 0, offset(1, 0, None));
        store.commit("simple", "t", 1, offset(1, 900, None));
        store.commit("simple", "t", 2, offset(1, 900, Some(950)));
        let (expired, all) = store.expired(&simple, retention, 1000);
        assert_eq!(expired, vec![("t".to_string(), 0), ("t".to_string(), 2)]);
        assert!(!all);

        // An Empty consumer group: everything, a retention period after it became Empty.
        let empty = ClassicGroup::restored("empty", Some("consumer".into()), 3, 500);
        store.commit("empty", "t", 0, offset(1, 0, None));
        assert_eq!(store.expired(&empty, retention, 1499).0.len(), 0);
        let (expired, all) = store.expired(&empty, retention, 1500);
        assert_eq!((expired.len(), all), (1, true));

        // A group without offsets counts as fully expired.
        assert_eq!(
            store.expired(&ClassicGroup::new("none", 0), retention, 0),
            (vec![], true)
        );
    }
}
