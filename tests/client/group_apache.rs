//! Our group client against Apache Kafka 4.4 itself (the shared single-node broker and a 3-node
//! KRaft cluster from `common::apache`): members join, split, commit and rebalance when one
//! leaves or dies; the group admin operations read and change what Apache's coordinator holds;
//! our member and a Java consumer share a group; on 3 nodes the coordinator is not the leader of
//! every partition. Skipped (with a note) unless Apache Kafka is prepared
//! (`scripts/fetch-apache`); `KAFKIT_REQUIRE_INTEROP=1` makes that a failure.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::error::ResponseError;
use kafkit::client::group::coordinator::find_coordinator;
use kafkit::client::group::{Assignor, OffsetAndMetadata, Subscription};
use kafkit::client::group_admin::{GroupAdmin, GroupFilter};
use tokio::process::Command;

use super::support::{
    cluster, create_topic, member_config, partitions, wait_for_split, PeerMember, RunningMember,
    Share, PATIENCE,
};
use crate::common::apache::{apache, shared_broker, ApacheCluster};

/// Apache's `group.min.session.timeout.ms` default.
const SESSION_MS: u64 = 6000;
const PARTITIONS: i32 = 4;
const JAVA_MAIN: &str = "kafkit.interop.GroupMember";
/// How often the 3-node test looks for the new topic's leaders.
const METADATA_POLL: std::time::Duration = std::time::Duration::from_millis(100);
/// Group ids tried until one's coordinator is not the leader of every partition.
const GROUP_CANDIDATES: usize = 32;

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn our_members_join_commit_and_rebalance_on_apache_kafka() {
    let Some(broker) = shared_broker().await else {
        return;
    };
    let cluster = cluster(&broker.bootstrap());
    let topic = unique("ak-orders");
    let group = unique("ak-group");
    create_topic(&cluster, &topic, PARTITIONS).await;
    let all = partitions(&topic, PARTITIONS);
    let subscription = Subscription::Topics(vec![topic.clone()]);
    let config = member_config(&group, SESSION_MS);

    let a = RunningMember::spawn("a", cluster.clone(), config.clone(), subscription.clone());
    wait_for_split("a alone", &all, || vec![Share::from(&a)]).await;
    let b = RunningMember::spawn("b", cluster.clone(), config.clone(), subscription.clone());
    let split = wait_for_split("a and b", &all, || vec![Share::from(&a), Share::from(&b)]).await;
    assert!(split.iter().all(|s| s.assigned.len() == 2), "{split:#?}");

    // Commits with the generation, visible to the admin client.
    let offsets: BTreeMap<_, _> = split[0]
        .assigned
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(5)))
        .collect();
    a.commit(offsets.clone()).await.expect("commit on Apache");
    let admin = GroupAdmin::new(&cluster);
    let listed = admin.list_group_offsets(&group, None).await.unwrap();
    for tp in offsets.keys() {
        assert_eq!(listed[tp], Some(OffsetAndMetadata::new(5)), "{tp:?}");
    }

    let described = admin
        .describe_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    let described = described[0].1.as_ref().expect("described");
    assert_eq!(
        (described.state.as_str(), described.protocol.as_str()),
        ("Stable", "range")
    );
    let mut ids: Vec<String> = described
        .members
        .iter()
        .map(|m| m.member_id.clone())
        .collect();
    ids.sort();
    let mut ours = vec![a.view().member_id, b.view().member_id];
    ours.sort();
    assert_eq!(ids, ours);
    for m in &described.members {
        assert_eq!(
            m.subscription.as_ref().map(|s| s.topics.clone()),
            Some(vec![topic.clone()])
        );
        assert_eq!(
            m.assignment.as_ref().map(|a| a.topic_partitions().len()),
            Some(2)
        );
    }
    let listed = admin
        .list_groups(&GroupFilter {
            states: vec!["Stable".into()],
            types: vec!["classic".into(), "consumer".into()],
        })
        .await
        .unwrap();
    let listing = listed
        .groups
        .iter()
        .find(|g| g.group_id == group)
        .expect("listed by Apache");
    assert_eq!(listing.protocol_type, "consumer");

    // Leaving rebalances at once; dying, after the session timeout.
    b.close().await.expect("close b");
    wait_for_split("a after b left", &all, || vec![Share::from(&a)]).await;
    let c = RunningMember::spawn("c", cluster.clone(), config.clone(), subscription.clone());
    wait_for_split("a and c", &all, || vec![Share::from(&a), Share::from(&c)]).await;
    c.crash().await;
    wait_for_split("a after c died", &all, || vec![Share::from(&a)]).await;
    // The rebalance kept the commits.
    let last = a.view().rebalances.last().cloned().expect("rebalanced");
    for (tp, committed) in &offsets {
        assert_eq!(last.committed[tp].as_ref(), Some(committed), "{tp:?}");
    }
    a.close().await.expect("close a");

    // With the group empty, the admin operations of kafka-consumer-groups go through.
    let reset: BTreeMap<_, _> = all
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(1)))
        .collect();
    let altered = admin.alter_group_offsets(&group, &reset).await.unwrap();
    assert!(altered.values().all(Result::is_ok), "{altered:?}");
    let first: Vec<_> = all.iter().take(1).cloned().collect();
    let removed = admin.delete_group_offsets(&group, &first).await.unwrap();
    assert!(removed.values().all(Result::is_ok), "{removed:?}");
    let listed = admin.list_group_offsets(&group, None).await.unwrap();
    assert_eq!(listed.len(), all.len() - 1, "{listed:?}");
    let deleted = admin
        .delete_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    assert!(deleted[0].1.is_ok(), "{deleted:?}");
    let gone = admin
        .describe_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    assert_eq!(
        gone[0].1.as_ref().err().and_then(|e| e.code()),
        Some(ResponseError::GroupIdNotFound)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn our_member_and_a_java_consumer_share_a_group_on_apache_kafka() {
    let Some(apache) = apache().await else {
        return;
    };
    let Some(broker) = shared_broker().await else {
        return;
    };
    let bootstrap = broker.bootstrap();
    let cluster = cluster(&bootstrap);
    let topic = unique("ak-mixed");
    let group = unique("ak-mixed-group");
    create_topic(&cluster, &topic, PARTITIONS).await;
    let all = partitions(&topic, PARTITIONS);
    let mut java = apache.java(JAVA_MAIN);
    java.arg(&bootstrap)
        .arg(&group)
        .arg("roundrobin")
        .arg(SESSION_MS.to_string())
        .arg(&topic);
    let peer = PeerMember::spawn("java", Command::from(java));
    wait_for_split("java alone", &all, || vec![Share::from(&peer)]).await;
    let mut config = member_config(&group, SESSION_MS);
    config.assignors = vec![Assignor::RoundRobin];
    let member = RunningMember::spawn(
        "ours",
        cluster.clone(),
        config,
        Subscription::Topics(vec![topic.clone()]),
    );
    wait_for_split("ours and java on Apache", &all, || {
        vec![Share::from(&member), Share::from(&peer)]
    })
    .await;
    member.close().await.expect("close ours");
    wait_for_split("java after ours left", &all, || vec![Share::from(&peer)]).await;
    peer.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn our_members_on_a_three_node_apache_cluster() {
    let Some(apache) = apache().await else {
        return;
    };
    let cluster_nodes = ApacheCluster::start(apache, 3, &[]).await;
    let cluster = cluster(&cluster_nodes.bootstrap());
    let topic = "ak3-orders";
    create_topic(&cluster, topic, 6).await;
    let all = partitions(topic, 6);
    // Every node learns of the new topic's leaders a moment after CreateTopics answers.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let leaders: BTreeSet<i32> = loop {
        let metadata = cluster
            .refresh_metadata(Some(&[topic.to_string()]))
            .await
            .unwrap();
        let partitions = metadata
            .topics
            .get(topic)
            .map(|t| t.partitions.clone())
            .unwrap_or_default();
        if partitions.len() == 6 && partitions.iter().all(|p| p.leader >= 0) {
            break partitions.iter().map(|p| p.leader).collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no leaders for {topic}: {metadata:?}"
        );
        tokio::time::sleep(METADATA_POLL).await;
    };
    let mut group = None;
    for candidate in 0..GROUP_CANDIDATES {
        let id = format!("ak3-group-{candidate}");
        let coordinator = find_coordinator(&cluster, &id).await.expect("coordinator");
        if leaders.iter().any(|&l| l != coordinator.node_id) {
            group = Some(id);
            break;
        }
    }
    let group = group.unwrap_or_else(|| panic!("every coordinator leads all of {leaders:?}"));
    let config = member_config(&group, SESSION_MS);
    let subscription = Subscription::Topics(vec![topic.to_string()]);
    let a = RunningMember::spawn("a", cluster.clone(), config.clone(), subscription.clone());
    let b = RunningMember::spawn("b", cluster.clone(), config.clone(), subscription.clone());
    let split = wait_for_split("a and b on 3 nodes", &all, || {
        vec![Share::from(&a), Share::from(&b)]
    })
    .await;
    let offsets: BTreeMap<_, _> = split[1]
        .assigned
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(3)))
        .collect();
    b.commit(offsets.clone()).await.expect("commit on 3 nodes");
    b.close().await.expect("close b");
    wait_for_split("a after b left", &all, || vec![Share::from(&a)]).await;
    let last = a.view().rebalances.last().cloned().expect("rebalanced");
    for (tp, committed) in &offsets {
        assert_eq!(last.committed[tp].as_ref(), Some(committed), "{tp:?}");
    }
    // ListGroups goes to every node; the group is found on its coordinator.
    let admin = GroupAdmin::new(&cluster);
    let listed = admin.list_groups(&GroupFilter::default()).await.unwrap();
    assert!(listed.errors.is_empty(), "{:?}", listed.errors);
    let coordinator = find_coordinator(&cluster, &group).await.unwrap();
    let listing = listed
        .groups
        .iter()
        .find(|g| g.group_id == group)
        .expect("listed");
    assert_eq!(listing.coordinator, coordinator.node_id);
    let described = admin
        .describe_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    let described = described[0].1.as_ref().expect("described");
    assert_eq!(described.coordinator.node_id, coordinator.node_id);
    assert_eq!(described.members.len(), 1);
    a.close().await.expect("close a");
}
