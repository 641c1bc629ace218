//! Kafka wire-format glue shared by the client and the broker. No sockets, no files, no tasks:
//! only bytes in, values out.
//!
//! - [`frame`] — 4-byte length-prefixed frames with a size limit.
//! - [`versions`] — which API versions the bundled broker implements.
//! - [`batch`] — the raw record-batch (magic v2) walker, validator and patcher.
//! - [`consumer_protocol`] — ConsumerProtocol subscription/assignment bytes of classic groups.
//! - [`record_decode`] — zero-copy reading of the records of fetched batches.
//! - [`decompress`] — gzip/snappy/lz4/zstd decompression of a batch's records.
//! - [`topic`] — Kafka's topic-name rules.
//! - [`properties`] — Java `.properties` parsing.
//! - [`record_encode`] — encoding v2 record batches (records, header, CRC, compression).
//! - [`murmur2`] — Java's default partitioner hash for keyed records.
//! - [`scram`] — SCRAM-SHA-256/512 key derivation and messages; [`jaas`] — `sasl.jaas.config`
//!   values.

pub mod batch;
pub mod consumer_protocol;
pub mod decompress;
pub mod frame;
pub mod jaas;
pub mod murmur2;
pub mod properties;
pub mod record_decode;
pub mod record_encode;
pub mod scram;
pub mod topic;
pub mod versions;

pub use kafka_protocol;

#[cfg(test)]
mod fuzz_tests;
