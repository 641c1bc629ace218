//! Our group client against our broker: members split a topic disjointly and completely and
//! rebalance when one leaves or dies, commits (manual and automatic) survive a restart, static
//! members come back without a rebalance, patterns pick up new topics, and the group admin
//! operations the tools need behave as the coordinator says.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafkit::broker::config::BrokerConfig;
use kafkit::client::group::{Assignor, GroupMember, OffsetAndMetadata, Subscription, TopicPattern};
use kafkit::client::group_admin::{GroupAdmin, GroupFilter};

use super::support::{
    cluster, create_topic, member_config, partitions, wait_for_split, RunningMember, Share,
    PATIENCE,
};
use crate::common::TestBroker;

/// A broker that completes rebalances at once and accepts short sessions.
async fn broker() -> TestBroker {
    TestBroker::start_with(fast_groups).await
}

fn fast_groups(config: &mut BrokerConfig) {
    config.group_initial_rebalance_delay_ms = 0;
    config.group_min_session_timeout_ms = 500;
}

/// Session timeout of test members: short, so a crashed member is noticed quickly.
const SESSION_MS: u64 = 1500;
const PARTITIONS: i32 = 4;

fn topics(names: &[&str]) -> Subscription {
    Subscription::Topics(names.iter().map(|t| t.to_string()).collect())
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn members_split_a_topic_and_rebalance_when_one_leaves_or_dies() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "orders", PARTITIONS).await;
    let all = partitions("orders", PARTITIONS);
    let config = member_config("split", SESSION_MS);

    let a = RunningMember::spawn("a", cluster.clone(), config.clone(), topics(&["orders"]));
    wait_for_split("a alone", &all, || vec![Share::from(&a)]).await;

    let b = RunningMember::spawn("b", cluster.clone(), config.clone(), topics(&["orders"]));
    let split = wait_for_split("a and b", &all, || vec![Share::from(&a), Share::from(&b)]).await;
    assert!(split.iter().all(|s| s.assigned.len() == 2), "{split:#?}");
    assert_eq!(a.view().protocol, "range");

    // A clean leave rebalances at once.
    b.close().await.expect("close b");
    wait_for_split("a after b left", &all, || vec![Share::from(&a)]).await;

    // A crash is noticed when the session times out.
    let c = RunningMember::spawn("c", cluster.clone(), config.clone(), topics(&["orders"]));
    wait_for_split("a and c", &all, || vec![Share::from(&a), Share::from(&c)]).await;
    let generation = a.view().generation_id;
    c.crash().await;
    wait_for_split("a after c died", &all, || vec![Share::from(&a)]).await;
    assert!(a.view().generation_id > generation);

    a.close().await.expect("close a");
    let described = GroupAdmin::new(&cluster)
        .describe_groups(&["split".to_string()])
        .await
        .unwrap();
    let group = described[0].1.as_ref().expect("described");
    assert_eq!(group.state, "Empty");
    assert!(group.members.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_that_stops_polling_leaves_and_comes_back() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "slow", PARTITIONS).await;
    let all = partitions("slow", PARTITIONS);
    let mut config = member_config("slow-group", SESSION_MS);
    config.max_poll_interval = Duration::from_secs(1);
    let steady = RunningMember::spawn("steady", cluster.clone(), config.clone(), topics(&["slow"]));
    let stuck = RunningMember::spawn("stuck", cluster.clone(), config, topics(&["slow"]));
    wait_for_split("both", &all, || {
        vec![Share::from(&steady), Share::from(&stuck)]
    })
    .await;
    // The stuck member's heartbeat task leaves the group once max.poll.interval.ms passes
    // without a poll (its session stays alive meanwhile, so only that can move the partitions).
    stuck.pause(Duration::from_secs(4));
    wait_for_split("steady alone", &all, || vec![Share::from(&steady)]).await;
    // Once it polls again it rejoins and the partitions are shared again.
    wait_for_split("both again", &all, || {
        vec![Share::from(&steady), Share::from(&stuck)]
    })
    .await;
    assert!(stuck.view().rebalances.len() >= 2);
    steady.close().await.unwrap();
    stuck.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn round_robin_members_split_two_topics() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "left", 3).await;
    create_topic(&cluster, "right", 2).await;
    let mut all = partitions("left", 3);
    all.extend(partitions("right", 2));
    let mut config = member_config("rr", SESSION_MS);
    config.assignors = vec![Assignor::RoundRobin, Assignor::Range];
    let members: Vec<RunningMember> = ["x", "y", "z"]
        .iter()
        .map(|n| {
            RunningMember::spawn(
                n,
                cluster.clone(),
                config.clone(),
                topics(&["left", "right"]),
            )
        })
        .collect();
    let split = wait_for_split("three round-robin members", &all, || {
        members.iter().map(Share::from).collect()
    })
    .await;
    // Round robin over 5 partitions and 3 members: 2, 2, 1.
    let mut sizes: Vec<usize> = split.iter().map(|s| s.assigned.len()).collect();
    sizes.sort();
    assert_eq!(sizes, vec![1, 2, 2]);
    assert!(members.iter().all(|m| m.view().protocol == "roundrobin"));
    // Exactly Java's algorithm over the members as the coordinator named them.
    let subscriptions: Vec<_> = split
        .iter()
        .map(|s| kafkit::client::group::assignor::MemberSubscription {
            member_id: s.member_id.clone(),
            group_instance_id: None,
            topics: ["left".to_string(), "right".to_string()].into(),
        })
        .collect();
    let expected = Assignor::RoundRobin.assign(
        &BTreeMap::from([("left".to_string(), 3), ("right".to_string(), 2)]),
        &subscriptions,
    );
    for share in &split {
        let want: BTreeSet<(String, i32)> = expected[&share.member_id]
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
            .collect();
        assert_eq!(share.assigned, want, "{}", share.name);
    }
    for m in members {
        m.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_are_visible_after_a_restart_and_auto_commit_runs() {
    let broker = broker().await;
    let cluster_a = cluster(&broker.addr.to_string());
    create_topic(&cluster_a, "ledger", PARTITIONS).await;
    let mut config = member_config("committer", SESSION_MS);
    config.auto_commit_interval = Duration::from_millis(200);

    let member = RunningMember::spawn("m", cluster_a.clone(), config.clone(), topics(&["ledger"]));
    let all = partitions("ledger", PARTITIONS);
    wait_for_split("m alone", &all, || vec![Share::from(&member)]).await;
    let first = &member.view().rebalances[0];
    assert!(first.committed.values().all(Option::is_none), "{first:?}");

    // Manual commit with the member's generation.
    let manual: BTreeMap<_, _> = all
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(10 + i64::from(tp.1))))
        .collect();
    member.commit(manual).await.expect("commit");
    let admin = GroupAdmin::new(&cluster_a);
    let listed = admin.list_group_offsets("committer", None).await.unwrap();
    assert_eq!(
        listed[&("ledger".to_string(), 3)],
        Some(OffsetAndMetadata::new(13))
    );

    // Auto-commit of the positions the consumer reports, within a few intervals.
    let positions = BTreeMap::from([(
        ("ledger".to_string(), 0),
        OffsetAndMetadata {
            offset: 42,
            leader_epoch: Some(0),
            metadata: String::new(),
        },
    )]);
    member.set_positions(positions);
    wait_for("auto-commit of partition 0", async || {
        let listed = admin.list_group_offsets("committer", None).await.ok()?;
        (listed.get(&("ledger".to_string(), 0))?.as_ref()?.offset == 42).then_some(())
    })
    .await;
    // Close commits the positions once more and leaves.
    member.close().await.expect("close");

    let (config_b, dir) = broker.stop().await;
    let broker = TestBroker::start_in(config_b).await;
    let cluster_b = cluster(&broker.addr.to_string());
    let (member, rebalance) = GroupMember::join(
        cluster_b.clone(),
        member_config("committer", SESSION_MS),
        topics(&["ledger"]),
    )
    .await
    .expect("join after restart");
    assert_eq!(
        rebalance.committed[&("ledger".to_string(), 0)],
        Some(OffsetAndMetadata {
            offset: 42,
            leader_epoch: Some(0),
            metadata: String::new()
        })
    );
    assert_eq!(
        rebalance.committed[&("ledger".to_string(), 2)],
        Some(OffsetAndMetadata::new(12))
    );
    let committed = member
        .committed(&[("ledger".to_string(), 1)])
        .await
        .unwrap();
    assert_eq!(
        committed[&("ledger".to_string(), 1)],
        Some(OffsetAndMetadata::new(11))
    );
    member.close(&BTreeMap::new()).await.unwrap();
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_static_member_comes_back_without_a_rebalance() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "static", PARTITIONS).await;
    let all = partitions("static", PARTITIONS);
    let mut config = member_config("statics", 20_000);
    config.heartbeat_interval = Duration::from_millis(500);
    let mut one = config.clone();
    one.group_instance_id = Some("instance-1".into());
    let mut two = config.clone();
    two.group_instance_id = Some("instance-2".into());

    let first = RunningMember::spawn("one", cluster.clone(), one.clone(), topics(&["static"]));
    let second = RunningMember::spawn("two", cluster.clone(), two, topics(&["static"]));
    let split = wait_for_split("two static members", &all, || {
        vec![Share::from(&first), Share::from(&second)]
    })
    .await;
    // Range orders static members by instance id: instance-1 takes the first half.
    assert_eq!(split[0].assigned, partitions("static", 2));
    let generation = first.view().generation_id;
    let second_rebalances = second.view().rebalances.len();

    // A static member that restarts within its session gets its partitions back at once.
    first.crash().await;
    let again = RunningMember::spawn("one again", cluster.clone(), one, topics(&["static"]));
    let split = wait_for_split("static member back", &all, || {
        vec![Share::from(&again), Share::from(&second)]
    })
    .await;
    assert_eq!(split[0].assigned, partitions("static", 2));
    assert_eq!(again.view().generation_id, generation, "no rebalance");
    assert_eq!(
        second.view().rebalances.len(),
        second_rebalances,
        "the other member was not disturbed"
    );
    again.close().await.unwrap();
    second.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pattern_subscription_picks_up_new_topics() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "pat-a", 2).await;
    create_topic(&cluster, "other", 2).await;
    let mut config = member_config("patterns", SESSION_MS);
    config.metadata_max_age = Duration::from_millis(300);
    let pattern = Subscription::Pattern(TopicPattern::new("pat-.*").unwrap());
    let member = RunningMember::spawn("p", cluster.clone(), config, pattern);
    wait_for_split("pattern matches pat-a", &partitions("pat-a", 2), || {
        vec![Share::from(&member)]
    })
    .await;
    create_topic(&cluster, "pat-b", 3).await;
    let mut both = partitions("pat-a", 2);
    both.extend(partitions("pat-b", 3));
    wait_for_split("pattern matches pat-b too", &both, || {
        vec![Share::from(&member)]
    })
    .await;
    member.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_started_before_its_topic_gets_it_once_created() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    let (member, first) = GroupMember::join(
        cluster.clone(),
        member_config("early", SESSION_MS),
        topics(&["later"]),
    )
    .await
    .expect("join without the topic");
    assert!(first.assigned.is_empty(), "{first:?}");
    assert!(first.is_leader);
    drop(member);
    let member = RunningMember::spawn(
        "early",
        cluster.clone(),
        member_config("early-2", SESSION_MS),
        topics(&["later"]),
    );
    wait_for("the member joined", async || {
        (!member.view().member_id.is_empty()).then_some(())
    })
    .await;
    create_topic(&cluster, "later", 3).await;
    wait_for_split("the topic appeared", &partitions("later", 3), || {
        vec![Share::from(&member)]
    })
    .await;
    member.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn group_admin_lists_describes_alters_and_deletes() {
    let broker = broker().await;
    let cluster = cluster(&broker.addr.to_string());
    create_topic(&cluster, "admin-t", 2).await;
    let all = partitions("admin-t", 2);
    let admin = GroupAdmin::new(&cluster);
    let member = RunningMember::spawn(
        "m",
        cluster.clone(),
        member_config("admin-g", SESSION_MS),
        topics(&["admin-t"]),
    );
    wait_for_split("member", &all, || vec![Share::from(&member)]).await;

    let listed = admin.list_groups(&GroupFilter::default()).await.unwrap();
    assert!(listed.errors.is_empty(), "{:?}", listed.errors);
    let group = listed
        .groups
        .iter()
        .find(|g| g.group_id == "admin-g")
        .expect("listed");
    assert_eq!(group.protocol_type, "consumer");
    assert_eq!(group.state.as_deref(), Some("Stable"));
    assert_eq!(group.group_type.as_deref(), Some("classic"));
    let empty_only = GroupFilter {
        states: vec!["empty".into()],
        types: vec!["classic".into()],
    };
    let listed = admin.list_groups(&empty_only).await.unwrap();
    assert!(listed.groups.iter().all(|g| g.group_id != "admin-g"));

    let described = admin
        .describe_groups(&["admin-g".to_string()])
        .await
        .unwrap();
    let group = described[0].1.as_ref().expect("described");
    assert_eq!(
        (
            group.state.as_str(),
            group.protocol.as_str(),
            group.protocol_type.as_str()
        ),
        ("Stable", "range", "consumer")
    );
    assert_eq!(group.members.len(), 1);
    let m = &group.members[0];
    assert_eq!(m.member_id, member.view().member_id);
    assert_eq!(m.client_id, "kafkit");
    assert_eq!(
        m.subscription.as_ref().expect("subscription").topics,
        vec!["admin-t".to_string()]
    );
    assert_eq!(
        m.assignment
            .as_ref()
            .expect("assignment")
            .topic_partitions(),
        all.iter().cloned().collect::<Vec<_>>()
    );

    // While the group is active, outsiders cannot commit or delete it, and a subscribed topic's
    // offsets cannot be deleted.
    let offsets: BTreeMap<_, _> = all
        .iter()
        .map(|tp| (tp.clone(), OffsetAndMetadata::new(7)))
        .collect();
    let altered = admin
        .alter_group_offsets("admin-g", &offsets)
        .await
        .unwrap();
    assert!(altered
        .values()
        .all(|r| r.as_ref().err().and_then(|e| e.code()) == Some(ResponseError::UnknownMemberId)));
    let deleted = admin.delete_groups(&["admin-g".to_string()]).await.unwrap();
    assert_eq!(
        deleted[0].1.as_ref().err().and_then(|e| e.code()),
        Some(ResponseError::NonEmptyGroup)
    );
    let all_vec: Vec<_> = all.iter().cloned().collect();
    let removed = admin
        .delete_group_offsets("admin-g", &all_vec)
        .await
        .unwrap();
    assert!(removed
        .values()
        .all(|r| r.as_ref().err().and_then(|e| e.code())
            == Some(ResponseError::GroupSubscribedToTopic)));

    // Once the member left, the admin operations go through.
    member.close().await.unwrap();
    let altered = admin
        .alter_group_offsets("admin-g", &offsets)
        .await
        .unwrap();
    assert!(altered.values().all(Result::is_ok), "{altered:?}");
    let listed = admin
        .list_group_offsets("admin-g", Some(&all_vec))
        .await
        .unwrap();
    assert!(listed
        .values()
        .all(|o| o == &Some(OffsetAndMetadata::new(7))));
    let removed = admin
        .delete_group_offsets("admin-g", &all_vec[..1])
        .await
        .unwrap();
    assert!(removed.values().all(Result::is_ok), "{removed:?}");
    let listed = admin.list_group_offsets("admin-g", None).await.unwrap();
    assert_eq!(
        listed.keys().cloned().collect::<Vec<_>>(),
        all_vec[1..].to_vec()
    );
    let deleted = admin
        .delete_groups(&["admin-g".to_string(), "never-was".to_string()])
        .await
        .unwrap();
    assert!(deleted[0].1.is_ok(), "{deleted:?}");
    assert_eq!(
        deleted[1].1.as_ref().err().and_then(|e| e.code()),
        Some(ResponseError::GroupIdNotFound)
    );
    let described = admin
        .describe_groups(&["admin-g".to_string()])
        .await
        .unwrap();
    let error = described[0].1.as_ref().expect_err("gone");
    assert_eq!(error.code(), Some(ResponseError::GroupIdNotFound));
    assert_eq!(error.to_string(), "Group admin-g not found.");
}
