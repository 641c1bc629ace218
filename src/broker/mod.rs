//! The bundled single-node broker.
//!
//! - [`run`] serves an already-bound listener until `shutdown` resolves (tests bind port 0).
//! - [`server`] accepts connections; [`connection`] frames and dispatches one connection's
//!   requests in order; [`handlers`] holds one file per Kafka API and never sees bytes.
//! - [`coordinator`] is the group coordinator (consumer groups, committed offsets).
//! - [`state`] is the topic registry and partition logs; [`log`] is the on-disk storage and never
//!   sees protocol structs except raw record batches.
//! - [`config`] parses `server.properties`; [`topic_config`] knows topic-level configs.
//! - [`security`] is listener security: TLS (rustls), SASL (PLAIN, SCRAM) and SCRAM credentials.
//! - [`limits`] counts connections against `max.connections*` and times out idle ones.
//!
//! Depends on `protocol` only, never on `client`.

pub mod config;
pub mod connection;
pub mod coordinator;
pub mod handlers;
pub mod limits;
pub mod log;
pub mod logging;
pub mod meta;
pub mod security;
pub mod server;
pub mod state;
pub mod topic_config;

pub use server::run;
pub use state::Broker;
