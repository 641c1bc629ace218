//! Which records a run sees: several partitions, `--partition` with every `--offset` form,
//! `--include` patterns (and `--whitelist`), new partitions and topics found while running,
//! kafkit's time offsets, and read_committed.

use std::collections::BTreeSet;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::CreatePartitionsRequest;
use kafka_protocol::records::Compression;

use super::*;

/// `topic` with `partitions` partitions, each holding `p<partition>-<i>` for i in 0..count.
async fn filled(client: &mut RawClient, topic: &str, partitions: i32, count: usize, ts: i64) {
    create_topic(client, topic, partitions).await;
    for p in 0..partitions {
        let records: Vec<Rec> = (0..count)
            .map(|i| Rec::value(&format!("p{p}-{i}")))
            .collect();
        produce(client, topic, p, batch(&records, ts, Compression::None)).await;
    }
}

fn lines(output: &Output) -> BTreeSet<String> {
    text(&output.stdout).lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_topic_with_several_partitions() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    filled(&mut client, "multi", 3, 4, now_ms()).await;
    let out = consume(
        &broker,
        &[
            "--topic",
            "multi",
            "--from-beginning",
            "--max-messages",
            "12",
            "--formatter-property",
            "print.partition=true",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let expected: BTreeSet<String> = (0..3)
        .flat_map(|p| (0..4).map(move |i| format!("Partition:{p}\tp{p}-{i}")))
        .collect();
    assert_eq!(lines(&out), expected);
    // Within a partition the order is the log's.
    let seen: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Partition:1"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        seen,
        (0..4)
            .map(|i| format!("Partition:1\tp1-{i}"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_partition_from_each_kind_of_offset() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let ts = now_ms() - 10_000;
    filled(&mut client, "p", 2, 5, ts).await;
    let partition = |offset: &'static str| {
        vec![
            "--topic",
            "p",
            "--partition",
            "1",
            "--offset",
            offset,
            "--timeout-ms",
            "1500",
        ]
    };
    let out = consume(&broker, &partition("earliest")).await;
    assert_consumed(&out, "p1-0\np1-1\np1-2\np1-3\np1-4\n", 5);
    let out = consume(&broker, &partition("EARLIEST")).await;
    assert_consumed(&out, "p1-0\np1-1\np1-2\np1-3\np1-4\n", 5);
    let out = consume(&broker, &partition("3")).await;
    assert_consumed(&out, "p1-3\np1-4\n", 2);
    let out = consume(&broker, &partition("latest")).await;
    assert_consumed(&out, "", 0);
    // An offset past the end is out of range: auto.offset.reset (latest) applies.
    let out = consume(&broker, &partition("99")).await;
    assert_consumed(&out, "", 0);
    // kafkit: a time, and a duration back from now.
    let at = chrono::DateTime::from_timestamp_millis(ts + 2)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let at = format!("@{at}");
    let out = consume(
        &broker,
        &[
            "--topic",
            "p",
            "--partition",
            "1",
            "--offset",
            &at,
            "--timeout-ms",
            "1500",
        ],
    )
    .await;
    assert_consumed(&out, "p1-2\np1-3\np1-4\n", 3);
    let out = consume(
        &broker,
        &[
            "--topic",
            "p",
            "--partition",
            "0",
            "--offset",
            "-1h",
            "--timeout-ms",
            "1500",
        ],
    )
    .await;
    assert_consumed(&out, "p0-0\np0-1\np0-2\np0-3\np0-4\n", 5);
    // A time after every record: the end.
    let out = consume(
        &broker,
        &[
            "--topic",
            "p",
            "--partition",
            "0",
            "--offset",
            "@9999999999999",
            "--timeout-ms",
            "1000",
        ],
    )
    .await;
    assert_consumed(&out, "", 0);
    // Without --partition a time applies to every partition.
    let out = consume(
        &broker,
        &[
            "--topic",
            "p",
            "--offset",
            &format!("@{}", ts + 4),
            "--timeout-ms",
            "1500",
        ],
    )
    .await;
    assert_eq!(
        lines(&out),
        ["p0-4", "p1-4"].into_iter().map(String::from).collect()
    );
    // --from-beginning with --partition (and no --offset) starts at the beginning.
    let out = consume(
        &broker,
        &[
            "--topic",
            "p",
            "--partition",
            "0",
            "--from-beginning",
            "--max-messages",
            "1",
        ],
    )
    .await;
    assert_consumed(&out, "p0-0\n", 1);
    // A partition that does not exist is an error after the metadata wait, not a hang: skip
    // that here (it takes default.api.timeout.ms); it is covered by the client's retry limit.
}

#[tokio::test(flavor = "multi_thread")]
async fn include_patterns_match_whole_names() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let ts = now_ms();
    filled(&mut client, "orders", 1, 2, ts).await;
    filled(&mut client, "orders-eu", 1, 2, ts).await;
    filled(&mut client, "xorders", 1, 2, ts).await;
    let out = consume(
        &broker,
        &[
            "--include",
            "orders.*",
            "--from-beginning",
            "--timeout-ms",
            "1500",
            "--formatter-property",
            "print.key=false",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 4);
    let out = consume(
        &broker,
        &[
            "--include",
            "orders|xorders",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 4);
    // --whitelist (3.x) is still accepted; --include wins when both are given.
    let out = consume(
        &broker,
        &[
            "--whitelist",
            "xorders",
            "--from-beginning",
            "--max-messages",
            "2",
        ],
    )
    .await;
    assert_consumed(&out, "p0-0\np0-1\n", 2);
    let out = consume(
        &broker,
        &[
            "--include",
            "xorders",
            "--whitelist",
            "nothing",
            "--from-beginning",
            "--max-messages",
            "2",
        ],
    )
    .await;
    assert_consumed(&out, "p0-0\np0-1\n", 2);
    let out = consume(&broker, &["--include", "(unclosed", "--from-beginning"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("PatternSyntaxException"));
}

#[tokio::test(flavor = "multi_thread")]
async fn new_partitions_and_topics_are_picked_up() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let ts = now_ms();
    filled(&mut client, "grow", 1, 1, ts).await;
    let addr = broker.addr.to_string();
    let child = std::process::Command::new(BIN)
        .args([
            "--bootstrap-server",
            &addr,
            "--include",
            "grow.*",
            "--from-beginning",
            "--max-messages",
            "3",
            "--command-property",
            "metadata.max.age.ms=200",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Grow the topic and add a matching one while it runs; both are found by a later refresh.
    let request = CreatePartitionsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(vec![CreatePartitionsTopic::default()
            .with_name(TopicName(StrBytes::from_static_str("grow")))
            .with_count(2)
            .with_assignments(None)]);
    let response = client.send(request, 3).await;
    assert_eq!(response.results[0].error_code, 0);
    produce(
        &mut client,
        "grow",
        1,
        batch(&[Rec::value("new-partition")], ts, Compression::None),
    )
    .await;
    filled(&mut client, "grow-more", 1, 1, ts).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut seen: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    seen.sort();
    assert_eq!(seen, ["new-partition", "p0-0", "p0-0"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_topic_is_created_and_waited_for() {
    let broker = TestBroker::start().await;
    let out = consume(&broker, &["--topic", "later", "--timeout-ms", "1000"]).await;
    assert_consumed(&out, "", 0);
    // Java's consumer asks for auto-creation (allow.auto.create.topics=true).
    assert!(broker.state.topic("later").is_some());
    let out = consume(
        &broker,
        &[
            "--topic",
            "never",
            "--timeout-ms",
            "500",
            "--command-property",
            "allow.auto.create.topics=false",
        ],
    )
    .await;
    assert_consumed(&out, "", 0);
    assert!(broker.state.topic("never").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn read_committed_reads_committed_data() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    filled(&mut client, "tx", 1, 3, now_ms()).await;
    for level in ["read_committed", "read_uncommitted"] {
        let out = consume(
            &broker,
            &[
                "--topic",
                "tx",
                "--from-beginning",
                "--isolation-level",
                level,
                "--max-messages",
                "3",
            ],
        )
        .await;
        assert_consumed(&out, "p0-0\np0-1\np0-2\n", 3);
    }
    let out = consume(
        &broker,
        &[
            "--topic",
            "tx",
            "--from-beginning",
            "--command-property",
            "isolation.level=read_committed",
            "--max-messages",
            "1",
        ],
    )
    .await;
    assert_consumed(&out, "p0-0\n", 1);
}
