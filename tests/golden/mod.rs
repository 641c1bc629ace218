//! Golden comparisons: the same command lines through Apache Kafka 4.4's own tools and through
//! ours, against Apache's broker and against ours; all four outputs must agree byte for byte
//! (stdout, stderr without JVM log lines and Java stack traces, exit code), modulo the
//! deliberate deviations in DESIGN.md and what is random (topic ids, addresses, the names a
//! run gives its topics). The runner is here; each tool's cases are in its own module.
//! Skipped (with a note) unless Apache Kafka is prepared; `KAFKIT_REQUIRE_INTEROP=1` fails
//! instead.

mod console_producer;
mod groups;
mod runner;
mod topics;
