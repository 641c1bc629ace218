//! CONTRACT ONLY (skeleton): the raw record-batch walker, replaced by the storage work.
