//! Cooperative-sticky (KIP-429) groups against our broker: our members with librdkafka's
//! `cooperative-sticky` (confluent-kafka) and Java's `CooperativeStickyAssignor` (kafka-clients
//! 4.4) in one group, whoever leads. Members join and leave;
//! every time the group settles the shares are disjoint and complete, and our members show the
//! cooperative contract in every rebalance they saw: they never lose a partition they keep,
//! only newly gained partitions are sought, and what a member keeps across a membership change
//! is what it had (stickiness). Peers missing → skipped with a note (`KAFKIT_REQUIRE_INTEROP=1`
//! fails instead).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

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

const SESSION_MS: u64 = 3000;
/// Two topics, so the assignment is more than one range.
const TOPICS: [(&str, i32); 2] = [("coop-a", 4), ("coop-b", 3)];
const JAVA_MAIN: &str = "kafkit.interop.GroupMember";
const PYTHON_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/py/group_member.py"
);

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

fn ours(name: &str, cluster: &Arc<Cluster>, group: &str) -> RunningMember {
    let mut config = member_config(group, SESSION_MS);
    config.assignors = vec![Assignor::CooperativeSticky];
    RunningMember::spawn(
        name,
        cluster.clone(),
        config,
        Subscription::Topics(topic_names()),
    )
}

fn librdkafka(python: &Path, bootstrap: &str, group: &str) -> PeerMember {
    let mut command = Command::new(python);
    command
        .arg(PYTHON_SCRIPT)
        .args(["--bootstrap", bootstrap, "--group", group])
        .args(["--strategy", "cooperative-sticky"])
        .args(["--session-ms", &SESSION_MS.to_string()])
        .env("PYTHONUNBUFFERED", "1");
    for t in topic_names() {
        command.args(["--topic", &t]);
    }
    PeerMember::spawn("confluent-kafka", command)
}

/// Every rebalance `member` went through followed the cooperative protocol.
fn assert_cooperative(member: &RunningMember) {
    let view = member.view();
    let mut owned: BTreeSet<TopicPartition> = BTreeSet::new();
    for r in &view.rebalances {
        assert_eq!(r.protocol, "cooperative-sticky", "{}: {r:?}", member.name);
        let revoked: BTreeSet<_> = r.revoked.iter().cloned().collect();
        let assigned: BTreeSet<_> = r.assigned.iter().cloned().collect();
        let added: BTreeSet<_> = r.added.iter().cloned().collect();
        assert!(revoked.is_subset(&owned), "{}: {r:?}", member.name);
        assert!(revoked.is_disjoint(&assigned), "{}: {r:?}", member.name);
        let kept: BTreeSet<_> = owned.difference(&revoked).cloned().collect();
        assert_eq!(
            assigned,
            kept.union(&added).cloned().collect(),
            "{}: {r:?}",
            member.name
        );
        assert!(added.is_disjoint(&owned), "{}: {r:?}", member.name);
        assert_eq!(
            r.committed.keys().cloned().collect::<BTreeSet<_>>(),
            added,
            "only new partitions are looked up: {r:?}"
        );
        owned = assigned;
    }
}

fn shares(ours: &[&RunningMember], peers: &[&PeerMember]) -> Vec<Share> {
    ours.iter()
        .map(|m| Share::from(*m))
        .chain(peers.iter().map(|p| Share::from(*p)))
        .collect()
}

/// One group: `first` alone, then the other kind joins, then a second member of ours; then
/// the librdkafka member leaves.
async fn mixed_group(python: &Path, bootstrap: &str, cluster: &Arc<Cluster>, ours_first: bool) {
    let group = format!("coop-{ours_first}");
    let all: BTreeSet<TopicPartition> =
        TOPICS.iter().flat_map(|(t, n)| partitions(t, *n)).collect();
    let (o1, peer) = if ours_first {
        let o1 = ours("o1", cluster, &group);
        wait_for_split("o1 alone", &all, || shares(&[&o1], &[])).await;
        (o1, librdkafka(python, bootstrap, &group))
    } else {
        let peer = librdkafka(python, bootstrap, &group);
        wait_for_split("librdkafka alone", &all, || shares(&[], &[&peer])).await;
        (ours("o1", cluster, &group), peer)
    };
    let two = wait_for_split(&format!("{group}: o1 + librdkafka"), &all, || {
        shares(&[&o1], &[&peer])
    })
    .await;
    if ours_first {
        // Sticky: o1 only gave partitions up.
        let first = o1.view().rebalances[0].assigned.clone();
        let first: BTreeSet<_> = first.into_iter().collect();
        assert!(two[0].assigned.is_subset(&first), "{two:#?}");
    }

    let o2 = ours("o2", cluster, &group);
    let three = wait_for_split(&format!("{group}: o1 + o2 + librdkafka"), &all, || {
        shares(&[&o1, &o2], &[&peer])
    })
    .await;
    assert!(
        three[0].assigned.is_subset(&two[0].assigned),
        "o1 keeps what it had: {two:#?} {three:#?}"
    );

    peer.close().await;
    let after = wait_for_split(&format!("{group}: o1 + o2"), &all, || {
        shares(&[&o1, &o2], &[])
    })
    .await;
    for (before, now) in three.iter().zip(&after) {
        assert!(
            before.assigned.is_subset(&now.assigned),
            "{} keeps what it had: {three:#?} {after:#?}",
            now.name
        );
    }
    if ours_first {
        // o1 gave partitions up while keeping others: an incremental revocation happened.
        assert!(
            o1.view()
                .rebalances
                .iter()
                .any(|r| !r.revoked.is_empty() && !r.assigned.is_empty()),
            "{:#?}",
            o1.view().rebalances
        );
    }
    assert_cooperative(&o1);
    assert_cooperative(&o2);
    o1.close().await.expect("close o1");
    o2.close().await.expect("close o2");
}

#[tokio::test(flavor = "multi_thread")]
async fn ours_and_librdkafka_cooperative_sticky_members_share_incrementally() {
    let test = "ours_and_librdkafka_cooperative_sticky_members_share_incrementally";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = broker().await;
    let bootstrap = broker.addr.to_string();
    let cluster = cluster(&bootstrap);
    topics(&cluster).await;
    for ours_first in [true, false] {
        mixed_group(&python, &bootstrap, &cluster, ours_first).await;
    }
}

/// Java's `CooperativeStickyAssignor` (kafka-clients 4.4, classic protocol) in a group with our
/// member and librdkafka's: first Java leads, then ours does (the first member to join leads);
/// then ours leaves and the others take its partitions, or Java leaves and ours and librdkafka's
/// take Java's.
#[tokio::test(flavor = "multi_thread")]
async fn ours_java_and_librdkafka_cooperative_sticky_in_one_group() {
    let test = "ours_java_and_librdkafka_cooperative_sticky_in_one_group";
    let Some(apache) = apache().await else {
        return;
    };
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let broker = broker().await;
    let bootstrap = broker.addr.to_string();
    let cluster = cluster(&bootstrap);
    let all = topics(&cluster).await;
    let java = |group: &str| {
        let mut command = apache.java(JAVA_MAIN);
        command
            .arg(&bootstrap)
            .arg(group)
            .arg("cooperative-sticky")
            .arg(SESSION_MS.to_string())
            .args(topic_names());
        PeerMember::spawn("java", Command::from(command))
    };

    let group = "coop-java-leads";
    let java_member = java(group);
    wait_for_split("java alone", &all, || shares(&[], &[&java_member])).await;
    let member = ours("ours", &cluster, group);
    let rdkafka = librdkafka(&python, &bootstrap, group);
    wait_for_split("java + ours + librdkafka", &all, || {
        shares(&[&member], &[&java_member, &rdkafka])
    })
    .await;
    assert_cooperative(&member);
    assert_eq!(
        member.view().rebalances.last().map(|r| r.is_leader),
        Some(false),
        "java leads"
    );
    member.close().await.expect("close ours");
    wait_for_split("java + librdkafka", &all, || {
        shares(&[], &[&java_member, &rdkafka])
    })
    .await;
    rdkafka.close().await;
    java_member.close().await;

    let group = "coop-ours-leads";
    let member = ours("ours", &cluster, group);
    wait_for_split("ours alone", &all, || shares(&[&member], &[])).await;
    let java_member = java(group);
    let rdkafka = librdkafka(&python, &bootstrap, group);
    let three = wait_for_split("ours + java + librdkafka", &all, || {
        shares(&[&member], &[&java_member, &rdkafka])
    })
    .await;
    assert_eq!(
        member.view().rebalances.last().map(|r| r.is_leader),
        Some(true),
        "ours leads"
    );
    java_member.close().await;
    let two = wait_for_split("ours + librdkafka", &all, || {
        shares(&[&member], &[&rdkafka])
    })
    .await;
    assert!(
        three[0].assigned.is_subset(&two[0].assigned),
        "ours keeps what it had: {three:#?} {two:#?}"
    );
    assert_cooperative(&member);
    rdkafka.close().await;
    member.close().await.expect("close ours");
}
