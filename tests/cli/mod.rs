//! Command-line tools run as real processes through `CARGO_BIN_EXE_*`, against in-process
//! brokers.

mod server_start;
mod topics;
