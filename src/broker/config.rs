//! The broker's configuration: `server.properties` keys with Kafka's names, defaults, precedence
//! rules and validation messages, after `--override key=value` has been applied by the caller.
//! Owns interpretation of the key/value map; must not open sockets or read files (the caller
//! loads the properties file with [`crate::protocol::properties`]).
//!
//! Keys fall in three groups: honoured (listed in [`HONOURED`]), Kafka keys that do not matter to
//! a single node and are accepted silently ([`known_keys`]), and unknown keys, which are accepted
//! with a warning so a typo does not go unnoticed.

mod known_keys;
pub mod listeners;
mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use listeners::{parse_endpoint, parse_listeners, Listener};

use super::limits::ConnectionLimits;
use super::log::{LogConfig, TimestampType};
use crate::{Error, Result};
use values::{invalid, Values};

/// The default listener when none is configured.
pub const DEFAULT_LISTENER: &str = "PLAINTEXT://localhost:9092";
/// Kafka's built-in `log.dirs` default.
pub const DEFAULT_LOG_DIR: &str = "/tmp/kafka-logs";
/// The node id used when neither `node.id` nor `broker.id` is given (that of the stock file).
pub const DEFAULT_NODE_ID: i32 = 1;

const MS_PER_MINUTE: i64 = 60 * 1000;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
/// Kafka's default `log.retention.hours` and `log.roll.hours`.
const DEFAULT_HOURS: i32 = 7 * 24;
/// Kafka 4.x's lower bound for `log.segment.bytes` (KIP-1030).
const MIN_SEGMENT_BYTES: i32 = 1024 * 1024;
/// Kafka's lower bound for `log.index.size.max.bytes`: one index entry.
const MIN_INDEX_BYTES: i32 = 4;

/// Keys this module reads and acts on.
pub const HONOURED: &[&str] = &[
    "node.id",
    "broker.id",
    "process.roles",
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
    "controller.listener.names",
    "log.dirs",
    "log.dir",
    "num.partitions",
    "default.replication.factor",
    "auto.create.topics.enable",
    "delete.topic.enable",
    "log.segment.bytes",
    "log.roll.ms",
    "log.segment.ms",
    "log.roll.hours",
    "log.retention.ms",
    "log.retention.minutes",
    "log.retention.hours",
    "log.retention.bytes",
    "log.retention.check.interval.ms",
    "log.cleanup.policy",
    "log.index.interval.bytes",
    "log.index.size.max.bytes",
    "socket.request.max.bytes",
    "max.connections",
    "max.connections.per.ip",
    "connections.max.idle.ms",
    "message.max.bytes",
    "log.message.timestamp.type",
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms",
    "compression.type",
    "group.initial.rebalance.delay.ms",
    "group.min.session.timeout.ms",
    "group.max.session.timeout.ms",
    "group.max.size",
    "offset.metadata.max.bytes",
    "offsets.retention.minutes",
    "offsets.retention.check.interval.ms",
    "offsets.topic.replication.factor",
    "offsets.topic.num.partitions",
];

/// Effective broker settings.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// `node.id` / `broker.id`.
    pub node_id: i32,
    /// `listeners`.
    pub listeners: Vec<Listener>,
    /// `advertised.listeners` (defaults to `listeners`).
    pub advertised_listeners: Vec<Listener>,
    /// `log.dirs` / `log.dir` (the first entry holds the data).
    pub log_dir: PathBuf,
    /// `num.partitions`.
    pub num_partitions: i32,
    /// `default.replication.factor`.
    pub default_replication_factor: i16,
    /// `auto.create.topics.enable`.
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable`.
    pub delete_topic_enable: bool,
    /// Broker-level log defaults (`log.segment.bytes`, `log.retention.*`, `message.max.bytes`, ...).
    pub log: LogConfig,
    /// `log.retention.check.interval.ms`.
    pub log_retention_check_interval_ms: u64,
    /// `socket.request.max.bytes`.
    pub socket_request_max_bytes: usize,
    /// `max.connections`, `max.connections.per.ip`, `connections.max.idle.ms`.
    pub limits: ConnectionLimits,
    /// `group.initial.rebalance.delay.ms`.
    pub group_initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms` and `group.max.session.timeout.ms`: the session timeouts
    /// a JoinGroup may ask for (tests lower the minimum to expire members quickly).
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
    /// `group.max.size`.
    pub group_max_size: i32,
    /// `offset.metadata.max.bytes` (counted in UTF-16 units, as Java's `String.length`).
    pub offset_metadata_max_bytes: usize,
    /// `offsets.retention.minutes`, in milliseconds.
    pub offsets_retention_ms: i64,
    /// `offsets.retention.check.interval.ms`.
    pub offsets_retention_check_interval_ms: u64,
    /// `offsets.topic.replication.factor` (accepted; a single node always has one replica).
    pub offsets_topic_replication_factor: i16,
    /// `offsets.topic.num.partitions`.
    pub offsets_topic_num_partitions: i32,
    /// Every key as given (after overrides), for DescribeConfigs on the broker resource.
    pub raw: BTreeMap<String, String>,
}

impl BrokerConfig {
    /// Kafka's defaults with all data under `log_dir` (used by tests and as the base for parsing).
    pub fn with_log_dir(log_dir: impl Into<PathBuf>) -> Self {
        let listener = Listener {
            name: "PLAINTEXT".into(),
            host: "localhost".into(),
            port: 9092,
        };
        BrokerConfig {
            node_id: DEFAULT_NODE_ID,
            listeners: vec![listener.clone()],
            advertised_listeners: vec![listener],
            log_dir: log_dir.into(),
            num_partitions: 1,
            default_replication_factor: 1,
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            log: LogConfig::default(),
            log_retention_check_interval_ms: 300_000,
            socket_request_max_bytes: 104_857_600,
            limits: ConnectionLimits::default(),
            group_initial_rebalance_delay_ms: 3000,
            group_min_session_timeout_ms: 6000,
            group_max_session_timeout_ms: 1_800_000,
            group_max_size: i32::MAX,
            offset_metadata_max_bytes: 4096,
            offsets_retention_ms: 7 * 24 * MS_PER_HOUR,
            offsets_retention_check_interval_ms: 600_000,
            offsets_topic_replication_factor: 1,
            offsets_topic_num_partitions: 50,
            raw: BTreeMap::new(),
        }
    }

    /// Interprets `server.properties` keys (overrides already applied). Returns the configuration
    /// and warnings to print (unknown keys, settings accepted but not acted on); a malformed value
    /// is an error naming key and value.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<(Self, Vec<String>)> {
        let v = Values::new(props);
        let mut warnings = Vec::new();
        let mut config = BrokerConfig::with_log_dir(log_dir(v, &mut warnings)?);
        config.node_id = node_id(v)?;
        check_process_roles(v)?;
        let (listeners, advertised) = broker_listeners(v)?;
        config.listeners = listeners;
        config.advertised_listeners = advertised;
        if let Some(n) = v.int("num.partitions", 1)? {
            config.num_partitions = n;
        }
        if let Some(n) = v.int("default.replication.factor", 1)? {
            config.default_replication_factor = i16::try_from(n).map_err(|_| {
                invalid(
                    "default.replication.factor",
                    &n.to_string(),
                    format!("Value must be no more than {}", i16::MAX),
                )
            })?;
        }
        if let Some(b) = v.boolean("auto.create.topics.enable")? {
            config.auto_create_topics_enable = b;
        }
        if let Some(b) = v.boolean("delete.topic.enable")? {
            config.delete_topic_enable = b;
        }
        config.log = log_defaults(v, &mut warnings)?;
        if let Some(ms) = v.long("log.retention.check.interval.ms", 1)? {
            config.log_retention_check_interval_ms = non_negative(ms);
        }
        if let Some(n) = v.int("socket.request.max.bytes", 1)? {
            config.socket_request_max_bytes = usize::try_from(n).unwrap_or(usize::MAX);
        }
        connection_limits(v, &mut config.limits)?;
        if let Some(ms) = v.int("group.initial.rebalance.delay.ms", 0)? {
            config.group_initial_rebalance_delay_ms = non_negative(i64::from(ms));
        }
        group_settings(v, &mut config)?;
        if let Some(n) = v.short("offsets.topic.replication.factor", 1)? {
            config.offsets_topic_replication_factor = n;
        }
        if let Some(n) = v.int("offsets.topic.num.partitions", 1)? {
            config.offsets_topic_num_partitions = n;
        }
        for key in props.keys() {
            if !HONOURED.contains(&key.as_str()) && !known_keys::is_ignored(key) {
                warnings.push(format!(
                    "The configuration '{key}' was supplied but isn't a known config."
                ));
            }
        }
        config.raw = props.clone();
        Ok((config, warnings))
    }

    /// Records the port a listener actually bound (port 0 binds a free one), so the real port is
    /// advertised wherever the advertised port was 0 too.
    pub fn set_bound_port(&mut self, name: &str, port: u16) {
        for l in self.listeners.iter_mut().filter(|l| l.name == name) {
            l.port = port;
        }
        for l in self
            .advertised_listeners
            .iter_mut()
            .filter(|l| l.name == name && l.port == 0)
        {
            l.port = port;
        }
    }
}

/// The connection limits (see [`super::limits`]), with Kafka's lower bounds.
fn connection_limits(v: Values<'_>, limits: &mut ConnectionLimits) -> Result<()> {
    if let Some(n) = v.int("max.connections", 0)? {
        limits.max_connections = usize::try_from(n).unwrap_or(0);
    }
    if let Some(n) = v.int("max.connections.per.ip", 0)? {
        limits.max_connections_per_ip = usize::try_from(n).unwrap_or(0);
    }
    if let Some(ms) = v.long("connections.max.idle.ms", i64::MIN)? {
        limits.idle_timeout = super::limits::idle_timeout(ms);
    }
    Ok(())
}

/// The group coordinator's settings, with Kafka's lower bounds.
fn group_settings(v: Values<'_>, config: &mut BrokerConfig) -> Result<()> {
    if let Some(ms) = v.int("group.min.session.timeout.ms", 0)? {
        config.group_min_session_timeout_ms = ms;
    }
    if let Some(ms) = v.int("group.max.session.timeout.ms", 0)? {
        config.group_max_session_timeout_ms = ms;
    }
    if let Some(n) = v.int("group.max.size", 1)? {
        config.group_max_size = n;
    }
    if let Some(n) = v.int("offset.metadata.max.bytes", 0)? {
        config.offset_metadata_max_bytes = usize::try_from(n).unwrap_or(0);
    }
    if let Some(minutes) = v.int("offsets.retention.minutes", 1)? {
        config.offsets_retention_ms = i64::from(minutes) * MS_PER_MINUTE;
    }
    if let Some(ms) = v.long("offsets.retention.check.interval.ms", 1)? {
        config.offsets_retention_check_interval_ms = non_negative(ms);
    }
    Ok(())
}

fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `log.dirs`, else `log.dir`, else Kafka's default; only the first directory is used.
fn log_dir(v: Values<'_>, warnings: &mut Vec<String>) -> Result<PathBuf> {
    let (key, dirs) = match (v.list("log.dirs"), v.list("log.dir")) {
        (Some(dirs), _) => ("log.dirs", dirs),
        (None, Some(dirs)) => ("log.dir", dirs),
        (None, None) => return Ok(PathBuf::from(DEFAULT_LOG_DIR)),
    };
    let Some(first) = dirs.first() else {
        return Err(invalid(key, v.get(key).unwrap_or_default(), "Empty list"));
    };
    if dirs.len() > 1 {
        warnings.push(format!(
            "{key} lists {} directories; this single-node broker keeps all data in the first one, {first}",
            dirs.len()
        ));
    }
    Ok(PathBuf::from(first))
}

/// `node.id`, or `broker.id` (they must agree when both are given).
fn node_id(v: Values<'_>) -> Result<i32> {
    match (v.int("node.id", 0)?, v.int("broker.id", 0)?) {
        (Some(node), Some(broker)) if node != broker => Err(Error::Config(format!(
            "The values for broker.id ({broker}) and node.id ({node}) must be the same if both are specified"
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Ok(DEFAULT_NODE_ID),
    }
}

/// `process.roles` may name `broker` and `controller`; this process is always a combined node,
/// so a controller-only role cannot be honoured.
fn check_process_roles(v: Values<'_>) -> Result<()> {
    let Some(roles) = v.list("process.roles") else {
        return Ok(());
    };
    for role in &roles {
        if role != "broker" && role != "controller" {
            return Err(Error::Config(format!(
                "Unknown process role '{role}' (only 'broker' and 'controller' are allowed roles)"
            )));
        }
    }
    if !roles.iter().any(|r| r == "broker") {
        return Err(invalid(
            "process.roles",
            v.get("process.roles").unwrap_or_default(),
            "this broker always runs as a combined broker and controller; use broker or broker,controller",
        ));
    }
    Ok(())
}

/// The listeners to serve and to advertise: every configured listener except those named in
/// `controller.listener.names` (there is no separate controller to serve them), each mapped to
/// PLAINTEXT through `listener.security.protocol.map`.
fn broker_listeners(v: Values<'_>) -> Result<(Vec<Listener>, Vec<Listener>)> {
    let protocols = listeners::security_protocol_map(
        "listener.security.protocol.map",
        v.get("listener.security.protocol.map")
            .unwrap_or(listeners::DEFAULT_SECURITY_PROTOCOL_MAP),
    )?;
    let controller_names: Vec<String> = v
        .list("controller.listener.names")
        .unwrap_or_default()
        .iter()
        .map(|n| n.to_ascii_uppercase())
        .collect();
    let is_broker_listener = |l: &Listener| !controller_names.contains(&l.name);

    let configured = v.get("listeners").unwrap_or(DEFAULT_LISTENER);
    let serving: Vec<Listener> = parse_listeners("listeners", configured)?
        .into_iter()
        .filter(is_broker_listener)
        .collect();
    if serving.is_empty() {
        return Err(invalid(
            "listeners",
            configured,
            "at least one listener not named in controller.listener.names is required",
        ));
    }
    for listener in &serving {
        listeners::check_servable(listener, &protocols)?;
    }

    let Some(raw) = v.get("advertised.listeners") else {
        return Ok((serving.clone(), serving));
    };
    let advertised: Vec<Listener> = parse_listeners("advertised.listeners", raw)?
        .into_iter()
        .filter(is_broker_listener)
        .collect();
    for listener in &advertised {
        if !serving.iter().any(|s| s.name == listener.name) {
            let valid: Vec<&str> = serving.iter().map(|s| s.name.as_str()).collect();
            return Err(Error::Config(format!(
                "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found {}. The valid options based on the current configuration are {}",
                listener.name,
                valid.join(",")
            )));
        }
        if listener.host == "0.0.0.0" {
            return Err(Error::Config(
                "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.".into(),
            ));
        }
    }
    if advertised.is_empty() {
        return Err(invalid(
            "advertised.listeners",
            raw,
            "at least one listener not named in controller.listener.names is required",
        ));
    }
    Ok((serving, advertised))
}

/// The broker-wide log defaults, with Kafka's precedence: `log.roll.ms` over `log.roll.hours`,
/// `log.retention.ms` over `.minutes` over `.hours` (any negative result = unlimited).
fn log_defaults(v: Values<'_>, warnings: &mut Vec<String>) -> Result<LogConfig> {
    let mut log = LogConfig::default();
    if let Some(bytes) = v.int("log.segment.bytes", MIN_SEGMENT_BYTES)? {
        log.segment_bytes = non_negative(i64::from(bytes));
    }

    let roll_ms = v.long("log.roll.ms", 1)?;
    let segment_ms = v.long("log.segment.ms", 1)?;
    let roll_hours = v.int("log.roll.hours", 1)?;
    log.segment_ms = roll_ms
        .or(segment_ms)
        .unwrap_or_else(|| i64::from(roll_hours.unwrap_or(DEFAULT_HOURS)) * MS_PER_HOUR);

    let retention_ms = v.long("log.retention.ms", i64::MIN)?;
    let retention_minutes = v.int("log.retention.minutes", i32::MIN)?;
    let retention_hours = v.int("log.retention.hours", i32::MIN)?;
    let retention = retention_ms
        .or_else(|| retention_minutes.map(|m| i64::from(m) * MS_PER_MINUTE))
        .unwrap_or_else(|| i64::from(retention_hours.unwrap_or(DEFAULT_HOURS)) * MS_PER_HOUR);
    log.retention_ms = if retention < 0 { -1 } else { retention };

    if let Some(bytes) = v.long("log.retention.bytes", i64::MIN)? {
        log.retention_bytes = if bytes < 0 { -1 } else { bytes };
    }
    if let Some(bytes) = v.int("log.index.interval.bytes", 0)? {
        log.index_interval_bytes = u32::try_from(bytes).unwrap_or(0);
    }
    if let Some(bytes) = v.int("log.index.size.max.bytes", MIN_INDEX_BYTES)? {
        log.segment_index_bytes = u32::try_from(bytes).unwrap_or(0);
    }
    if let Some(bytes) = v.int("message.max.bytes", 0)? {
        log.max_message_bytes = u32::try_from(bytes).unwrap_or(0);
    }
    if let Some(kind) = v.one_of(
        "log.message.timestamp.type",
        &["CreateTime", "LogAppendTime"],
    )? {
        log.timestamp_type = if kind == "LogAppendTime" {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        };
    }
    if let Some(ms) = v.long("log.message.timestamp.before.max.ms", 0)? {
        log.timestamp_before_max_ms = ms;
    }
    if let Some(ms) = v.long("log.message.timestamp.after.max.ms", 0)? {
        log.timestamp_after_max_ms = ms;
    }
    if let Some(policies) = v.list("log.cleanup.policy") {
        for policy in &policies {
            if policy != "delete" && policy != "compact" {
                return Err(invalid(
                    "log.cleanup.policy",
                    v.get("log.cleanup.policy").unwrap_or_default(),
                    "String must be one of: compact, delete",
                ));
            }
        }
        if policies.iter().any(|p| p == "compact") {
            warnings.push(
                "log.cleanup.policy=compact is not supported yet: segments are only deleted by retention"
                    .into(),
            );
        }
    }
    if let Some(codec) = v.one_of(
        "compression.type",
        &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
    )? {
        if codec != "producer" {
            warnings.push(format!(
                "compression.type={codec} is not supported yet: batches are stored as the producer compressed them"
            ));
        }
    }
    Ok(log)
}

#[cfg(test)]
mod tests;
