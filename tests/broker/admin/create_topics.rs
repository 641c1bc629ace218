use kafka_protocol::messages::create_topics_request::{CreatableReplicaAssignment, CreatableTopic};
use kafka_protocol::messages::BrokerId;

use super::{
    create, create_at, new_topic, non_default_configs, partition_count, topic_name, topic_overrides,
};
use crate::common::TestBroker;

fn error_of(
    result: &kafka_protocol::messages::create_topics_response::CreatableTopicResult,
) -> (i16, String) {
    (
        result.error_code,
        result
            .error_message
            .as_deref()
            .unwrap_or("<null>")
            .to_string(),
    )
}

#[tokio::test]
async fn v7_returns_the_topic_id_and_the_effective_configs() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let result = create(
        &mut client,
        new_topic(
            "orders",
            &[
                ("retention.ms", Some(" 1000 ")),
                ("cleanup.policy", Some("compact, delete")),
            ],
        ),
    )
    .await;
    assert!(!result.topic_id.is_nil());
    assert_eq!(
        broker.state.topic("orders").map(|t| t.id),
        Some(result.topic_id)
    );
    assert_eq!((result.num_partitions, result.replication_factor), (1, 1));
    assert_eq!(result.topic_config_error_code, 0);
    let configs = result.configs.expect("v5+ carries configs");
    assert_eq!(
        configs.len(),
        kafkit::protocol::topic::TOPIC_CONFIG_NAMES.len()
    );
    assert!(
        configs.windows(2).all(|w| w[0].name < w[1].name),
        "sorted by name"
    );
    let find = |name: &str| {
        configs
            .iter()
            .find(|c| c.name.as_str() == name)
            .expect(name)
    };
    // Overrides are echoed exactly as given, with DYNAMIC_TOPIC_CONFIG.
    assert_eq!(find("retention.ms").value.as_deref(), Some(" 1000 "));
    assert_eq!(find("retention.ms").config_source, 1);
    assert_eq!(
        find("cleanup.policy").value.as_deref(),
        Some("compact, delete")
    );
    assert_eq!(find("segment.bytes").value.as_deref(), Some("1073741824"));
    assert_eq!(find("segment.bytes").config_source, 5);
    assert!(configs.iter().all(|c| !c.read_only && !c.is_sensitive));

    // The overrides were stored and are reported parsed, as kafka-topics --describe shows them
    // (with Apache's cluster-level min.insync.replicas, and in Apache's order).
    assert_eq!(
        non_default_configs(&mut client, "orders").await,
        vec![
            ("min.insync.replicas".to_string(), "1".to_string()),
            ("cleanup.policy".to_string(), "compact,delete".to_string()),
            ("retention.ms".to_string(), "1000".to_string()),
        ]
    );
    assert_eq!(partition_count(&mut client, "orders").await, Some(1));
}

#[tokio::test]
async fn defaults_come_from_the_broker_and_every_version_answers() {
    let broker = TestBroker::start_with(|c| {
        c.num_partitions = 3;
        c.raw.insert("log.retention.hours".into(), "2".into());
    })
    .await;
    let mut client = broker.connect().await;
    let result = create(&mut client, new_topic("defaults", &[])).await;
    assert_eq!(result.num_partitions, 3);
    let configs = result.configs.expect("configs");
    let retention = configs
        .iter()
        .find(|c| c.name.as_str() == "retention.ms")
        .expect("retention.ms");
    // CreateTopics walks every synonym: log.retention.hours counts, converted to ms.
    assert_eq!(retention.value.as_deref(), Some("7200000"));
    assert_eq!(retention.config_source, 4);

    for version in 2..=7 {
        let name = format!("v{version}");
        let topic = CreatableTopic::default()
            .with_name(topic_name(&name))
            .with_num_partitions(2)
            .with_replication_factor(1);
        let results = create_at(&mut client, version, vec![topic], false).await;
        assert_eq!(results[0].error_code, 0, "v{version}");
        assert_eq!(results[0].topic_id.is_nil(), version < 7, "v{version}");
        assert_eq!(
            results[0].configs.as_ref().is_some_and(|c| !c.is_empty()),
            version >= 5
        );
        assert_eq!(partition_count(&mut client, &name).await, Some(2));
    }
}

#[tokio::test]
async fn validate_only_checks_everything_and_creates_nothing() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let results = create_at(&mut client, 7, vec![new_topic("dry", &[])], true).await;
    assert_eq!(results[0].error_code, 0);
    assert!(!results[0].topic_id.is_nil());
    assert!(results[0]
        .configs
        .as_ref()
        .is_some_and(|c| c.len() == kafkit::protocol::topic::TOPIC_CONFIG_NAMES.len()));
    assert!(broker.state.topic("dry").is_none());
    assert_eq!(partition_count(&mut client, "dry").await, None);

    let bad = create_at(
        &mut client,
        7,
        vec![new_topic("dry", &[("segment.bytes", Some("1"))])],
        true,
    )
    .await;
    assert_eq!(bad[0].error_code, 40);
}

#[tokio::test]
async fn every_error_of_section_6_2() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("a_b", &[])).await;
    create(&mut client, new_topic("taken", &[])).await;

    let assigned = |name: &str, rf: i16, partitions: i32, replicas: &[(i32, &[i32])]| {
        CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(partitions)
            .with_replication_factor(rf)
            .with_assignments(
                replicas
                    .iter()
                    .map(|(index, ids)| {
                        CreatableReplicaAssignment::default()
                            .with_partition_index(*index)
                            .with_broker_ids(ids.iter().map(|i| BrokerId(*i)).collect())
                    })
                    .collect(),
            )
    };
    let counts = |name: &str, partitions: i32, rf: i16| {
        CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(partitions)
            .with_replication_factor(rf)
    };
    let cases: Vec<(CreatableTopic, i16, &str)> = vec![
        (new_topic("bad/name", &[]), 17, "Topic name is invalid: 'bad/name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"),
        (new_topic("", &[]), 17, "Topic name is invalid: the empty string is not allowed"),
        (new_topic("a.b", &[]), 17, "Topic 'a.b' collides with existing topic: a_b"),
        (new_topic("taken", &[]), 36, "Topic 'taken' already exists."),
        (
            new_topic("t1", &[("retention.ms", None), ("segment.ms", Some("1")), ("flush.ms", None)]),
            40,
            "Null value not supported for topic configs: retention.ms,flush.ms",
        ),
        (new_topic("t2", &[("no.such.config", Some("1"))]), 40, "Unknown topic config name: no.such.config"),
        (
            new_topic("t3", &[("retention.ms", Some("soon"))]),
            40,
            "Invalid value soon for configuration retention.ms: Not a number of type LONG",
        ),
        (
            new_topic("t4", &[("cleanup.policy", Some("forever"))]),
            40,
            "Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete",
        ),
        (
            new_topic("t5", &[("retention.ms", Some(&"9".repeat(40_000)))]),
            40,
            "The configuration value cannot be added because it exceeds the maximum value size of 32767 bytes.",
        ),
        (
            assigned("t6", 1, -1, &[(0, &[1])]),
            42,
            "A manual partition assignment was specified, but replication factor was not set to -1.",
        ),
        (
            assigned("t7", -1, 1, &[(0, &[1])]),
            42,
            "A manual partition assignment was specified, but numPartitions was not set to -1.",
        ),
        (
            assigned("t8", -1, -1, &[(0, &[1]), (0, &[1])]),
            39,
            "Found multiple manual partition assignments for partition 0",
        ),
        (
            assigned("t9", -1, -1, &[(0, &[1]), (2, &[1])]),
            39,
            "partitions should be a consecutive 0-based integer sequence",
        ),
        (
            assigned("t10", -1, -1, &[(0, &[])]),
            39,
            "The manual partition assignment includes an empty replica list.",
        ),
        (
            assigned("t11", -1, -1, &[(0, &[2])]),
            39,
            "The manual partition assignment includes broker 2, but no such broker is registered.",
        ),
        (
            assigned("t12", -1, -1, &[(0, &[1, 1])]),
            39,
            "The manual partition assignment includes the broker 1 more than once.",
        ),
        (counts("t13", 1, 0), 38, "Replication factor must be larger than 0, or -1 to use the default value."),
        (counts("t14", 1, -2), 38, "Replication factor must be larger than 0, or -1 to use the default value."),
        // RF is checked before the partition count.
        (counts("t15", 0, 0), 38, "Replication factor must be larger than 0, or -1 to use the default value."),
        (counts("t16", 0, 1), 37, "Number of partitions was set to an invalid non-positive value."),
        (counts("t17", -5, 1), 37, "Number of partitions was set to an invalid non-positive value."),
        (
            counts("t18", 1, 3),
            38,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.",
        ),
    ];
    for (topic, code, message) in cases {
        let name = topic.name.to_string();
        let results = create_at(&mut client, 7, vec![topic], false).await;
        assert_eq!(error_of(&results[0]), (code, message.to_string()), "{name}");
        assert!(results[0].topic_id.is_nil());
        assert_eq!(
            (results[0].num_partitions, results[0].replication_factor),
            (-1, -1)
        );
        assert!(broker.state.topic(&name).is_none() || name == "taken");
    }

    // A manual assignment that only names this node works.
    let results = create_at(
        &mut client,
        7,
        vec![assigned("manual", -1, -1, &[(1, &[1]), (0, &[1])])],
        false,
    )
    .await;
    assert_eq!(error_of(&results[0]), (0, "<null>".to_string()));
    assert_eq!(partition_count(&mut client, "manual").await, Some(2));
}

#[tokio::test]
async fn duplicates_and_the_metadata_topic_are_answered_after_the_rest() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let results = create_at(
        &mut client,
        7,
        vec![
            new_topic("twice", &[]),
            new_topic("__cluster_metadata", &[]),
            new_topic("once", &[]),
            new_topic("twice", &[]),
        ],
        false,
    )
    .await;
    let summary: Vec<(String, i16, String)> = results
        .iter()
        .map(|r| {
            let (code, message) = error_of(r);
            (r.name.to_string(), code, message)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("once".into(), 0, "<null>".into()),
            ("twice".into(), 42, "Duplicate topic name.".into()),
            (
                "__cluster_metadata".into(),
                42,
                "Creation of internal topic __cluster_metadata is prohibited.".into()
            ),
        ]
    );
    assert!(broker.state.topic("twice").is_none());
}

#[tokio::test]
async fn too_many_partitions_fail_the_whole_request() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let topic = |name: &str, partitions: i32| {
        CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
    };
    let results = create_at(
        &mut client,
        7,
        vec![topic("small", 1), topic("huge", 10_000)],
        false,
    )
    .await;
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(
            error_of(r),
            (
                44,
                "Excessively large number of partitions per request.".to_string()
            )
        );
    }
    assert!(broker.state.topic("small").is_none());
}

#[tokio::test]
async fn created_topics_and_their_configs_survive_a_restart() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let created = create(
        &mut client,
        new_topic("durable", &[("max.message.bytes", Some("2000"))]),
    )
    .await;
    drop(client);
    let (config, dir) = broker.stop().await;
    let broker = TestBroker::start_in(config).await;
    let mut client = broker.connect().await;
    assert_eq!(
        broker.state.topic("durable").map(|t| t.id),
        Some(created.topic_id)
    );
    assert_eq!(
        topic_overrides(&mut client, "durable").await,
        vec![("max.message.bytes".to_string(), "2000".to_string())]
    );
    drop(dir);
}
