//! Unit tests of the classic group state machine (on a manual clock) and of the coordinator's
//! durable state (on a temp dir).

use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot::{self, error::TryRecvError, Receiver};

use super::group::{ClassicGroup, GroupSettings, GroupState, Now};
use super::types::*;
use super::GroupCoordinator;
use crate::broker::config::BrokerConfig;

const SESSION_MS: i32 = 10_000;
const REBALANCE_MS: i32 = 30_000;
const DELAY_MS: u64 = 3000;
/// When [`stable_pair`]'s group is Stable: its second member extended the initial delay once.
const STABLE_AT: u64 = 2 * DELAY_MS + 100;

fn code(e: ResponseError) -> ErrorCode {
    e.code()
}

fn settings(delay_ms: u64) -> GroupSettings {
    GroupSettings {
        initial_rebalance_delay_ms: delay_ms,
        max_size: usize::MAX,
        new_member_join_timeout_ms: 300_000,
    }
}

/// A manual clock: `at(ms)` is `ms` after the test's start.
struct Clock(Instant);

impl Clock {
    fn new() -> Self {
        Clock(Instant::now())
    }
    fn at(&self, ms: u64) -> Now {
        Now {
            instant: self.0 + Duration::from_millis(ms),
            wall_ms: ms as i64,
        }
    }
}

fn protocols(names: &[&str]) -> Vec<Protocol> {
    names
        .iter()
        .map(|n| Protocol {
            name: n.to_string(),
            metadata: Bytes::from(format!("meta-{n}")),
        })
        .collect()
}

fn request(member_id: &str, instance: Option<&str>, version: i16) -> JoinRequest {
    JoinRequest {
        group_id: "g".into(),
        member_id: member_id.into(),
        group_instance_id: instance.map(str::to_string),
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: REBALANCE_MS,
        protocol_type: "consumer".into(),
        protocols: protocols(&["range", "roundrobin"]),
        client_id: "client".into(),
        client_host: "/127.0.0.1".into(),
        api_version: version,
        reason: None,
    }
}

fn join(
    group: &mut ClassicGroup,
    req: JoinRequest,
    s: &GroupSettings,
    now: Now,
) -> Receiver<JoinResult> {
    let (tx, rx) = oneshot::channel();
    group.join(req, tx, s, now);
    rx
}

fn sync(
    group: &mut ClassicGroup,
    member: &str,
    generation: i32,
    assignments: &[(&str, &str)],
    now: Now,
) -> Receiver<SyncResult> {
    let (tx, rx) = oneshot::channel();
    let req = SyncRequest {
        group_id: "g".into(),
        generation_id: generation,
        member_id: member.into(),
        group_instance_id: None,
        protocol_type: Some("consumer".into()),
        protocol_name: None,
        assignments: assignments
            .iter()
            .map(|(m, a)| (m.to_string(), Bytes::from(a.to_string())))
            .collect(),
    };
    group.sync(req, tx, now);
    rx
}

fn heartbeat(group: &mut ClassicGroup, member: &str, generation: i32, now: Now) -> ErrorCode {
    let req = HeartbeatRequest {
        group_id: "g".into(),
        generation_id: generation,
        member_id: member.into(),
        group_instance_id: None,
    };
    group.heartbeat(&req, now)
}

/// The answer if it is there yet.
fn ready<T>(rx: &mut Receiver<T>) -> Option<T> {
    match rx.try_recv() {
        Ok(v) => Some(v),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Closed) => panic!("answer dropped"),
    }
}

/// Joins a dynamic member through MEMBER_ID_REQUIRED; returns its id and parked answer.
fn join_dynamic(
    group: &mut ClassicGroup,
    s: &GroupSettings,
    now: Now,
) -> (String, Receiver<JoinResult>) {
    let first = ready(&mut join(group, request("", None, 9), s, now)).unwrap();
    assert_eq!(first.error, code(ResponseError::MemberIdRequired));
    assert!(first.member_id.starts_with("client-"));
    let rx = join(group, request(&first.member_id, None, 9), s, now);
    (first.member_id, rx)
}

/// A Stable group of two dynamic members at generation 1: (leader, follower).
fn stable_pair(clock: &Clock, s: &GroupSettings) -> (ClassicGroup, String, String) {
    let mut group = ClassicGroup::new("g", 0);
    let (a, mut ja) = join_dynamic(&mut group, s, clock.at(0));
    let (b, mut jb) = join_dynamic(&mut group, s, clock.at(10));
    group.expire(s, clock.at(DELAY_MS));
    assert!(
        ready(&mut ja).is_none(),
        "the second member extended the initial delay"
    );
    group.expire(s, clock.at(2 * DELAY_MS));
    let (ra, rb) = (ready(&mut ja).unwrap(), ready(&mut jb).unwrap());
    let (leader, follower) = if ra.leader == a { (a, b) } else { (b, a) };
    assert_eq!(ra.generation_id, 1);
    assert_eq!(rb.generation_id, 1);
    let mut f = sync(&mut group, &follower, 1, &[], clock.at(2 * DELAY_MS + 20));
    let mut l = sync(
        &mut group,
        &leader,
        1,
        &[(&leader, "L"), (&follower, "F")],
        clock.at(2 * DELAY_MS + 30),
    );
    assert_eq!(ready(&mut f).unwrap().assignment, Bytes::from("F"));
    assert_eq!(ready(&mut l).unwrap().assignment, Bytes::from("L"));
    assert_eq!(group.state(), GroupState::Stable);
    (group, leader, follower)
}

#[test]
fn member_id_required_then_an_initial_rebalance_that_waits_for_its_delay() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let mut group = ClassicGroup::new("g", 0);
    let (id, mut answer) = join_dynamic(&mut group, &s, clock.at(0));
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    // Everyone has joined, but an initial rebalance never completes before its delay.
    group.expire(&s, clock.at(DELAY_MS - 1));
    assert!(ready(&mut answer).is_none());
    group.expire(&s, clock.at(DELAY_MS));
    let result = ready(&mut answer).unwrap();
    assert_eq!((result.error, result.generation_id), (NONE, 1));
    assert_eq!(result.leader, id);
    assert_eq!(result.protocol_name.as_deref(), Some("range"));
    assert_eq!(result.members.len(), 1);
    assert_eq!(result.members[0].metadata, Bytes::from("meta-range"));
    assert_eq!(group.state(), GroupState::CompletingRebalance);
}

#[test]
fn a_member_joining_during_the_delay_extends_it() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let mut group = ClassicGroup::new("g", 0);
    let (_, mut a) = join_dynamic(&mut group, &s, clock.at(0));
    let (_, mut b) = join_dynamic(&mut group, &s, clock.at(2000));
    group.expire(&s, clock.at(DELAY_MS));
    assert!(ready(&mut a).is_none(), "extended by another delay");
    group.expire(&s, clock.at(2 * DELAY_MS));
    assert_eq!(ready(&mut a).unwrap().generation_id, 1);
    assert_eq!(ready(&mut b).unwrap().generation_id, 1);
}

#[test]
fn leader_gets_member_metadata_and_sync_distributes_assignments() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let (group, leader, follower) = stable_pair(&clock, &s);
    let described = group.describe();
    assert_eq!(described.state, "Stable");
    assert_eq!(described.protocol_data, "range");
    let members: Vec<_> = described
        .members
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    assert!(members.contains(&leader.as_str()) && members.contains(&follower.as_str()));
}

#[test]
fn a_new_member_starts_a_rebalance_that_heartbeats_report() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let (mut group, leader, follower) = stable_pair(&clock, &s);
    let t = STABLE_AT;
    assert_eq!(heartbeat(&mut group, &follower, 1, clock.at(t)), NONE);
    let (_, mut newcomer) = join_dynamic(&mut group, &s, clock.at(t));
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    assert_eq!(
        heartbeat(&mut group, &follower, 1, clock.at(t + 1)),
        code(ResponseError::RebalanceInProgress)
    );
    assert_eq!(
        heartbeat(&mut group, &follower, 0, clock.at(t + 1)),
        code(ResponseError::IllegalGeneration)
    );
    // Not an initial rebalance: it completes as soon as everyone has rejoined.
    let mut l = join(&mut group, request(&leader, None, 9), &s, clock.at(t + 2));
    assert!(ready(&mut l).is_none());
    let mut f = join(&mut group, request(&follower, None, 9), &s, clock.at(t + 3));
    let (rl, rf, rn) = (
        ready(&mut l).unwrap(),
        ready(&mut f).unwrap(),
        ready(&mut newcomer).unwrap(),
    );
    assert_eq!(
        (rl.generation_id, rf.generation_id, rn.generation_id),
        (2, 2, 2)
    );
    assert_eq!(rl.members.len(), 3);
    assert!(rf.members.is_empty() && rn.members.is_empty());
}

#[test]
fn leaving_rebalances_and_the_last_leave_empties_the_group() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let (mut group, leader, follower) = stable_pair(&clock, &s);
    let t = STABLE_AT;
    let leave = |id: &str| LeavingMember {
        member_id: id.into(),
        group_instance_id: None,
        reason: None,
    };
    let result = group.leave(&[leave(&follower), leave("nobody")], &s, clock.at(t));
    assert_eq!(
        result.members,
        vec![NONE, code(ResponseError::UnknownMemberId)]
    );
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    let mut rejoin = join(&mut group, request(&leader, None, 9), &s, clock.at(t + 1));
    let result = ready(&mut rejoin).unwrap();
    assert_eq!((result.generation_id, result.members.len()), (2, 1));
    group.leave(&[leave(&leader)], &s, clock.at(t + 2));
    assert_eq!(group.state(), GroupState::Empty);
    assert_eq!(group.generation(), 3, "the empty generation counts too");
    assert!(group.validate_delete().is_ok());
}

#[test]
fn a_silent_member_expires_after_its_session_timeout() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let (mut group, leader, follower) = stable_pair(&clock, &s);
    let start = STABLE_AT;
    // Only the leader heartbeats.
    for t in (start..start + SESSION_MS as u64 + 4000).step_by(3000) {
        assert_eq!(heartbeat(&mut group, &leader, 1, clock.at(t)), NONE);
        group.expire(&s, clock.at(t));
    }
    assert!(!group.members.contains_key(&follower));
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    let mut rejoin = join(
        &mut group,
        request(&leader, None, 9),
        &s,
        clock.at(start + 20_000),
    );
    assert_eq!(ready(&mut rejoin).unwrap().generation_id, 2);
}

#[test]
fn members_that_do_not_rejoin_within_the_rebalance_timeout_are_dropped() {
    let clock = Clock::new();
    let s = settings(DELAY_MS);
    let (mut group, leader, follower) = stable_pair(&clock, &s);
    let t = STABLE_AT;
    // The leader rejoins (forcing a rebalance); the follower keeps heartbeating but never joins.
    let mut l = join(&mut group, request(&leader, None, 9), &s, clock.at(t));
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    for step in 1..=(REBALANCE_MS as u64 / 3000) {
        let now = clock.at(t + step * 3000);
        heartbeat(&mut group, &follower, 1, now);
        group.expire(&s, now);
    }
    let result = ready(&mut l).unwrap();
    assert_eq!((result.generation_id, result.members.len()), (2, 1));
    assert!(!group.members.contains_key(&follower));
}

#[test]
fn members_that_never_sync_are_removed_after_the_rebalance_timeout() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    let (a, mut ja) = join_dynamic(&mut group, &s, clock.at(0));
    let (b, mut jb) = join_dynamic(&mut group, &s, clock.at(0));
    // The second member re-arms the (zero) initial delay once.
    group.expire(&s, clock.at(0));
    group.expire(&s, clock.at(0));
    let leader = ready(&mut ja).unwrap().leader;
    ready(&mut jb).unwrap();
    let other = if leader == a { b } else { a };
    // Only the leader syncs; the other member never does.
    let mut l = sync(&mut group, &leader, 1, &[], clock.at(1));
    assert_eq!(ready(&mut l).unwrap().error, NONE);
    heartbeat(&mut group, &leader, 1, clock.at(REBALANCE_MS as u64 - 1000));
    group.expire(&s, clock.at(REBALANCE_MS as u64 + 1));
    assert!(!group.members.contains_key(&other));
    assert_eq!(group.state(), GroupState::PreparingRebalance);
}

#[test]
fn a_follower_waiting_in_sync_is_told_to_rejoin_when_a_rebalance_starts() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    let (a, mut ja) = join_dynamic(&mut group, &s, clock.at(0));
    let (b, mut jb) = join_dynamic(&mut group, &s, clock.at(0));
    // The second member re-arms the (zero) initial delay once.
    group.expire(&s, clock.at(0));
    group.expire(&s, clock.at(0));
    let leader = ready(&mut ja).unwrap().leader;
    ready(&mut jb).unwrap();
    let follower = if leader == a { b } else { a };
    assert_eq!(
        group.validate_offset_commit(&follower, None, 1, clock.at(1)),
        Err(code(ResponseError::RebalanceInProgress)),
        "no commits between JoinGroup and SyncGroup"
    );
    let mut f = sync(&mut group, &follower, 1, &[], clock.at(1));
    assert!(ready(&mut f).is_none());
    let (_, _newcomer) = join_dynamic(&mut group, &s, clock.at(2));
    assert_eq!(
        ready(&mut f).unwrap().error,
        code(ResponseError::RebalanceInProgress)
    );
}

#[test]
fn a_static_member_rejoining_while_stable_keeps_its_assignment_without_a_rebalance() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    // Static members are added directly, without MEMBER_ID_REQUIRED.
    let mut first = join(
        &mut group,
        request("", Some("instance-1"), 9),
        &s,
        clock.at(0),
    );
    group.expire(&s, clock.at(0));
    let joined = ready(&mut first).unwrap();
    assert!(joined.member_id.starts_with("instance-1-"));
    let old_id = joined.member_id;
    let mut synced = sync(&mut group, &old_id, 1, &[(&old_id, "A")], clock.at(1));
    assert_eq!(ready(&mut synced).unwrap().assignment, Bytes::from("A"));

    let mut again = join(
        &mut group,
        request("", Some("instance-1"), 9),
        &s,
        clock.at(2),
    );
    let rejoined = ready(&mut again).unwrap();
    assert_ne!(rejoined.member_id, old_id);
    assert_eq!((rejoined.error, rejoined.generation_id), (NONE, 1));
    assert!(
        rejoined.skip_assignment,
        "a v9 static leader skips the assignment"
    );
    assert_eq!(group.state(), GroupState::Stable);
    let new_id = rejoined.member_id;
    let mut fenced = HeartbeatRequest {
        group_id: "g".into(),
        generation_id: 1,
        member_id: old_id.clone(),
        group_instance_id: Some("instance-1".into()),
    };
    assert_eq!(
        group.heartbeat(&fenced, clock.at(3)),
        code(ResponseError::FencedInstanceId)
    );
    fenced.member_id = new_id.clone();
    assert_eq!(group.heartbeat(&fenced, clock.at(3)), NONE);
    let mut mine = sync(&mut group, &new_id, 1, &[], clock.at(4));
    assert_eq!(ready(&mut mine).unwrap().assignment, Bytes::from("A"));
}

#[test]
fn incompatible_protocols_are_refused() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    let mut empty_type = request("", None, 9);
    empty_type.protocol_type = String::new();
    let result = ready(&mut join(&mut group, empty_type, &s, clock.at(0))).unwrap();
    assert_eq!(result.error, code(ResponseError::InconsistentGroupProtocol));
    let (_, _a) = join_dynamic(&mut group, &s, clock.at(0));
    let mut other = request("", None, 9);
    other.protocols = protocols(&["sticky"]);
    let result = ready(&mut join(&mut group, other, &s, clock.at(1))).unwrap();
    assert_eq!(result.error, code(ResponseError::InconsistentGroupProtocol));
    let mut connect = request("", None, 9);
    connect.protocol_type = "connect".into();
    let result = ready(&mut join(&mut group, connect, &s, clock.at(1))).unwrap();
    assert_eq!(result.error, code(ResponseError::InconsistentGroupProtocol));
}

#[test]
fn the_protocol_most_members_prefer_among_the_common_ones_wins() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    let mut answers = Vec::new();
    for preference in [
        &["roundrobin", "range"][..],
        &["range", "roundrobin"],
        &["roundrobin", "range", "sticky"],
    ] {
        let mut req = request("", None, 3);
        req.protocols = protocols(preference);
        answers.push(join(&mut group, req, &s, clock.at(0)));
    }
    group.expire(&s, clock.at(0));
    group.expire(&s, clock.at(0));
    for answer in &mut answers {
        assert_eq!(
            ready(answer).unwrap().protocol_name.as_deref(),
            Some("roundrobin")
        );
    }
}

#[test]
fn a_pending_member_that_never_rejoins_expires() {
    let clock = Clock::new();
    let s = settings(0);
    let (mut group, leader, follower) = stable_pair(&clock, &s);
    let t = STABLE_AT;
    let pending = ready(&mut join(&mut group, request("", None, 9), &s, clock.at(t))).unwrap();
    assert!(group.is_pending_member(&pending.member_id));
    let mut l = join(&mut group, request(&leader, None, 9), &s, clock.at(t));
    let mut f = join(&mut group, request(&follower, None, 9), &s, clock.at(t));
    assert!(
        ready(&mut l).is_none(),
        "the pending member holds up the join phase"
    );
    group.expire(&s, clock.at(t + SESSION_MS as u64));
    assert!(!group.is_pending_member(&pending.member_id));
    assert_eq!(ready(&mut l).unwrap().generation_id, 2);
    assert_eq!(ready(&mut f).unwrap().generation_id, 2);
}

#[test]
fn joining_with_an_unknown_member_id_or_syncing_an_empty_group_fails() {
    let clock = Clock::new();
    let s = settings(0);
    let mut group = ClassicGroup::new("g", 0);
    let result = ready(&mut join(
        &mut group,
        request("ghost", None, 9),
        &s,
        clock.at(0),
    ))
    .unwrap();
    assert_eq!(result.error, code(ResponseError::UnknownMemberId));
    let result = ready(&mut sync(&mut group, "ghost", 0, &[], clock.at(0))).unwrap();
    assert_eq!(result.error, code(ResponseError::UnknownMemberId));
}

#[test]
fn offset_commit_membership_rules() {
    let clock = Clock::new();
    let s = settings(0);
    let now = clock.at(0);
    let mut empty = ClassicGroup::new("g", 0);
    assert_eq!(empty.validate_offset_commit("", None, -1, now), Ok(()));
    assert_eq!(
        empty.validate_offset_commit("someone", None, 1, now),
        Err(code(ResponseError::UnknownMemberId))
    );
    let (mut group, leader, _) = stable_pair(&clock, &s);
    let now = clock.at(STABLE_AT);
    assert_eq!(
        group.validate_offset_commit("", None, -1, now),
        Err(code(ResponseError::UnknownMemberId)),
        "simple commits are refused while the group has members"
    );
    assert_eq!(group.validate_offset_commit(&leader, None, 1, now), Ok(()));
    assert_eq!(
        group.validate_offset_commit(&leader, None, 7, now),
        Err(code(ResponseError::IllegalGeneration))
    );
    assert_eq!(
        group.validate_delete(),
        Err(code(ResponseError::NonEmptyGroup))
    );
}

fn coordinator(dir: &std::path::Path) -> GroupCoordinator {
    let mut config = BrokerConfig::with_log_dir(dir);
    config.group_initial_rebalance_delay_ms = 0;
    GroupCoordinator::open(&config).unwrap()
}

fn commit_request(group: &str, generation: i32, member: &str) -> CommitRequest {
    CommitRequest {
        group_id: group.into(),
        generation_id: generation,
        member_id: member.into(),
        group_instance_id: None,
        retention_time_ms: -1,
        api_version: 9,
    }
}

fn offset(topic: &str, partition: i32, value: i64) -> OffsetToCommit {
    OffsetToCommit {
        topic: topic.into(),
        partition,
        offset: value,
        leader_epoch: 2,
        metadata: Some("meta".into()),
    }
}

#[test]
fn committed_offsets_and_group_metadata_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let errors = c.commit_offsets(
        &commit_request("simple", -1, ""),
        vec![offset("t", 0, 5), offset("t", 1, 7)],
    );
    assert_eq!(errors, vec![NONE, NONE]);
    let mut big = offset("t", 2, 1);
    big.metadata = Some("x".repeat(5000));
    assert_eq!(
        c.commit_offsets(&commit_request("simple", -1, ""), vec![big]),
        vec![code(ResponseError::OffsetMetadataTooLarge)]
    );
    assert_eq!(
        c.commit_offsets(&commit_request("missing", 3, "m"), vec![offset("t", 0, 1)]),
        vec![code(ResponseError::GroupIdNotFound)]
    );
    // A consumer group that rebalanced once and emptied again.
    let mut req = request("", None, 3);
    req.group_id = "consumers".into();
    let answer = c.join_group(req);
    c.expire(Now::current());
    let joined = answer.blocking_recv_ok();
    c.leave_group(
        "consumers",
        &[LeavingMember {
            member_id: joined.member_id,
            group_instance_id: None,
            reason: None,
        }],
    );
    drop(c);

    let c = coordinator(dir.path());
    let fetched = c.fetch_offsets("simple", None).unwrap();
    assert_eq!(fetched.len(), 1);
    let (topic, partitions) = &fetched[0];
    assert_eq!(topic, "t");
    let first = partitions[0].1.clone().unwrap();
    assert_eq!(
        (first.offset, first.leader_epoch, first.metadata.as_str()),
        (5, 2, "meta")
    );
    assert_eq!(partitions[1].1.as_ref().unwrap().offset, 7);
    let described = c.describe_group("consumers").unwrap().unwrap();
    assert_eq!(
        (described.state, described.protocol_type.as_str()),
        ("Empty", "consumer")
    );
    let listed = c.list_groups(&[], &[]).unwrap();
    assert_eq!(listed.len(), 2);
    // Generation 2 (joined, then emptied) is kept: the next rebalance is generation 3.
    let mut req = request("", None, 3);
    req.group_id = "consumers".into();
    let answer = c.join_group(req);
    c.expire(Now::current());
    assert_eq!(answer.blocking_recv_ok().generation_id, 3);
}

#[test]
fn deleting_a_topic_or_a_group_drops_offsets_durably() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    c.commit_offsets(
        &commit_request("a", -1, ""),
        vec![offset("t", 0, 1), offset("u", 0, 2)],
    );
    c.commit_offsets(&commit_request("b", -1, ""), vec![offset("t", 0, 3)]);
    c.on_topic_deleted("t");
    assert_eq!(
        c.delete_groups(&["b".into(), "b".into(), "nope".into()]),
        vec![
            ("b".into(), NONE),
            ("nope".into(), code(ResponseError::GroupIdNotFound))
        ]
    );
    drop(c);
    let c = coordinator(dir.path());
    let fetched = c.fetch_offsets("a", None).unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].0, "u");
    assert!(c.describe_group("b").unwrap().is_none());
}

#[test]
fn a_snapshot_taken_at_shutdown_is_loaded_with_later_journal_records() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    c.commit_offsets(&commit_request("a", -1, ""), vec![offset("t", 0, 1)]);
    c.shutdown();
    assert_eq!(
        c.commit_offsets(&commit_request("a", -1, ""), vec![offset("t", 0, 9)]),
        vec![code(ResponseError::CoordinatorNotAvailable)]
    );
    drop(c);
    let c = coordinator(dir.path());
    c.commit_offsets(&commit_request("a", -1, ""), vec![offset("t", 1, 2)]);
    drop(c);
    let c = coordinator(dir.path());
    let fetched = c.fetch_offsets("a", None).unwrap();
    let values: Vec<i64> = fetched[0]
        .1
        .iter()
        .map(|(_, o)| o.as_ref().unwrap().offset)
        .collect();
    assert_eq!(values, vec![1, 2]);
}

#[test]
fn retention_expires_offsets_then_deletes_the_empty_group() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    c.commit_offsets(&commit_request("a", -1, ""), vec![offset("t", 0, 1)]);
    let now_ms = chrono::Utc::now().timestamp_millis();
    c.expire_offsets(now_ms);
    assert!(c.describe_group("a").unwrap().is_some());
    c.expire_offsets(now_ms + c.config().offsets_retention_ms + 1000);
    assert!(c.describe_group("a").unwrap().is_none());
    assert!(c.fetch_offsets("a", None).unwrap().is_empty());
}

/// Test helper: the answer of a request that must already be complete.
trait ReadyAnswer<T> {
    fn blocking_recv_ok(self) -> T;
}

impl<T> ReadyAnswer<T> for Receiver<T> {
    fn blocking_recv_ok(mut self) -> T {
        ready(&mut self).expect("answered")
    }
}

#[test]
fn coordinator_settings_come_from_server_properties() {
    let props: std::collections::BTreeMap<String, String> = [
        ("log.dirs", "/tmp/unused"),
        ("group.min.session.timeout.ms", "100"),
        ("group.max.session.timeout.ms", "60000"),
        ("group.initial.rebalance.delay.ms", "0"),
        ("group.max.size", "5"),
        ("offset.metadata.max.bytes", "10"),
        ("offsets.retention.minutes", "2"),
        ("offsets.retention.check.interval.ms", "1000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (config, warnings) = BrokerConfig::from_properties(&props).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let c = super::CoordinatorConfig::from_broker(&config);
    assert_eq!(
        (c.min_session_timeout_ms, c.max_session_timeout_ms),
        (100, 60_000)
    );
    assert_eq!(
        (c.group.initial_rebalance_delay_ms, c.group.max_size),
        (0, 5)
    );
    assert_eq!(c.offset_metadata_max_bytes, 10);
    assert_eq!(c.offsets_retention_ms, 120_000);
    assert_eq!(c.offsets_retention_check_interval_ms, 1000);
    let defaults = super::CoordinatorConfig::from_broker(&BrokerConfig::with_log_dir("/tmp/x"));
    assert_eq!(
        (
            defaults.min_session_timeout_ms,
            defaults.max_session_timeout_ms
        ),
        (6000, 1_800_000)
    );
    assert_eq!(defaults.offsets_retention_ms, 7 * 24 * 60 * 60 * 1000);
    let mut bad = props.clone();
    bad.insert("group.max.size".into(), "0".into());
    assert!(BrokerConfig::from_properties(&bad).is_err());
}
