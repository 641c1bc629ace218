//! The cooperative-sticky contract: disjoint and (once nobody owns a moving partition) complete
//! assignments, balance among equal subscriptions, stickiness, withholding of moving
//! partitions for one generation, and the handling of stale or conflicting ownership claims.

use std::collections::{BTreeMap, BTreeSet};

use super::super::{Assignor, MemberAssignment, MemberSubscription};
use super::OwnedPartitions;

type Partition = (String, i32);

fn member(id: &str, topics: &[&str]) -> MemberSubscription {
    MemberSubscription {
        member_id: id.to_string(),
        group_instance_id: None,
        topics: topics.iter().map(|t| t.to_string()).collect(),
    }
}

fn counts(entries: &[(&str, i32)]) -> BTreeMap<String, i32> {
    entries.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn flat(assignment: &MemberAssignment) -> BTreeSet<Partition> {
    assignment
        .iter()
        .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
        .collect()
}

fn owned_from(
    result: &BTreeMap<String, MemberAssignment>,
    generation_id: i32,
) -> BTreeMap<String, OwnedPartitions> {
    result
        .iter()
        .map(|(m, a)| {
            (
                m.clone(),
                OwnedPartitions {
                    generation_id,
                    partitions: flat(a).into_iter().collect(),
                },
            )
        })
        .collect()
}

fn assign(
    topics: &BTreeMap<String, i32>,
    members: &[MemberSubscription],
    owned: &BTreeMap<String, OwnedPartitions>,
) -> BTreeMap<String, MemberAssignment> {
    let result = Assignor::CooperativeSticky.assign_owned(topics, members, owned);
    assert_disjoint(&result);
    result
}

fn assert_disjoint(result: &BTreeMap<String, MemberAssignment>) {
    let mut seen = BTreeSet::new();
    for (m, a) in result {
        for p in flat(a) {
            assert!(
                seen.insert(p.clone()),
                "{p:?} assigned twice (again to {m}): {result:?}"
            );
        }
    }
}

fn all_partitions(topics: &BTreeMap<String, i32>) -> BTreeSet<Partition> {
    topics
        .iter()
        .flat_map(|(t, &n)| (0..n).map(move |p| (t.clone(), p)))
        .collect()
}

/// Rebalances as a cooperative group does (each round the members report what they got) until
/// an assignment hands every partition out; returns it and the number of rounds.
fn settle(
    topics: &BTreeMap<String, i32>,
    members: &[MemberSubscription],
    mut owned: BTreeMap<String, OwnedPartitions>,
    mut generation_id: i32,
) -> (BTreeMap<String, MemberAssignment>, usize) {
    let all = all_partitions(topics);
    for round in 1..=3 {
        let result = assign(topics, members, &owned);
        // A member never gets a partition another member still owned going in (members revoke
        // partitions of topics they unsubscribed before they join, so those claims are void).
        let subscribes = |id: &str, topic: &str| {
            members
                .iter()
                .any(|m| m.member_id == id && m.topics.contains(topic))
        };
        for (m, a) in &result {
            for p in flat(a) {
                let held_elsewhere = owned.iter().any(|(o, claims)| {
                    o != m && claims.partitions.contains(&p) && subscribes(o, &p.0)
                });
                assert!(
                    !held_elsewhere,
                    "{m} got {p:?} still owned by another: {owned:?}"
                );
            }
        }
        let assigned: BTreeSet<Partition> = result.values().flat_map(flat).collect();
        generation_id += 1;
        if assigned == all {
            return (result, round);
        }
        owned = owned_from(&result, generation_id);
    }
    panic!("no complete assignment within 3 rounds");
}

fn sizes(result: &BTreeMap<String, MemberAssignment>) -> Vec<usize> {
    result.values().map(|a| flat(a).len()).collect()
}

fn balanced(result: &BTreeMap<String, MemberAssignment>) -> bool {
    let s = sizes(result);
    s.iter().max().unwrap_or(&0) - s.iter().min().unwrap_or(&0) <= 1
}

#[test]
fn a_fresh_group_gets_a_balanced_complete_assignment_at_once() {
    let topics = counts(&[("t", 5), ("u", 3)]);
    let members = [
        member("c1", &["t", "u"]),
        member("c2", &["t", "u"]),
        member("c3", &["t", "u"]),
    ];
    let (result, rounds) = settle(&topics, &members, BTreeMap::new(), 0);
    assert_eq!(rounds, 1);
    assert!(balanced(&result), "{result:?}");
}

#[test]
fn a_new_member_takes_only_what_balance_needs_in_two_rounds() {
    let topics = counts(&[("t", 6)]);
    let two = [member("c1", &["t"]), member("c2", &["t"])];
    let (before, _) = settle(&topics, &two, BTreeMap::new(), 0);
    let owned = owned_from(&before, 1);
    let three = [
        member("c1", &["t"]),
        member("c2", &["t"]),
        member("c3", &["t"]),
    ];

    // Round one: the old members keep 2 each of their own, the 2 that move are withheld.
    let first = assign(&topics, &three, &owned);
    for old in ["c1", "c2"] {
        let kept = flat(&first[old]);
        assert_eq!(kept.len(), 2, "{first:?}");
        assert!(
            kept.is_subset(&flat(&before[old])),
            "{old} must keep its own: {first:?}"
        );
    }
    assert!(
        flat(&first["c3"]).is_empty(),
        "moving partitions are withheld: {first:?}"
    );

    // Round two: the new member gets exactly the two revoked ones; nothing else moves.
    let second = assign(&topics, &three, &owned_from(&first, 2));
    for old in ["c1", "c2"] {
        assert_eq!(flat(&second[old]), flat(&first[old]));
    }
    assert_eq!(flat(&second["c3"]).len(), 2, "{second:?}");
    let everything: BTreeSet<Partition> = second.values().flat_map(flat).collect();
    assert_eq!(everything, all_partitions(&topics));
}

#[test]
fn a_leaving_member_s_partitions_are_spread_without_moving_others() {
    let topics = counts(&[("t", 7)]);
    let three = [
        member("c1", &["t"]),
        member("c2", &["t"]),
        member("c3", &["t"]),
    ];
    let (before, _) = settle(&topics, &three, BTreeMap::new(), 0);
    let mut owned = owned_from(&before, 1);
    owned.remove("c2");
    let two = [member("c1", &["t"]), member("c3", &["t"])];
    let (after, rounds) = settle(&topics, &two, owned, 1);
    assert_eq!(
        rounds, 1,
        "nobody owned c2's partitions: no revocation round"
    );
    assert!(balanced(&after), "{after:?}");
    for kept in ["c1", "c3"] {
        assert!(
            flat(&before[kept]).is_subset(&flat(&after[kept])),
            "{after:?}"
        );
    }
}

#[test]
fn claims_from_an_older_generation_lose_and_equal_claims_are_withheld() {
    let topics = counts(&[("t", 2)]);
    let members = [member("c1", &["t"]), member("c2", &["t"])];
    let claim = |generation_id, partitions: &[i32]| OwnedPartitions {
        generation_id,
        partitions: partitions.iter().map(|p| ("t".to_string(), *p)).collect(),
    };
    // c1's claim on t-0 is stale (generation 3 < 5): c2 keeps it.
    let owned = BTreeMap::from([
        ("c1".to_string(), claim(3, &[0, 1])),
        ("c2".to_string(), claim(5, &[0])),
    ]);
    let result = assign(&topics, &members, &owned);
    assert_eq!(
        flat(&result["c2"]),
        flat(&BTreeMap::from([("t".into(), vec![0])]))
    );
    assert_eq!(
        flat(&result["c1"]),
        flat(&BTreeMap::from([("t".into(), vec![1])]))
    );

    // Both claim t-0 in the same generation: nobody gets it until both revoked it.
    let owned = BTreeMap::from([
        ("c1".to_string(), claim(5, &[0, 1])),
        ("c2".to_string(), claim(5, &[0])),
    ]);
    let result = assign(&topics, &members, &owned);
    let handed: BTreeSet<Partition> = result.values().flat_map(flat).collect();
    assert!(!handed.contains(&("t".to_string(), 0)), "{result:?}");
}

#[test]
fn claims_on_unsubscribed_topics_or_missing_partitions_are_ignored() {
    let topics = counts(&[("t", 2), ("u", 2)]);
    let members = [member("c1", &["t"]), member("c2", &["t", "u"])];
    let owned = BTreeMap::from([(
        "c1".to_string(),
        OwnedPartitions {
            generation_id: 1,
            partitions: vec![("u".into(), 0), ("t".into(), 9), ("t".into(), 0)],
        },
    )]);
    let (result, _) = settle(&topics, &members, owned, 1);
    assert!(
        flat(&result["c1"]).iter().all(|(t, _)| t == "t"),
        "{result:?}"
    );
    assert!(
        flat(&result["c1"]).contains(&("t".to_string(), 0)),
        "sticky: {result:?}"
    );
}

#[test]
fn unequal_subscriptions_are_assigned_completely_to_subscribers_only() {
    let topics = counts(&[("t", 4), ("u", 4)]);
    let members = [
        member("c1", &["t"]),
        member("c2", &["t", "u"]),
        member("c3", &["u"]),
    ];
    let (result, rounds) = settle(&topics, &members, BTreeMap::new(), 0);
    assert_eq!(rounds, 1);
    assert!(flat(&result["c1"]).iter().all(|(t, _)| t == "t"));
    assert!(flat(&result["c3"]).iter().all(|(t, _)| t == "u"));
    assert!(balanced(&result), "{result:?}");
}

/// Membership changes one after another (joins and leaves over three topics), each settled
/// cooperatively: always disjoint, complete within two rounds, balanced, and sticky (a member
/// that stays loses at most what balance takes from it).
#[test]
fn a_sequence_of_joins_and_leaves_stays_balanced_sticky_and_disjoint() {
    let topics = counts(&[("a", 5), ("b", 3), ("c", 8)]);
    let every = ["a", "b", "c"];
    let steps: [&[&str]; 7] = [
        &["m1"],
        &["m1", "m2"],
        &["m1", "m2", "m3"],
        &["m1", "m3"],
        &["m1", "m3", "m4", "m5"],
        &["m3", "m4", "m5"],
        &["m3", "m4", "m5", "m6", "m7", "m8"],
    ];
    let mut owned: BTreeMap<String, OwnedPartitions> = BTreeMap::new();
    let mut generation_id = 0;
    for ids in steps {
        let members: Vec<MemberSubscription> = ids.iter().map(|id| member(id, &every)).collect();
        owned.retain(|m, _| ids.contains(&m.as_str()));
        let before = owned.clone();
        let (result, rounds) = settle(&topics, &members, owned, generation_id);
        assert!(rounds <= 2, "{ids:?}: {rounds} rounds");
        assert!(balanced(&result), "{ids:?}: {result:?}");
        let total: usize = sizes(&result).iter().sum();
        let floor = total / ids.len();
        for (m, claims) in &before {
            let kept = claims
                .partitions
                .iter()
                .filter(|p| flat(&result[m]).contains(*p))
                .count();
            assert!(
                kept >= claims.partitions.len().min(floor),
                "{ids:?}: {m} kept {kept} of {:?}: {result:?}",
                claims.partitions
            );
        }
        generation_id += rounds as i32;
        owned = owned_from(&result, generation_id);
    }
}
