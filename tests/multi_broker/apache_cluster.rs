//! Our client and `kafka-topics` on a 3-node Apache Kafka 4.4 cluster: an RF-3 topic whose
//! partitions are led by different nodes, described by our tool and Apache's alike, offsets
//! listed at each leader and checked against Apache's `GetOffsetShell`; then the node leading
//! partition 0 stops and the same client, with its now stale metadata, still lists every
//! offset, while `kafka-topics` (bootstrapped through the stopped node first) shows the new
//! leaders exactly as Apache's tool does.

use std::collections::BTreeSet;

use kafkit::client::admin::OffsetSpec;
use kafkit::client::{ClientConfig, Cluster};

use super::{kafka_topics, offsets, unique, wait_for_leaders, SETTLE_POLL, SETTLE_TIMEOUT};
use crate::common::apache::{apache, Apache, ApacheCluster, ApacheTool};
use crate::common::golden::{normalise_topic_ids, run_captured, ToolOutput};

const NODES: usize = 3;
const PARTITIONS: i32 = 6;
const RECORDS: usize = 60;
/// Apache's tool for the offsets of every partition (`kafka-get-offsets.sh`).
const GET_OFFSET_SHELL: &str = "org.apache.kafka.tools.GetOffsetShell";

async fn describe_with(apache: &Apache, ours: bool, bootstrap: &str, topic: &str) -> ToolOutput {
    let args = [
        "--bootstrap-server",
        bootstrap,
        "--describe",
        "--topic",
        topic,
    ];
    if ours {
        kafka_topics(&args).await
    } else {
        apache.run_tool(ApacheTool::Topics, &args).await
    }
}

/// `--describe` by our tool and by Apache's, both successful and identical but for the id.
async fn assert_same_description(apache: &Apache, bootstrap: &str, topic: &str) -> String {
    let theirs = describe_with(apache, false, bootstrap, topic).await;
    let ours = describe_with(apache, true, bootstrap, topic).await;
    theirs.assert_success();
    ours.assert_success();
    assert_eq!(
        normalise_topic_ids(&ours.stdout),
        normalise_topic_ids(&theirs.stdout),
        "our describe differs from Apache's:\n{ours}\n{theirs}"
    );
    assert_eq!(ours.stderr, "", "{ours}");
    ours.stdout
}

/// Apache's `GetOffsetShell` answer (`topic:partition:offset` lines) as offsets by partition.
async fn apache_latest_offsets(apache: &Apache, bootstrap: &str, topic: &str) -> Vec<i64> {
    let mut command = apache.java(GET_OFFSET_SHELL);
    command.args(["--bootstrap-server", bootstrap, "--topic", topic]);
    let out = run_captured(command, None).await;
    out.assert_success();
    let mut by_partition: Vec<(i32, i64)> = out
        .stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.rsplitn(3, ':');
            let offset = fields.next()?.parse().ok()?;
            let partition = fields.next()?.parse().ok()?;
            Some((partition, offset))
        })
        .collect();
    by_partition.sort_unstable();
    by_partition.into_iter().map(|(_, offset)| offset).collect()
}

/// Partition lines of a description: (leader, ISR) per partition.
fn leaders_and_isrs(description: &str) -> Vec<(String, String)> {
    description
        .lines()
        .filter(|line| line.starts_with('\t'))
        .map(|line| {
            let field = |name: &str| {
                line.split('\t')
                    .find_map(|f| f.strip_prefix(name))
                    .unwrap_or_default()
                    .to_string()
            };
            (field("Leader: "), field("Isr: "))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn client_and_kafka_topics_follow_leaders_across_a_node_stop() {
    let Some(apache) = apache().await else {
        return;
    };
    let mut cluster = ApacheCluster::start(apache, NODES, &[]).await;
    let bootstrap = cluster.bootstrap();
    let topic = unique("replicated");

    // Created by our tool, replicated to every node.
    let partitions = PARTITIONS.to_string();
    let created = kafka_topics(&[
        "--bootstrap-server",
        &bootstrap,
        "--create",
        "--topic",
        &topic,
        "--partitions",
        &partitions,
        "--replication-factor",
        "3",
    ])
    .await;
    created.assert_success();
    assert_eq!(
        created.stdout,
        format!("Created topic {topic}.\n"),
        "{created}"
    );

    let client = Cluster::new(ClientConfig::new(&bootstrap)).expect("client");
    let leaders = wait_for_leaders(&client, &topic, PARTITIONS as usize, |_| true).await;
    let leading: BTreeSet<i32> = leaders.values().copied().collect();
    assert!(
        leading.len() > 1,
        "every partition led by one node: {leaders:?}"
    );
    let before = assert_same_description(apache, &bootstrap, &topic).await;
    assert!(
        leaders_and_isrs(&before)
            .iter()
            .all(|(_, isr)| isr.split(',').count() == NODES),
        "{before}"
    );

    // Keyed records spread over the partitions, written by Apache's console producer.
    let input: String = (0..RECORDS)
        .map(|i| format!("key-{i}:value-{i}\n"))
        .collect();
    apache
        .run_tool_with_input(
            ApacheTool::ConsoleProducer,
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                &topic,
                "--reader-property",
                "parse.key=true",
                "--reader-property",
                "key.separator=:",
            ],
            input.as_bytes(),
        )
        .await
        .assert_success();
    let latest = offsets(&client, &topic, PARTITIONS, OffsetSpec::Latest).await;
    assert_eq!(latest.iter().sum::<i64>(), RECORDS as i64, "{latest:?}");
    assert!(latest.iter().filter(|&&o| o > 0).count() > 1, "{latest:?}");
    assert_eq!(
        latest,
        apache_latest_offsets(apache, &bootstrap, &topic).await
    );
    assert_eq!(
        offsets(&client, &topic, PARTITIONS, OffsetSpec::Earliest).await,
        vec![0; PARTITIONS as usize]
    );

    // The node leading partition 0 goes away; `client` still has metadata naming it.
    let stopped = leaders[&0];
    cluster.stop_node(stopped).await;
    let stopped_id = stopped.to_string();
    assert_eq!(
        offsets(&client, &topic, PARTITIONS, OffsetSpec::Latest).await,
        latest,
        "offsets after node {stopped} stopped"
    );
    let moved = wait_for_leaders(&client, &topic, PARTITIONS as usize, |l| l != stopped).await;
    assert!(moved.values().all(|&l| l != stopped), "{moved:?}");

    // Our tool, bootstrapped through the stopped node first, agrees with Apache's once the
    // stopped node has left every ISR.
    let through_stopped = format!("{},{}", cluster.node(stopped).addr, cluster.bootstrap());
    let deadline = std::time::Instant::now() + SETTLE_TIMEOUT;
    let after = loop {
        let described = describe_with(apache, true, &through_stopped, &topic).await;
        described.assert_success();
        let settled = leaders_and_isrs(&described.stdout)
            .iter()
            .all(|(leader, isr)| {
                leader != &stopped_id && !isr.split(',').any(|id| id == stopped_id)
            });
        if settled {
            break described.stdout;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node {stopped} still leads or is in sync:\n{}",
            described.stdout
        );
        tokio::time::sleep(SETTLE_POLL).await;
    };
    assert_eq!(
        assert_same_description(apache, &through_stopped, &topic).await,
        after
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_bootstrap_servers_fail_naming_each_address() {
    // Two loopback ports nobody listens on: connections are refused at once.
    let listeners: Vec<std::net::TcpListener> = (0..2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let closed: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().expect("address").to_string())
        .collect();
    drop(listeners);
    let bootstrap = closed.join(",");
    let out = kafka_topics(&["--bootstrap-server", &bootstrap, "--list"]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(!out.timed_out, "{out}");
    for address in &closed {
        assert!(
            out.stdout.contains(address.as_str()),
            "{address} not named:\n{out}"
        );
    }
}
