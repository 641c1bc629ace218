//! Hostile input on a live `kafka-server-start`: random frames, frames with random and mutated
//! bodies for every served API, oversized, negative and truncated lengths, unknown API keys and
//! versions, length prefixes inside bodies that claim billions of elements, and topic names that
//! try to leave `log.dirs`. The process must survive all of it, close only the offending
//! connections, create nothing outside its directory, and then serve real clients (our client
//! and kcat).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
use kafkit::protocol::versions::BROKER_APIS;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::ServerProcess;
use super::{kcat_produce, kcat_read, topic_name, topic_names, try_create_topic};
use crate::common::RawClient;
use crate::interop::peers;

/// Fixed seed: a failure names a frame that the next run sends again.
const SEED: u64 = 0x6b61_666b_6974;
const RANDOM_FRAMES: usize = 300;
const MAX_RANDOM_BODY: usize = 300;
/// How long to wait for the broker to close or answer a hostile connection.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Length prefixes inside a body that claim far more elements or bytes than the frame holds.
const HUGE_COUNTS: &[&[u8]] = &[
    &[0x7f, 0xff, 0xff, 0xff],
    &[0x03, 0x3c, 0x0c, 0x00],
    &[0xff, 0xff, 0xff, 0xff, 0x0f],
];
/// Names that would point outside the log directory if they reached the filesystem.
const ESCAPING_NAMES: &[&str] = &[
    "..",
    ".",
    "../escape",
    "a/../../escape",
    "/tmp/escape",
    "x\0y",
    "a\\b",
];
const METADATA_VERSION: i16 = 12;
const API_VERSIONS_KEY: i16 = 18;
const UNSUPPORTED_VERSION: i16 = 35;

/// A request header (v1: key, version, correlation id, client id) followed by `body`.
fn frame(key: i16, version: i16, body: &[u8]) -> Vec<u8> {
    let client = b"hostile";
    let mut out = Vec::new();
    out.extend_from_slice(&key.to_be_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&7i32.to_be_bytes());
    out.extend_from_slice(&(client.len() as i16).to_be_bytes());
    out.extend_from_slice(client);
    // Flexible versions carry a tagged-field count in the header: none.
    out.push(0);
    out.extend_from_slice(body);
    out
}

/// Sends raw bytes on a fresh connection and reads until the broker answers or closes;
/// returns whether the connection is still open afterwards.
async fn send_raw(addr: SocketAddr, bytes: &[u8]) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return;
    };
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(ANSWER_TIMEOUT, stream.read_to_end(&mut sink)).await;
}

fn with_size(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_frames_leave_the_broker_serving_real_clients() {
    let test = "hostile_frames_leave_the_broker_serving_real_clients";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let mut server = ServerProcess::start(&data, &[]).await;
    let addr = server.addr;
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);

    // Random bytes, with and without a plausible header.
    for _ in 0..RANDOM_FRAMES {
        let len = rng.gen_range(0..MAX_RANDOM_BODY);
        let body: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        send_raw(addr, &with_size(&body)).await;
        let range = BROKER_APIS[rng.gen_range(0..BROKER_APIS.len())];
        let version = rng.gen_range(range.min..=range.max);
        send_raw(addr, &with_size(&frame(range.key as i16, version, &body))).await;
    }
    // Billions of elements claimed at every served key and version, at the body's start.
    for range in BROKER_APIS {
        for version in range.min..=range.max {
            for count in HUGE_COUNTS {
                let mut body = count.to_vec();
                body.extend_from_slice(&[0, 0, 0, 1]);
                send_raw(addr, &with_size(&frame(range.key as i16, version, &body))).await;
            }
        }
    }
    // Framing abuse: oversized, negative, truncated, too short; unknown keys and versions.
    for bytes in [
        i32::MAX.to_be_bytes().to_vec(),
        (104_857_601i32).to_be_bytes().to_vec(),
        (-5i32).to_be_bytes().to_vec(),
        [&100i32.to_be_bytes()[..], &[1, 2, 3]].concat(),
        with_size(&[0, 3]),
        with_size(&frame(9_999, 0, &[])),
        with_size(&frame(-1, 0, &[])),
        with_size(&frame(3, 99, &[])),
        with_size(&frame(0, 1, &[])),
    ] {
        send_raw(addr, &bytes).await;
    }
    assert!(server.running(), "the broker died:\n{}", server.log_tail());

    // ApiVersions at an unknown version is still answered (KIP-511), then the connection serves.
    let mut client = RawClient::connect(addr).await;
    let answer = client.raw(&frame(API_VERSIONS_KEY, 99, &[])).await;
    let error = answer
        .as_deref()
        .and_then(|a| Some(i16::from_be_bytes(a.get(4..6)?.try_into().ok()?)));
    assert_eq!(
        error,
        Some(UNSUPPORTED_VERSION),
        "ApiVersions v99 answer: {answer:?}"
    );
    assert!(client
        .try_send(ApiVersionsRequest::default(), 3)
        .await
        .is_some());

    // Topic names that would leave log.dirs are refused before any filesystem call.
    let mut admin = RawClient::connect(addr).await;
    for name in ESCAPING_NAMES {
        let code = try_create_topic(&mut admin, name, 1, &[]).await;
        assert_eq!(
            code,
            Some(17),
            "CreateTopics {name:?}: INVALID_TOPIC_EXCEPTION expected"
        );
        let request = MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(topic_name(name)))
            ]))
            .with_allow_auto_topic_creation(true);
        let response = admin.send(request, METADATA_VERSION).await;
        assert_ne!(
            response.topics[0].error_code, 0,
            "Metadata auto-created {name:?}"
        );
    }
    let outside: Vec<String> = std::fs::read_dir(root.path())
        .expect("root")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert_eq!(
        outside,
        vec!["data".to_string()],
        "created outside log.dirs"
    );
    assert!(!Path::new("/tmp/escape-0").exists());
    assert!(topic_names(addr)
        .await
        .iter()
        .all(|n| !n.contains('/') && n != ".."));

    // Real clients still work: our client's requests, kcat's produce and consume.
    assert_eq!(
        try_create_topic(&mut admin, "still-serving", 1, &[]).await,
        Some(0)
    );
    kcat_produce(&kcat, addr, "still-serving", &["a", "b"]).await;
    let read = kcat_read(&kcat, addr, "still-serving").await;
    assert_eq!(
        read.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(server.running(), "the broker died:\n{}", server.log_tail());
    server.kill_9().await;
}
