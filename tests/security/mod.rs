//! Security: TLS and SASL listeners of the bundled broker, driven by raw requests (what an
//! unauthenticated client gets), by our own tools through `--command-config`, and by librdkafka
//! (confluent-kafka, kcat). Certificates are generated per test (see [`fixture`]).

mod apache;
mod fixture;
mod librdkafka;
mod server;
mod tools;
mod wire;
