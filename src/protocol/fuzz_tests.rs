//! Property tests ("fuzzing" with a bounded number of cases, so they run in every `cargo test`)
//! of the decoders that see untrusted bytes: request headers, the record-batch walker and its CRC
//! check, the properties parser and the topic-name rules. They assert that nothing panics and
//! that nothing corrupt is accepted; they own no production code.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use proptest::prelude::*;

use super::batch::{self, CRC_COVERAGE_START, HEADER_SIZE, PARTITION_LEADER_EPOCH_OFFSET};
use super::{properties, topic};

/// Cases per property: enough to reach the interesting branches, few enough for CI.
const CASES: u32 = 512;
/// Largest arbitrary input, in bytes.
const MAX_INPUT: usize = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid v2 batch of `count` records, as a client would send it.
fn valid_batch(count: usize, compression: Compression) -> Vec<u8> {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder starts a new batch whenever offset - sequence changes.
            sequence: (i as i32) - 1,
            timestamp: 1_700_000_000_000 + i as i64,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(vec![b'v'; 1 + i % 7])),
            headers: Default::default(),
        })
        .collect();
    let mut buf = bytes::BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).expect("encodable batch");
    buf.to_vec()
}

fn compression() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::None),
        Just(Compression::Gzip),
        Just(Compression::Snappy),
        Just(Compression::Lz4),
        Just(Compression::Zstd),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn request_headers_of_any_bytes_never_panic(
        key in any::<i16>(),
        version in -1i16..20,
        rest in proptest::collection::vec(any::<u8>(), 0..MAX_INPUT),
    ) {
        let header_version = ApiKey::try_from(key)
            .map(|k| k.request_header_version(version.clamp(k.valid_versions().min, k.valid_versions().max)))
            .unwrap_or(2);
        let mut frame = Vec::with_capacity(4 + rest.len());
        frame.extend_from_slice(&key.to_be_bytes());
        frame.extend_from_slice(&version.to_be_bytes());
        frame.extend_from_slice(&rest);
        let mut bytes = Bytes::from(frame);
        let _ = RequestHeader::decode(&mut bytes, header_version);
    }

    #[test]
    fn the_batch_walker_stays_inside_any_blob(blob in proptest::collection::vec(any::<u8>(), 0..MAX_INPUT)) {
        let mut end = 0;
        for item in batch::batches(&blob) {
            match item {
                Ok((header, range)) => {
                    prop_assert_eq!(range.start, end);
                    prop_assert!(range.end <= blob.len());
                    prop_assert_eq!(range.len(), header.size());
                    let _ = batch::verify_crc(&blob[range.clone()]);
                    end = range.end;
                }
                Err(_) => break,
            }
        }
    }

    #[test]
    fn a_flipped_bit_in_a_batch_is_always_caught(
        count in 1usize..20,
        codec in compression(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut blob = valid_batch(count, codec);
        prop_assert!(batch::verify_crc(&blob).is_ok());
        // The base offset and leader epoch are not covered by the CRC (the broker rewrites them).
        let covered = PARTITION_LEADER_EPOCH_OFFSET + 4..blob.len();
        let at = covered.start + at.index(covered.len());
        blob[at] ^= 1 << bit;
        let walked: Vec<_> = batch::batches(&blob).collect();
        let accepted = walked.len() == 1
            && walked[0].as_ref().is_ok_and(|(_, range)| {
                *range == (0..blob.len()) && batch::verify_crc(&blob[range.clone()]).is_ok()
            });
        prop_assert!(!accepted, "flip at byte {} (crc covers {}..) accepted", at, CRC_COVERAGE_START);
    }

    #[test]
    fn arbitrary_tails_after_valid_batches_never_panic(
        count in 1usize..5,
        tail in proptest::collection::vec(any::<u8>(), 0..HEADER_SIZE * 2),
    ) {
        let mut blob = valid_batch(count, Compression::None);
        let valid = blob.len();
        blob.extend_from_slice(&tail);
        let first = batch::batches(&blob).next();
        prop_assert!(matches!(first, Some(Ok((_, ref r))) if r.end == valid));
        for (_, range) in batch::batches(&blob).skip(1).map_while(Result::ok) {
            prop_assert!(range.end <= blob.len());
        }
    }

    #[test]
    fn the_properties_parser_never_panics(text in any::<String>()) {
        let _ = properties::parse(&text);
    }

    #[test]
    fn properties_like_text_never_panics(text in "([a-z.\\\\=: \t#!\n\r]|\\\\u[0-9a-fA-FxX]{0,4}){0,64}") {
        let _ = properties::parse(&text);
    }

    #[test]
    fn topic_names_that_could_leave_the_log_dir_are_refused(
        prefix in "[a-zA-Z0-9._-]{0,10}",
        bad in prop_oneof![Just(".."), Just("/"), Just("\0"), Just("\\"), Just("../x"), Just("/etc")],
        suffix in "[a-zA-Z0-9._-]{0,10}",
    ) {
        let name = format!("{prefix}{bad}{suffix}");
        // `..` inside a longer legal name (`a..b`) is a plain file name; only `/`, `\`, NUL and the
        // whole names `.` and `..` could point elsewhere, and none of them may pass.
        let escapes = name.contains(['/', '\\', '\0']) || name == "." || name == "..";
        if escapes {
            prop_assert!(topic::validate(&name).is_err(), "{:?} accepted", name);
        }
    }

    #[test]
    fn accepted_topic_names_are_plain_file_names(name in any::<String>()) {
        if topic::validate(&name).is_ok() {
            prop_assert!(name != "." && name != "..");
            prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "{:?}", name);
        }
    }
}

#[test]
fn dot_names_and_separators_are_refused() {
    for name in [".", "..", "../x", "a/b", "a\\b", "a\0b", "/abs", ""] {
        assert!(topic::validate(name).is_err(), "{name:?} accepted");
    }
}
