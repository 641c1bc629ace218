//! Cases from Apache Kafka's `RangeAssignorTest` and `RoundRobinAssignorTest`, with the
//! assignments Java computes for them.

use super::*;

fn member(id: &str, instance: Option<&str>, topics: &[&str]) -> MemberSubscription {
    MemberSubscription {
        member_id: id.to_string(),
        group_instance_id: instance.map(str::to_string),
        topics: topics.iter().map(|t| t.to_string()).collect(),
    }
}

fn counts(entries: &[(&str, i32)]) -> BTreeMap<String, i32> {
    entries.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

/// The assignment of `id` as `topic-partition` strings, topics in name order.
fn flat(result: &BTreeMap<String, MemberAssignment>, id: &str) -> Vec<String> {
    result[id]
        .iter()
        .flat_map(|(t, ps)| ps.iter().map(move |p| format!("{t}-{p}")))
        .collect()
}

#[test]
fn range_two_consumers_one_topic_three_partitions() {
    let members = [
        member("consumer1", None, &["t"]),
        member("consumer2", None, &["t"]),
    ];
    let result = Assignor::Range.assign(&counts(&[("t", 3)]), &members);
    assert_eq!(flat(&result, "consumer1"), ["t-0", "t-1"]);
    assert_eq!(flat(&result, "consumer2"), ["t-2"]);
}

#[test]
fn range_multiple_consumers_mixed_topics() {
    let members = [
        member("consumer1", None, &["topic1"]),
        member("consumer2", None, &["topic1", "topic2"]),
        member("consumer3", None, &["topic1"]),
    ];
    let result = Assignor::Range.assign(&counts(&[("topic1", 3), ("topic2", 2)]), &members);
    assert_eq!(flat(&result, "consumer1"), ["topic1-0"]);
    assert_eq!(
        flat(&result, "consumer2"),
        ["topic1-1", "topic2-0", "topic2-1"]
    );
    assert_eq!(flat(&result, "consumer3"), ["topic1-2"]);
}

#[test]
fn range_two_consumers_two_topics_six_partitions() {
    let members = [
        member("consumer1", None, &["topic1", "topic2"]),
        member("consumer2", None, &["topic1", "topic2"]),
    ];
    let result = Assignor::Range.assign(&counts(&[("topic1", 3), ("topic2", 3)]), &members);
    assert_eq!(
        flat(&result, "consumer1"),
        ["topic1-0", "topic1-1", "topic2-0", "topic2-1"]
    );
    assert_eq!(flat(&result, "consumer2"), ["topic1-2", "topic2-2"]);
}

#[test]
fn range_more_consumers_than_partitions_and_unknown_topics() {
    let members = [
        member("c1", None, &["t", "missing"]),
        member("c2", None, &["t"]),
        member("c3", None, &["t"]),
    ];
    let result = Assignor::Range.assign(&counts(&[("t", 2)]), &members);
    assert_eq!(flat(&result, "c1"), ["t-0"]);
    assert_eq!(flat(&result, "c2"), ["t-1"]);
    assert!(result["c3"].is_empty());
}

#[test]
fn static_members_sort_first_by_instance_id() {
    // Java's MemberInfo order: static members by instance id, then dynamic ones by member id.
    let members = [
        member("a-dynamic", None, &["t"]),
        member("z-member", Some("instance-1"), &["t"]),
        member("b-member", Some("instance-2"), &["t"]),
    ];
    let range = Assignor::Range.assign(&counts(&[("t", 3)]), &members);
    assert_eq!(flat(&range, "z-member"), ["t-0"]);
    assert_eq!(flat(&range, "b-member"), ["t-1"]);
    assert_eq!(flat(&range, "a-dynamic"), ["t-2"]);
    let round_robin = Assignor::RoundRobin.assign(&counts(&[("t", 4)]), &members);
    assert_eq!(flat(&round_robin, "z-member"), ["t-0", "t-3"]);
    assert_eq!(flat(&round_robin, "b-member"), ["t-1"]);
    assert_eq!(flat(&round_robin, "a-dynamic"), ["t-2"]);
}

#[test]
fn round_robin_multiple_consumers_mixed_topics() {
    let members = [
        member("consumer1", None, &["topic1"]),
        member("consumer2", None, &["topic1", "topic2"]),
        member("consumer3", None, &["topic1"]),
    ];
    let result = Assignor::RoundRobin.assign(&counts(&[("topic1", 3), ("topic2", 2)]), &members);
    assert_eq!(flat(&result, "consumer1"), ["topic1-0"]);
    assert_eq!(
        flat(&result, "consumer2"),
        ["topic1-1", "topic2-0", "topic2-1"]
    );
    assert_eq!(flat(&result, "consumer3"), ["topic1-2"]);
}

#[test]
fn round_robin_two_consumers_two_topics_six_partitions() {
    let members = [
        member("consumer1", None, &["topic1", "topic2"]),
        member("consumer2", None, &["topic1", "topic2"]),
    ];
    let result = Assignor::RoundRobin.assign(&counts(&[("topic1", 3), ("topic2", 3)]), &members);
    assert_eq!(
        flat(&result, "consumer1"),
        ["topic1-0", "topic1-2", "topic2-1"]
    );
    assert_eq!(
        flat(&result, "consumer2"),
        ["topic1-1", "topic2-0", "topic2-2"]
    );
}

#[test]
fn every_partition_once_whatever_the_shape() {
    let topics = counts(&[("a", 7), ("b", 1), ("c", 4)]);
    let members = [
        member("m3", None, &["a", "c"]),
        member("m1", None, &["a", "b", "c"]),
        member("m2", Some("s"), &["b"]),
        member("m4", None, &["c"]),
    ];
    for assignor in [Assignor::Range, Assignor::RoundRobin] {
        let result = assignor.assign(&topics, &members);
        let mut seen: Vec<String> = result.keys().flat_map(|m| flat(&result, m)).collect();
        seen.sort();
        let mut expected: Vec<String> = topics
            .iter()
            .flat_map(|(t, n)| (0..*n).map(move |p| format!("{t}-{p}")))
            .collect();
        expected.sort();
        assert_eq!(seen, expected, "{assignor:?}");
        for (id, assigned) in &result {
            let subscribed = &members.iter().find(|m| &m.member_id == id).unwrap().topics;
            assert!(
                assigned.keys().all(|t| subscribed.contains(t)),
                "{assignor:?} {id}"
            );
        }
    }
}

#[test]
fn java_string_order_differs_from_bytes_above_the_bmp() {
    // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D) but before it in UTF-8.
    assert_eq!(java_string_cmp("\u{ff61}", "\u{1f600}"), Ordering::Greater);
    assert_eq!("\u{ff61}".cmp("\u{1f600}"), Ordering::Less);
    assert_eq!(java_string_cmp("a", "b"), Ordering::Less);
}

#[test]
fn strategy_names_and_java_class_names() {
    assert_eq!(
        Assignor::parse_list("org.apache.kafka.clients.consumer.RoundRobinAssignor, range")
            .unwrap(),
        vec![Assignor::RoundRobin, Assignor::Range]
    );
    assert_eq!(
        Assignor::parse_list(
            "cooperative-sticky,org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
        )
        .unwrap(),
        vec![Assignor::CooperativeSticky, Assignor::CooperativeSticky]
    );
    assert_eq!(
        Assignor::by_name("cooperative-sticky"),
        Some(Assignor::CooperativeSticky)
    );
    assert!(Assignor::parse("sticky").is_err());
    assert!(Assignor::parse("bogus").is_err());
    assert!(Assignor::parse_list(" , ").is_err());
    assert_eq!(Assignor::by_name("range"), Some(Assignor::Range));
}
