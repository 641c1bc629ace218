//! The producer library against the in-process broker behind two fault-injecting proxies: a
//! partition whose leader "moves" (NOT_LEADER_OR_FOLLOWER, then Metadata names the other proxy)
//! is re-routed and retried; a batch the broker wrote but whose answer was lost is retried and
//! deduplicated by idempotence, so every record is stored exactly once and in order.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, MetadataResponse, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};
use kafka_protocol::records::RecordBatchDecoder;
use kafkit::client::producer::{Delivery, Producer, ProducerConfig, Record};
use kafkit::client::{ClientConfig, Cluster};
use kafkit::protocol::frame::{read_frame, write_frame};
use tokio::net::{TcpListener, TcpStream};

use crate::common::TestBroker;

const NOT_LEADER_OR_FOLLOWER: i16 = 6;

/// What the proxies share: which proxy Metadata names as the leader, and what to do to the next
/// Produce requests.
#[derive(Default)]
struct Faults {
    leader_port: AtomicU16,
    /// Where the leader moves when a Produce is refused.
    next_leader: AtomicU16,
    /// Produce requests to pass before the leader moves to `next_leader`; from then on the old
    /// proxy answers every Produce with NOT_LEADER_OR_FOLLOWER, as a former leader does.
    until_move: AtomicUsize,
    former_leaders: Mutex<Vec<u16>>,
    moved: AtomicBool,
    /// Produce requests to forward whose answer is then lost with the connection (the broker
    /// wrote the batch; the client cannot know).
    lose_answer: AtomicUsize,
    /// Produce requests that reached each proxy, by port.
    produced_via: Mutex<Vec<u16>>,
}

/// Takes one from `counter`; false when it is already 0.
fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// A ProduceResponse failing every partition of `request` with NOT_LEADER_OR_FOLLOWER.
fn refusal(request: &ProduceRequest) -> ProduceResponse {
    ProduceResponse::default().with_responses(
        request
            .topic_data
            .iter()
            .map(|t| {
                TopicProduceResponse::default()
                    .with_name(t.name.clone())
                    .with_topic_id(t.topic_id)
                    .with_partition_responses(
                        t.partition_data
                            .iter()
                            .map(|p| {
                                PartitionProduceResponse::default()
                                    .with_index(p.index)
                                    .with_error_code(NOT_LEADER_OR_FOLLOWER)
                                    .with_base_offset(-1)
                            })
                            .collect(),
                    )
            })
            .collect(),
    )
}

fn response_frame<R: Encodable + HeaderVersion>(
    correlation_id: i32,
    response: &R,
    version: i16,
) -> Bytes {
    let mut buf = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, R::header_version(version))
        .unwrap();
    response.encode(&mut buf, version).unwrap();
    buf.freeze()
}

/// Serves one client connection: forwards each request to the broker, one at a time, applying
/// the faults.
async fn proxy_connection(
    mut client: TcpStream,
    broker: std::net::SocketAddr,
    port: u16,
    faults: Arc<Faults>,
) {
    let Ok(mut upstream) = TcpStream::connect(broker).await else {
        return;
    };
    // Frames are written in two parts: without NODELAY, Nagle and delayed ACKs add 40 ms a hop.
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    while let Ok(Some(frame)) = read_frame(&mut client, usize::MAX).await {
        let api_key = i16::from_be_bytes([frame[0], frame[1]]);
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        if api_key == ApiKey::Produce as i16 {
            faults.produced_via.lock().unwrap().push(port);
            let mut body = frame.clone();
            let header =
                RequestHeader::decode(&mut body, ProduceRequest::header_version(version)).unwrap();
            let request = ProduceRequest::decode(&mut body, version).unwrap();
            if !take(&faults.until_move) && !faults.moved.swap(true, Ordering::SeqCst) {
                // The leader moves: Metadata names the other proxy from now on.
                faults.former_leaders.lock().unwrap().push(port);
                faults
                    .leader_port
                    .store(faults.next_leader.load(Ordering::SeqCst), Ordering::SeqCst);
            }
            if faults.former_leaders.lock().unwrap().contains(&port) {
                let reply = response_frame(header.correlation_id, &refusal(&request), version);
                if write_frame(&mut client, &[&reply]).await.is_err() {
                    return;
                }
                continue;
            }
            if port != faults.leader_port.load(Ordering::SeqCst) || take(&faults.lose_answer) {
                // Written, but the answer is lost with the connection.
                if write_frame(&mut upstream, &[&frame]).await.is_ok() {
                    let _ = read_frame(&mut upstream, usize::MAX).await;
                }
                return;
            }
        }
        if write_frame(&mut upstream, &[&frame]).await.is_err() {
            return;
        }
        let Ok(Some(mut reply)) = read_frame(&mut upstream, usize::MAX).await else {
            return;
        };
        if api_key == ApiKey::Metadata as i16 {
            let mut body = reply.clone();
            let header =
                ResponseHeader::decode(&mut body, MetadataResponse::header_version(version))
                    .unwrap();
            let mut metadata = MetadataResponse::decode(&mut body, version).unwrap();
            for b in &mut metadata.brokers {
                b.port = i32::from(faults.leader_port.load(Ordering::SeqCst));
            }
            reply = response_frame(header.correlation_id, &metadata, version);
        }
        if write_frame(&mut client, &[&reply]).await.is_err() {
            return;
        }
    }
}

/// Starts a proxy in front of `broker`; returns its port.
async fn start_proxy(broker: std::net::SocketAddr, faults: Arc<Faults>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(proxy_connection(client, broker, port, faults.clone()));
        }
    });
    port
}

/// Every value stored in `topic` partition 0, in offset order.
async fn stored_values(broker: &TestBroker, topic: &str) -> Vec<String> {
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
    use kafka_protocol::protocol::StrBytes;
    let mut client = broker.connect().await;
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_bytes(50 * 1024 * 1024)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_current_leader_epoch(-1)
                .with_partition_max_bytes(50 * 1024 * 1024)])]);
    let response = client.send(request, 12).await;
    let mut data = response.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default();
    let mut values = Vec::new();
    while !data.is_empty() {
        for r in RecordBatchDecoder::decode(&mut data).unwrap().records {
            values.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
        }
    }
    values
}

/// Produces `count` records through the proxies with small batches; returns how many records
/// were reported delivered and failed.
async fn produce_through(port: u16, topic: &str, count: usize) -> (usize, usize) {
    let mut config = ClientConfig::new(&format!("127.0.0.1:{port}"));
    config.retry_backoff = std::time::Duration::from_millis(10);
    let cluster = Arc::new(Cluster::new(config).unwrap());
    let delivered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (d, f) = (delivered.clone(), failed.clone());
    let producer = Producer::new(
        cluster,
        ProducerConfig {
            batch_size: 300,
            retries: 5,
            ..ProducerConfig::default()
        },
        Box::new(move |delivery: &Delivery<'_>| match delivery.result {
            Ok(()) => {
                d.fetch_add(delivery.records.len(), Ordering::SeqCst);
            }
            Err(e) => {
                eprintln!("delivery failed: {e}");
                f.fetch_add(delivery.records.len(), Ordering::SeqCst);
            }
        }),
    );
    for i in 0..count {
        let value = format!("record-{i:04}");
        producer
            .send(&Record {
                topic,
                partition: Some(0),
                timestamp: None,
                key: None,
                value: Some(value.as_bytes()),
                headers: &[],
            })
            .await
            .expect("send");
    }
    producer.close().await;
    (
        delivered.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_leader_is_found_again_and_lost_answers_are_deduplicated() {
    let broker = TestBroker::start().await;
    broker
        .state
        .create_topic("moving", 1, 1, Default::default())
        .expect("create topic");
    let faults = Arc::new(Faults::default());
    let first = start_proxy(broker.addr, faults.clone()).await;
    let second = start_proxy(broker.addr, faults.clone()).await;
    faults.leader_port.store(first, Ordering::SeqCst);
    faults.next_leader.store(second, Ordering::SeqCst);
    // After 3 Produce requests the leader moves to the second proxy, and the first refuses the
    // rest; on the second, two answers are lost after the broker wrote the batches.
    faults.until_move.store(3, Ordering::SeqCst);
    faults.lose_answer.store(2, Ordering::SeqCst);
    let count = 400;
    let (delivered, failed) = produce_through(first, "moving", count).await;
    assert_eq!((delivered, failed), (count, 0));
    let expected: Vec<String> = (0..count).map(|i| format!("record-{i:04}")).collect();
    assert_eq!(stored_values(&broker, "moving").await, expected);
    let via = faults.produced_via.lock().unwrap().clone();
    assert_eq!(
        via.first(),
        Some(&first),
        "the first request went to the first leader"
    );
    assert!(
        via.contains(&second),
        "requests were re-routed to the new leader: {via:?}"
    );
    assert_eq!(
        faults.lose_answer.load(Ordering::SeqCst),
        0,
        "both lost answers happened"
    );
}
