//! `kafka-console-consumer` against the in-process broker: exact stdout for each formatter
//! property, every codec, partitions and subscriptions, start offsets, the error paths and exit
//! codes, and how a run ends (max messages, idle timeout, closed pipe, SIGINT).
//! Records are produced with raw Produce requests, so the consumer is checked against bytes
//! nobody here decoded first.

mod confluent;
mod ending;
mod format;
mod golden;
mod group;
mod interop;
mod options;
mod partitions;

use std::process::Output;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{CreateTopicsRequest, ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::common::{RawClient, TestBroker};

pub const BIN: &str = env!("CARGO_BIN_EXE_kafka-console-consumer");

/// One record to produce.
#[derive(Debug, Clone, Default)]
pub struct Rec {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Rec {
    pub fn value(value: &str) -> Rec {
        Rec {
            value: Some(value.as_bytes().to_vec()),
            ..Rec::default()
        }
    }

    pub fn keyed(key: &str, value: &str) -> Rec {
        Rec {
            key: Some(key.as_bytes().to_vec()),
            ..Rec::value(value)
        }
    }

    pub fn header(mut self, key: &str, value: Option<&str>) -> Rec {
        self.headers
            .push((key.to_string(), value.map(|v| v.as_bytes().to_vec())));
        self
    }
}

/// One batch of `records`, record i with timestamp `timestamp + i`.
pub fn batch(records: &[Rec], timestamp: i64, compression: Compression) -> Bytes {
    let encoded: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut headers = IndexMap::new();
            for (k, v) in &r.headers {
                headers.insert(StrBytes::from_string(k.clone()), v.clone().map(Bytes::from));
            }
            Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // One batch needs offset - sequence constant (kafka-protocol's encoder).
                sequence: i as i32 - 1,
                timestamp: timestamp + i as i64,
                key: r.key.clone().map(Bytes::from),
                value: r.value.clone().map(Bytes::from),
                headers,
            }
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &encoded,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.freeze()
}

/// Creates `topic` with `partitions` partitions.
pub async fn create_topic(client: &mut RawClient, topic: &str, partitions: i32) {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_num_partitions(partitions)
            .with_replication_factor(1)]);
    let response = client.send(request, 7).await;
    assert_eq!(response.topics[0].error_code, 0, "creating {topic}");
}

/// The Produce version the tests speak.
const PRODUCE_V: i16 = 9;

/// Produces one batch to `topic`-`partition` (acks=all) and returns its base offset.
pub async fn produce(client: &mut RawClient, topic: &str, partition: i32, records: Bytes) -> i64 {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])]);
    let response = client.send(request, PRODUCE_V).await;
    let p = &response.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 0, "{:?}", p.error_message);
    p.base_offset
}

/// A timestamp the broker accepts (not far in the future, not old enough for retention).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs the consumer with `--bootstrap-server` first, off the async runtime.
pub async fn consume(broker: &TestBroker, args: &[&str]) -> Output {
    let mut full = vec!["--bootstrap-server".to_string(), broker.addr.to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    run(full).await
}

pub async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(BIN)
            .args(&args)
            .output()
            .expect("run kafka-console-consumer")
    })
    .await
    .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts exit code and stdout, and that stderr ends with the "Processed" line for `count`.
#[track_caller]
pub fn assert_consumed(output: &Output, stdout: &str, count: usize) {
    assert_eq!(
        (output.status.code(), text(&output.stdout).as_str()),
        (Some(0), stdout),
        "stderr: {}",
        text(&output.stderr)
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.ends_with(&format!("Processed a total of {count} messages\n")),
        "{stderr}"
    );
}
