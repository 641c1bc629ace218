//! `--isolation-level` against real transactions: our broker has no transaction coordinator, so
//! Apache Kafka 4.4's (the shared broker of `common::apache`) holds a topic where confluent-kafka
//! committed, aborted and left open transactions between a plain idempotent producer's records
//! (`tests/cli/py/produce_transactions.py`). read_committed must print the committed and plain
//! records up to the last stable offset, read_uncommitted every data record, neither a control
//! record; Apache's own ConsoleConsumer must print the same lines. Skipped with a note when
//! confluent-kafka or Apache Kafka is missing, unless `KAFKIT_REQUIRE_INTEROP=1`.

use std::collections::BTreeMap;

use super::{run, text};
use crate::common::apache::{apache, shared_broker, ApacheTool};
use crate::interop::peers;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/cli/py/produce_transactions.py"
);
const PARTITIONS: i32 = 2;
/// Data records the script writes per partition: plain-0..4 and transactions A, B, C, D.
const RECORDS_PER_PARTITION: usize = 9;
/// Where each record lands in every partition: each commit or abort marker takes one offset
/// (after A, B and C), the open transaction D has none yet.
const OFFSETS: [i64; RECORDS_PER_PARTITION] = [0, 1, 3, 4, 6, 7, 9, 10, 11];
/// Idle time after which a run ends: read_committed can never reach the high watermark while D
/// is open, so this is how those runs end.
const IDLE_TIMEOUT_MS: &str = "3000";
/// The fields each line shows, given with the deprecated `--property` as the issue reports it.
const PROPERTIES: [&str; 2] = ["print.partition=true", "print.offset=true"];
const OURS: &str = "--property";
/// Apache prints `--property`'s deprecation note on stdout (kafkit on stderr, to keep stdout for
/// records), so its runs name the properties the current way.
const THEIRS: &str = "--formatter-property";

/// One record as the script reported writing it.
#[derive(Debug)]
struct Written {
    partition: i32,
    offset: i64,
    value: String,
    outcome: String,
}

fn parse_report(result: &serde_json::Value) -> Vec<Written> {
    result["records"]
        .as_array()
        .expect("records in RESULT")
        .iter()
        .map(|r| Written {
            partition: r["partition"].as_i64().expect("partition") as i32,
            offset: r["offset"].as_i64().expect("offset"),
            value: r["value"].as_str().expect("value").to_string(),
            outcome: r["outcome"].as_str().expect("outcome").to_string(),
        })
        .collect()
}

/// Lines per partition, in offset order within each (partitions are read concurrently, so only
/// that order is defined).
type ByPartition = BTreeMap<i32, Vec<String>>;

fn expected(records: &[Written], shown: impl Fn(&Written) -> bool) -> ByPartition {
    let mut sorted: Vec<&Written> = records.iter().filter(|r| shown(r)).collect();
    sorted.sort_by_key(|r| (r.partition, r.offset));
    let mut by = ByPartition::new();
    for r in sorted {
        by.entry(r.partition).or_default().push(format!(
            "Partition:{}\tOffset:{}\t{}",
            r.partition, r.offset, r.value
        ));
    }
    by
}

fn printed(stdout: &str, what: &str) -> ByPartition {
    let mut by = ByPartition::new();
    for line in stdout.lines() {
        let partition = line
            .strip_prefix("Partition:")
            .and_then(|rest| rest.split('\t').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{what}: no partition in {line:?}:\n{stdout}"));
        by.entry(partition).or_default().push(line.to_string());
    }
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "{what}: {stdout:?}"
    );
    by
}

/// Checks one consumer run: exit 0, exactly `want` per partition, and the closing count.
fn check(what: &str, code: Option<i32>, stdout: &str, stderr: &str, want: &ByPartition) {
    assert_eq!(code, Some(0), "{what}: {stderr}");
    assert_eq!(&printed(stdout, what), want, "{what}; stderr: {stderr}");
    let count: usize = want.values().map(Vec::len).sum();
    assert!(
        stderr.ends_with(&format!("Processed a total of {count} messages\n")),
        "{what}: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn isolation_levels_on_apache_transactions() {
    let test = "isolation_levels_on_apache_transactions";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let Some(broker) = shared_broker().await else {
        return;
    };
    let apache = apache().await.expect("prepared: its broker runs");
    let bootstrap = broker.bootstrap();
    let id = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let topic = format!("txn-{id}");

    let mut command = tokio::process::Command::new(python);
    command
        .arg(SCRIPT)
        .arg(&bootstrap)
        .arg(&topic)
        .arg(PARTITIONS.to_string());
    let finished = peers::run(&mut command, "produce_transactions.py")
        .await
        .expect_success("produce_transactions.py");
    let result = peers::result_of(&finished.stdout)
        .unwrap_or_else(|| panic!("no RESULT line:\n{}", finished.stdout));
    let records = parse_report(&result);
    // The markers really sit between the records (else there is nothing to skip).
    for partition in 0..PARTITIONS {
        let mut offsets: Vec<i64> = records
            .iter()
            .filter(|r| r.partition == partition)
            .map(|r| r.offset)
            .collect();
        offsets.sort_unstable();
        assert_eq!(offsets, OFFSETS, "partition {partition}: {result}");
    }
    // The last stable offset of each partition: the open transaction's first record.
    let stable: BTreeMap<i32, i64> = records
        .iter()
        .filter(|r| r.outcome == "open")
        .map(|r| (r.partition, r.offset))
        .collect();
    assert_eq!(stable.len(), PARTITIONS as usize, "{result}");
    let committed = expected(&records, |r| {
        matches!(r.outcome.as_str(), "plain" | "committed") && r.offset < stable[&r.partition]
    });
    let uncommitted = expected(&records, |_| true);

    let base = |level: &str, option: &str| -> Vec<String> {
        let mut args = vec![
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            &topic,
            "--from-beginning",
            "--isolation-level",
            level,
        ];
        for property in PROPERTIES {
            args.extend([option, property]);
        }
        args.into_iter().map(String::from).collect()
    };
    let with = |mut args: Vec<String>, extra: &[&str]| {
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let idle = ["--timeout-ms", IDLE_TIMEOUT_MS];
    let group = format!("txn-group-{id}");
    let ours = [
        (
            "ours read_committed",
            with(base("read_committed", OURS), &idle),
        ),
        (
            "ours read_uncommitted",
            with(base("read_uncommitted", OURS), &idle),
        ),
        (
            "ours read_committed --group",
            with(
                base("read_committed", OURS),
                &[&idle[..], &["--group", &group]].concat(),
            ),
        ),
    ];
    let wants = [&committed, &uncommitted, &committed];
    // Apache's ConsoleConsumer reads the same topic meanwhile (one JVM, one run after the other;
    // read_uncommitted can end at its count instead of waiting out the idle time).
    let all = records.len().to_string();
    let apache_batch = [
        with(base("read_committed", THEIRS), &idle),
        with(base("read_uncommitted", THEIRS), &["--max-messages", &all]),
    ];
    let (a, b, c, theirs) = tokio::join!(
        run(ours[0].1.clone()),
        run(ours[1].1.clone()),
        run(ours[2].1.clone()),
        apache.run_tool_batch(ApacheTool::ConsoleConsumer, &apache_batch)
    );
    for (((what, _), out), want) in ours.iter().zip(&[a, b, c]).zip(wants) {
        check(
            what,
            out.status.code(),
            &text(&out.stdout),
            &text(&out.stderr),
            want,
        );
    }
    for (out, (what, want)) in theirs.iter().zip([
        ("Apache read_committed", &committed),
        ("Apache read_uncommitted", &uncommitted),
    ]) {
        check(what, out.code, &out.stdout, &out.stderr, want);
    }
}
