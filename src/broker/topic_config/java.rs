//! The few Java and Scala behaviours that leak into Kafka's config answers: `String.trim`,
//! `Integer.parseInt` / `Long.parseLong` / `Double.parseDouble`, `Double.toString`,
//! `String.hashCode`, and the iteration order of a `java.util.HashMap` (the order in which
//! Apache's broker lists `DescribeConfigs` entries). Pure functions; no Kafka knowledge.

/// `String.trim()`: strips every char at or below U+0020 from both ends (not Unicode whitespace).
pub fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c <= ' ')
}

/// The characters `\s` matches in a Java regex (`[ \t\n\x0B\f\r]`).
fn is_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// `ConfigDef.parseType` for LIST: the trimmed value split on `\s*,\s*`, trailing empty elements
/// kept; an empty value is an empty list.
pub fn split_list(value: &str) -> Vec<String> {
    let trimmed = trim(value);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(',')
        .map(|part| part.trim_matches(is_regex_space).to_string())
        .collect()
}

/// `Integer.parseInt` / `Long.parseLong` of an already trimmed string: an optional sign and ASCII
/// digits, within the type's range.
pub fn parse_integer(trimmed: &str, min: i64, max: i64) -> Option<i64> {
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = trimmed.parse().ok()?;
    (min..=max).contains(&value).then_some(value)
}

/// `Double.parseDouble` of an already trimmed string, for the decimal forms Java accepts: an
/// optional sign, then `NaN`, `Infinity`, or digits with an optional fraction and exponent and an
/// optional `d`/`f` suffix. (Java's hexadecimal floating-point form is not accepted.)
pub fn parse_double(trimmed: &str) -> Option<f64> {
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let magnitude = match unsigned {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let body = unsigned
                .strip_suffix(['d', 'D', 'f', 'F'])
                .unwrap_or(unsigned);
            if !is_decimal_literal(body) {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits [. digits] [e|E [sign] digits]` with at least one mantissa digit.
fn is_decimal_literal(body: &str) -> bool {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next().unwrap_or("");
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        all_digits(whole) && all_digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

/// Below this magnitude `Double.toString` switches to computerized scientific notation.
const PLAIN_NOTATION_MIN: f64 = 1e-3;
/// From this magnitude on `Double.toString` switches to computerized scientific notation.
const PLAIN_NOTATION_MAX: f64 = 1e7;

/// `Double.toString`: the shortest digits that round-trip, always with a fraction (`1.0`), and
/// `1.0E-4` style outside [10^-3, 10^7).
pub fn double_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (PLAIN_NOTATION_MIN..PLAIN_NOTATION_MAX).contains(&magnitude) {
        let plain = format!("{value}");
        return if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        };
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

/// `String.hashCode()` (over UTF-16 code units, wrapping).
pub fn string_hash(value: &str) -> i32 {
    value.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// A `java.util.HashMap` starts with 16 buckets ...
const JAVA_INITIAL_BUCKETS: usize = 16;
/// ... and doubles once it holds more than this fraction of its bucket count.
const JAVA_LOAD_FACTOR: f64 = 0.75;

/// Sorts `names` into the order a `java.util.HashMap` filled with them (in the given order)
/// iterates: by bucket (`(h ^ (h >>> 16)) & (buckets - 1)`), insertion order within a bucket.
pub fn java_hash_map_order<T: AsRef<str>>(names: &mut [T]) {
    let mut buckets = JAVA_INITIAL_BUCKETS;
    while names.len() as f64 > buckets as f64 * JAVA_LOAD_FACTOR {
        buckets *= 2;
    }
    let mask = buckets - 1;
    names.sort_by_key(|name| {
        let h = string_hash(name.as_ref()) as u32;
        ((h ^ (h >> 16)) as usize) & mask
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_like_java() {
        assert_eq!(trim(" \t1000\n"), "1000");
        assert_eq!(trim("\u{a0}1"), "\u{a0}1");
    }

    #[test]
    fn splits_lists_like_config_def() {
        assert_eq!(split_list(" compact , delete "), vec!["compact", "delete"]);
        assert_eq!(split_list("a,,b,"), vec!["a", "", "b", ""]);
        assert!(split_list("  ").is_empty());
    }

    #[test]
    fn parses_integers_like_java() {
        assert_eq!(parse_integer("+12", i64::MIN, i64::MAX), Some(12));
        assert_eq!(parse_integer("-1", i64::MIN, i64::MAX), Some(-1));
        assert_eq!(
            parse_integer("2147483648", i32::MIN.into(), i32::MAX.into()),
            None
        );
        assert_eq!(parse_integer("1_000", i64::MIN, i64::MAX), None);
        assert_eq!(parse_integer("", i64::MIN, i64::MAX), None);
        assert_eq!(parse_integer("-", i64::MIN, i64::MAX), None);
    }

    #[test]
    fn parses_doubles_like_java() {
        assert_eq!(parse_double("0.5"), Some(0.5));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("1."), Some(1.0));
        assert_eq!(parse_double("1e-1"), Some(0.1));
        assert_eq!(parse_double("2d"), Some(2.0));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double("abc"), None);
        assert_eq!(parse_double("."), None);
        assert_eq!(parse_double("1e"), None);
    }

    #[test]
    fn formats_doubles_like_java() {
        assert_eq!(double_to_string(0.5), "0.5");
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(0.0), "0.0");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(0.000125), "1.25E-4");
        assert_eq!(double_to_string(12345678.0), "1.2345678E7");
        assert_eq!(double_to_string(f64::NAN), "NaN");
    }

    #[test]
    fn hashes_like_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("retention.ms"), -1_339_220_362);
    }

    #[test]
    fn orders_like_a_java_hash_map() {
        let mut names = vec!["b", "a", "c", "q"];
        // "a" and "q" share bucket 1 (97 & 15 == 113 & 15); insertion order decides.
        java_hash_map_order(&mut names);
        assert_eq!(names, vec!["a", "q", "b", "c"]);
    }
}
