//! `kafka-console-producer` against the in-process broker: exact stderr and exit codes for the
//! option and reader errors, records read back with raw Fetch requests (key, value, headers,
//! partition, codec, producer id), the failure paths (missing topic, stopped broker, too large),
//! and keyed records checked with kcat when it is installed.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{Compression, RecordBatchDecoder};
use kafkit::protocol::batch::BatchHeader;
use kafkit::protocol::murmur2::partition_for_key;

use crate::common::TestBroker;

const FETCH_VERSION: i16 = 12;
const BIN: &str = env!("CARGO_BIN_EXE_kafka-console-producer");

/// Runs the producer with `args`, feeding `input` on stdin.
async fn run(args: Vec<String>, input: Vec<u8>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kafka-console-producer");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("wait");
        writer.join().unwrap();
        output
    })
    .await
    .unwrap()
}

/// Runs the producer against `broker` for `topic` with extra `args`.
async fn produce(broker: &TestBroker, topic: &str, args: &[&str], input: &[u8]) -> Output {
    let mut full = vec![
        "--bootstrap-server".to_string(),
        broker.addr.to_string(),
        "--topic".to_string(),
        topic.to_string(),
    ];
    full.extend(args.iter().map(|s| s.to_string()));
    run(full, input.to_vec()).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_success(output: &Output) {
    assert_eq!(
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr)
        ),
        (Some(0), String::new(), String::new())
    );
}

/// A record as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fetched {
    partition: i32,
    key: Option<Bytes>,
    value: Option<Bytes>,
    headers: Vec<(String, Option<Bytes>)>,
    timestamp: i64,
}

/// Every record of `topic` partition `partition`, with the raw batch headers.
async fn fetch(
    broker: &TestBroker,
    topic: &str,
    partition: i32,
) -> (Vec<Fetched>, Vec<BatchHeader>, Vec<Compression>) {
    let mut client = broker.connect().await;
    let mut offset = 0;
    let mut records = Vec::new();
    let mut headers = Vec::new();
    let mut codecs = Vec::new();
    loop {
        let request = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(50 * 1024 * 1024)
            .with_session_epoch(-1)
            .with_topics(vec![FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(partition)
                    .with_fetch_offset(offset)
                    .with_current_leader_epoch(-1)
                    .with_partition_max_bytes(10 * 1024 * 1024)])]);
        let response = client.send(request, FETCH_VERSION).await;
        let p = &response.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch {topic}-{partition}");
        let mut data = p.records.clone().unwrap_or_default();
        if data.is_empty() {
            break;
        }
        while !data.is_empty() {
            headers.push(BatchHeader::parse(&data).expect("batch header"));
            let set = RecordBatchDecoder::decode(&mut data).expect("decodable batch");
            codecs.push(set.compression);
            for r in set.records {
                offset = r.offset + 1;
                records.push(Fetched {
                    partition,
                    key: r.key,
                    value: r.value,
                    headers: r
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                    timestamp: r.timestamp,
                });
            }
        }
    }
    (records, headers, codecs)
}

fn b(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

fn values(records: &[Fetched]) -> Vec<Option<Bytes>> {
    records.iter().map(|r| r.value.clone()).collect()
}

fn usage_tail() -> String {
    kafkit::cli::console_producer::args::help()
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_and_help() {
    let description = "This tool helps to read data from standard input and publish it to Kafka.\n";
    let out = run(vec![], vec![]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), format!("{description}{}", usage_tail()));
    let out = run(vec!["--help".into()], vec![]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), format!("{description}{}", usage_tail()));

    let cases: [(&[&str], &str); 7] = [
        (
            &["--bootstrap-server", "localhost:9092"],
            "Missing required argument \"[topic]\"\n",
        ),
        (
            &["--topic", "t"],
            "Error while validating the bootstrap address\n\n",
        ),
        (
            &["--topic", "t", "--bootstrap-server", "localhost"],
            "Please provide valid host:port like host1:9091,host2:9092\n\n",
        ),
        (
            &[
                "--topic",
                "t",
                "--bootstrap-server",
                "a:1",
                "--command-config",
                "x",
                "--producer.config",
                "y",
            ],
            "Options --command-config and --producer.config cannot be specified together.\n",
        ),
        (
            &[
                "--topic",
                "t",
                "--bootstrap-server",
                "a:1",
                "--reader-property",
                "a=b",
                "--property",
                "c=d",
            ],
            "Options --reader-property and --property cannot be specified together.\n",
        ),
        (
            &["--topic", "t", "--no-such-option"],
            "no-such-option is not a recognized option\n",
        ),
        (
            &[
                "--topic",
                "t",
                "--bootstrap-server",
                "a:1",
                "--batch-size",
                "abc",
            ],
            "Cannot parse argument 'abc' of option batch-size\n",
        ),
    ];
    for (args, message) in cases {
        let out = run(args.iter().map(|s| s.to_string()).collect(), vec![]).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        // A value that jopt only converts when ConsoleProducer reads it: no help table.
        let usage = if message.starts_with("Cannot parse argument") {
            String::new()
        } else {
            usage_tail()
        };
        assert_eq!(text(&out.stderr), format!("{message}{usage}"), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_become_records_with_javas_line_rules() {
    let broker = TestBroker::start().await;
    // \n, \r\n and \r end lines; empty lines are empty records; invalid UTF-8 becomes U+FFFD.
    let out = produce(&broker, "lines", &[], b"a\nb\r\nc\rd\n\n\xffe\nlast").await;
    assert_success(&out);
    let (records, batch_headers, _) = fetch(&broker, "lines", 0).await;
    assert_eq!(
        values(&records),
        vec![
            b("a"),
            b("b"),
            b("c"),
            b("d"),
            b(""),
            b("\u{fffd}e"),
            b("last")
        ]
    );
    assert!(records
        .iter()
        .all(|r| r.key.is_none() && r.headers.is_empty()));
    // Idempotence is on by default: a producer id and sequences from 0.
    assert!(batch_headers[0].producer_id >= 0);
    assert_eq!(batch_headers[0].base_sequence, 0);
    let now = chrono::Utc::now().timestamp_millis();
    assert!(records.iter().all(|r| (now - r.timestamp).abs() < 60_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn reader_properties_keys_headers_and_null_marker() {
    let broker = TestBroker::start().await;
    let out = produce(
        &broker,
        "parsed",
        &[
            "--reader-property",
            "parse.key=true",
            "--reader-property",
            "parse.headers=true",
            "--reader-property",
            "null.marker=NULL",
            "--reader-property",
            "key.separator=|",
        ],
        b"h1:v1,h2:v2\tkey|value|more\nh:NULL\tNULL|NULL\nNULL\tk|\n",
    )
    .await;
    assert_success(&out);
    let (records, _, _) = fetch(&broker, "parsed", 0).await;
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].key, b("key"));
    assert_eq!(records[0].value, b("value|more"));
    assert_eq!(
        records[0].headers,
        vec![("h1".to_string(), b("v1")), ("h2".to_string(), b("v2"))]
    );
    assert_eq!(
        (records[1].key.clone(), records[1].value.clone()),
        (None, None)
    );
    assert_eq!(records[1].headers, vec![("h".to_string(), None)]);
    assert_eq!(
        (records[2].key.clone(), records[2].value.clone()),
        (b("k"), b(""))
    );
    assert!(records[2].headers.is_empty());

    // The deprecated spelling works and says so on stderr.
    let out = produce(
        &broker,
        "parsed",
        &[
            "--property",
            "parse.key=true",
            "--property",
            "ignore.error=true",
        ],
        b"no separator\n",
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        "Warning: --property is deprecated and will be removed in a future version. Use --reader-property instead.\n"
    );
    let (records, _, _) = fetch(&broker, "parsed", 0).await;
    assert_eq!(
        (records[3].key.clone(), records[3].value.clone()),
        (None, b("no separator"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reader_errors_end_the_run_after_sending_what_came_before() {
    let broker = TestBroker::start().await;
    let out = produce(
        &broker,
        "errors",
        &["--reader-property", "parse.key=true"],
        b"k\tv\nabc\nnever\n",
    )
    .await;
    assert_eq!(
        (out.status.code(), text(&out.stdout), text(&out.stderr)),
        (
            Some(1),
            String::new(),
            "No key separator found on line number 2: 'abc'\n".to_string()
        )
    );
    let (records, _, _) = fetch(&broker, "errors", 0).await;
    assert_eq!(values(&records), vec![b("v")]);

    let cases: [(&[&str], &str); 4] = [
        (
            &["headers.delimiter=,"],
            "headers.delimiter and headers.separator may not be equal",
        ),
        (
            &["null.marker=\t"],
            "null.marker and key.separator may not be equal",
        ),
        (
            &["parse.headers=true"],
            "No headers delimiter found on line number 1: 'plain'",
        ),
        (
            &["parse.headers=true", "null.marker=N"],
            "Header keys should not be equal to the null marker 'N' as they can't be null",
        ),
    ];
    for (properties, message) in cases {
        let mut args = Vec::new();
        for p in properties {
            args.push("--reader-property");
            args.push(p);
        }
        let input: &[u8] = if properties.len() == 2 {
            b"N:x\tv\n"
        } else {
            b"plain\n"
        };
        let out = produce(&broker, "errors", &args, input).await;
        assert_eq!(
            (out.status.code(), text(&out.stderr)),
            (Some(1), format!("{message}\n")),
            "{properties:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keyed_records_land_where_javas_partitioner_puts_them() {
    let broker = TestBroker::start().await;
    broker
        .state
        .create_topic("keyed", 50, 1, Default::default())
        .expect("create topic");
    // Kafka's UtilsTest vector: murmur2("foobar") = -790332482 → partition 16 of 50.
    assert_eq!(partition_for_key(b"foobar", 50), 16);
    let keys: Vec<String> = std::iter::once("foobar".to_string())
        .chain((0..60).map(|i| format!("key-{i}")))
        .collect();
    let input: String = keys
        .iter()
        .map(|k| format!("{k}\tvalue of {k}\n"))
        .collect();
    let out = produce(
        &broker,
        "keyed",
        &["--reader-property", "parse.key=true"],
        input.as_bytes(),
    )
    .await;
    assert_success(&out);
    let mut found = Vec::new();
    for partition in 0..50 {
        found.extend(fetch(&broker, "keyed", partition).await.0);
    }
    assert_eq!(found.len(), keys.len());
    for record in &found {
        let key = record.key.clone().expect("key");
        assert_eq!(record.partition, partition_for_key(&key, 50), "{key:?}");
        assert_eq!(
            record.value,
            b(&format!("value of {}", String::from_utf8_lossy(&key)))
        );
    }
    assert!(found
        .iter()
        .any(|r| r.key == b("foobar") && r.partition == 16));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_codec_and_the_non_idempotent_path() {
    let broker = TestBroker::start().await;
    let input: String = (0..500).map(|i| format!("record number {i}\n")).collect();
    let expected: Vec<Option<Bytes>> = (0..500).map(|i| b(&format!("record number {i}"))).collect();
    for (codec, compression) in [
        ("none", Compression::None),
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let topic = format!("codec-{codec}");
        let out = produce(
            &broker,
            &topic,
            &["--compression-codec", codec],
            input.as_bytes(),
        )
        .await;
        assert_success(&out);
        let (records, _, codecs) = fetch(&broker, &topic, 0).await;
        assert_eq!(values(&records), expected, "{codec}");
        assert!(
            codecs.iter().all(|c| *c == compression),
            "{codec}: {codecs:?}"
        );
    }
    // --compression-codec without a value is gzip.
    let out = produce(&broker, "codec-default", &["--compression-codec"], b"x\n").await;
    assert_success(&out);
    assert_eq!(
        fetch(&broker, "codec-default", 0).await.2,
        vec![Compression::Gzip]
    );
    // An unknown codec is the producer's configuration error.
    let out = produce(
        &broker,
        "codec-bad",
        &["--compression-codec", "foo"],
        b"x\n",
    )
    .await;
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (
            Some(1),
            "Invalid value foo for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd\n".to_string()
        )
    );
    // acks=1 silently turns idempotence off: no producer id in the batch.
    let out = produce(
        &broker,
        "acks-one",
        &["--request-required-acks", "1"],
        b"x\n",
    )
    .await;
    assert_success(&out);
    assert_eq!(fetch(&broker, "acks-one", 0).await.1[0].producer_id, -1);
    // acks=0 still delivers (nobody confirms it, so read it back).
    let out = produce(
        &broker,
        "acks-zero",
        &["--request-required-acks", "0", "--sync"],
        b"x\ny\n",
    )
    .await;
    assert_success(&out);
    // Nothing acknowledges acks=0 writes: wait (bounded) for the broker to append them.
    let mut got = Vec::new();
    for _ in 0..100 {
        got = values(&fetch(&broker, "acks-zero", 0).await.0);
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got, vec![b("x"), b("y")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn small_batches_keep_sequences_in_order() {
    let broker = TestBroker::start().await;
    let input: String = (0..3000).map(|i| format!("{i:05}\n")).collect();
    let out = produce(
        &broker,
        "many",
        &["--batch-size", "200", "--command-property", "linger.ms=0"],
        input.as_bytes(),
    )
    .await;
    assert_success(&out);
    let (records, headers, _) = fetch(&broker, "many", 0).await;
    let expected: Vec<Option<Bytes>> = (0..3000).map(|i| b(&format!("{i:05}"))).collect();
    assert_eq!(values(&records), expected);
    assert!(headers.len() > 100, "{} batches", headers.len());
    let mut next = 0;
    for header in &headers {
        assert_eq!(header.base_sequence, next);
        next += header.record_count;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_input_reads_the_consumer_envelope() {
    let broker = TestBroker::start().await;
    broker
        .state
        .create_topic("json", 3, 1, Default::default())
        .expect("create topic");
    let input = concat!(
        r#"{"topic":"other","partition":2,"offset":9,"timestamp":1700000000000,"timestamp_type":"CreateTime","key":"k","value":{"base64":"/wA="},"headers":[["h1","v1"],["h2",null]]}"#,
        "\n\n",
        r#"{"partition":1,"key":null,"value":"plain"}"#,
        "\n"
    );
    let out = produce(&broker, "json", &["--input", "json"], input.as_bytes()).await;
    assert_success(&out);
    let (records, _, _) = fetch(&broker, "json", 2).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].key, b("k"));
    assert_eq!(records[0].value, Some(Bytes::from_static(&[0xff, 0x00])));
    assert_eq!(records[0].timestamp, 1_700_000_000_000);
    assert_eq!(
        records[0].headers,
        vec![("h1".to_string(), b("v1")), ("h2".to_string(), None)]
    );
    let (records, _, _) = fetch(&broker, "json", 1).await;
    assert_eq!(
        (records[0].key.clone(), records[0].value.clone()),
        (None, b("plain"))
    );

    let out = produce(&broker, "json", &["--input", "json"], b"{\"value\":1}\n").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("Invalid JSON record on line number 1: "),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn send_failures_are_reported_and_exit_non_zero() {
    let broker = TestBroker::start_with(|c| c.auto_create_topics_enable = false).await;
    // A missing topic without auto-creation: Java's metadata timeout, per record.
    let out = produce(&broker, "absent", &["--max-block-ms", "300"], b"x\n").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ERROR Error when sending message to topic absent with key: null, value: 1 bytes with error: (org.apache.kafka.clients.producer.internals.ErrorLoggingCallback)\nTopic absent not present in metadata after 300 ms."),
        "{stderr}"
    );
    // A record over max.request.size fails alone; the others are sent.
    broker
        .state
        .create_topic("sized", 1, 1, Default::default())
        .expect("create topic");
    let big = "x".repeat(300);
    let input = format!("small\n{big}\nafter\n");
    let out = produce(
        &broker,
        "sized",
        &["--command-property", "max.request.size=200"],
        input.as_bytes(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("with key: null, value: 300 bytes with error: (org.apache.kafka.clients.producer.internals.ErrorLoggingCallback)\nThe message is "),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "which is larger than 200, which is the value of the max.request.size configuration."
        ),
        "{stderr}"
    );
    assert_eq!(
        values(&fetch(&broker, "sized", 0).await.0),
        vec![b("small"), b("after")]
    );
    // With --sync the first failure ends the run.
    let input = format!("one\n{big}\nnever\n");
    let out = produce(
        &broker,
        "sized",
        &["--sync", "--command-property", "max.request.size=200"],
        input.as_bytes(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        values(&fetch(&broker, "sized", 0).await.0),
        vec![b("small"), b("after"), b("one")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_stopped_mid_run_fails_the_records_promptly() {
    let broker = TestBroker::start().await;
    let addr = broker.addr;
    let mut child = Command::new(BIN)
        .args([
            "--bootstrap-server",
            &addr.to_string(),
            "--topic",
            "stopped",
            "--timeout",
            "0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kafka-console-producer");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"before-1\nbefore-2\n").unwrap();
    stdin.flush().unwrap();
    let mut arrived = 0;
    for _ in 0..200 {
        arrived = broker
            .state
            .topic("stopped")
            .and_then(|t| t.partition(0).map(|p| p.log().log_end_offset()))
            .unwrap_or(0);
        if arrived == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(arrived, 2, "the first records never arrived");
    let _kept_dir = broker.stop().await;
    stdin.write_all(b"after-1\nafter-2\n").unwrap();
    drop(stdin);
    let output = tokio::task::spawn_blocking(move || {
        for _ in 0..600 {
            if child.try_wait().expect("try_wait").is_some() {
                return child.wait_with_output().expect("output");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("the producer did not exit within 30 s after its broker stopped");
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("ERROR Error when sending message to topic stopped with key: null, value: 7 bytes with error:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&addr.to_string()),
        "the error names the broker: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kcat_reads_keys_values_headers_and_partitions() {
    // kcat from KAFKIT_KCAT or PATH, as the interop tests find it.
    let kcat = std::env::var_os("KAFKIT_KCAT")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|dir| dir.join("kcat"))
                .find(|p| p.is_file())
        });
    let Some(kcat) = kcat else {
        assert!(
            std::env::var("KAFKIT_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "kcat is required (KAFKIT_REQUIRE_INTEROP=1) but missing: run scripts/install-peers"
        );
        let _ = std::io::stderr()
            .write_all(b"SKIPPED kcat_reads_keys_values_headers_and_partitions: kcat not found\n");
        return;
    };
    let broker = TestBroker::start().await;
    broker
        .state
        .create_topic("interop", 7, 1, Default::default())
        .expect("create topic");
    let keys: Vec<String> = (0..40).map(|i| format!("user-{i}")).collect();
    let input: String = keys
        .iter()
        .map(|k| format!("trace:{k}\t{k}\tpayload {k}\n"))
        .collect();
    let out = produce(
        &broker,
        "interop",
        &[
            "--reader-property",
            "parse.key=true",
            "--reader-property",
            "parse.headers=true",
            "--compression-codec",
            "snappy",
        ],
        input.as_bytes(),
    )
    .await;
    assert_success(&out);
    let addr = broker.addr.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&kcat)
            .args([
                "-C",
                "-b",
                &addr,
                "-t",
                "interop",
                "-e",
                "-q",
                "-f",
                "%p|%k|%s|%h\n",
            ])
            .output()
            .expect("run kcat")
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut lines: Vec<String> = text(&output.stdout).lines().map(str::to_string).collect();
    lines.sort();
    let mut expected: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}|{k}|payload {k}|trace={k}",
                partition_for_key(k.as_bytes(), 7)
            )
        })
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consumers_json_output_replays_into_the_same_records() {
    let broker = TestBroker::start().await;
    broker
        .state
        .create_topic("source", 2, 1, Default::default())
        .expect("create topic");
    broker
        .state
        .create_topic("replica", 2, 1, Default::default())
        .expect("create topic");
    let input = concat!(
        r#"{"partition":0,"timestamp":1600000000000,"key":"k\t1","value":{"base64":"AAEC/w=="},"headers":[["h","v"],["n",null]]}"#,
        "\n",
        r#"{"partition":1,"timestamp":1600000000001,"key":null,"value":"plain \"quoted\"","headers":[]}"#,
        "\n",
        r#"{"partition":1,"timestamp":1600000000002,"key":"","value":null}"#,
        "\n"
    );
    assert_success(&produce(&broker, "source", &["--input", "json"], input.as_bytes()).await);
    let addr = broker.addr.to_string();
    let consumed = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kafka-console-consumer"))
            .args([
                "--bootstrap-server",
                &addr,
                "--topic",
                "source",
                "--from-beginning",
                "--max-messages",
                "3",
                "--output",
                "json",
            ])
            .output()
            .expect("run kafka-console-consumer")
    })
    .await
    .unwrap();
    assert_eq!(
        consumed.status.code(),
        Some(0),
        "{}",
        text(&consumed.stderr)
    );
    assert_eq!(text(&consumed.stdout).lines().count(), 3);
    assert_success(&produce(&broker, "replica", &["--input", "json"], &consumed.stdout).await);
    for partition in 0..2 {
        let (source, _, _) = fetch(&broker, "source", partition).await;
        let (replica, _, _) = fetch(&broker, "replica", partition).await;
        assert_eq!(source, replica, "partition {partition}");
    }
    let (source, _, _) = fetch(&broker, "source", 0).await;
    assert_eq!(source[0].value, Some(Bytes::from_static(&[0, 1, 2, 0xff])));
    assert_eq!(source[0].key, b("k\t1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_buffer_memory_makes_sends_wait_not_fail() {
    let broker = TestBroker::start().await;
    // Room for one 16 KiB batch at a time: every new batch waits for the previous one's answer.
    let input: String = (0..5000)
        .map(|i| format!("{i:06} {}\n", "y".repeat(50)))
        .collect();
    let out = produce(
        &broker,
        "tight",
        &["--max-memory-bytes", "20000", "--batch-size", "16384"],
        input.as_bytes(),
    )
    .await;
    assert_success(&out);
    let (records, headers, _) = fetch(&broker, "tight", 0).await;
    assert_eq!(records.len(), 5000);
    assert!(headers.len() > 10);
    assert_eq!(
        records.last().and_then(|r| r.value.clone()),
        b(&format!("004999 {}", "y".repeat(50)))
    );
}
