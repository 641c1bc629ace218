//! The group coordinator through raw requests: membership (MEMBER_ID_REQUIRED, join, sync,
//! heartbeat, leave, session expiry, static members), committed offsets (round trip, restart,
//! crash, simple-commit rules, deletion) and the admin APIs (list, describe, delete).

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafkit::broker::config::BrokerConfig;

use crate::common::{RawClient, TestBroker};

const JOIN_V: i16 = 9;
const SYNC_V: i16 = 5;
const HEARTBEAT_V: i16 = 4;
const LEAVE_V: i16 = 5;
const COMMIT_V: i16 = 9;
const SESSION_MS: i32 = 10_000;
/// How long a test waits for the broker to reach a state before failing.
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

const NONE: i16 = 0;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const NOT_COORDINATOR: i16 = 16;
const ILLEGAL_GENERATION: i16 = 22;
const INVALID_GROUP_ID: i16 = 24;
const UNKNOWN_MEMBER_ID: i16 = 25;
const INVALID_SESSION_TIMEOUT: i16 = 26;
const REBALANCE_IN_PROGRESS: i16 = 27;
const NON_EMPTY_GROUP: i16 = 68;
const GROUP_ID_NOT_FOUND: i16 = 69;
const MEMBER_ID_REQUIRED: i16 = 79;
const FENCED_INSTANCE_ID: i16 = 82;
const GROUP_SUBSCRIBED_TO_TOPIC: i16 = 86;

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn group(value: &str) -> GroupId {
    GroupId(s(value))
}

fn topic(value: &str) -> TopicName {
    TopicName(s(value))
}

/// A broker whose groups rebalance without the initial delay and accept short sessions.
async fn start() -> TestBroker {
    TestBroker::start_with(adjust).await
}

fn adjust(config: &mut BrokerConfig) {
    config.group_initial_rebalance_delay_ms = 0;
    config.group_min_session_timeout_ms = 100;
    config.num_partitions = 2;
}

/// A ConsumerProtocol subscription (v0) to `topics`.
fn subscription(topics: &[&str]) -> Bytes {
    let mut out = 0i16.to_be_bytes().to_vec();
    out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for t in topics {
        out.extend_from_slice(&(t.len() as i16).to_be_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    out.extend_from_slice(&(-1i32).to_be_bytes());
    Bytes::from(out)
}

fn join_request(
    group_id: &str,
    member_id: &str,
    instance: Option<&str>,
    session_ms: i32,
) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(group(group_id))
        .with_session_timeout_ms(session_ms)
        .with_rebalance_timeout_ms(30_000)
        .with_member_id(s(member_id))
        .with_group_instance_id(instance.map(s))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            JoinGroupRequestProtocol::default()
                .with_name(s("range"))
                .with_metadata(subscription(&["t"])),
            JoinGroupRequestProtocol::default()
                .with_name(s("cooperative-sticky"))
                .with_metadata(subscription(&["t"])),
        ])
}

/// JoinGroup on a client of its own, answered whenever the rebalance lets it.
fn join_in_background(
    mut client: RawClient,
    request: JoinGroupRequest,
) -> tokio::task::JoinHandle<(RawClient, JoinGroupResponse)> {
    tokio::spawn(async move {
        let response = client.send(request, JOIN_V).await;
        (client, response)
    })
}

/// A dynamic member's id, through MEMBER_ID_REQUIRED.
async fn member_id(client: &mut RawClient, group_id: &str) -> String {
    let response = client
        .send(join_request(group_id, "", None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!(response.error_code, MEMBER_ID_REQUIRED);
    assert_eq!(response.generation_id, -1);
    assert!(response.member_id.starts_with("kafkit-tests-"));
    response.member_id.to_string()
}

fn sync_request(
    group_id: &str,
    member_id: &str,
    generation: i32,
    assignments: &[(&str, &str)],
) -> SyncGroupRequest {
    SyncGroupRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation)
        .with_member_id(s(member_id))
        .with_protocol_type(Some(s("consumer")))
        .with_protocol_name(Some(s("range")))
        .with_assignments(
            assignments
                .iter()
                .map(|(m, a)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(s(m))
                        .with_assignment(Bytes::from(a.to_string()))
                })
                .collect(),
        )
}

async fn heartbeat(
    client: &mut RawClient,
    group_id: &str,
    member_id: &str,
    generation: i32,
) -> i16 {
    let request = HeartbeatRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation)
        .with_member_id(s(member_id));
    client.send(request, HEARTBEAT_V).await.error_code
}

async fn leave(client: &mut RawClient, group_id: &str, member_id: &str) -> LeaveGroupResponse {
    let request = LeaveGroupRequest::default()
        .with_group_id(group(group_id))
        .with_members(vec![MemberIdentity::default().with_member_id(s(member_id))]);
    client.send(request, LEAVE_V).await
}

async fn describe(
    client: &mut RawClient,
    group_id: &str,
    version: i16,
) -> describe_groups_response::DescribedGroup {
    let request = DescribeGroupsRequest::default().with_groups(vec![group(group_id)]);
    client.send(request, version).await.groups.remove(0)
}

/// Polls DescribeGroups until the group is in `state`.
async fn wait_for_state(client: &mut RawClient, group_id: &str, state: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if describe(client, group_id, 5).await.group_state.as_str() == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{group_id} never became {state}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// A single dynamic member in a Stable group at generation 1 with assignment "A1".
async fn single_member_group(broker: &TestBroker, group_id: &str) -> (RawClient, String) {
    let mut a = broker.connect().await;
    let id = member_id(&mut a, group_id).await;
    let joined = a
        .send(join_request(group_id, &id, None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!((joined.error_code, joined.generation_id), (NONE, 1));
    assert_eq!(joined.leader.as_str(), id);
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(joined.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata, subscription(&["t"]));
    let synced = a
        .send(sync_request(group_id, &id, 1, &[(&id, "A1")]), SYNC_V)
        .await;
    assert_eq!(
        (synced.error_code, synced.assignment.as_ref()),
        (NONE, &b"A1"[..])
    );
    (a, id)
}

/// Two dynamic members in a Stable group at generation 2: (leader client, leader id, follower
/// client, follower id); assignments "A2" and "B2".
async fn two_member_group(
    broker: &TestBroker,
    group_id: &str,
) -> (RawClient, String, RawClient, String) {
    let (mut a, a_id) = single_member_group(broker, group_id).await;
    let mut b = broker.connect().await;
    let b_id = member_id(&mut b, group_id).await;
    let b_join = join_in_background(b, join_request(group_id, &b_id, None, SESSION_MS));
    wait_for_state(&mut a, group_id, "PreparingRebalance").await;
    // The existing member learns about the rebalance from its heartbeat.
    assert_eq!(
        heartbeat(&mut a, group_id, &a_id, 1).await,
        REBALANCE_IN_PROGRESS
    );
    let a_joined = a
        .send(join_request(group_id, &a_id, None, SESSION_MS), JOIN_V)
        .await;
    let (b, b_joined) = b_join.await.unwrap();
    assert_eq!((a_joined.generation_id, b_joined.generation_id), (2, 2));
    assert_eq!(
        a_joined.leader.as_str(),
        a_id,
        "the first member keeps leading"
    );
    assert_eq!(b_joined.leader.as_str(), a_id);
    let mut ids: Vec<String> = a_joined
        .members
        .iter()
        .map(|m| m.member_id.to_string())
        .collect();
    ids.sort();
    let mut expected = vec![a_id.clone(), b_id.clone()];
    expected.sort();
    assert_eq!(ids, expected, "the leader gets every member's metadata");
    assert!(b_joined.members.is_empty(), "followers get no member list");

    let b_sync = tokio::spawn({
        let request = sync_request(group_id, &b_id, 2, &[]);
        let mut b = b;
        async move {
            let response = b.send(request, SYNC_V).await;
            (b, response)
        }
    });
    // Usually lets the follower's SyncGroup park before the leader's arrives; either order is
    // correct (a late follower gets its assignment at once).
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_synced = a
        .send(
            sync_request(group_id, &a_id, 2, &[(&a_id, "A2"), (&b_id, "B2")]),
            SYNC_V,
        )
        .await;
    let (b, b_synced) = b_sync.await.unwrap();
    assert_eq!(a_synced.assignment.as_ref(), b"A2");
    assert_eq!(b_synced.assignment.as_ref(), b"B2");
    assert_eq!(b_synced.protocol_name.as_deref(), Some("range"));
    (a, a_id, b, b_id)
}

#[tokio::test]
async fn find_coordinator_answers_this_node_for_groups_only() {
    let broker = start().await;
    let mut client = broker.connect().await;
    for version in 0..=3 {
        let request = FindCoordinatorRequest::default().with_key(s("g"));
        let response = client.send(request, version).await;
        assert_eq!(response.error_code, NONE, "v{version}");
        assert_eq!(response.node_id.0, broker.state.config.node_id);
        assert_eq!(response.host.as_str(), "127.0.0.1");
        assert_eq!(response.port, i32::from(broker.addr.port()));
        if version >= 1 {
            assert_eq!(response.error_message.as_deref(), Some("NONE"));
        }
    }
    let transactional = FindCoordinatorRequest::default()
        .with_key(s("tx"))
        .with_key_type(1);
    let response = client.send(transactional, 3).await;
    assert_eq!(
        (response.error_code, response.node_id.0, response.port),
        (15, -1, -1)
    );
    let batched = FindCoordinatorRequest::default()
        .with_key_type(0)
        .with_coordinator_keys(vec![s("a"), s("b")]);
    let response = client.send(batched, 4).await;
    assert_eq!(response.coordinators.len(), 2);
    for (c, key) in response.coordinators.iter().zip(["a", "b"]) {
        assert_eq!(
            (c.key.as_str(), c.error_code, c.node_id.0),
            (key, NONE, broker.state.config.node_id)
        );
    }
    let share = FindCoordinatorRequest::default()
        .with_key_type(2)
        .with_coordinator_keys(vec![s("g:t:0")]);
    assert_eq!(client.send(share, 5).await.coordinators[0].error_code, 42);
}

#[tokio::test]
async fn two_members_join_sync_heartbeat_and_leave() {
    let broker = start().await;
    let (mut a, a_id, mut b, b_id) = two_member_group(&broker, "g").await;
    assert_eq!(heartbeat(&mut a, "g", &a_id, 2).await, NONE);
    assert_eq!(heartbeat(&mut b, "g", &b_id, 1).await, ILLEGAL_GENERATION);
    assert_eq!(
        heartbeat(&mut b, "g", "stranger", 2).await,
        UNKNOWN_MEMBER_ID
    );

    let described = describe(&mut a, "g", 5).await;
    assert_eq!(described.group_state.as_str(), "Stable");
    assert_eq!(described.protocol_type.as_str(), "consumer");
    assert_eq!(described.protocol_data.as_str(), "range");
    assert_eq!(described.members.len(), 2);
    for m in &described.members {
        assert_eq!(m.client_id.as_str(), "kafkit-tests");
        assert_eq!(m.client_host.as_str(), "/127.0.0.1");
        assert_eq!(m.member_metadata, subscription(&["t"]));
        let expected: &[u8] = if m.member_id.as_str() == a_id {
            b"A2"
        } else {
            b"B2"
        };
        assert_eq!(m.member_assignment.as_ref(), expected);
    }

    // The follower leaves: the leader is told to rejoin and forms generation 3 alone.
    let left = leave(&mut b, "g", &b_id).await;
    assert_eq!(left.error_code, NONE);
    assert_eq!(left.members[0].error_code, NONE);
    assert_eq!(
        heartbeat(&mut a, "g", &a_id, 2).await,
        REBALANCE_IN_PROGRESS
    );
    let rejoined = a
        .send(join_request("g", &a_id, None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!((rejoined.generation_id, rejoined.members.len()), (3, 1));
    // LeaveGroup v0 carries the member's error at the top level.
    let old = LeaveGroupRequest::default()
        .with_group_id(group("g"))
        .with_member_id(s(&b_id));
    assert_eq!(b.send(old, 0).await.error_code, UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn a_silent_member_is_expired_after_its_session_timeout() {
    let broker = start().await;
    let (mut a, a_id) = single_member_group(&broker, "g").await;
    let mut b = broker.connect().await;
    let b_id = member_id(&mut b, "g").await;
    // A short session for the member that will go silent.
    let b_join = join_in_background(b, join_request("g", &b_id, None, 300));
    wait_for_state(&mut a, "g", "PreparingRebalance").await;
    a.send(join_request("g", &a_id, None, SESSION_MS), JOIN_V)
        .await;
    let (_b, joined) = b_join.await.unwrap();
    assert_eq!(joined.generation_id, 2);
    // b never syncs nor heartbeats; a keeps heartbeating until it is told to rejoin.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let error = heartbeat(&mut a, "g", &a_id, 2).await;
        if error == REBALANCE_IN_PROGRESS {
            break;
        }
        assert_eq!(error, NONE);
        assert!(
            tokio::time::Instant::now() < deadline,
            "b was never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rejoined = a
        .send(join_request("g", &a_id, None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!((rejoined.generation_id, rejoined.members.len()), (3, 1));
}

#[tokio::test]
async fn join_checks_group_id_session_timeout_and_unknown_members() {
    let broker = start().await;
    let mut client = broker.connect().await;
    let response = client
        .send(join_request("", "", None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!(response.error_code, INVALID_GROUP_ID);
    let response = client.send(join_request("g", "", None, 50), JOIN_V).await;
    assert_eq!(response.error_code, INVALID_SESSION_TIMEOUT);
    let response = client
        .send(join_request("g", "ghost", None, SESSION_MS), JOIN_V)
        .await;
    assert_eq!(
        (response.error_code, response.member_id.as_str()),
        (UNKNOWN_MEMBER_ID, "ghost")
    );
    // Before v4 a new member is added directly, without MEMBER_ID_REQUIRED; below v7 the
    // protocol name is never null.
    let response = client
        .send(join_request("old", "", None, SESSION_MS), 3)
        .await;
    assert_eq!((response.error_code, response.generation_id), (NONE, 1));
    assert!(response.member_id.starts_with("kafkit-tests-"));
    let response = client.send(join_request("", "", None, SESSION_MS), 3).await;
    assert_eq!(response.protocol_name.as_deref(), Some(""));
}

#[tokio::test]
async fn a_static_member_rejoins_without_a_rebalance() {
    let broker = start().await;
    let mut client = broker.connect().await;
    let static_v = 5;
    let first = client
        .send(join_request("g", "", Some("host-1"), SESSION_MS), static_v)
        .await;
    assert_eq!((first.error_code, first.generation_id), (NONE, 1));
    let old_id = first.member_id.to_string();
    assert!(old_id.starts_with("host-1-"));
    let synced = client
        .send(
            sync_request("g", &old_id, 1, &[(&old_id, "S")])
                .with_group_instance_id(Some(s("host-1"))),
            static_v,
        )
        .await;
    assert_eq!(synced.assignment.as_ref(), b"S");

    // Restarted with the same instance id: a new member id, same generation, no rebalance. A v5
    // client is told the old leader id, so it does not recompute the assignment.
    let again = client
        .send(join_request("g", "", Some("host-1"), SESSION_MS), static_v)
        .await;
    assert_eq!((again.error_code, again.generation_id), (NONE, 1));
    let new_id = again.member_id.to_string();
    assert_ne!(new_id, old_id);
    assert_eq!(again.leader.as_str(), old_id);
    assert_eq!(
        describe(&mut client, "g", 5).await.group_state.as_str(),
        "Stable"
    );
    let fenced = HeartbeatRequest::default()
        .with_group_id(group("g"))
        .with_generation_id(1)
        .with_member_id(s(&old_id))
        .with_group_instance_id(Some(s("host-1")));
    assert_eq!(client.send(fenced, 3).await.error_code, FENCED_INSTANCE_ID);
    let synced = client
        .send(
            sync_request("g", &new_id, 1, &[]).with_group_instance_id(Some(s("host-1"))),
            static_v,
        )
        .await;
    assert_eq!(
        (synced.error_code, synced.assignment.as_ref()),
        (NONE, &b"S"[..])
    );
    // Admin removal by instance id.
    let remove = LeaveGroupRequest::default()
        .with_group_id(group("g"))
        .with_members(vec![MemberIdentity::default()
            .with_member_id(s(""))
            .with_group_instance_id(Some(s("host-1")))]);
    let left = client.send(remove, LEAVE_V).await;
    assert_eq!(left.members[0].error_code, NONE);
    assert_eq!(
        describe(&mut client, "g", 5).await.group_state.as_str(),
        "Empty"
    );
}

async fn create_topic(client: &mut RawClient, name: &str) {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic(name)))
        ]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(request, 12).await;
    assert_eq!(response.topics[0].error_code, NONE);
}

fn commit_request(
    group_id: &str,
    generation: i32,
    member_id: &str,
    topic_name: &str,
    offsets: &[(i32, i64)],
) -> OffsetCommitRequest {
    OffsetCommitRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id_or_member_epoch(generation)
        .with_member_id(s(member_id))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic(topic_name))
            .with_partitions(
                offsets
                    .iter()
                    .map(|(p, o)| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(*p)
                            .with_committed_offset(*o)
                            .with_committed_leader_epoch(4)
                            .with_committed_metadata(Some(s(&format!("meta-{p}"))))
                    })
                    .collect(),
            )])
}

async fn commit(client: &mut RawClient, request: OffsetCommitRequest, version: i16) -> Vec<i16> {
    client
        .send(request, version)
        .await
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
        .collect()
}

/// (partition, offset, leader epoch, metadata) of every partition in a v8+ answer for one group.
async fn fetch_all(client: &mut RawClient, group_id: &str) -> Vec<(String, i32, i64, i32, String)> {
    let request =
        OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
            .with_group_id(group(group_id))
            .with_topics(None)]);
    let response = client.send(request, 9).await;
    let g = &response.groups[0];
    assert_eq!(g.error_code, NONE);
    g.topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                (
                    t.name.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata
                        .as_deref()
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                )
            })
        })
        .collect()
}

fn expected_offsets() -> Vec<(String, i32, i64, i32, String)> {
    vec![
        ("t".into(), 0, 10, 4, "meta-0".into()),
        ("t".into(), 1, 20, 4, "meta-1".into()),
    ]
}

#[tokio::test]
async fn committed_offsets_round_trip_and_survive_a_clean_restart() {
    let broker = start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "t").await;
    let errors = commit(
        &mut client,
        commit_request("g", -1, "", "t", &[(0, 10), (1, 20), (9, 1)]),
        COMMIT_V,
    )
    .await;
    assert_eq!(errors, vec![NONE, NONE, UNKNOWN_TOPIC_OR_PARTITION]);
    let errors = commit(
        &mut client,
        commit_request("g", -1, "", "missing", &[(0, 1)]),
        COMMIT_V,
    )
    .await;
    assert_eq!(errors, vec![UNKNOWN_TOPIC_OR_PARTITION]);
    assert_eq!(fetch_all(&mut client, "g").await, expected_offsets());

    // v1–7: one group, requested partitions (unknown ones answer -1 without error) or all.
    let request = OffsetFetchRequest::default()
        .with_group_id(group("g"))
        .with_topics(Some(vec![OffsetFetchRequestTopic::default()
            .with_name(topic("t"))
            .with_partition_indexes(vec![1, 5])]));
    let response = client.send(request, 7).await;
    let partitions = &response.topics[0].partitions;
    assert_eq!(
        (
            partitions[0].committed_offset,
            partitions[0].committed_leader_epoch
        ),
        (20, 4)
    );
    assert_eq!(
        (partitions[1].committed_offset, partitions[1].error_code),
        (-1, NONE)
    );
    assert_eq!(partitions[1].metadata.as_deref(), Some(""));
    let all = OffsetFetchRequest::default()
        .with_group_id(group("g"))
        .with_topics(None);
    assert_eq!(client.send(all, 2).await.topics[0].partitions.len(), 2);
    // v8+: several groups at once, each answered on its own.
    let request = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(group("g"))
            .with_topics(Some(vec![OffsetFetchRequestTopics::default()
                .with_name(topic("t"))
                .with_partition_indexes(vec![0])])),
        OffsetFetchRequestGroup::default()
            .with_group_id(group("nobody"))
            .with_topics(None),
    ]);
    let response = client.send(request, 8).await;
    assert_eq!(
        response.groups[0].topics[0].partitions[0].committed_offset,
        10
    );
    assert!(response.groups[1].topics.is_empty());

    let (config, dir) = broker.stop().await;
    let broker = TestBroker::start_in(config).await;
    let mut client = broker.connect().await;
    assert_eq!(fetch_all(&mut client, "g").await, expected_offsets());
    let described = describe(&mut client, "g", 5).await;
    assert_eq!(
        (
            described.group_state.as_str(),
            described.protocol_type.as_str()
        ),
        ("Empty", "")
    );
    drop(dir);
}

#[tokio::test]
async fn committed_offsets_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = BrokerConfig::with_log_dir(dir.path());
    adjust(&mut config);
    let broker = TestBroker::start_in(config.clone()).await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "t").await;
    commit(
        &mut client,
        commit_request("g", -1, "", "t", &[(0, 10), (1, 20)]),
        COMMIT_V,
    )
    .await;
    // Dropping aborts the broker: no clean shutdown, no snapshot, only the journal.
    drop(client);
    drop(broker);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let broker = TestBroker::start_in(config).await;
    let mut client = broker.connect().await;
    assert_eq!(fetch_all(&mut client, "g").await, expected_offsets());
}

#[tokio::test]
async fn simple_commits_are_refused_while_the_group_has_members() {
    let broker = start().await;
    let (mut a, a_id) = single_member_group(&broker, "g").await;
    create_topic(&mut a, "t").await;
    assert_eq!(
        commit(
            &mut a,
            commit_request("g", -1, "", "t", &[(0, 1)]),
            COMMIT_V
        )
        .await,
        vec![UNKNOWN_MEMBER_ID]
    );
    assert_eq!(
        commit(
            &mut a,
            commit_request("g", 1, &a_id, "t", &[(0, 2)]),
            COMMIT_V
        )
        .await,
        vec![NONE]
    );
    assert_eq!(
        commit(
            &mut a,
            commit_request("g", 7, &a_id, "t", &[(0, 3)]),
            COMMIT_V
        )
        .await,
        vec![ILLEGAL_GENERATION]
    );
    // A member commit to a group that does not exist: v9 says so, older versions blame the
    // generation.
    assert_eq!(
        commit(&mut a, commit_request("x", 1, "m", "t", &[(0, 3)]), 9).await,
        vec![GROUP_ID_NOT_FOUND]
    );
    assert_eq!(
        commit(&mut a, commit_request("x", 1, "m", "t", &[(0, 3)]), 8).await,
        vec![ILLEGAL_GENERATION]
    );
    leave(&mut a, "g", &a_id).await;
    assert_eq!(
        commit(&mut a, commit_request("g", -1, "", "t", &[(0, 4)]), 2).await,
        vec![NONE]
    );
    assert_eq!(fetch_all(&mut a, "g").await[0].2, 4);
}

#[tokio::test]
async fn delete_groups_refuses_groups_with_members() {
    let broker = start().await;
    let (mut a, a_id) = single_member_group(&broker, "busy").await;
    let request = DeleteGroupsRequest::default().with_groups_names(vec![
        group("busy"),
        group("nope"),
        group("busy"),
    ]);
    let response = a.send(request.clone(), 2).await;
    let results: Vec<(&str, i16)> = response
        .results
        .iter()
        .map(|r| (r.group_id.as_str(), r.error_code))
        .collect();
    assert_eq!(
        results,
        vec![("busy", NON_EMPTY_GROUP), ("nope", GROUP_ID_NOT_FOUND)]
    );
    leave(&mut a, "busy", &a_id).await;
    let response = a
        .send(
            DeleteGroupsRequest::default().with_groups_names(vec![group("busy")]),
            0,
        )
        .await;
    assert_eq!(response.results[0].error_code, NONE);
    let gone = describe(&mut a, "busy", 6).await;
    assert_eq!(gone.error_code, GROUP_ID_NOT_FOUND);
}

#[tokio::test]
async fn describe_groups_v6_reports_unknown_groups_as_not_found() {
    let broker = start().await;
    let mut client = broker.connect().await;
    let v6 = describe(&mut client, "unknown", 6).await;
    assert_eq!(v6.error_code, GROUP_ID_NOT_FOUND);
    assert_eq!(
        v6.error_message.as_deref(),
        Some("Group unknown not found.")
    );
    assert_eq!(v6.group_state.as_str(), "Dead");
    let v5 = describe(&mut client, "unknown", 5).await;
    assert_eq!((v5.error_code, v5.group_state.as_str()), (NONE, "Dead"));
    assert!(v5.members.is_empty());
    let request = DescribeGroupsRequest::default()
        .with_groups(vec![group("unknown")])
        .with_include_authorized_operations(true);
    assert_ne!(
        client.send(request, 5).await.groups[0].authorized_operations,
        i32::MIN
    );
}

#[tokio::test]
async fn list_groups_filters_by_state_and_type() {
    let broker = start().await;
    let (mut a, _) = single_member_group(&broker, "active").await;
    create_topic(&mut a, "t").await;
    commit(
        &mut a,
        commit_request("simple", -1, "", "t", &[(0, 1)]),
        COMMIT_V,
    )
    .await;
    let list = |states: &[&str], types: &[&str]| {
        ListGroupsRequest::default()
            .with_states_filter(states.iter().map(|x| s(x)).collect())
            .with_types_filter(types.iter().map(|x| s(x)).collect())
    };
    let names = |response: ListGroupsResponse| {
        let mut groups: Vec<(String, String, String, String)> = response
            .groups
            .iter()
            .map(|g| {
                (
                    g.group_id.to_string(),
                    g.protocol_type.to_string(),
                    g.group_state.to_string(),
                    g.group_type.to_string(),
                )
            })
            .collect();
        groups.sort();
        groups
    };
    let all = names(a.send(list(&[], &[]), 5).await);
    assert_eq!(
        all,
        vec![
            (
                "active".into(),
                "consumer".into(),
                "Stable".into(),
                "classic".into()
            ),
            ("simple".into(), "".into(), "Empty".into(), "classic".into()),
        ]
    );
    let stable = names(a.send(list(&["STABLE"], &[]), 4).await);
    assert_eq!(stable.len(), 1);
    assert_eq!(stable[0].0, "active");
    assert_eq!(
        names(a.send(list(&["empty", "stable"], &["Classic"]), 5).await).len(),
        2
    );
    assert!(names(a.send(list(&[], &["consumer"]), 5).await).is_empty());
    assert_eq!(
        a.send(ListGroupsRequest::default(), 0).await.groups.len(),
        2
    );
}

#[tokio::test]
async fn offset_delete_respects_subscriptions() {
    let broker = start().await;
    let (mut a, a_id) = single_member_group(&broker, "g").await;
    create_topic(&mut a, "t").await;
    create_topic(&mut a, "u").await;
    commit(
        &mut a,
        commit_request("g", 1, &a_id, "t", &[(0, 1)]),
        COMMIT_V,
    )
    .await;
    commit(
        &mut a,
        commit_request("g", 1, &a_id, "u", &[(0, 2)]),
        COMMIT_V,
    )
    .await;
    let request = |topics: &[&str]| {
        OffsetDeleteRequest::default()
            .with_group_id(group("g"))
            .with_topics(
                topics
                    .iter()
                    .map(|t| {
                        OffsetDeleteRequestTopic::default()
                            .with_name(topic(t))
                            .with_partitions(vec![
                                OffsetDeleteRequestPartition::default().with_partition_index(0)
                            ])
                    })
                    .collect(),
            )
    };
    // The members subscribe to "t" only.
    let response = a.send(request(&["t", "u", "missing"]), 0).await;
    let errors: Vec<i16> = response
        .topics
        .iter()
        .map(|t| t.partitions[0].error_code)
        .collect();
    assert_eq!(
        errors,
        vec![GROUP_SUBSCRIBED_TO_TOPIC, NONE, UNKNOWN_TOPIC_OR_PARTITION]
    );
    let left: Vec<String> = fetch_all(&mut a, "g")
        .await
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(left, vec!["t".to_string()]);
    let response = a
        .send(request(&["t"]).with_group_id(group("nope")), 0)
        .await;
    assert_eq!(response.error_code, GROUP_ID_NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_topic_drops_its_committed_offsets() {
    let broker = start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "t").await;
    create_topic(&mut client, "u").await;
    commit(
        &mut client,
        commit_request("g", -1, "", "t", &[(0, 1)]),
        COMMIT_V,
    )
    .await;
    commit(
        &mut client,
        commit_request("g", -1, "", "u", &[(0, 2)]),
        COMMIT_V,
    )
    .await;
    let delete = DeleteTopicsRequest::default()
        .with_topic_names(vec![topic("t")])
        .with_timeout_ms(30_000);
    assert_eq!(client.send(delete, 4).await.responses[0].error_code, NONE);
    let topics: Vec<String> = fetch_all(&mut client, "g")
        .await
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(topics, vec!["u".to_string()]);
}

#[tokio::test]
async fn a_parked_join_is_answered_when_the_broker_stops() {
    let broker = start().await;
    let (_a, _) = single_member_group(&broker, "g").await;
    let mut b = broker.connect().await;
    let b_id = member_id(&mut b, "g").await;
    // The first member never rejoins, so b waits for the rebalance timeout...
    let parked = join_in_background(b, join_request("g", &b_id, None, SESSION_MS));
    let mut observer = broker.connect().await;
    wait_for_state(&mut observer, "g", "PreparingRebalance").await;
    // ...until the broker stops and tells it to find the coordinator again.
    broker.stop().await;
    let (_b, response) = parked.await.unwrap();
    assert_eq!(response.error_code, NOT_COORDINATOR);
}
