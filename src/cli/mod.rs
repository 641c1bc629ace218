//! One module per command-line tool: clap argument definitions and a `run` entry point each.
//! Depends on `client`, and on `broker` only for `kafka-server-start`.

pub mod server_start;
