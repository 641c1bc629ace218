//! Topic-level configs: the names Kafka knows, their types, defaults and validation, and how a
//! topic's overrides combine with broker defaults into a [`LogConfig`]. Owns nothing on disk.

use std::collections::BTreeMap;

use super::config::BrokerConfig;
use super::log::{LogConfig, TimestampType};

/// A topic config refused by validation, with Kafka's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidConfig(pub String);

/// Computes a topic's effective log settings: its overrides over the broker's defaults.
pub fn log_config(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Result<LogConfig, InvalidConfig> {
    let mut log = broker.log.clone();
    for (key, value) in overrides {
        let number = || {
            value.trim().parse::<i64>().map_err(|_| {
                InvalidConfig(format!(
                    "Invalid value {value} for configuration {key}: Not a number of type LONG"
                ))
            })
        };
        match key.as_str() {
            "segment.bytes" => log.segment_bytes = number()? as u64,
            "segment.ms" => log.segment_ms = number()?,
            "retention.ms" => log.retention_ms = number()?,
            "retention.bytes" => log.retention_bytes = number()?,
            "index.interval.bytes" => log.index_interval_bytes = number()? as u32,
            "segment.index.bytes" => log.segment_index_bytes = number()? as u32,
            "max.message.bytes" => log.max_message_bytes = number()? as u32,
            "message.timestamp.before.max.ms" => log.timestamp_before_max_ms = number()?,
            "message.timestamp.after.max.ms" => log.timestamp_after_max_ms = number()?,
            "message.timestamp.type" => {
                log.timestamp_type = match value.as_str() {
                    "CreateTime" => TimestampType::CreateTime,
                    "LogAppendTime" => TimestampType::LogAppendTime,
                    _ => {
                        return Err(InvalidConfig(format!(
                            "Invalid value {value} for configuration {key}: String must be one of: CreateTime, LogAppendTime"
                        )))
                    }
                }
            }
            _ => {}
        }
    }
    Ok(log)
}
