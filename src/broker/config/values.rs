//! Typed reading of `server.properties` values with the parsing rules and error messages of
//! Kafka's `ConfigDef` (values are trimmed; `Invalid value X for configuration K: reason`). Owns
//! value syntax only; which keys exist and what they mean is decided by the parent module.

use std::collections::BTreeMap;
use std::fmt::Display;

use crate::{Error, Result};

/// Kafka's wording for a value that is present but unusable.
pub fn invalid(key: &str, value: &str, reason: impl Display) -> Error {
    Error::Config(format!(
        "Invalid value {value} for configuration {key}: {reason}"
    ))
}

/// Read access to the given properties with Kafka's typed parsing.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    props: &'a BTreeMap<String, String>,
}

impl<'a> Values<'a> {
    pub fn new(props: &'a BTreeMap<String, String>) -> Self {
        Values { props }
    }

    /// The value as given (untrimmed), if the key is present.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.props.get(key).map(String::as_str)
    }

    /// An `INT` config, at least `min`.
    pub fn int(&self, key: &str, min: i32) -> Result<Option<i32>> {
        self.number(key, "INT", i64::from(min))
    }

    /// A `SHORT` config, at least `min`.
    pub fn short(&self, key: &str, min: i16) -> Result<Option<i16>> {
        self.number(key, "SHORT", i64::from(min))
    }

    /// A `LONG` config, at least `min`.
    pub fn long(&self, key: &str, min: i64) -> Result<Option<i64>> {
        self.number(key, "LONG", min)
    }

    fn number<T>(&self, key: &str, type_name: &str, min: i64) -> Result<Option<T>>
    where
        T: std::str::FromStr + Into<i64> + Copy,
    {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let n: T = raw
            .trim()
            .parse()
            .map_err(|_| invalid(key, raw, format!("Not a number of type {type_name}")))?;
        if n.into() < min {
            return Err(invalid(key, raw, format!("Value must be at least {min}")));
        }
        Ok(Some(n))
    }

    /// A `BOOLEAN` config: `true` or `false`, case-insensitive.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        let Some(raw) = self.get(key) else {
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

    /// A `STRING` config restricted to `allowed` (exact, case-sensitive, as Kafka's `ValidString`).
    pub fn one_of(&self, key: &str, allowed: &[&'static str]) -> Result<Option<&'static str>> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let trimmed = raw.trim();
        allowed
            .iter()
            .find(|a| **a == trimmed)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    key,
                    raw,
                    format!("String must be one of: {}", allowed.join(", ")),
                )
            })
    }

    /// A `LIST` config: comma-separated, each item trimmed, empty items dropped.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(split_list)
    }
}

/// Splits a comma-separated list the way Kafka's `LIST` type does, dropping empty items.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::protocol::properties::from_pairs as props;

    #[test]
    fn numbers_are_trimmed_and_checked_with_kafka_messages() {
        let p = props(&[
            ("a", " 42 "),
            ("b", "abc"),
            ("c", "0"),
            ("d", "99999999999"),
        ]);
        let v = Values::new(&p);
        assert_eq!(v.int("a", 1).unwrap(), Some(42));
        assert_eq!(v.int("missing", 1).unwrap(), None);
        assert_eq!(
            v.int("b", 1).unwrap_err().to_string(),
            "invalid configuration: Invalid value abc for configuration b: Not a number of type INT"
        );
        assert_eq!(
            v.int("c", 1).unwrap_err().to_string(),
            "invalid configuration: Invalid value 0 for configuration c: Value must be at least 1"
        );
        assert!(v
            .int("d", 0)
            .unwrap_err()
            .to_string()
            .ends_with("Not a number of type INT"));
        assert_eq!(v.long("d", 0).unwrap(), Some(99_999_999_999));
        assert!(v.short("a", 1).map(|s| s == Some(42)).unwrap_or(false));
    }

    #[test]
    fn booleans_strings_and_lists() {
        let p = props(&[
            ("t", "TRUE"),
            ("f", " false"),
            ("x", "yes"),
            ("ts", "LogAppendTime"),
            ("l", " a , b,,c "),
        ]);
        let v = Values::new(&p);
        assert_eq!(v.boolean("t").unwrap(), Some(true));
        assert_eq!(v.boolean("f").unwrap(), Some(false));
        assert!(v.boolean("x").unwrap_err().to_string().ends_with(
            "Invalid value yes for configuration x: Expected value to be either true or false"
        ));
        assert_eq!(
            v.one_of("ts", &["CreateTime", "LogAppendTime"]).unwrap(),
            Some("LogAppendTime")
        );
        assert!(v
            .one_of("t", &["CreateTime", "LogAppendTime"])
            .unwrap_err()
            .to_string()
            .ends_with("String must be one of: CreateTime, LogAppendTime"));
        assert_eq!(v.list("l").unwrap(), vec!["a", "b", "c"]);
    }
}
