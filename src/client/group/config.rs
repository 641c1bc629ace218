//! Settings of a group member, named and defaulted as Java's consumer names and defaults them
//! (Kafka 4.x), and the subscription (topic list or pattern). Owns parsing and defaults only.

use std::time::Duration;

use regex::Regex;

use super::assignor::Assignor;
use crate::client::error::{ClientError, ClientResult};

/// `session.timeout.ms` default (Kafka 3.0+).
const DEFAULT_SESSION_TIMEOUT_MS: u64 = 45_000;
/// `heartbeat.interval.ms` default.
const DEFAULT_HEARTBEAT_INTERVAL_MS: u64 = 3_000;
/// `max.poll.interval.ms` default: also the rebalance timeout sent in JoinGroup.
const DEFAULT_MAX_POLL_INTERVAL_MS: u64 = 300_000;
/// `auto.commit.interval.ms` default.
const DEFAULT_AUTO_COMMIT_INTERVAL_MS: u64 = 5_000;
/// `metadata.max.age.ms` default: how often subscribed topics are re-checked for changes.
const DEFAULT_METADATA_MAX_AGE_MS: u64 = 300_000;

/// How a member of a classic consumer group behaves.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`: a static member when set.
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `max.poll.interval.ms`: the longest gap between `poll` calls, and the rebalance timeout.
    pub max_poll_interval: Duration,
    /// `partition.assignment.strategy`, in preference order.
    pub assignors: Vec<Assignor>,
    /// `enable.auto.commit`.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval: Duration,
    /// `exclude.internal.topics`: a pattern never matches internal topics.
    pub exclude_internal_topics: bool,
    /// `metadata.max.age.ms`.
    pub metadata_max_age: Duration,
}

impl GroupConfig {
    /// Java's defaults for `group_id`, except that the assignors are `[range]` (Java's default is
    /// `[range, cooperative-sticky]`, whose rebalances are eager anyway since range is).
    pub fn new(group_id: &str) -> GroupConfig {
        GroupConfig {
            group_id: group_id.to_string(),
            group_instance_id: None,
            session_timeout: Duration::from_millis(DEFAULT_SESSION_TIMEOUT_MS),
            heartbeat_interval: Duration::from_millis(DEFAULT_HEARTBEAT_INTERVAL_MS),
            max_poll_interval: Duration::from_millis(DEFAULT_MAX_POLL_INTERVAL_MS),
            assignors: vec![Assignor::Range],
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(DEFAULT_AUTO_COMMIT_INTERVAL_MS),
            exclude_internal_topics: true,
            metadata_max_age: Duration::from_millis(DEFAULT_METADATA_MAX_AGE_MS),
        }
    }

    /// Applies one consumer property. Returns `Ok(false)` for keys that are not group settings
    /// (the consumer handles those), an error for a bad value.
    pub fn set(&mut self, key: &str, value: &str) -> ClientResult<bool> {
        let value = value.trim();
        match key {
            "group.id" => self.group_id = value.to_string(),
            "group.instance.id" => {
                self.group_instance_id = (!value.is_empty()).then(|| value.to_string())
            }
            "session.timeout.ms" => self.session_timeout = millis(key, value)?,
            "heartbeat.interval.ms" => self.heartbeat_interval = millis(key, value)?,
            "max.poll.interval.ms" => self.max_poll_interval = millis(key, value)?,
            "partition.assignment.strategy" => self.assignors = Assignor::parse_list(value)?,
            "enable.auto.commit" => self.enable_auto_commit = boolean(key, value)?,
            "auto.commit.interval.ms" => self.auto_commit_interval = millis(key, value)?,
            "exclude.internal.topics" => self.exclude_internal_topics = boolean(key, value)?,
            "metadata.max.age.ms" => self.metadata_max_age = millis(key, value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether rebalances are cooperative (KIP-429): only when every configured assignor supports
    /// it, as Java's `ConsumerCoordinator` decides; otherwise eager.
    pub fn is_cooperative(&self) -> bool {
        !self.assignors.is_empty() && self.assignors.iter().all(|a| a.is_cooperative())
    }

    /// Checks the settings together, as Java's `ConsumerConfig` does.
    pub fn validate(&self) -> ClientResult<()> {
        if self.group_id.is_empty() {
            return Err(ClientError::Config(
                "A group.id is required to join a consumer group".to_string(),
            ));
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err(ClientError::Config(
                "heartbeat.interval.ms must be set lower than session.timeout.ms".to_string(),
            ));
        }
        if self.assignors.is_empty() {
            return Err(ClientError::Config(
                "partition.assignment.strategy must name at least one assignor".to_string(),
            ));
        }
        for (key, value) in [
            ("session.timeout.ms", self.session_timeout),
            ("max.poll.interval.ms", self.max_poll_interval),
        ] {
            if value.as_millis() > i32::MAX as u128 {
                return Err(ClientError::Config(format!(
                    "{key} must be at most {} ms",
                    i32::MAX
                )));
            }
        }
        Ok(())
    }

    /// `session.timeout.ms` as JoinGroup sends it.
    pub(crate) fn session_timeout_ms(&self) -> i32 {
        i32::try_from(self.session_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// The rebalance timeout (`max.poll.interval.ms`) as JoinGroup sends it.
    pub(crate) fn rebalance_timeout_ms(&self) -> i32 {
        i32::try_from(self.max_poll_interval.as_millis()).unwrap_or(i32::MAX)
    }
}

fn millis(key: &str, value: &str) -> ClientResult<Duration> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| ClientError::Config(format!("Invalid value {value} for configuration {key}")))
}

fn boolean(key: &str, value: &str) -> ClientResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ClientError::Config(format!(
            "Invalid value {value} for configuration {key}: Expected value to be either true or false"
        ))),
    }
}

/// What a member consumes.
#[derive(Debug, Clone)]
pub enum Subscription {
    /// These topics (missing ones are simply not assigned until they exist).
    Topics(Vec<String>),
    /// Every topic whose whole name matches, re-checked every `metadata.max.age.ms`.
    Pattern(TopicPattern),
}

/// A topic pattern matched against whole names (Java's `Pattern.matcher(topic).matches()`).
#[derive(Debug, Clone)]
pub struct TopicPattern {
    source: String,
    anchored: Regex,
}

impl TopicPattern {
    pub fn new(pattern: &str) -> ClientResult<TopicPattern> {
        let anchored = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| ClientError::Config(format!("Invalid topic pattern {pattern}: {e}")))?;
        Ok(TopicPattern {
            source: pattern.to_string(),
            anchored,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, topic: &str) -> bool {
        self.anchored.is_match(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_use_java_names_and_validate_together() {
        let mut config = GroupConfig::new("g");
        assert!(config.set("session.timeout.ms", "10000").unwrap());
        assert!(config.set("enable.auto.commit", "FALSE").unwrap());
        assert!(config
            .set(
                "partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.RoundRobinAssignor"
            )
            .unwrap());
        assert!(!config.set("fetch.min.bytes", "1").unwrap());
        assert!(config.set("heartbeat.interval.ms", "x").is_err());
        assert_eq!(config.session_timeout, Duration::from_secs(10));
        assert!(!config.enable_auto_commit);
        assert_eq!(config.assignors, vec![Assignor::RoundRobin]);
        config.validate().unwrap();
        config.set("heartbeat.interval.ms", "10000").unwrap();
        assert!(config.validate().is_err());
        assert!(GroupConfig::new("").validate().is_err());
    }

    #[test]
    fn rebalances_are_cooperative_only_when_every_assignor_is() {
        let mut config = GroupConfig::new("g");
        assert!(!config.is_cooperative());
        config
            .set("partition.assignment.strategy", "cooperative-sticky")
            .unwrap();
        assert!(config.is_cooperative());
        // Java's default list: range is eager, so the group's rebalances are eager.
        config
            .set(
                "partition.assignment.strategy",
                "range,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            )
            .unwrap();
        assert_eq!(
            config.assignors,
            vec![Assignor::Range, Assignor::CooperativeSticky]
        );
        assert!(!config.is_cooperative());
    }

    #[test]
    fn patterns_match_whole_names() {
        let pattern = TopicPattern::new("orders|pay.*").unwrap();
        assert!(pattern.matches("orders"));
        assert!(pattern.matches("payments"));
        assert!(!pattern.matches("orders-eu"));
        assert!(!pattern.matches("x-payments"));
        assert!(TopicPattern::new("(").is_err());
    }
}
