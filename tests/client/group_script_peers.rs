//! Consumer groups of kafka-python (PyPI) and kafkajs (npm) consumers against our broker: two
//! members of one group split a topic's partitions disjointly and completely, consume what was
//! produced (by us for kafka-python, by the kafkajs producer for kafkajs), commit, the commits
//! are visible through our group admin, and when one leaves the other takes every partition.
//! Peers missing → skipped with a note (`KAFKIT_REQUIRE_INTEROP=1` fails instead).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;

use kafka_protocol::records::Compression;
use kafkit::client::admin::{Admin, OffsetSpec};
use kafkit::client::group_admin::GroupAdmin;
use kafkit::client::Cluster;

use super::support::{
    cluster, create_topic, is_split, partitions, PeerMember, Share, TopicPartition, PATIENCE,
};
use crate::cli::console_consumer::{batch, now_ms, produce, Rec};
use crate::common::TestBroker;
use crate::interop::peers;

/// Session timeout of the peers. Not the 3 s of the librdkafka / Java group tests: the heartbeats
/// of these single-threaded runtimes (Python's GIL, Node's event loop) are starved first when
/// the two cores run the whole suite; a leave is announced (LeaveGroup), so this costs no time.
const SESSION_MS: u64 = 10_000;
const PARTITIONS: i32 = 4;
/// Records the kafka-python test writes to each partition.
const RECORDS_PER_PARTITION: usize = 25;
/// Records the kafkajs producer writes (spread by its partitioner).
const KAFKAJS_RECORDS: usize = 400;
/// How often a waiting test looks again.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// A broker with no initial rebalance delay and short sessions allowed, to keep the test quick.
async fn broker() -> TestBroker {
    TestBroker::start_with(|c| {
        c.group_initial_rebalance_delay_ms = 0;
        c.group_min_session_timeout_ms = 500;
    })
    .await
}

fn kafka_python_member(
    python: &Path,
    name: &str,
    bootstrap: &str,
    group: &str,
    topic: &str,
) -> PeerMember {
    let mut command = peers::python_command(python, "kafka_python_group_member.py");
    command
        .args(["--bootstrap", bootstrap, "--group", group, "--topic", topic])
        .args(["--session-ms", &SESSION_MS.to_string()]);
    PeerMember::spawn(name, command)
}

fn kafkajs_member(
    node: &Path,
    name: &str,
    bootstrap: &str,
    group: &str,
    topic: &str,
) -> PeerMember {
    let mut command = peers::node_command(node, "group_member.js");
    command
        .args(["--bootstrap", bootstrap, "--group", group, "--topic", topic])
        .args(["--session-ms", &SESSION_MS.to_string()]);
    PeerMember::spawn(name, command)
}

/// Waits until `members` split `all`; panics with their output (the peers' own account of the
/// group) after [`PATIENCE`].
async fn wait_split(
    what: &str,
    all: &BTreeSet<TopicPartition>,
    members: &[&PeerMember],
) -> Vec<Share> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let shares: Vec<Share> = members.iter().map(|m| Share::from(*m)).collect();
        if is_split(&shares, all) {
            return shares;
        }
        if tokio::time::Instant::now() >= deadline {
            let outputs: Vec<String> = members
                .iter()
                .map(|m| format!("--- {} ---\n{}", m.name, m.view().output.join("\n")))
                .collect();
            panic!(
                "{what}: the group never split {all:?}; last shares: {shares:#?}\n{}",
                outputs.join("\n")
            );
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// The last `CONSUMED <n>` a peer printed (0 before any).
fn consumed(peer: &PeerMember) -> usize {
    peer.view()
        .output
        .iter()
        .rev()
        .find_map(|line| line.strip_prefix("CONSUMED ")?.parse().ok())
        .unwrap_or(0)
}

/// The log end offset of every partition of `topic`.
async fn end_offsets(cluster: &Cluster, topic: &str) -> BTreeMap<TopicPartition, i64> {
    let wanted: Vec<TopicPartition> = partitions(topic, PARTITIONS).into_iter().collect();
    let listed = Admin::new(cluster)
        .list_offsets(&wanted, OffsetSpec::Latest)
        .await
        .expect("ListOffsets");
    wanted
        .into_iter()
        .map(|tp| {
            let offset = match listed.get(&tp) {
                Some(Ok(listed)) => listed.offset,
                other => panic!("{tp:?}: {other:?}"),
            };
            (tp, offset)
        })
        .collect()
}

/// The group's committed offsets of `topic` (-1: none), as our admin client lists them.
async fn committed(cluster: &Cluster, group: &str, topic: &str) -> BTreeMap<TopicPartition, i64> {
    let wanted: Vec<TopicPartition> = partitions(topic, PARTITIONS).into_iter().collect();
    GroupAdmin::new(cluster)
        .list_group_offsets(group, Some(&wanted))
        .await
        .expect("list group offsets")
        .into_iter()
        .map(|(tp, o)| (tp, o.map_or(-1, |o| o.offset)))
        .collect()
}

/// Two peers of one group split `topic`, then `produce` writes to every partition; both consume
/// and everything is committed; then `a` leaves and `b` takes all partitions.
async fn split_commit_and_take_over(
    cluster: &Cluster,
    group: &str,
    topic: &str,
    spawn: impl Fn(&str) -> PeerMember,
    produce: impl Future<Output = ()>,
) {
    let all = partitions(topic, PARTITIONS);
    let a = spawn("a");
    let b = spawn("b");
    let split = wait_split(&format!("{group}: two members"), &all, &[&a, &b]).await;
    assert_ne!(split[0].member_id, split[1].member_id, "{split:#?}");

    produce.await;
    let ends = end_offsets(cluster, topic).await;
    let total: i64 = ends.values().sum();
    assert!(
        ends.values().all(|&end| end > 0),
        "every partition has records: {ends:?}"
    );

    // Everything produced is consumed and committed, each member its own share (both report
    // after their commits, so the reports are awaited too; a rebalance may make some records
    // come twice).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = committed(cluster, group, topic).await;
        let (by_a, by_b) = (consumed(&a), consumed(&b));
        if now == ends && by_a > 0 && by_b > 0 && (by_a + by_b) as i64 >= total {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{group}: committed {now:?}, want {ends:?}; consumed {by_a} + {by_b} of \
             {total}\na: {:?}\nb: {:?}",
            a.view().output,
            b.view().output
        );
        tokio::time::sleep(LOOK_EVERY).await;
    }

    // One leaves: the other takes every partition in the next generation.
    a.close().await;
    wait_split(&format!("{group}: b alone"), &all, &[&b]).await;
    b.close().await;
    assert_eq!(committed(cluster, group, topic).await, ends, "{group}");
}

/// How many times the kafka-python scenario may run. kafka-python (3.0.12 here) has a long
/// record of members that stop in `ensure_coordinator_ready` and never rejoin (dpkp/kafka-python
/// issues 1493, 2373): seen here under full CPU load, with a thread dump showing the member
/// waiting on its own network thread while the broker logged no error and answered the other
/// member. A second run with a fresh group and topic tells that apart from a broker fault, which
/// fails both.
const KAFKA_PYTHON_ATTEMPTS: usize = 2;

#[tokio::test(flavor = "multi_thread")]
async fn kafka_python_consumers_split_commit_and_rebalance() {
    let test = "kafka_python_consumers_split_commit_and_rebalance";
    let Some(python) = peers::python_with("kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = broker().await;
    for attempt in 1..=KAFKA_PYTHON_ATTEMPTS {
        let scenario = kafka_python_scenario(python.clone(), broker.addr, attempt);
        match tokio::spawn(scenario).await {
            Ok(()) => return,
            Err(e) if e.is_panic() && attempt < KAFKA_PYTHON_ATTEMPTS => {
                eprintln!("note: {test}: attempt {attempt} failed; running it again");
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("{test}: {e}"),
        }
    }
}

async fn kafka_python_scenario(
    python: std::path::PathBuf,
    addr: std::net::SocketAddr,
    attempt: usize,
) {
    let bootstrap = addr.to_string();
    let cluster = cluster(&bootstrap);
    let name = format!("kafka-python-group-{attempt}");
    let topic = name.as_str();
    create_topic(&cluster, topic, PARTITIONS).await;
    let produce = async {
        let mut client = crate::common::RawClient::connect(addr).await;
        for p in 0..PARTITIONS {
            let records: Vec<Rec> = (0..RECORDS_PER_PARTITION)
                .map(|i| Rec::value(&format!("{p}-{i}")))
                .collect();
            produce(
                &mut client,
                topic,
                p,
                batch(&records, now_ms(), Compression::None),
            )
            .await;
        }
    };
    split_commit_and_take_over(
        &cluster,
        &name,
        topic,
        |member| kafka_python_member(&python, member, &bootstrap, &name, topic),
        produce,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kafkajs_produces_and_its_consumers_split_commit_and_rebalance() {
    let test = "kafkajs_produces_and_its_consumers_split_commit_and_rebalance";
    let Some(node) = peers::node_with("kafkajs", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = broker().await;
    let bootstrap = broker.addr.to_string();
    let cluster = cluster(&bootstrap);
    let topic = "kafkajs-group";
    create_topic(&cluster, topic, PARTITIONS).await;
    let produce = kafkajs_produce(&node, &bootstrap, topic);
    split_commit_and_take_over(
        &cluster,
        "kafkajs-group",
        topic,
        |name| kafkajs_member(&node, name, &bootstrap, "kafkajs-group", topic),
        produce,
    )
    .await;
    let ends = end_offsets(&cluster, topic).await;
    assert_eq!(
        ends.values().sum::<i64>(),
        KAFKAJS_RECORDS as i64,
        "{ends:?}"
    );
}

/// The kafkajs producer writes [`KAFKAJS_RECORDS`] keyed records to `topic`, over every
/// partition.
async fn kafkajs_produce(node: &Path, bootstrap: &str, topic: &str) {
    let count = KAFKAJS_RECORDS.to_string();
    let finished = peers::run(
        peers::node_command(node, "produce.js").args([
            "--bootstrap",
            bootstrap,
            "--topic",
            topic,
            "--count",
            &count,
        ]),
        "kafkajs produce.js",
    )
    .await
    .expect_success("kafkajs produce.js");
    let result = peers::result_of(&finished.stdout).expect("produce.js printed no RESULT");
    assert_eq!(result["records"], KAFKAJS_RECORDS, "{result}");
    let used: BTreeSet<i64> = result["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .filter_map(|p| p.as_i64())
        .collect();
    assert_eq!(used.len(), PARTITIONS as usize, "{result}");
}
