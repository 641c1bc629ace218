//! The config entries Apache reports for a topic (`DescribeConfigs`, with sources and synonym
//! chains) and for a new topic (`CreateTopics` v5+), and the order Apache lists them in.

use std::collections::BTreeMap;

use super::{
    broker_default, dynamic_cluster_defaults, normalize, static_broker_configs, ConfigSource,
    TOPIC_CONFIGS,
};
use crate::broker::config::BrokerConfig;

/// One synonym in a described config's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// One `DescribeConfigs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedConfig {
    pub name: String,
    /// `None` for sensitive configs and for configs without a value.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub read_only: bool,
    pub is_sensitive: bool,
    /// Every synonym (sent only when the client asks for synonyms).
    pub synonyms: Vec<DescribedSynonym>,
    /// `config_type` id (v3+).
    pub config_type: i8,
    pub documentation: Option<&'static str>,
}

/// The order Apache 4.x lists a topic's configs in (the iteration order of the Java hash map
/// its broker builds them in, recorded from Apache Kafka 4.4; ties within a hash bucket follow
/// insertion order there, so the order is recorded rather than computed).
const APACHE_TOPIC_ORDER: &[&str] = &[
    "compression.type",
    "errors.deadletterqueue.group.enable",
    "remote.copy.lag.bytes",
    "remote.log.delete.on.disable",
    "leader.replication.throttled.replicas",
    "remote.storage.enable",
    "min.insync.replicas",
    "segment.jitter.ms",
    "remote.log.copy.disable",
    "local.retention.ms",
    "cleanup.policy",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "compression.lz4.level",
    "segment.bytes",
    "retention.ms",
    "compression.gzip.level",
    "remote.copy.lag.ms",
    "flush.messages",
    "compression.zstd.level",
    "max.compaction.lag.ms",
    "file.delete.delay.ms",
    "max.message.bytes",
    "min.compaction.lag.ms",
    "message.timestamp.type",
    "local.retention.bytes",
    "preallocate",
    "index.interval.bytes",
    "min.cleanable.dirty.ratio",
    "unclean.leader.election.enable",
    "retention.bytes",
    "delete.retention.ms",
    "message.timestamp.after.max.ms",
    "max.decompressed.message.bytes",
    "message.timestamp.before.max.ms",
    "segment.ms",
    "segment.index.bytes",
];

/// Puts entries in the order Apache's broker lists them: topic configs in the recorded order,
/// anything else after them in the order of a Java hash map holding them.
pub fn apache_order(entries: &mut [DescribedConfig]) {
    let mut others: Vec<String> = entries
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| !APACHE_TOPIC_ORDER.contains(&n.as_str()))
        .collect();
    super::java::java_hash_map_order(&mut others);
    let position = |name: &str| {
        APACHE_TOPIC_ORDER
            .iter()
            .position(|n| *n == name)
            .or_else(|| {
                others
                    .iter()
                    .position(|n| n == name)
                    .map(|p| p + APACHE_TOPIC_ORDER.len())
            })
            .unwrap_or(usize::MAX)
    };
    entries.sort_by_key(|e| position(&e.name));
}

/// Where the broker-level values of configs come from, beside Kafka's built-in defaults.
pub(super) struct BrokerSources {
    /// Dynamic cluster-wide defaults.
    pub dynamic: BTreeMap<String, String>,
    /// `server.properties` (as reported; see `static_broker_configs`).
    pub statics: BTreeMap<String, String>,
}

impl BrokerSources {
    pub fn of(broker: &BrokerConfig) -> Self {
        BrokerSources {
            dynamic: dynamic_cluster_defaults(broker),
            statics: static_broker_configs(broker),
        }
    }
}

/// The broker-side synonym chain of a synonym group (Kafka's `ConfigHelper.configSynonyms`):
/// where each is set as a dynamic cluster default, then in `server.properties`, then each
/// built-in default, then every leading entry not named `describing` dropped (Kafka's "drop
/// listener overrides" step, which also empties the chain of `retention.ms` when only
/// `log.retention.hours` is set).
pub(super) fn synonym_chain(
    sources: &BrokerSources,
    synonyms: &[(&str, Option<&str>)],
    describing: &str,
) -> Vec<DescribedSynonym> {
    let set_in = |map: &BTreeMap<String, String>, source: ConfigSource| {
        synonyms
            .iter()
            .filter_map(|(name, _)| {
                map.get(*name).map(|value| DescribedSynonym {
                    name: name.to_string(),
                    value: Some(value.clone()),
                    source,
                })
            })
            .collect::<Vec<_>>()
    };
    let set = set_in(&sources.dynamic, ConfigSource::DynamicDefaultBroker)
        .into_iter()
        .chain(set_in(&sources.statics, ConfigSource::StaticBroker));
    let defaults = synonyms.iter().filter_map(|(name, default)| {
        default.map(|value| DescribedSynonym {
            name: name.to_string(),
            value: Some(value.to_string()),
            source: ConfigSource::Default,
        })
    });
    set.chain(defaults)
        .skip_while(|s| s.name != describing)
        .collect()
}

/// Every topic config of a topic with `overrides`, as `DescribeConfigs` reports it (unordered;
/// see [`apache_order`]).
pub fn describe_topic(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Vec<DescribedConfig> {
    let sources = BrokerSources::of(broker);
    TOPIC_CONFIGS
        .iter()
        .map(|def| {
            let value = match overrides.get(def.name) {
                Some(raw) => normalize(def, raw).unwrap_or_else(|_| raw.clone()),
                None => broker_default(broker, def),
            };
            let synonyms: Vec<(&str, Option<&str>)> =
                def.synonyms.iter().map(|s| (s.name, s.default)).collect();
            let first = synonyms.first().map_or("", |(name, _)| *name);
            let mut chain = synonym_chain(&sources, &synonyms, first);
            if overrides.contains_key(def.name) {
                chain.insert(
                    0,
                    DescribedSynonym {
                        name: def.name.to_string(),
                        value: Some(value.clone()),
                        source: ConfigSource::TopicConfig,
                    },
                );
            }
            DescribedConfig {
                name: def.name.to_string(),
                value: Some(value),
                source: chain.first().map_or(ConfigSource::Default, |s| s.source),
                read_only: false,
                is_sensitive: false,
                synonyms: chain,
                config_type: def.config_type.id(),
                documentation: Some(def.documentation),
            }
        })
        .collect()
}

/// One entry of a `CreateTopics` v5+ result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationConfig {
    pub name: &'static str,
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// The effective configs of a topic created with `overrides`, sorted by name, as Kafka's
/// controller reports them (`KafkaConfigSchema.resolveEffectiveTopicConfigs`): an override as
/// given, else the first synonym set as a dynamic cluster default, else the first set in
/// `server.properties` (converted to the topic's unit), else the topic default.
pub fn creation_configs(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreationConfig> {
    let sources = BrokerSources::of(broker);
    let mut entries: Vec<CreationConfig> = TOPIC_CONFIGS
        .iter()
        .map(|def| {
            if let Some(value) = overrides.get(def.name) {
                return CreationConfig {
                    name: def.name,
                    value: Some(value.clone()),
                    source: ConfigSource::TopicConfig,
                };
            }
            let set_in = |map: &BTreeMap<String, String>, source: ConfigSource| {
                def.synonyms.iter().find_map(|s| {
                    map.get(s.name).map(|raw| CreationConfig {
                        name: def.name,
                        value: Some(s.unit.convert(raw)),
                        source,
                    })
                })
            };
            set_in(&sources.dynamic, ConfigSource::DynamicDefaultBroker)
                .or_else(|| set_in(&sources.statics, ConfigSource::StaticBroker))
                .unwrap_or(CreationConfig {
                    name: def.name,
                    value: Some(def.default.to_string()),
                    source: ConfigSource::Default,
                })
        })
        .collect();
    entries.sort_by_key(|e| e.name);
    entries
}
