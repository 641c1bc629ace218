//! The client library driven directly (no binaries), against in-process brokers.

mod consumer;
