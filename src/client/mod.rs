//! The Kafka client used by the tools: connections, metadata, admin, producer, consumer.
//!
//! Owns talking to brokers over the wire protocol; must not depend on `broker`.
//!
//! - [`connection`] — one pipelined connection per broker with version negotiation, over TCP or
//!   TLS; [`security`]: `security.protocol`/`sasl.*`/`ssl.*` settings; [`sasl`]: the client side
//!   of SASL/PLAIN and SCRAM.
//! - [`producer`] — batching, partitioning, idempotent delivery with retries.
//! - [`consumer`] — assigned or subscribed partitions fetched from their leaders.
//! - [`error`] — errors with context (API, broker, topic, partition); [`errors`]: Java's default
//!   message per Kafka error code.
//! - [`group`] — consumer-group membership and committed offsets; [`group_admin`]: group
//!   administration for the tools; [`consumer_groups`]: what kafka-consumer-groups adds (ordered
//!   listing, descriptions of both group protocols).

pub mod admin;
pub mod cluster;
pub mod connection;
pub mod consumer;
pub mod consumer_groups;
pub mod error;
pub mod errors;
pub mod group;
pub mod group_admin;
pub mod producer;
pub mod sasl;
pub mod security;

pub use cluster::{ClientConfig, Cluster, ClusterMetadata};
pub use connection::{Connection, Timeouts};
pub use error::{ClientError, ClientResult};
pub use security::Security;
