//! Our client and `kafka-topics` against clusters of several brokers that nobody here wrote:
//! Apache Kafka 4.4 (three KRaft nodes, one stopped mid-run) and librdkafka's mock cluster.
//! Leaders live on different brokers there, so these show leader routing, metadata refresh and
//! retry for real. Skipped (with a note) when the peer is missing, unless
//! `KAFKIT_REQUIRE_INTEROP=1`.

mod apache_cluster;
mod mock_cluster;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use kafkit::client::admin::{Admin, OffsetSpec};
use kafkit::client::Cluster;

use crate::common::golden::{run_captured, ToolOutput};

/// How long a cluster may take to elect leaders for a new topic or move them off a stopped node.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(90);
const SETTLE_POLL: Duration = Duration::from_millis(250);

/// A topic name no other test uses.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Runs our `kafka-topics` with `args`.
async fn kafka_topics(args: &[&str]) -> ToolOutput {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-topics"));
    command.args(args);
    run_captured(command, None).await
}

/// Polls Metadata through `client` until every partition of `topic` has a leader that
/// `acceptable` allows; returns the leader of each partition.
async fn wait_for_leaders(
    client: &Cluster,
    topic: &str,
    partitions: usize,
    acceptable: impl Fn(i32) -> bool,
) -> BTreeMap<i32, i32> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let metadata = client.refresh_metadata(Some(&[topic.to_string()])).await;
        let leaders: BTreeMap<i32, i32> = metadata
            .iter()
            .flat_map(|m| m.topics.get(topic))
            .flat_map(|t| &t.partitions)
            .filter(|p| p.leader >= 0 && acceptable(p.leader))
            .map(|p| (p.partition, p.leader))
            .collect();
        if leaders.len() == partitions {
            return leaders;
        }
        assert!(
            Instant::now() < deadline,
            "{topic}: leaders not settled after {SETTLE_TIMEOUT:?}: {metadata:?}"
        );
        tokio::time::sleep(SETTLE_POLL).await;
    }
}

/// ListOffsets through our admin client (routed to each partition's leader) for partitions
/// `0..partitions`; every one must succeed.
async fn offsets(client: &Cluster, topic: &str, partitions: i32, spec: OffsetSpec) -> Vec<i64> {
    let wanted: Vec<(String, i32)> = (0..partitions).map(|p| (topic.to_string(), p)).collect();
    let listed = Admin::new(client)
        .list_offsets(&wanted, spec)
        .await
        .expect("list offsets");
    wanted
        .iter()
        .map(|key| match listed.get(key) {
            Some(Ok(offset)) => offset.offset,
            other => panic!("{key:?}: {other:?}"),
        })
        .collect()
}
