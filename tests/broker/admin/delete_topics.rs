use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::DeleteTopicsRequest;
use uuid::Uuid;

use super::{create, new_topic, partition_count, topic_name};
use crate::common::{RawClient, TestBroker};

async fn delete_v6(
    client: &mut RawClient,
    topics: Vec<(Option<&str>, Uuid)>,
) -> Vec<DeletableTopicResult> {
    let request = DeleteTopicsRequest::default()
        .with_topics(
            topics
                .into_iter()
                .map(|(name, id)| {
                    DeleteTopicState::default()
                        .with_name(name.map(topic_name))
                        .with_topic_id(id)
                })
                .collect(),
        )
        .with_timeout_ms(30_000);
    client.send(request, 6).await.responses
}

async fn delete_by_name(
    client: &mut RawClient,
    version: i16,
    names: &[&str],
) -> Vec<DeletableTopicResult> {
    let request = DeleteTopicsRequest::default()
        .with_topic_names(names.iter().map(|n| topic_name(n)).collect())
        .with_timeout_ms(30_000);
    client.send(request, version).await.responses
}

type Summary = (Option<String>, Uuid, i16, Option<String>);

fn summary(results: &[DeletableTopicResult]) -> Vec<Summary> {
    let mut rows: Vec<Summary> = results
        .iter()
        .map(|r| {
            (
                r.name.as_ref().map(|n| n.to_string()),
                r.topic_id,
                r.error_code,
                r.error_message.as_ref().map(|m| m.to_string()),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn v6_deletes_by_id_and_by_name() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let by_id = create(&mut client, new_topic("by-id", &[])).await.topic_id;
    let by_name = create(&mut client, new_topic("by-name", &[]))
        .await
        .topic_id;
    let results = delete_v6(
        &mut client,
        vec![(None, by_id), (Some("by-name"), Uuid::nil())],
    )
    .await;
    assert_eq!(
        summary(&results),
        vec![
            (Some("by-id".into()), by_id, 0, None),
            (Some("by-name".into()), by_name, 0, None),
        ]
    );
    assert_eq!(partition_count(&mut client, "by-id").await, None);
    assert!(broker.state.topic("by-name").is_none());
    assert!(!broker.path().join("by-id-0").exists());
}

#[tokio::test]
async fn v6_errors() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let kept = create(&mut client, new_topic("kept", &[])).await.topic_id;
    let twice = create(&mut client, new_topic("twice", &[])).await.topic_id;
    let unknown = Uuid::new_v4();
    let dup_id = Uuid::new_v4();
    let results = delete_v6(
        &mut client,
        vec![
            (None, Uuid::nil()),
            (Some("kept"), kept),
            (Some("dup"), Uuid::nil()),
            (Some("dup"), Uuid::nil()),
            (None, dup_id),
            (None, dup_id),
            (None, unknown),
            (Some("missing"), Uuid::nil()),
            (None, twice),
            (Some("twice"), Uuid::nil()),
        ],
    )
    .await;
    let invalid = |m: &str| Some(m.to_string());
    let mut expected = vec![
        (
            None,
            Uuid::nil(),
            42,
            invalid("Neither topic name nor id were specified."),
        ),
        (
            Some("kept".into()),
            kept,
            42,
            invalid("You may not specify both topic name and topic id."),
        ),
        (
            Some("dup".into()),
            Uuid::nil(),
            42,
            invalid("Duplicate topic name."),
        ),
        (None, dup_id, 42, invalid("Duplicate topic id.")),
        (
            None,
            unknown,
            100,
            invalid("This server does not host this topic ID."),
        ),
        (
            Some("missing".into()),
            Uuid::nil(),
            3,
            invalid("This server does not host this topic-partition."),
        ),
        (
            Some("twice".into()),
            twice,
            42,
            invalid("The provided topic name maps to an ID that was already supplied."),
        ),
    ];
    expected.sort();
    assert_eq!(summary(&results), expected);
    assert!(broker.state.topic("kept").is_some());
    assert!(broker.state.topic("twice").is_some());
}

#[tokio::test]
async fn older_versions_delete_by_name() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    for version in 1..=5 {
        let name = format!("old-{version}");
        create(&mut client, new_topic(&name, &[])).await;
        let results = delete_by_name(&mut client, version, &[&name, "nope"]).await;
        let nope = results
            .iter()
            .find(|r| r.name.as_ref().map(|n| n.as_str()) == Some("nope"))
            .expect("nope");
        assert_eq!(nope.error_code, 3, "v{version}");
        // error_message exists from v5 on.
        assert_eq!(
            nope.error_message.as_deref(),
            (version >= 5).then_some("This server does not host this topic-partition."),
            "v{version}"
        );
        let deleted = results
            .iter()
            .find(|r| r.name.as_ref().map(|n| n.as_str()) == Some(name.as_str()))
            .expect("deleted");
        assert_eq!(deleted.error_code, 0, "v{version}");
        assert!(broker.state.topic(&name).is_none());
    }
}

#[tokio::test]
async fn disabled_deletion_refuses_everything() {
    let broker = TestBroker::start_with(|c| c.delete_topic_enable = false).await;
    let mut client = broker.connect().await;
    let id = create(&mut client, new_topic("stays", &[])).await.topic_id;
    let v6 = delete_v6(&mut client, vec![(Some("stays"), Uuid::nil())]).await;
    assert_eq!(
        summary(&v6),
        vec![(Some("stays".into()), Uuid::nil(), 73, None)]
    );
    let v2 = delete_by_name(&mut client, 2, &["stays"]).await;
    assert_eq!(v2[0].error_code, 42);
    assert_eq!(broker.state.topic("stays").map(|t| t.id), Some(id));
}
