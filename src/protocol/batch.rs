//! The raw magic v2 record batch: header parsing, a walker over a blob of concatenated batches,
//! the CRC-32C check, and the header patches a broker applies (base offset, partition leader
//! epoch, LogAppendTime). Pure functions on bytes: no files, no sockets, and no per-record work:
//! everything here is read from or written to the 61-byte header.

use std::ops::Range;

/// Byte offsets of the header fields (Kafka's `DefaultRecordBatch` layout).
pub const BASE_OFFSET_OFFSET: usize = 0;
pub const LENGTH_OFFSET: usize = 8;
pub const PARTITION_LEADER_EPOCH_OFFSET: usize = 12;
pub const MAGIC_OFFSET: usize = 16;
pub const CRC_OFFSET: usize = 17;
pub const ATTRIBUTES_OFFSET: usize = 21;
pub const LAST_OFFSET_DELTA_OFFSET: usize = 23;
pub const BASE_TIMESTAMP_OFFSET: usize = 27;
pub const MAX_TIMESTAMP_OFFSET: usize = 35;
pub const PRODUCER_ID_OFFSET: usize = 43;
pub const PRODUCER_EPOCH_OFFSET: usize = 51;
pub const BASE_SEQUENCE_OFFSET: usize = 53;
pub const RECORD_COUNT_OFFSET: usize = 57;
/// The whole header (`RECORD_BATCH_OVERHEAD`); the records follow it.
pub const HEADER_SIZE: usize = 61;
/// Base offset + length: the bytes not counted by the length field.
pub const LOG_OVERHEAD: usize = 12;
/// The smallest legal value of the length field: a header with no records.
pub const MIN_BATCH_LENGTH: i32 = (HEADER_SIZE - LOG_OVERHEAD) as i32;
/// Bytes needed to see the magic byte.
pub const HEADER_SIZE_UP_TO_MAGIC: usize = MAGIC_OFFSET + 1;
/// The CRC covers everything from the attributes to the end of the batch.
pub const CRC_COVERAGE_START: usize = ATTRIBUTES_OFFSET;

/// The only record format this crate reads or writes.
pub const MAGIC_V2: i8 = 2;

/// Attribute bits.
pub const COMPRESSION_CODEC_MASK: i16 = 0x07;
pub const TIMESTAMP_TYPE_LOG_APPEND_TIME: i16 = 0x08;
pub const TRANSACTIONAL_FLAG: i16 = 0x10;
pub const CONTROL_FLAG: i16 = 0x20;
pub const DELETE_HORIZON_FLAG: i16 = 0x40;

/// Sentinels of the header fields.
pub const NO_PRODUCER_ID: i64 = -1;
pub const NO_PRODUCER_EPOCH: i16 = -1;
pub const NO_SEQUENCE: i32 = -1;
pub const NO_TIMESTAMP: i64 = -1;

/// Why a byte range is not a usable v2 batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Fewer bytes than the header or the length field announce.
    #[error("record batch truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    /// The length field is below the minimum batch size (or negative).
    #[error(
        "record batch length {0} is smaller than the minimum allowed overhead {MIN_BATCH_LENGTH}"
    )]
    BadLength(i32),
    /// Not a magic v2 batch.
    #[error("unsupported record batch magic {0}")]
    BadMagic(i8),
    /// The stored CRC-32C does not match the bytes.
    #[error("record batch is corrupt (stored crc = {stored}, computed crc = {computed})")]
    BadCrc { stored: u32, computed: u32 },
}

/// Every field of a v2 batch header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    /// The length field: batch size minus [`LOG_OVERHEAD`].
    pub length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

fn be_i64(bytes: &[u8], at: usize) -> i64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&bytes[at..at + 8]);
    i64::from_be_bytes(raw)
}

fn be_i32(bytes: &[u8], at: usize) -> i32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&bytes[at..at + 4]);
    i32::from_be_bytes(raw)
}

fn be_i16(bytes: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn need(bytes: &[u8], needed: usize) -> Result<(), BatchError> {
    if bytes.len() < needed {
        return Err(BatchError::Truncated {
            needed,
            available: bytes.len(),
        });
    }
    Ok(())
}

impl BatchHeader {
    /// Parses the header at the start of `bytes` (only the first [`HEADER_SIZE`] bytes are read;
    /// the records need not be present).
    pub fn parse(bytes: &[u8]) -> Result<Self, BatchError> {
        need(bytes, HEADER_SIZE_UP_TO_MAGIC)?;
        let magic = bytes[MAGIC_OFFSET] as i8;
        if magic != MAGIC_V2 {
            return Err(BatchError::BadMagic(magic));
        }
        let length = be_i32(bytes, LENGTH_OFFSET);
        if length < MIN_BATCH_LENGTH {
            return Err(BatchError::BadLength(length));
        }
        need(bytes, HEADER_SIZE)?;
        Ok(BatchHeader {
            base_offset: be_i64(bytes, BASE_OFFSET_OFFSET),
            length,
            partition_leader_epoch: be_i32(bytes, PARTITION_LEADER_EPOCH_OFFSET),
            magic,
            crc: be_i32(bytes, CRC_OFFSET) as u32,
            attributes: be_i16(bytes, ATTRIBUTES_OFFSET),
            last_offset_delta: be_i32(bytes, LAST_OFFSET_DELTA_OFFSET),
            base_timestamp: be_i64(bytes, BASE_TIMESTAMP_OFFSET),
            max_timestamp: be_i64(bytes, MAX_TIMESTAMP_OFFSET),
            producer_id: be_i64(bytes, PRODUCER_ID_OFFSET),
            producer_epoch: be_i16(bytes, PRODUCER_EPOCH_OFFSET),
            base_sequence: be_i32(bytes, BASE_SEQUENCE_OFFSET),
            record_count: be_i32(bytes, RECORD_COUNT_OFFSET),
        })
    }

    /// Bytes the whole batch occupies, header included.
    pub fn size(&self) -> usize {
        // `parse` guarantees length >= MIN_BATCH_LENGTH > 0.
        LOG_OVERHEAD + self.length.max(0) as usize
    }

    /// Offset of the batch's last record.
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
    }

    /// The offset following this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }

    /// Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    pub fn compression_codec(&self) -> i16 {
        self.attributes & COMPRESSION_CODEC_MASK
    }

    pub fn is_log_append_time(&self) -> bool {
        self.attributes & TIMESTAMP_TYPE_LOG_APPEND_TIME != 0
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_FLAG != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_FLAG != 0
    }

    /// Whether the batch comes from an idempotent or transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id > NO_PRODUCER_ID
    }

    /// Sequence number of the last record, wrapping past `i32::MAX` as Kafka does.
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

/// `sequence + increment`, wrapping to 0 after `i32::MAX` (Kafka's `DefaultRecordBatch.incrementSequence`).
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

/// Walks a blob of concatenated batches, yielding each header with the batch's byte range.
/// Stops after the first error.
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    blob: &'a [u8],
    position: usize,
    failed: bool,
}

/// Iterates over the batches of `blob`.
pub fn batches(blob: &[u8]) -> Batches<'_> {
    Batches {
        blob,
        position: 0,
        failed: false,
    }
}

impl Batches<'_> {
    /// Where the next batch would start (the end of the last batch yielded).
    pub fn position(&self) -> usize {
        self.position
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<(BatchHeader, Range<usize>), BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.position >= self.blob.len() {
            return None;
        }
        let rest = &self.blob[self.position..];
        let result = BatchHeader::parse(rest).and_then(|header| {
            need(rest, header.size())?;
            Ok(header)
        });
        match result {
            Ok(header) => {
                let range = self.position..self.position + header.size();
                self.position = range.end;
                Some(Ok((header, range)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The CRC-32C a batch should carry (over bytes [`CRC_COVERAGE_START`]..end).
pub fn compute_crc(batch: &[u8]) -> Result<u32, BatchError> {
    need(batch, HEADER_SIZE)?;
    Ok(crc32c::crc32c(&batch[CRC_COVERAGE_START..]))
}

/// Checks the stored CRC of one whole batch.
pub fn verify_crc(batch: &[u8]) -> Result<(), BatchError> {
    let computed = compute_crc(batch)?;
    let stored = be_i32(batch, CRC_OFFSET) as u32;
    if stored != computed {
        return Err(BatchError::BadCrc { stored, computed });
    }
    Ok(())
}

/// Sets the base offset (not covered by the CRC).
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) -> Result<(), BatchError> {
    need(batch, HEADER_SIZE)?;
    batch[BASE_OFFSET_OFFSET..BASE_OFFSET_OFFSET + 8].copy_from_slice(&base_offset.to_be_bytes());
    Ok(())
}

/// Sets the partition leader epoch (not covered by the CRC).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) -> Result<(), BatchError> {
    need(batch, HEADER_SIZE)?;
    batch[PARTITION_LEADER_EPOCH_OFFSET..PARTITION_LEADER_EPOCH_OFFSET + 4]
        .copy_from_slice(&epoch.to_be_bytes());
    Ok(())
}

/// Marks a whole batch as LogAppendTime with `timestamp` as its max timestamp and recomputes the
/// CRC.
pub fn set_log_append_time(batch: &mut [u8], timestamp: i64) -> Result<(), BatchError> {
    need(batch, HEADER_SIZE)?;
    let (header, records) = batch.split_at_mut(HEADER_SIZE);
    set_log_append_time_split(header, records, timestamp)
}

/// [`set_log_append_time`] for a batch whose header (the first [`HEADER_SIZE`] bytes) and records
/// live in separate buffers, so the records need not be copied to be patched.
pub fn set_log_append_time_split(
    header: &mut [u8],
    records: &[u8],
    timestamp: i64,
) -> Result<(), BatchError> {
    need(header, HEADER_SIZE)?;
    let attributes = be_i16(header, ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_LOG_APPEND_TIME;
    header[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    header[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8]
        .copy_from_slice(&timestamp.to_be_bytes());
    let crc = crc32c::crc32c_append(
        crc32c::crc32c(&header[CRC_COVERAGE_START..HEADER_SIZE]),
        records,
    );
    header[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::records::{
        Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
        TimestampType,
    };

    fn encode(count: i64, base_timestamp: i64, compression: Compression) -> Vec<u8> {
        let records: Vec<Record> = (0..count)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: 7,
                producer_epoch: 3,
                timestamp_type: TimestampType::Creation,
                offset: i,
                sequence: 10 + i as i32,
                timestamp: base_timestamp + i,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(vec![b'v'; 50])),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression,
        };
        RecordBatchEncoder::encode(&mut buf, &records, &options).expect("encode");
        buf.to_vec()
    }

    #[test]
    fn parses_every_header_field() {
        let bytes = encode(3, 1_000, Compression::None);
        let header = BatchHeader::parse(&bytes).expect("header");
        assert_eq!(header.base_offset, 0);
        assert_eq!(header.size(), bytes.len());
        assert_eq!(header.partition_leader_epoch, -1);
        assert_eq!(header.magic, MAGIC_V2);
        assert_eq!(header.last_offset_delta, 2);
        assert_eq!(header.base_timestamp, 1_000);
        assert_eq!(header.max_timestamp, 1_002);
        assert_eq!(header.producer_id, 7);
        assert_eq!(header.producer_epoch, 3);
        assert_eq!(header.base_sequence, 10);
        assert_eq!(header.last_sequence(), 12);
        assert_eq!(header.record_count, 3);
        assert_eq!(header.compression_codec(), 0);
        assert!(!header.is_log_append_time() && !header.is_control() && !header.is_transactional());
        assert!(header.has_producer_id());
        assert_eq!(header.next_offset(), 3);
    }

    #[test]
    fn crc_matches_the_encoder_for_plain_and_compressed_batches() {
        for compression in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let bytes = encode(5, 42, compression);
            let header = BatchHeader::parse(&bytes).expect("header");
            assert_eq!(header.compression_codec(), compression as i16);
            assert_eq!(compute_crc(&bytes), Ok(header.crc));
            assert_eq!(verify_crc(&bytes), Ok(()));
        }
    }

    #[test]
    fn a_flipped_byte_fails_the_crc() {
        let mut bytes = encode(2, 0, Compression::None);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        assert!(matches!(verify_crc(&bytes), Err(BatchError::BadCrc { .. })));
    }

    #[test]
    fn base_offset_and_leader_epoch_are_outside_the_crc() {
        let mut bytes = encode(2, 0, Compression::None);
        set_base_offset(&mut bytes, 123_456).expect("patch");
        set_partition_leader_epoch(&mut bytes, 9).expect("patch");
        assert_eq!(verify_crc(&bytes), Ok(()));
        let header = BatchHeader::parse(&bytes).expect("header");
        assert_eq!(header.base_offset, 123_456);
        assert_eq!(header.partition_leader_epoch, 9);
        assert_eq!(header.last_offset(), 123_457);
    }

    #[test]
    fn log_append_time_patch_keeps_the_batch_decodable() {
        let mut bytes = encode(3, 100, Compression::Lz4);
        set_log_append_time(&mut bytes, 99_999).expect("patch");
        assert_eq!(verify_crc(&bytes), Ok(()));
        let header = BatchHeader::parse(&bytes).expect("header");
        assert!(header.is_log_append_time());
        assert_eq!(header.max_timestamp, 99_999);
        assert_eq!(header.compression_codec(), Compression::Lz4 as i16);
        // The decoder checks the CRC too.
        let set = RecordBatchDecoder::decode(&mut Bytes::from(bytes)).expect("decode");
        assert_eq!(set.records.len(), 3);
    }

    #[test]
    fn split_patch_equals_whole_patch() {
        let mut whole = encode(4, 5, Compression::None);
        let mut header = [0u8; HEADER_SIZE];
        header.copy_from_slice(&whole[..HEADER_SIZE]);
        set_log_append_time_split(&mut header, &whole[HEADER_SIZE..], 77).expect("split");
        set_log_append_time(&mut whole, 77).expect("whole");
        assert_eq!(&whole[..HEADER_SIZE], &header[..]);
    }

    #[test]
    fn walks_concatenated_batches() {
        let mut blob = encode(2, 0, Compression::None);
        let first_len = blob.len();
        blob.extend(encode(3, 0, Compression::Gzip));
        let found: Vec<_> = batches(&blob).collect::<Result<_, _>>().expect("walk");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1, 0..first_len);
        assert_eq!(found[1].1, first_len..blob.len());
        assert_eq!(found[1].0.record_count, 3);
    }

    #[test]
    fn reports_truncated_and_garbled_framing() {
        let blob = encode(2, 0, Compression::None);
        let cut = &blob[..blob.len() - 1];
        let mut walk = batches(cut);
        assert!(matches!(
            walk.next(),
            Some(Err(BatchError::Truncated { .. }))
        ));
        assert!(walk.next().is_none());
        assert!(matches!(
            BatchHeader::parse(&blob[..20]),
            Err(BatchError::Truncated { .. })
        ));

        let mut short = blob.clone();
        short[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&10i32.to_be_bytes());
        assert_eq!(BatchHeader::parse(&short), Err(BatchError::BadLength(10)));
        let mut negative = blob.clone();
        negative[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&(-5i32).to_be_bytes());
        assert_eq!(
            BatchHeader::parse(&negative),
            Err(BatchError::BadLength(-5))
        );

        let mut legacy = blob.clone();
        legacy[MAGIC_OFFSET] = 1;
        assert_eq!(BatchHeader::parse(&legacy), Err(BatchError::BadMagic(1)));
        assert!(batches(&[]).next().is_none());
    }

    #[test]
    fn sequence_wraps_like_kafka() {
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(increment_sequence(5, 4), 9);
    }

    #[test]
    fn patches_refuse_short_slices() {
        let mut short = [0u8; 10];
        assert!(set_base_offset(&mut short, 1).is_err());
        assert!(set_partition_leader_epoch(&mut short, 1).is_err());
        assert!(set_log_append_time(&mut short, 1).is_err());
        assert!(verify_crc(&short).is_err());
    }
}
