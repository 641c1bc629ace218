//! IncrementalAlterConfigs and the legacy AlterConfigs.

use kafka_protocol::messages::alter_configs_request::{
    AlterConfigsResource as LegacyResource, AlterableConfig as LegacyConfig,
};
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{AlterConfigsRequest, IncrementalAlterConfigsRequest};

use super::{create, new_topic, s, topic_overrides, BROKER, BROKER_LOGGER, GROUP, TOPIC};
use crate::common::{RawClient, TestBroker};

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

type Outcome = (i16, Option<String>);
/// One incremental operation: key, operation id, value.
type Op<'a> = (&'a str, i8, Option<&'a str>);

fn incremental(kind: i8, name: &str, ops: &[(&str, i8, Option<&str>)]) -> AlterConfigsResource {
    AlterConfigsResource::default()
        .with_resource_type(kind)
        .with_resource_name(s(name))
        .with_configs(
            ops.iter()
                .map(|(k, op, v)| {
                    AlterableConfig::default()
                        .with_name(s(k))
                        .with_config_operation(*op)
                        .with_value(v.map(s))
                })
                .collect(),
        )
}

async fn send_incremental(
    client: &mut RawClient,
    version: i16,
    resources: Vec<AlterConfigsResource>,
    validate_only: bool,
) -> Vec<Outcome> {
    let request = IncrementalAlterConfigsRequest::default()
        .with_resources(resources)
        .with_validate_only(validate_only);
    client
        .send(request, version)
        .await
        .responses
        .iter()
        .map(|r| {
            (
                r.error_code,
                r.error_message.as_ref().map(|m| m.to_string()),
            )
        })
        .collect()
}

async fn set_one(client: &mut RawClient, ops: &[(&str, i8, Option<&str>)]) -> Outcome {
    send_incremental(client, 1, vec![incremental(TOPIC, "t", ops)], false)
        .await
        .remove(0)
}

fn ok() -> Outcome {
    (0, None)
}

fn err(code: i16, message: &str) -> Outcome {
    (code, Some(message.to_string()))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn set_delete_append_subtract() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("t", &[])).await;

    assert_eq!(
        set_one(
            &mut client,
            &[
                ("retention.ms", SET, Some("1000")),
                ("cleanup.policy", APPEND, Some("compact"))
            ]
        )
        .await,
        ok()
    );
    assert_eq!(
        topic_overrides(&mut client, "t").await,
        pairs(&[
            ("cleanup.policy", "delete,compact"),
            ("retention.ms", "1000")
        ])
    );
    assert_eq!(broker.state.topic("t").map(|t| t.partitions.len()), Some(1));
    assert_eq!(
        set_one(
            &mut client,
            &[
                ("cleanup.policy", SUBTRACT, Some("delete")),
                ("retention.ms", DELETE, None)
            ]
        )
        .await,
        ok()
    );
    assert_eq!(
        topic_overrides(&mut client, "t").await,
        pairs(&[("cleanup.policy", "compact")])
    );
    // DELETE of a key that is not set is a no-op; v0 works too.
    let v0 = send_incremental(
        &mut client,
        0,
        vec![incremental(TOPIC, "t", &[("segment.ms", DELETE, None)])],
        false,
    )
    .await;
    assert_eq!(v0, vec![ok()]);

    // validate_only changes nothing.
    let dry = send_incremental(
        &mut client,
        1,
        vec![incremental(TOPIC, "t", &[("cleanup.policy", DELETE, None)])],
        true,
    )
    .await;
    assert_eq!(dry, vec![ok()]);
    assert_eq!(
        topic_overrides(&mut client, "t").await,
        pairs(&[("cleanup.policy", "compact")])
    );
    // The stored overrides reach the topic's logs and the registry.
    assert_eq!(
        broker
            .state
            .topic("t")
            .map(|t| t.configs.get("cleanup.policy").cloned()),
        Some(Some("compact".to_string()))
    );
}

#[tokio::test]
async fn topic_errors() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, new_topic("t", &[])).await;
    let long = "1".repeat(40_000);
    let cases: Vec<(Vec<Op>, Outcome)> = vec![
        (vec![("no.such", SET, Some("1"))], err(40, "Unknown topic config name: no.such")),
        (
            vec![("retention.ms", SET, Some("x"))],
            err(40, "Invalid value x for configuration retention.ms: Not a number of type LONG"),
        ),
        (
            vec![("retention.ms", APPEND, Some("1"))],
            err(40, "Can't APPEND to key retention.ms because its type is not LIST."),
        ),
        (
            vec![("segment.ms", SUBTRACT, Some("1"))],
            err(40, "Can't SUBTRACT to key segment.ms because its type is not LIST."),
        ),
        (
            vec![("min.compaction.lag.ms", SET, Some("10")), ("max.compaction.lag.ms", SET, Some("5"))],
            err(40, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"),
        ),
        (
            vec![("retention.ms", SET, Some(long.as_str()))],
            err(40, "The configuration value cannot be added because it exceeds the maximum value size of 32767 bytes."),
        ),
        (
            vec![("retention.ms", SET, Some("1")), ("retention.ms", DELETE, None)],
            err(42, "Error due to duplicate config keys"),
        ),
        (
            vec![("retention.ms", SET, None), ("segment.ms", DELETE, None), ("flush.ms", APPEND, None)],
            err(42, "Null value not supported for : retention.ms, flush.ms"),
        ),
        // Kafka's controller fails on an unknown operation, without a message.
        (vec![("retention.ms", 7, Some("1"))], (-1, None)),
    ];
    for (ops, expected) in cases {
        assert_eq!(set_one(&mut client, &ops).await, expected, "{ops:?}");
    }
    assert!(topic_overrides(&mut client, "t").await.is_empty());

    let results = send_incremental(
        &mut client,
        1,
        vec![
            incremental(TOPIC, "missing", &[("retention.ms", SET, Some("1"))]),
            // Validation comes before the existence check.
            incremental(TOPIC, "missing2", &[("retention.ms", SET, Some("x"))]),
            incremental(TOPIC, "", &[("retention.ms", SET, Some("1"))]),
            incremental(TOPIC, "bad name", &[]),
            incremental(TOPIC, "dup", &[]),
            incremental(TOPIC, "dup", &[]),
            incremental(GROUP, "g", &[]),
            incremental(99, "x", &[]),
        ],
        false,
    )
    .await;
    assert_eq!(
        results,
        vec![
            err(3, "The topic 'missing' does not exist."),
            err(40, "Invalid value x for configuration retention.ms: Not a number of type LONG"),
            err(42, "Default topic resources are not allowed."),
            err(17, "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"),
            err(42, "Each resource must appear at most once."),
            err(42, "Each resource must appear at most once."),
            err(42, "Unknown resource type 32"),
            err(42, "Unknown resource type 99"),
        ]
    );
}

#[tokio::test]
async fn broker_resources_are_not_dynamic() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let node = broker.state.config.node_id.to_string();
    let results = send_incremental(
        &mut client,
        1,
        vec![
            incremental(
                BROKER,
                &node,
                &[
                    ("log.retention.ms", SET, Some("1")),
                    ("num.io.threads", SET, Some("2")),
                ],
            ),
            incremental(BROKER, "", &[("log.retention.ms", DELETE, None)]),
            incremental(BROKER, "7", &[]),
            incremental(BROKER_LOGGER, &node, &[("root", SET, Some("DEBUG"))]),
        ],
        false,
    )
    .await;
    assert_eq!(
        results,
        vec![
            err(
                42,
                "Cannot update these configs dynamically: [log.retention.ms, num.io.threads]"
            ),
            ok(),
            err(
                42,
                &format!("Unexpected broker id, expected {node}, but received 7")
            ),
            err(42, "This broker does not support changing log levels."),
        ]
    );
}

fn legacy(kind: i8, name: &str, configs: &[(&str, Option<&str>)]) -> LegacyResource {
    LegacyResource::default()
        .with_resource_type(kind)
        .with_resource_name(s(name))
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| LegacyConfig::default().with_name(s(k)).with_value(v.map(s)))
                .collect(),
        )
}

async fn send_legacy(
    client: &mut RawClient,
    version: i16,
    resources: Vec<LegacyResource>,
    validate_only: bool,
) -> Vec<Outcome> {
    let request = AlterConfigsRequest::default()
        .with_resources(resources)
        .with_validate_only(validate_only);
    client
        .send(request, version)
        .await
        .responses
        .iter()
        .map(|r| {
            (
                r.error_code,
                r.error_message.as_ref().map(|m| m.to_string()),
            )
        })
        .collect()
}

#[tokio::test]
async fn legacy_alter_replaces_every_override() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(
        &mut client,
        new_topic("t", &[("retention.ms", Some("1000"))]),
    )
    .await;
    for version in 0..=2 {
        let value = format!("{}", 2000 + i32::from(version));
        let results = send_legacy(
            &mut client,
            version,
            vec![legacy(TOPIC, "t", &[("segment.ms", Some(value.as_str()))])],
            false,
        )
        .await;
        assert_eq!(results, vec![ok()], "v{version}");
        assert_eq!(
            topic_overrides(&mut client, "t").await,
            vec![("segment.ms".to_string(), value.clone())],
            "retention.ms was not given, so it is gone"
        );
    }
    let dry = send_legacy(&mut client, 2, vec![legacy(TOPIC, "t", &[])], true).await;
    assert_eq!(dry, vec![ok()]);
    assert_eq!(topic_overrides(&mut client, "t").await.len(), 1);

    let node = broker.state.config.node_id.to_string();
    let results = send_legacy(
        &mut client,
        2,
        vec![
            legacy(TOPIC, "missing", &[]),
            legacy(TOPIC, "t", &[("segment.bytes", Some("10"))]),
            legacy(TOPIC, "t2", &[("retention.ms", None)]),
            legacy(BROKER, &node, &[("num.partitions", Some("3"))]),
            legacy(BROKER_LOGGER, &node, &[]),
        ],
        false,
    )
    .await;
    assert_eq!(
        results,
        vec![
            err(3, "The topic 'missing' does not exist."),
            err(
                40,
                "Invalid value 10 for configuration segment.bytes: Value must be at least 1048576"
            ),
            err(42, "Null value not supported for : retention.ms"),
            err(
                42,
                "Cannot update these configs dynamically: [num.partitions]"
            ),
            err(42, "Unknown resource type 8"),
        ]
    );
    assert_eq!(topic_overrides(&mut client, "t").await.len(), 1);
}
