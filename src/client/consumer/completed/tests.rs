//! Reading completed fetches: position skipping, stopping and resuming, control batches and
//! aborted transactions under read_committed.

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use super::*;

/// A batch of `count` records from `base`, with values `v<offset>`.
fn batch(base: i64, count: i64, producer: Option<i64>, compression: Compression) -> Vec<u8> {
    let records: Vec<Record> = (base..base + count)
        .map(|offset| Record {
            transactional: producer.is_some(),
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: producer.unwrap_or(-1),
            producer_epoch: if producer.is_some() { 0 } else { -1 },
            timestamp_type: TimestampType::Creation,
            offset,
            sequence: (offset - base) as i32 + if producer.is_some() { 0 } else { -1 },
            timestamp: offset,
            key: None,
            value: Some(Bytes::from(format!("v{offset}"))),
            headers: IndexMap::new(),
        })
        .collect();
    encode(&records, compression)
}

fn encode(records: &[Record], compression: Compression) -> Vec<u8> {
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

/// A transaction marker (ABORT when `abort`) from `producer` at `offset`.
fn marker(offset: i64, producer: i64, abort: bool) -> Vec<u8> {
    let record = Record {
        transactional: true,
        control: true,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: producer,
        producer_epoch: 0,
        timestamp_type: TimestampType::Creation,
        offset,
        sequence: -1,
        timestamp: offset,
        key: Some(Bytes::from(vec![0, 0, 0, u8::from(!abort)])),
        value: Some(Bytes::from_static(&[0, 0, 0, 0, 0, 0])),
        headers: IndexMap::new(),
    };
    encode(&[record], Compression::None)
}

fn fetch(
    parts: &[Vec<u8>],
    fetch_offset: i64,
    aborted: Option<Vec<AbortedTransaction>>,
) -> CompletedFetch {
    CompletedFetch::new(
        TopicPartition::new("t", 0),
        1,
        fetch_offset,
        Bytes::from(parts.concat()),
        true,
        aborted,
    )
}

/// Drains everything, returning the values seen and the final position.
fn read_all(fetch: &mut CompletedFetch, mut position: i64) -> (Vec<String>, i64) {
    let mut seen = Vec::new();
    let mut delivered = 0;
    let drained = fetch
        .drain(&mut position, &mut delivered, &mut |r: &ConsumerRecord<
            '_,
        >| {
            seen.push(String::from_utf8_lossy(r.record.value.unwrap_or(b"null")).into_owned());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(drained, Drained::Finished);
    assert_eq!(delivered, seen.len());
    (seen, position)
}

#[test]
fn records_before_the_position_are_skipped_and_the_end_is_known() {
    let mut f = fetch(
        &[
            batch(0, 3, None, Compression::None),
            batch(3, 3, None, Compression::Gzip),
        ],
        4,
        None,
    );
    assert_eq!(f.end_offset, 6);
    assert!(!f.is_stuck());
    assert_eq!(read_all(&mut f, 4), (vec!["v4".into(), "v5".into()], 6));
}

#[test]
fn stopping_and_resuming_continues_after_the_last_record_handed_out() {
    let mut f = fetch(&[batch(0, 4, None, Compression::Snappy)], 0, None);
    let mut position = 0;
    let mut delivered = 0;
    let mut seen = Vec::new();
    let drained = f
        .drain(&mut position, &mut delivered, &mut |r: &ConsumerRecord<
            '_,
        >| {
            seen.push(r.record.offset);
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((drained, position, delivered), (Drained::Stopped, 2, 2));
    assert_eq!(
        read_all(&mut f, position),
        (vec!["v2".into(), "v3".into()], 4)
    );
}

#[test]
fn a_truncated_trailing_batch_is_left_for_the_next_fetch() {
    let whole = batch(0, 2, None, Compression::None);
    let next = batch(2, 2, None, Compression::None);
    let mut f = fetch(&[whole, next[..next.len() - 3].to_vec()], 0, None);
    assert_eq!(f.end_offset, 2);
    assert_eq!(read_all(&mut f, 0), (vec!["v0".into(), "v1".into()], 2));
    let only_part = fetch(&[next[..20].to_vec()], 2, None);
    assert!(only_part.is_stuck());
}

#[test]
fn read_committed_drops_aborted_transactions_and_control_batches() {
    // Producer 7 aborts offsets 0-1 (marker at 2); producer 8 commits 3-4 (marker at 5);
    // a plain batch at 6; producer 7 again, committed, at 7 (marker at 8).
    let parts = [
        batch(0, 2, Some(7), Compression::None),
        marker(2, 7, true),
        batch(3, 2, Some(8), Compression::Lz4),
        marker(5, 8, false),
        batch(6, 1, None, Compression::None),
        batch(7, 1, Some(7), Compression::None),
        marker(8, 7, false),
    ];
    let aborted = vec![AbortedTransaction {
        producer_id: 7,
        first_offset: 0,
    }];
    let mut committed = fetch(&parts, 0, Some(aborted));
    assert_eq!(
        read_all(&mut committed, 0),
        (vec!["v3".into(), "v4".into(), "v6".into(), "v7".into()], 9)
    );
    // read_uncommitted sees every data record, still without the markers.
    let mut uncommitted = fetch(&parts, 0, None);
    assert_eq!(read_all(&mut uncommitted, 0).0.len(), 6);
}

#[test]
fn a_corrupt_batch_is_an_error() {
    let mut bytes = batch(0, 2, None, Compression::None);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let mut f = fetch(&[bytes], 0, None);
    let mut position = 0;
    let mut delivered = 0;
    let result = f.drain(&mut position, &mut delivered, &mut |_: &ConsumerRecord<
        '_,
    >| {
        ControlFlow::Continue(())
    });
    assert!(matches!(result, Err(DecodeError::Corrupt { .. })));
    assert_eq!(position, 0);
}
