//! `kafka-consumer-groups` against the in-process broker: exact stdout, stderr and exit codes of
//! every action and error path, committed offsets checked through our client and confluent-kafka.

mod delete;
mod describe;
mod list;
mod options;
mod reset;
pub mod support;
