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
mod java;
mod table;

use std::collections::BTreeMap;

use super::config::BrokerConfig;
use super::log::{LogConfig, TimestampType};

pub use broker_configs::describe_broker;
pub use table::TOPIC_CONFIGS;

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

/// A value parsed by its config type.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Boolean(bool),
    Integer(i64),
    Double(f64),
    Text(String),
    List(Vec<String>),
}

impl Parsed {
    /// `ConfigDef.convertToString`.
    fn to_kafka_string(&self) -> String {
        match self {
            Parsed::Boolean(b) => b.to_string(),
            Parsed::Integer(n) => n.to_string(),
            Parsed::Double(d) => java::double_to_string(*d),
            Parsed::Text(s) => s.clone(),
            Parsed::List(items) => items.join(","),
        }
    }
}

/// `ConfigException(name, value, message)`.
fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> InvalidConfig {
    InvalidConfig(format!(
        "Invalid value {value} for configuration {name}: {message}"
    ))
}

/// `ConfigDef.parseType` then the config's validator.
fn parse(def: &TopicConfigDef, raw: &str) -> Result<Parsed, InvalidConfig> {
    let trimmed = java::trim(raw);
    let not_a_number = || {
        invalid(
            def.name,
            raw,
            &format!("Not a number of type {}", def.config_type.java_name()),
        )
    };
    let parsed = match def.config_type {
        ConfigType::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") {
                Parsed::Boolean(true)
            } else if trimmed.eq_ignore_ascii_case("false") {
                Parsed::Boolean(false)
            } else {
                return Err(invalid(
                    def.name,
                    raw,
                    "Expected value to be either true or false",
                ));
            }
        }
        ConfigType::Short => Parsed::Integer(
            java::parse_integer(trimmed, i16::MIN.into(), i16::MAX.into())
                .ok_or_else(not_a_number)?,
        ),
        ConfigType::Int => Parsed::Integer(
            java::parse_integer(trimmed, i32::MIN.into(), i32::MAX.into())
                .ok_or_else(not_a_number)?,
        ),
        ConfigType::Long => Parsed::Integer(
            java::parse_integer(trimmed, i64::MIN, i64::MAX).ok_or_else(not_a_number)?,
        ),
        ConfigType::Double => Parsed::Double(java::parse_double(trimmed).ok_or_else(not_a_number)?),
        ConfigType::List => Parsed::List(java::split_list(raw)),
        ConfigType::String | ConfigType::Class | ConfigType::Password => {
            Parsed::Text(trimmed.to_string())
        }
    };
    check(def, &parsed)?;
    Ok(parsed)
}

/// The message of a `ValidString` that failed.
fn one_of_message(valid: &[&str]) -> String {
    format!("String must be one of: {}", valid.join(", "))
}

fn check(def: &TopicConfigDef, parsed: &Parsed) -> Result<(), InvalidConfig> {
    let name = def.name;
    match (def.check, parsed) {
        (Check::AtLeast(min), Parsed::Integer(n)) if *n < min => {
            Err(invalid(name, n, &format!("Value must be at least {min}")))
        }
        (Check::Between(min, max), Parsed::Integer(n)) => {
            if *n < min {
                Err(invalid(name, n, &format!("Value must be at least {min}")))
            } else if *n > max {
                Err(invalid(
                    name,
                    n,
                    &format!("Value must be no more than {max}"),
                ))
            } else {
                Ok(())
            }
        }
        // Comparisons with NaN are false, so NaN passes, as in Java.
        (Check::Between(min, max), Parsed::Double(d)) => {
            let shown = java::double_to_string(*d);
            if *d < min as f64 {
                Err(invalid(
                    name,
                    shown,
                    &format!("Value must be at least {min}"),
                ))
            } else if *d > max as f64 {
                Err(invalid(
                    name,
                    shown,
                    &format!("Value must be no more than {max}"),
                ))
            } else {
                Ok(())
            }
        }
        (Check::GzipLevel, Parsed::Integer(n)) => {
            const BEST_SPEED: i64 = 1;
            const BEST_COMPRESSION: i64 = 9;
            const DEFAULT_LEVEL: i64 = -1;
            if *n > BEST_COMPRESSION || (*n < BEST_SPEED && *n != DEFAULT_LEVEL) {
                Err(invalid(
                    name,
                    n,
                    &format!(
                        "Value must be between {BEST_SPEED} and {BEST_COMPRESSION} or equal to {DEFAULT_LEVEL}"
                    ),
                ))
            } else {
                Ok(())
            }
        }
        (Check::OneOf(valid), Parsed::Text(s)) if !valid.contains(&s.as_str()) => {
            Err(invalid(name, s, &one_of_message(valid)))
        }
        (Check::ListOf(valid), Parsed::List(items)) => {
            match items.iter().find(|item| !valid.contains(&item.as_str())) {
                Some(item) => Err(invalid(name, item, &one_of_message(valid))),
                None => Ok(()),
            }
        }
        (Check::ThrottledReplicas, Parsed::List(items)) => {
            let is_pair = |s: &str| {
                s.is_empty()
                    || s.split_once(':').is_some_and(|(p, b)| {
                        !p.is_empty()
                            && !b.is_empty()
                            && p.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                    })
            };
            let trimmed: Vec<&str> = items.iter().map(|s| java::trim(s)).collect();
            if trimmed.iter().all(|s| is_pair(s)) || trimmed.concat() == "*" {
                Ok(())
            } else {
                Err(invalid(
                    name,
                    format!("[{}]", items.join(", ")),
                    &format!(
                        "{name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
                    ),
                ))
            }
        }
        _ => Ok(()),
    }
}

/// A value as Kafka reports it after parsing (`ConfigDef.convertToString(parse(value))`):
/// trimmed, `1` for a DOUBLE becomes `1.0`, list spacing removed, booleans lower-cased.
pub fn normalize(def: &TopicConfigDef, raw: &str) -> Result<String, InvalidConfig> {
    parse(def, raw).map(|p| p.to_kafka_string())
}

/// Refuses a value longer than Kafka can store.
pub fn check_value_size(value: &str) -> Result<(), InvalidConfig> {
    if value.len() > MAX_VALUE_LENGTH && value.encode_utf16().count() > MAX_VALUE_LENGTH {
        return Err(InvalidConfig(format!(
            "The configuration value cannot be added because it exceeds the maximum value size of {MAX_VALUE_LENGTH} bytes."
        )));
    }
    Ok(())
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

/// The broker's default for a topic config (Kafka's `extractLogConfigMap`): the effective log
/// settings for the keys the log honours, else the first broker synonym set in
/// `server.properties`, else the topic default.
pub fn broker_default(broker: &BrokerConfig, def: &TopicConfigDef) -> String {
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

/// Puts entries in the order Apache's broker lists them (a Scala hash map's order).
pub fn apache_order(entries: &mut [DescribedConfig]) {
    let mut names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    java::scala_hash_map_order(&mut names);
    let position = |name: &str| names.iter().position(|n| n == name).unwrap_or(usize::MAX);
    entries.sort_by_key(|e| position(&e.name));
}

/// The broker-side synonym chain of a synonym group (Kafka's `ConfigHelper.configSynonyms`):
/// where each is set in `server.properties`, then each built-in default, then every leading
/// entry not named `describing` dropped (Kafka's "drop listener overrides" step, which also
/// empties the chain of `retention.ms` when only `log.retention.hours` is set).
fn synonym_chain(
    statics: &BTreeMap<String, String>,
    synonyms: &[(&str, Option<&str>)],
    describing: &str,
) -> Vec<DescribedSynonym> {
    let set = synonyms.iter().filter_map(|(name, _)| {
        statics.get(*name).map(|value| DescribedSynonym {
            name: name.to_string(),
            value: Some(value.clone()),
            source: ConfigSource::StaticBroker,
        })
    });
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
    let statics = static_broker_configs(broker);
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
            let mut chain = synonym_chain(&statics, &synonyms, first);
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
/// given, else the first synonym set in `server.properties` (converted to the topic's unit),
/// else the topic default.
pub fn creation_configs(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreationConfig> {
    let statics = static_broker_configs(broker);
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
            def.synonyms
                .iter()
                .find_map(|s| {
                    statics.get(s.name).map(|raw| CreationConfig {
                        name: def.name,
                        value: Some(s.unit.convert(raw)),
                        source: ConfigSource::StaticBroker,
                    })
                })
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

#[cfg(test)]
mod tests;
