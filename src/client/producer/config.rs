//! Producer settings and their Java names: parsing from client properties with the Java client's
//! validation messages, and the idempotence rules of `ProducerConfig` (on by default, silently
//! off when acks or retries forbid it unless asked for explicitly; more than five requests in
//! flight refused while it is on).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::protocol::record_encode::Compression;

/// Java's defaults.
const DEFAULT_BATCH_SIZE: usize = 16_384;
const DEFAULT_LINGER_MS: u64 = 5;
const DEFAULT_RETRIES: u32 = i32::MAX as u32;
const DEFAULT_DELIVERY_TIMEOUT_MS: u64 = 120_000;
const DEFAULT_MAX_BLOCK_MS: u64 = 60_000;
const DEFAULT_BUFFER_MEMORY: usize = 33_554_432;
const DEFAULT_MAX_REQUEST_SIZE: usize = 1_048_576;
const DEFAULT_MAX_IN_FLIGHT: usize = 5;
const DEFAULT_REQUEST_TIMEOUT_MS: i32 = 30_000;
/// `send.buffer.bytes` may be -1 (the operating system's default).
const SEND_BUFFER_LOWER_BOUND: i32 = -1;
/// The idempotent producer keeps at most this many requests in flight per connection.
pub const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: usize = 5;

/// How a producer batches, retries and acknowledges.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `acks`: 0, 1 or -1 (`all`).
    pub acks: i16,
    /// `enable.idempotence` after Java's resolution against acks, retries and in-flight limit.
    pub idempotence: bool,
    /// `batch.size`: bytes per partition batch (0 disables batching).
    pub batch_size: usize,
    /// `linger.ms`.
    pub linger: Duration,
    /// `compression.type`.
    pub compression: Compression,
    /// `retries`.
    pub retries: u32,
    /// `delivery.timeout.ms`: the longest a record may wait from `send` to its acknowledgement.
    pub delivery_timeout: Duration,
    /// `max.block.ms`: the longest `send` waits for metadata or buffer memory.
    pub max_block: Duration,
    /// `buffer.memory`: bytes of records waiting to be sent.
    pub buffer_memory: usize,
    /// `max.request.size`.
    pub max_request_size: usize,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: -1,
            idempotence: true,
            batch_size: DEFAULT_BATCH_SIZE,
            linger: Duration::from_millis(DEFAULT_LINGER_MS),
            compression: Compression::None,
            retries: DEFAULT_RETRIES,
            delivery_timeout: Duration::from_millis(DEFAULT_DELIVERY_TIMEOUT_MS),
            max_block: Duration::from_millis(DEFAULT_MAX_BLOCK_MS),
            buffer_memory: DEFAULT_BUFFER_MEMORY,
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

fn invalid(value: &str, key: &str, reason: &str) -> String {
    format!("Invalid value {value} for configuration {key}: {reason}")
}

fn int(properties: &BTreeMap<String, String>, key: &str) -> Result<Option<i32>, String> {
    properties
        .get(key)
        .map(|v| {
            v.trim()
                .parse::<i32>()
                .map_err(|_| invalid(v, key, "Not a number of type INT"))
        })
        .transpose()
}

fn long(properties: &BTreeMap<String, String>, key: &str) -> Result<Option<i64>, String> {
    properties
        .get(key)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| invalid(v, key, "Not a number of type LONG"))
        })
        .transpose()
}

fn at_least<T: PartialOrd + std::fmt::Display + Copy>(
    value: Option<T>,
    min: T,
    key: &str,
) -> Result<Option<T>, String> {
    match value {
        Some(v) if v < min => Err(invalid(
            &v.to_string(),
            key,
            &format!("Value must be at least {min}"),
        )),
        other => Ok(other),
    }
}

impl ProducerConfig {
    /// Settings from producer properties (Java names), validated as the Java client does.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut config = ProducerConfig::default();
        if let Some(acks) = properties.get("acks") {
            // Java's `ValidString.in("all", "-1", "0", "1")`: trimmed (every STRING config
            // is) but case-sensitive, so `ALL` is refused as Apache refuses it.
            config.acks = match acks.trim() {
                "all" | "-1" => -1,
                "0" => 0,
                "1" => 1,
                _ => {
                    return Err(invalid(
                        acks.trim(),
                        "acks",
                        "String must be one of: all, -1, 0, 1",
                    ))
                }
            };
        }
        if let Some(v) = at_least(int(properties, "batch.size")?, 0, "batch.size")? {
            config.batch_size = v as usize;
        }
        if let Some(v) = at_least(long(properties, "linger.ms")?, 0, "linger.ms")? {
            config.linger = Duration::from_millis(v as u64);
        }
        if let Some(name) = properties.get("compression.type") {
            config.compression = Compression::from_name(name.trim()).ok_or_else(|| {
                invalid(
                    name,
                    "compression.type",
                    "String must be one of: none, gzip, snappy, lz4, zstd",
                )
            })?;
        }
        if let Some(v) = at_least(int(properties, "retries")?, 0, "retries")? {
            config.retries = v as u32;
        }
        if let Some(v) = at_least(
            int(properties, "delivery.timeout.ms")?,
            0,
            "delivery.timeout.ms",
        )? {
            config.delivery_timeout = Duration::from_millis(v as u64);
        }
        if let Some(v) = at_least(long(properties, "max.block.ms")?, 0, "max.block.ms")? {
            config.max_block = Duration::from_millis(v as u64);
        }
        if let Some(v) = at_least(long(properties, "buffer.memory")?, 0, "buffer.memory")? {
            config.buffer_memory = v as usize;
        }
        if let Some(v) = at_least(int(properties, "max.request.size")?, 0, "max.request.size")? {
            config.max_request_size = v as usize;
        }
        if let Some(v) = at_least(
            int(properties, "max.in.flight.requests.per.connection")?,
            1,
            "max.in.flight.requests.per.connection",
        )? {
            config.max_in_flight = v as usize;
        }
        // Checked here, with the Java client's text, although the connection settings are
        // applied elsewhere (`ClientConfig`): Java's `ProducerConfig` refuses these values.
        let request_timeout_ms = at_least(
            int(properties, "request.timeout.ms")?,
            0,
            "request.timeout.ms",
        )?
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS);
        at_least(long(properties, "retry.backoff.ms")?, 0, "retry.backoff.ms")?;
        at_least(
            long(properties, "metadata.max.age.ms")?,
            0,
            "metadata.max.age.ms",
        )?;
        at_least(
            int(properties, "send.buffer.bytes")?,
            SEND_BUFFER_LOWER_BOUND,
            "send.buffer.bytes",
        )?;
        // Java's `KafkaProducer.configureDeliveryTimeout`: an explicit delivery timeout shorter
        // than linger + request timeout is refused; the default one is raised to it.
        let linger_and_request =
            Duration::from_millis(config.linger.as_millis() as u64 + request_timeout_ms as u64);
        if config.delivery_timeout < linger_and_request {
            if properties.contains_key("delivery.timeout.ms") {
                return Err(
                    "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms"
                        .to_string(),
                );
            }
            config.delivery_timeout = linger_and_request;
        }
        if properties
            .get("transactional.id")
            .is_some_and(|id| !id.is_empty())
        {
            return Err(
                "transactional.id is not supported by kafkit's producer (no transactions)"
                    .to_string(),
            );
        }
        let explicit = match properties.get("enable.idempotence") {
            None => None,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    return Err(invalid(
                        v,
                        "enable.idempotence",
                        "Expected value to be either true or false",
                    ))
                }
            },
        };
        config.idempotence = explicit.unwrap_or(true);
        // Java's `ProducerConfig.postProcessAndValidateIdempotenceConfigs` (4.x), in its order:
        // retries 0 and acks other than all turn idempotence off unless it was asked for
        // explicitly (then they are errors); too many in-flight requests are always an error
        // while `enable.idempotence` is true, even when acks or retries turn it off.
        if config.idempotence {
            let mut disable = false;
            for (conflict, message) in [
                (
                    config.retries == 0,
                    "Must set retries to non-zero when using the idempotent producer.",
                ),
                (
                    config.acks != -1,
                    "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
                ),
            ] {
                if conflict {
                    if explicit == Some(true) {
                        return Err(message.to_string());
                    }
                    disable = true;
                }
            }
            if config.max_in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
                return Err(format!(
                    "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most {MAX_IN_FLIGHT_FOR_IDEMPOTENCE}. Current value is {}.",
                    config.max_in_flight
                ));
            }
            config.idempotence = !disable;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::protocol::properties::from_pairs as props;

    #[test]
    fn defaults_are_javas() {
        let c = ProducerConfig::from_properties(&BTreeMap::new()).unwrap();
        assert_eq!(c.acks, -1);
        assert!(c.idempotence);
        assert_eq!(c.batch_size, 16_384);
        assert_eq!(c.compression, Compression::None);
    }

    #[test]
    fn idempotence_follows_acks() {
        let c = ProducerConfig::from_properties(&props(&[("acks", "1")])).unwrap();
        assert!(!c.idempotence);
        let e = ProducerConfig::from_properties(&props(&[
            ("acks", "1"),
            ("enable.idempotence", "true"),
        ]))
        .unwrap_err();
        assert_eq!(e, "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.");
        let c = ProducerConfig::from_properties(&props(&[("acks", "all")])).unwrap();
        assert!(c.idempotence);
    }

    #[test]
    fn invalid_values() {
        assert_eq!(
            ProducerConfig::from_properties(&props(&[("compression.type", "foo")])).unwrap_err(),
            "Invalid value foo for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"
        );
        assert_eq!(
            ProducerConfig::from_properties(&props(&[("batch.size", "x")])).unwrap_err(),
            "Invalid value x for configuration batch.size: Not a number of type INT"
        );
        assert_eq!(
            ProducerConfig::from_properties(&props(&[("linger.ms", "-1")])).unwrap_err(),
            "Invalid value -1 for configuration linger.ms: Value must be at least 0"
        );
        // Case-sensitive as Java's `ValidString`, but trimmed.
        assert_eq!(
            ProducerConfig::from_properties(&props(&[("acks", "ALL")])).unwrap_err(),
            "Invalid value ALL for configuration acks: String must be one of: all, -1, 0, 1"
        );
        assert!(ProducerConfig::from_properties(&props(&[("acks", " all ")])).is_ok());
        for (key, value, reason) in [
            ("request.timeout.ms", "-5", "Value must be at least 0"),
            ("retry.backoff.ms", "-1", "Value must be at least 0"),
            ("metadata.max.age.ms", "-1", "Value must be at least 0"),
            ("send.buffer.bytes", "-2", "Value must be at least -1"),
            ("request.timeout.ms", "x", "Not a number of type INT"),
        ] {
            assert_eq!(
                ProducerConfig::from_properties(&props(&[(key, value)])).unwrap_err(),
                format!("Invalid value {value} for configuration {key}: {reason}")
            );
        }
    }

    #[test]
    fn delivery_timeout_covers_linger_and_request_timeout() {
        let short = [("linger.ms", "1000"), ("request.timeout.ms", "1500")];
        let c = ProducerConfig::from_properties(&props(&short)).unwrap();
        assert_eq!(c.delivery_timeout, Duration::from_millis(120_000));
        let mut explicit = short.to_vec();
        explicit.push(("delivery.timeout.ms", "2499"));
        assert_eq!(
            ProducerConfig::from_properties(&props(&explicit)).unwrap_err(),
            "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms"
        );
        // The default is raised, as Java does (with a warning in its log).
        let c =
            ProducerConfig::from_properties(&props(&[("request.timeout.ms", "200000")])).unwrap();
        assert_eq!(c.delivery_timeout, Duration::from_millis(200_005));
    }

    #[test]
    fn in_flight_limit_while_idempotence_is_configured() {
        let message = "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is 9.";
        let nine = ("max.in.flight.requests.per.connection", "9");
        assert_eq!(
            ProducerConfig::from_properties(&props(&[nine])).unwrap_err(),
            message
        );
        // acks=1 turns idempotence off, but Java checks the limit all the same.
        assert_eq!(
            ProducerConfig::from_properties(&props(&[nine, ("acks", "1")])).unwrap_err(),
            message
        );
        let c = ProducerConfig::from_properties(&props(&[nine, ("enable.idempotence", "false")]))
            .unwrap();
        assert_eq!((c.idempotence, c.max_in_flight), (false, 9));
        // Java checks retries before acks.
        assert_eq!(
            ProducerConfig::from_properties(&props(&[
                ("retries", "0"),
                ("acks", "1"),
                ("enable.idempotence", "true"),
            ]))
            .unwrap_err(),
            "Must set retries to non-zero when using the idempotent producer."
        );
    }
}
