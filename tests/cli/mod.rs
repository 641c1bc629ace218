//! Command-line tools run as real processes through `CARGO_BIN_EXE_*`.

mod server_start;
