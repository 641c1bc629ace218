//! Encoding magic v2 record batches for producing: records (varint/zigzag fields, offset and
//! timestamp deltas, headers) appended into one growing buffer, then the 61-byte batch header
//! with its CRC-32C, and compression of the records section with Kafka's five codecs. Owns the
//! bytes only: no sockets, no producer state, and no per-record heap allocation (records are
//! written straight into the batch buffer; its size is computed first so nothing is moved).

use std::io::Write;

use super::batch::{
    ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, CRC_COVERAGE_START, CRC_OFFSET,
    HEADER_SIZE, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2,
    MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET,
    RECORD_COUNT_OFFSET,
};

/// What a producer writes as the partition leader epoch (`RecordBatch.NO_PARTITION_LEADER_EPOCH`).
const NO_PARTITION_LEADER_EPOCH: i32 = -1;
/// The length of a null key, value or header value.
const NULL_LENGTH: i64 = -1;
/// The most bytes a zigzag varint (i32) or varlong (i64) takes.
const MAX_VARINT_BYTES: usize = 5;
const MAX_VARLONG_BYTES: usize = 10;
/// Record attributes: unused in v2, always 0.
const RECORD_ATTRIBUTES: u8 = 0;

/// Snappy as Kafka's Java client writes it: the xerial framing (magic header, then blocks of at
/// most 32 KiB, each prefixed with its compressed length), which Java requires and librdkafka reads.
const XERIAL_MAGIC: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;
/// Compression levels: the codecs' defaults, as the Java client uses them.
const GZIP_LEVEL: u32 = 6;
const LZ4_LEVEL: u32 = 1;
const ZSTD_LEVEL: i32 = 3;

/// A record batch compression codec (the low three attribute bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    /// The codec for a `compression.type` value (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub fn from_name(name: &str) -> Option<Compression> {
        match name {
            "none" => Some(Compression::None),
            "gzip" => Some(Compression::Gzip),
            "snappy" => Some(Compression::Snappy),
            "lz4" => Some(Compression::Lz4),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The codec id in the batch attributes.
    pub fn codec_id(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }
}

/// One record header: a UTF-8 key (Kafka header keys are strings) and an optional value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader<'a> {
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// Bytes of the zigzag varint encoding of `value`.
pub fn varlong_size(value: i64) -> usize {
    let mut v = zigzag(value);
    let mut size = 1;
    while v >= 0x80 {
        v >>= 7;
        size += 1;
    }
    size
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Appends the zigzag varint encoding of `value` to `out`.
pub fn put_varlong(out: &mut Vec<u8>, value: i64) {
    let mut v = zigzag(value);
    let mut scratch = [0u8; MAX_VARLONG_BYTES];
    let mut n = 0;
    while v >= 0x80 {
        scratch[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    scratch[n] = v as u8;
    out.extend_from_slice(&scratch[..=n]);
}

fn bytes_field_size(bytes: Option<&[u8]>) -> usize {
    match bytes {
        None => varlong_size(NULL_LENGTH),
        Some(b) => varlong_size(b.len() as i64) + b.len(),
    }
}

fn put_bytes_field(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => put_varlong(out, NULL_LENGTH),
        Some(b) => {
            put_varlong(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

/// The size of a record's body (everything after its length varint).
fn record_body_size(
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[RecordHeader<'_>],
) -> usize {
    let mut size = 1 // attributes
        + varlong_size(timestamp_delta)
        + varlong_size(i64::from(offset_delta))
        + bytes_field_size(key)
        + bytes_field_size(value)
        + varlong_size(headers.len() as i64);
    for header in headers {
        size += bytes_field_size(Some(header.key)) + bytes_field_size(header.value);
    }
    size
}

/// An upper bound of the bytes one record takes in a batch (Java's
/// `DefaultRecord.sizeInUpperBound`), for batch-size and request-size decisions before the
/// record's deltas are known.
pub fn record_size_upper_bound(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[RecordHeader<'_>],
) -> usize {
    let body =
        record_body_size(0, 0, key, value, headers) - 2 + MAX_VARLONG_BYTES + MAX_VARINT_BYTES;
    MAX_VARINT_BYTES + body
}

/// The producer fields of a batch header, written when the batch is sent (the sequence is only
/// known then) and rewritten if the producer id is reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerFields {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

impl ProducerFields {
    /// Fields of a batch from a producer without idempotence.
    pub const NONE: ProducerFields = ProducerFields {
        producer_id: super::batch::NO_PRODUCER_ID,
        producer_epoch: super::batch::NO_PRODUCER_EPOCH,
        base_sequence: super::batch::NO_SEQUENCE,
    };
}

/// Records being appended into one future batch. The buffer starts with room for the header, so
/// an uncompressed batch is sent from the same bytes without a copy.
#[derive(Debug)]
pub struct BatchBuilder {
    buf: Vec<u8>,
    base_timestamp: i64,
    max_timestamp: i64,
    record_count: i32,
}

impl BatchBuilder {
    /// An empty batch whose buffer can hold `capacity` bytes before growing.
    pub fn with_capacity(capacity: usize) -> BatchBuilder {
        let mut buf = Vec::with_capacity(capacity.max(HEADER_SIZE));
        buf.resize(HEADER_SIZE, 0);
        BatchBuilder {
            buf,
            base_timestamp: 0,
            max_timestamp: 0,
            record_count: 0,
        }
    }

    pub fn record_count(&self) -> i32 {
        self.record_count
    }

    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// Bytes of the batch so far (header included), uncompressed.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// The bytes `append` would add for this record (exact).
    pub fn size_of(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader<'_>],
    ) -> usize {
        let (timestamp_delta, offset_delta) = self.deltas(timestamp);
        let body = record_body_size(timestamp_delta, offset_delta, key, value, headers);
        varlong_size(body as i64) + body
    }

    fn deltas(&self, timestamp: i64) -> (i64, i32) {
        if self.record_count == 0 {
            (0, 0)
        } else {
            (
                timestamp.wrapping_sub(self.base_timestamp),
                self.record_count,
            )
        }
    }

    /// Appends one record; returns the bytes it took.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader<'_>],
    ) -> usize {
        if self.record_count == 0 {
            self.base_timestamp = timestamp;
            self.max_timestamp = timestamp;
        }
        let (timestamp_delta, offset_delta) = self.deltas(timestamp);
        let body = record_body_size(timestamp_delta, offset_delta, key, value, headers);
        let total = varlong_size(body as i64) + body;
        let out = &mut self.buf;
        out.reserve(total);
        put_varlong(out, body as i64);
        out.push(RECORD_ATTRIBUTES);
        put_varlong(out, timestamp_delta);
        put_varlong(out, i64::from(offset_delta));
        put_bytes_field(out, key);
        put_bytes_field(out, value);
        put_varlong(out, headers.len() as i64);
        for header in headers {
            put_bytes_field(out, Some(header.key));
            put_bytes_field(out, header.value);
        }
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self.record_count += 1;
        total
    }

    /// Closes the batch: compresses the records section with `compression` and fills in every
    /// header field except the producer fields and the CRC (see [`write_producer_fields`]).
    pub fn close(self, compression: Compression) -> std::io::Result<Vec<u8>> {
        let mut out = match compression {
            Compression::None => self.buf,
            codec => {
                let records = &self.buf[HEADER_SIZE..];
                let mut out = Vec::with_capacity(HEADER_SIZE + records.len() / 2);
                out.resize(HEADER_SIZE, 0);
                compress(codec, records, &mut out)?;
                out
            }
        };
        let length = (out.len() - LOG_OVERHEAD) as i32;
        let attributes = compression.codec_id();
        let header = &mut out[..HEADER_SIZE];
        header[..LENGTH_OFFSET].copy_from_slice(&0i64.to_be_bytes());
        header[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&length.to_be_bytes());
        header[PARTITION_LEADER_EPOCH_OFFSET..PARTITION_LEADER_EPOCH_OFFSET + 4]
            .copy_from_slice(&NO_PARTITION_LEADER_EPOCH.to_be_bytes());
        header[MAGIC_OFFSET] = MAGIC_V2 as u8;
        header[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
        header[LAST_OFFSET_DELTA_OFFSET..LAST_OFFSET_DELTA_OFFSET + 4]
            .copy_from_slice(&(self.record_count - 1).max(0).to_be_bytes());
        header[BASE_TIMESTAMP_OFFSET..BASE_TIMESTAMP_OFFSET + 8]
            .copy_from_slice(&self.base_timestamp.to_be_bytes());
        header[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8]
            .copy_from_slice(&self.max_timestamp.to_be_bytes());
        header[RECORD_COUNT_OFFSET..RECORD_COUNT_OFFSET + 4]
            .copy_from_slice(&self.record_count.to_be_bytes());
        write_producer_fields(&mut out, ProducerFields::NONE);
        Ok(out)
    }
}

/// Sets the producer id, epoch and base sequence of a closed batch and recomputes its CRC.
/// `batch` must be a whole batch as returned by [`BatchBuilder::close`].
pub fn write_producer_fields(batch: &mut [u8], fields: ProducerFields) {
    if batch.len() < HEADER_SIZE {
        return;
    }
    batch[PRODUCER_ID_OFFSET..PRODUCER_ID_OFFSET + 8]
        .copy_from_slice(&fields.producer_id.to_be_bytes());
    batch[PRODUCER_EPOCH_OFFSET..PRODUCER_EPOCH_OFFSET + 2]
        .copy_from_slice(&fields.producer_epoch.to_be_bytes());
    batch[BASE_SEQUENCE_OFFSET..BASE_SEQUENCE_OFFSET + 4]
        .copy_from_slice(&fields.base_sequence.to_be_bytes());
    let crc = crc32c::crc32c(&batch[CRC_COVERAGE_START..]);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Appends `records` compressed with `codec` to `out`, in the framing Kafka clients expect.
pub fn compress(codec: Compression, records: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
    match codec {
        Compression::None => out.extend_from_slice(records),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
            encoder.write_all(records)?;
            encoder.finish()?;
        }
        Compression::Snappy => {
            out.extend_from_slice(XERIAL_MAGIC);
            let mut encoder = snap::raw::Encoder::new();
            for block in records.chunks(XERIAL_BLOCK_SIZE) {
                let length_at = out.len();
                out.extend_from_slice(&[0; 4]);
                let start = out.len();
                out.resize(start + snap::raw::max_compress_len(block.len()), 0);
                let written = encoder
                    .compress(block, &mut out[start..])
                    .map_err(std::io::Error::other)?;
                out.truncate(start + written);
                out[length_at..start].copy_from_slice(&(written as u32).to_be_bytes());
            }
        }
        Compression::Lz4 => {
            // The LZ4 frame format with independent 64 KiB blocks and no content checksum,
            // as Java's KafkaLZ4BlockOutputStream writes it.
            let mut encoder = lz4::EncoderBuilder::new()
                .level(LZ4_LEVEL)
                .block_size(lz4::BlockSize::Max64KB)
                .block_mode(lz4::BlockMode::Independent)
                .checksum(lz4::ContentChecksum::NoChecksum)
                .build(out)?;
            encoder.write_all(records)?;
            let (_, result) = encoder.finish();
            result?;
        }
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)?;
            encoder.write_all(records)?;
            encoder.finish()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::batch::BatchHeader;
    use bytes::Bytes;
    use kafka_protocol::records::RecordBatchDecoder;

    fn build(compression: Compression) -> Vec<u8> {
        let mut builder = BatchBuilder::with_capacity(1024);
        builder.append(1_000, Some(b"k1"), Some(b"v1"), &[]);
        builder.append(
            1_005,
            None,
            Some(&[0xff, 0x00][..]),
            &[
                RecordHeader {
                    key: b"h1",
                    value: Some(b"x"),
                },
                RecordHeader {
                    key: b"h2",
                    value: None,
                },
            ],
        );
        builder.append(999, Some(b""), None, &[]);
        let mut batch = builder.close(compression).expect("close");
        write_producer_fields(
            &mut batch,
            ProducerFields {
                producer_id: 7,
                producer_epoch: 1,
                base_sequence: 42,
            },
        );
        batch
    }

    #[test]
    fn every_codec_decodes_with_kafka_protocol() {
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let batch = build(codec);
            let header = BatchHeader::parse(&batch).expect("header");
            assert_eq!(header.size(), batch.len(), "{codec:?}");
            assert_eq!(header.compression_codec(), codec.codec_id());
            assert_eq!(header.record_count, 3);
            assert_eq!(header.last_offset_delta, 2);
            assert_eq!(header.base_timestamp, 1_000);
            assert_eq!(header.max_timestamp, 1_005);
            assert_eq!(header.producer_id, 7);
            assert_eq!(header.base_sequence, 42);
            assert_eq!(
                header.crc,
                crc32c::crc32c(&batch[CRC_COVERAGE_START..]),
                "{codec:?}"
            );
            let mut bytes = Bytes::from(batch);
            let decoded = RecordBatchDecoder::decode(&mut bytes).expect("decode");
            let records = decoded.records;
            assert_eq!(records.len(), 3, "{codec:?}");
            assert_eq!(records[0].key.as_deref(), Some(&b"k1"[..]));
            assert_eq!(records[0].value.as_deref(), Some(&b"v1"[..]));
            assert_eq!(records[0].timestamp, 1_000);
            assert_eq!(records[0].sequence, 42);
            assert_eq!(records[1].key, None);
            assert_eq!(records[1].value.as_deref(), Some(&[0xff, 0x00][..]));
            assert_eq!(records[1].timestamp, 1_005);
            assert_eq!(records[1].offset, 1);
            let headers: Vec<_> = records[1]
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            assert_eq!(
                headers,
                vec![
                    ("h1".to_string(), Some(Bytes::from_static(b"x"))),
                    ("h2".to_string(), None)
                ]
            );
            assert_eq!(records[2].key.as_deref(), Some(&b""[..]));
            assert_eq!(records[2].value, None);
            assert_eq!(records[2].timestamp, 999);
        }
    }

    #[test]
    fn size_of_matches_append_and_stays_under_the_upper_bound() {
        let mut builder = BatchBuilder::with_capacity(0);
        let value = vec![b'x'; 300];
        for i in 0..200i64 {
            let key = i.to_string();
            let expected =
                builder.size_of(1_000 + i * 1000, Some(key.as_bytes()), Some(&value), &[]);
            let took = builder.append(1_000 + i * 1000, Some(key.as_bytes()), Some(&value), &[]);
            assert_eq!(expected, took);
            assert!(took <= record_size_upper_bound(Some(key.as_bytes()), Some(&value), &[]));
        }
        assert_eq!(builder.record_count(), 200);
    }

    #[test]
    fn varints_match_kafka() {
        let mut out = Vec::new();
        for (value, bytes) in [
            (0i64, &[0u8][..]),
            (-1, &[1]),
            (1, &[2]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
            (i64::from(i32::MIN), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ] {
            out.clear();
            put_varlong(&mut out, value);
            assert_eq!(out, bytes, "{value}");
            assert_eq!(varlong_size(value), bytes.len());
        }
    }

    #[test]
    fn snappy_uses_xerial_framing() {
        let mut out = Vec::new();
        compress(Compression::Snappy, &[7u8; 70_000], &mut out).unwrap();
        assert_eq!(&out[..16], XERIAL_MAGIC);
        let first_block = u32::from_be_bytes([out[16], out[17], out[18], out[19]]) as usize;
        let mut decoder = snap::raw::Decoder::new();
        let block = decoder.decompress_vec(&out[20..20 + first_block]).unwrap();
        assert_eq!(block.len(), XERIAL_BLOCK_SIZE);
    }
}
