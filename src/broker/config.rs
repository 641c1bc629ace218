//! The broker's configuration: `server.properties` keys with Kafka's names, defaults and
//! validation, plus `--override key=value`. Owns parsing and defaults; must not open sockets or
//! files other than the properties file it is given.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::log::LogConfig;

/// The default listener when none is configured.
pub const DEFAULT_LISTENER: &str = "PLAINTEXT://localhost:9092";

/// One `NAME://host:port` entry of `listeners` or `advertised.listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

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
    /// `group.initial.rebalance.delay.ms`.
    pub group_initial_rebalance_delay_ms: u64,
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
            node_id: 1,
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
            group_initial_rebalance_delay_ms: 3000,
            offsets_topic_replication_factor: 1,
            offsets_topic_num_partitions: 50,
            raw: BTreeMap::new(),
        }
    }
}
