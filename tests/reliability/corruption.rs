//! Damaged segment files under a real `kafka-server-start`: a torn tail and a flipped byte after
//! a crash, a flipped byte in a sealed segment after a clean shutdown, a truncated and a missing
//! index. The broker keeps what is valid, logs the file, position and offsets it dropped, never
//! serves the damaged bytes, and takes new writes at the right offset.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::FetchRequest;
use kafkit::client::producer::{Producer, ProducerConfig, Record};
use kafkit::client::{ClientConfig, Cluster};

use super::server::ServerProcess;
use super::{kcat_read, topic_name, try_create_topic};
use crate::common::RawClient;
use crate::interop::peers;

const TOPIC: &str = "damaged";
/// Batches written, and records in each (every flush closes a batch).
const BATCHES: usize = 20;
const PER_BATCH: usize = 5;
/// An offset index of 8 entries with an entry per batch: a segment holds 8 batches.
const SMALL_SEGMENTS: &[&str] = &["log.index.size.max.bytes=64", "log.index.interval.bytes=1"];
const FETCH_VERSION: i16 = 12;
const KAFKA_STORAGE_ERROR: i16 = 56;
const FETCH_MAX_BYTES: i32 = 1 << 20;

/// Starts a server on `dir`, creates the topic and writes `BATCHES` batches of `c-<n>` records.
async fn written(dir: &Path, overrides: &[&str]) -> ServerProcess {
    let server = ServerProcess::start(dir, overrides).await;
    let mut admin = RawClient::connect(server.addr).await;
    assert_eq!(try_create_topic(&mut admin, TOPIC, 1, &[]).await, Some(0));
    let cluster = Cluster::new(ClientConfig::new(&server.addr.to_string())).expect("cluster");
    let producer = Producer::new(
        Arc::new(cluster),
        ProducerConfig::default(),
        Box::new(|d| assert!(d.result.is_ok(), "delivery failed")),
    );
    for n in 0..BATCHES * PER_BATCH {
        let value = format!("c-{n}");
        producer
            .send(&Record {
                topic: TOPIC,
                partition: Some(0),
                timestamp: None,
                key: None,
                value: Some(value.as_bytes()),
                headers: &[],
            })
            .await
            .expect("send");
        if (n + 1) % PER_BATCH == 0 {
            producer.flush().await;
        }
    }
    producer.close().await;
    server
}

fn partition_dir(dir: &Path) -> PathBuf {
    dir.join(format!("{TOPIC}-0"))
}

/// Segment files of the partition with `suffix`, sorted (oldest first).
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(partition_dir(dir))
        .expect("partition dir")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

/// Byte positions of the batches of a segment file (each batch: 8-byte offset, 4-byte length).
fn batch_starts(log: &Path) -> Vec<usize> {
    let bytes = std::fs::read(log).expect("read segment");
    let mut starts = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        starts.push(at);
        let length = i32::from_be_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
        at += 12 + length as usize;
    }
    starts
}

/// Checks the topic holds exactly `c-0 .. c-<count-1>` at offsets 0.., then that a new write
/// lands at offset `count`.
async fn holds_prefix(kcat: &Path, server: &ServerProcess, count: usize) {
    let read = kcat_read(kcat, server.addr, TOPIC).await;
    let values: Vec<String> = read.iter().map(|r| r.value.clone()).collect();
    let want: Vec<String> = (0..count).map(|n| format!("c-{n}")).collect();
    assert_eq!(values, want, "records after recovery");
    for (n, r) in read.iter().enumerate() {
        assert_eq!(r.offset, n as i64);
    }
    super::kcat_produce(kcat, server.addr, TOPIC, &["new"]).await;
    let read = kcat_read(kcat, server.addr, TOPIC).await;
    let last = read.last().expect("new record");
    assert_eq!((last.offset, last.value.as_str()), (count as i64, "new"));
}

fn damage(path: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).expect("read");
    edit(&mut bytes);
    std::fs::write(path, &bytes).expect("write");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_tail_and_a_flipped_byte_after_a_crash_are_cut_and_reported() {
    let test = "a_torn_tail_and_a_flipped_byte_after_a_crash_are_cut_and_reported";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    // A torn tail: the last batch half written.
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = written(data.path(), &[]).await;
    server.kill_9().await;
    let log = files(data.path(), ".log").pop().expect("segment");
    let starts = batch_starts(&log);
    let last = *starts.last().expect("batches");
    damage(&log, |b| b.truncate(last + 30));
    let server = ServerProcess::start(data.path(), &[]).await;
    let said = server.log_text();
    let line = said
        .lines()
        .find(|l| l.contains("Dropped 30 byte(s)"))
        .unwrap_or_else(|| panic!("no report of the dropped tail:\n{said}"));
    assert!(line.contains(&log.display().to_string()), "{line}");
    assert!(line.contains(&format!("position {last}")), "{line}");
    assert!(
        line.contains(&format!("offsets from {} on", (BATCHES - 1) * PER_BATCH)),
        "{line}"
    );
    holds_prefix(&kcat, &server, (BATCHES - 1) * PER_BATCH).await;

    // A flipped byte inside the 8th batch (in a record, covered by the CRC).
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = written(data.path(), &[]).await;
    server.kill_9().await;
    let log = files(data.path(), ".log").pop().expect("segment");
    let starts = batch_starts(&log);
    let damaged = 7;
    damage(&log, |b| b[starts[damaged] + 70] ^= 0x20);
    let server = ServerProcess::start(data.path(), &[]).await;
    let said = server.log_text();
    assert!(
        said.contains(&format!(
            "at position {} of {}",
            starts[damaged],
            log.display()
        )) && said.contains(&format!("offsets from {} on", damaged * PER_BATCH)),
        "no report of the corrupt batch:\n{said}"
    );
    holds_prefix(&kcat, &server, damaged * PER_BATCH).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn damage_to_a_sealed_segment_is_never_served() {
    let test = "damage_to_a_sealed_segment_is_never_served";
    let _watchdog = peers::Watchdog::arm(test);
    let data = tempfile::tempdir().expect("temp dir");
    let server = written(data.path(), SMALL_SEGMENTS).await;
    server.stop().await;
    let logs = files(data.path(), ".log");
    assert!(logs.len() >= 2, "expected several segments: {logs:?}");
    // After a clean shutdown sealed segments are trusted without a scan, as in Kafka: the
    // damage is found when the bytes are read, and refused then.
    damage(&logs[0], |b| b[80] ^= 0x01);
    let server = ServerProcess::start(data.path(), SMALL_SEGMENTS).await;
    let (code, records) = fetch(server.addr, 0).await;
    assert_eq!(code, KAFKA_STORAGE_ERROR, "corrupt batch fetched");
    assert!(records.is_empty(), "corrupt bytes served");
    assert!(
        server.log_says("is corrupt").await,
        "no log line for the refused read:\n{}",
        server.log_tail()
    );
    // Offsets in intact segments are still served.
    let later = (BATCHES * PER_BATCH - 1) as i64;
    let (code, records) = fetch(server.addr, later).await;
    assert_eq!(code, 0);
    assert!(!records.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_and_missing_indexes_are_rebuilt() {
    let test = "truncated_and_missing_indexes_are_rebuilt";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let data = tempfile::tempdir().expect("temp dir");
    let server = written(data.path(), SMALL_SEGMENTS).await;
    server.stop().await;
    let indexes = files(data.path(), ".index");
    assert!(indexes.len() >= 2, "expected several segments: {indexes:?}");
    damage(&indexes[0], |b| b.truncate(b.len() / 2 + 3));
    std::fs::remove_file(&indexes[1]).expect("remove index");
    std::fs::remove_file(files(data.path(), ".timeindex").remove(1)).expect("remove timeindex");
    let server = ServerProcess::start(data.path(), SMALL_SEGMENTS).await;
    let said = server.log_text();
    for index in &indexes[..2] {
        let log = index.with_extension("log");
        assert!(
            said.lines()
                .any(|l| l.contains("Rebuilt") && l.contains(&log.display().to_string())),
            "no report of the rebuilt index of {}:\n{said}",
            log.display()
        );
    }
    assert!(indexes[1].exists(), "missing index not recreated");
    holds_prefix(&kcat, &server, BATCHES * PER_BATCH).await;
}

/// Fetches partition 0 from `offset`: (error code, record bytes).
async fn fetch(addr: SocketAddr, offset: i64) -> (i16, Vec<u8>) {
    let mut client = RawClient::connect(addr).await;
    let request = FetchRequest::default()
        .with_replica_id(kafka_protocol::messages::BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(FETCH_MAX_BYTES)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(TOPIC))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(FETCH_MAX_BYTES)])]);
    let response = client.send(request, FETCH_VERSION).await;
    let partition = &response.responses[0].partitions[0];
    (
        partition.error_code,
        partition
            .records
            .as_ref()
            .map(|r| r.to_vec())
            .unwrap_or_default(),
    )
}
