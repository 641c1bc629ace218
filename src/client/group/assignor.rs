//! The leader-side partition assignors of the classic consumer protocol: range and round-robin,
//! written to give exactly the assignments of Java's `RangeAssignor` and `RoundRobinAssignor`
//! (and so librdkafka's, which copies them), and cooperative-sticky (KIP-429, in [`sticky`]),
//! which interoperates with Java's `CooperativeStickyAssignor` and librdkafka's
//! `cooperative-sticky` in one group. Owns the algorithms only: no I/O.
//!
//! Not implemented: rack-aware range assignment (Java uses it only when members send
//! `client.rack` and partitions have replicas on other racks; we send no rack and assign as if no
//! member had one) and the eager `sticky` assignor (refused by name).

pub mod sticky;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::client::error::{ClientError, ClientResult};

/// Assignment of one member: partitions by topic.
pub type MemberAssignment = BTreeMap<String, Vec<i32>>;

/// A partition assignor, named on the wire as Java names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    Range,
    RoundRobin,
    /// KIP-429: the only assignor here whose rebalances are incremental (cooperative).
    CooperativeSticky,
}

/// Java's class names for `partition.assignment.strategy`.
const RANGE_CLASS: &str = "org.apache.kafka.clients.consumer.RangeAssignor";
const ROUND_ROBIN_CLASS: &str = "org.apache.kafka.clients.consumer.RoundRobinAssignor";
const COOPERATIVE_STICKY_CLASS: &str =
    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
/// Assignors Java and librdkafka know that kafkit does not implement.
const UNSUPPORTED: &[&str] = &["sticky", "org.apache.kafka.clients.consumer.StickyAssignor"];

impl Assignor {
    /// The protocol name in JoinGroup ("range", "roundrobin").
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether rebalances with this assignor are cooperative (revoke only what moves) rather
    /// than eager (revoke everything first).
    pub fn is_cooperative(self) -> bool {
        matches!(self, Assignor::CooperativeSticky)
    }

    /// Parses one `partition.assignment.strategy` entry: a protocol name or Java's class name.
    pub fn parse(value: &str) -> ClientResult<Assignor> {
        match value.trim() {
            "range" | RANGE_CLASS => Ok(Assignor::Range),
            "roundrobin" | ROUND_ROBIN_CLASS => Ok(Assignor::RoundRobin),
            "cooperative-sticky" | COOPERATIVE_STICKY_CLASS => Ok(Assignor::CooperativeSticky),
            other if UNSUPPORTED.contains(&other) => Err(ClientError::Config(format!(
                "partition.assignment.strategy {other} is not supported by kafkit (use range, \
                 roundrobin or cooperative-sticky)"
            ))),
            other => Err(ClientError::Config(format!(
                "Invalid value {other} for configuration partition.assignment.strategy: unknown assignor"
            ))),
        }
    }

    /// Parses a comma-separated `partition.assignment.strategy` list (in preference order).
    pub fn parse_list(value: &str) -> ClientResult<Vec<Assignor>> {
        let list: Vec<Assignor> = value
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Assignor::parse)
            .collect::<ClientResult<_>>()?;
        if list.is_empty() {
            return Err(ClientError::Config(
                "partition.assignment.strategy must name at least one assignor".to_string(),
            ));
        }
        Ok(list)
    }

    /// The assignor for a protocol name the coordinator chose.
    pub fn by_name(name: &str) -> Option<Assignor> {
        match name {
            "range" => Some(Assignor::Range),
            "roundrobin" => Some(Assignor::RoundRobin),
            "cooperative-sticky" => Some(Assignor::CooperativeSticky),
            _ => None,
        }
    }

    /// Assigns the partitions of `partitions_per_topic` (topic → partition count; topics missing
    /// from it have no metadata and are skipped, as in Java) to `members`. Every member gets an
    /// entry, possibly empty.
    pub fn assign(
        self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &[MemberSubscription],
    ) -> BTreeMap<String, MemberAssignment> {
        self.assign_owned(partitions_per_topic, members, &BTreeMap::new())
    }

    /// [`Assignor::assign`] given what each member (by id) said it owned: only
    /// cooperative-sticky uses it; range and round-robin ignore it, as in Java.
    pub fn assign_owned(
        self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &[MemberSubscription],
        owned: &BTreeMap<String, sticky::OwnedPartitions>,
    ) -> BTreeMap<String, MemberAssignment> {
        let mut result: BTreeMap<String, MemberAssignment> = members
            .iter()
            .map(|m| (m.member_id.clone(), MemberAssignment::new()))
            .collect();
        let mut sorted: Vec<&MemberSubscription> = members.iter().collect();
        sorted.sort_by(|a, b| member_order(a, b));
        match self {
            Assignor::Range => range(partitions_per_topic, &sorted, &mut result),
            Assignor::RoundRobin => round_robin(partitions_per_topic, &sorted, &mut result),
            Assignor::CooperativeSticky => {
                result.extend(sticky::cooperative_sticky(
                    partitions_per_topic,
                    &sorted,
                    owned,
                ));
            }
        }
        result
    }
}

/// One member as the assignor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: BTreeSet<String>,
}

/// Java's `String.compareTo`: by UTF-16 code units (differs from byte order only above U+FFFF).
pub fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Java's `MemberInfo.compareTo`: static members first by instance id, then dynamic ones by
/// member id.
fn member_order(a: &MemberSubscription, b: &MemberSubscription) -> Ordering {
    match (&a.group_instance_id, &b.group_instance_id) {
        (Some(x), Some(y)) => java_string_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java_string_cmp(&a.member_id, &b.member_id),
    }
}

/// `RangeAssignor`: per topic, its subscribers in member order each take a contiguous range;
/// the first `partitions % subscribers` of them take one extra.
fn range(
    partitions_per_topic: &BTreeMap<String, i32>,
    sorted: &[&MemberSubscription],
    result: &mut BTreeMap<String, MemberAssignment>,
) {
    for (topic, &count) in partitions_per_topic {
        if count <= 0 {
            continue;
        }
        let consumers: Vec<&&MemberSubscription> =
            sorted.iter().filter(|m| m.topics.contains(topic)).collect();
        if consumers.is_empty() {
            continue;
        }
        let n = consumers.len() as i32;
        let per_consumer = count / n;
        let with_extra = count % n;
        for (i, member) in consumers.iter().enumerate() {
            let i = i as i32;
            let start = per_consumer * i + i.min(with_extra);
            let length = per_consumer + i32::from(i < with_extra);
            if length == 0 {
                continue;
            }
            if let Some(assigned) = result.get_mut(&member.member_id) {
                assigned
                    .entry(topic.clone())
                    .or_default()
                    .extend(start..start + length);
            }
        }
    }
}

/// `RoundRobinAssignor`: every partition of every subscribed topic (topics in Java string order,
/// partitions ascending) goes to the next member in a circular walk over all members, skipping
/// members not subscribed to its topic.
fn round_robin(
    partitions_per_topic: &BTreeMap<String, i32>,
    sorted: &[&MemberSubscription],
    result: &mut BTreeMap<String, MemberAssignment>,
) {
    if sorted.is_empty() {
        return;
    }
    let mut topics: Vec<&String> = sorted
        .iter()
        .flat_map(|m| m.topics.iter())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    topics.sort_by(|a, b| java_string_cmp(a, b));
    let mut next = 0usize;
    for topic in topics {
        let Some(&count) = partitions_per_topic.get(topic) else {
            continue;
        };
        for partition in 0..count.max(0) {
            // Someone subscribes to `topic` (it came from the subscriptions), so this ends.
            while !sorted[next % sorted.len()].topics.contains(topic) {
                next += 1;
            }
            let member = sorted[next % sorted.len()];
            next += 1;
            if let Some(assigned) = result.get_mut(&member.member_id) {
                assigned.entry(topic.clone()).or_default().push(partition);
            }
        }
    }
}

#[cfg(test)]
mod tests;
