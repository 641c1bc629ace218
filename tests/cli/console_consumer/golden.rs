//! Apache Kafka 4.4's own kafka-console-consumer and ours, same arguments, same broker (the
//! in-process one), same records (keys, headers, null keys, values and header values, empty
//! and non-UTF-8 values, CreateTime and LogAppendTime topics): stdout must be byte-identical
//! for every formatter property and the no-op formatter, stderr identical without log lines
//! (the `Processed a total of N messages` line, the KIP-848 notice of a subscription), exit
//! codes the same; usage errors print the same text up to jopt's help table. All of Apache's
//! runs happen in one JVM (`Apache::run_tool_batch`). Skipped with a note unless Apache Kafka
//! is prepared (`scripts/fetch-apache`); `KAFKIT_REQUIRE_INTEROP=1` makes that a failure.

use kafka_protocol::records::Compression;
use kafkit::client::admin::{Admin, NewTopic};
use kafkit::client::{ClientConfig, Cluster};

use super::*;
use crate::common::apache::{apache, ApacheTool};
use crate::common::golden::{run_captured, ToolOutput};

/// Where jopt's help table starts in a usage error.
const HELP_TABLE: &str = "\nOption ";
/// Records in the `golden` topic.
const GOLDEN_RECORDS: usize = 8;

async fn ours(args: &[String]) -> ToolOutput {
    let mut command = std::process::Command::new(BIN);
    command.args(args);
    run_captured(command, None).await
}

/// The records of `golden`: two batches (snappy, then none) with every awkward field.
fn golden_records() -> [Vec<Rec>; 2] {
    [
        vec![
            Rec::keyed("k1", "v1")
                .header("h1", Some("x"))
                .header("h2", None),
            Rec::value("v2"),
            Rec {
                key: Some(b"k3".to_vec()),
                ..Rec::default()
            },
            Rec::keyed("ünï", "cödé\ttab").header("ключ", Some("значение")),
        ],
        vec![
            Rec::keyed("", "").header("", Some("")),
            Rec {
                key: Some(b"bin\xff".to_vec()),
                value: Some(b"\x00\x01\xfe\xff".to_vec()),
                headers: vec![("dup".into(), Some(b"1".to_vec())), ("dup".into(), None)],
            },
            Rec::default(),
            Rec::keyed("last", "line\nbreak"),
        ],
    ]
}

/// Creates `topic` (one partition) with `configs`.
async fn create_with(broker: &TestBroker, topic: &str, configs: &[(&str, &str)]) {
    let cluster = Cluster::new(ClientConfig::new(&broker.addr.to_string())).expect("client");
    Admin::new(&cluster)
        .create_topics(
            &[NewTopic {
                name: topic.to_string(),
                partitions: 1,
                replication_factor: -1,
                assignments: Vec::new(),
                configs: configs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }],
            false,
        )
        .await
        .expect("CreateTopics");
}

/// `--formatter-property` for each of `properties`.
fn properties(properties: &[&str]) -> Vec<String> {
    properties
        .iter()
        .flat_map(|p| ["--formatter-property".to_string(), p.to_string()])
        .collect()
}

/// Apache 4.3+'s notice in subscribe mode; not printed by ours (a README deviation: kafkit's
/// client has no KIP-848 protocol to try).
const KIP_848_NOTICE: &str = "The consumer rebalance protocol (KIP-848) is production-ready! Set group.protocol=consumer to try it out. See https://kafka.apache.org/documentation/#consumer_rebalance_protocol\n";

/// What must agree: exit code, stdout, and stderr without log lines, the help table as a
/// marker.
/// A log record's exception (the line after it) goes with it: in the batch, Apache's log4j
/// output is not part of a run's stderr at all.
fn comparable(output: &ToolOutput, bootstrap: &str) -> (Option<i32>, String, String) {
    let stderr: String = output
        .stderr
        .replace(KIP_848_NOTICE, "")
        .replace(bootstrap, "{B}")
        .split_inclusive('\n')
        .filter(|line| !names_exception(line.trim_end()))
        .collect();
    // Whether the help table is printed counts; its wrapping is another test's concern.
    let stderr = match stderr.find(HELP_TABLE) {
        Some(at) => format!("{}<help table>\n", &stderr[..at + 1]),
        None => stderr,
    };
    (output.code, output.stdout.clone(), stderr)
}

/// `org.apache.kafka.common.errors.TimeoutException` (`: message`): an exception's first line.
fn names_exception(line: &str) -> bool {
    let class = line.split_once(": ").map_or(line, |(class, _)| class);
    let simple = class.rsplit('.').next().unwrap_or_default();
    class.contains('.')
        && class.starts_with(|c: char| c.is_ascii_lowercase())
        && class
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
        && (simple.ends_with("Exception") || simple.ends_with("Error"))
}

#[tokio::test(flavor = "multi_thread")]
async fn output_matches_apache_for_every_formatter_property() {
    let Some(apache) = apache().await else {
        return;
    };
    // No initial rebalance delay: the subscription cases join a group at once.
    let broker = TestBroker::start_with(|c| c.group_initial_rebalance_delay_ms = 0).await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "golden", 1).await;
    for (i, records) in golden_records().iter().enumerate() {
        let codec = if i == 0 {
            Compression::Snappy
        } else {
            Compression::None
        };
        produce(&mut client, "golden", 0, batch(records, now_ms(), codec)).await;
    }
    create_with(
        &broker,
        "appended",
        &[("message.timestamp.type", "LogAppendTime")],
    )
    .await;
    let appended = [Rec::keyed("a", "1").header("h", Some("v")), Rec::value("2")];
    produce(
        &mut client,
        "appended",
        0,
        batch(&appended, now_ms(), Compression::None),
    )
    .await;
    let bootstrap = broker.addr.to_string();

    // Assign mode (no group): no rebalance to wait for.
    let assigned = |topic: &str, count: usize, extra: &[String]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            topic,
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            &count.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().cloned());
        args
    };
    let all = GOLDEN_RECORDS;
    let mut cases: Vec<Vec<String>> = vec![
        assigned("golden", all, &[]),
        assigned("golden", all, &properties(&["print.timestamp=true"])),
        assigned("golden", all, &properties(&["print.partition=true"])),
        assigned("golden", all, &properties(&["print.offset=true"])),
        assigned("golden", all, &properties(&["print.headers=true"])),
        assigned("golden", all, &properties(&["print.key=true"])),
        assigned("golden", all, &properties(&["print.value=false"])),
        assigned(
            "golden",
            all,
            &properties(&["print.value=false", "print.key=TRUE "]),
        ),
        assigned(
            "golden",
            all,
            &properties(&[
                "print.timestamp=true",
                "print.partition=true",
                "print.offset=true",
                "print.headers=true",
                "print.key=true",
            ]),
        ),
        assigned(
            "golden",
            all,
            &properties(&[
                "print.timestamp=true",
                "print.partition=true",
                "print.offset=true",
                "print.headers=true",
                "print.key=true",
                "key.separator= | ",
                "line.separator=;\r\n",
                "headers.separator=&",
                "null.literal=<null>",
            ]),
        ),
        assigned(
            "golden",
            all,
            &properties(&[
                "print.headers=true",
                "print.key=true",
                "print.value=false",
                "key.separator=",
                "line.separator=",
                "null.literal=",
                "print.delivery=true",
                "print.epoch=true",
            ]),
        ),
        assigned(
            "golden",
            all,
            &properties(&[
                "print.key=true",
                "print.headers=true",
                "key.deserializer=org.apache.kafka.common.serialization.BytesDeserializer",
                "value.deserializer=org.apache.kafka.common.serialization.StringDeserializer",
                "headers.deserializer=org.apache.kafka.common.serialization.StringDeserializer",
            ]),
        ),
        assigned(
            "golden",
            all,
            &[
                "--formatter".to_string(),
                "org.apache.kafka.tools.consumer.NoOpMessageFormatter".to_string(),
            ],
        ),
        assigned(
            "golden",
            3,
            &[
                "--formatter".to_string(),
                "org.apache.kafka.tools.consumer.LoggingMessageFormatter".to_string(),
            ],
        ),
        assigned("golden", 2, &["--enable-systest-events".to_string()]),
        // Kafka's deserializers: the null literal is fed to them, records they refuse are
        // skipped (and still counted) or end the run.
        assigned(
            "golden",
            all,
            &[
                "--value-deserializer",
                "org.apache.kafka.common.serialization.IntegerDeserializer",
                "--skip-message-on-error",
            ]
            .map(String::from),
        ),
        assigned(
            "golden",
            all,
            &[
                "--formatter-property",
                "print.key=true",
                "--key-deserializer",
                "org.apache.kafka.common.serialization.ShortDeserializer",
                "--value-deserializer",
                "org.apache.kafka.common.serialization.ByteBufferDeserializer",
                "--skip-message-on-error",
            ]
            .map(String::from),
        ),
        assigned(
            "golden",
            all,
            &[
                "--value-deserializer",
                "org.apache.kafka.common.serialization.DoubleDeserializer",
            ]
            .map(String::from),
        ),
        assigned(
            "appended",
            appended.len(),
            &properties(&[
                "print.timestamp=true",
                "print.headers=true",
                "print.key=true",
            ]),
        ),
    ];
    // From an offset, and an idle timeout at the end of the partition.
    let mut from_offset = assigned("golden", 2, &properties(&["print.offset=true"]));
    from_offset[7] = "5".to_string();
    cases.push(from_offset);
    let mut at_end = assigned(
        "golden",
        all,
        &["--timeout-ms".to_string(), "500".to_string()],
    );
    at_end[7] = "latest".to_string();
    cases.push(at_end);
    // Nothing to read: past the end, a partition or topic that does not exist, no match, no
    // messages wanted.
    let idle = ["--timeout-ms".to_string(), "500".to_string()];
    let mut past_end = assigned("golden", all, &idle);
    past_end[7] = "100".to_string();
    cases.push(past_end);
    let mut no_partition = assigned("golden", all, &idle);
    no_partition[5] = "3".to_string();
    cases.push(no_partition);
    cases.push(assigned("missing", all, &idle));
    cases.push(
        [
            "--bootstrap-server",
            &bootstrap,
            "--include",
            "nomatch.*",
            "--timeout-ms",
            "500",
        ]
        .map(String::from)
        .to_vec(),
    );
    cases.push(assigned("golden", 0, &[]));
    let mut negative = assigned("golden", 0, &[]);
    negative[9] = "-5".to_string();
    cases.push(negative);
    // Subscriptions (a random console-consumer-N group): the KIP-848 notice on stderr.
    for selection in [["--topic", "golden"], ["--include", "gold.*"]] {
        cases.push(
            [
                "--bootstrap-server",
                &bootstrap,
                selection[0],
                selection[1],
                "--from-beginning",
                "--max-messages",
                &all.to_string(),
                "--formatter-property",
                "print.offset=true",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
    }
    // Usage errors.
    let usage_errors: &[&[&str]] = &[
        &["--bootstrap-server", &bootstrap],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--include",
            "x",
            "--partition",
            "0",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--offset",
            "1",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--partition",
            "0",
            "--offset",
            "x",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--partition",
            "0",
            "--offset",
            "-2",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--formatter",
            "a.B",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--group",
            "g",
            "--partition",
            "0",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--from-beginning",
            "--command-property",
            "auto.offset.reset=latest",
        ],
        &["--topic", "t"],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--include",
            "x",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--partition",
            "0",
            "--from-beginning",
            "--offset",
            "1",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--group",
            "a",
            "--command-property",
            "group.id=b",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--consumer-property",
            "a=b",
            "--command-property",
            "c=d",
        ],
        &["--bootstrap-server", &bootstrap, "--topic", "t", "--nope"],
        &["--bootstrap-server", &bootstrap, "--topic"],
        // Failures after the consumer exists: exit 1, details only in the log.
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "t",
            "--isolation-level",
            "foo",
        ],
        // Apache reads --max-messages only when its loop starts: the count line, then exit 1.
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "golden",
            "--max-messages",
            "abc",
        ],
        &[
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "golden",
            "--max-messages",
            "1",
            "--max-messages",
            "2",
        ],
    ];
    cases.extend(
        usage_errors
            .iter()
            .map(|args| args.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
    );

    let theirs = apache
        .run_tool_batch(ApacheTool::ConsoleConsumer, &cases)
        .await;
    let mut failures = Vec::new();
    for (args, theirs) in cases.iter().zip(&theirs) {
        let mine = ours(args).await;
        if comparable(theirs, &bootstrap) != comparable(&mine, &bootstrap) {
            failures.push(format!(
                "## {}\n=== Apache\n{theirs}\n=== ours\n{mine}",
                args.join(" ")
            ));
        }
    }
    // The comparison saw real output: the records, and the count line.
    assert!(
        theirs[0].stdout.starts_with("v1\nv2\nnull\n")
            && theirs[0]
                .stderr
                .ends_with(&format!("Processed a total of {all} messages\n")),
        "{}",
        theirs[0]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
