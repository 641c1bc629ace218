//! The broker's connection limits, live: `max.connections.per.ip` closes connections beyond it,
//! `max.connections` holds new ones back until a slot frees, `connections.max.idle.ms` closes
//! silent connections, a frame larger than `socket.request.max.bytes` closes the connection, and
//! a client that pipelines requests without ever reading the answers is held back by TCP instead
//! of growing the broker's memory.

use std::time::Duration;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiVersionsRequest, FetchRequest, RequestHeader};
use kafka_protocol::protocol::{Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::ServerProcess;
use super::{kcat_produce, topic_name, try_create_topic};
use crate::common::{RawClient, TestBroker};
use crate::interop::peers;

const API_VERSIONS_V: i16 = 3;
/// Generous bound for an answer the broker should give at once.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a held-back connection is watched for a premature answer.
const HELD_BACK_CHECK: Duration = Duration::from_millis(300);
const IDLE_MS: i64 = 1500;
/// Longer than the idle timeout, for a connection that must have been closed.
const PAST_IDLE: Duration = Duration::from_millis(2500);
/// Shorter than the idle timeout: the pace of a connection that must stay open.
const ACTIVE_PACE: Duration = Duration::from_millis(100);

/// Whether the broker closed `stream` (EOF or reset) within the timeout.
async fn closed_by_broker(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(ANSWER_TIMEOUT, stream.read(&mut byte)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn answers(client: &mut RawClient) -> bool {
    tokio::time::timeout(
        ANSWER_TIMEOUT,
        client.try_send(ApiVersionsRequest::default(), API_VERSIONS_V),
    )
    .await
    .is_ok_and(|a| a.is_some())
}

#[tokio::test]
async fn connections_beyond_max_connections_per_ip_are_closed() {
    let broker = TestBroker::start_with(|c| c.limits.max_connections_per_ip = 2).await;
    let mut first = broker.connect().await;
    let mut second = broker.connect().await;
    assert!(answers(&mut first).await && answers(&mut second).await);
    let mut third = TcpStream::connect(broker.addr).await.expect("tcp connect");
    assert!(
        closed_by_broker(&mut third).await,
        "third connection kept open"
    );
    drop(first);
    // The freed slot is counted back once the broker sees the close; retry until it does.
    let mut again = None;
    for _ in 0..50 {
        let mut client = broker.connect().await;
        if answers(&mut client).await {
            again = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "a slot freed by a close is not reused");
    assert!(answers(&mut second).await);
}

#[tokio::test]
async fn max_connections_holds_new_connections_until_a_slot_frees() {
    let broker = TestBroker::start_with(|c| c.limits.max_connections = 2).await;
    let mut first = broker.connect().await;
    let mut second = broker.connect().await;
    assert!(answers(&mut first).await && answers(&mut second).await);
    let mut third = broker.connect().await;
    third
        .send_only(&ApiVersionsRequest::default(), API_VERSIONS_V)
        .await;
    let early = tokio::time::timeout(
        HELD_BACK_CHECK,
        third.receive::<ApiVersionsRequest>(API_VERSIONS_V),
    )
    .await;
    assert!(
        early.is_err(),
        "a connection beyond max.connections was served"
    );
    drop(first);
    let late = tokio::time::timeout(
        ANSWER_TIMEOUT,
        third.receive::<ApiVersionsRequest>(API_VERSIONS_V),
    )
    .await;
    assert!(
        matches!(late, Ok(Some(_))),
        "held-back connection not served after a slot freed"
    );
}

#[tokio::test]
async fn idle_connections_are_closed_and_active_ones_kept() {
    let broker = TestBroker::start_with(|c| {
        c.limits.idle_timeout = kafkit::broker::limits::idle_timeout(IDLE_MS)
    })
    .await;
    let mut active = broker.connect().await;
    let mut idle = TcpStream::connect(broker.addr).await.expect("tcp connect");
    let deadline = tokio::time::Instant::now() + PAST_IDLE;
    while tokio::time::Instant::now() < deadline {
        assert!(
            answers(&mut active).await,
            "an active connection was closed"
        );
        tokio::time::sleep(ACTIVE_PACE).await;
    }
    assert!(
        closed_by_broker(&mut idle).await,
        "idle connection kept open"
    );
}

#[tokio::test]
async fn a_frame_over_socket_request_max_bytes_closes_the_connection() {
    let broker = TestBroker::start_with(|c| c.socket_request_max_bytes = 1000).await;
    let mut stream = TcpStream::connect(broker.addr).await.expect("tcp connect");
    stream
        .write_all(&1001i32.to_be_bytes())
        .await
        .expect("write size");
    assert!(
        closed_by_broker(&mut stream).await,
        "oversized frame accepted"
    );
    // The default is Kafka's 104857600: one byte more is refused the same way.
    let broker = TestBroker::start().await;
    let mut stream = TcpStream::connect(broker.addr).await.expect("tcp connect");
    stream
        .write_all(&104_857_601i32.to_be_bytes())
        .await
        .expect("write size");
    assert!(
        closed_by_broker(&mut stream).await,
        "oversized frame accepted"
    );
    let mut client = broker.connect().await;
    assert!(answers(&mut client).await);
}

/// Pipelined fetches of a 1 MiB partition: far more request bytes than socket buffers hold, and
/// answers that would need hundreds of GiB if the broker kept reading and queueing them.
const UNREAD_FETCHES: usize = 200_000;
const RECORD_BYTES: usize = 100_000;
const RECORDS: usize = 10;
/// The broker's resident memory may grow by at most this much while the client never reads.
const RSS_GROWTH_LIMIT_KIB: u64 = 200 * 1024;
/// How long the non-reading client keeps writing.
const PIPELINE_FOR: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_does_not_grow_broker_memory() {
    let test = "a_client_that_never_reads_does_not_grow_broker_memory";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(data.path(), &[]).await;
    let mut admin = RawClient::connect(server.addr).await;
    assert_eq!(try_create_topic(&mut admin, "big", 1, &[]).await, Some(0));
    let value = "x".repeat(RECORD_BYTES);
    let values: Vec<&str> = (0..RECORDS).map(|_| value.as_str()).collect();
    kcat_produce(&kcat, server.addr, "big", &values).await;
    let before = server.rss_kib().expect("rss");

    // One frame: a fetch of the whole partition from offset 0.
    let fetch = FetchRequest::default()
        .with_replica_id(kafka_protocol::messages::BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(i32::MAX)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name("big"))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(0)
                .with_partition_max_bytes(i32::MAX)])]);
    let mut frame = bytes::BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(1)
        .with_request_api_version(12)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("never-reads")))
        .encode(&mut frame, 2)
        .expect("header");
    fetch.encode(&mut frame, 12).expect("fetch");
    let mut one = (frame.len() as i32).to_be_bytes().to_vec();
    one.extend_from_slice(&frame);

    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let writer = tokio::spawn(async move {
        let mut written = 0;
        for _ in 0..UNREAD_FETCHES {
            if stream.write_all(&one).await.is_err() {
                break;
            }
            written += 1;
        }
        (written, stream)
    });
    tokio::time::sleep(PIPELINE_FOR).await;
    let during = server.rss_kib().expect("rss");
    // Others are served meanwhile.
    let mut other = RawClient::connect(server.addr).await;
    assert!(answers(&mut other).await, "broker stopped serving others");
    assert!(
        !writer.is_finished(),
        "the broker read all {UNREAD_FETCHES} requests of a client that never reads"
    );
    writer.abort();
    assert!(
        during.saturating_sub(before) < RSS_GROWTH_LIMIT_KIB,
        "broker RSS grew from {before} KiB to {during} KiB"
    );
    assert!(server.running());
    server.kill_9().await;
}
