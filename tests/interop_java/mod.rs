//! Interop with the Java client (kafka-clients 4.4): `tests/apache/.../Interop.java` drives our
//! in-process broker through AdminClient, the default idempotent producer with every codec,
//! assign()-mode consumers and classic consumer groups, checking what comes back. The same
//! scenarios against Apache Kafka 4.4 itself are the control: they prove the expectations are
//! Apache's behaviour, not our guess. Skipped (with a note) unless Apache Kafka is prepared;
//! `KAFKIT_REQUIRE_INTEROP=1` makes that a failure.

use crate::common::apache::{apache, shared_broker};
use crate::common::TestBroker;

/// Runs `scenarios` of the Java driver against a fresh in-process broker of ours.
async fn against_our_broker(scenarios: &[&str]) {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = TestBroker::start().await;
    let out = apache.interop(&broker.addr.to_string(), scenarios).await;
    assert_eq!(
        out.code,
        Some(0),
        "the Java client against our broker:\n{out}"
    );
    broker.stop().await;
}

#[tokio::test]
async fn java_admin_creates_describes_and_deletes_topics() {
    against_our_broker(&["admin-topics"]).await;
}

#[tokio::test]
async fn java_admin_describes_and_alters_topic_configs() {
    against_our_broker(&["describe-configs"]).await;
}

#[tokio::test]
async fn java_admin_lists_offsets_by_spec_and_timestamp() {
    against_our_broker(&["list-offsets"]).await;
}

#[tokio::test]
async fn java_idempotent_producer_and_consumer_with_every_codec() {
    against_our_broker(&["produce-consume"]).await;
}

#[tokio::test]
async fn java_consumer_group_and_admin_group_apis() {
    against_our_broker(&["groups"]).await;
}

#[tokio::test]
async fn java_kip848_consumer_protocol_works_or_fails_clearly() {
    against_our_broker(&["consumer-protocol"]).await;
}

/// The control: every scenario against Apache Kafka 4.4 (the shared broker) must pass.
#[tokio::test]
async fn java_scenarios_pass_against_apache_kafka() {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = shared_broker().await.expect("shared broker");
    let out = apache.interop(&broker.bootstrap(), &["all"]).await;
    assert_eq!(
        out.code,
        Some(0),
        "the Java client against Apache Kafka:\n{out}\n-- the broker's log ends:\n{}",
        broker.log_tail(1)
    );
}
