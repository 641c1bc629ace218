//! The client library driven directly (no binaries): the consumer against in-process brokers;
//! consumer-group membership and group administration against our broker, in mixed groups with
//! librdkafka and Java consumers, beside kafka-python and kafkajs consumers, against librdkafka's
//! 3-broker mock cluster, and against Apache Kafka 4.4 itself.

mod consumer;
mod group_apache;
mod group_cooperative;
mod group_mock;
mod group_peers;
mod group_script_peers;
mod groups;
mod producer;
mod support;
