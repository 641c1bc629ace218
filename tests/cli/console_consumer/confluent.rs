//! Reading what confluent-kafka (librdkafka) produced: an idempotent producer per codec writes
//! awkward records (null and non-UTF-8 keys and values, empty values, tombstones, repeated and
//! null-valued headers, explicit CreateTime) to a 3-partition topic; the consumer's text and JSON
//! output must match, line for line, what the producer reported it placed where.
//! Skipped with a note when confluent-kafka is missing, unless `KAFKIT_REQUIRE_INTEROP=1`.
//! Transactions are absent: the broker has no transaction coordinator yet (README; librdkafka's
//! `init_transactions` against it only times out), so no aborted records exist for
//! `--isolation-level` to hide; both levels must print everything.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;

use super::*;
use crate::interop::peers;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/cli/py/produce_awkward.py"
);
const TOPIC: &str = "fromck";
const PARTITIONS: i32 = 3;
/// The text formatter with every field this test checks.
const TEXT_PROPERTIES: [&str; 5] = [
    "print.key=true",
    "print.headers=true",
    "print.timestamp=true",
    "print.partition=true",
    "print.offset=true",
];

/// One record as the script reported producing it.
#[derive(Debug)]
struct Produced {
    partition: i32,
    offset: i64,
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

fn decode(field: &serde_json::Value) -> Option<Vec<u8>> {
    field.as_str().map(|b64| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64 from produce_awkward.py")
    })
}

fn parse_report(result: &serde_json::Value) -> Vec<Produced> {
    let records = result["records"].as_array().expect("records in RESULT");
    records
        .iter()
        .map(|r| Produced {
            partition: r["partition"].as_i64().expect("partition") as i32,
            offset: r["offset"].as_i64().expect("offset"),
            timestamp: r["timestamp"].as_i64().expect("timestamp"),
            key: decode(&r["key"]),
            value: decode(&r["value"]),
            headers: r["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().expect("header key").to_string(),
                        decode(&h[1]),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The DefaultMessageFormatter line of `r` with every TEXT_PROPERTIES field (reference §4.5).
fn text_line(r: &Produced) -> Vec<u8> {
    const NULL: &[u8] = b"null";
    let mut line = format!(
        "CreateTime:{}\tPartition:{}\tOffset:{}\t",
        r.timestamp, r.partition, r.offset
    )
    .into_bytes();
    if r.headers.is_empty() {
        line.extend_from_slice(b"NO_HEADERS");
    }
    for (i, (key, value)) in r.headers.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(key.as_bytes());
        line.push(b':');
        line.extend_from_slice(value.as_deref().unwrap_or(NULL));
    }
    line.push(b'\t');
    line.extend_from_slice(r.key.as_deref().unwrap_or(NULL));
    line.push(b'\t');
    line.extend_from_slice(r.value.as_deref().unwrap_or(NULL));
    line
}

/// A byte field of `--output json`: a string when UTF-8, else `{"base64":...}`, or `null`.
fn json_bytes(data: Option<&[u8]>) -> String {
    match data {
        None => "null".to_string(),
        Some(data) => match std::str::from_utf8(data) {
            Ok(text) => serde_json::to_string(text).expect("JSON string"),
            Err(_) => format!(
                "{{\"base64\":\"{}\"}}",
                base64::engine::general_purpose::STANDARD.encode(data)
            ),
        },
    }
}

/// The `--output json` line of `r`, field order included.
fn json_line(r: &Produced) -> Vec<u8> {
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|(k, v)| {
            format!(
                "[{},{}]",
                json_bytes(Some(k.as_bytes())),
                json_bytes(v.as_deref())
            )
        })
        .collect();
    format!(
        "{{\"topic\":\"{TOPIC}\",\"partition\":{},\"offset\":{},\"timestamp\":{},\"timestamp_type\":\"CreateTime\",\"key\":{},\"value\":{},\"headers\":[{}]}}",
        r.partition,
        r.offset,
        r.timestamp,
        json_bytes(r.key.as_deref()),
        json_bytes(r.value.as_deref()),
        headers.join(",")
    )
    .into_bytes()
}

/// Lines grouped by partition, in the order they appear. Partitions are read concurrently, so
/// only the order within one partition is defined.
type ByPartition = BTreeMap<i32, Vec<Vec<u8>>>;

fn expected_by_partition(records: &[Produced], line: fn(&Produced) -> Vec<u8>) -> ByPartition {
    let mut sorted: Vec<&Produced> = records.iter().collect();
    sorted.sort_by_key(|r| (r.partition, r.offset));
    let mut by = ByPartition::new();
    for r in sorted {
        by.entry(r.partition).or_default().push(line(r));
    }
    by
}

/// Splits stdout into lines (every line must end with `\n`) grouped by `partition_of`.
fn printed_by_partition(stdout: &[u8], partition_of: fn(&[u8]) -> Option<i32>) -> ByPartition {
    let body = stdout
        .strip_suffix(b"\n")
        .unwrap_or_else(|| panic!("stdout does not end with a newline: {}", text(stdout)));
    let mut by = ByPartition::new();
    for line in body.split(|&b| b == b'\n') {
        let partition =
            partition_of(line).unwrap_or_else(|| panic!("no partition in line {:?}", text(line)));
        by.entry(partition).or_default().push(line.to_vec());
    }
    by
}

fn text_partition(line: &[u8]) -> Option<i32> {
    let field = line.split(|&b| b == b'\t').nth(1)?;
    std::str::from_utf8(field.strip_prefix(b"Partition:")?)
        .ok()?
        .parse()
        .ok()
}

fn json_partition(line: &[u8]) -> Option<i32> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    i32::try_from(value["partition"].as_i64()?).ok()
}

/// Byte positions in a v2 record batch header (Kafka's DefaultRecordBatch layout).
const BATCH_LENGTH_AT: usize = 8;
const BATCH_ATTRIBUTES_AT: usize = 21;
const BATCH_PRODUCER_ID_AT: usize = 43;
/// Bytes before the batch length counts: base offset and the length itself.
const BATCH_LOG_OVERHEAD: usize = 12;
/// The compression codec bits of the batch attributes.
const CODEC_MASK: i16 = 0x7;

/// (codec, producer id) of every batch stored in the topic's first segments, read from disk so
/// the test knows librdkafka really compressed with each codec and produced idempotently.
fn stored_batches(broker: &TestBroker) -> Vec<(i16, i64)> {
    let mut batches = Vec::new();
    for partition in 0..PARTITIONS {
        let path = broker
            .path()
            .join(format!("{TOPIC}-{partition}/00000000000000000000.log"));
        let log = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut at = 0;
        while at + BATCH_PRODUCER_ID_AT + 8 <= log.len() {
            let field = |from: usize, len: usize| &log[at + from..at + from + len];
            let length = i32::from_be_bytes(field(BATCH_LENGTH_AT, 4).try_into().unwrap());
            let attributes = i16::from_be_bytes(field(BATCH_ATTRIBUTES_AT, 2).try_into().unwrap());
            let producer_id =
                i64::from_be_bytes(field(BATCH_PRODUCER_ID_AT, 8).try_into().unwrap());
            batches.push((attributes & CODEC_MASK, producer_id));
            at += BATCH_LOG_OVERHEAD + usize::try_from(length).expect("batch length");
        }
        assert_eq!(at, log.len(), "{} ends inside a batch", path.display());
    }
    batches
}

/// Runs the consumer over the whole topic with `extra` args and checks stdout per partition.
async fn check_output(
    broker: &TestBroker,
    records: &[Produced],
    extra: &[&str],
    line: fn(&Produced) -> Vec<u8>,
    partition_of: fn(&[u8]) -> Option<i32>,
) {
    let count = records.len().to_string();
    let mut args = vec![
        "--topic",
        TOPIC,
        "--from-beginning",
        "--max-messages",
        &count,
    ];
    args.extend_from_slice(extra);
    let out = consume(broker, &args).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    let printed = printed_by_partition(&out.stdout, partition_of);
    let expected = expected_by_partition(records, line);
    for partition in 0..PARTITIONS {
        let show = |lines: Option<&Vec<Vec<u8>>>| -> Vec<String> {
            lines.into_iter().flatten().map(|l| text(l)).collect()
        };
        assert_eq!(
            show(printed.get(&partition)),
            show(expected.get(&partition)),
            "{args:?}: partition {partition}"
        );
        // Lossy text can hide a byte difference: compare the raw bytes too.
        assert_eq!(printed.get(&partition), expected.get(&partition));
    }
    assert!(
        stderr.ends_with(&format!("Processed a total of {count} messages\n")),
        "{args:?}: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_what_confluent_kafka_produced() {
    let test = "reads_what_confluent_kafka_produced";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, TOPIC, PARTITIONS).await;
    let mut command = tokio::process::Command::new(python);
    command.arg(SCRIPT).arg(broker.addr.to_string()).arg(TOPIC);
    let finished = peers::run(&mut command, "produce_awkward.py")
        .await
        .expect_success("produce_awkward.py");
    let result = peers::result_of(&finished.stdout)
        .unwrap_or_else(|| panic!("no RESULT line:\n{}", finished.stdout));
    let records = parse_report(&result);
    // The script's record shapes per codec, times five codecs: nothing silently dropped.
    assert_eq!(records.len(), 45, "{result}");
    let used: BTreeSet<i32> = records.iter().map(|r| r.partition).collect();
    assert_eq!(
        used.len(),
        PARTITIONS as usize,
        "every partition holds records"
    );
    let stored = stored_batches(&broker);
    let codecs: BTreeSet<i16> = stored.iter().map(|&(codec, _)| codec).collect();
    assert_eq!(codecs, (0..=4).collect(), "batches stored with every codec");
    assert!(
        stored.iter().all(|&(_, producer_id)| producer_id >= 0),
        "every batch is from an idempotent producer: {stored:?}"
    );

    let mut text_args = Vec::new();
    for property in TEXT_PROPERTIES {
        text_args.extend(["--property", property]);
    }
    for level in ["read_uncommitted", "read_committed"] {
        let mut args = text_args.clone();
        args.extend(["--isolation-level", level]);
        check_output(&broker, &records, &args, text_line, text_partition).await;
    }
    check_output(
        &broker,
        &records,
        &["--output", "json"],
        json_line,
        json_partition,
    )
    .await;
}
