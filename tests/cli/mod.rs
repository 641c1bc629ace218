//! Command-line tools run as real processes through `CARGO_BIN_EXE_*`, against in-process
//! brokers.

pub mod console_consumer;
mod console_producer;
pub mod consumer_groups;
mod server_start;
mod topics;
