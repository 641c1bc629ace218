//! Unit tests of the topic-config table: validation messages, describe entries, creation echo.

use std::collections::BTreeMap;

use super::*;

/// How many topic configs Apache Kafka 4.4 has (`kafka-configs --describe --all`).
const TOPIC_CONFIG_COUNT: usize = 37;

fn broker() -> BrokerConfig {
    BrokerConfig::with_log_dir("/nonexistent")
}

fn configs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn error(pairs: &[(&str, &str)]) -> String {
    validate(&broker(), &configs(pairs)).expect_err("invalid").0
}

#[test]
fn table_has_kafka_4_4_topic_configs() {
    assert_eq!(TOPIC_CONFIGS.len(), TOPIC_CONFIG_COUNT);
    let mut names: Vec<_> = TOPIC_CONFIGS.iter().map(|d| d.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), TOPIC_CONFIG_COUNT, "no duplicate names");
    assert_eq!(
        names,
        crate::protocol::topic::TOPIC_CONFIG_NAMES,
        "the names tools list"
    );
    for def in TOPIC_CONFIGS {
        assert!(
            normalize(def, def.default).is_ok(),
            "default of {} is valid",
            def.name
        );
    }
}

#[test]
fn unknown_names_are_refused_first() {
    assert_eq!(
        error(&[("retention.ms", "x"), ("no.such", "1")]),
        "Unknown topic config name: no.such"
    );
}

#[test]
fn values_are_checked_with_kafka_messages() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "retention.ms",
            "abc",
            "Invalid value abc for configuration retention.ms: Not a number of type LONG",
        ),
        (
            "segment.bytes",
            "100",
            "Invalid value 100 for configuration segment.bytes: Value must be at least 1048576",
        ),
        (
            "segment.bytes",
            "4294967296",
            "Invalid value 4294967296 for configuration segment.bytes: Not a number of type INT",
        ),
        (
            "retention.ms",
            " -5 ",
            "Invalid value -5 for configuration retention.ms: Value must be at least -1",
        ),
        (
            "cleanup.policy",
            "compact,foo",
            "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete",
        ),
        (
            "compression.type",
            "brotli",
            "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer",
        ),
        (
            "message.timestamp.type",
            "createtime",
            "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime",
        ),
        (
            "min.cleanable.dirty.ratio",
            "2",
            "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1",
        ),
        (
            "min.cleanable.dirty.ratio",
            "x",
            "Invalid value x for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE",
        ),
        (
            "compression.gzip.level",
            "0",
            "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1",
        ),
        (
            "compression.lz4.level",
            "18",
            "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17",
        ),
        (
            "preallocate",
            "yes",
            "Invalid value yes for configuration preallocate: Expected value to be either true or false",
        ),
        (
            "leader.replication.throttled.replicas",
            "0:1,x",
            "Invalid value [0:1, x] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
        ),
    ];
    for (name, value, message) in cases {
        assert_eq!(error(&[(name, value)]), *message, "{name}={value}");
    }
}

#[test]
fn first_bad_value_in_definition_order_wins() {
    assert_eq!(
        error(&[("cleanup.policy", "x"), ("segment.ms", "0")]),
        "Invalid value 0 for configuration segment.ms: Value must be at least 1"
    );
}

#[test]
fn cross_config_rules() {
    assert_eq!(
        error(&[
            ("min.compaction.lag.ms", "10"),
            ("max.compaction.lag.ms", "5")
        ]),
        "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"
    );
    assert_eq!(
        error(&[("remote.storage.enable", "TRUE")]),
        "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."
    );
    assert!(validate(
        &broker(),
        &configs(&[("leader.replication.throttled.replicas", "*")])
    )
    .is_ok());
    assert!(validate(&broker(), &configs(&[("cleanup.policy", "")])).is_ok());
}

#[test]
fn values_are_reported_as_kafka_parses_them() {
    let norm = |name: &str, raw: &str| normalize(find(name).expect("known"), raw).expect("valid");
    assert_eq!(norm("retention.ms", " 1000 "), "1000");
    assert_eq!(norm("cleanup.policy", "compact , delete"), "compact,delete");
    assert_eq!(norm("min.cleanable.dirty.ratio", "1"), "1.0");
    assert_eq!(norm("preallocate", "TRUE"), "true");
    assert_eq!(norm("retention.bytes", "+7"), "7");
}

#[test]
fn value_size_is_bounded() {
    assert!(check_value_size(&"x".repeat(MAX_VALUE_LENGTH)).is_ok());
    assert_eq!(
        check_value_size(&"x".repeat(MAX_VALUE_LENGTH + 1)).expect_err("too long").0,
        "The configuration value cannot be added because it exceeds the maximum value size of 32767 bytes."
    );
}

fn described<'a>(entries: &'a [DescribedConfig], name: &str) -> &'a DescribedConfig {
    entries.iter().find(|e| e.name == name).expect(name)
}

#[test]
fn fresh_topic_reports_every_config_as_default() {
    let entries = describe_topic(&broker(), &BTreeMap::new());
    assert_eq!(entries.len(), TOPIC_CONFIG_COUNT);
    // Apache's cluster-level min.insync.replicas (stored when ELR is enabled) is the exception.
    assert!(entries
        .iter()
        .all(|e| (e.source == ConfigSource::Default) != (e.name == "min.insync.replicas")));
    let min_isr = described(&entries, "min.insync.replicas");
    assert_eq!(min_isr.source, ConfigSource::DynamicDefaultBroker);
    let chain: Vec<_> = min_isr
        .synonyms
        .iter()
        .map(|s| (s.name.as_str(), s.value.as_deref(), s.source.id()))
        .collect();
    assert_eq!(
        chain,
        vec![
            ("min.insync.replicas", Some("1"), 3),
            ("min.insync.replicas", Some("1"), 5)
        ]
    );
    let expect = [
        ("cleanup.policy", "delete", 7),
        ("compression.type", "producer", 2),
        ("flush.ms", "9223372036854775807", 5),
        ("follower.replication.throttled.replicas", "", 7),
        ("local.retention.bytes", "-2", 5),
        ("max.message.bytes", "1048588", 3),
        ("message.timestamp.type", "CreateTime", 2),
        ("min.cleanable.dirty.ratio", "0.5", 6),
        ("retention.ms", "604800000", 5),
        ("segment.bytes", "1073741824", 3),
        ("segment.ms", "604800000", 5),
        ("unclean.leader.election.enable", "false", 1),
    ];
    for (name, value, config_type) in expect {
        let e = described(&entries, name);
        assert_eq!(e.value.as_deref(), Some(value), "{name}");
        assert_eq!(e.config_type, config_type, "{name}");
        assert!(!e.read_only && !e.is_sensitive);
    }
    // Chains whose first synonym has no default are empty (Kafka's quirk).
    assert!(described(&entries, "retention.ms").synonyms.is_empty());
    assert!(described(&entries, "segment.ms").synonyms.is_empty());
    assert_eq!(
        described(&entries, "segment.bytes").synonyms,
        vec![DescribedSynonym {
            name: "log.segment.bytes".into(),
            value: Some("1073741824".into()),
            source: ConfigSource::Default,
        }]
    );
}

#[test]
fn server_properties_make_static_broker_sources() {
    let mut b = broker();
    b.raw
        .insert("log.segment.bytes".into(), "1073741824".into());
    b.raw.insert("log.retention.hours".into(), "1".into());
    b.raw.insert("log.cleanup.policy".into(), "compact".into());
    b.log.retention_ms = 3_600_000;
    let entries = describe_topic(&b, &BTreeMap::new());
    let segment = described(&entries, "segment.bytes");
    assert_eq!(segment.source, ConfigSource::StaticBroker);
    assert_eq!(segment.synonyms.len(), 2);
    // retention.ms takes its value from log.retention.hours but reports DEFAULT_CONFIG.
    let retention = described(&entries, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("3600000"));
    assert_eq!(retention.source, ConfigSource::Default);
    assert!(retention.synonyms.is_empty());
    let cleanup = described(&entries, "cleanup.policy");
    assert_eq!(cleanup.value.as_deref(), Some("compact"));
    assert_eq!(cleanup.source, ConfigSource::StaticBroker);

    b.raw.insert("log.retention.ms".into(), "5000".into());
    b.log.retention_ms = 5000;
    let entries = describe_topic(&b, &BTreeMap::new());
    let retention = described(&entries, "retention.ms");
    assert_eq!(retention.source, ConfigSource::StaticBroker);
    let chain: Vec<_> = retention
        .synonyms
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.value.as_deref().unwrap_or(""),
                s.source.id(),
            )
        })
        .collect();
    assert_eq!(
        chain,
        vec![
            ("log.retention.ms", "5000", 4),
            ("log.retention.hours", "1", 4),
            ("log.retention.hours", "168", 5),
        ]
    );
}

#[test]
fn log_settings_set_in_code_count_as_static() {
    let mut b = broker();
    b.log.segment_bytes = 2 * 1024 * 1024;
    let entries = describe_topic(&b, &BTreeMap::new());
    let segment = described(&entries, "segment.bytes");
    assert_eq!(segment.value.as_deref(), Some("2097152"));
    assert_eq!(segment.source, ConfigSource::StaticBroker);
}

#[test]
fn overrides_come_first_in_the_chain() {
    let entries = describe_topic(
        &broker(),
        &configs(&[("cleanup.policy", "compact, delete")]),
    );
    let cleanup = described(&entries, "cleanup.policy");
    assert_eq!(cleanup.value.as_deref(), Some("compact,delete"));
    assert_eq!(cleanup.source, ConfigSource::TopicConfig);
    assert_eq!(cleanup.synonyms[0].source, ConfigSource::TopicConfig);
    assert_eq!(cleanup.synonyms[1].name, "log.cleanup.policy");
}

#[test]
fn creation_echo_walks_every_synonym() {
    let mut b = broker();
    b.raw.insert("log.retention.hours".into(), "2".into());
    let entries = creation_configs(&b, &configs(&[("cleanup.policy", "compact, delete")]));
    assert_eq!(entries.len(), TOPIC_CONFIG_COUNT);
    assert!(entries.windows(2).all(|w| w[0].name < w[1].name));
    let find = |name: &str| entries.iter().find(|e| e.name == name).expect(name);
    assert_eq!(find("retention.ms").value.as_deref(), Some("7200000"));
    assert_eq!(find("retention.ms").source, ConfigSource::StaticBroker);
    // An override is echoed exactly as given.
    assert_eq!(
        find("cleanup.policy").value.as_deref(),
        Some("compact, delete")
    );
    assert_eq!(find("cleanup.policy").source, ConfigSource::TopicConfig);
    assert_eq!(find("segment.bytes").source, ConfigSource::Default);
    assert_eq!(
        find("min.insync.replicas").source,
        ConfigSource::DynamicDefaultBroker
    );
}

#[test]
fn cluster_defaults_hold_the_static_min_insync_replicas() {
    let mut b = broker();
    b.raw.insert("min.insync.replicas".into(), " 2 ".into());
    let entries = describe_cluster_defaults(&b);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        (
            e.name.as_str(),
            e.value.as_deref(),
            e.source,
            e.config_type,
            e.read_only
        ),
        (
            "min.insync.replicas",
            Some("2"),
            ConfigSource::DynamicDefaultBroker,
            3,
            false
        )
    );
    assert_eq!(e.synonyms.len(), 1);
    let topic = describe_topic(&b, &BTreeMap::new());
    assert_eq!(
        described(&topic, "min.insync.replicas").value.as_deref(),
        Some("2")
    );
}

#[test]
fn apache_lists_topic_configs_in_its_recorded_order() {
    let mut entries = describe_topic(&broker(), &BTreeMap::new());
    apache_order(&mut entries);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names[..3],
        [
            "compression.type",
            "errors.deadletterqueue.group.enable",
            "remote.copy.lag.bytes"
        ]
    );
    assert_eq!(names[TOPIC_CONFIG_COUNT - 1], "segment.index.bytes");
}

#[test]
fn log_config_applies_overrides() {
    let log = log_config(
        &broker(),
        &configs(&[
            ("segment.bytes", "2097152"),
            ("retention.ms", "-1"),
            ("message.timestamp.type", " LogAppendTime "),
            ("cleanup.policy", "compact"),
        ]),
    )
    .expect("valid");
    assert_eq!(log.segment_bytes, 2_097_152);
    assert_eq!(log.retention_ms, -1);
    assert_eq!(log.timestamp_type, TimestampType::LogAppendTime);
    assert!(log_config(&broker(), &configs(&[("segment.ms", "x")])).is_err());
}

#[test]
fn apache_order_is_a_stable_permutation() {
    let mut a = describe_topic(&broker(), &BTreeMap::new());
    let mut b = a.clone();
    b.reverse();
    apache_order(&mut a);
    apache_order(&mut b);
    assert_eq!(a, b);
    assert_eq!(a.len(), TOPIC_CONFIG_COUNT);
}

#[test]
fn broker_resource_lists_honoured_keys() {
    let mut b = broker();
    b.raw.insert("num.partitions".into(), "3".into());
    b.raw.insert("custom.thing".into(), "x".into());
    b.raw
        .insert("ssl.keystore.password".into(), "secret".into());
    b.raw.insert(
        "listener.name.sasl_ssl.plain.sasl.jaas.config".into(),
        r#"PlainLoginModule required user_a="secret";"#.into(),
    );
    b.raw.insert(
        "ssl.keystore.key".into(),
        "-----BEGIN PRIVATE KEY-----".into(),
    );
    b.num_partitions = 3;
    let entries = describe_broker(&b);
    let partitions = described(&entries, "num.partitions");
    assert_eq!(partitions.value.as_deref(), Some("3"));
    assert_eq!(partitions.source, ConfigSource::StaticBroker);
    assert!(partitions.read_only);
    let node = described(&entries, "node.id");
    assert_eq!(node.value.as_deref(), Some("1"));
    let segment = described(&entries, "log.segment.bytes");
    assert_eq!(segment.source, ConfigSource::Default);
    assert!(!segment.read_only);
    let hours = described(&entries, "log.retention.hours");
    assert_eq!(hours.value.as_deref(), Some("168"));
    assert!(hours.read_only);
    let millis = described(&entries, "log.retention.ms");
    assert_eq!(millis.value, None);
    assert_eq!(
        described(&entries, "custom.thing").value.as_deref(),
        Some("x")
    );
    for key in [
        "ssl.keystore.password",
        "listener.name.sasl_ssl.plain.sasl.jaas.config",
        "ssl.keystore.key",
    ] {
        let secret = described(&entries, key);
        assert!(secret.is_sensitive && secret.value.is_none(), "{key}");
        assert!(secret.synonyms.iter().all(|s| s.value.is_none()), "{key}");
    }
}
