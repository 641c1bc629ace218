//! Install helpers.
