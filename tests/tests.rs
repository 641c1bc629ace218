//! The one integration-test binary: in-process brokers on port 0 with temp dirs, real binaries
//! through `CARGO_BIN_EXE_*`, and interop with third-party clients.

mod common;

mod apache_peer;
mod broker;
mod cli;
mod client;
mod docs;
mod golden;
mod interop;
mod interop_java;
mod multi_broker;
mod reliability;
mod security;
