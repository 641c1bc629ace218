//! Command-line tools run as real processes through `CARGO_BIN_EXE_*`, against in-process
//! brokers.

mod consumer_groups;
mod server_start;
mod topics;
