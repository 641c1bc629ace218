//! Reads the topic list out of a ConsumerProtocol subscription (the JoinGroup metadata of
//! "consumer" groups), the way Kafka's coordinator does: the version header, then the fields of
//! version 0 (a prefix of every later version); later fields are ignored. Owns parsing only.

use std::collections::HashSet;

/// The subscribed topics, or `None` if the bytes are not a ConsumerProtocol subscription.
pub fn topics(metadata: &[u8]) -> Option<HashSet<String>> {
    let mut reader = Reader { bytes: metadata };
    let _version = reader.i16()?;
    let count = reader.i32()?;
    // A null (negative) topic array is not a valid subscription.
    let count = usize::try_from(count).ok()?;
    let mut topics = HashSet::new();
    for _ in 0..count {
        let len = usize::try_from(reader.i16()?).ok()?;
        let name = std::str::from_utf8(reader.take(len)?).ok()?;
        topics.insert(name.to_string());
    }
    Some(topics)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ConsumerProtocol subscription: version, topics, then whatever later versions add.
    pub fn encode(version: i16, topics: &[&str], trailer: &[u8]) -> Vec<u8> {
        let mut out = version.to_be_bytes().to_vec();
        out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for t in topics {
            out.extend_from_slice(&(t.len() as i16).to_be_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        out.extend_from_slice(trailer);
        out
    }

    #[test]
    fn reads_topics_of_any_version_and_rejects_garbage() {
        let v0 = encode(0, &["a", "b"], &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            topics(&v0).unwrap(),
            HashSet::from(["a".into(), "b".into()])
        );
        // v3 adds owned partitions, generation and rack after user data: ignored.
        let v3 = encode(3, &["c"], &[0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(topics(&v3).unwrap(), HashSet::from(["c".into()]));
        assert!(topics(&[0]).is_none());
        assert!(topics(&[0, 0, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(topics(&[0, 0, 0, 0, 0, 1, 0, 5, b'a']).is_none());
    }
}
