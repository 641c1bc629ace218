//! The cooperative-sticky assignment (KIP-54 stickiness, KIP-429 cooperative rebalancing): a
//! balanced assignment that keeps every member's valid owned partitions where balance allows,
//! and then withholds partitions that change owner for one generation, so their old owner
//! revokes them (and rejoins) before anyone else fetches them.
//!
//! Owns the algorithm only (no I/O). It is not bit-for-bit Java's `AbstractStickyAssignor`
//! (whose heuristics differ in tie-breaking); it satisfies the same contract every member of a
//! mixed group relies on: no partition assigned twice, no partition that moves is handed out in
//! the generation in which its old owner still holds it, every partition assigned once nobody
//! owns it, and the counts of members with the same subscription differ by at most one.

use std::collections::{BTreeMap, BTreeSet};

use super::{member_order, MemberAssignment, MemberSubscription};

/// What a member said it owned in its subscription (ConsumerProtocol v1+ owned partitions, and
/// from v2 the generation they were owned in; [`crate::protocol::consumer_protocol::NO_GENERATION`]
/// when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedPartitions {
    pub generation_id: i32,
    pub partitions: Vec<(String, i32)>,
}

type Partition = (String, i32);

/// The cooperative-sticky assignment of `partitions_per_topic` (topic → count, topics with no
/// partitions left out) to `members`, given what each member owned. Every member gets an entry.
pub fn cooperative_sticky(
    partitions_per_topic: &BTreeMap<String, i32>,
    members: &[&MemberSubscription],
    owned: &BTreeMap<String, OwnedPartitions>,
) -> BTreeMap<String, MemberAssignment> {
    let mut sorted: Vec<&MemberSubscription> = members.to_vec();
    sorted.sort_by(|a, b| member_order(a, b));
    let subscribers = |p: &Partition| -> Vec<&str> {
        sorted
            .iter()
            .filter(|m| m.topics.contains(&p.0))
            .map(|m| m.member_id.as_str())
            .collect()
    };
    let all: BTreeSet<Partition> = partitions_per_topic
        .iter()
        .flat_map(|(t, &n)| (0..n.max(0)).map(move |p| (t.clone(), p)))
        .filter(|p| sorted.iter().any(|m| m.topics.contains(&p.0)))
        .collect();

    let (previous, contested) = previous_owners(&sorted, owned, &all);
    let mut current: BTreeMap<&str, BTreeSet<Partition>> = sorted
        .iter()
        .map(|m| (m.member_id.as_str(), BTreeSet::new()))
        .collect();
    for (p, owner) in &previous {
        if let Some(held) = current.get_mut(owner.as_str()) {
            held.insert(p.clone());
        }
    }
    // Partitions nobody validly owns go, in order, to the least loaded eligible member.
    for p in all.iter().filter(|p| !previous.contains_key(*p)) {
        if let Some(target) = least_loaded(&current, &subscribers(p)) {
            if let Some(held) = current.get_mut(target) {
                held.insert(p.clone());
            }
        }
    }
    balance(&mut current, &subscribers);

    // KIP-429: a partition whose owner changes is withheld this generation; its old owner
    // revokes it and rejoins, and the next assignment gives it to its new owner.
    let transferring: BTreeSet<Partition> = all
        .iter()
        .filter(|p| {
            contested.contains(*p)
                || previous
                    .get(*p)
                    .is_some_and(|owner| !current[owner.as_str()].contains(*p))
        })
        .cloned()
        .collect();
    sorted
        .iter()
        .map(|m| {
            let mut assignment = MemberAssignment::new();
            for (t, p) in &current[m.member_id.as_str()] {
                if !transferring.contains(&(t.clone(), *p)) {
                    assignment.entry(t.clone()).or_default().push(*p);
                }
            }
            (m.member_id.clone(), assignment)
        })
        .collect()
}

/// Who validly owns what: a claim counts if the partition exists, the member subscribes to its
/// topic, and no other member claims it from a newer generation. Claims from the same (newest)
/// generation by two members are contested: nobody keeps it, and both must revoke it.
fn previous_owners(
    sorted: &[&MemberSubscription],
    owned: &BTreeMap<String, OwnedPartitions>,
    all: &BTreeSet<Partition>,
) -> (BTreeMap<Partition, String>, BTreeSet<Partition>) {
    let mut best: BTreeMap<Partition, (i32, Vec<String>)> = BTreeMap::new();
    for member in sorted {
        let Some(claims) = owned.get(&member.member_id) else {
            continue;
        };
        for p in &claims.partitions {
            if !all.contains(p) || !member.topics.contains(&p.0) {
                continue;
            }
            let entry = best
                .entry(p.clone())
                .or_insert((claims.generation_id, Vec::new()));
            if claims.generation_id > entry.0 {
                *entry = (claims.generation_id, Vec::new());
            }
            if claims.generation_id == entry.0 && !entry.1.contains(&member.member_id) {
                entry.1.push(member.member_id.clone());
            }
        }
    }
    let mut previous = BTreeMap::new();
    let mut contested = BTreeSet::new();
    for (p, (_, claimants)) in best {
        match claimants.as_slice() {
            [only] => {
                previous.insert(p, only.clone());
            }
            _ => {
                contested.insert(p);
            }
        }
    }
    (previous, contested)
}

/// The eligible member holding the fewest partitions (member id order breaks ties).
fn least_loaded<'a>(
    current: &BTreeMap<&'a str, BTreeSet<Partition>>,
    eligible: &[&str],
) -> Option<&'a str> {
    let mut best: Option<(&'a str, usize)> = None;
    for (&member, held) in current {
        if !eligible.contains(&member) {
            continue;
        }
        if best.is_none_or(|(_, n)| held.len() < n) {
            best = Some((member, held.len()));
        }
    }
    best.map(|(m, _)| m)
}

/// Moves partitions from the most to the least loaded eligible members until no move makes
/// two members' counts closer: each move lowers the sum of squared counts, so this ends, and
/// members with equal subscriptions end within one partition of each other. The partitions
/// moved are the ones taken last (highest topic-partition) of the fullest member.
fn balance<'a>(
    current: &mut BTreeMap<&'a str, BTreeSet<Partition>>,
    subscribers: &dyn Fn(&Partition) -> Vec<&'a str>,
) {
    loop {
        let mut donors: Vec<(&'a str, usize)> =
            current.iter().map(|(m, h)| (*m, h.len())).collect();
        // Fullest first; member id order (the map's; the sort is stable) breaks ties.
        donors.sort_by_key(|d| std::cmp::Reverse(d.1));
        let mut moved = false;
        'search: for (donor, count) in donors {
            let held: Vec<Partition> = current[donor].iter().rev().cloned().collect();
            for p in held {
                let eligible = subscribers(&p);
                let Some(target) = least_loaded(current, &eligible) else {
                    continue;
                };
                if current[target].len() + 1 < count {
                    if let Some(from) = current.get_mut(donor) {
                        from.remove(&p);
                    }
                    if let Some(to) = current.get_mut(target) {
                        to.insert(p);
                    }
                    moved = true;
                    break 'search;
                }
            }
        }
        if !moved {
            return;
        }
    }
}

#[cfg(test)]
#[path = "sticky_tests.rs"]
mod tests;
