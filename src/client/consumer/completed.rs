//! One partition's records from one Fetch response, handed to the application record by record:
//! records before the position are skipped (a fetch returns the whole batch holding the fetch
//! offset), control batches are skipped, and under read_committed the batches of aborted
//! transactions are dropped (Java's `CompletedFetch` rules). Iteration state is kept here between
//! polls, so the application can stop after any record and resume later.

use std::collections::{HashSet, VecDeque};
use std::ops::ControlFlow;

use bytes::Bytes;

use super::{ConsumerRecord, TopicPartition};
use crate::protocol::record_decode::{BatchCursor, ControlType, DecodeError, RecordCursor};

/// An aborted transaction from the Fetch response: its producer and first offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AbortedTransaction {
    pub producer_id: i64,
    pub first_offset: i64,
}

/// The batch being read.
#[derive(Debug)]
struct Current {
    cursor: RecordCursor,
    /// Its records live in `scratch` (decompressed) rather than in `records`.
    decompressed: bool,
    /// Byte range of an uncompressed batch's records in `records`.
    start: usize,
    end: usize,
    next_offset: i64,
}

/// How draining a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drained {
    /// Every record was handed out; the position is at `end_offset`.
    Finished,
    /// The handler asked to stop; records may remain.
    Stopped,
}

/// Records of one partition from one fetch, with the reading state.
#[derive(Debug)]
pub(super) struct CompletedFetch {
    pub tp: TopicPartition,
    /// The partition's epoch when the fetch was sent (a seek since makes this stale).
    pub epoch: u64,
    pub fetch_offset: i64,
    /// Where the next fetch starts: after the last whole batch (or `fetch_offset` if none).
    pub end_offset: i64,
    records: Bytes,
    batches: BatchCursor,
    current: Option<Current>,
    scratch: Vec<u8>,
    check_crcs: bool,
    read_committed: bool,
    /// Aborted transactions not yet reached, by first offset.
    aborted: VecDeque<AbortedTransaction>,
    aborted_producers: HashSet<i64>,
}

impl CompletedFetch {
    pub fn new(
        tp: TopicPartition,
        epoch: u64,
        fetch_offset: i64,
        records: Bytes,
        check_crcs: bool,
        aborted: Option<Vec<AbortedTransaction>>,
    ) -> CompletedFetch {
        let mut end_offset = fetch_offset;
        let mut walk = BatchCursor::new();
        while let Some(Ok(batch)) = walk.next(&records) {
            end_offset = end_offset.max(batch.header.next_offset());
        }
        let read_committed = aborted.is_some();
        let mut aborted = aborted.unwrap_or_default();
        aborted.sort_by_key(|a| a.first_offset);
        CompletedFetch {
            tp,
            epoch,
            fetch_offset,
            end_offset,
            records,
            batches: BatchCursor::new(),
            current: None,
            scratch: Vec::new(),
            check_crcs,
            read_committed,
            aborted: aborted.into(),
            aborted_producers: HashSet::new(),
        }
    }

    /// Whether the response held bytes but not one whole batch (no progress possible).
    pub fn is_stuck(&self) -> bool {
        !self.records.is_empty() && self.end_offset == self.fetch_offset
    }

    /// Hands records at or after `*position` to `handler`, advancing `*position` past each one
    /// (and past skipped batches), until the data ends or the handler breaks.
    pub fn drain<F>(
        &mut self,
        position: &mut i64,
        delivered: &mut usize,
        handler: &mut F,
    ) -> Result<Drained, DecodeError>
    where
        F: FnMut(&ConsumerRecord<'_>) -> ControlFlow<()>,
    {
        loop {
            if let Some(current) = &mut self.current {
                let data: &[u8] = if current.decompressed {
                    &self.scratch
                } else {
                    &self.records[current.start..current.end]
                };
                match current.cursor.next(data) {
                    Some(Ok(record)) => {
                        if record.offset < *position {
                            continue;
                        }
                        *position = record.offset.saturating_add(1);
                        *delivered += 1;
                        let consumer_record = ConsumerRecord {
                            topic: &self.tp.topic,
                            partition: self.tp.partition,
                            record,
                        };
                        if handler(&consumer_record).is_break() {
                            return Ok(Drained::Stopped);
                        }
                    }
                    Some(Err(e)) => {
                        self.current = None;
                        return Err(e);
                    }
                    None => {
                        *position = (*position).max(current.next_offset);
                        self.current = None;
                    }
                }
                continue;
            }
            let Some(batch) = self.batches.next(&self.records) else {
                *position = (*position).max(self.end_offset);
                return Ok(Drained::Finished);
            };
            let batch = batch?;
            let header = batch.header;
            if header.last_offset() < *position {
                continue;
            }
            if self.check_crcs {
                batch.verify_crc()?;
            }
            if self.read_committed && header.has_producer_id() {
                while let Some(next) = self.aborted.front() {
                    if next.first_offset > header.last_offset() {
                        break;
                    }
                    self.aborted_producers.insert(next.producer_id);
                    self.aborted.pop_front();
                }
                if header.is_control() {
                    if batch.control_type(&mut self.scratch)? == Some(ControlType::Abort) {
                        self.aborted_producers.remove(&header.producer_id);
                    }
                } else if header.is_transactional()
                    && self.aborted_producers.contains(&header.producer_id)
                {
                    *position = (*position).max(header.next_offset());
                    continue;
                }
            }
            if header.is_control() {
                *position = (*position).max(header.next_offset());
                continue;
            }
            let section_start =
                self.batches.position() - header.size() + crate::protocol::batch::HEADER_SIZE;
            let decompressed = header.compression_codec() != 0;
            if decompressed {
                batch.record_bytes(&mut self.scratch)?;
            }
            self.current = Some(Current {
                cursor: RecordCursor::new(&header),
                decompressed,
                start: section_start,
                end: self.batches.position(),
                next_offset: header.next_offset(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
