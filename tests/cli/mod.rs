//! Command-line tools run as real processes through `CARGO_BIN_EXE_*`, against in-process
//! brokers.

mod consumer_groups;
pub mod console_consumer;
mod server_start;
mod topics;
