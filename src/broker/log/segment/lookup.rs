//! Finding things in a segment: the batch holding an offset, how many whole batches fit in a
//! fetch, and the first record at or after a timestamp. Headers are read with positioned reads;
//! only the one batch a timestamp lookup must look into is decoded.

use bytes::Bytes;
use kafka_protocol::records::RecordBatchDecoder;
use std::os::unix::fs::FileExt;

use super::{invalid_data, Located, Segment};

impl Segment {
    /// The first batch whose last offset is >= `offset`, found via the offset index and a header
    /// scan.
    pub fn locate(&self, offset: i64) -> std::io::Result<Option<Located>> {
        if offset >= self.next_offset {
            return Ok(None);
        }
        let start = self
            .offset_index
            .lookup(self.relative(offset))
            .map_or(0, |e| u64::from(e.position));
        let mut found = None;
        self.walk_headers(start, &mut |position, header| {
            if header.last_offset() >= offset {
                found = Some(Located {
                    position,
                    header: *header,
                });
                return false;
            }
            true
        })?;
        Ok(found)
    }

    /// The end of the longest run of whole batches starting with `first` that fits in
    /// `max_bytes` (at least `first` itself).
    pub fn whole_batches_end(&self, first: &Located, max_bytes: usize) -> std::io::Result<u64> {
        let first_end = first.position + first.header.size() as u64;
        let limit = first.position.saturating_add(max_bytes as u64);
        if limit >= self.size {
            return Ok(self.size);
        }
        // Index entries are batch starts: jump to the last one inside the limit, then walk.
        let from = self
            .offset_index
            .lookup_position(limit.min(u64::from(u32::MAX)) as u32)
            .map_or(0, |e| u64::from(e.position))
            .max(first_end);
        let mut end = from;
        self.walk_headers(from, &mut |position, header| {
            let batch_end = position + header.size() as u64;
            if batch_end > limit {
                return false;
            }
            end = batch_end;
            true
        })?;
        Ok(end.max(first_end))
    }

    /// The bytes of the batch at `located`.
    fn read_batch(&self, located: &Located) -> std::io::Result<Bytes> {
        let mut bytes = vec![0u8; located.header.size()];
        self.file.read_exact_at(&mut bytes, located.position)?;
        Ok(Bytes::from(bytes))
    }

    /// (offset, timestamp) of the first record in the batch at `located` whose timestamp is
    /// >= `target`, decoding that one batch (compression included).
    fn first_record_at_or_after(
        &self,
        located: &Located,
        target: i64,
    ) -> std::io::Result<Option<(i64, i64)>> {
        let header = &located.header;
        if header.is_log_append_time() {
            // Every record of a LogAppendTime batch carries the batch max timestamp.
            return Ok((header.max_timestamp >= target)
                .then_some((header.base_offset, header.max_timestamp)));
        }
        let mut bytes = self.read_batch(located)?;
        let set = RecordBatchDecoder::decode(&mut bytes).map_err(|e| {
            invalid_data(format!(
                "cannot decode the batch at position {} of {}: {e}",
                located.position,
                self.log_path.display()
            ))
        })?;
        Ok(set
            .records
            .iter()
            .find(|r| r.timestamp >= target)
            .map(|r| (r.offset, r.timestamp)))
    }

    /// Kafka's `findOffsetByTimestamp`: jump with the time and offset indexes, skip batches whose
    /// max timestamp is below `target`, then look inside the first batch that qualifies.
    pub fn find_offset_by_timestamp(&self, target: i64) -> std::io::Result<Option<(i64, i64)>> {
        let start_offset = self
            .time_index
            .lookup(target)
            .map_or(self.base_offset, |e| {
                self.base_offset + i64::from(e.relative_offset)
            });
        let start = self
            .offset_index
            .lookup(self.relative(start_offset))
            .map_or(0, |e| u64::from(e.position));
        let mut result = None;
        // Headers only until a batch qualifies; decode just that one.
        let mut position = start;
        while position < self.size && result.is_none() {
            let mut hit = None;
            self.walk_headers(position, &mut |at, header| {
                if header.max_timestamp >= target {
                    hit = Some(Located {
                        position: at,
                        header: *header,
                    });
                    return false;
                }
                true
            })?;
            let Some(located) = hit else {
                break;
            };
            result = self.first_record_at_or_after(&located, target)?;
            position = located.position + located.header.size() as u64;
        }
        Ok(result)
    }
}
