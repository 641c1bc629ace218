//! CONTRACT ONLY (skeleton): Java properties parsing, replaced by the config work.
