//! Reliability: the evidence, run in CI, that the broker behaves like Kafka's system tests expect.
//!
//! - `crash`: `kill -9` of a real `kafka-server-start` under mixed load (confluent-kafka
//!   idempotent and plain producers, our producer, kcat, a committing group consumer, topic
//!   create/delete and OffsetCommit loops) with constant segment rolls and retention deletions;
//!   after the restart every acknowledged record, commit and deletion holds.
//! - `corruption`: torn tails, flipped bytes, truncated and missing indexes in real segment files.
//! - `hostile`: random and malformed frames, oversized lengths, unknown keys and versions,
//!   path-escaping topic names; real clients are served afterwards.
//! - `limits`: `max.connections*`, `connections.max.idle.ms`, `socket.request.max.bytes` and a
//!   client that never reads its responses.
//! - `load`: dozens of kcat and confluent-kafka processes for a bounded time (the short form of
//!   `scripts/soak`).
//! - `cli_input`: every tool given bad input exits non-zero with a clear message, changing nothing.
//!
//! Each test runs its own broker (a process or in-process) on port 0 with a temp dir, and takes a
//! few seconds. Peers follow the interop rule: missing ones skip unless `KAFKIT_REQUIRE_INTEROP=1`.

mod cli_input;
mod corruption;
mod crash;
mod hostile;
mod limits;
mod load;
pub mod server;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    CreateTopicsRequest, DeleteTopicsRequest, GroupId, MetadataRequest, OffsetFetchRequest,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;

use tokio::io::AsyncWriteExt;

use crate::common::RawClient;
use crate::interop::peers::{self, PEER_TIMEOUT};

/// Broker-side timeout sent with admin requests.
const ADMIN_TIMEOUT_MS: i32 = 30_000;
const CREATE_TOPICS_VERSION: i16 = 7;
const DELETE_TOPICS_VERSION: i16 = 5;
const METADATA_VERSION: i16 = 12;
const OFFSET_FETCH_VERSION: i16 = 7;
const LIST_OFFSETS_VERSION: i16 = 5;

pub fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_owned())
}

pub fn topic_name(name: &str) -> TopicName {
    TopicName(s(name))
}

/// CreateTopics; `Some(error code)` when the broker answered, `None` when the connection broke.
pub async fn try_create_topic(
    client: &mut RawClient,
    name: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> Option<i16> {
    let topic = CreatableTopic::default()
        .with_name(topic_name(name))
        .with_num_partitions(partitions)
        .with_replication_factor(1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(s(k))
                        .with_value(Some(s(v)))
                })
                .collect(),
        );
    let request = CreateTopicsRequest::default()
        .with_topics(vec![topic])
        .with_timeout_ms(ADMIN_TIMEOUT_MS);
    let response = client.try_send(request, CREATE_TOPICS_VERSION).await?;
    Some(response.topics.first()?.error_code)
}

/// DeleteTopics by name; `Some(error code)` when answered.
pub async fn try_delete_topic(client: &mut RawClient, name: &str) -> Option<i16> {
    let request = DeleteTopicsRequest::default()
        .with_topic_names(vec![topic_name(name)])
        .with_timeout_ms(ADMIN_TIMEOUT_MS);
    let response = client.try_send(request, DELETE_TOPICS_VERSION).await?;
    Some(response.responses.first()?.error_code)
}

/// Every topic name the broker lists, internal ones included.
pub async fn topic_names(addr: SocketAddr) -> Vec<String> {
    let mut client = RawClient::connect(addr).await;
    let response = client
        .send(
            MetadataRequest::default().with_topics(None),
            METADATA_VERSION,
        )
        .await;
    response
        .topics
        .iter()
        .filter_map(|t| t.name.as_ref().map(|n| n.to_string()))
        .collect()
}

/// Committed offsets of `group` for `topic` partitions `0..partitions` (-1 when none).
pub async fn committed(addr: SocketAddr, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let mut client = RawClient::connect(addr).await;
    let request = OffsetFetchRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_topics(Some(vec![OffsetFetchRequestTopic::default()
            .with_name(topic_name(topic))
            .with_partition_indexes((0..partitions).collect())]));
    let response = client.send(request, OFFSET_FETCH_VERSION).await;
    assert_eq!(response.error_code, 0, "OffsetFetch for {group}");
    let mut offsets = vec![-1; partitions as usize];
    for p in response.topics.iter().flat_map(|t| &t.partitions) {
        assert_eq!(
            p.error_code, 0,
            "OffsetFetch {group} {topic}[{}]",
            p.partition_index
        );
        if let Some(slot) = offsets.get_mut(p.partition_index as usize) {
            *slot = p.committed_offset;
        }
    }
    offsets
}

/// One record read back by kcat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub partition: i32,
    pub offset: i64,
    pub value: String,
}

/// Reads every partition of `topic` from the beginning to the end with kcat.
pub async fn kcat_read(kcat: &Path, addr: SocketAddr, topic: &str) -> Vec<Read> {
    let finished = peers::run(
        tokio::process::Command::new(kcat).args([
            "-b",
            &addr.to_string(),
            "-C",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%p %o %s\\n",
        ]),
        "kcat -C",
    )
    .await
    .expect_success("kcat -C");
    finished
        .stdout
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            Some(Read {
                partition: parts.next()?.parse().ok()?,
                offset: parts.next()?.parse().ok()?,
                value: parts.next()?.to_string(),
            })
        })
        .collect()
}

/// Produces `values` to partition 0 with kcat (acks=all), requiring success.
pub async fn kcat_produce(kcat: &Path, addr: SocketAddr, topic: &str, values: &[&str]) {
    let mut child = tokio::process::Command::new(kcat)
        .args(["-b", &addr.to_string(), "-P", "-t", topic, "-p", "0"])
        .args(["-X", "acks=all", "-X", "message.timeout.ms=10000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start kcat -P");
    let mut stdin = child.stdin.take().expect("stdin piped");
    let text: String = values.iter().map(|v| format!("{v}\n")).collect();
    stdin
        .write_all(text.as_bytes())
        .await
        .expect("write to kcat");
    drop(stdin);
    let out = tokio::time::timeout(PEER_TIMEOUT, child.wait_with_output())
        .await
        .expect("kcat -P finishes")
        .expect("kcat -P");
    assert!(
        out.status.success(),
        "kcat -P failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The log end offsets of partitions `0..partitions` of `topic` (ListOffsets, latest).
pub async fn latest_offsets(addr: SocketAddr, topic: &str, partitions: i32) -> Vec<i64> {
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kafka_protocol::messages::{BrokerId, ListOffsetsRequest};
    /// Kafka's "latest" timestamp in ListOffsets.
    const LATEST: i64 = -1;
    let mut client = RawClient::connect(addr).await;
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(
                (0..partitions)
                    .map(|p| {
                        ListOffsetsPartition::default()
                            .with_partition_index(p)
                            .with_timestamp(LATEST)
                    })
                    .collect(),
            )]);
    let response = client.send(request, LIST_OFFSETS_VERSION).await;
    let mut offsets = vec![-1; partitions as usize];
    for p in response.topics.iter().flat_map(|t| &t.partitions) {
        if let Some(slot) = offsets.get_mut(p.partition_index as usize) {
            *slot = p.offset;
        }
    }
    offsets
}
