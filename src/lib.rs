//! kafkit: native, JVM-free replacements for Apache Kafka's everyday command-line tools, and a
//! single-node broker that speaks the Kafka wire protocol and keeps its data on disk.
//!
//! # Layout
//!
//! - [`protocol`]: Kafka wire-format glue with no sockets: framing, API version tables, the raw
//!   record-batch walker, topic-name rules, Java-properties parsing. Depends on nothing internal.
//! - [`tls`]: PEM key and trust stores from Kafka's `ssl.*` settings, read from files or inline
//!   values (shared by `client` and `broker`, like `protocol`).
//! - [`client`]: talking to any Kafka cluster (depends on `protocol` and `tls` only).
//! - [`broker`]: the bundled broker: accept loop, connections, one handler per API, the on-disk log
//!   (depends on `protocol` and `tls` only).
//! - [`cli`]: one module per command-line tool; argument definitions and `run` entry points.
//!
//! The binaries in `bins/` only parse arguments, build a runtime and call into [`cli`].
//! `completions/` and `man/` are generated from the tools' clap commands by [`cli::docs`] and
//! checked by a test.

pub mod broker;
pub mod cli;
pub mod client;
pub mod error;
pub mod protocol;
pub mod tls;

pub use error::{Error, Result};
