//! kcat (librdkafka 2.0, Debian's package) against the broker: metadata listing, and 20,000 keyed
//! records with headers produced from a file and consumed back exactly.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tokio::process::Command;

use super::peers::{self, tail};
use super::{bootstrap, create_topic};
use crate::common::TestBroker;

const RECORDS: usize = 20_000;
const PARTITIONS: i32 = 4;
/// kcat's consume format: partition, offset, key, value, headers (tab-separated, one per line).
const CONSUME_FORMAT: &str = "%p\t%o\t%k\t%s\t%h\n";
/// Headers every produced record carries (`-H` flags), as kcat prints them back with `%h`.
const HEADER_FLAGS: [&str; 2] = ["k=v", "run=interop"];
const HEADERS_PRINTED: &str = "k=v,run=interop";
/// Every this many records the value carries a long body.
const LONG_VALUE_EVERY: usize = 100;
const LONG_VALUE_BYTES: usize = 1000;

fn key(i: usize) -> String {
    format!("key{i:05}")
}

/// Values hold the key delimiter `:` (only the first one splits), non-ASCII text, and sometimes
/// a longer body, so a broker that mangles or truncates values is caught.
fn value(i: usize) -> String {
    let mut v = format!("value:{i}:grüße");
    if i.is_multiple_of(LONG_VALUE_EVERY) {
        v.push_str(&"x".repeat(LONG_VALUE_BYTES + i % 7));
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn kcat_lists_metadata() {
    let test = "kcat_lists_metadata";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    create_topic(broker.addr, "kcat-meta-three", 3, &[]).await;
    create_topic(broker.addr, "kcat-meta-one", 1, &[]).await;
    let node_id = broker.state.config.node_id;

    let json = peers::run(
        Command::new(&kcat).args(["-b", &bootstrap(broker.addr), "-L", "-J"]),
        "kcat -L -J",
    )
    .await
    .expect_success("kcat -L -J");
    let metadata: serde_json::Value = serde_json::from_str(json.stdout.trim())
        .unwrap_or_else(|e| panic!("kcat -L -J printed no JSON ({e}):\n{}", json.stdout));
    assert_eq!(
        metadata["brokers"],
        serde_json::json!([{"id": node_id, "name": bootstrap(broker.addr)}]),
        "brokers in {metadata}"
    );
    assert_eq!(
        metadata["controllerid"], node_id,
        "controller in {metadata}"
    );
    let topics = metadata["topics"].as_array().expect("topics array");
    for (name, count) in [("kcat-meta-three", 3), ("kcat-meta-one", 1)] {
        let topic = topics
            .iter()
            .find(|t| t["topic"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {metadata}"));
        assert!(topic.get("error").is_none(), "{name}: {topic}");
        let partitions = topic["partitions"].as_array().expect("partitions array");
        assert_eq!(partitions.len(), count, "{name}: {topic}");
        for (index, partition) in partitions.iter().enumerate() {
            assert_eq!(partition["partition"], index, "{name}: {topic}");
            assert_eq!(partition["leader"], node_id, "{name}: {topic}");
            assert_eq!(partition["replicas"], serde_json::json!([{"id": node_id}]));
            assert_eq!(partition["isrs"], serde_json::json!([{"id": node_id}]));
            assert!(partition.get("error").is_none(), "{name}: {partition}");
        }
    }

    let text = peers::run(
        Command::new(&kcat).args(["-b", &bootstrap(broker.addr), "-L", "-t", "kcat-meta-three"]),
        "kcat -L -t",
    )
    .await
    .expect_success("kcat -L -t");
    assert!(
        text.stdout
            .contains(&format!("broker {node_id} at {}", broker.addr))
            && text
                .stdout
                .contains("topic \"kcat-meta-three\" with 3 partitions:"),
        "kcat -L -t output:\n{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kcat_round_trips_keyed_records_with_headers() {
    let test = "kcat_round_trips_keyed_records_with_headers";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    let topic = "kcat-keyed";
    create_topic(broker.addr, topic, PARTITIONS, &[]).await;

    let input_dir = tempfile::tempdir().expect("temp dir");
    let input = input_dir.path().join("records.txt");
    let mut lines = String::new();
    for i in 0..RECORDS {
        writeln!(lines, "{}:{}", key(i), value(i)).expect("format line");
    }
    std::fs::write(&input, lines).expect("write input file");

    let mut produce = Command::new(&kcat);
    produce.args(["-b", &bootstrap(broker.addr), "-t", topic, "-P", "-K:"]);
    for header in HEADER_FLAGS {
        produce.args(["-H", header]);
    }
    produce.arg("-l").arg(&input);
    let produced = peers::run(&mut produce, "kcat -P")
        .await
        .expect_success("kcat -P");
    assert!(
        !produced.stderr.contains("Delivery failed"),
        "kcat -P reported failures:\n{}",
        tail(&produced.stderr, 20)
    );

    let consumed = peers::run(
        Command::new(&kcat).args([
            "-b",
            &bootstrap(broker.addr),
            "-t",
            topic,
            "-C",
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            CONSUME_FORMAT,
        ]),
        "kcat -C",
    )
    .await
    .expect_success("kcat -C");

    check_round_trip(&consumed.stdout);
}

/// Every produced key comes back once with its value and headers; each partition holds
/// offsets 0..n with its keys in send order; the keys were spread over several partitions.
fn check_round_trip(stdout: &str) {
    let mut by_partition: BTreeMap<i32, Vec<(i64, usize)>> = BTreeMap::new();
    let mut seen = vec![false; RECORDS];
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [partition, offset, key_text, value_text, headers] = fields[..] else {
            panic!("unexpected kcat line {line:?}");
        };
        let partition: i32 = partition.parse().expect("partition number");
        let offset: i64 = offset.parse().expect("offset number");
        let index: usize = key_text
            .strip_prefix("key")
            .and_then(|n| n.parse().ok())
            .filter(|&n| n < RECORDS)
            .unwrap_or_else(|| panic!("unexpected key in {line:?}"));
        assert!(!seen[index], "{key_text} read twice (line {line:?})");
        seen[index] = true;
        assert_eq!(
            value_text,
            value(index),
            "value of {key_text} at {partition}/{offset}"
        );
        assert_eq!(headers, HEADERS_PRINTED, "headers of {key_text}");
        by_partition
            .entry(partition)
            .or_default()
            .push((offset, index));
    }
    let missing: Vec<usize> = (0..RECORDS).filter(|&i| !seen[i]).collect();
    assert!(
        missing.is_empty(),
        "{} records not read back, first keys {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(by_partition.len() > 1, "all keys landed in one partition");
    for (partition, records) in &by_partition {
        assert!((0..PARTITIONS).contains(partition), "partition {partition}");
        for (position, window) in records.iter().enumerate() {
            assert_eq!(
                window.0, position as i64,
                "offsets of partition {partition}"
            );
        }
        assert!(
            records.windows(2).all(|w| w[0].1 < w[1].1),
            "partition {partition} does not keep send order"
        );
    }
}

/// kcat-style output for `records` indexes, spread round-robin over the partitions.
fn synthetic_output(records: impl Iterator<Item = usize>) -> String {
    let mut next_offset = [0i64; PARTITIONS as usize];
    let mut out = String::new();
    for i in records {
        let partition = i % PARTITIONS as usize;
        let offset = next_offset[partition];
        next_offset[partition] += 1;
        writeln!(
            out,
            "{partition}\t{offset}\t{}\t{}\t{HEADERS_PRINTED}",
            key(i),
            value(i)
        )
        .expect("format line");
    }
    out
}

#[test]
fn round_trip_check_accepts_exact_output() {
    check_round_trip(&synthetic_output(0..RECORDS));
}

#[test]
#[should_panic(expected = "1 records not read back")]
fn round_trip_check_catches_a_lost_record() {
    check_round_trip(&synthetic_output((0..RECORDS).filter(|&i| i != 777)));
}

#[test]
#[should_panic(expected = "value of key00042")]
fn round_trip_check_catches_a_changed_value() {
    let output = synthetic_output(0..RECORDS).replace("value:42:", "value:43:");
    check_round_trip(&output);
}
