//! Our client and `kafka-topics` on librdkafka's mock cluster (`mock_cluster.py`, three brokers
//! with partition leaders spread over them): topics are created by producing with kcat (the
//! mock auto-creates them with four partitions; it has no CreateTopics), then our client reads
//! the metadata, lists offsets at every partition's leader, and `kafka-topics --list` lists them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kafkit::client::admin::OffsetSpec;
use kafkit::client::{ClientConfig, Cluster};
use kafkit::protocol::murmur2::partition_for_key;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{kafka_topics, offsets, unique, wait_for_leaders};
use crate::interop::peers;

const TEST: &str = "multi_broker::mock_cluster";
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/multi_broker/mock_cluster.py"
);
const BROKERS: usize = 3;
/// Partitions of an auto-created topic on the mock.
const AUTO_PARTITIONS: i32 = 4;
/// How long the mock serves (it is killed when the test ends anyway).
const MOCK_SECONDS: &str = "300";
/// How long the mock may take to print its bootstrap servers.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The mock cluster process; killed when dropped.
struct MockCluster {
    bootstrap: String,
    _child: Child,
}

impl MockCluster {
    async fn start(python: &Path) -> MockCluster {
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .args(["--brokers", &BROKERS.to_string(), "--seconds", MOCK_SECONDS])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start mock_cluster.py");
        let stdout = child.stdout.take().expect("mock stdout");
        let mut first = String::new();
        tokio::time::timeout(START_TIMEOUT, BufReader::new(stdout).read_line(&mut first))
            .await
            .expect("mock cluster printed its bootstrap servers in time")
            .expect("read mock stdout");
        let bootstrap = first.trim().to_string();
        assert_eq!(bootstrap.split(',').count(), BROKERS, "{bootstrap:?}");
        MockCluster {
            bootstrap,
            _child: child,
        }
    }
}

/// Produces `count` records to `partition` of `topic` with kcat (auto-creating the topic).
async fn produce(kcat: &Path, bootstrap: &str, topic: &str, partition: i32, count: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("records");
    let lines: String = (0..count).map(|i| format!("record-{i}\n")).collect();
    std::fs::write(&input, lines).expect("write records");
    let mut command = Command::new(kcat);
    command
        .args([
            "-b",
            bootstrap,
            "-t",
            topic,
            "-P",
            "-p",
            &partition.to_string(),
            "-l",
        ])
        .arg(&input);
    peers::run(&mut command, "kcat -P")
        .await
        .expect_success("kcat -P");
}

/// How many fresh topics to try before giving up on one whose leaders are spread.
const SPREAD_ATTEMPTS: usize = 10;

/// A new topic (created by kcat producing one record to partition 0) whose partitions are led by
/// more than one broker, and the topics tried before it. The mock cluster picks each partition's replicas from
/// a random broker, so now and then one broker leads them all (3 × (1/3)^4 ≈ 4% of topics); such
/// a topic cannot show routing, so another is made.
async fn spread_topic(
    kcat: &Path,
    bootstrap: &str,
    client: &Cluster,
    prefix: &str,
) -> (String, Vec<String>) {
    let mut seen = Vec::new();
    let mut abandoned = Vec::new();
    for _ in 0..SPREAD_ATTEMPTS {
        let topic = unique(prefix);
        produce(kcat, bootstrap, &topic, 0, 1).await;
        let leaders = wait_for_leaders(client, &topic, AUTO_PARTITIONS as usize, |_| true).await;
        let leading: BTreeSet<i32> = leaders.values().copied().collect();
        if leading.len() > 1 {
            return (topic, abandoned);
        }
        seen.push(leaders);
        abandoned.push(topic);
    }
    panic!("every partition led by one broker in {SPREAD_ATTEMPTS} topics: {seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_routes_to_leaders_on_librdkafka_s_mock_cluster() {
    let Some(kcat) = peers::kcat(TEST) else {
        return;
    };
    let Some(python) = peers::python_with("confluent_kafka", TEST) else {
        return;
    };
    let mock = MockCluster::start(&python).await;
    let client = Cluster::new(ClientConfig::new(&mock.bootstrap)).expect("client");
    let (routed, abandoned) = spread_topic(&kcat, &mock.bootstrap, &client, "routed").await;
    let topics = [routed, unique("second")];
    // Partition p of the first topic gets p + 1 records (partition 0 got its one already); the
    // second topic stays small.
    for partition in 1..AUTO_PARTITIONS {
        produce(
            &kcat,
            &mock.bootstrap,
            &topics[0],
            partition,
            partition as usize + 1,
        )
        .await;
    }
    produce(&kcat, &mock.bootstrap, &topics[1], 0, 1).await;
    let metadata = client.cached_metadata();
    assert_eq!(metadata.brokers.len(), BROKERS, "{metadata:?}");

    // Each request goes to the partition's leader (others would answer NOT_LEADER_OR_FOLLOWER).
    assert_eq!(
        offsets(&client, &topics[0], AUTO_PARTITIONS, OffsetSpec::Latest).await,
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        offsets(&client, &topics[0], AUTO_PARTITIONS, OffsetSpec::Earliest).await,
        vec![0; AUTO_PARTITIONS as usize]
    );

    let mut names = topics.to_vec();
    names.extend(abandoned.iter().cloned());
    names.sort();
    let listed = kafka_topics(&["--bootstrap-server", &mock.bootstrap, "--list"]).await;
    listed.assert_success();
    assert_eq!(listed.stdout, format!("{}\n", names.join("\n")), "{listed}");
    let matched = kafka_topics(&[
        "--bootstrap-server",
        &mock.bootstrap,
        "--list",
        "--topic",
        "routed-.*",
    ])
    .await;
    let mut routed_names = abandoned;
    routed_names.push(topics[0].clone());
    routed_names.sort();
    assert_eq!(
        matched.stdout,
        format!("{}\n", routed_names.join("\n")),
        "{matched}"
    );
}

/// Runs one of our tools with `args`, feeding `input` to its stdin.
async fn tool(
    binary: &str,
    args: &[&str],
    input: Option<&[u8]>,
) -> crate::common::golden::ToolOutput {
    let mut command = std::process::Command::new(binary);
    command.args(args);
    crate::common::golden::run_captured(command, input.map(<[u8]>::to_vec)).await
}

/// `kafka-console-producer` and `kafka-console-consumer` on the mock cluster: keyed records
/// to a topic whose partition leaders are on different brokers land where murmur2 puts them
/// (each Produce sent to its partition's leader), and the consumer reads them all back from
/// every leader, without a group and with one.
#[tokio::test(flavor = "multi_thread")]
async fn console_tools_on_librdkafka_s_mock_cluster() {
    const PRODUCER: &str = env!("CARGO_BIN_EXE_kafka-console-producer");
    const CONSUMER: &str = env!("CARGO_BIN_EXE_kafka-console-consumer");
    const RECORDS: usize = 40;
    let Some(kcat) = peers::kcat(TEST) else {
        return;
    };
    let Some(python) = peers::python_with("confluent_kafka", TEST) else {
        return;
    };
    let mock = MockCluster::start(&python).await;
    // kcat creates the topic (the mock has no CreateTopics): one keyless record in partition 0.
    let client = Cluster::new(ClientConfig::new(&mock.bootstrap)).expect("client");
    let (topic, _) = spread_topic(&kcat, &mock.bootstrap, &client, "console").await;

    let input: String = (0..RECORDS)
        .map(|i| format!("key-{i}\tvalue {i}\n"))
        .collect();
    let produced = tool(
        PRODUCER,
        &[
            "--bootstrap-server",
            &mock.bootstrap,
            "--topic",
            &topic,
            "--reader-property",
            "parse.key=true",
        ],
        Some(input.as_bytes()),
    )
    .await;
    produced.assert_success();

    // What must come back: kcat's record in partition 0 at offset 0, and each keyed record in
    // its murmur2 partition, in input order there.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    expected.insert("Partition:0\tnull\trecord-0".to_string());
    for i in 0..RECORDS {
        let key = format!("key-{i}");
        let partition = partition_for_key(key.as_bytes(), AUTO_PARTITIONS);
        expected.insert(format!("Partition:{partition}\t{key}\tvalue {i}"));
    }
    let total = (RECORDS + 1).to_string();
    for group in [None, Some(unique("console-group"))] {
        let mut args = vec![
            "--bootstrap-server",
            &mock.bootstrap,
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            &total,
            "--timeout-ms",
            "30000",
            "--formatter-property",
            "print.partition=true",
            "--formatter-property",
            "print.key=true",
        ];
        if let Some(group) = &group {
            args.extend(["--group", group.as_str()]);
        }
        let consumed = tool(CONSUMER, &args, None).await;
        consumed.assert_success();
        assert!(
            consumed
                .stderr
                .ends_with(&format!("Processed a total of {total} messages\n")),
            "{consumed}"
        );
        let lines: Vec<&str> = consumed.stdout.lines().collect();
        let seen: BTreeSet<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(seen, expected, "group {group:?}:\n{consumed}");
        assert_eq!(lines.len(), RECORDS + 1, "{consumed}");
        // Within a partition, the input order.
        for partition in 0..AUTO_PARTITIONS {
            let prefix = format!("Partition:{partition}\tkey-");
            let order: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&prefix))
                .filter_map(|rest| rest.split('\t').next()?.parse().ok())
                .collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(order, sorted, "partition {partition}:\n{consumed}");
        }
    }
}
