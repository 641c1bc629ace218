//! One module per command-line tool: clap argument definitions and a `main` entry point each.
//! Depends on `client`, and on `broker` only for `kafka-server-start`.
//!
//! - [`common`] — jopt-simple-compatible parsing, properties, exit codes.
//! - [`jopt_help`] — jopt-simple's help table, byte for byte.
//! - [`topics`] — `kafka-topics`.
//! - [`console_producer`] — `kafka-console-producer`.
//! - [`consumer_groups`] — `kafka-consumer-groups`.
//! - [`console_consumer`] — `kafka-console-consumer`.
//! - [`server_start`] — `kafka-server-start`.
//! - [`docs`] — completions and man pages rendered from the tools' clap commands.
//! - [`java_order`] — Java `HashMap` iteration order for output Apache leaves unsorted.

pub mod common;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod docs;
pub mod java_order;
pub mod jopt_help;
pub mod server_start;
pub mod topics;
