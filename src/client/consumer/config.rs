//! The consumer's settings, read from Java consumer properties with Java's defaults and Java's
//! `ConfigException` texts for bad values. Owns parsing and validation only.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

/// What to do when a partition has no valid position (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Fail with an error instead of choosing a position.
    None,
    /// The first offset whose timestamp is at or after "now minus this" (KIP-1106).
    ByDuration(Duration),
}

/// Which records a fetch may return (`isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    ReadUncommitted,
    /// Only committed transactional data, up to the last stable offset.
    ReadCommitted,
}

impl IsolationLevel {
    /// The wire value (Fetch and ListOffsets `isolation_level`).
    pub fn wire(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

/// Consumer settings (Java's names and defaults).
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// `group.id`, if any (the group component uses it; fetching does not).
    pub group_id: Option<String>,
    pub auto_offset_reset: OffsetReset,
    pub isolation_level: IsolationLevel,
    /// `fetch.min.bytes`.
    pub fetch_min_bytes: i32,
    /// `fetch.max.bytes`.
    pub fetch_max_bytes: i32,
    /// `fetch.max.wait.ms`.
    pub fetch_max_wait: Duration,
    /// `max.partition.fetch.bytes`.
    pub max_partition_fetch_bytes: i32,
    /// `check.crcs`.
    pub check_crcs: bool,
    /// `metadata.max.age.ms`: how often subscriptions look for new topics and partitions.
    pub metadata_max_age: Duration,
    /// `allow.auto.create.topics`.
    pub allow_auto_create_topics: bool,
    /// `exclude.internal.topics`: pattern subscriptions skip internal topics.
    pub exclude_internal_topics: bool,
    /// `enable.auto.commit` (used by the group component).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (used by the group component).
    pub auto_commit_interval: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: None,
            auto_offset_reset: OffsetReset::Latest,
            isolation_level: IsolationLevel::ReadUncommitted,
            fetch_min_bytes: 1,
            fetch_max_bytes: 52_428_800,
            fetch_max_wait: Duration::from_millis(500),
            max_partition_fetch_bytes: 1_048_576,
            check_crcs: true,
            metadata_max_age: Duration::from_millis(300_000),
            allow_auto_create_topics: true,
            exclude_internal_topics: true,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(5_000),
        }
    }
}

/// Java's `ConfigException(name, value, message)` text.
fn invalid(key: &str, value: &str, why: &str) -> String {
    format!("Invalid value {value} for configuration {key}: {why}")
}

fn int(props: &BTreeMap<String, String>, key: &str, at_least: i64) -> Result<Option<i64>, String> {
    let Some(raw) = props.get(key) else {
        return Ok(None);
    };
    let value: i64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or_else(|| invalid(key, raw, "Not a number of type INT"))?;
    if value < at_least {
        return Err(invalid(
            key,
            raw,
            &format!("Value must be at least {at_least}"),
        ));
    }
    Ok(Some(value))
}

fn long(props: &BTreeMap<String, String>, key: &str, at_least: i64) -> Result<Option<i64>, String> {
    let Some(raw) = props.get(key) else {
        return Ok(None);
    };
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| invalid(key, raw, "Not a number of type LONG"))?;
    if value < at_least {
        return Err(invalid(
            key,
            raw,
            &format!("Value must be at least {at_least}"),
        ));
    }
    Ok(Some(value))
}

fn boolean(props: &BTreeMap<String, String>, key: &str) -> Result<Option<bool>, String> {
    let Some(raw) = props.get(key) else {
        return Ok(None);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(invalid(
            key,
            raw,
            "Expected value to be either true or false",
        )),
    }
}

fn millis(value: i64) -> Duration {
    Duration::from_millis(u64::try_from(value).unwrap_or(0))
}

impl ConsumerConfig {
    /// Reads consumer properties; unknown keys are ignored (Java only logs them).
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<ConsumerConfig, String> {
        let mut config = ConsumerConfig {
            group_id: props.get("group.id").cloned(),
            ..ConsumerConfig::default()
        };
        if let Some(raw) = props.get("auto.offset.reset") {
            config.auto_offset_reset = parse_offset_reset(raw).ok_or_else(|| {
                invalid(
                    "auto.offset.reset",
                    raw,
                    &format!("Invalid value `{raw}` for configuration auto.offset.reset. The value must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'."),
                )
            })?;
        }
        if let Some(raw) = props.get("isolation.level") {
            config.isolation_level = match raw.as_str() {
                "read_uncommitted" => IsolationLevel::ReadUncommitted,
                "read_committed" => IsolationLevel::ReadCommitted,
                _ => {
                    return Err(invalid(
                        "isolation.level",
                        raw,
                        "String must be one of: read_committed, read_uncommitted",
                    ))
                }
            };
        }
        if let Some(v) = int(props, "fetch.min.bytes", 0)? {
            config.fetch_min_bytes = v as i32;
        }
        if let Some(v) = int(props, "fetch.max.bytes", 0)? {
            config.fetch_max_bytes = v as i32;
        }
        if let Some(v) = int(props, "fetch.max.wait.ms", 0)? {
            config.fetch_max_wait = millis(v);
        }
        if let Some(v) = int(props, "max.partition.fetch.bytes", 0)? {
            config.max_partition_fetch_bytes = v as i32;
        }
        if let Some(v) = boolean(props, "check.crcs")? {
            config.check_crcs = v;
        }
        if let Some(v) = long(props, "metadata.max.age.ms", 0)? {
            config.metadata_max_age = millis(v);
        }
        if let Some(v) = boolean(props, "allow.auto.create.topics")? {
            config.allow_auto_create_topics = v;
        }
        if let Some(v) = boolean(props, "exclude.internal.topics")? {
            config.exclude_internal_topics = v;
        }
        if let Some(v) = boolean(props, "enable.auto.commit")? {
            config.enable_auto_commit = v;
        }
        if let Some(v) = int(props, "auto.commit.interval.ms", 0)? {
            config.auto_commit_interval = millis(v);
        }
        Ok(config)
    }
}

/// `earliest`, `latest`, `none` or `by_duration:<ISO-8601 duration>` (case-sensitive, as Java).
pub fn parse_offset_reset(value: &str) -> Option<OffsetReset> {
    match value {
        "earliest" => Some(OffsetReset::Earliest),
        "latest" => Some(OffsetReset::Latest),
        "none" => Some(OffsetReset::None),
        _ => value
            .strip_prefix("by_duration:")
            .and_then(parse_iso_duration)
            .map(OffsetReset::ByDuration),
    }
}

/// Java's `Duration.parse` (`PnDTnHnMn.nS`, case-insensitive, signs allowed per part); `None`
/// when unparsable or negative overall.
pub fn parse_iso_duration(text: &str) -> Option<Duration> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| {
            Regex::new(
                r"(?i)^([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$",
            )
            .ok()
        })
        .as_ref()?;
    let caps = pattern.captures(text)?;
    let number = |i: usize| -> Option<i128> {
        caps.get(i)
            .map_or(Some(0), |m| m.as_str().parse::<i128>().ok())
    };
    let (days, hours, minutes, seconds) = (number(2)?, number(4)?, number(5)?, number(6)?);
    let has_time_part = caps.get(4).is_some() || caps.get(5).is_some() || caps.get(6).is_some();
    if caps.get(3).is_some() && !has_time_part {
        return None;
    }
    if caps.get(2).is_none() && !has_time_part {
        return None;
    }
    const NANOS_DIGITS: usize = 9;
    let fraction = caps.get(7).map_or(0i128, |m| {
        let digits = m.as_str();
        let padded = format!("{digits:0<NANOS_DIGITS$}");
        padded.parse::<i128>().unwrap_or(0)
    });
    let seconds_sign = if caps.get(6).is_some_and(|m| m.as_str().starts_with('-')) {
        -1
    } else {
        1
    };
    const NANOS_PER_SECOND: i128 = 1_000_000_000;
    let mut nanos = ((days * 24 + hours) * 60 + minutes) * 60 * NANOS_PER_SECOND
        + seconds * NANOS_PER_SECOND
        + seconds_sign * fraction;
    if caps.get(1).is_some_and(|m| m.as_str() == "-") {
        nanos = -nanos;
    }
    if nanos < 0 {
        return None;
    }
    let secs = u64::try_from(nanos / NANOS_PER_SECOND).ok()?;
    Some(Duration::new(secs, (nanos % NANOS_PER_SECOND) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::protocol::properties::from_pairs as props;

    #[test]
    fn defaults_and_overrides() {
        let c = ConsumerConfig::from_properties(&props(&[])).unwrap();
        assert_eq!(c.auto_offset_reset, OffsetReset::Latest);
        assert_eq!(c.max_partition_fetch_bytes, 1_048_576);
        let c = ConsumerConfig::from_properties(&props(&[
            ("auto.offset.reset", "earliest"),
            ("isolation.level", "read_committed"),
            ("fetch.max.wait.ms", "100"),
            ("check.crcs", "FALSE"),
        ]))
        .unwrap();
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.fetch_max_wait, Duration::from_millis(100));
        assert!(!c.check_crcs);
    }

    #[test]
    fn java_messages_for_bad_values() {
        let err =
            |pairs: &[(&str, &str)]| ConsumerConfig::from_properties(&props(pairs)).unwrap_err();
        assert_eq!(
            err(&[("isolation.level", "READ_COMMITTED")]),
            "Invalid value READ_COMMITTED for configuration isolation.level: String must be one of: read_committed, read_uncommitted"
        );
        assert_eq!(
            err(&[("auto.offset.reset", "smallest")]),
            "Invalid value smallest for configuration auto.offset.reset: Invalid value `smallest` for configuration auto.offset.reset. The value must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'."
        );
        assert_eq!(
            err(&[("fetch.min.bytes", "x")]),
            "Invalid value x for configuration fetch.min.bytes: Not a number of type INT"
        );
        assert_eq!(
            err(&[("fetch.min.bytes", "-1")]),
            "Invalid value -1 for configuration fetch.min.bytes: Value must be at least 0"
        );
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso_duration("PT1H"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_iso_duration("P1DT30M"),
            Some(Duration::from_secs(88_200))
        );
        assert_eq!(
            parse_iso_duration("pt0.5s"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_iso_duration("PT-1H"), None);
        assert_eq!(parse_iso_duration("P"), None);
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(parse_iso_duration("1h"), None);
        assert_eq!(
            parse_offset_reset("by_duration:PT10M"),
            Some(OffsetReset::ByDuration(Duration::from_secs(600)))
        );
        assert_eq!(parse_offset_reset("by_duration:"), None);
    }
}
