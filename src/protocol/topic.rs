//! Kafka's topic-name rules (`org.apache.kafka.common.internals.Topic`). Checked before any
//! filesystem call so that a name can never escape `log.dirs`.

/// Longest legal topic name (255 minus room for a partition suffix and a deletion marker).
pub const MAX_NAME_LENGTH: usize = 249;

/// The internal topic holding committed group offsets.
pub const GROUP_METADATA_TOPIC: &str = "__consumer_offsets";
/// The internal topic holding transaction state.
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// Every topic config name Apache Kafka 4.4 accepts, sorted (`LogConfig.nonInternalConfigNames`,
/// which kafka-topics lists in its `--config` help). The broker's config table holds the same
/// names with their types and defaults (a broker test checks that they agree).
pub const TOPIC_CONFIG_NAMES: &[&str] = &[
    "cleanup.policy",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.type",
    "compression.zstd.level",
    "delete.retention.ms",
    "errors.deadletterqueue.group.enable",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.decompressed.message.bytes",
    "max.message.bytes",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.copy.lag.bytes",
    "remote.copy.lag.ms",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
];

/// Validates a topic name, returning Kafka's exact message (`Topic name is invalid: ...`) on failure.
pub fn validate(name: &str) -> Result<(), String> {
    let reason = if name.is_empty() {
        "the empty string is not allowed".to_string()
    } else if name == "." || name == ".." {
        format!("'{name}' is not allowed")
    } else if name.len() > MAX_NAME_LENGTH {
        format!("the length of '{name}' is longer than the max allowed length {MAX_NAME_LENGTH}")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        format!("'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")
    } else {
        return Ok(());
    };
    Err(format!("Topic name is invalid: {reason}"))
}

/// A topic id in Kafka's printed form: URL-safe base64 without padding (`Uuid.toString()`).
pub fn encode_topic_id(id: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Whether the name is one of Kafka's internal topics.
pub fn is_internal(name: &str) -> bool {
    name == GROUP_METADATA_TOPIC || name == TRANSACTION_STATE_TOPIC
}

/// Whether the name contains a character (`.` or `_`) that Kafka's metric names conflate.
pub fn has_collision_chars(name: &str) -> bool {
    name.contains('.') || name.contains('_')
}

/// The form under which two names collide in metric names: `.` replaced by `_`.
pub fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(validate("orders-v1.eu_west").is_ok());
        assert!(validate("").is_err());
        assert!(validate(".").is_err());
        assert!(validate("..").is_err());
        assert!(validate("../etc").is_err());
        assert!(validate("a/b").is_err());
        assert!(validate(&"x".repeat(249)).is_ok());
        assert!(validate(&"x".repeat(250)).is_err());
        assert!(validate("caf\u{e9}").is_err());
        assert_eq!(unify_collision_chars("a.b_c"), "a_b_c");
        assert!(has_collision_chars("a.b") && !has_collision_chars("ab"));
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(encode_topic_id(id), "ASNFZ4mrze8BI0VniavN7w");
    }
}
