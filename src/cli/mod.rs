//! One module per command-line tool: clap argument definitions and a `main` entry point each.
//! Depends on `client`, and on `broker` only for `kafka-server-start`.
//!
//! - [`common`] — jopt-simple-compatible parsing, help table, properties, exit codes.
//! - [`topics`] — `kafka-topics`.
//! - [`consumer_groups`] — `kafka-consumer-groups`.
//! - [`console_consumer`] — `kafka-console-consumer`.
//! - [`server_start`] — `kafka-server-start`.
//! - [`java_order`] — Java `HashMap` iteration order for output Apache leaves unsorted.

pub mod common;
pub mod console_consumer;
pub mod consumer_groups;
pub mod java_order;
pub mod server_start;
pub mod topics;
