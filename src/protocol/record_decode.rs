//! Reading the records of magic v2 batches as a fetch response carries them, without a heap
//! allocation per record: batches are walked in place, a compressed batch is decompressed once
//! into a caller-owned buffer, and every record is a view of borrowed key, value and header
//! slices with its absolute offset and timestamp. A truncated trailing batch (fetch responses
//! may cut the last one) ends the walk quietly. Owns decoding only: which records a consumer
//! keeps (position, control batches, aborted transactions) is the consumer's business.

use super::batch::{self, BatchError, BatchHeader, HEADER_SIZE, LENGTH_OFFSET, LOG_OVERHEAD};
use super::decompress::{self, DecompressError};

/// Bytes of a batch needed before its magic byte can be read.
const HEADER_SIZE_UP_TO_MAGIC: usize = batch::HEADER_SIZE_UP_TO_MAGIC;
/// A varint (zigzag-encoded i32) takes at most 5 bytes, a varlong at most 10.
const MAX_VARINT_BYTES: usize = 5;
const MAX_VARLONG_BYTES: usize = 10;
/// A control record's key: version (i16) then type (i16).
const CONTROL_KEY_SIZE: usize = 4;
const CONTROL_TYPE_ABORT: i16 = 0;
const CONTROL_TYPE_COMMIT: i16 = 1;

/// How a record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// Magic v0 data: Java's `NO_TIMESTAMP_TYPE` (printed `NO_TIMESTAMP`).
    NoTimestamp,
    CreateTime,
    LogAppendTime,
}

impl TimestampType {
    /// Java's `TimestampType.toString()`.
    pub fn name(self) -> &'static str {
        match self {
            TimestampType::NoTimestamp => "NoTimestampType",
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        }
    }
}

/// Why fetched bytes could not be read as records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error(transparent)]
    Decompress(#[from] DecompressError),
    #[error("record batch at offset {base_offset} is corrupt: {reason}")]
    Corrupt { base_offset: i64, reason: String },
}

/// A control batch's marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlType {
    Abort,
    Commit,
    /// A marker type this reader does not know (ignored, as Java does).
    Unknown(i16),
}

/// The headers of one record, parsed lazily from the record's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    count: u32,
    raw: &'a [u8],
}

impl<'a> Headers<'a> {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `(key, value)` pairs in record order; a null value is `None`.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter {
            remaining: self.count,
            raw: self.raw,
            position: 0,
        }
    }
}

impl<'a> IntoIterator for Headers<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);
    type IntoIter = HeaderIter<'a>;

    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Headers`]. The bytes were validated when the record was decoded.
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    remaining: u32,
    raw: &'a [u8],
    position: usize,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match read_header(self.raw, &mut self.position) {
            Ok(header) => Some(header),
            Err(_) => {
                self.remaining = 0;
                None
            }
        }
    }
}

/// One record, borrowing its bytes from the fetch response or the decompression buffer.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Headers<'a>,
}

/// One v2 batch of a fetch response, in place.
#[derive(Debug, Clone, Copy)]
pub struct FetchedBatch<'a> {
    pub header: BatchHeader,
    /// The whole batch, header included.
    pub bytes: &'a [u8],
}

impl<'a> FetchedBatch<'a> {
    /// Checks the batch's CRC-32C (Java's `check.crcs`).
    pub fn verify_crc(&self) -> Result<(), DecodeError> {
        batch::verify_crc(self.bytes).map_err(|e| self.corrupt(e.to_string()))
    }

    fn corrupt(&self, reason: String) -> DecodeError {
        DecodeError::Corrupt {
            base_offset: self.header.base_offset,
            reason,
        }
    }

    /// The records section: compressed bytes when the batch is compressed.
    pub fn records_section(&self) -> &'a [u8] {
        self.bytes.get(HEADER_SIZE..).unwrap_or_default()
    }

    /// The records' bytes: in place for an uncompressed batch, otherwise decompressed into
    /// `scratch` (replacing its contents).
    pub fn record_bytes<'s>(&self, scratch: &'s mut Vec<u8>) -> Result<&'s [u8], DecodeError>
    where
        'a: 's,
    {
        let codec = self.header.compression_codec();
        if codec == decompress::CODEC_NONE {
            return Ok(self.records_section());
        }
        decompress::decompress(codec, self.records_section(), scratch)?;
        Ok(scratch.as_slice())
    }

    /// The records, decompressing into `scratch` if needed.
    pub fn records<'s>(&self, scratch: &'s mut Vec<u8>) -> Result<Records<'s>, DecodeError>
    where
        'a: 's,
    {
        let data = self.record_bytes(scratch)?;
        Ok(Records {
            cursor: RecordCursor::new(&self.header),
            data,
        })
    }

    /// The marker of a control batch (its first record's key); `None` for data batches.
    pub fn control_type(&self, scratch: &mut Vec<u8>) -> Result<Option<ControlType>, DecodeError> {
        if !self.header.is_control() {
            return Ok(None);
        }
        let Some(first) = self.records(scratch)?.next().transpose()? else {
            return Ok(None);
        };
        let key = first.key.unwrap_or_default();
        if key.len() < CONTROL_KEY_SIZE {
            return Err(self.corrupt(format!(
                "control record key of {} bytes is too short",
                key.len()
            )));
        }
        let kind = i16::from_be_bytes([key[2], key[3]]);
        Ok(Some(match kind {
            CONTROL_TYPE_ABORT => ControlType::Abort,
            CONTROL_TYPE_COMMIT => ControlType::Commit,
            other => ControlType::Unknown(other),
        }))
    }
}

/// Position in a blob of concatenated batches. Holds no borrow, so a consumer can keep it
/// between calls next to the bytes it walks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCursor {
    position: usize,
    failed: bool,
}

impl BatchCursor {
    pub fn new() -> BatchCursor {
        BatchCursor::default()
    }

    /// Where the next batch starts.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether bytes are left over after the last whole batch (a truncated trailing batch).
    pub fn has_truncated_tail(&self, blob: &[u8]) -> bool {
        !self.failed && self.position < blob.len()
    }

    /// The next whole batch of `blob`; `None` at the end or at a truncated trailing batch.
    pub fn next<'a>(&mut self, blob: &'a [u8]) -> Option<Result<FetchedBatch<'a>, DecodeError>> {
        if self.failed {
            return None;
        }
        let rest = blob.get(self.position..)?;
        if rest.len() < HEADER_SIZE_UP_TO_MAGIC {
            return None;
        }
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&rest[LENGTH_OFFSET..LENGTH_OFFSET + 4]);
        let length = i32::from_be_bytes(raw);
        if length >= 0 && LOG_OVERHEAD + length as usize > rest.len() {
            return None;
        }
        match BatchHeader::parse(rest) {
            Ok(header) => {
                let bytes = &rest[..header.size()];
                self.position += header.size();
                Some(Ok(FetchedBatch { header, bytes }))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e.into()))
            }
        }
    }
}

/// Position among the records of one batch; holds no borrow (see [`BatchCursor`]).
#[derive(Debug, Clone, Copy)]
pub struct RecordCursor {
    base_offset: i64,
    base_timestamp: i64,
    max_timestamp: i64,
    log_append_time: bool,
    position: usize,
    remaining: u32,
    done: bool,
}

impl RecordCursor {
    pub fn new(header: &BatchHeader) -> RecordCursor {
        RecordCursor {
            base_offset: header.base_offset,
            base_timestamp: header.base_timestamp,
            max_timestamp: header.max_timestamp,
            log_append_time: header.is_log_append_time(),
            position: 0,
            remaining: u32::try_from(header.record_count).unwrap_or(0),
            done: false,
        }
    }

    fn corrupt(&mut self, reason: impl Into<String>) -> DecodeError {
        self.done = true;
        DecodeError::Corrupt {
            base_offset: self.base_offset,
            reason: reason.into(),
        }
    }

    /// The next record of the batch whose record bytes are `data`.
    pub fn next<'a>(&mut self, data: &'a [u8]) -> Option<Result<Record<'a>, DecodeError>> {
        if self.done {
            return None;
        }
        if self.remaining == 0 {
            self.done = true;
            if self.position < data.len() {
                return Some(Err(self.corrupt(
                    "Incorrect declared batch size, records still remaining in file",
                )));
            }
            return None;
        }
        self.remaining -= 1;
        match self.read(data) {
            Ok(record) => Some(Ok(record)),
            Err(reason) => Some(Err(self.corrupt(reason))),
        }
    }

    fn read<'a>(&mut self, data: &'a [u8]) -> Result<Record<'a>, String> {
        let mut at = self.position;
        let length = read_varint(data, &mut at)?;
        let length =
            usize::try_from(length).map_err(|_| format!("invalid record size {length}"))?;
        let start = at;
        let end = start
            .checked_add(length)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| format!("record of {length} bytes exceeds the batch"))?;
        let body = &data[..end];
        // Attributes: unused in v2 records.
        at = at
            .checked_add(1)
            .filter(|&a| a <= end)
            .ok_or("record truncated")?;
        let timestamp_delta = read_varlong(body, &mut at)?;
        let offset_delta = read_varint(body, &mut at)?;
        let key = read_bytes(body, &mut at)?;
        let value = read_bytes(body, &mut at)?;
        let header_count = read_varint(body, &mut at)?;
        let header_count = u32::try_from(header_count)
            .map_err(|_| format!("Found invalid number of record headers {header_count}"))?;
        let headers_start = at;
        for _ in 0..header_count {
            read_header(body, &mut at)?;
        }
        if at != end {
            return Err(format!(
                "Invalid record size: expected to read {length} bytes in record payload, but instead read {}",
                at - start
            ));
        }
        self.position = end;
        let (timestamp, timestamp_type) = if self.log_append_time {
            (self.max_timestamp, TimestampType::LogAppendTime)
        } else {
            (
                self.base_timestamp.wrapping_add(timestamp_delta),
                TimestampType::CreateTime,
            )
        };
        Ok(Record {
            offset: self.base_offset.wrapping_add(i64::from(offset_delta)),
            timestamp,
            timestamp_type,
            key,
            value,
            headers: Headers {
                count: header_count,
                raw: &body[headers_start..end],
            },
        })
    }
}

/// Iterator over the records of one batch.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    cursor: RecordCursor,
    data: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.cursor.next(self.data)
    }
}

fn read_header<'a>(data: &'a [u8], at: &mut usize) -> Result<(&'a [u8], Option<&'a [u8]>), String> {
    let key = read_bytes(data, at)?.ok_or("Invalid negative header key size")?;
    let value = read_bytes(data, at)?;
    Ok((key, value))
}

/// A length-prefixed (varint) byte string; length -1 is null.
#[inline(always)]
fn read_bytes<'a>(data: &'a [u8], at: &mut usize) -> Result<Option<&'a [u8]>, String> {
    let length = read_varint(data, at)?;
    if length < 0 {
        return Ok(None);
    }
    let start = *at;
    let end = start
        .checked_add(length as usize)
        .filter(|&end| end <= data.len())
        .ok_or_else(|| format!("field of {length} bytes exceeds the record"))?;
    *at = end;
    Ok(Some(&data[start..end]))
}

/// An unsigned LEB128 value of at most `max_bytes` bytes.
#[inline]
fn read_unsigned(data: &[u8], at: &mut usize, max_bytes: usize) -> Result<u64, String> {
    let mut value: u64 = 0;
    for i in 0..max_bytes {
        let byte = *data.get(*at).ok_or("varint truncated")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint is too long".to_string())
}

/// A zigzag varint (Kafka's `ByteUtils.readVarint`).
#[inline(always)]
fn read_varint(data: &[u8], at: &mut usize) -> Result<i32, String> {
    let zigzag = |raw: u32| ((raw >> 1) as i32) ^ -((raw & 1) as i32);
    // Fast paths: one and two bytes cover field lengths below 8 KiB, i.e. nearly every record.
    match data.get(*at..*at + 2) {
        Some(&[b0, _]) if b0 & 0x80 == 0 => {
            *at += 1;
            return Ok(zigzag(u32::from(b0)));
        }
        Some(&[b0, b1]) if b1 & 0x80 == 0 => {
            *at += 2;
            return Ok(zigzag(u32::from(b0 & 0x7f) | (u32::from(b1) << 7)));
        }
        _ => {}
    }
    let raw = read_unsigned(data, at, MAX_VARINT_BYTES)? as u32;
    Ok(zigzag(raw))
}

/// A zigzag varlong (Kafka's `ByteUtils.readVarlong`).
#[inline]
fn read_varlong(data: &[u8], at: &mut usize) -> Result<i64, String> {
    let raw = read_unsigned(data, at, MAX_VARLONG_BYTES)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

#[cfg(test)]
mod tests;
