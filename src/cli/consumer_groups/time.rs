//! The reset timestamps: `--to-datetime` as Kafka's `Utils.getDateTime` reads it (a `T` is
//! required, no zone means UTC, `yyyy-MM-dd'T'HH:mm:ss.SSS` plus `Z`, `+hh:mm`, `+hhmm` or
//! `+hh`, parsed strictly by `SimpleDateFormat` — numbers of any width but in range, text after
//! the zone ignored), and `--by-duration` as `java.time.Duration.parse` reads it (ISO-8601
//! `PnDTnHnMn.nS`) or, as a kafkit extension, a humantime duration such as `90m` or `1h30m`.
//! Error texts are the Java ones Apache prints.

use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

const MILLIS_PER_SECOND: i64 = 1000;
const SECONDS_PER_MINUTE: i64 = 60;
const SECONDS_PER_HOUR: i64 = 3600;
const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_MILLI: i64 = 1_000_000;
/// Digits of Java's `Duration` fraction of seconds (nanoseconds).
const FRACTION_DIGITS: usize = 9;

fn datetime_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(
            r"^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)\s*(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)",
        )
        .expect("static regex")
    })
}

/// `Utils.getDateTime`: milliseconds since the epoch, or the `java.text.ParseException` text.
pub fn parse_datetime(value: &str) -> Result<i64, String> {
    // Java's String.split drops trailing empty strings: "x" and "xT" have no second part.
    let mut parts: Vec<&str> = value.split('T').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let second_part = parts.get(1).copied();
    let Some(second_part) = second_part else {
        return Err("java.text.ParseException: Error parsing timestamp. It does not contain a 'T' according to ISO8601 format".to_string());
    };
    let mut timestamp = value.to_string();
    if !(second_part.contains('+') || second_part.contains('-') || second_part.contains('Z')) {
        timestamp.push('Z');
    }
    let unparseable = || format!("java.text.ParseException: Unparseable date: \"{timestamp}\"");
    let captures = datetime_pattern()
        .captures(&timestamp)
        .ok_or_else(unparseable)?;
    let number = |i: usize| -> Option<u32> { captures.get(i)?.as_str().parse().ok() };
    let field = |i: usize, max: u32| number(i).filter(|&n| n <= max);
    let date = (|| {
        let year = i32::try_from(number(1)?).ok().filter(|&y| y >= 1)?;
        NaiveDate::from_ymd_opt(year, number(2)?, number(3)?)
    })();
    let time = (|| {
        NaiveTime::from_hms_milli_opt(field(4, 23)?, field(5, 59)?, field(6, 59)?, field(7, 999)?)
    })();
    let (Some(date), Some(time)) = (date, time) else {
        return Err(unparseable());
    };
    let offset_seconds = if captures.get(8).is_some() {
        0
    } else {
        let hours = i64::from(field(10, 23).ok_or_else(unparseable)?);
        let minutes = match captures.get(11) {
            Some(_) => i64::from(field(11, 59).ok_or_else(unparseable)?),
            None => 0,
        };
        let sign = if &captures[9] == "-" { -1 } else { 1 };
        sign * (hours * SECONDS_PER_HOUR + minutes * SECONDS_PER_MINUTE)
    };
    let local = NaiveDateTime::new(date, time).and_utc().timestamp_millis();
    Ok(local - offset_seconds * MILLIS_PER_SECOND)
}

fn duration_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(
            r"(?i)^([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$",
        )
        .expect("static regex")
    })
}

/// `java.time.Duration.parse` (in milliseconds, truncated), or a humantime duration.
pub fn parse_duration_ms(value: &str) -> Result<i64, String> {
    if let Some(ms) = parse_iso_duration_ms(value) {
        return Ok(ms);
    }
    humantime::parse_duration(value)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or_else(|| "Text cannot be parsed to a Duration".to_string())
}

fn parse_iso_duration_ms(value: &str) -> Option<i64> {
    let c = duration_pattern().captures(value)?;
    let has_t = c.get(3).is_some();
    let parts = [c.get(2), c.get(4), c.get(5), c.get(6)];
    if parts.iter().all(Option::is_none) {
        return None;
    }
    // "PT" alone (a T with nothing after it) is rejected by Java too.
    if has_t && c.get(4).is_none() && c.get(5).is_none() && c.get(6).is_none() {
        return None;
    }
    let number = |i: usize| -> Option<i64> {
        match c.get(i) {
            None => Some(0),
            Some(m) => m.as_str().parse().ok(),
        }
    };
    let seconds_part = number(6)?;
    let mut nanos: i64 = match c.get(7) {
        Some(f) if !f.as_str().is_empty() => {
            let digits = format!("{:0<width$}", f.as_str(), width = FRACTION_DIGITS);
            digits.parse().ok()?
        }
        _ => 0,
    };
    if c.get(6).is_some_and(|m| m.as_str().starts_with('-')) {
        nanos = -nanos;
    }
    let seconds = number(2)?
        .checked_mul(SECONDS_PER_DAY)?
        .checked_add(number(4)?.checked_mul(SECONDS_PER_HOUR)?)?
        .checked_add(number(5)?.checked_mul(SECONDS_PER_MINUTE)?)?
        .checked_add(seconds_part)?;
    let mut millis = seconds
        .checked_mul(MILLIS_PER_SECOND)?
        .checked_add(nanos / NANOS_PER_MILLI)?;
    if &c[1] == "-" {
        millis = -millis;
    }
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_as_kafka_reads_them() {
        // Values from Kafka 4.4's Utils.getDateTime.
        let ok = [
            ("2024-01-01T00:00:00.000", 1_704_067_200_000),
            ("2024-01-01T00:00:00.5", 1_704_067_200_005),
            ("2024-1-1T0:0:0.000", 1_704_067_200_000),
            ("2024-01-01T00:00:00.000+01", 1_704_063_600_000),
            ("2024-01-01T00:00:00.000+0100", 1_704_063_600_000),
            ("2024-01-01T00:00:00.000+01:00", 1_704_063_600_000),
            ("2024-01-01T00:00:00.000Zjunk", 1_704_067_200_000),
            ("2024-01-01T00:00:00.000-05:30", 1_704_087_000_000),
            ("2024-01-01T00:00:00.000 +01:00", 1_704_063_600_000),
        ];
        for (text, millis) in ok {
            assert_eq!(parse_datetime(text), Ok(millis), "{text}");
        }
        let bad = [
            ("2024-01-01T00:00:00.123456", "2024-01-01T00:00:00.123456Z"),
            ("2024-13-45T25:61:61.000", "2024-13-45T25:61:61.000Z"),
            ("2024-01-01T00:00:00", "2024-01-01T00:00:00Z"),
            ("2024-01-01T00:00:00.000z", "2024-01-01T00:00:00.000zZ"),
            ("x2024-01-01T00:00:00.000", "x2024-01-01T00:00:00.000Z"),
            ("2024-01-01T10:00:00.000+1", "2024-01-01T10:00:00.000+1"),
        ];
        for (text, shown) in bad {
            assert_eq!(
                parse_datetime(text),
                Err(format!(
                    "java.text.ParseException: Unparseable date: \"{shown}\""
                )),
                "{text}"
            );
        }
        assert_eq!(
            parse_datetime("2024-01-01"),
            Err("java.text.ParseException: Error parsing timestamp. It does not contain a 'T' according to ISO8601 format".into())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("PT1M"), Ok(60_000));
        assert_eq!(parse_duration_ms("pt0.1s"), Ok(100));
        assert_eq!(parse_duration_ms("P1DT2H"), Ok(93_600_000));
        assert_eq!(parse_duration_ms("-PT1S"), Ok(-1000));
        assert_eq!(parse_duration_ms("90m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        for bad in ["PT", "P", "P1W", "1x", ""] {
            assert_eq!(
                parse_duration_ms(bad),
                Err("Text cannot be parsed to a Duration".into()),
                "{bad}"
            );
        }
    }
}
