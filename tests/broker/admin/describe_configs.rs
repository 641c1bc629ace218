use super::{
    create, describe_at, new_topic, non_default_configs, resource, BROKER, BROKER_LOGGER, GROUP,
    TOPIC,
};
use crate::common::TestBroker;

#[tokio::test]
async fn fresh_topic_lists_every_config_as_default() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("fresh", &[])).await;
    let results = describe_at(
        &mut client,
        4,
        vec![resource(TOPIC, "fresh", None)],
        false,
        false,
    )
    .await;
    let result = &results[0];
    assert_eq!((result.error_code, result.resource_type), (0, TOPIC));
    assert_eq!(result.resource_name.as_str(), "fresh");
    assert_eq!(
        result.configs.len(),
        kafkit::protocol::topic::TOPIC_CONFIG_NAMES.len()
    );
    assert!(result.configs.iter().all(|c| (c.config_source == 5)
        != (c.name.as_str() == "min.insync.replicas")
        && !c.read_only
        && !c.is_sensitive
        && c.synonyms.is_empty()
        && c.documentation.is_none()));
    let get = |name: &str| {
        result
            .configs
            .iter()
            .find(|c| c.name.as_str() == name)
            .expect(name)
    };
    assert_eq!(get("cleanup.policy").value.as_deref(), Some("delete"));
    assert_eq!(get("cleanup.policy").config_type, 7);
    assert_eq!(get("min.cleanable.dirty.ratio").config_type, 6);
    assert_eq!(get("retention.ms").value.as_deref(), Some("604800000"));
    // Apache's order (a Scala hash map's): compression.type comes first, segment.index.bytes last.
    assert_eq!(result.configs[0].name.as_str(), "compression.type");
    assert_eq!(
        result
            .configs
            .last()
            .map(|c| c.name.as_str())
            .unwrap_or_default(),
        "segment.index.bytes"
    );
    // Apache stores a cluster-level min.insync.replicas, so kafka-topics shows it.
    assert_eq!(
        non_default_configs(&mut client, "fresh").await,
        vec![("min.insync.replicas".to_string(), "1".to_string())]
    );
}

#[tokio::test]
async fn synonyms_documentation_and_key_filters() {
    let broker = TestBroker::start_with(|c| {
        c.raw
            .insert("log.segment.bytes".into(), "1073741824".into());
    })
    .await;
    let mut client = broker.connect().await;
    create(
        &mut client,
        new_topic("syn", &[("retention.ms", Some("5000"))]),
    )
    .await;
    let keys = ["retention.ms", "segment.bytes", "no.such.key"];
    let results = describe_at(
        &mut client,
        4,
        vec![resource(TOPIC, "syn", Some(&keys))],
        true,
        true,
    )
    .await;
    let configs = &results[0].configs;
    assert_eq!(configs.len(), 2, "unknown keys are ignored");
    let retention = configs
        .iter()
        .find(|c| c.name.as_str() == "retention.ms")
        .expect("retention");
    assert_eq!(retention.config_source, 1);
    assert_eq!(retention.value.as_deref(), Some("5000"));
    let chain: Vec<(&str, Option<&str>, i8)> = retention
        .synonyms
        .iter()
        .map(|s| (s.name.as_str(), s.value.as_deref(), s.source))
        .collect();
    assert_eq!(chain, vec![("retention.ms", Some("5000"), 1)]);
    assert!(retention.documentation.is_some());
    let segment = configs
        .iter()
        .find(|c| c.name.as_str() == "segment.bytes")
        .expect("segment");
    assert_eq!(segment.config_source, 4);
    assert_eq!(segment.config_type, 3);
    let chain: Vec<(&str, i8)> = segment
        .synonyms
        .iter()
        .map(|s| (s.name.as_str(), s.source))
        .collect();
    assert_eq!(
        chain,
        vec![("log.segment.bytes", 4), ("log.segment.bytes", 5)]
    );
    // kafka-topics --describe shows the override and the server.properties setting.
    assert_eq!(
        non_default_configs(&mut client, "syn").await,
        vec![
            ("min.insync.replicas".to_string(), "1".to_string()),
            ("segment.bytes".to_string(), "1073741824".to_string()),
            ("retention.ms".to_string(), "5000".to_string()),
        ]
    );

    // Before v3 there is no config_type or documentation on the wire (decoded as defaults).
    let v1 = describe_at(
        &mut client,
        1,
        vec![resource(TOPIC, "syn", Some(&keys))],
        true,
        false,
    )
    .await;
    assert!(v1[0]
        .configs
        .iter()
        .all(|c| c.config_type == 0 && c.documentation.as_deref() == Some("")));
    assert_eq!(v1[0].configs.len(), 2);
}

#[tokio::test]
async fn topic_errors() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let results = describe_at(
        &mut client,
        4,
        vec![
            resource(TOPIC, "missing", None),
            resource(TOPIC, "bad name", None),
        ],
        false,
        false,
    )
    .await;
    assert_eq!(results[0].error_code, 3);
    assert!(results[0].configs.is_empty());
    // Kafka sets no message here, leaving the field's default.
    assert_eq!(results[0].error_message.as_deref(), Some(""));
    assert_eq!(results[1].error_code, 17);
    assert_eq!(
        results[1].error_message.as_deref(),
        Some("Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")
    );
}

#[tokio::test]
async fn broker_resources() {
    let broker = TestBroker::start_with(|c| {
        c.num_partitions = 4;
        c.raw.insert("num.partitions".into(), "4".into());
    })
    .await;
    let mut client = broker.connect().await;
    let node = broker.state.config.node_id.to_string();
    let results = describe_at(
        &mut client,
        4,
        vec![
            resource(BROKER, &node, None),
            resource(BROKER, "", None),
            resource(BROKER, "99", None),
            resource(BROKER, "x", None),
            resource(BROKER_LOGGER, &node, None),
            resource(GROUP, "g", None),
        ],
        true,
        false,
    )
    .await;
    let own = &results[0];
    assert_eq!(own.error_code, 0);
    let get = |name: &str| {
        own.configs
            .iter()
            .find(|c| c.name.as_str() == name)
            .expect(name)
    };
    assert_eq!(get("num.partitions").value.as_deref(), Some("4"));
    assert_eq!(get("num.partitions").config_source, 4);
    assert!(get("num.partitions").read_only);
    assert_eq!(get("node.id").value.as_deref(), Some(node.as_str()));
    assert_eq!(get("log.segment.bytes").config_source, 5);
    assert_eq!(get("log.retention.hours").value.as_deref(), Some("168"));
    assert_eq!(get("log.retention.ms").value, None);
    assert_eq!(
        get("listeners")
            .value
            .as_deref()
            .map(|l| l.starts_with("PLAINTEXT://")),
        Some(true)
    );

    // "" lists the cluster-wide dynamic defaults: Apache's ELR-era min.insync.replicas.
    assert_eq!((results[1].error_code, results[1].configs.len()), (0, 1));
    let min_isr = &results[1].configs[0];
    assert_eq!(
        (
            min_isr.name.as_str(),
            min_isr.value.as_deref(),
            min_isr.config_source
        ),
        ("min.insync.replicas", Some("1"), 3)
    );
    assert_eq!(results[2].error_code, 42);
    assert_eq!(
        results[2].error_message.as_deref(),
        Some(
            format!("Unexpected broker id, expected {node} or empty string, but received 99")
                .as_str()
        )
    );
    assert_eq!(
        results[3].error_message.as_deref(),
        Some("Broker id must be an integer, but it is: x")
    );
    assert_eq!(results[4].error_code, 0);
    assert_eq!(results[4].configs[0].name.as_str(), "root");
    assert_eq!(results[4].configs[0].config_source, 6);
    assert_eq!(results[5].error_code, 42);
    assert_eq!(
        results[5].error_message.as_deref(),
        Some("Unsupported resource type: GROUP")
    );
}

#[tokio::test]
async fn an_unknown_resource_type_fails_the_whole_request() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("fine", &[])).await;
    let results = describe_at(
        &mut client,
        4,
        vec![resource(TOPIC, "fine", None), resource(99, "x", None)],
        false,
        false,
    )
    .await;
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r.error_code, 42);
        assert!(r.error_message.as_deref().is_some_and(
            |m| m.starts_with("This most likely occurs because of a request being malformed")
        ));
        assert!(r.configs.is_empty());
    }
    assert_eq!(
        (results[1].resource_type, results[1].resource_name.as_str()),
        (99, "x")
    );
}
