//! Interop: clients nobody here wrote (kcat, confluent-kafka, kafka-python) drive the bundled
//! broker, and data they wrote survives restarts and `kill -9`.
//!
//! Peers are installed by `scripts/install-peers`. A missing peer skips its test with a note on
//! stderr, unless `KAFKIT_REQUIRE_INTEROP=1` (set by `.ci/run`), which makes it a failure. Each
//! test runs its own broker on port 0 with a temp dir; peers run as child processes so the
//! broker keeps serving on the multi-threaded runtime. Python scenarios live in `py/` and check
//! record contents themselves; the Rust side asserts their exit status and `RESULT` summary.

mod confluent;
mod durability;
mod kafka_python;
mod kcat;
pub mod peers;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{CreateTopicsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use std::net::SocketAddr;

/// CreateTopics version used to set topics up (the newest the broker advertises).
const CREATE_TOPICS_VERSION: i16 = 7;
/// Broker-side timeout sent with CreateTopics.
const CREATE_TOPICS_TIMEOUT_MS: i32 = 30_000;

/// Creates `name` with `partitions` partitions and the given topic configs through the broker's
/// own CreateTopics handler, failing the test on any error.
pub async fn create_topic(addr: SocketAddr, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    let mut client = crate::common::RawClient::connect(addr).await;
    let topic = CreatableTopic::default()
        .with_name(TopicName(StrBytes::from_string(name.to_owned())))
        .with_num_partitions(partitions)
        .with_replication_factor(1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(StrBytes::from_string((*k).to_owned()))
                        .with_value(Some(StrBytes::from_string((*v).to_owned())))
                })
                .collect(),
        );
    let request = CreateTopicsRequest::default()
        .with_topics(vec![topic])
        .with_timeout_ms(CREATE_TOPICS_TIMEOUT_MS);
    let response = client.send(request, CREATE_TOPICS_VERSION).await;
    let result = response
        .topics
        .first()
        .unwrap_or_else(|| panic!("CreateTopics answered no topic for {name}"));
    assert_eq!(
        result.error_code, 0,
        "creating {name}: {:?}",
        result.error_message
    );
}

/// `host:port` for a peer's bootstrap option.
pub fn bootstrap(addr: SocketAddr) -> String {
    addr.to_string()
}
