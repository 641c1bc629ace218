//! Apache Kafka 4.4's own kafka-console-producer (`ConsoleProducer`) and ours: the same stdin
//! and arguments, each into a topic of its own on the same broker (ours, and Apache's shared
//! one), then everything read back with confluent-kafka (librdkafka), a consumer nobody here
//! wrote. The records must agree: key, value, headers, partition and order within a partition
//! (keyless records go to a sticky partition that Java picks at random, so for them only the
//! order is compared). Exit code, stdout and stderr must agree too, with Java stack traces
//! reduced to their messages (a native tool prints the message alone) and jopt's help table cut
//! off (another test owns it). Every Apache run is one call of its `main` in one JVM
//! (`Apache::run_tool_batch_with_input`). Skipped with a note unless Apache Kafka and
//! confluent-kafka are installed; `KAFKIT_REQUIRE_INTEROP=1` makes that a failure.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use base64::Engine as _;

use crate::cli::consumer_groups::support::{cluster_at, create_topic};
use crate::common::apache::{apache, shared_broker, ApacheTool};
use crate::common::golden::{run_captured, ToolOutput};
use crate::common::TestBroker;
use crate::interop::peers;

const TEST: &str = "golden::console_producer";
const BIN: &str = env!("CARGO_BIN_EXE_kafka-console-producer");
const READ_RECORDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/py/read_records.py");
/// Partitions of the keyed cases' topics: enough that murmur2 spreads the keys.
const KEYED_PARTITIONS: i32 = 5;
/// Where jopt's help table starts in a usage error.
const HELP_TABLE: &str = "\nOption ";

/// One producer run: stdin and arguments after `--bootstrap-server B --topic T`.
struct Case {
    /// Names the case's topics (`<prefix>-<name>-a` for Apache's run, `-o` for ours).
    name: &'static str,
    /// Partitions of its topics; 0: no topic (the run fails before producing).
    partitions: i32,
    args: Vec<String>,
    input: Vec<u8>,
}

impl Case {
    fn new(name: &'static str, partitions: i32, args: &[&str], input: &[u8]) -> Case {
        Case {
            name,
            partitions,
            args: args.iter().map(|a| a.to_string()).collect(),
            input: input.to_vec(),
        }
    }
}

/// The cases that produce records (and the reader errors that end a run after some).
/// `reader_config` is a `--reader-config` file.
fn record_cases(reader_config: &str) -> Vec<Case> {
    // Keys spread over the partitions by murmur2: ASCII, empty, non-ASCII, long.
    let mut keyed = String::new();
    for i in 0..40 {
        let _ = writeln!(keyed, "key-{i}\tvalue {i}\twith\ttabs");
    }
    keyed.push_str("\tempty key\nключ\tзначение\n");
    keyed.push_str(&"k".repeat(300));
    keyed.push_str("\tlong key\r\n");
    vec![
        Case::new(
            "lines",
            1,
            &[],
            b"a\nb\r\nc\rd\n\n\n  \n\xffbad\xfe\xc3(\nlast without newline",
        ),
        Case::new(
            "keyed",
            KEYED_PARTITIONS,
            &["--reader-property", "parse.key=true"],
            keyed.as_bytes(),
        ),
        Case::new(
            "headers",
            KEYED_PARTITIONS,
            &[
                "--reader-property",
                "parse.key=true",
                "--reader-property",
                "parse.headers=true",
                "--reader-property",
                "null.marker=NULL",
            ],
            b"h1:v1,h2:v2\tk1\tv1\n\
              h:NULL,h:\tk2\tv2\tmore\n\
              NULL\tk3\tno headers\n\
              h:x\tNULL\tnull key\n\
              h:y\tk4\tNULL\n\
              a:b:c\tk5\t\n",
        ),
        Case::new(
            "separators",
            KEYED_PARTITIONS,
            &[
                "--reader-property",
                "parse.key=true",
                "--reader-property",
                "parse.headers=true",
                "--reader-property",
                "key.separator=::",
                "--reader-property",
                "headers.delimiter=|",
                "--reader-property",
                "headers.separator=[;,]+",
                "--reader-property",
                "headers.key.separator==",
            ],
            b"a=1;b=2,,c=3|key::value::more\n|=|k2::v2\nx=1;;|k3::\n",
        ),
        Case::new(
            "ignored",
            KEYED_PARTITIONS,
            &[
                "--reader-property",
                "parse.key=true",
                "--reader-property",
                "parse.headers=true",
                "--reader-property",
                "ignore.error=true",
            ],
            b"no delimiter at all\nbare,h:v\tk\tv\nh:v\tno key separator\n\tk\tempty headers\n",
        ),
        Case::new(
            "nokey",
            1,
            &["--reader-property", "parse.key=true"],
            b"k\tv\nk2\tv2\nmissing separator\nnever sent\n",
        ),
        Case::new(
            "nodelim",
            1,
            &["--reader-property", "parse.headers=true"],
            b"h:v\tfirst\nplain\n",
        ),
        Case::new(
            "nopair",
            1,
            &["--reader-property", "parse.headers=true"],
            b"h:v\tfirst\nh:v,bare\tsecond\n",
        ),
        Case::new(
            "nullkey",
            1,
            &[
                "--reader-property",
                "parse.headers=true",
                "--reader-property",
                "null.marker=N",
            ],
            b"h:N\tfirst\nN:x\tsecond\n",
        ),
        Case::new(
            "sync",
            KEYED_PARTITIONS,
            &[
                "--sync",
                "--compression-codec",
                "--reader-property",
                "parse.key=true",
            ],
            b"a\t1\nb\t2\nc\t3\n",
        ),
        Case::new(
            "readerconfig",
            KEYED_PARTITIONS,
            &[
                "--reader-config",
                reader_config,
                "--reader-property",
                "ignore.error=true",
            ],
            b"a:1\nno separator\nb:2:3\n",
        ),
        // compression.type from the properties is overridden by --compression-codec's default.
        Case::new(
            "ctype",
            1,
            &["--command-property", "compression.type=foo"],
            b"x\n",
        ),
        Case::new(
            "codec",
            KEYED_PARTITIONS,
            &[
                "--compression-codec",
                "zstd",
                "--request-required-acks",
                "1",
                "--reader-property",
                "parse.key=true",
            ],
            b"a\t1\nb\t2\nc\t3\n",
        ),
    ]
}

/// Runs that fail before producing anything (option, property and reader-configuration
/// errors): only their output is compared, on our broker.
fn failing_cases() -> Vec<Case> {
    let failing = |name, args| Case::new(name, 0, args, b"never\n");
    vec![
        failing("codec", &["--compression-codec", "foo"]),
        failing("acks", &["--request-required-acks", "2"]),
        failing("acksprop", &["--command-property", "acks=x"]),
        failing("acksupper", &["--command-property", "acks=ALL"]),
        failing("linger", &["--command-property", "linger.ms=abc"]),
        failing("batch", &["--batch-size", "abc"]),
        failing("delimiter", &["--reader-property", "headers.delimiter=,"]),
        failing("marker", &["--reader-property", "null.marker=\t"]),
        failing(
            "markersep",
            &[
                "--reader-property",
                "null.marker=:",
                "--reader-property",
                "key.separator=|",
            ],
        ),
        failing(
            "config",
            &["--command-config", "/nonexistent/producer.properties"],
        ),
        failing("reader", &["--line-reader", "no.such.Reader"]),
        failing(
            "inflight",
            &[
                "--command-property",
                "max.in.flight.requests.per.connection=9",
            ],
        ),
        failing(
            "inflightacks",
            &[
                "--request-required-acks",
                "1",
                "--command-property",
                "max.in.flight.requests.per.connection=6",
            ],
        ),
        failing(
            "idempotent",
            &[
                "--request-required-acks",
                "0",
                "--command-property",
                "enable.idempotence=true",
            ],
        ),
        failing(
            "delivery",
            &["--command-property", "delivery.timeout.ms=10"],
        ),
        failing("reqtimeout", &["--request-timeout-ms", "-5"]),
        failing("backoff", &["--retry-backoff-ms", "-1"]),
        failing("sockbuf", &["--socket-buffer-size", "-2"]),
        failing("metadata", &["--metadata-expiry-ms", "-1"]),
        failing("batchneg", &["--batch-size", "-1"]),
        failing("twice", &["--max-block-ms", "1", "--max-block-ms", "2"]),
        failing("topictwice", &["--topic", "again"]),
        failing("unknown", &["--nope"]),
        failing("noarg", &["--timeout"]),
        Case::new("empty", 0, &[], b""),
    ]
}

/// A broker both producers write to, with this run's topics.
struct Target {
    label: &'static str,
    bootstrap: String,
}

fn topic(prefix: &str, case: &Case, apache: bool) -> String {
    format!("{prefix}-{}-{}", case.name, if apache { "a" } else { "o" })
}

fn command_line(target: &Target, topic: &str, case: &Case) -> Vec<String> {
    let mut args = vec![
        "--bootstrap-server".to_string(),
        target.bootstrap.clone(),
        "--topic".to_string(),
        topic.to_string(),
    ];
    args.extend(case.args.iter().map(|a| a.to_string()));
    args
}

async fn ours(args: Vec<String>, input: Vec<u8>) -> ToolOutput {
    let mut command = Command::new(BIN);
    command.args(args);
    run_captured(command, Some(input)).await
}

/// What a run printed, comparable across Apache's JVM and our binary: the bootstrap address
/// and topic name as placeholders, Java stack traces reduced to their messages, jopt's help
/// table reduced to a marker (whether it is printed counts; its wrapping is another test's).
fn comparable(output: &ToolOutput, bootstrap: &str, topic: &str) -> (Option<i32>, String, String) {
    let clean = |text: &str| {
        let text = exception_messages(text)
            .replace(bootstrap, "{B}")
            .replace(topic, "{T}");
        match text.find(HELP_TABLE) {
            Some(at) => format!("{}<help table>\n", &text[..at + 1]),
            None => text,
        }
    };
    (output.code, clean(&output.stdout), clean(&output.stderr))
}

/// Replaces each Java exception a tool printed with `printStackTrace` (a `pkg.Class: message`
/// line followed by `\tat` frames, `Caused by:` sections and `\t... N more`) by the message of
/// its root cause (`Failed to construct kafka producer` says less than what caused it); text
/// that is not part of a trace stays.
fn exception_messages(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_frame = |line: &str| line.starts_with("\tat ") || line.starts_with("\t... ");
    let mut kept = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let followed_by_frames = lines.get(i + 1).is_some_and(|l| is_frame(l));
        if let (true, Some((class, message))) = (followed_by_frames, line.split_once(": ")) {
            if is_java_class(class) {
                let mut root = message;
                i += 1;
                while i < lines.len() {
                    if is_frame(lines[i]) {
                        i += 1;
                        continue;
                    }
                    let cause = lines[i]
                        .strip_prefix("Caused by: ")
                        .filter(|_| lines.get(i + 1).is_some_and(|l| is_frame(l)));
                    let Some(cause) = cause else { break };
                    root = cause.split_once(": ").map_or("\n", |(_, m)| m);
                    i += 1;
                }
                kept.push_str(root);
                continue;
            }
        }
        kept.push_str(line);
        i += 1;
    }
    kept
}

fn is_java_class(name: &str) -> bool {
    name.contains('.')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
}

/// Every record of `topics` on `bootstrap`, as confluent-kafka reads them.
async fn read_back(
    python: &std::path::Path,
    bootstrap: &str,
    topics: &[String],
) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut command = tokio::process::Command::new(python);
    command.arg(READ_RECORDS).arg(bootstrap).args(topics);
    let finished = peers::run(&mut command, "read_records.py")
        .await
        .expect_success("read_records.py");
    serde_json::from_str(finished.stdout.trim()).expect("read_records.py output")
}

/// A topic's records as text to compare: keyed records by partition in offset order, then the
/// keyless ones in (partition, offset) order without their partition (Java's sticky
/// partitioner picks it at random).
fn view(records: &[serde_json::Value]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = |v: &serde_json::Value| -> String {
        match v.as_str() {
            None => "null".to_string(),
            Some(b64) => {
                let raw = engine.decode(b64).expect("base64 from read_records.py");
                format!("{:?}", String::from_utf8_lossy(&raw))
            }
        }
    };
    let mut keyed = String::new();
    let mut keyless = String::new();
    for record in records {
        let headers: Vec<String> = record["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| format!("{}={}", pair[0], bytes(&pair[1])))
            .collect();
        let line = format!(
            "key={} value={} headers=[{}] {}\n",
            bytes(&record["key"]),
            bytes(&record["value"]),
            headers.join(","),
            record["timestamp_type"].as_str().unwrap_or_default()
        );
        if record["key"].is_null() {
            keyless.push_str(&line);
        } else {
            let _ = write!(keyed, "p{} {line}", record["partition"]);
        }
    }
    format!("{keyed}-- keyless:\n{keyless}")
}

#[tokio::test(flavor = "multi_thread")]
async fn same_input_gives_the_same_records_and_messages_as_apache() {
    let Some(apache) = apache().await else {
        return;
    };
    let Some(python) = peers::python_with("confluent_kafka", TEST) else {
        return;
    };
    let Some(apache_broker) = shared_broker().await else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(TEST);
    let ours_broker = TestBroker::start().await;
    let targets = [
        Target {
            label: "our broker",
            bootstrap: ours_broker.addr.to_string(),
        },
        Target {
            label: "Apache's broker",
            bootstrap: apache_broker.bootstrap(),
        },
    ];
    let prefix = format!("p{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let reader_config = tempfile::NamedTempFile::new().expect("temp file");
    // Java properties syntax: a \uXXXX escape and a comment.
    std::fs::write(
        reader_config.path(),
        "# reader settings\nparse.key = true\nkey.separator=\\u003a\n",
    )
    .expect("write reader config");
    let reader_config_path = reader_config.path().to_string_lossy().into_owned();
    let cases = record_cases(&reader_config_path);
    let failing = failing_cases();

    for target in &targets {
        let cluster = cluster_at(&target.bootstrap);
        for case in &cases {
            for side in [true, false] {
                create_topic(&cluster, &topic(&prefix, case, side), case.partitions).await;
            }
        }
    }

    // Apache's runs: all of them in one JVM.
    let mut batch = Vec::new();
    for target in &targets {
        for case in &cases {
            let name = topic(&prefix, case, true);
            batch.push((command_line(target, &name, case), case.input.clone()));
        }
    }
    for case in &failing {
        let name = topic(&prefix, case, true);
        batch.push((command_line(&targets[0], &name, case), case.input.clone()));
    }
    let mut theirs = apache
        .run_tool_batch_with_input(ApacheTool::ConsoleProducer, &batch)
        .await
        .into_iter();

    let mut failures = Vec::new();
    let mut compare_output = |target: &Target,
                              case: &Case,
                              theirs: &ToolOutput,
                              mine: &ToolOutput| {
        let a = comparable(theirs, &target.bootstrap, &topic(&prefix, case, true));
        let o = comparable(mine, &target.bootstrap, &topic(&prefix, case, false));
        if a != o {
            failures.push(format!(
                "## {} on {}: output differs\n=== Apache (normalised)\n{a:?}\n=== ours (normalised)\n{o:?}\n=== Apache\n{theirs}\n=== ours\n{mine}",
                case.name, target.label
            ));
        }
    };
    for target in &targets {
        for case in &cases {
            let name = topic(&prefix, case, false);
            let mine = ours(command_line(target, &name, case), case.input.clone()).await;
            let theirs = theirs.next().expect("one Apache output per run");
            compare_output(target, case, &theirs, &mine);
        }
    }
    for case in &failing {
        let name = topic(&prefix, case, false);
        let mine = ours(command_line(&targets[0], &name, case), case.input.clone()).await;
        let theirs = theirs.next().expect("one Apache output per run");
        compare_output(&targets[0], case, &theirs, &mine);
    }

    for target in &targets {
        let names: Vec<String> = cases
            .iter()
            .flat_map(|case| [topic(&prefix, case, true), topic(&prefix, case, false)])
            .collect();
        let stored = read_back(&python, &target.bootstrap, &names).await;
        for case in &cases {
            let records = |apache| {
                stored
                    .get(&topic(&prefix, case, apache))
                    .map(|r| view(r))
                    .unwrap_or_default()
            };
            // Every case sends something before it ends; the keyed ones reach several
            // partitions (so murmur2 really was compared).
            let sent = stored
                .get(&topic(&prefix, case, true))
                .cloned()
                .unwrap_or_default();
            let partitions: std::collections::BTreeSet<i64> = sent
                .iter()
                .filter(|r| !r["key"].is_null())
                .filter_map(|r| r["partition"].as_i64())
                .collect();
            assert!(
                !sent.is_empty() && (case.name != "keyed" || partitions.len() > 1),
                "{}: Apache's producer stored {sent:?}",
                case.name
            );
            let (a, o) = (records(true), records(false));
            if a != o {
                failures.push(format!(
                    "## {} on {}: records differ\n=== Apache's producer\n{a}\n=== ours\n{o}",
                    case.name, target.label
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn exception_messages_keep_only_the_message() {
    let apache =
        "org.apache.kafka.common.KafkaException: No key separator found on line number 3: 'x'\n\
                  \tat org.apache.kafka.tools.LineMessageReader.parse(LineMessageReader.java:1)\n\
                  kept\n\
                  org.apache.kafka.common.KafkaException: Failed to construct kafka producer\n\
                  \tat org.apache.kafka.clients.producer.KafkaProducer.<init>(KafkaProducer.java:1)\n\
                  Caused by: org.apache.kafka.common.config.ConfigException: root\n\
                  \t... 3 more\n";
    assert_eq!(
        exception_messages(apache),
        "No key separator found on line number 3: 'x'\nkept\nroot\n"
    );
    assert_eq!(exception_messages("a: b\nc\n"), "a: b\nc\n");
}
