//! The real binaries (`CARGO_BIN_EXE_*`) against in-process brokers.

mod topics;
