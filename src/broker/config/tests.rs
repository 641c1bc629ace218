//! Unit tests for `server.properties` interpretation: defaults, precedence, validation messages,
//! listener selection and warnings.

use super::*;
use crate::protocol::properties;

/// Apache Kafka 4.x's stock `config/server.properties` (KRaft combined mode): its keys and values
/// with its comment style. Shared with the `kafka-server-start` integration tests.
const STOCK_SERVER_PROPERTIES: &str = include_str!("../../../tests/cli/apache-server.properties");

use crate::protocol::properties::from_pairs as props;

fn parse(pairs: &[(&str, &str)]) -> Result<(BrokerConfig, Vec<String>)> {
    BrokerConfig::from_properties(&props(pairs))
}

fn error(pairs: &[(&str, &str)]) -> String {
    parse(pairs).unwrap_err().to_string()
}

fn listener(name: &str, host: &str, port: u16) -> Listener {
    Listener {
        name: name.into(),
        host: host.into(),
        port,
    }
}

#[test]
fn no_properties_means_kafka_defaults() {
    let (config, warnings) = parse(&[]).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.node_id, DEFAULT_NODE_ID);
    assert_eq!(config.log_dir, PathBuf::from("/tmp/kafka-logs"));
    assert_eq!(
        config.listeners,
        vec![listener("PLAINTEXT", "localhost", 9092)]
    );
    assert_eq!(config.advertised_listeners, config.listeners);
    assert_eq!(config.log, LogConfig::default());
    assert_eq!(config.num_partitions, 1);
    assert!(config.auto_create_topics_enable);
}

#[test]
fn stock_apache_file_serves_the_broker_listener_without_warnings() {
    let props = properties::parse(STOCK_SERVER_PROPERTIES).unwrap();
    let (config, warnings) = BrokerConfig::from_properties(&props).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.node_id, 1);
    assert_eq!(config.listeners, vec![listener("PLAINTEXT", "", 9092)]);
    assert_eq!(
        config.advertised_listeners,
        vec![listener("PLAINTEXT", "localhost", 9092)]
    );
    assert_eq!(config.log_dir, PathBuf::from("/tmp/kraft-combined-logs"));
    assert_eq!(config.log.segment_bytes, 1_073_741_824);
    assert_eq!(config.log.retention_ms, 168 * MS_PER_HOUR);
    assert_eq!(config.offsets_topic_replication_factor, 1);
    assert_eq!(config.raw, props);
}

#[test]
fn retention_precedence_is_ms_then_minutes_then_hours() {
    let retention = |pairs: &[(&str, &str)]| parse(pairs).unwrap().0.log.retention_ms;
    assert_eq!(retention(&[("log.retention.hours", "1")]), MS_PER_HOUR);
    assert_eq!(
        retention(&[("log.retention.hours", "1"), ("log.retention.minutes", "5")]),
        5 * MS_PER_MINUTE
    );
    assert_eq!(
        retention(&[
            ("log.retention.hours", "1"),
            ("log.retention.minutes", "5"),
            ("log.retention.ms", "1234"),
        ]),
        1234
    );
    assert_eq!(retention(&[("log.retention.ms", "-1")]), -1);
    assert_eq!(retention(&[("log.retention.hours", "-1")]), -1);
    assert_eq!(
        retention(&[
            ("log.retention.minutes", "-1"),
            ("log.retention.hours", "3")
        ]),
        -1
    );
    // A malformed value is an error even when a higher-precedence key is set.
    assert!(parse(&[("log.retention.ms", "5"), ("log.retention.hours", "x")]).is_err());
}

#[test]
fn roll_precedence_is_roll_ms_then_segment_ms_then_hours() {
    let roll = |pairs: &[(&str, &str)]| parse(pairs).unwrap().0.log.segment_ms;
    assert_eq!(roll(&[]), 168 * MS_PER_HOUR);
    assert_eq!(roll(&[("log.roll.hours", "2")]), 2 * MS_PER_HOUR);
    assert_eq!(
        roll(&[("log.roll.hours", "2"), ("log.segment.ms", "60000")]),
        60_000
    );
    assert_eq!(
        roll(&[("log.segment.ms", "60000"), ("log.roll.ms", "1000")]),
        1000
    );
}

#[test]
fn honoured_values_land_in_the_config() {
    let (config, warnings) = parse(&[
        ("broker.id", "7"),
        ("num.partitions", "3"),
        ("default.replication.factor", "1"),
        ("auto.create.topics.enable", "false"),
        ("delete.topic.enable", "false"),
        ("log.dir", "/data/a"),
        ("log.segment.bytes", "2097152"),
        ("log.retention.bytes", "-5"),
        ("log.retention.check.interval.ms", "1000"),
        ("log.index.interval.bytes", "100"),
        ("log.index.size.max.bytes", "4096"),
        ("socket.request.max.bytes", "1000"),
        ("message.max.bytes", "2000"),
        ("log.message.timestamp.type", "LogAppendTime"),
        ("group.initial.rebalance.delay.ms", "0"),
        ("offsets.topic.replication.factor", "1"),
        ("offsets.topic.num.partitions", "5"),
    ])
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.node_id, 7);
    assert_eq!(config.num_partitions, 3);
    assert!(!config.auto_create_topics_enable);
    assert!(!config.delete_topic_enable);
    assert_eq!(config.log_dir, PathBuf::from("/data/a"));
    assert_eq!(config.log.segment_bytes, 2_097_152);
    assert_eq!(config.log.retention_bytes, -1);
    assert_eq!(config.log_retention_check_interval_ms, 1000);
    assert_eq!(config.log.index_interval_bytes, 100);
    assert_eq!(config.log.segment_index_bytes, 4096);
    assert_eq!(config.socket_request_max_bytes, 1000);
    assert_eq!(config.log.max_message_bytes, 2000);
    assert_eq!(config.log.timestamp_type, TimestampType::LogAppendTime);
    assert_eq!(config.group_initial_rebalance_delay_ms, 0);
    assert_eq!(config.offsets_topic_num_partitions, 5);
}

#[test]
fn malformed_values_name_key_and_value() {
    assert_eq!(
        error(&[("num.partitions", "abc")]),
        "invalid configuration: Invalid value abc for configuration num.partitions: Not a number of type INT"
    );
    assert_eq!(
        error(&[("num.partitions", "0")]),
        "invalid configuration: Invalid value 0 for configuration num.partitions: Value must be at least 1"
    );
    assert!(error(&[("log.segment.bytes", "1024")]).ends_with("Value must be at least 1048576"));
    assert!(error(&[("delete.topic.enable", "yes")])
        .ends_with("Expected value to be either true or false"));
    assert!(error(&[("log.dirs", " , ")]).contains("log.dirs"));
    assert!(error(&[("default.replication.factor", "40000")]).contains("no more than 32767"));
    assert!(error(&[("node.id", "2"), ("broker.id", "3")])
        .contains("broker.id (3) and node.id (2) must be the same"));
    assert!(error(&[("process.roles", "controller")]).contains("process.roles"));
    assert!(error(&[("log.cleanup.policy", "shred")]).contains("log.cleanup.policy"));
}

#[test]
fn unknown_keys_and_unsupported_settings_warn() {
    let (config, warnings) = parse(&[
        ("zookeeper.connect", "localhost:2181"),
        ("num.partitions", "2"),
        ("log.cleanup.policy", "compact"),
        ("log.dirs", "/a,/b"),
    ])
    .unwrap();
    assert_eq!(config.num_partitions, 2);
    assert_eq!(config.log_dir, PathBuf::from("/a"));
    assert_eq!(config.raw.len(), 4);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.contains(
        &"The configuration 'zookeeper.connect' was supplied but isn't a known config.".into()
    ));
    assert!(warnings.iter().any(|w| w.contains("compact")));
    assert!(warnings.iter().any(|w| w.contains("/a")));
}

#[test]
fn listeners_skip_controller_names_and_need_a_security_protocol() {
    let (config, _) = parse(&[
        ("listeners", "INTERNAL://127.0.0.1:0,CONTROLLER://:9093"),
        (
            "listener.security.protocol.map",
            "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
        ),
        ("controller.listener.names", "CONTROLLER"),
    ])
    .unwrap();
    assert_eq!(config.listeners, vec![listener("INTERNAL", "127.0.0.1", 0)]);

    // TLS and SASL settings are checked by broker::security, not here.
    assert!(parse(&[("listeners", "SSL://:9093")]).is_ok());
    assert!(error(&[("listeners", "EXTERNAL://:9093")])
        .contains("No security protocol defined for listener EXTERNAL"));
    assert!(error(&[
        ("listeners", "CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
        ("listener.security.protocol.map", "CONTROLLER:PLAINTEXT")
    ])
    .contains("at least one listener"));
    assert!(error(&[
        ("listeners", "PLAINTEXT://:1"),
        ("advertised.listeners", "OTHER://h:1")
    ])
    .contains("subset"));
    assert!(error(&[("advertised.listeners", "PLAINTEXT://0.0.0.0:1")]).contains("0.0.0.0"));
    // An SSL listener that is only the controller's is not served, so it is no error.
    let (config, _) = parse(&[
        ("listeners", "PLAINTEXT://[::1]:9092,CONTROLLER://:9093"),
        ("controller.listener.names", "CONTROLLER"),
        (
            "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL",
        ),
    ])
    .unwrap();
    assert_eq!(config.listeners, vec![listener("PLAINTEXT", "::1", 9092)]);
}

#[test]
fn bound_ports_replace_zero_in_listeners_and_advertised() {
    let (mut config, _) = parse(&[
        ("listeners", "PLAINTEXT://127.0.0.1:0"),
        ("advertised.listeners", "PLAINTEXT://broker.example:0"),
    ])
    .unwrap();
    config.set_bound_port("PLAINTEXT", 40000);
    assert_eq!(config.listeners[0].port, 40000);
    assert_eq!(
        config.advertised_listeners,
        vec![listener("PLAINTEXT", "broker.example", 40000)]
    );
    let (mut config, _) = parse(&[
        ("listeners", "PLAINTEXT://127.0.0.1:0"),
        ("advertised.listeners", "PLAINTEXT://proxy:9999"),
    ])
    .unwrap();
    config.set_bound_port("PLAINTEXT", 40000);
    assert_eq!(config.advertised_listeners[0].port, 9999);
}
