//! Topic-level configs: the names Kafka 4.x knows, their types, defaults and validation (with
//! Kafka's exact messages), how a topic's overrides combine with the broker's settings into a
//! [`LogConfig`], and the entries `DescribeConfigs` and `CreateTopics` report (values, sources,
//! synonyms, types). Owns nothing on disk and never sees protocol structs.
//!
//! Two Apache code paths report topic configs, and they differ; both are reproduced:
//! - `DescribeConfigs` ([`describe_topic`]) reports the broker synonym chain and keeps Apache's
//!   quirk that a chain whose first synonym is unset (e.g. `log.retention.ms` when only
//!   `log.retention.hours` is set) reports DEFAULT_CONFIG with no synonyms;
//! - `CreateTopics` v5+ ([`creation_configs`]) walks every synonym, so `log.retention.hours`
//!   there reports STATIC_BROKER_CONFIG with the value converted to milliseconds.

mod broker_configs;
mod describe;
mod java;
mod table;
mod values;

use std::collections::BTreeMap;

use super::config::BrokerConfig;
use super::log::{LogConfig, TimestampType};

pub use broker_configs::{describe_broker, describe_cluster_defaults};
pub use describe::{
    apache_order, creation_configs, describe_topic, CreationConfig, DescribedConfig,
    DescribedSynonym,
};
pub use table::TOPIC_CONFIGS;
pub use values::{check_value_size, normalize};

use values::{parse, Parsed};

/// The longest config value Kafka stores (`Short.MAX_VALUE`, counted in UTF-16 units).
pub const MAX_VALUE_LENGTH: usize = 32_767;

/// `ConfigDef.Type`, with the ids `DescribeConfigs` v3+ sends as `config_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The `config_type` id in `DescribeConfigs` responses.
    pub fn id(self) -> i8 {
        match self {
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Short => 4,
            ConfigType::Long => 5,
            ConfigType::Double => 6,
            ConfigType::List => 7,
            ConfigType::Class => 8,
            ConfigType::Password => 9,
        }
    }

    /// The name Kafka prints in "Not a number of type ...".
    fn java_name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// The `config_type` id for a config whose type is unknown.
pub const UNKNOWN_CONFIG_TYPE: i8 = 0;

/// Where an effective config value comes from (`DescribeConfigsResponse.ConfigSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// A topic override (`DYNAMIC_TOPIC_CONFIG`).
    TopicConfig,
    /// A dynamic cluster-wide broker default.
    DynamicDefaultBroker,
    /// `server.properties` (or `--override`).
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    /// A broker logger's level.
    DynamicBrokerLogger,
}

impl ConfigSource {
    pub fn id(self) -> i8 {
        match self {
            ConfigSource::TopicConfig => 1,
            ConfigSource::DynamicDefaultBroker => 3,
            ConfigSource::StaticBroker => 4,
            ConfigSource::Default => 5,
            ConfigSource::DynamicBrokerLogger => 6,
        }
    }
}

/// How a broker synonym's value converts to the topic config's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Same,
    Minutes,
    Hours,
}

/// A broker config that supplies a topic config's default.
#[derive(Debug)]
pub struct Synonym {
    pub name: &'static str,
    pub unit: Unit,
    /// The broker config's own default, in its own unit (`None`: no default).
    pub default: Option<&'static str>,
}

/// A value check, with the message Kafka's validator gives.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    Unchecked,
    /// `Range.atLeast`.
    AtLeast(i64),
    /// `Range.between` (inclusive).
    Between(i64, i64),
    /// Gzip: 1..=9 or -1.
    GzipLevel,
    /// `ValidString.in`.
    OneOf(&'static [&'static str]),
    /// `ValidList.in`: every element must be one of these.
    ListOf(&'static [&'static str]),
    /// `ThrottledReplicaListValidator`.
    ThrottledReplicas,
}

/// One topic config.
#[derive(Debug)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub config_type: ConfigType,
    /// The topic-level default, as Kafka prints it.
    pub default: &'static str,
    pub check: Check,
    /// Broker configs that supply the default, in precedence order.
    pub synonyms: &'static [Synonym],
    pub documentation: &'static str,
}

/// A topic config refused by validation, with Kafka's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidConfig(pub String);

/// The topic config called `name`, if Kafka knows it.
pub fn find(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|def| def.name == name)
}

/// Whether `name` is a LIST config (the only kind APPEND and SUBTRACT work on).
pub fn is_list(name: &str) -> bool {
    find(name).is_some_and(|def| def.config_type == ConfigType::List)
}

/// Validates a topic's complete override set as Kafka's controller does (`LogConfig.validate`):
/// unknown names, then each value in definition order, then the cross-config rules.
pub fn validate(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Result<(), InvalidConfig> {
    if let Some(unknown) = overrides.keys().find(|name| find(name).is_none()) {
        return Err(InvalidConfig(format!(
            "Unknown topic config name: {unknown}"
        )));
    }
    for def in TOPIC_CONFIGS {
        if let Some(value) = overrides.get(def.name) {
            parse(def, value)?;
        }
    }
    let min_lag = effective_integer(broker, overrides, "min.compaction.lag.ms");
    let max_lag = effective_integer(broker, overrides, "max.compaction.lag.ms");
    if min_lag > max_lag {
        return Err(InvalidConfig(format!(
            "conflict topic config setting min.compaction.lag.ms ({min_lag}) > max.compaction.lag.ms ({max_lag})"
        )));
    }
    if effective_value(broker, overrides, "remote.storage.enable") == "true" {
        // This broker has no tiered storage, like Apache with remote.log.storage.system.enable=false.
        return Err(InvalidConfig(
            "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."
                .to_string(),
        ));
    }
    Ok(())
}

/// The effective value of a known topic config (override, else broker default), as printed.
fn effective_value(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
    name: &str,
) -> String {
    let Some(def) = find(name) else {
        return String::new();
    };
    overrides
        .get(name)
        .and_then(|raw| normalize(def, raw).ok())
        .unwrap_or_else(|| broker_default(broker, def))
}

fn effective_integer(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
    name: &str,
) -> i64 {
    effective_value(broker, overrides, name)
        .parse()
        .unwrap_or_default()
}

/// The LogConfig field behind a topic config, as Kafka prints it.
fn log_field(log: &LogConfig, name: &str) -> Option<String> {
    Some(match name {
        "segment.bytes" => log.segment_bytes.to_string(),
        "segment.ms" => log.segment_ms.to_string(),
        "retention.ms" => log.retention_ms.to_string(),
        "retention.bytes" => log.retention_bytes.to_string(),
        "index.interval.bytes" => log.index_interval_bytes.to_string(),
        "segment.index.bytes" => log.segment_index_bytes.to_string(),
        "max.message.bytes" => log.max_message_bytes.to_string(),
        "message.timestamp.type" => match log.timestamp_type {
            TimestampType::CreateTime => "CreateTime".to_string(),
            TimestampType::LogAppendTime => "LogAppendTime".to_string(),
        },
        "message.timestamp.before.max.ms" => log.timestamp_before_max_ms.to_string(),
        "message.timestamp.after.max.ms" => log.timestamp_after_max_ms.to_string(),
        _ => return None,
    })
}

const MILLIS_PER_MINUTE: i64 = 60 * 1000;
const MILLIS_PER_HOUR: i64 = 60 * MILLIS_PER_MINUTE;

impl Unit {
    /// Kafka's `ConfigSynonym` converter: the value in the topic config's unit. An unparsable
    /// hour or minute count converts as 0, as Kafka's does.
    fn convert(self, raw: &str) -> String {
        let factor = match self {
            Unit::Same => return raw.to_string(),
            Unit::Minutes => MILLIS_PER_MINUTE,
            Unit::Hours => MILLIS_PER_HOUR,
        };
        let count = java::parse_integer(java::trim(raw), i32::MIN.into(), i32::MAX.into())
            .unwrap_or_default();
        count.saturating_mul(factor).to_string()
    }
}

/// The broker's default for a topic config (Kafka's `extractLogConfigMap`): a dynamic cluster
/// default, else the effective log settings for the keys the log honours, else the first
/// broker synonym set in `server.properties`, else the topic default.
pub fn broker_default(broker: &BrokerConfig, def: &TopicConfigDef) -> String {
    let dynamic = dynamic_cluster_defaults(broker);
    if let Some(value) = def.synonyms.iter().find_map(|s| dynamic.get(s.name)) {
        return value.clone();
    }
    if let Some(value) = log_field(&broker.log, def.name) {
        return value;
    }
    def.synonyms
        .iter()
        .find_map(|synonym| {
            let raw = broker.raw.get(synonym.name)?;
            normalize(def, &synonym.unit.convert(raw)).ok()
        })
        .unwrap_or_else(|| def.default.to_string())
}

/// The broker's dynamic cluster-wide defaults. Kafka 4.1+ formats new clusters with Eligible
/// Leader Replicas enabled, and its controller then stores a cluster-level
/// `min.insync.replicas` holding the statically configured value; Apache therefore reports that
/// config with source DYNAMIC_DEFAULT_BROKER_CONFIG, and so does this broker. There are no
/// others: this broker updates no config dynamically.
pub(crate) fn dynamic_cluster_defaults(broker: &BrokerConfig) -> BTreeMap<String, String> {
    const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";
    let value = find(MIN_INSYNC_REPLICAS)
        .and_then(|def| {
            let raw = broker.raw.get(MIN_INSYNC_REPLICAS)?;
            normalize(def, raw).ok()
        })
        .unwrap_or_else(|| "1".to_string());
    BTreeMap::from([(MIN_INSYNC_REPLICAS.to_string(), value)])
}

/// What the broker reports as set in `server.properties`: the keys as given, plus the log
/// settings that differ from Kafka's defaults without a key saying so (a broker configured in
/// code, as tests do), under the first synonym's name.
pub(crate) fn static_broker_configs(broker: &BrokerConfig) -> BTreeMap<String, String> {
    let mut statics = broker.raw.clone();
    let kafka_defaults = LogConfig::default();
    for def in TOPIC_CONFIGS {
        let (Some(value), Some(default)) = (
            log_field(&broker.log, def.name),
            log_field(&kafka_defaults, def.name),
        ) else {
            continue;
        };
        let named = def.synonyms.iter().any(|s| statics.contains_key(s.name));
        if value != default && !named {
            if let Some(first) = def.synonyms.first() {
                statics.insert(first.name.to_string(), value);
            }
        }
    }
    broker_configs::add_implicit_statics(broker, &mut statics);
    statics
}

/// Computes a topic's effective log settings: its overrides over the broker's defaults.
/// Unknown names are ignored here (they are refused by [`validate`] before they are stored).
pub fn log_config(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Result<LogConfig, InvalidConfig> {
    let mut log = broker.log.clone();
    for (key, value) in overrides {
        let Some(def) = find(key) else {
            continue;
        };
        let parsed = parse(def, value)?;
        let number = match &parsed {
            Parsed::Integer(n) => *n,
            _ => 0,
        };
        // Validation bounds every field below to be non-negative where the type is unsigned.
        let unsigned = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        match key.as_str() {
            "segment.bytes" => log.segment_bytes = u64::from(unsigned(number)),
            "segment.ms" => log.segment_ms = number,
            "retention.ms" => log.retention_ms = number,
            "retention.bytes" => log.retention_bytes = number,
            "index.interval.bytes" => log.index_interval_bytes = unsigned(number),
            "segment.index.bytes" => log.segment_index_bytes = unsigned(number),
            "max.message.bytes" => log.max_message_bytes = unsigned(number),
            "message.timestamp.before.max.ms" => log.timestamp_before_max_ms = number,
            "message.timestamp.after.max.ms" => log.timestamp_after_max_ms = number,
            "message.timestamp.type" => {
                log.timestamp_type = if parsed == Parsed::Text("LogAppendTime".into()) {
                    TimestampType::LogAppendTime
                } else {
                    TimestampType::CreateTime
                }
            }
            _ => {}
        }
    }
    Ok(log)
}

#[cfg(test)]
mod tests;
