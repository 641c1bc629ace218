//! Test helpers: record batches built with `kafka_protocol`'s encoder, as a client would send
//! them. Test-only; nothing here is used by the broker.

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

/// Bytes of every record value.
pub const VALUE_BYTES: usize = 100;

/// One client batch to encode.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    /// One timestamp per record.
    pub timestamps: Vec<i64>,
    /// (producer id, epoch, base sequence) for idempotent batches.
    pub producer: Option<(i64, i16, i32)>,
    pub compression: Compression,
}

impl BatchSpec {
    /// `count` plain records, all with timestamp `timestamp`.
    pub fn new(count: usize, timestamp: i64) -> Self {
        BatchSpec {
            timestamps: vec![timestamp; count],
            producer: None,
            compression: Compression::None,
        }
    }

    pub fn idempotent(count: usize, timestamp: i64, pid: i64, epoch: i16, seq: i32) -> Self {
        BatchSpec {
            producer: Some((pid, epoch, seq)),
            ..BatchSpec::new(count, timestamp)
        }
    }
}

/// Encodes `spec` as one v2 batch with base offset 0, as a producer sends it.
pub fn encode(spec: &BatchSpec) -> Bytes {
    let (producer_id, producer_epoch, base_sequence) = spec.producer.unwrap_or((-1, -1, -1));
    let records: Vec<Record> = spec
        .timestamps
        .iter()
        .enumerate()
        .map(|(i, &timestamp)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence is constant.
            sequence: base_sequence.wrapping_add(i as i32),
            timestamp,
            key: Some(Bytes::from(format!("k{}", i % 10))),
            value: Some(Bytes::from(vec![b'v'; VALUE_BYTES])),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: spec.compression,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).expect("encodable test batch");
    buf.freeze()
}
