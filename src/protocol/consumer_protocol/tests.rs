//! Round trips through Kafka's own message schema (kafka-protocol's generated
//! ConsumerProtocolSubscription / ConsumerProtocolAssignment, built from Apache's JSON), so what we
//! write is what Java reads and the other way round, plus hostile inputs.

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment as generated_assignment;
use kafka_protocol::messages::consumer_protocol_subscription as generated_subscription;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::*;

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

/// Bytes as Java's `ConsumerProtocol.serializeSubscription` writes them: version, then the body.
fn java_subscription(message: &ConsumerProtocolSubscription, version: i16) -> Vec<u8> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    message.encode(&mut buf, version).expect("encode");
    buf.to_vec()
}

fn java_assignment(message: &ConsumerProtocolAssignment, version: i16) -> Vec<u8> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    message.encode(&mut buf, version).expect("encode");
    buf.to_vec()
}

fn sample_subscription(version: i16) -> Subscription {
    Subscription {
        version,
        topics: vec!["orders".into(), "payments".into()],
        user_data: Some(vec![1, 2, 3]),
        owned_partitions: if version >= 1 {
            BTreeMap::from([("orders".to_string(), vec![2, 0])])
        } else {
            BTreeMap::new()
        },
        generation_id: if version >= 2 { 7 } else { NO_GENERATION },
        rack_id: if version >= 3 {
            Some("rack-a".into())
        } else {
            None
        },
    }
}

#[test]
fn subscription_bytes_match_the_kafka_schema_at_every_version() {
    for version in 0..=LATEST_VERSION {
        let ours = sample_subscription(version);
        let mut theirs = ConsumerProtocolSubscription::default()
            .with_topics(vec![s("orders"), s("payments")])
            .with_user_data(Some(bytes::Bytes::from_static(&[1, 2, 3])));
        if version >= 1 {
            theirs = theirs.with_owned_partitions(vec![
                generated_subscription::TopicPartition::default()
                    .with_topic(TopicName(s("orders")))
                    .with_partitions(vec![2, 0]),
            ]);
        }
        if version >= 2 {
            theirs = theirs.with_generation_id(7);
        }
        if version >= 3 {
            theirs = theirs.with_rack_id(Some(s("rack-a")));
        }
        let java = java_subscription(&theirs, version);
        assert_eq!(ours.encode(), java, "v{version}");
        assert_eq!(Subscription::decode(&java).unwrap(), ours, "v{version}");
        // And the schema reads ours back.
        let mut body = bytes::Bytes::from(ours.encode()).slice(2..);
        let read = ConsumerProtocolSubscription::decode(&mut body, version).unwrap();
        assert_eq!(read, theirs, "v{version}");
    }
}

#[test]
fn assignment_bytes_match_the_kafka_schema_at_every_version() {
    for version in 0..=LATEST_VERSION {
        let ours = Assignment {
            version,
            partitions: BTreeMap::from([("a".to_string(), vec![0, 3]), ("b".to_string(), vec![1])]),
            user_data: None,
        };
        let theirs = ConsumerProtocolAssignment::default().with_assigned_partitions(vec![
            generated_assignment::TopicPartition::default()
                .with_topic(TopicName(s("a")))
                .with_partitions(vec![0, 3]),
            generated_assignment::TopicPartition::default()
                .with_topic(TopicName(s("b")))
                .with_partitions(vec![1]),
        ]);
        let java = java_assignment(&theirs, version);
        assert_eq!(ours.encode(), java, "v{version}");
        assert_eq!(Assignment::decode(&java).unwrap(), ours, "v{version}");
        assert_eq!(
            ours.topic_partitions(),
            vec![("a".into(), 0), ("a".into(), 3), ("b".into(), 1)]
        );
    }
}

#[test]
fn newer_versions_are_read_as_the_latest_and_short_old_ones_are_accepted() {
    // A hypothetical v4 appends a field after the rack: read as v3, the tail ignored.
    let mut v4 = sample_subscription(3).encode();
    v4[..2].copy_from_slice(&4i16.to_be_bytes());
    v4.extend_from_slice(&[0, 0, 0, 9]);
    let read = Subscription::decode(&v4).unwrap();
    assert_eq!(read.version, 4);
    assert_eq!(read.rack_id.as_deref(), Some("rack-a"));
    assert_eq!(read.generation_id, 7);
    // A "v1" that stops after user data (as some old clients wrote).
    let mut short = sample_subscription(0).encode();
    short[..2].copy_from_slice(&1i16.to_be_bytes());
    let read = Subscription::decode(&short).unwrap();
    assert_eq!(
        read.topics,
        vec!["orders".to_string(), "payments".to_string()]
    );
    assert!(read.owned_partitions.is_empty());
    // An empty assignment (member left out by the leader).
    assert_eq!(Assignment::decode(&[]).unwrap(), Assignment::default());
}

#[test]
fn hostile_bytes_are_errors_not_panics_or_huge_allocations() {
    let cases: &[&[u8]] = &[
        &[0],
        &[0xff, 0xff],
        &[0, 0, 0x7f, 0xff, 0xff, 0xff],
        &[0, 0, 0xff, 0xff, 0xff, 0xfe],
        &[0, 0, 0, 0, 0, 1, 0, 5, b'a'],
        &[0, 0, 0, 0, 0, 1, 0xff, 0xff],
        &[0, 0, 0, 0, 0, 1, 0, 1, 0xc3],
    ];
    for case in cases {
        assert!(Subscription::decode(case).is_err(), "{case:?}");
        assert!(Assignment::decode(case).is_err(), "{case:?}");
    }
    // A topic claiming 2^31-1 partitions in 8 bytes.
    let forged = [
        0, 0, 0, 0, 0, 1, 0, 1, b't', 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0,
    ];
    assert!(Assignment::decode(&forged).is_err());
}
