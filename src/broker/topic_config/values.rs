//! Parsing and checking one topic config value as Kafka's `ConfigDef` does, with its exact
//! messages, and printing a parsed value back as Kafka reports it. No knowledge of brokers.

use super::{java, Check, ConfigType, InvalidConfig, TopicConfigDef, MAX_VALUE_LENGTH};

/// A value parsed by its config type.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Parsed {
    Boolean(bool),
    Integer(i64),
    Double(f64),
    Text(String),
    List(Vec<String>),
}

impl Parsed {
    /// `ConfigDef.convertToString`.
    pub(super) fn to_kafka_string(&self) -> String {
        match self {
            Parsed::Boolean(b) => b.to_string(),
            Parsed::Integer(n) => n.to_string(),
            Parsed::Double(d) => java::double_to_string(*d),
            Parsed::Text(s) => s.clone(),
            Parsed::List(items) => items.join(","),
        }
    }
}

/// `ConfigException(name, value, message)`.
fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> InvalidConfig {
    InvalidConfig(format!(
        "Invalid value {value} for configuration {name}: {message}"
    ))
}

/// `ConfigDef.parseType` then the config's validator.
pub(super) fn parse(def: &TopicConfigDef, raw: &str) -> Result<Parsed, InvalidConfig> {
    let trimmed = java::trim(raw);
    let not_a_number = || {
        invalid(
            def.name,
            raw,
            &format!("Not a number of type {}", def.config_type.java_name()),
        )
    };
    let parsed = match def.config_type {
        ConfigType::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") {
                Parsed::Boolean(true)
            } else if trimmed.eq_ignore_ascii_case("false") {
                Parsed::Boolean(false)
            } else {
                return Err(invalid(
                    def.name,
                    raw,
                    "Expected value to be either true or false",
                ));
            }
        }
        ConfigType::Short => Parsed::Integer(
            java::parse_integer(trimmed, i16::MIN.into(), i16::MAX.into())
                .ok_or_else(not_a_number)?,
        ),
        ConfigType::Int => Parsed::Integer(
            java::parse_integer(trimmed, i32::MIN.into(), i32::MAX.into())
                .ok_or_else(not_a_number)?,
        ),
        ConfigType::Long => Parsed::Integer(
            java::parse_integer(trimmed, i64::MIN, i64::MAX).ok_or_else(not_a_number)?,
        ),
        ConfigType::Double => Parsed::Double(java::parse_double(trimmed).ok_or_else(not_a_number)?),
        ConfigType::List => Parsed::List(java::split_list(raw)),
        ConfigType::String | ConfigType::Class | ConfigType::Password => {
            Parsed::Text(trimmed.to_string())
        }
    };
    check(def, &parsed)?;
    Ok(parsed)
}

/// The message of a `ValidString` that failed.
fn one_of_message(valid: &[&str]) -> String {
    format!("String must be one of: {}", valid.join(", "))
}

fn check(def: &TopicConfigDef, parsed: &Parsed) -> Result<(), InvalidConfig> {
    let name = def.name;
    match (def.check, parsed) {
        (Check::AtLeast(min), Parsed::Integer(n)) if *n < min => {
            Err(invalid(name, n, &format!("Value must be at least {min}")))
        }
        (Check::Between(min, max), Parsed::Integer(n)) => {
            if *n < min {
                Err(invalid(name, n, &format!("Value must be at least {min}")))
            } else if *n > max {
                Err(invalid(
                    name,
                    n,
                    &format!("Value must be no more than {max}"),
                ))
            } else {
                Ok(())
            }
        }
        // Comparisons with NaN are false, so NaN passes, as in Java.
        (Check::Between(min, max), Parsed::Double(d)) => {
            let shown = java::double_to_string(*d);
            if *d < min as f64 {
                Err(invalid(
                    name,
                    shown,
                    &format!("Value must be at least {min}"),
                ))
            } else if *d > max as f64 {
                Err(invalid(
                    name,
                    shown,
                    &format!("Value must be no more than {max}"),
                ))
            } else {
                Ok(())
            }
        }
        (Check::GzipLevel, Parsed::Integer(n)) => {
            const BEST_SPEED: i64 = 1;
            const BEST_COMPRESSION: i64 = 9;
            const DEFAULT_LEVEL: i64 = -1;
            if *n > BEST_COMPRESSION || (*n < BEST_SPEED && *n != DEFAULT_LEVEL) {
                Err(invalid(
                    name,
                    n,
                    &format!(
                        "Value must be between {BEST_SPEED} and {BEST_COMPRESSION} or equal to {DEFAULT_LEVEL}"
                    ),
                ))
            } else {
                Ok(())
            }
        }
        (Check::OneOf(valid), Parsed::Text(s)) if !valid.contains(&s.as_str()) => {
            Err(invalid(name, s, &one_of_message(valid)))
        }
        (Check::ListOf(valid), Parsed::List(items)) => {
            match items.iter().find(|item| !valid.contains(&item.as_str())) {
                Some(item) => Err(invalid(name, item, &one_of_message(valid))),
                None => Ok(()),
            }
        }
        (Check::ThrottledReplicas, Parsed::List(items)) => {
            let is_pair = |s: &str| {
                s.is_empty()
                    || s.split_once(':').is_some_and(|(p, b)| {
                        !p.is_empty()
                            && !b.is_empty()
                            && p.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                    })
            };
            let trimmed: Vec<&str> = items.iter().map(|s| java::trim(s)).collect();
            if trimmed.iter().all(|s| is_pair(s)) || trimmed.concat() == "*" {
                Ok(())
            } else {
                Err(invalid(
                    name,
                    format!("[{}]", items.join(", ")),
                    &format!(
                        "{name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
                    ),
                ))
            }
        }
        _ => Ok(()),
    }
}

/// A value as Kafka reports it after parsing (`ConfigDef.convertToString(parse(value))`):
/// trimmed, `1` for a DOUBLE becomes `1.0`, list spacing removed, booleans lower-cased.
pub fn normalize(def: &TopicConfigDef, raw: &str) -> Result<String, InvalidConfig> {
    parse(def, raw).map(|p| p.to_kafka_string())
}

/// Refuses a value longer than Kafka can store.
pub fn check_value_size(value: &str) -> Result<(), InvalidConfig> {
    if value.len() > MAX_VALUE_LENGTH && value.encode_utf16().count() > MAX_VALUE_LENGTH {
        return Err(InvalidConfig(format!(
            "The configuration value cannot be added because it exceeds the maximum value size of {MAX_VALUE_LENGTH} bytes."
        )));
    }
    Ok(())
}
