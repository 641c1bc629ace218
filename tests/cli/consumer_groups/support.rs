//! Helpers for the kafka-consumer-groups tests: a broker with fast group settings, topics and
//! records with known CreateTime values, committed offsets set and read through our client and
//! through confluent-kafka, live members of ours, and running the tool.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use kafkit::client::admin::{Admin, NewTopic};
use kafkit::client::group::{GroupConfig, GroupMember, OffsetAndMetadata, Subscription};
use kafkit::client::group_admin::GroupAdmin;
use kafkit::client::{ClientConfig, Cluster};

use crate::common::{RawClient, TestBroker};
use crate::interop::peers;

const PRODUCE_VERSION: i16 = 9;
const PRODUCE_TIMEOUT_MS: i32 = 30_000;
const PRODUCE_ATTEMPTS: usize = 300;
const PRODUCE_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER.
const NOT_READY_CODES: [i16; 3] = [3, 5, 6];
/// Session timeout of test members: short, so a member that is dropped is gone quickly.
const SESSION_MS: u64 = 6_000;
/// 2024-01-01T00:00:00Z: records get CreateTime values from here, one second apart.
pub const BASE_TIMESTAMP_MS: i64 = 1_704_067_200_000;
pub const SECOND_MS: i64 = 1000;

/// A broker that starts rebalances at once.
pub async fn broker() -> TestBroker {
    TestBroker::start_with(|c| c.group_initial_rebalance_delay_ms = 0).await
}

pub fn cluster(broker: &TestBroker) -> Arc<Cluster> {
    cluster_at(&broker.addr.to_string())
}

/// A client of the cluster at `bootstrap` (also an Apache broker in the golden tests).
pub fn cluster_at(bootstrap: &str) -> Arc<Cluster> {
    let mut config = ClientConfig::new(bootstrap);
    config.api_timeout = Duration::from_secs(60);
    Arc::new(Cluster::new(config).expect("cluster"))
}

/// Runs `kafka-consumer-groups --bootstrap-server <broker> <args>` off the async runtime.
pub async fn tool(broker: &TestBroker, args: &[&str]) -> Output {
    let mut full = vec!["--bootstrap-server".to_string(), broker.addr.to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    run(full).await
}

/// Runs `kafka-consumer-groups` with exactly `args`.
pub async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kafka-consumer-groups"))
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run kafka-consumer-groups")
    })
    .await
    .expect("tool thread")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn assert_output(output: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            output.status.code(),
            text(&output.stdout).as_str(),
            text(&output.stderr).as_str()
        ),
        (Some(code), stdout, stderr)
    );
}

/// stderr without the `[timestamp] ` of log-style warning lines.
pub fn stderr_without_stamps(output: &Output) -> String {
    text(&output.stderr)
        .lines()
        .map(
            |line| match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
                Some((_, rest)) => rest.to_string(),
                None => line.to_string(),
            },
        )
        .map(|line| format!("{line}\n"))
        .collect()
}

pub async fn create_topic(cluster: &Cluster, name: &str, partitions: i32) {
    let created = Admin::new(cluster)
        .create_topics(
            &[NewTopic {
                name: name.to_string(),
                partitions,
                replication_factor: -1,
                ..NewTopic::default()
            }],
            false,
        )
        .await
        .expect("CreateTopics");
    for (topic, result) in created {
        result.unwrap_or_else(|e| panic!("creating {topic}: {e}"));
    }
}

/// Appends `count` records to `topic`-`partition` with CreateTime `first_timestamp`,
/// `first_timestamp + 1 s`, ...
pub async fn produce(
    broker: SocketAddr,
    topic: &str,
    partition: i32,
    count: usize,
    first_timestamp: i64,
) {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence agree; -1 becomes
            // the base sequence of a batch without a producer id.
            sequence: i as i32 - 1,
            timestamp: first_timestamp + i as i64 * SECOND_MS,
            key: None,
            value: Some(Bytes::from(format!("record-{i}"))),
            headers: IndexMap::new(),
        })
        .collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("encode records");
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(PRODUCE_TIMEOUT_MS)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(batch.freeze()))])]);
    let mut client = RawClient::connect(broker).await;
    // A broker of a cluster may not lead a new topic's partition yet (Apache's brokers learn
    // it from the controller): such answers are retried, a bounded number of times.
    let mut code = 0;
    for _ in 0..PRODUCE_ATTEMPTS {
        let response = client.send(request.clone(), PRODUCE_VERSION).await;
        code = response.responses[0].partition_responses[0].error_code;
        if !NOT_READY_CODES.contains(&code) {
            break;
        }
        tokio::time::sleep(PRODUCE_RETRY_PAUSE).await;
    }
    assert_eq!(code, 0, "produce to {topic}-{partition}");
}

/// Commits offsets for `group` from outside it (the group must have no members).
pub async fn commit(cluster: &Cluster, group: &str, offsets: &[(&str, i32, i64)]) {
    let offsets: BTreeMap<(String, i32), OffsetAndMetadata> = offsets
        .iter()
        .map(|(t, p, o)| ((t.to_string(), *p), OffsetAndMetadata::new(*o)))
        .collect();
    let results = GroupAdmin::new(cluster)
        .alter_group_offsets(group, &offsets)
        .await
        .expect("commit");
    for (tp, result) in results {
        result.unwrap_or_else(|e| panic!("commit {tp:?}: {e}"));
    }
}

/// The committed offsets of `group` through our client.
pub async fn committed(cluster: &Cluster, group: &str) -> BTreeMap<(String, i32), i64> {
    GroupAdmin::new(cluster)
        .list_group_offsets(group, None)
        .await
        .expect("OffsetFetch")
        .into_iter()
        .filter_map(|(tp, o)| o.map(|o| (tp, o.offset)))
        .collect()
}

/// The committed offsets of `group` for `topic` partitions 0..`partitions` as confluent-kafka
/// reads them (`None` when the peer is missing and not required: the caller skips the check).
pub async fn confluent_committed(
    broker: &TestBroker,
    group: &str,
    topic: &str,
    partitions: i32,
    test: &str,
) -> Option<BTreeMap<i32, i64>> {
    let python = peers::python_with("confluent_kafka", test)?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/py/committed_offsets.py"
    );
    let mut command = tokio::process::Command::new(python);
    command.args([
        script,
        &broker.addr.to_string(),
        group,
        topic,
        &partitions.to_string(),
    ]);
    let finished = peers::run(&mut command, "committed_offsets.py")
        .await
        .expect_success("committed_offsets.py");
    let parsed: BTreeMap<String, i64> =
        serde_json::from_str(finished.stdout.trim()).expect("committed_offsets.py output");
    Some(
        parsed
            .into_iter()
            .map(|(p, o)| (p.parse().expect("partition"), o))
            .collect(),
    )
}

/// A member of ours in `group` subscribed to `topics`, joined and heartbeating.
pub async fn join(cluster: &Arc<Cluster>, group: &str, topics: &[&str]) -> GroupMember {
    let mut config = GroupConfig::new(group);
    config.session_timeout = Duration::from_millis(SESSION_MS);
    config.heartbeat_interval = Duration::from_millis(SESSION_MS / 5);
    config.enable_auto_commit = false;
    let subscription = Subscription::Topics(topics.iter().map(|t| t.to_string()).collect());
    let (member, _) = GroupMember::join(cluster.clone(), config, subscription)
        .await
        .expect("join");
    member
}

/// `%-Ns`.
pub fn pad(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}
