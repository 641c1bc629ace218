//! Committed offsets on the wire: OffsetCommit (v2–v9) and OffsetFetch (v1–v9, the multi-group
//! layout from v8) requests built for one group, and their answers read back per partition.
//! Shared by the group member (commits with its generation) and the group admin (commits with
//! generation -1 and no member, fetches of every partition). Owns request shapes only: sending,
//! retrying and routing belong to the callers.

use std::collections::BTreeMap;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    GroupId, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::coordinator::group_error;
use super::TopicPartition;
use crate::client::error::{ClientError, ClientResult};

/// `generation_id` of a commit from outside the group (admin tools, manual assignment).
pub const NO_GENERATION: i32 = -1;
/// `retention_time_ms` meaning "the broker's default" (v2–4).
const DEFAULT_RETENTION_MS: i64 = -1;
/// An offset the broker has none for.
const NO_OFFSET: i64 = -1;
/// A leader epoch nobody knows (sent and received).
const NO_LEADER_EPOCH: i32 = -1;
/// OffsetFetch v9's `member_epoch` for classic groups (KIP-848 members send theirs).
const NO_MEMBER_EPOCH: i32 = -1;
/// The first OffsetFetch version with `groups[]` instead of one `group_id`.
const MULTI_GROUP_FETCH_VERSION: i16 = 8;
/// The first OffsetFetch version that can ask for "all partitions" (null topics).
const ALL_TOPICS_FETCH_VERSION: i16 = 2;
/// The first OffsetFetch version with a top-level error code.
const FETCH_ERROR_CODE_VERSION: i16 = 2;
/// The first OffsetFetch version with `require_stable`.
const REQUIRE_STABLE_VERSION: i16 = 7;
/// The first OffsetCommit version with `group_instance_id`.
const COMMIT_INSTANCE_ID_VERSION: i16 = 7;

/// A committed offset (Java's `OffsetAndMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    pub offset: i64,
    /// The leader epoch of the record before `offset`, when known.
    pub leader_epoch: Option<i32>,
    pub metadata: String,
}

impl OffsetAndMetadata {
    /// An offset with no leader epoch and empty metadata.
    pub fn new(offset: i64) -> OffsetAndMetadata {
        OffsetAndMetadata {
            offset,
            leader_epoch: None,
            metadata: String::new(),
        }
    }
}

/// Who commits: a group member (generation and ids) or an outsider ([`CommitIdentity::simple`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitIdentity {
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

impl CommitIdentity {
    /// Generation -1 and no member: accepted only while the group has no active members.
    pub fn simple() -> CommitIdentity {
        CommitIdentity {
            generation_id: NO_GENERATION,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}

fn by_topic<'a, V>(
    entries: impl IntoIterator<Item = (&'a TopicPartition, V)>,
) -> BTreeMap<&'a str, Vec<(i32, V)>> {
    let mut topics: BTreeMap<&str, Vec<(i32, V)>> = BTreeMap::new();
    for ((topic, partition), value) in entries {
        topics
            .entry(topic.as_str())
            .or_default()
            .push((*partition, value));
    }
    topics
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// An OffsetCommit of `offsets` for `group_id` at `version`. Returns an error when the identity
/// needs a field `version` cannot carry (a static member's instance id before v7).
pub fn commit_request(
    version: i16,
    group_id: &str,
    identity: &CommitIdentity,
    offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
) -> ClientResult<OffsetCommitRequest> {
    if identity.group_instance_id.is_some() && version < COMMIT_INSTANCE_ID_VERSION {
        return Err(ClientError::Config(format!(
            "the group coordinator only supports OffsetCommit v{version}; static membership \
             (group.instance.id) needs v{COMMIT_INSTANCE_ID_VERSION}"
        )));
    }
    let topics = by_topic(offsets.iter())
        .into_iter()
        .map(|(topic, partitions)| {
            OffsetCommitRequestTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(partition, o)| {
                            OffsetCommitRequestPartition::default()
                                .with_partition_index(partition)
                                .with_committed_offset(o.offset)
                                .with_committed_leader_epoch(
                                    o.leader_epoch.unwrap_or(NO_LEADER_EPOCH),
                                )
                                .with_committed_metadata(Some(StrBytes::from_string(
                                    o.metadata.clone(),
                                )))
                        })
                        .collect(),
                )
        })
        .collect();
    Ok(OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group_id.to_string())))
        .with_generation_id_or_member_epoch(identity.generation_id)
        .with_member_id(StrBytes::from_string(identity.member_id.clone()))
        .with_group_instance_id(
            identity
                .group_instance_id
                .as_ref()
                .map(|i| StrBytes::from_string(i.clone())),
        )
        .with_retention_time_ms(DEFAULT_RETENTION_MS)
        .with_topics(topics))
}

/// The error code of each partition of an OffsetCommit answer.
pub fn commit_results(response: &OffsetCommitResponse) -> BTreeMap<TopicPartition, i16> {
    response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| ((t.name.to_string(), p.partition_index), p.error_code))
        })
        .collect()
}

/// An OffsetFetch for `group_id` at `version`: the given partitions, or every partition the
/// group has offsets for (`None`, v2+). `require_stable` asks the broker to hold back offsets
/// of pending transactions (v7+), as Java's consumer does.
pub fn fetch_request(
    version: i16,
    group_id: &str,
    partitions: Option<&[TopicPartition]>,
    require_stable: bool,
) -> ClientResult<OffsetFetchRequest> {
    if partitions.is_none() && version < ALL_TOPICS_FETCH_VERSION {
        return Err(ClientError::Other(format!(
            "the group coordinator only supports OffsetFetch v{version}; fetching every \
             committed offset needs v{ALL_TOPICS_FETCH_VERSION}"
        )));
    }
    let grouped = partitions.map(|ps| by_topic(ps.iter().map(|tp| (tp, ()))));
    let group = GroupId(StrBytes::from_string(group_id.to_string()));
    let request = OffsetFetchRequest::default()
        .with_require_stable(require_stable && version >= REQUIRE_STABLE_VERSION);
    if version >= MULTI_GROUP_FETCH_VERSION {
        let topics = grouped.map(|topics| {
            topics
                .into_iter()
                .map(|(topic, ps)| {
                    OffsetFetchRequestTopics::default()
                        .with_name(topic_name(topic))
                        .with_partition_indexes(ps.into_iter().map(|(p, ())| p).collect())
                })
                .collect()
        });
        Ok(request.with_groups(vec![OffsetFetchRequestGroup::default()
            .with_group_id(group)
            .with_member_id(None)
            .with_member_epoch(NO_MEMBER_EPOCH)
            .with_topics(topics)]))
    } else {
        let topics = grouped.map(|topics| {
            topics
                .into_iter()
                .map(|(topic, ps)| {
                    OffsetFetchRequestTopic::default()
                        .with_name(topic_name(topic))
                        .with_partition_indexes(ps.into_iter().map(|(p, ())| p).collect())
                })
                .collect()
        });
        Ok(request.with_group_id(group).with_topics(topics))
    }
}

/// The committed offset of each partition in an OffsetFetch answer (`None`: nothing committed),
/// or the error of the group or of the first failed partition.
pub fn fetch_results(
    version: i16,
    group_id: &str,
    response: OffsetFetchResponse,
) -> ClientResult<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
    // (topic, partition, offset, epoch, metadata, error) from either layout.
    let mut rows: Vec<(String, i32, i64, i32, Option<StrBytes>, i16)> = Vec::new();
    if version >= MULTI_GROUP_FETCH_VERSION {
        let group = response
            .groups
            .into_iter()
            .find(|g| g.group_id.as_str() == group_id)
            .ok_or_else(|| {
                ClientError::Other(format!("OffsetFetch answered nothing for group {group_id}"))
            })?;
        group_error(group.error_code, None, group_id)?;
        for t in group.topics {
            for p in t.partitions {
                rows.push((
                    t.name.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata,
                    p.error_code,
                ));
            }
        }
    } else {
        if version >= FETCH_ERROR_CODE_VERSION {
            group_error(response.error_code, None, group_id)?;
        }
        for t in response.topics {
            for p in t.partitions {
                rows.push((
                    t.name.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata,
                    p.error_code,
                ));
            }
        }
    }
    let mut out = BTreeMap::new();
    for (topic, partition, offset, epoch, metadata, error) in rows {
        if error != 0 {
            return Err(ClientError::kafka(
                error,
                None,
                format!("group {group_id} topic {topic} partition {partition}"),
            ));
        }
        // A negative offset means "no committed offset" (Java's admin maps it to null).
        let committed = (offset > NO_OFFSET).then(|| OffsetAndMetadata {
            offset,
            leader_epoch: (epoch > NO_LEADER_EPOCH).then_some(epoch),
            metadata: metadata.map(|m| m.to_string()).unwrap_or_default(),
        });
        out.insert((topic, partition), committed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    };

    use super::*;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        (topic.to_string(), partition)
    }

    #[test]
    fn fetch_requests_use_the_layout_of_their_version() {
        let parts = [tp("a", 1), tp("a", 0), tp("b", 2)];
        let v7 = fetch_request(7, "g", Some(&parts), true).unwrap();
        assert_eq!(v7.group_id.as_str(), "g");
        let topics = v7.topics.unwrap();
        assert_eq!(topics.len(), 2);
        assert_eq!(topics[0].partition_indexes, vec![1, 0]);
        let v8 = fetch_request(8, "g", None, true).unwrap();
        assert_eq!(v8.groups.len(), 1);
        assert!(v8.groups[0].topics.is_none());
        assert!(fetch_request(1, "g", None, false).is_err());
    }

    #[test]
    fn commit_requests_carry_the_identity_and_need_v7_for_static_members() {
        let offsets = BTreeMap::from([(tp("a", 0), OffsetAndMetadata::new(5))]);
        let identity = CommitIdentity {
            generation_id: 3,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
        };
        assert!(commit_request(6, "g", &identity, &offsets).is_err());
        let request = commit_request(9, "g", &identity, &offsets).unwrap();
        assert_eq!(request.generation_id_or_member_epoch, 3);
        assert_eq!(request.topics[0].partitions[0].committed_offset, 5);
        assert_eq!(request.topics[0].partitions[0].committed_leader_epoch, -1);
        let simple = commit_request(2, "g", &CommitIdentity::simple(), &offsets).unwrap();
        assert_eq!(simple.generation_id_or_member_epoch, -1);
        assert_eq!(simple.member_id.as_str(), "");
    }

    #[test]
    fn fetch_results_map_minus_one_to_none_in_both_layouts() {
        let old =
            OffsetFetchResponse::default().with_topics(vec![OffsetFetchResponseTopic::default()
                .with_name(topic_name("a"))
                .with_partitions(vec![
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(0)
                        .with_committed_offset(7)
                        .with_committed_leader_epoch(2)
                        .with_metadata(Some(StrBytes::from_static_str("m"))),
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(1)
                        .with_committed_offset(-1)
                        .with_committed_leader_epoch(-1),
                ])]);
        let read = fetch_results(7, "g", old).unwrap();
        assert_eq!(
            read[&tp("a", 0)],
            Some(OffsetAndMetadata {
                offset: 7,
                leader_epoch: Some(2),
                metadata: "m".into()
            })
        );
        assert_eq!(read[&tp("a", 1)], None);

        let new =
            OffsetFetchResponse::default().with_groups(vec![OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_topics(vec![OffsetFetchResponseTopics::default()
                    .with_name(topic_name("b"))
                    .with_partitions(vec![OffsetFetchResponsePartitions::default()
                        .with_partition_index(3)
                        .with_committed_offset(9)
                        .with_committed_leader_epoch(-1)])])]);
        let read = fetch_results(9, "g", new).unwrap();
        assert_eq!(read[&tp("b", 3)], Some(OffsetAndMetadata::new(9)));

        let failed =
            OffsetFetchResponse::default().with_groups(vec![OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_error_code(30)]);
        assert!(fetch_results(9, "g", failed).is_err());
    }
}
