//! Golden comparisons: Apache Kafka 4.4's own tools and ours, same arguments, same broker,
//! compared byte for byte (after the normalisations in `common::golden`).

mod groups;
