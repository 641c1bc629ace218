//! `--reset-offsets`: every scenario as a dry run (nothing committed) and executed (committed
//! offsets checked through our client and confluent-kafka), clamping warnings, scopes, CSV
//! export and import, the refusal for a live group, JSON plans.

use std::collections::BTreeMap;

use super::support::{
    assert_output, broker, cluster, commit, committed, confluent_committed, create_topic, join,
    produce, stderr_without_stamps, text, tool, BASE_TIMESTAMP_MS, SECOND_MS,
};
use crate::common::TestBroker;

const DRY_RUN_WARNING: &str = "WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n";
const HEADER: &str = "\nGROUP           TOPIC           PARTITION  NEW-OFFSET";

/// The plan table for group `g` on topic `orders`, rows in the given (Java HashMap) order.
fn plan(rows: &[(i32, i64)]) -> String {
    let mut out = HEADER.to_string();
    for (p, o) in rows {
        out.push_str(&format!("\ng               orders          {p:<10} {o}"));
    }
    out.push('\n');
    out
}

/// `orders` with 3 partitions: 10 records in partition 0 (CreateTime 2024-01-01T00:00:00Z +
/// 0..9 s), 4 in partition 1, none in 2; group `g` committed 5 / 2 / 0.
async fn setup() -> (TestBroker, std::sync::Arc<kafkit::client::Cluster>) {
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "orders", 3).await;
    produce(broker.addr, "orders", 0, 10, BASE_TIMESTAMP_MS).await;
    produce(broker.addr, "orders", 1, 4, BASE_TIMESTAMP_MS).await;
    commit(
        &cluster,
        "g",
        &[("orders", 0, 5), ("orders", 1, 2), ("orders", 2, 0)],
    )
    .await;
    (broker, cluster)
}

/// Apache's notices for partitions without a record at or after the timestamp.
fn empty(partitions: &[i32]) -> String {
    partitions
        .iter()
        .map(|p| {
            format!("\nWarn: Partition {p} from topic orders is empty. Falling back to latest known offset.\n")
        })
        .collect()
}

fn offsets(values: &[(i32, i64)]) -> BTreeMap<(String, i32), i64> {
    values
        .iter()
        .map(|(p, o)| (("orders".to_string(), *p), *o))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_runs_of_every_scenario() {
    let (broker, cluster) = setup().await;
    let before = committed(&cluster, "g").await;
    // Java's HashMap order of orders-0..2 is 0, 1, 2.
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--to-earliest"], plan(&[(0, 0), (1, 0), (2, 0)])),
        (vec!["--to-latest"], plan(&[(0, 10), (1, 4), (2, 0)])),
        (vec!["--to-offset", "3"], plan(&[(0, 3), (1, 3), (2, 0)])),
        (vec!["--shift-by", "-1"], plan(&[(0, 4), (1, 1), (2, 0)])),
        (vec!["--to-current"], plan(&[(0, 5), (1, 2), (2, 0)])),
        (
            vec!["--to-datetime", "2024-01-01T00:00:03.000"],
            format!("{}{}", empty(&[2]), plan(&[(0, 3), (1, 3), (2, 0)])),
        ),
        (
            vec!["--to-datetime", "2024-01-01T01:00:07.000+01:00"],
            format!("{}{}", empty(&[1, 2]), plan(&[(0, 7), (1, 4), (2, 0)])),
        ),
    ];
    for (scenario, expected) in cases {
        let mut args = vec![
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--dry-run",
        ];
        args.extend(scenario.iter().copied());
        let out = tool(&broker, &args).await;
        assert_eq!(text(&out.stdout), expected, "{scenario:?}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{scenario:?}: {}",
            text(&out.stderr)
        );
    }
    // Partition 2 is empty and 1 has no record at or after 00:00:05: both fall back to the end.
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders",
            "--dry-run",
            "--to-datetime",
            "2024-01-01T00:00:05.000",
        ],
    )
    .await;
    assert_output(
        &out,
        0,
        &format!(
            "\nWarn: Partition 1 from topic orders is empty. Falling back to latest known offset.\n\
             \nWarn: Partition 2 from topic orders is empty. Falling back to latest known offset.\n{}",
            plan(&[(0, 5), (1, 4), (2, 0)])
        ),
        "",
    );
    // By duration: the records are from 2024, so any recent duration finds none of them.
    for duration in ["PT1H", "1h30m"] {
        let out = tool(
            &broker,
            &[
                "--reset-offsets",
                "--group",
                "g",
                "--topic",
                "orders:0",
                "--dry-run",
                "--by-duration",
                duration,
            ],
        )
        .await;
        assert_output(
            &out,
            0,
            &format!(
                "\nWarn: Partition 0 from topic orders is empty. Falling back to latest known offset.\n{}",
                plan(&[(0, 10)])
            ),
            "",
        );
    }
    // Records from the last ten hours, one an hour: 5 h 30 min ago lands on the one from 5 h ago.
    create_topic(&cluster, "recent", 1).await;
    let hour = 3600 * SECOND_MS;
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..10 {
        produce(broker.addr, "recent", 0, 1, now - (10 - i) * hour).await;
    }
    for duration in ["PT5H30M", "5h30m"] {
        let out = tool(
            &broker,
            &[
                "--reset-offsets",
                "--group",
                "g",
                "--topic",
                "recent",
                "--dry-run",
                "--by-duration",
                duration,
            ],
        )
        .await;
        assert_output(
            &out,
            0,
            &format!("{HEADER}\ng               recent          0          5\n"),
            "",
        );
    }
    // Clamping, with a warning per partition.
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:0,1",
            "--to-offset",
            "7",
        ],
    )
    .await;
    assert_eq!(text(&out.stdout), plan(&[(0, 7), (1, 4)]));
    assert_eq!(
        stderr_without_stamps(&out),
        format!("{DRY_RUN_WARNING}WARN New offset (7) is higher than latest offset for topic partition orders-1. Value will be set to 4. (org.apache.kafka.tools.GroupOffsetsResetter)\n")
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:0",
            "--dry-run",
            "--shift-by",
            "-100",
        ],
    )
    .await;
    assert_eq!(text(&out.stdout), plan(&[(0, 0)]));
    assert_eq!(
        stderr_without_stamps(&out),
        "WARN New offset (-95) is lower than earliest offset for topic partition orders-0. Value will be set to 0. (org.apache.kafka.tools.GroupOffsetsResetter)\n"
    );
    assert_eq!(
        committed(&cluster, "g").await,
        before,
        "a dry run changed offsets"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn execute_commits_the_plan() {
    let (broker, cluster) = setup().await;
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:0,1",
            "--to-offset",
            "3",
            "--execute",
        ],
    )
    .await;
    assert_output(&out, 0, &plan(&[(0, 3), (1, 3)]), "");
    assert_eq!(
        committed(&cluster, "g").await,
        offsets(&[(0, 3), (1, 3), (2, 0)])
    );
    if let Some(seen) =
        confluent_committed(&broker, "g", "orders", 3, "execute_commits_the_plan").await
    {
        assert_eq!(seen, BTreeMap::from([(0, 3), (1, 3), (2, 0)]));
    }

    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--to-latest",
            "--execute",
        ],
    )
    .await;
    assert_output(&out, 0, &plan(&[(0, 10), (1, 4), (2, 0)]), "");
    if let Some(seen) =
        confluent_committed(&broker, "g", "orders", 3, "execute_commits_the_plan").await
    {
        assert_eq!(seen, BTreeMap::from([(0, 10), (1, 4), (2, 0)]));
    }

    // A group with no offsets yet gets them (a new group is created).
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "fresh",
            "--topic",
            "orders",
            "--to-earliest",
            "--execute",
        ],
    )
    .await;
    assert_eq!(
        text(&out.stdout),
        plan(&[(0, 0), (1, 0), (2, 0)]).replace("\ng    ", "\nfresh")
    );
    assert_eq!(
        committed(&cluster, "fresh").await,
        offsets(&[(0, 0), (1, 0), (2, 0)])
    );

    let json = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:0",
            "--shift-by",
            "-2",
            "--execute",
            "--output",
            "json",
        ],
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        parsed,
        serde_json::json!({"executed": true, "groups": [{"group_id": "g", "partitions": [
            {"topic": "orders", "partition": 0, "current_offset": 10, "new_offset": 8}]}]})
    );
    assert_eq!(
        committed(&cluster, "g").await[&("orders".to_string(), 0)],
        8
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_and_import_plans() {
    let (broker, cluster) = setup().await;
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--to-offset",
            "1",
            "--dry-run",
            "--export",
        ],
    )
    .await;
    assert_eq!(text(&out.stdout), "orders,0,1\norders,1,1\norders,2,0\n\n");
    assert_eq!(
        stderr_without_stamps(&out),
        "WARN New offset (1) is higher than latest offset for topic partition orders-2. Value will be set to 0. (org.apache.kafka.tools.GroupOffsetsResetter)\n"
    );
    commit(&cluster, "h", &[("orders", 0, 9)]).await;
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--group",
            "h",
            "--all-topics",
            "--to-current",
            "--dry-run",
            "--export",
        ],
    )
    .await;
    assert_output(
        &out,
        0,
        "g,orders,0,5\ng,orders,1,2\ng,orders,2,0\nh,orders,0,9\n\n",
        "",
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let three = dir.path().join("plan3.csv");
    std::fs::write(&three, "orders,0,6\norders,1,99\n").expect("write plan");
    let three = three.to_string_lossy().to_string();
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--from-file",
            &three,
            "--execute",
        ],
    )
    .await;
    assert_eq!(text(&out.stdout), plan(&[(0, 6), (1, 4)]));
    assert_eq!(
        stderr_without_stamps(&out),
        "WARN New offset (99) is higher than latest offset for topic partition orders-1. Value will be set to 4. (org.apache.kafka.tools.GroupOffsetsResetter)\n"
    );
    assert_eq!(
        committed(&cluster, "g").await,
        offsets(&[(0, 6), (1, 4), (2, 0)])
    );

    let four = dir.path().join("plan4.csv");
    std::fs::write(&four, "h,orders,0,2\nother,orders,0,1\n").expect("write plan");
    let four = four.to_string_lossy().to_string();
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--group",
            "h",
            "--from-file",
            &four,
            "--dry-run",
        ],
    )
    .await;
    assert_output(
        &out,
        1,
        "\nError: No reset plan for group g found.\n\
         \nGROUP           TOPIC           PARTITION  NEW-OFFSET\
         \nh               orders          0          2\n",
        "",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_and_errors() {
    let (broker, cluster) = setup().await;
    let member = join(&cluster, "g", &["orders"]).await;
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--to-earliest",
            "--execute",
        ],
    )
    .await;
    assert_output(
        &out,
        1,
        "\nError: Assignments can only be reset if the group 'g' is inactive, but the current state is Stable.\n\
         \nGROUP           TOPIC           PARTITION  NEW-OFFSET\n",
        "",
    );
    member.close(&Default::default()).await.expect("leave");
    assert_eq!(
        committed(&cluster, "g").await,
        offsets(&[(0, 5), (1, 2), (2, 0)])
    );

    let usage = |out: &std::process::Output| {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--to-earliest",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(
        usage(&out),
        "One of the reset scopes should be defined: --all-topics, --topic."
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:x",
            "--to-earliest",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(
        usage(&out),
        "Invalid partition 'x' specified in topic arg 'orders:x''"
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "new",
            "--topic",
            "orders",
            "--shift-by",
            "1",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(
        usage(&out),
        "Cannot shift offset for partition orders-0 since there is no current committed offset"
    );

    let failure = |message: &str| {
        format!("\nError: Executing consumer group command failed due to {message}\n")
    };
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "orders:7",
            "--to-earliest",
            "--dry-run",
        ],
    )
    .await;
    assert_output(
        &out,
        1,
        &failure("The partitions \"orders-7\" do not exist"),
        "",
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--topic",
            "nope",
            "--to-earliest",
            "--dry-run",
        ],
    )
    .await;
    assert_output(
        &out,
        1,
        &failure("This server does not host this topic-partition."),
        "",
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--to-datetime",
            "2024-01-01T00:00:00",
            "--dry-run",
        ],
    )
    .await;
    assert_output(
        &out,
        1,
        &failure("java.text.ParseException: Unparseable date: \"2024-01-01T00:00:00Z\""),
        "",
    );
    let out = tool(
        &broker,
        &[
            "--reset-offsets",
            "--group",
            "g",
            "--all-topics",
            "--by-duration",
            "P1W",
            "--dry-run",
        ],
    )
    .await;
    assert_output(&out, 1, &failure("Text cannot be parsed to a Duration"), "");
}

/// Runs the tool under `script` (a pseudo-terminal for stdin, stdout and stderr), answering
/// `answer` to the confirmation; `None` when `script` is not installed.
async fn at_terminal(broker: &TestBroker, args: &[&str], answer: &str) -> Option<String> {
    const SCRIPT: &str = "/usr/bin/script";
    if !std::path::Path::new(SCRIPT).is_file() {
        eprintln!("SKIPPED interactive confirmation: no {SCRIPT}");
        return None;
    }
    let command_line = std::iter::once(env!("CARGO_BIN_EXE_kafka-consumer-groups").to_string())
        .chain(["--bootstrap-server".to_string(), broker.addr.to_string()])
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let answer = answer.to_string();
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(SCRIPT)
            .args(["-qec", &command_line, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run script");
        // Held open until the tool is done: an end of input could end script's session early.
        let mut stdin = child.stdin.take().expect("script stdin");
        let _ = stdin.write_all(answer.as_bytes());
        let mut stdout = child.stdout.take().expect("script stdout");
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
            bytes
        });
        let _ = child.wait();
        drop(stdin);
        reader.join().expect("script reader")
    })
    .await
    .expect("script thread");
    Some(text(&output).replace('\r', ""))
}

#[tokio::test(flavor = "multi_thread")]
async fn execute_at_a_terminal_asks_first() {
    let (broker, cluster) = setup().await;
    let args = [
        "--reset-offsets",
        "--group",
        "g",
        "--topic",
        "orders:0",
        "--to-earliest",
        "--execute",
    ];
    let Some(declined) = at_terminal(&broker, &args, "n\n").await else {
        return;
    };
    assert!(
        declined.contains(
            "Offsets of group 'g' after the reset:\n\
             TOPIC           PARTITION  CURRENT-OFFSET  NEW-OFFSET      CHANGE\n\
             orders          0          5               0               -5\n\
             Reset these offsets of group 'g'? [y/N] "
        ) && declined.contains("Aborted: no offsets were changed.\n"),
        "{declined}"
    );
    assert_eq!(
        committed(&cluster, "g").await,
        offsets(&[(0, 5), (1, 2), (2, 0)])
    );
    let accepted = at_terminal(&broker, &args, "y\n").await.expect("script");
    assert!(accepted.ends_with(&plan(&[(0, 0)])), "{accepted}");
    assert_eq!(
        committed(&cluster, "g").await,
        offsets(&[(0, 0), (1, 2), (2, 0)])
    );
}
