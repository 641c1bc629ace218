//! Produce, Fetch, ListOffsets, InitProducerId and Metadata against the in-process broker.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use uuid::Uuid;

use crate::common::{RawClient, TestBroker};

pub const PRODUCE_V: i16 = 9;
pub const FETCH_V: i16 = 12;

/// Producer identity for a batch: (producer id, epoch, base sequence); `None` = not idempotent.
pub type Idempotence = Option<(i64, i16, i32)>;

pub fn batch(
    values: &[&str],
    timestamp: i64,
    idem: Idempotence,
    compression: Compression,
) -> Bytes {
    let (producer_id, producer_epoch, base_sequence) = idem.unwrap_or((-1, -1, -1));
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder batches records whose offset - sequence agree; without a producer id
            // the first record's -1 becomes the batch's base sequence.
            sequence: base_sequence + i as i32,
            timestamp: timestamp + i as i64,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(Bytes::from(v.to_string())),
            headers: IndexMap::new(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.freeze()
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

pub fn produce_request(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

pub async fn create(client: &mut RawClient, topic: &str) -> Uuid {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic_name(topic)))
        ]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(request, 12).await;
    assert_eq!(response.topics[0].error_code, 0);
    response.topics[0].topic_id
}

/// Produces and returns (error code, base offset).
pub async fn produce(client: &mut RawClient, topic: &str, records: Bytes) -> (i16, i64) {
    let response = client
        .send(produce_request(topic, 0, records, -1), PRODUCE_V)
        .await;
    let p = &response.responses[0].partition_responses[0];
    if p.error_code != 0 {
        eprintln!("produce error {}: {:?}", p.error_code, p.error_message);
    }
    (p.error_code, p.base_offset)
}

fn fetch_request(topic: &str, offset: i64, max_wait_ms: i32, partition_max: i32) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(50 * 1024 * 1024)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(offset)
                .with_current_leader_epoch(-1)
                .with_partition_max_bytes(partition_max)])])
}

/// Fetches and returns (error, high watermark, decoded (offset, value) pairs).
pub async fn fetch(
    client: &mut RawClient,
    topic: &str,
    offset: i64,
) -> (i16, i64, Vec<(i64, String)>) {
    let response = client
        .send(fetch_request(topic, offset, 0, 1024 * 1024), FETCH_V)
        .await;
    decode_fetch(&response)
}

fn decode_fetch(response: &FetchResponse) -> (i16, i64, Vec<(i64, String)>) {
    let p = &response.responses[0].partitions[0];
    let mut records = p.records.clone().unwrap_or_default();
    let mut values = Vec::new();
    while !records.is_empty() {
        let set = RecordBatchDecoder::decode(&mut records).unwrap();
        for r in set.records {
            let value = String::from_utf8(r.value.unwrap().to_vec()).unwrap();
            values.push((r.offset, value));
        }
    }
    (p.error_code, p.high_watermark, values)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test]
async fn produce_assigns_offsets_and_fetch_returns_whole_batches() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "t").await;
    let t0 = now();
    assert_eq!(
        produce(
            &mut client,
            "t",
            batch(&["a", "b", "c"], t0, None, Compression::None)
        )
        .await,
        (0, 0)
    );
    assert_eq!(
        produce(
            &mut client,
            "t",
            batch(&["d", "e"], t0, None, Compression::Gzip)
        )
        .await,
        (0, 3)
    );

    let (error, hw, values) = fetch(&mut client, "t", 0).await;
    assert_eq!((error, hw), (0, 5));
    let expected: Vec<(i64, String)> = ["a", "b", "c", "d", "e"]
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v.to_string()))
        .collect();
    assert_eq!(values, expected);

    // An offset inside a batch returns that whole batch; the client drops what it passed.
    let (_, _, values) = fetch(&mut client, "t", 4).await;
    assert_eq!(values.first().unwrap().0, 3);
    // Caught up: nothing, no error. Beyond the end: OFFSET_OUT_OF_RANGE.
    assert_eq!(fetch(&mut client, "t", 5).await, (0, 5, vec![]));
    assert_eq!(fetch(&mut client, "t", 6).await.0, 1);
}

#[tokio::test]
async fn a_first_batch_larger_than_the_limit_is_still_returned() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "big").await;
    let big = "x".repeat(10_000);
    produce(
        &mut client,
        "big",
        batch(&[&big], now(), None, Compression::None),
    )
    .await;
    let response = client.send(fetch_request("big", 0, 0, 100), FETCH_V).await;
    let (_, _, values) = decode_fetch(&response);
    assert_eq!(values.len(), 1);
}

#[tokio::test]
async fn request_level_produce_errors() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "e").await;
    let one = || batch(&["v"], now(), None, Compression::None);
    let response = client
        .send(produce_request("e", 0, one(), 2), PRODUCE_V)
        .await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 21);
    // The oldest accepted version answers too (its response lacks the newer fields).
    let response = client.send(produce_request("e", 0, one(), 1), 3).await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
    let response = client
        .send(produce_request("nope", 0, one(), 1), PRODUCE_V)
        .await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 3);
    let response = client
        .send(produce_request("e", 7, one(), 1), PRODUCE_V)
        .await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 3);
    // A timestamp an hour and more in the future: INVALID_TIMESTAMP, with record errors from v8
    // and without them (not encodable) before.
    let future = || batch(&["f"], now() + 7_200_000, None, Compression::None);
    for version in [3, 7, 8] {
        let response = client
            .send(produce_request("e", 0, future(), 1), version)
            .await;
        let p = &response.responses[0].partition_responses[0];
        assert_eq!(p.error_code, 32);
        assert_eq!(p.record_errors.is_empty(), version < 8);
    }
    // Two batches in one partition's records.
    let two = [one(), one()].concat();
    let response = client
        .send(produce_request("e", 0, Bytes::from(two), 1), PRODUCE_V)
        .await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 87);
    // zstd needs Produce v7.
    let zstd = batch(&["z"], now(), None, Compression::Zstd);
    let response = client
        .send(produce_request("e", 0, zstd.clone(), 1), 6)
        .await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 76);
    let response = client.send(produce_request("e", 0, zstd, 1), 7).await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
    // Produce v2 is advertised (for librdkafka) but refused: the connection is closed.
    assert!(client
        .raw(&[0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0])
        .await
        .is_none());
}

#[tokio::test]
async fn acks_zero_gets_no_response_and_a_failure_closes_the_connection() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "z").await;
    let request = produce_request("z", 0, batch(&["1"], now(), None, Compression::None), 0);
    client.send_only(&request, PRODUCE_V).await;
    // The next answer is for the next request: the acks=0 one was never answered.
    let (_, hw, _) = fetch(&mut client, "z", 0).await;
    assert_eq!(hw, 1);
    let bad = produce_request(
        "missing",
        0,
        batch(&["1"], now(), None, Compression::None),
        0,
    );
    client.send_only(&bad, PRODUCE_V).await;
    assert!(client
        .try_send(MetadataRequest::default(), 12)
        .await
        .is_none());
}

#[tokio::test]
async fn produce_and_fetch_by_topic_id() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let id = create(&mut client, "ids").await;
    let mut request = produce_request("", 0, batch(&["v"], now(), None, Compression::None), 1);
    request.topic_data[0].topic_id = id;
    let response = client.send(request.clone(), 13).await;
    assert_eq!(response.responses[0].topic_id, id);
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
    request.topic_data[0].topic_id = Uuid::new_v4();
    let response = client.send(request, 13).await;
    assert_eq!(response.responses[0].partition_responses[0].error_code, 100);

    let mut fetch = fetch_request("", 0, 0, 1024);
    fetch.topics[0].topic_id = id;
    let response = client.send(fetch, 13).await;
    assert_eq!(response.responses[0].topic_id, id);
    assert_eq!(decode_fetch(&response).2.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_long_polls_until_an_append_arrives() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "lp").await;
    let mut waiting = broker.connect().await;
    let parked = tokio::spawn(async move {
        let response = waiting
            .send(fetch_request("lp", 0, 30_000, 1024), FETCH_V)
            .await;
        decode_fetch(&response)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce(
        &mut client,
        "lp",
        batch(&["wake"], now(), None, Compression::None),
    )
    .await;
    let (error, hw, values) = tokio::time::timeout(Duration::from_secs(20), parked)
        .await
        .expect("fetch woke before max_wait")
        .unwrap();
    assert_eq!((error, hw, values), (0, 1, vec![(0, "wake".to_string())]));

    // With nothing to read, the response comes at max_wait, empty.
    let response = client
        .send(fetch_request("lp", 1, 100, 1024), FETCH_V)
        .await;
    assert_eq!(decode_fetch(&response), (0, 1, vec![]));
}

fn list_offsets(topic: &str, timestamps: &[i64]) -> ListOffsetsRequest {
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(
                timestamps
                    .iter()
                    .map(|&ts| {
                        ListOffsetsPartition::default()
                            .with_partition_index(0)
                            .with_current_leader_epoch(-1)
                            .with_timestamp(ts)
                    })
                    .collect(),
            )])
}

async fn offset_for(client: &mut RawClient, topic: &str, ts: i64, version: i16) -> (i16, i64, i64) {
    let response = client.send(list_offsets(topic, &[ts]), version).await;
    let p = &response.topics[0].partitions[0];
    (p.error_code, p.offset, p.timestamp)
}

#[tokio::test]
async fn list_offsets_sentinels_and_timestamps() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "lo").await;
    let base = now() - 60_000;
    produce(
        &mut client,
        "lo",
        batch(&["a", "b"], base, None, Compression::None),
    )
    .await; // ts base, base+1
    produce(
        &mut client,
        "lo",
        batch(&["c"], base + 10_000, None, Compression::Lz4),
    )
    .await; // offset 2
    produce(
        &mut client,
        "lo",
        batch(&["d"], base + 5_000, None, Compression::None),
    )
    .await; // offset 3

    assert_eq!(offset_for(&mut client, "lo", -1, 7).await, (0, 4, -1));
    assert_eq!(offset_for(&mut client, "lo", -2, 7).await, (0, 0, -1));
    assert_eq!(
        offset_for(&mut client, "lo", -3, 7).await,
        (0, 2, base + 10_000)
    );
    assert_eq!(offset_for(&mut client, "lo", -3, 6).await.0, 35);
    assert_eq!(offset_for(&mut client, "lo", -5, 9).await, (0, -1, -1));
    assert_eq!(offset_for(&mut client, "lo", -9, 9).await.0, 35);
    assert_eq!(
        offset_for(&mut client, "lo", base + 1, 7).await,
        (0, 1, base + 1)
    );
    assert_eq!(
        offset_for(&mut client, "lo", base + 2, 7).await,
        (0, 2, base + 10_000)
    );
    assert_eq!(
        offset_for(&mut client, "lo", base + 10_001, 7).await,
        (0, -1, -1)
    );
    // v1 has no leader epoch in its response.
    assert_eq!(offset_for(&mut client, "lo", -1, 1).await, (0, 4, -1));
    let response = client.send(list_offsets("lo", &[-1, -2]), 7).await;
    assert_eq!(response.topics[0].partitions[1].error_code, 42);
    assert_eq!(offset_for(&mut client, "missing", -1, 7).await.0, 3);
}

async fn init_producer_id(client: &mut RawClient) -> i64 {
    let request = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let response = client.send(request, 4).await;
    assert_eq!(response.error_code, 0);
    assert_eq!(response.producer_epoch, 0);
    response.producer_id.0
}

#[tokio::test]
async fn idempotent_retries_are_not_appended_twice_even_after_restart() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create(&mut client, "idem").await;
    let pid = init_producer_id(&mut client).await;
    assert_ne!(init_producer_id(&mut client).await, pid);
    let first = batch(&["a", "b"], now(), Some((pid, 0, 0)), Compression::Snappy);
    assert_eq!(produce(&mut client, "idem", first.clone()).await, (0, 0));
    assert_eq!(
        produce(&mut client, "idem", first.clone()).await,
        (0, 0),
        "duplicate acknowledged"
    );
    let gap = batch(&["x"], now(), Some((pid, 0, 5)), Compression::None);
    assert_eq!(produce(&mut client, "idem", gap).await.0, 45);
    let next = batch(&["c"], now(), Some((pid, 0, 2)), Compression::None);
    assert_eq!(produce(&mut client, "idem", next).await, (0, 2));

    let (config, dir) = broker.stop().await;
    let broker = TestBroker::start_in(config).await;
    let mut client = broker.connect().await;
    assert_eq!(
        produce(&mut client, "idem", first).await,
        (0, 0),
        "duplicate after restart"
    );
    assert_eq!(fetch(&mut client, "idem", 0).await.1, 3);
    assert!(
        init_producer_id(&mut client).await > pid,
        "producer ids are never reused"
    );
    drop(dir);
}

#[tokio::test]
async fn transactional_ids_are_refused_clearly() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let request = InitProducerIdRequest::default()
        .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("tx"))))
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    assert_eq!(client.send(request, 4).await.error_code, 35);
    let half = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_producer_id(ProducerId(5))
        .with_producer_epoch(-1);
    assert_eq!(client.send(half, 4).await.error_code, 42);
}

#[tokio::test]
async fn topics_and_data_survive_a_restart() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let id = create(&mut client, "keep").await;
    produce(
        &mut client,
        "keep",
        batch(&["1", "2"], now(), None, Compression::None),
    )
    .await;
    let (config, dir) = broker.stop().await;

    let broker = TestBroker::start_in(config).await;
    let mut client = broker.connect().await;
    assert_eq!(create(&mut client, "keep").await, id, "topic id is stable");
    let (_, hw, values) = fetch(&mut client, "keep", 0).await;
    assert_eq!(hw, 2);
    assert_eq!(values.len(), 2);
    drop(dir);
}

#[tokio::test]
async fn metadata_reports_unknown_and_invalid_topics_without_auto_create() {
    let broker = TestBroker::start_with(|c| c.auto_create_topics_enable = false).await;
    let mut client = broker.connect().await;
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic_name("absent"))),
            MetadataRequestTopic::default().with_name(Some(topic_name("bad/name"))),
        ]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(request, 12).await;
    assert_eq!(response.topics[0].error_code, 3);
    assert_eq!(response.topics[1].error_code, 17);
    assert!(broker.state.topics().is_empty());
    assert!(!broker.path().join("bad").exists());
}
