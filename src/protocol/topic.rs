//! Kafka's topic-name rules (`org.apache.kafka.common.internals.Topic`). Checked before any
//! filesystem call so that a name can never escape `log.dirs`.

/// Longest legal topic name (255 minus room for a partition suffix and a deletion marker).
pub const MAX_NAME_LENGTH: usize = 249;

/// The internal topic holding committed group offsets.
pub const GROUP_METADATA_TOPIC: &str = "__consumer_offsets";
/// The internal topic holding transaction state.
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";
/// The internal topic holding share-group state (Kafka 4.x).
pub const SHARE_GROUP_STATE_TOPIC: &str = "__share_group_state";

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

/// Longest string Kafka's `Uuid.fromString` tries to decode.
const MAX_TOPIC_ID_TEXT: usize = 24;

/// A topic id from its printed form, as Kafka's `Uuid.fromString` reads it (Java's URL-safe
/// base64 decoder, which also takes `=` padding), with Java's messages on failure.
pub fn decode_topic_id(text: &str) -> Result<uuid::Uuid, String> {
    if text.chars().count() > MAX_TOPIC_ID_TEXT {
        let prefix: String = text.chars().take(MAX_TOPIC_ID_TEXT).collect();
        return Err(format!(
            "Input string with prefix `{prefix}` is too long to be decoded as a base64 UUID"
        ));
    }
    let bytes = java_url_base64_decode(text)?;
    let raw: [u8; 16] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "Input string `{text}` decoded as {} bytes, which is not equal to the expected 16 \
             bytes of a base64-encoded UUID",
            bytes.len()
        )
    })?;
    Ok(uuid::Uuid::from_bytes(raw))
}

/// `java.util.Base64.getUrlDecoder().decode(String)`, messages included.
fn java_url_base64_decode(text: &str) -> Result<Vec<u8>, String> {
    const PADDING: u8 = b'=';
    let value = |b: u8| -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    };
    // Java converts the string with ISO-8859-1: anything beyond it becomes '?'.
    let src: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    if src.len() == 1 {
        return Err("Input byte[] should at least have 2 bytes for base64 bytes".to_string());
    }
    let mut out = Vec::new();
    let (mut bits, mut shift, mut sp) = (0u32, 18i32, 0usize);
    while sp < src.len() {
        let b = src[sp];
        sp += 1;
        let Some(v) = value(b) else {
            if b == PADDING {
                if (shift == 6 && (sp == src.len() || src[sp] != PADDING)) || shift == 18 {
                    return Err("Input byte array has wrong 4-byte ending unit".to_string());
                }
                if shift == 6 {
                    sp += 1;
                }
                break;
            }
            // Java prints the (signed) byte in hex.
            return Err(format!(
                "Illegal base64 character {}",
                java_hex(i32::from(b as i8))
            ));
        };
        bits |= v << shift;
        shift -= 6;
        if shift < 0 {
            out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            shift = 18;
            bits = 0;
        }
    }
    match shift {
        6 => out.push((bits >> 16) as u8),
        0 => out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]),
        12 => return Err("Last unit does not have enough valid bits".to_string()),
        _ => {}
    }
    if sp < src.len() {
        return Err(format!(
            "Input byte array has incorrect ending byte at {sp}"
        ));
    }
    Ok(out)
}

/// `Integer.toString(n, 16)`.
fn java_hex(n: i32) -> String {
    if n < 0 {
        format!("-{:x}", n.unsigned_abs())
    } else {
        format!("{n:x}")
    }
}

/// Whether the name is one of Kafka's internal topics.
pub fn is_internal(name: &str) -> bool {
    [
        GROUP_METADATA_TOPIC,
        TRANSACTION_STATE_TOPIC,
        SHARE_GROUP_STATE_TOPIC,
    ]
    .contains(&name)
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
    fn topic_ids_decode_as_kafka_s_uuid_from_string() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(decode_topic_id(&encode_topic_id(id)), Ok(id));
        assert_eq!(
            decode_topic_id("not-a-topic-id").unwrap_err(),
            "Input string `not-a-topic-id` decoded as 10 bytes, which is not equal to the \
             expected 16 bytes of a base64-encoded UUID"
        );
        assert_eq!(
            decode_topic_id("abc.").unwrap_err(),
            "Illegal base64 character 2e"
        );
        assert_eq!(
            decode_topic_id("a").unwrap_err(),
            "Input byte[] should at least have 2 bytes for base64 bytes"
        );
        assert_eq!(
            decode_topic_id("abcde").unwrap_err(),
            "Last unit does not have enough valid bits"
        );
        assert!(decode_topic_id(&"A".repeat(25))
            .unwrap_err()
            .ends_with("is too long to be decoded as a base64 UUID"));
    }

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
