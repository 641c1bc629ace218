use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::{BrokerId, CreatePartitionsRequest};

use super::{create, new_topic, partition_count, topic_name};
use crate::common::{RawClient, TestBroker};

fn grow(name: &str, count: i32, assignments: Option<&[&[i32]]>) -> CreatePartitionsTopic {
    CreatePartitionsTopic::default()
        .with_name(topic_name(name))
        .with_count(count)
        .with_assignments(assignments.map(|a| {
            a.iter()
                .map(|ids| {
                    CreatePartitionsAssignment::default()
                        .with_broker_ids(ids.iter().map(|i| BrokerId(*i)).collect())
                })
                .collect()
        }))
}

async fn send(
    client: &mut RawClient,
    version: i16,
    topics: Vec<CreatePartitionsTopic>,
    validate_only: bool,
) -> Vec<(String, i16, Option<String>)> {
    let request = CreatePartitionsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(30_000)
        .with_validate_only(validate_only);
    client
        .send(request, version)
        .await
        .results
        .iter()
        .map(|r| {
            (
                r.name.to_string(),
                r.error_code,
                r.error_message.as_ref().map(|m| m.to_string()),
            )
        })
        .collect()
}

#[tokio::test]
async fn grows_topics_at_every_version() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("grow", &[])).await;
    let mut expected = 1;
    for version in 0..=3 {
        expected += 1;
        let results = send(
            &mut client,
            version,
            vec![grow("grow", expected, None)],
            false,
        )
        .await;
        assert_eq!(results, vec![("grow".to_string(), 0, None)], "v{version}");
        assert_eq!(
            partition_count(&mut client, "grow").await,
            Some(expected as usize)
        );
    }
    let results = send(
        &mut client,
        3,
        vec![grow("grow", 7, Some(&[&[1], &[1]]))],
        false,
    )
    .await;
    assert_eq!(results[0].1, 0);
    assert_eq!(partition_count(&mut client, "grow").await, Some(7));
    assert!(broker.path().join("grow-6").is_dir());
}

#[tokio::test]
async fn validate_only_changes_nothing() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("dry", &[])).await;
    let results = send(&mut client, 3, vec![grow("dry", 4, None)], true).await;
    assert_eq!(results, vec![("dry".to_string(), 0, None)]);
    assert_eq!(partition_count(&mut client, "dry").await, Some(1));
}

#[tokio::test]
async fn every_error_of_section_6_4() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("three", &[])).await;
    assert_eq!(
        send(&mut client, 3, vec![grow("three", 3, None)], false).await[0].1,
        0
    );

    let cases: Vec<(CreatePartitionsTopic, i16, Option<&str>)> = vec![
        // Kafka sends no message for an unknown topic.
        (grow("missing", 2, None), 3, None),
        (grow("three", 3, None), 37, Some("Topic already has 3 partition(s).")),
        (
            grow("three", 2, None),
            37,
            Some("The topic three currently has 3 partition(s); 2 would not be an increase."),
        ),
        (
            grow("three", 5, Some(&[&[1]])),
            39,
            Some("Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."),
        ),
        (
            grow("three", 4, Some(&[&[2]])),
            39,
            Some("The manual partition assignment includes broker 2, but no such broker is registered."),
        ),
        (
            grow("three", 4, Some(&[&[]])),
            39,
            Some("The manual partition assignment includes an empty replica list."),
        ),
    ];
    for (topic, code, message) in cases {
        let name = topic.name.to_string();
        let results = send(&mut client, 3, vec![topic], false).await;
        assert_eq!(
            results,
            vec![(name.clone(), code, message.map(str::to_string))],
            "{name}"
        );
    }
    assert_eq!(partition_count(&mut client, "three").await, Some(3));
}

#[tokio::test]
async fn duplicates_are_answered_first() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("solo", &[])).await;
    create(&mut client, new_topic("pair", &[])).await;
    let results = send(
        &mut client,
        3,
        vec![
            grow("solo", 2, None),
            grow("pair", 2, None),
            grow("pair", 3, None),
        ],
        false,
    )
    .await;
    assert_eq!(
        results,
        vec![
            (
                "pair".to_string(),
                42,
                Some("Duplicate topic name.".to_string())
            ),
            ("solo".to_string(), 0, None),
        ]
    );
    assert_eq!(partition_count(&mut client, "pair").await, Some(1));
}
