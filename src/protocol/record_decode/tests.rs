//! The decoder against batches written by kafka-protocol's encoder (every codec), plus truncated,
//! corrupt and control batches.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record as Encoded, RecordBatchEncoder, RecordEncodeOptions, TimestampType as Ts,
};

use super::*;

fn record(
    offset: i64,
    key: Option<&str>,
    value: Option<&str>,
    headers: &[(&str, Option<&str>)],
) -> Encoded {
    let mut map = IndexMap::new();
    for (k, v) in headers {
        map.insert(
            StrBytes::from_string(k.to_string()),
            v.map(|v| Bytes::from(v.to_string())),
        );
    }
    Encoded {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: Ts::Creation,
        offset,
        // One batch needs offset - sequence constant (kafka-protocol's encoder).
        sequence: (offset - 11) as i32,
        timestamp: 1_000 + offset,
        key: key.map(|k| Bytes::from(k.to_string())),
        value: value.map(|v| Bytes::from(v.to_string())),
        headers: map,
    }
}

fn encode(records: &[Encoded], compression: Compression) -> Vec<u8> {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.to_vec()
}

/// Three records that the encoder puts in one batch.
fn sample() -> Vec<Encoded> {
    vec![
        record(10, Some("k0"), Some("v0"), &[]),
        record(11, None, Some("v1"), &[("h1", Some("x")), ("h2", None)]),
        record(12, Some("k2"), None, &[("", Some(""))]),
    ]
}

type Owned = (
    i64,
    i64,
    TimestampType,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(Vec<u8>, Option<Vec<u8>>)>,
);

fn decode_all(blob: &[u8]) -> Vec<Owned> {
    let mut cursor = BatchCursor::new();
    let mut scratch = Vec::new();
    let mut out = Vec::new();
    while let Some(batch) = cursor.next(blob) {
        let batch = batch.unwrap();
        batch.verify_crc().unwrap();
        for r in batch.records(&mut scratch).unwrap() {
            let r = r.unwrap();
            out.push((
                r.offset,
                r.timestamp,
                r.timestamp_type,
                r.key.map(<[u8]>::to_vec),
                r.value.map(<[u8]>::to_vec),
                r.headers
                    .iter()
                    .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                    .collect(),
            ));
        }
    }
    out
}

fn expected() -> Vec<Owned> {
    let b = |s: &str| Some(s.as_bytes().to_vec());
    vec![
        (
            10,
            1010,
            TimestampType::CreateTime,
            b("k0"),
            b("v0"),
            vec![],
        ),
        (
            11,
            1011,
            TimestampType::CreateTime,
            None,
            b("v1"),
            vec![(b"h1".to_vec(), b("x")), (b"h2".to_vec(), None)],
        ),
        (
            12,
            1012,
            TimestampType::CreateTime,
            b("k2"),
            None,
            vec![(Vec::new(), b(""))],
        ),
    ]
}

#[test]
fn every_codec_decodes_to_the_same_records() {
    for compression in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let blob = encode(&sample(), compression);
        assert_eq!(decode_all(&blob), expected(), "{compression:?}");
    }
}

#[test]
fn several_batches_and_a_truncated_tail() {
    let mut blob = encode(&sample(), Compression::None);
    let second = encode(
        &[record(13, Some("k3"), Some("v3"), &[])],
        Compression::Gzip,
    );
    blob.extend_from_slice(&second);
    let whole = blob.len();
    blob.extend_from_slice(&second[..second.len() - 5]);
    let decoded = decode_all(&blob);
    assert_eq!(decoded.len(), 4);
    assert_eq!(decoded[3].0, 13);

    let mut cursor = BatchCursor::new();
    while cursor.next(&blob).is_some() {}
    assert_eq!(cursor.position(), whole);
    assert!(cursor.has_truncated_tail(&blob));
    // A tail too short to show the magic byte is also just a truncated tail.
    let short = &blob[..whole + 10];
    let mut cursor = BatchCursor::new();
    while cursor.next(short).is_some() {}
    assert!(cursor.has_truncated_tail(short));
}

#[test]
fn log_append_time_uses_the_max_timestamp() {
    let mut blob = encode(&sample(), Compression::None);
    batch::set_log_append_time(&mut blob, 99_999).unwrap();
    let decoded = decode_all(&blob);
    assert!(decoded
        .iter()
        .all(|r| r.1 == 99_999 && r.2 == TimestampType::LogAppendTime));
}

#[test]
fn a_flipped_byte_fails_the_crc_and_never_panics() {
    let blob = encode(&sample(), Compression::Lz4);
    let mut scratch = Vec::new();
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x5a;
        let mut cursor = BatchCursor::new();
        let mut start = cursor.position();
        while let Some(batch) = cursor.next(&bad) {
            let Ok(batch) = batch else { break };
            let crc = batch.verify_crc();
            if (start + batch::CRC_COVERAGE_START..cursor.position()).contains(&i) {
                assert!(crc.is_err(), "byte {i}");
            }
            start = cursor.position();
            // Decoding without the CRC check must still not panic.
            if let Ok(records) = batch.records(&mut scratch) {
                for r in records {
                    let _ = r.map(|r| r.headers.iter().count());
                }
            }
        }
    }
}

#[test]
fn every_truncation_of_an_uncompressed_batch_is_safe() {
    let blob = encode(&sample(), Compression::None);
    for cut in 0..blob.len() {
        let mut cursor = BatchCursor::new();
        assert!(cursor.next(&blob[..cut]).is_none(), "cut {cut}");
        assert!(cut == 0 || cursor.has_truncated_tail(&blob[..cut]));
        // Records cut short inside a batch whose header claims more.
        let header = BatchHeader::parse(&blob).unwrap();
        if cut >= HEADER_SIZE {
            let mut records = RecordCursor::new(&header);
            let data = &blob[HEADER_SIZE..cut];
            while let Some(r) = records.next(data) {
                if r.is_err() {
                    break;
                }
            }
        }
    }
}

#[test]
fn control_batches_report_their_marker() {
    let mut marker = record(20, None, None, &[]);
    marker.control = true;
    marker.transactional = true;
    marker.producer_id = 7;
    marker.producer_epoch = 0;
    marker.sequence = -1;
    // key: version 0, type 0 (ABORT); value: version 0, coordinator epoch 0.
    marker.key = Some(Bytes::from_static(&[0, 0, 0, 0]));
    marker.value = Some(Bytes::from_static(&[0, 0, 0, 0, 0, 0]));
    let blob = encode(&[marker.clone()], Compression::None);
    let mut scratch = Vec::new();
    let batch = BatchCursor::new().next(&blob).unwrap().unwrap();
    assert!(batch.header.is_control());
    assert_eq!(
        batch.control_type(&mut scratch).unwrap(),
        Some(ControlType::Abort)
    );

    marker.key = Some(Bytes::from_static(&[0, 0, 0, 1]));
    let blob = encode(&[marker], Compression::None);
    let batch = BatchCursor::new().next(&blob).unwrap().unwrap();
    assert_eq!(
        batch.control_type(&mut scratch).unwrap(),
        Some(ControlType::Commit)
    );

    let data = encode(&sample(), Compression::None);
    let batch = BatchCursor::new().next(&data).unwrap().unwrap();
    assert_eq!(batch.control_type(&mut scratch).unwrap(), None);
}

#[test]
fn an_old_magic_is_an_error() {
    let mut blob = encode(&sample(), Compression::None);
    blob[batch::MAGIC_OFFSET] = 1;
    let mut cursor = BatchCursor::new();
    assert!(matches!(
        cursor.next(&blob),
        Some(Err(DecodeError::Batch(BatchError::BadMagic(1))))
    ));
    assert!(cursor.next(&blob).is_none());
    assert!(!cursor.has_truncated_tail(&blob));
}

#[test]
fn varints_match_kafka() {
    let cases: &[(&[u8], i32)] = &[
        (&[0x00], 0),
        (&[0x01], -1),
        (&[0x02], 1),
        (&[0xfe, 0x01], 127),
        (&[0xff, 0xff, 0xff, 0xff, 0x0f], i32::MIN),
        (&[0xfe, 0xff, 0xff, 0xff, 0x0f], i32::MAX),
    ];
    for (bytes, value) in cases {
        let mut at = 0;
        assert_eq!(read_varint(bytes, &mut at), Ok(*value));
        assert_eq!(at, bytes.len());
    }
    let mut at = 0;
    assert!(read_varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &mut at).is_err());
    let mut at = 0;
    assert_eq!(
        read_varlong(
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            &mut at
        ),
        Ok(i64::MIN)
    );
}
