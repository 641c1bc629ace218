//! `--group`: real group membership — the run reads from committed offsets, commits what it
//! printed when it ends, and a second run of the same group resumes after it.

use std::process::Output;

use kafka_protocol::records::Compression;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_group_resumes_where_the_previous_run_stopped() {
    resumes_where_the_previous_run_stopped(&[]).await;
}

/// The same with the cooperative-sticky assignor, named as Java users name it.
#[tokio::test(flavor = "multi_thread")]
async fn a_cooperative_sticky_group_resumes_where_the_previous_run_stopped() {
    resumes_where_the_previous_run_stopped(&[
        "--consumer-property",
        "partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    ])
    .await;
}

async fn resumes_where_the_previous_run_stopped(extra: &[&str]) {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "grouped", 2).await;
    for p in 0..2 {
        let records: Vec<Rec> = (0..5).map(|i| Rec::value(&format!("p{p}-{i}"))).collect();
        produce(
            &mut client,
            "grouped",
            p,
            batch(&records, now_ms(), Compression::None),
        )
        .await;
    }
    let mut args = vec![
        "--topic",
        "grouped",
        "--group",
        "printers",
        "--from-beginning",
        "--max-messages",
        "6",
    ];
    args.extend(extra);
    let first = consume(&broker, &args).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let first_lines: Vec<String> = text(&first.stdout).lines().map(str::to_string).collect();
    assert_eq!(first_lines.len(), 6);

    // The group committed exactly what was printed: the rest comes out on the next run.
    let mut args = vec![
        "--topic",
        "grouped",
        "--group",
        "printers",
        "--timeout-ms",
        "5000",
    ];
    args.extend(extra);
    let second = consume(&broker, &args).await;
    let second_lines: Vec<String> = text(&second.stdout).lines().map(str::to_string).collect();
    assert_eq!(second_lines.len(), 4, "{}", text(&second.stderr));
    let mut all: Vec<String> = first_lines.into_iter().chain(second_lines).collect();
    all.sort();
    let mut expected: Vec<String> = (0..2)
        .flat_map(|p| (0..5).map(move |i| format!("p{p}-{i}")))
        .collect();
    expected.sort();
    assert_eq!(
        all, expected,
        "every record exactly once across the two runs"
    );
}

/// `Partition:p\tOffset:o\t...` lines → how many records of each partition were printed.
fn printed_per_partition(stdout: &str, partitions: i32) -> Vec<i64> {
    let mut counts = vec![0; partitions as usize];
    for line in stdout.lines() {
        let partition: usize = line
            .strip_prefix("Partition:")
            .and_then(|rest| rest.split('\t').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        counts[partition] += 1;
    }
    counts
}

/// Starts a `--group` consumer, reads `lines` lines of its stdout, sends SIGINT and returns
/// its output (stdout in full).
async fn interrupted_after(
    broker: &TestBroker,
    args: Vec<String>,
    lines: usize,
) -> (Output, String) {
    let mut full = vec!["--bootstrap-server".to_string(), broker.addr.to_string()];
    full.extend(args);
    tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, BufReader, Read};
        let mut child = std::process::Command::new(BIN)
            .args(&full)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start kafka-console-consumer");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut seen = String::new();
        for _ in 0..lines {
            stdout.read_line(&mut seen).expect("read a line");
        }
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        stdout.read_to_string(&mut seen).expect("read the rest");
        (child.wait_with_output().expect("wait"), seen)
    })
    .await
    .expect("consumer thread")
}

/// The commits of `--group` runs as a client nobody here wrote (confluent-kafka's
/// `list_consumer_group_offsets`) sees them: after `--max-messages`, after SIGINT, and a third
/// run of the group that finds nothing left.
#[tokio::test(flavor = "multi_thread")]
async fn group_commits_are_what_confluent_kafka_reads() {
    const TEST: &str = "cli::console_consumer::group::group_commits_are_what_confluent_kafka_reads";
    const PARTITIONS: i32 = 2;
    const PER_PARTITION: i64 = 5;
    let broker = TestBroker::start_with(|c| c.group_initial_rebalance_delay_ms = 0).await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "committed", PARTITIONS).await;
    for p in 0..PARTITIONS {
        let records: Vec<Rec> = (0..PER_PARTITION)
            .map(|i| Rec::value(&format!("p{p}-{i}")))
            .collect();
        produce(
            &mut client,
            "committed",
            p,
            batch(&records, now_ms(), Compression::None),
        )
        .await;
    }
    let committed = |group: &'static str| {
        crate::cli::consumer_groups::support::confluent_committed(
            &broker,
            group,
            "committed",
            PARTITIONS,
            TEST,
        )
    };
    let args = |extra: &[&str]| -> Vec<String> {
        [
            "--topic",
            "committed",
            "--group",
            "checked",
            "--formatter-property",
            "print.partition=true",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
    };

    // 1. --max-messages: the commit on exit covers exactly what was printed.
    let first = run(["--bootstrap-server".to_string(), broker.addr.to_string()]
        .into_iter()
        .chain(args(&["--from-beginning", "--max-messages", "6"]))
        .collect())
    .await;
    assert_consumed(&first, &text(&first.stdout), 6);
    let printed = printed_per_partition(&text(&first.stdout), PARTITIONS);
    let Some(after_first) = committed("checked").await else {
        return;
    };
    let expected: std::collections::BTreeMap<i32, i64> =
        (0..PARTITIONS).map(|p| (p, printed[p as usize])).collect();
    assert_eq!(after_first, expected, "printed per partition: {printed:?}");

    // 2. Ended by SIGINT after the rest: it resumed after the commits and commits the rest.
    let rest = (PARTITIONS as usize) * (PER_PARTITION as usize) - 6;
    let (second, stdout) = interrupted_after(&broker, args(&[]), rest).await;
    assert_eq!(second.status.code(), Some(130), "{}", text(&second.stderr));
    assert!(
        text(&second.stderr).ends_with(&format!("Processed a total of {rest} messages\n")),
        "{}",
        text(&second.stderr)
    );
    let again = printed_per_partition(&stdout, PARTITIONS);
    assert_eq!(
        (0..PARTITIONS as usize)
            .map(|p| printed[p] + again[p])
            .collect::<Vec<_>>(),
        vec![PER_PARTITION; PARTITIONS as usize],
        "every record exactly once across the two runs"
    );
    let after_second = committed("checked")
        .await
        .expect("confluent-kafka found before");
    assert_eq!(
        after_second,
        (0..PARTITIONS).map(|p| (p, PER_PARTITION)).collect(),
    );

    // 3. Nothing is left for the group.
    let third = run(["--bootstrap-server".to_string(), broker.addr.to_string()]
        .into_iter()
        .chain(args(&["--timeout-ms", "1000"]))
        .collect())
    .await;
    assert_eq!(text(&third.stdout), "", "{}", text(&third.stderr));
    assert!(text(&third.stderr).ends_with("Processed a total of 0 messages\n"));
}
