//! Mixed consumer groups against our broker: our member with a confluent-kafka (librdkafka)
//! consumer, with a Java (kafka-clients 4.4) consumer, and all three together. Whoever leads,
//! the shares must be disjoint and complete and exactly what Java's assignor computes for the
//! members the coordinator named, so each side reads the other's bytes and algorithm alike.
//! Peers missing → skipped with a note (`KAFKIT_REQUIRE_INTEROP=1` fails instead).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kafkit::client::group::assignor::MemberSubscription;
use kafkit::client::group::{Assignor, Subscription};
use kafkit::client::Cluster;
use tokio::process::Command;

use super::support::{
    cluster, create_topic, member_config, partitions, wait_for_split, PeerMember, RunningMember,
    Share, TopicPartition,
};
use crate::common::apache::apache;
use crate::common::TestBroker;
use crate::interop::peers;

/// Session timeout of every member: short, since the broker allows it.
const SESSION_MS: u64 = 3000;
/// The topics of a mixed group: two, so assignors differ from a plain split.
const TOPICS: [(&str, i32); 2] = [("mixed-a", 3), ("mixed-b", 2)];
const PYTHON_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/py/group_member.py"
);
const JAVA_MAIN: &str = "kafkit.interop.GroupMember";

async fn broker() -> TestBroker {
    TestBroker::start_with(|c| {
        c.group_initial_rebalance_delay_ms = 0;
        c.group_min_session_timeout_ms = 500;
    })
    .await
}

async fn topics(cluster: &Cluster) -> BTreeSet<TopicPartition> {
    let mut all = BTreeSet::new();
    for (name, count) in TOPICS {
        create_topic(cluster, name, count).await;
        all.extend(partitions(name, count));
    }
    all
}

fn topic_names() -> Vec<String> {
    TOPICS.iter().map(|(t, _)| t.to_string()).collect()
}

fn ours(
    name: &str,
    cluster: &std::sync::Arc<Cluster>,
    group: &str,
    assignor: Assignor,
) -> RunningMember {
    let mut config = member_config(group, SESSION_MS);
    config.assignors = vec![assignor];
    RunningMember::spawn(
        name,
        cluster.clone(),
        config,
        Subscription::Topics(topic_names()),
    )
}

fn confluent(python: &Path, bootstrap: &str, group: &str, assignor: Assignor) -> PeerMember {
    let mut command = Command::new(python);
    command
        .arg(PYTHON_SCRIPT)
        .args(["--bootstrap", bootstrap, "--group", group])
        .args(["--strategy", assignor.name()])
        .args(["--session-ms", &SESSION_MS.to_string()])
        .env("PYTHONUNBUFFERED", "1");
    for t in topic_names() {
        command.args(["--topic", &t]);
    }
    PeerMember::spawn("confluent-kafka", command)
}

fn java(
    apache: &crate::common::apache::Apache,
    bootstrap: &str,
    group: &str,
    assignor: Assignor,
) -> PeerMember {
    let mut command = apache.java(JAVA_MAIN);
    command
        .arg(bootstrap)
        .arg(group)
        .arg(assignor.name())
        .arg(SESSION_MS.to_string())
        .args(topic_names());
    PeerMember::spawn("java", Command::from(command))
}

/// Asserts `split` is what `assignor` computes for these (dynamic) members.
fn assert_java_assignment(assignor: Assignor, split: &[Share]) {
    let counts: BTreeMap<String, i32> = TOPICS.iter().map(|(t, n)| (t.to_string(), *n)).collect();
    let members: Vec<MemberSubscription> = split
        .iter()
        .map(|s| MemberSubscription {
            member_id: s.member_id.clone(),
            group_instance_id: None,
            topics: topic_names().into_iter().collect(),
        })
        .collect();
    let expected = assignor.assign(&counts, &members);
    for share in split {
        let want: BTreeSet<TopicPartition> = expected[&share.member_id]
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
            .collect();
        assert_eq!(
            share.assigned, want,
            "{} ({assignor:?}): {split:#?}",
            share.name
        );
    }
}

/// Our member and a confluent-kafka consumer, each leading once, with `assignor`.
async fn with_confluent(assignor: Assignor) {
    let test = format!("mixed group with confluent-kafka ({})", assignor.name());
    let Some(python) = peers::python_with("confluent_kafka", &test) else {
        return;
    };
    let broker = broker().await;
    let bootstrap = broker.addr.to_string();
    let cluster = cluster(&bootstrap);
    let all = topics(&cluster).await;
    for ours_first in [true, false] {
        let group = format!("mixed-{}-{ours_first}", assignor.name());
        let (member, peer) = if ours_first {
            let member = ours("ours", &cluster, &group, assignor);
            wait_for_split("ours alone", &all, || vec![Share::from(&member)]).await;
            (member, confluent(&python, &bootstrap, &group, assignor))
        } else {
            let peer = confluent(&python, &bootstrap, &group, assignor);
            wait_for_split("confluent alone", &all, || vec![Share::from(&peer)]).await;
            (ours("ours", &cluster, &group, assignor), peer)
        };
        let split = wait_for_split(&test, &all, || {
            vec![Share::from(&member), Share::from(&peer)]
        })
        .await;
        assert_java_assignment(assignor, &split);
        let last = member
            .view()
            .rebalances
            .last()
            .cloned()
            .expect("rebalanced");
        assert_eq!(last.is_leader, ours_first, "{last:?}");
        assert_eq!(last.protocol, assignor.name());
        // Our member leaves: the librdkafka consumer takes everything.
        member.close().await.expect("close ours");
        wait_for_split("confluent after ours left", &all, || {
            vec![Share::from(&peer)]
        })
        .await;
        peer.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_group_with_confluent_kafka_range() {
    with_confluent(Assignor::Range).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_group_with_confluent_kafka_roundrobin() {
    with_confluent(Assignor::RoundRobin).await;
}

/// Our member and a Java consumer, each leading once, then all three clients in one group.
#[tokio::test(flavor = "multi_thread")]
async fn mixed_group_with_java_and_confluent_kafka() {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = broker().await;
    let bootstrap = broker.addr.to_string();
    let cluster = cluster(&bootstrap);
    let all = topics(&cluster).await;
    for (assignor, ours_first) in [(Assignor::Range, false), (Assignor::RoundRobin, true)] {
        let group = format!("java-{}-{ours_first}", assignor.name());
        let (member, peer) = if ours_first {
            let member = ours("ours", &cluster, &group, assignor);
            wait_for_split("ours alone", &all, || vec![Share::from(&member)]).await;
            (member, java(apache, &bootstrap, &group, assignor))
        } else {
            let peer = java(apache, &bootstrap, &group, assignor);
            wait_for_split("java alone", &all, || vec![Share::from(&peer)]).await;
            (ours("ours", &cluster, &group, assignor), peer)
        };
        let split = wait_for_split("ours and java", &all, || {
            vec![Share::from(&member), Share::from(&peer)]
        })
        .await;
        assert_java_assignment(assignor, &split);
        assert_eq!(
            member.view().rebalances.last().map(|r| r.is_leader),
            Some(ours_first)
        );
        member.close().await.expect("close ours");
        wait_for_split("java after ours left", &all, || vec![Share::from(&peer)]).await;
        peer.close().await;
    }

    let test = "three clients in one group";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let group = "three-clients";
    let java_member = java(apache, &bootstrap, group, Assignor::Range);
    wait_for_split("java alone", &all, || vec![Share::from(&java_member)]).await;
    let rdkafka = confluent(&python, &bootstrap, group, Assignor::Range);
    let member = ours("ours", &cluster, group, Assignor::Range);
    let split = wait_for_split(test, &all, || {
        vec![
            Share::from(&member),
            Share::from(&rdkafka),
            Share::from(&java_member),
        ]
    })
    .await;
    assert_java_assignment(Assignor::Range, &split);
    // Our member dies: the others share everything after its session times out.
    member.crash().await;
    wait_for_split("after ours died", &all, || {
        vec![Share::from(&rdkafka), Share::from(&java_member)]
    })
    .await;
    rdkafka.close().await;
    java_member.close().await;
}
