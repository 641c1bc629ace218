//! The "consumer" embedded protocol of classic groups: the bytes a member puts in JoinGroup
//! metadata (ConsumerProtocolSubscription) and the leader puts in SyncGroup assignments
//! (ConsumerProtocolAssignment), versions 0–3, as Java's `ConsumerProtocol` and librdkafka write
//! them: a 2-byte version header, then the fields of that version.
//!
//! Owns encoding and decoding only. Decoding is hand-written and bounded by the input (member
//! metadata comes from other clients: a declared array length never allocates more than the bytes
//! that are really there). Like Java, a version newer than 3 is read as version 3, since later
//! versions only append fields; unlike Java, fields a version should carry but that are missing at
//! the end are taken as absent (some old clients wrote short v1 subscriptions).

use std::collections::BTreeMap;

/// The newest version this module writes and reads (Java 4.x writes it too).
pub const LATEST_VERSION: i16 = 3;
/// The generation id written when a member has none (Java's `DEFAULT_GENERATION`).
pub const NO_GENERATION: i32 = -1;

/// Bytes of a Kafka INT16 / INT32.
const I16_BYTES: usize = 2;
const I32_BYTES: usize = 4;

/// What a member subscribes to (ConsumerProtocolSubscription).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// The version the bytes carried (what was written, not what was read).
    pub version: i16,
    pub topics: Vec<String>,
    pub user_data: Option<Vec<u8>>,
    /// Partitions the member owns now, by topic (v1+; cooperative assignors use them).
    pub owned_partitions: BTreeMap<String, Vec<i32>>,
    /// The member's generation (v2+), [`NO_GENERATION`] when it has none.
    pub generation_id: i32,
    /// `client.rack` (v3+).
    pub rack_id: Option<String>,
}

/// The partitions the leader gave one member (ConsumerProtocolAssignment).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub version: i16,
    /// Assigned partitions by topic, each list in the order the leader wrote it.
    pub partitions: BTreeMap<String, Vec<i32>>,
    pub user_data: Option<Vec<u8>>,
}

/// Why bytes are not a ConsumerProtocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed consumer protocol {what}: {reason}")]
pub struct DecodeError {
    what: &'static str,
    reason: String,
}

impl Subscription {
    /// A subscription at [`LATEST_VERSION`] with no owned partitions and no generation.
    pub fn new(topics: Vec<String>) -> Subscription {
        Subscription {
            version: LATEST_VERSION,
            topics,
            user_data: None,
            owned_partitions: BTreeMap::new(),
            generation_id: NO_GENERATION,
            rack_id: None,
        }
    }

    /// The bytes at `self.version` (clamped to 0..=[`LATEST_VERSION`]).
    pub fn encode(&self) -> Vec<u8> {
        let version = self.version.clamp(0, LATEST_VERSION);
        let mut out = Vec::new();
        put_i16(&mut out, version);
        put_array_len(&mut out, self.topics.len());
        for topic in &self.topics {
            put_string(&mut out, topic);
        }
        put_bytes(&mut out, self.user_data.as_deref());
        if version >= 1 {
            put_topic_partitions(&mut out, &self.owned_partitions);
        }
        if version >= 2 {
            put_i32(&mut out, self.generation_id);
        }
        if version >= 3 {
            put_nullable_string(&mut out, self.rack_id.as_deref());
        }
        out
    }

    /// Reads a subscription written by any client.
    pub fn decode(bytes: &[u8]) -> Result<Subscription, DecodeError> {
        let mut reader = Reader::new(bytes, "subscription");
        let version = reader.i16()?;
        if version < 0 {
            return Err(reader.error(format!("unsupported version {version}")));
        }
        let read_as = version.min(LATEST_VERSION);
        let count = reader.array_len()?;
        let mut topics = Vec::new();
        for _ in 0..count {
            topics.push(reader.string()?);
        }
        let user_data = reader.nullable_bytes()?;
        let owned_partitions = if read_as >= 1 && !reader.is_empty() {
            reader.topic_partitions()?
        } else {
            BTreeMap::new()
        };
        let generation_id = if read_as >= 2 && !reader.is_empty() {
            reader.i32()?
        } else {
            NO_GENERATION
        };
        let rack_id = if read_as >= 3 && !reader.is_empty() {
            reader.nullable_string()?
        } else {
            None
        };
        Ok(Subscription {
            version,
            topics,
            user_data,
            owned_partitions,
            generation_id,
            rack_id,
        })
    }
}

impl Assignment {
    /// An assignment at [`LATEST_VERSION`].
    pub fn new(partitions: BTreeMap<String, Vec<i32>>) -> Assignment {
        Assignment {
            version: LATEST_VERSION,
            partitions,
            user_data: None,
        }
    }

    /// Every assigned (topic, partition), topics in name order.
    pub fn topic_partitions(&self) -> Vec<(String, i32)> {
        self.partitions
            .iter()
            .flat_map(|(topic, ps)| ps.iter().map(move |&p| (topic.clone(), p)))
            .collect()
    }

    /// The bytes at `self.version` (clamped to 0..=[`LATEST_VERSION`]).
    pub fn encode(&self) -> Vec<u8> {
        let version = self.version.clamp(0, LATEST_VERSION);
        let mut out = Vec::new();
        put_i16(&mut out, version);
        put_topic_partitions(&mut out, &self.partitions);
        put_bytes(&mut out, self.user_data.as_deref());
        out
    }

    /// Reads an assignment written by any leader. Empty bytes are an empty assignment: the
    /// coordinator hands those to members the leader left out.
    pub fn decode(bytes: &[u8]) -> Result<Assignment, DecodeError> {
        if bytes.is_empty() {
            return Ok(Assignment::default());
        }
        let mut reader = Reader::new(bytes, "assignment");
        let version = reader.i16()?;
        if version < 0 {
            return Err(reader.error(format!("unsupported version {version}")));
        }
        let partitions = reader.topic_partitions()?;
        let user_data = if reader.is_empty() {
            None
        } else {
            reader.nullable_bytes()?
        };
        Ok(Assignment {
            version,
            partitions,
            user_data,
        })
    }
}

fn put_i16(out: &mut Vec<u8>, value: i16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_i32(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_array_len(out: &mut Vec<u8>, len: usize) {
    put_i32(out, i32::try_from(len).unwrap_or(i32::MAX));
}

fn put_string(out: &mut Vec<u8>, value: &str) {
    // Kafka strings are at most i16::MAX bytes; topic names and rack ids are far shorter.
    let bytes = &value.as_bytes()[..value.len().min(i16::MAX as usize)];
    put_i16(out, bytes.len() as i16);
    out.extend_from_slice(bytes);
}

fn put_nullable_string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(v) => put_string(out, v),
        None => put_i16(out, -1),
    }
}

fn put_bytes(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(v) => {
            put_array_len(out, v.len());
            out.extend_from_slice(v);
        }
        None => put_i32(out, -1),
    }
}

fn put_topic_partitions(out: &mut Vec<u8>, partitions: &BTreeMap<String, Vec<i32>>) {
    put_array_len(out, partitions.len());
    for (topic, ps) in partitions {
        put_string(out, topic);
        put_array_len(out, ps.len());
        for &p in ps {
            put_i32(out, p);
        }
    }
}

/// A bounds-checked big-endian reader over untrusted bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { bytes, what }
    }

    fn error(&self, reason: String) -> DecodeError {
        DecodeError {
            what: self.what,
            reason,
        }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(self.error(format!("needs {n} more bytes, {} left", self.bytes.len())));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        let b = self.take(I16_BYTES)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        let b = self.take(I32_BYTES)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A non-null array length, checked against the bytes left (each element takes at least
    /// `min_element` bytes), so a forged length cannot make us allocate.
    fn bounded_len(&mut self, min_element: usize) -> Result<usize, DecodeError> {
        let len = self.i32()?;
        let len = usize::try_from(len).map_err(|_| self.error(format!("null array ({len})")))?;
        if len.saturating_mul(min_element) > self.bytes.len() {
            return Err(self.error(format!(
                "array of {len} elements in {} bytes",
                self.bytes.len()
            )));
        }
        Ok(len)
    }

    fn array_len(&mut self) -> Result<usize, DecodeError> {
        self.bounded_len(I16_BYTES)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        self.nullable_string()?
            .ok_or_else(|| self.error("null string".to_string()))
    }

    fn nullable_string(&mut self) -> Result<Option<String>, DecodeError> {
        let len = self.i16()?;
        let Ok(len) = usize::try_from(len) else {
            return Ok(None);
        };
        let raw = self.take(len)?;
        std::str::from_utf8(raw)
            .map(|s| Some(s.to_string()))
            .map_err(|e| self.error(format!("string is not UTF-8: {e}")))
    }

    fn nullable_bytes(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        let len = self.i32()?;
        let Ok(len) = usize::try_from(len) else {
            return Ok(None);
        };
        Ok(Some(self.take(len)?.to_vec()))
    }

    fn topic_partitions(&mut self) -> Result<BTreeMap<String, Vec<i32>>, DecodeError> {
        // A topic entry is at least a string length and an array length.
        let topics = self.bounded_len(I16_BYTES + I32_BYTES)?;
        let mut out: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for _ in 0..topics {
            let topic = self.string()?;
            let count = self.bounded_len(I32_BYTES)?;
            let entry = out.entry(topic).or_default();
            for _ in 0..count {
                entry.push(self.i32()?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
