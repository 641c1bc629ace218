//! The table of Kafka 4.x topic-level configs, in the order Apache's `LogConfig` defines them (the
//! order in which its validation reports the first bad value): type, default, value check, the
//! broker configs that supply the default (first one decides), and a short description.
//! Data only.

use super::{Check, ConfigType, Synonym, TopicConfigDef, Unit};

/// `Long.MAX_VALUE` as Kafka prints it.
const LONG_MAX: &str = "9223372036854775807";
/// `segment.bytes` may not go below 1 MiB (KIP-1030).
const MIN_SEGMENT_BYTES: i64 = 1024 * 1024;
/// `segment.index.bytes` must hold at least one index entry.
const MIN_SEGMENT_INDEX_BYTES: i64 = 4;
/// LZ4 compression levels.
const LZ4_LEVELS: (i64, i64) = (1, 17);
/// Zstandard compression levels (`ZSTD_minCLevel()` is -(1 << 17)).
const ZSTD_LEVELS: (i64, i64) = (-131_072, 22);
/// `min.cleanable.dirty.ratio` is a fraction.
const RATIO_RANGE: (i64, i64) = (0, 1);
/// `local.retention.*` use -2 for "same as retention.*".
const LOCAL_RETENTION_MIN: i64 = -2;

/// The values `compression.type` accepts, in Kafka's order.
pub const COMPRESSION_TYPES: &[&str] =
    &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
/// The values `cleanup.policy` accepts.
pub const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
/// The values `message.timestamp.type` accepts.
pub const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];

const fn same(name: &'static str, default: Option<&'static str>) -> Synonym {
    Synonym {
        name,
        unit: Unit::Same,
        default,
    }
}

const fn hours(name: &'static str, default: Option<&'static str>) -> Synonym {
    Synonym {
        name,
        unit: Unit::Hours,
        default,
    }
}

const fn minutes(name: &'static str, default: Option<&'static str>) -> Synonym {
    Synonym {
        name,
        unit: Unit::Minutes,
        default,
    }
}

#[allow(clippy::too_many_arguments)]
const fn def(
    name: &'static str,
    config_type: ConfigType,
    default: &'static str,
    check: Check,
    synonyms: &'static [Synonym],
    documentation: &'static str,
) -> TopicConfigDef {
    TopicConfigDef {
        name,
        config_type,
        default,
        check,
        synonyms,
        documentation,
    }
}

use Check::{AtLeast, Between, GzipLevel, ListOf, OneOf, ThrottledReplicas, Unchecked};
use ConfigType::{Boolean, Double, Int, List, Long, String as Str};

/// Every topic config Kafka 4.4 accepts and describes.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    def(
        "segment.bytes",
        Int,
        "1073741824",
        AtLeast(MIN_SEGMENT_BYTES),
        &[same("log.segment.bytes", Some("1073741824"))],
        "The largest size a log segment file may reach before the log rolls to a new segment.",
    ),
    def(
        "segment.ms",
        Long,
        "604800000",
        AtLeast(1),
        &[same("log.roll.ms", None), hours("log.roll.hours", Some("168"))],
        "The time after which the log rolls to a new segment even if the active one is not full.",
    ),
    def(
        "segment.jitter.ms",
        Long,
        "0",
        AtLeast(0),
        &[
            same("log.roll.jitter.ms", None),
            hours("log.roll.jitter.hours", Some("0")),
        ],
        "The largest random amount subtracted from segment.ms so that segments do not all roll at once.",
    ),
    def(
        "segment.index.bytes",
        Int,
        "10485760",
        AtLeast(MIN_SEGMENT_INDEX_BYTES),
        &[same("log.index.size.max.bytes", Some("10485760"))],
        "The size of the offset index file of a segment (preallocated, shrunk when the segment rolls).",
    ),
    def(
        "flush.messages",
        Long,
        LONG_MAX,
        AtLeast(1),
        &[same("log.flush.interval.messages", Some(LONG_MAX))],
        "How many messages may be appended before the log is forced to disk.",
    ),
    def(
        "flush.ms",
        Long,
        LONG_MAX,
        AtLeast(0),
        &[
            same("log.flush.interval.ms", None),
            same("log.flush.scheduler.interval.ms", Some(LONG_MAX)),
        ],
        "How long appended data may stay unflushed before the log is forced to disk.",
    ),
    def(
        "retention.bytes",
        Long,
        "-1",
        Unchecked,
        &[same("log.retention.bytes", Some("-1"))],
        "The largest size a partition may grow to before old segments are deleted (delete policy); -1 means no limit.",
    ),
    def(
        "retention.ms",
        Long,
        "604800000",
        AtLeast(-1),
        &[
            same("log.retention.ms", None),
            minutes("log.retention.minutes", None),
            hours("log.retention.hours", Some("168")),
        ],
        "How long a log keeps a segment before deleting it (delete policy); -1 means no time limit.",
    ),
    def(
        "max.message.bytes",
        Int,
        "1048588",
        AtLeast(0),
        &[same("message.max.bytes", Some("1048588"))],
        "The largest record batch size the topic accepts.",
    ),
    def(
        "max.decompressed.message.bytes",
        Int,
        "2147483639",
        AtLeast(1),
        &[same("max.decompressed.message.bytes", Some("2147483639"))],
        "The largest decompressed size of a single record (accepted and described; this broker does not decompress batches to enforce it).",
    ),
    def(
        "index.interval.bytes",
        Int,
        "4096",
        AtLeast(0),
        &[same("log.index.interval.bytes", Some("4096"))],
        "How many bytes of log lie between two entries of the offset index.",
    ),
    def(
        "delete.retention.ms",
        Long,
        "86400000",
        AtLeast(0),
        &[same("log.cleaner.delete.retention.ms", Some("86400000"))],
        "How long delete tombstones are kept on compacted topics.",
    ),
    def(
        "min.compaction.lag.ms",
        Long,
        "0",
        AtLeast(0),
        &[same("log.cleaner.min.compaction.lag.ms", Some("0"))],
        "The least time a message stays uncompacted in the log.",
    ),
    def(
        "max.compaction.lag.ms",
        Long,
        LONG_MAX,
        AtLeast(1),
        &[same("log.cleaner.max.compaction.lag.ms", Some(LONG_MAX))],
        "The longest time a message may stay ineligible for compaction.",
    ),
    def(
        "file.delete.delay.ms",
        Long,
        "60000",
        AtLeast(0),
        &[same("log.segment.delete.delay.ms", Some("60000"))],
        "How long to wait before deleting a file from the file system.",
    ),
    def(
        "min.cleanable.dirty.ratio",
        Double,
        "0.5",
        Between(RATIO_RANGE.0, RATIO_RANGE.1),
        &[same("log.cleaner.min.cleanable.ratio", Some("0.5"))],
        "The share of the log that must be uncompacted before the cleaner compacts it.",
    ),
    def(
        "cleanup.policy",
        List,
        "delete",
        ListOf(CLEANUP_POLICIES),
        &[same("log.cleanup.policy", Some("delete"))],
        "What happens to old segments: \"delete\" removes them, \"compact\" keeps the latest value per key.",
    ),
    def(
        "unclean.leader.election.enable",
        Boolean,
        "false",
        Unchecked,
        &[same("unclean.leader.election.enable", Some("false"))],
        "Whether a replica outside the ISR may become leader as a last resort, at the risk of data loss.",
    ),
    def(
        "min.insync.replicas",
        Int,
        "1",
        AtLeast(1),
        &[same("min.insync.replicas", Some("1"))],
        "The fewest in-sync replicas that must acknowledge a write made with acks=all.",
    ),
    def(
        "compression.type",
        Str,
        "producer",
        OneOf(COMPRESSION_TYPES),
        &[same("compression.type", Some("producer"))],
        "The compression the topic stores batches with; \"producer\" keeps the producer's codec.",
    ),
    def(
        "compression.gzip.level",
        Int,
        "-1",
        GzipLevel,
        &[same("compression.gzip.level", Some("-1"))],
        "The compression level used when compression.type is gzip.",
    ),
    def(
        "compression.lz4.level",
        Int,
        "9",
        Between(LZ4_LEVELS.0, LZ4_LEVELS.1),
        &[same("compression.lz4.level", Some("9"))],
        "The compression level used when compression.type is lz4.",
    ),
    def(
        "compression.zstd.level",
        Int,
        "3",
        Between(ZSTD_LEVELS.0, ZSTD_LEVELS.1),
        &[same("compression.zstd.level", Some("3"))],
        "The compression level used when compression.type is zstd.",
    ),
    def(
        "preallocate",
        Boolean,
        "false",
        Unchecked,
        &[same("log.preallocate", Some("false"))],
        "Whether new segment files are preallocated on disk.",
    ),
    def(
        "message.timestamp.type",
        Str,
        "CreateTime",
        OneOf(TIMESTAMP_TYPES),
        &[same("log.message.timestamp.type", Some("CreateTime"))],
        "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).",
    ),
    def(
        "message.timestamp.before.max.ms",
        Long,
        LONG_MAX,
        AtLeast(0),
        &[same("log.message.timestamp.before.max.ms", Some(LONG_MAX))],
        "How far a CreateTime timestamp may lie in the past of the broker's clock.",
    ),
    def(
        "message.timestamp.after.max.ms",
        Long,
        "3600000",
        AtLeast(0),
        &[same("log.message.timestamp.after.max.ms", Some("3600000"))],
        "How far a CreateTime timestamp may lie in the future of the broker's clock.",
    ),
    def(
        "leader.replication.throttled.replicas",
        List,
        "",
        ThrottledReplicas,
        &[],
        "Replicas whose leader-side replication is throttled, as partitionId:brokerId pairs or '*'.",
    ),
    def(
        "follower.replication.throttled.replicas",
        List,
        "",
        ThrottledReplicas,
        &[],
        "Replicas whose follower-side replication is throttled, as partitionId:brokerId pairs or '*'.",
    ),
    def(
        "remote.storage.enable",
        Boolean,
        "false",
        Unchecked,
        &[],
        "Whether tiered storage is enabled for the topic.",
    ),
    def(
        "local.retention.ms",
        Long,
        "-2",
        AtLeast(LOCAL_RETENTION_MIN),
        &[same("log.local.retention.ms", Some("-2"))],
        "How long segments stay on local disk once tiered; -2 means retention.ms.",
    ),
    def(
        "local.retention.bytes",
        Long,
        "-2",
        AtLeast(LOCAL_RETENTION_MIN),
        &[same("log.local.retention.bytes", Some("-2"))],
        "How many bytes of segments stay on local disk once tiered; -2 means retention.bytes.",
    ),
    def(
        "remote.log.copy.disable",
        Boolean,
        "false",
        Unchecked,
        &[],
        "Whether copying segments to tiered storage is stopped (remote data stays readable).",
    ),
    def(
        "remote.copy.lag.ms",
        Long,
        "0",
        AtLeast(-1),
        &[same("log.remote.copy.lag.ms", Some("0"))],
        "How old a rolled segment must be before it is copied to tiered storage; -1 means local.retention.ms.",
    ),
    def(
        "remote.copy.lag.bytes",
        Long,
        "-1",
        AtLeast(-1),
        &[same("log.remote.copy.lag.bytes", Some("-1"))],
        "How many newer bytes a rolled segment needs before it is copied to tiered storage; -1 means local.retention.bytes.",
    ),
    def(
        "remote.log.delete.on.disable",
        Boolean,
        "false",
        Unchecked,
        &[],
        "Whether remote data is deleted when tiered storage is turned off for the topic.",
    ),
    def(
        "errors.deadletterqueue.group.enable",
        Boolean,
        "false",
        Unchecked,
        &[],
        "Whether share groups may use the topic as a dead-letter queue (accepted and described; this broker has no share groups).",
    ),
];
