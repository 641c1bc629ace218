//! Property tests of request-body decoding: for every API key and version the broker serves,
//! arbitrary bytes, mutated valid requests and hostile length prefixes must decode to a value or
//! an error — never a panic and never an allocation sized by a length the bytes cannot back
//! (which aborts the process). Test-only.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Encodable;
use proptest::prelude::*;

use super::decode_body;
use crate::protocol::versions::BROKER_APIS;

/// Cases per property (each case tries every key and version).
const CASES: u32 = 48;
/// Largest arbitrary body, in bytes.
const MAX_INPUT: usize = 256;

/// Calls `$then!` with every API the broker serves, as `Key => RequestType` pairs (one list for
/// decoding and encoding, so they cannot drift apart).
macro_rules! served_requests {
    ($then:ident) => {
        $then!(
            Produce => ProduceRequest,
            Fetch => FetchRequest,
            ListOffsets => ListOffsetsRequest,
            Metadata => MetadataRequest,
            ApiVersions => ApiVersionsRequest,
            CreateTopics => CreateTopicsRequest,
            DeleteTopics => DeleteTopicsRequest,
            InitProducerId => InitProducerIdRequest,
            DescribeConfigs => DescribeConfigsRequest,
            AlterConfigs => AlterConfigsRequest,
            CreatePartitions => CreatePartitionsRequest,
            IncrementalAlterConfigs => IncrementalAlterConfigsRequest,
            DescribeCluster => DescribeClusterRequest,
            DescribeTopicPartitions => DescribeTopicPartitionsRequest,
            OffsetCommit => OffsetCommitRequest,
            OffsetFetch => OffsetFetchRequest,
            FindCoordinator => FindCoordinatorRequest,
            JoinGroup => JoinGroupRequest,
            Heartbeat => HeartbeatRequest,
            LeaveGroup => LeaveGroupRequest,
            SyncGroup => SyncGroupRequest,
            DescribeGroups => DescribeGroupsRequest,
            ListGroups => ListGroupsRequest,
            DeleteGroups => DeleteGroupsRequest,
            OffsetDelete => OffsetDeleteRequest,
        )
    };
}

/// Decodes `body` as the request of `key` at `version` the way the dispatcher does; returns
/// whether it decoded. Also decodes ApiVersions, which has its own dispatch path.
fn decode_any(key: ApiKey, version: i16, body: Bytes) -> bool {
    macro_rules! try_decode {
        ($($k:ident => $t:ty),* $(,)?) => {
            match key {
                $(ApiKey::$k => decode_body::<$t>(body, version).is_ok(),)*
                _ => false,
            }
        };
    }
    served_requests!(try_decode)
}

/// A default (empty) request of `key` encoded at `version`: a valid starting point to mutate.
fn default_encoded(key: ApiKey, version: i16) -> Option<Vec<u8>> {
    macro_rules! encode_default {
        ($($k:ident => $t:ty),* $(,)?) => {
            match key {
                $(ApiKey::$k => {
                    let mut buf = BytesMut::new();
                    <$t>::default().encode(&mut buf, version).ok()?;
                    Some(buf.to_vec())
                })*
                _ => None,
            }
        };
    }
    served_requests!(encode_default)
}

/// Every (key, version) the broker advertises.
fn served() -> impl Iterator<Item = (ApiKey, i16)> {
    BROKER_APIS
        .iter()
        .flat_map(|r| (r.min..=r.max).map(move |v| (r.key, v)))
}

/// Length prefixes that claim far more elements or bytes than any frame could carry: an `i32`
/// array/bytes length, an `i16` string length, and compact (unsigned varint) lengths.
const HOSTILE_PREFIXES: &[&[u8]] = &[
    &[0x7f, 0xff, 0xff, 0xff],
    &[0x03, 0x3c, 0x0c, 0x00],
    &[0x7f, 0xff],
    &[0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0x80, 0x80, 0x80, 0x80, 0x08],
];

#[test]
fn hostile_length_prefixes_are_errors_not_allocations() {
    for (key, version) in served() {
        for prefix in HOSTILE_PREFIXES {
            // At the start of the body, and after each field-sized step into a valid request.
            let valid = default_encoded(key, version).unwrap_or_default();
            for at in 0..=valid.len() {
                let mut body = valid[..at].to_vec();
                body.extend_from_slice(prefix);
                body.extend_from_slice(&[0u8; 3]);
                let _ = decode_any(key, version, Bytes::from(body));
            }
        }
    }
}

#[test]
fn default_requests_decode_at_every_served_version() {
    let mut checked = 0;
    for (key, version) in served() {
        // Versions kafka-protocol no longer encodes (Produce v0-2) are refused by the broker.
        let Some(body) = default_encoded(key, version) else {
            continue;
        };
        assert!(
            decode_any(key, version, Bytes::from(body)),
            "{key:?} v{version}"
        );
        checked += 1;
    }
    assert!(
        checked > BROKER_APIS.len(),
        "only {checked} versions checked"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..MAX_INPUT)) {
        for (key, version) in served() {
            let _ = decode_any(key, version, Bytes::from(body.clone()));
        }
    }

    #[test]
    fn mutated_valid_requests_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        extra in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        for (key, version) in served() {
            let mut body = default_encoded(key, version).unwrap_or_default();
            body.extend_from_slice(&extra);
            if body.is_empty() {
                continue;
            }
            for (at, byte) in &edits {
                let i = at.index(body.len());
                body[i] = *byte;
            }
            body.truncate(cut.index(body.len() + 1));
            let _ = decode_any(key, version, Bytes::from(body));
        }
    }
}
