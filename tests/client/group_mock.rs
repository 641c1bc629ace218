//! Our group client against librdkafka's 3-broker mock cluster (`multi_broker/mock_cluster.py`):
//! a cluster nobody here wrote, where partition leaders are spread over the brokers and the
//! group coordinator is one of them, so joins, commits and offset fetches must be routed to the
//! coordinator and not to a leader. Skipped without confluent-kafka (`KAFKIT_REQUIRE_INTEROP=1`
//! fails instead).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafkit::client::group::coordinator::find_coordinator;
use kafkit::client::group::{GroupMember, OffsetAndMetadata, Subscription};
use kafkit::client::group_admin::GroupAdmin;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::support::{cluster, member_config, partitions, wait_for_split, RunningMember, Share};
use crate::interop::peers;

/// The mock cluster's launcher, kept in the repository (beside the multi-broker tests that use it
/// too) so a clean clone anywhere finds it.
const MOCK_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/multi_broker/mock_cluster.py"
);
const MOCK_BROKERS: &str = "3";
/// The mock serves this long at most; the test ends it earlier.
const MOCK_SECONDS: &str = "300";
/// The mock auto-creates topics with this many partitions.
const MOCK_PARTITIONS: i32 = 4;
const STARTUP: Duration = Duration::from_secs(60);
const SESSION_MS: u64 = 3000;
/// Group ids tried until one's coordinator is not the leader of every partition.
const GROUP_CANDIDATES: usize = 32;

/// The running mock and its bootstrap servers.
async fn start_mock(python: &Path, script: &Path) -> (Child, String) {
    let mut child = Command::new(python)
        .arg(script)
        .args(["--brokers", MOCK_BROKERS, "--seconds", MOCK_SECONDS])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the mock cluster");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let bootstrap = tokio::time::timeout(STARTUP, lines.next_line())
        .await
        .expect("the mock cluster printed no bootstrap servers in time")
        .expect("read the mock's output")
        .expect("the mock cluster exited without bootstrap servers");
    (child, bootstrap.trim().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn our_members_join_commit_and_fetch_on_the_mock_cluster() {
    let test = "our_members_join_commit_and_fetch_on_the_mock_cluster";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let (_mock, bootstrap) = start_mock(&python, Path::new(MOCK_SCRIPT)).await;
    let cluster = cluster(&bootstrap);
    let topic = "mock-orders";

    // The mock creates topics on first mention (with auto-creation allowed).
    let connection = cluster.any_connection().await.expect("connect to the mock");
    let auto_create = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default()
            .with_name(Some(TopicName(StrBytes::from_static_str(topic))))]))
        .with_allow_auto_topic_creation(true);
    connection.send(auto_create).await.expect("Metadata");
    let metadata = cluster
        .refresh_metadata(Some(&[topic.to_string()]))
        .await
        .unwrap();
    assert_eq!(metadata.brokers.len(), 3, "{metadata:?}");
    let leaders: BTreeSet<i32> = metadata.topics[topic]
        .partitions
        .iter()
        .map(|p| p.leader)
        .collect();
    assert_eq!(
        metadata.topics[topic].partitions.len(),
        MOCK_PARTITIONS as usize
    );
    // A group whose coordinator does not lead every partition (the mock places leaders and
    // coordinators over its brokers; try group ids until one lands elsewhere).
    let mut group = None;
    for candidate in 0..GROUP_CANDIDATES {
        let id = format!("mock-group-{candidate}");
        let coordinator = find_coordinator(&cluster, &id).await.expect("coordinator");
        if leaders.iter().any(|&l| l != coordinator.node_id) {
            group = Some(id);
            break;
        }
    }
    let group =
        group.unwrap_or_else(|| panic!("every group's coordinator leads all of {leaders:?}"));
    let group = group.as_str();

    let all = partitions(topic, MOCK_PARTITIONS);
    let subscription = Subscription::Topics(vec![topic.to_string()]);
    let config = member_config(group, SESSION_MS);
    let (member, first) = GroupMember::join(cluster.clone(), config.clone(), subscription.clone())
        .await
        .expect("join on the mock");
    assert_eq!(first.assigned.iter().cloned().collect::<BTreeSet<_>>(), all);
    assert!(first.committed.values().all(Option::is_none), "{first:?}");

    let mut member = member;
    let offsets: BTreeMap<_, _> = all
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(100 + i64::from(tp.1))))
        .collect();
    member.commit(&offsets).await.expect("commit on the mock");
    let committed = member
        .committed(&all.iter().cloned().collect::<Vec<_>>())
        .await
        .expect("fetch committed");
    for (tp, offset) in &offsets {
        assert_eq!(
            committed[tp].as_ref().map(|o| o.offset),
            Some(offset.offset),
            "{tp:?}"
        );
    }
    let listed = GroupAdmin::new(&cluster)
        .list_group_offsets(group, Some(&all.iter().cloned().collect::<Vec<_>>()))
        .await
        .expect("admin offsets");
    assert_eq!(
        listed[&(topic.to_string(), 2)].as_ref().map(|o| o.offset),
        Some(102)
    );
    member.close(&BTreeMap::new()).await.expect("close");

    // Two of ours split the topic and resume from the commits.
    let a = RunningMember::spawn("a", cluster.clone(), config.clone(), subscription.clone());
    let b = RunningMember::spawn("b", cluster.clone(), config, subscription);
    wait_for_split("two members on the mock", &all, || {
        vec![Share::from(&a), Share::from(&b)]
    })
    .await;
    for m in [&a, &b] {
        let last = m.view().rebalances.last().cloned().expect("rebalanced");
        for tp in &last.assigned {
            assert_eq!(
                last.committed[tp].as_ref().map(|o| o.offset),
                Some(100 + i64::from(tp.1)),
                "{tp:?}"
            );
        }
    }
    a.close().await.expect("close a");
    b.close().await.expect("close b");
}
