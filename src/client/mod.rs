//! The Kafka client used by the tools: connections, metadata, admin, producer, consumer.
//!
//! Owns talking to brokers over the wire protocol; must not depend on `broker`.
