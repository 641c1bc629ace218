//! The BROKER resource of `DescribeConfigs`: the broker configs this broker honours (its core
//! settings and every broker-level synonym of a topic config), with their effective values,
//! sources and synonym chains as Apache's `ConfigHelper` reports them, plus every other key given
//! in `server.properties`; and the cluster-wide dynamic defaults (resource name ""). Read-only:
//! this broker changes no broker config at run time.

use std::collections::BTreeMap;

use super::describe::{synonym_chain, BrokerSources};
use super::{ConfigSource, ConfigType, DescribedConfig, TOPIC_CONFIGS};
use crate::broker::config::{BrokerConfig, Listener};

/// What `process.roles` means for this broker: it is its own controller.
const PROCESS_ROLES: &str = "broker,controller";

/// One core broker config: type, Kafka default and how to read its value from [`BrokerConfig`].
struct CoreConfig {
    name: &'static str,
    config_type: ConfigType,
    /// Kafka's built-in default (`None`: the key has none, e.g. it is required).
    default: Option<&'static str>,
    /// Whether Kafka can update it at run time (reported as `read_only: false`).
    dynamic: bool,
    /// `None`: the broker has no value (as Kafka when the key is not set).
    value: fn(&BrokerConfig) -> Option<String>,
    documentation: &'static str,
}

fn listeners(list: &[Listener]) -> String {
    list.iter()
        .map(|l| format!("{}://{}:{}", l.name, l.host, l.port))
        .collect::<Vec<_>>()
        .join(",")
}

static CORE_CONFIGS: &[CoreConfig] = &[
    CoreConfig {
        name: "node.id",
        config_type: ConfigType::Int,
        default: None,
        dynamic: false,
        value: |b| Some(b.node_id.to_string()),
        documentation: "The id of this node.",
    },
    CoreConfig {
        name: "broker.id",
        config_type: ConfigType::Int,
        default: Some("-1"),
        dynamic: false,
        value: |b| Some(b.node_id.to_string()),
        documentation: "The id of this broker (the same as node.id).",
    },
    CoreConfig {
        name: "process.roles",
        config_type: ConfigType::List,
        default: None,
        dynamic: false,
        value: |_| Some(PROCESS_ROLES.to_string()),
        documentation: "The roles this node plays; this broker is always its own controller.",
    },
    CoreConfig {
        name: "listeners",
        config_type: ConfigType::List,
        default: Some("PLAINTEXT://:9092"),
        dynamic: true,
        value: |b| Some(listeners(&b.listeners)),
        documentation: "The addresses the broker listens on.",
    },
    CoreConfig {
        name: "advertised.listeners",
        config_type: ConfigType::List,
        default: None,
        dynamic: false,
        value: |b| {
            b.raw
                .contains_key("advertised.listeners")
                .then(|| listeners(&b.advertised_listeners))
        },
        documentation: "The addresses clients are told to connect to (the listeners when unset).",
    },
    CoreConfig {
        name: "log.dirs",
        config_type: ConfigType::List,
        default: None,
        dynamic: false,
        value: |b| Some(b.log_dir.display().to_string()),
        documentation: "The directories that hold the log data.",
    },
    CoreConfig {
        name: "num.partitions",
        config_type: ConfigType::Int,
        default: Some("1"),
        dynamic: false,
        value: |b| Some(b.num_partitions.to_string()),
        documentation: "The partition count of topics created without one.",
    },
    CoreConfig {
        name: "default.replication.factor",
        config_type: ConfigType::Int,
        default: Some("1"),
        dynamic: false,
        value: |b| Some(b.default_replication_factor.to_string()),
        documentation: "The replication factor of topics created without one.",
    },
    CoreConfig {
        name: "auto.create.topics.enable",
        config_type: ConfigType::Boolean,
        default: Some("true"),
        dynamic: false,
        value: |b| Some(b.auto_create_topics_enable.to_string()),
        documentation: "Whether a Metadata request for an unknown topic creates it.",
    },
    CoreConfig {
        name: "delete.topic.enable",
        config_type: ConfigType::Boolean,
        default: Some("true"),
        dynamic: false,
        value: |b| Some(b.delete_topic_enable.to_string()),
        documentation: "Whether topics may be deleted.",
    },
    CoreConfig {
        name: "log.retention.check.interval.ms",
        config_type: ConfigType::Long,
        default: Some("300000"),
        dynamic: false,
        value: |b| Some(b.log_retention_check_interval_ms.to_string()),
        documentation: "How often retention runs.",
    },
    CoreConfig {
        name: "socket.request.max.bytes",
        config_type: ConfigType::Int,
        default: Some("104857600"),
        dynamic: false,
        value: |b| Some(b.socket_request_max_bytes.to_string()),
        documentation: "The largest request the broker accepts.",
    },
    CoreConfig {
        name: "group.initial.rebalance.delay.ms",
        config_type: ConfigType::Int,
        default: Some("3000"),
        dynamic: false,
        value: |b| Some(b.group_initial_rebalance_delay_ms.to_string()),
        documentation: "How long a new group waits for more members before its first rebalance.",
    },
    CoreConfig {
        name: "offsets.topic.replication.factor",
        config_type: ConfigType::Short,
        default: Some("3"),
        dynamic: false,
        value: |b| Some(b.offsets_topic_replication_factor.to_string()),
        documentation:
            "The replication factor of the offsets topic (one replica on a single node).",
    },
    CoreConfig {
        name: "offsets.topic.num.partitions",
        config_type: ConfigType::Int,
        default: Some("50"),
        dynamic: false,
        value: |b| Some(b.offsets_topic_num_partitions.to_string()),
        documentation: "The partition count of the offsets topic.",
    },
];

/// Adds core settings that differ from Kafka's defaults without a key saying so (a broker
/// configured in code) to the map of what `server.properties` set.
pub(super) fn add_implicit_statics(broker: &BrokerConfig, statics: &mut BTreeMap<String, String>) {
    let log_dir_given = statics.contains_key("log.dirs") || statics.contains_key("log.dir");
    for core in CORE_CONFIGS {
        if statics.contains_key(core.name) || (core.name == "log.dirs" && log_dir_given) {
            continue;
        }
        if let Some(value) = (core.value)(broker) {
            if core.default != Some(value.as_str()) {
                statics.insert(core.name.to_string(), value);
            }
        }
    }
}

/// Parts of key names whose values are secrets (Kafka's PASSWORD-typed security keys).
const SECRET_KEY_PARTS: [&str; 3] = ["password", "sasl.jaas.config", "ssl.keystore.key"];

/// Kafka's `DynamicBrokerConfig.brokerConfigSynonyms`: the group a broker config belongs to.
fn synonym_group(name: &str) -> Vec<(&'static str, Option<&'static str>)> {
    TOPIC_CONFIGS
        .iter()
        .find(|def| def.synonyms.iter().any(|s| s.name == name))
        .map(|def| def.synonyms.iter().map(|s| (s.name, s.default)).collect())
        .unwrap_or_default()
}

/// One broker-level entry, its synonym chain computed as Kafka does when describing `name`.
fn entry(
    sources: &BrokerSources,
    name: &str,
    value: Option<String>,
    default: Option<&'static str>,
    config_type: Option<ConfigType>,
    read_only: bool,
    documentation: Option<&'static str>,
) -> DescribedConfig {
    let mut group = synonym_group(name);
    if group.is_empty() {
        group.push((name, default));
    }
    let mut chain = synonym_chain(sources, &group, name);
    let is_sensitive = match config_type {
        Some(t) => t == ConfigType::Password,
        // Kafka treats a key of unknown type as possibly sensitive; this broker only hides
        // what plainly is a secret (passwords, JAAS configs with their user entries, inline
        // private keys), so that other `server.properties` keys stay readable.
        None => SECRET_KEY_PARTS.iter().any(|part| name.contains(part)),
    };
    if is_sensitive {
        // The synonyms carry the same value.
        for synonym in &mut chain {
            synonym.value = None;
        }
    }
    DescribedConfig {
        name: name.to_string(),
        value: if is_sensitive { None } else { value },
        source: chain.first().map_or(ConfigSource::Default, |s| s.source),
        read_only,
        is_sensitive,
        synonyms: chain,
        config_type: config_type.map_or(super::UNKNOWN_CONFIG_TYPE, ConfigType::id),
        documentation,
    }
}

/// The type and documentation of the broker-level synonym `name` of a topic config.
fn synonym_details(name: &str) -> Option<(ConfigType, &'static str)> {
    TOPIC_CONFIGS.iter().find_map(|def| {
        let synonym = def.synonyms.iter().find(|s| s.name == name)?;
        let config_type = if synonym.unit == super::Unit::Same {
            def.config_type
        } else {
            ConfigType::Int
        };
        Some((config_type, def.documentation))
    })
}

/// The cluster-wide dynamic defaults, as `DescribeConfigs` on the BROKER resource "" lists them.
pub fn describe_cluster_defaults(broker: &BrokerConfig) -> Vec<DescribedConfig> {
    let sources = BrokerSources::of(broker);
    sources
        .dynamic
        .iter()
        .map(|(name, value)| {
            let details = synonym_details(name);
            let mut described = entry(
                &sources,
                name,
                Some(value.clone()),
                None,
                details.map(|d| d.0),
                false,
                details.map(|d| d.1),
            );
            // Describing cluster defaults, Kafka keeps only the dynamic cluster-level synonyms.
            described
                .synonyms
                .retain(|s| s.source == ConfigSource::DynamicDefaultBroker);
            described
        })
        .collect()
}

/// Every broker config of this broker, as `DescribeConfigs` on its BROKER resource reports it
/// (unordered; see [`super::apache_order`]).
pub fn describe_broker(broker: &BrokerConfig) -> Vec<DescribedConfig> {
    let sources = BrokerSources::of(broker);
    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for core in CORE_CONFIGS {
        seen.insert(core.name.to_string());
        entries.push(entry(
            &sources,
            core.name,
            (core.value)(broker),
            core.default,
            Some(core.config_type),
            !core.dynamic,
            Some(core.documentation),
        ));
    }
    for def in TOPIC_CONFIGS {
        for (position, synonym) in def.synonyms.iter().enumerate() {
            if !seen.insert(synonym.name.to_string()) {
                continue;
            }
            let config_type = if synonym.unit == super::Unit::Same {
                def.config_type
            } else {
                ConfigType::Int
            };
            let value = sources
                .dynamic
                .get(synonym.name)
                .or_else(|| sources.statics.get(synonym.name))
                .map(|v| super::java::trim(v).to_string())
                .or_else(|| synonym.default.map(str::to_string));
            // Kafka updates the first synonym of each topic config dynamically; the others are
            // read-only. This broker updates none, but reports Kafka's flags.
            entries.push(entry(
                &sources,
                synonym.name,
                value,
                synonym.default,
                Some(config_type),
                position > 0,
                Some(def.documentation),
            ));
        }
    }
    for (name, value) in &broker.raw {
        if seen.insert(name.clone()) {
            entries.push(entry(
                &sources,
                name,
                Some(value.clone()),
                None,
                None,
                true,
                None,
            ));
        }
    }
    entries
}
