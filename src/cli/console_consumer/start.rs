//! `--offset` values: Apache's `earliest` / `latest` (any case) / a non-negative long, and
//! kafkit's times: `@<RFC 3339 time>` or `@<epoch ms>`, or a duration back from now such as
//! `-1h` or `-1h30m` (humantime syntax), both resolved through ListOffsets.

use std::time::Duration;

use crate::client::consumer::StartPosition;

/// A parsed `--offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetArg {
    Earliest,
    Latest,
    Offset(i64),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    /// That long before the moment the consumer starts.
    Ago(Duration),
}

impl OffsetArg {
    /// The consumer's start position, with `now_ms` for durations.
    pub fn start_position(self, now_ms: i64) -> StartPosition {
        match self {
            OffsetArg::Earliest => StartPosition::Earliest,
            OffsetArg::Latest => StartPosition::Latest,
            OffsetArg::Offset(o) => StartPosition::Offset(o),
            OffsetArg::Timestamp(t) => StartPosition::Timestamp(t),
            OffsetArg::Ago(d) => StartPosition::Timestamp(
                now_ms.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            ),
        }
    }
}

/// Parses `--offset`; `None` means Apache's "incorrect offset" error.
pub fn parse_offset(value: &str) -> Option<OffsetArg> {
    match value.to_lowercase().as_str() {
        "earliest" => return Some(OffsetArg::Earliest),
        "latest" => return Some(OffsetArg::Latest),
        _ => {}
    }
    if let Ok(offset) = value.parse::<i64>() {
        return (offset >= 0).then_some(OffsetArg::Offset(offset));
    }
    parse_time(value)
}

/// The time forms only.
pub fn parse_time(value: &str) -> Option<OffsetArg> {
    if let Some(time) = value.strip_prefix('@') {
        if let Ok(ms) = time.parse::<i64>() {
            return (ms >= 0).then_some(OffsetArg::Timestamp(ms));
        }
        return chrono::DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| OffsetArg::Timestamp(t.timestamp_millis()));
    }
    let ago = value.strip_prefix('-')?;
    // A bare number is a negative offset (an error), not a duration.
    if ago.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    humantime::parse_duration(ago).ok().map(OffsetArg::Ago)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_forms() {
        assert_eq!(parse_offset("EARLIEST"), Some(OffsetArg::Earliest));
        assert_eq!(parse_offset("Latest"), Some(OffsetArg::Latest));
        assert_eq!(parse_offset("42"), Some(OffsetArg::Offset(42)));
        assert_eq!(parse_offset("+7"), Some(OffsetArg::Offset(7)));
        assert_eq!(parse_offset("-0"), Some(OffsetArg::Offset(0)));
        assert_eq!(parse_offset("-1"), None);
        assert_eq!(parse_offset("abc"), None);
        assert_eq!(parse_offset(""), None);
    }

    #[test]
    fn time_forms() {
        assert_eq!(
            parse_offset("@2024-01-31T10:00:00Z"),
            Some(OffsetArg::Timestamp(1_706_695_200_000))
        );
        assert_eq!(
            parse_offset("@2024-01-31T11:00:00+01:00"),
            Some(OffsetArg::Timestamp(1_706_695_200_000))
        );
        assert_eq!(
            parse_offset("@1706695200000"),
            Some(OffsetArg::Timestamp(1_706_695_200_000))
        );
        assert_eq!(parse_offset("@yesterday"), None);
        assert_eq!(
            parse_offset("-1h"),
            Some(OffsetArg::Ago(Duration::from_secs(3600)))
        );
        assert_eq!(
            parse_offset("-1h30m"),
            Some(OffsetArg::Ago(Duration::from_secs(5400)))
        );
        assert_eq!(parse_offset("-1x"), None);
        assert_eq!(
            OffsetArg::Ago(Duration::from_secs(1)).start_position(10_000),
            StartPosition::Timestamp(9_000)
        );
    }
}
