//! Bad input to every tool, table-driven: unknown options, unparsable values, unreachable
//! brokers, unknown topics and groups, malformed plan files and server settings. Each case must
//! exit non-zero, print a message naming what was wrong, and change nothing: the topics (names
//! and partition counts), the records and the committed offsets of a group are compared before
//! and after every case. (Exact Apache texts are pinned by the tests in `tests/cli`; this table
//! is about the contract common to all tools.)

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{GroupId, MetadataRequest, OffsetCommitRequest};

use super::{committed, s, topic_name};
use crate::common::{RawClient, TestBroker};

const TOPIC: &str = "kept";
const PARTITIONS: i32 = 2;
const GROUP: &str = "kept-group";
const COMMITTED: [i64; 2] = [1, 2];
/// Bound on one tool run: every case must fail fast.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Tool {
    Topics,
    Producer,
    Consumer,
    Groups,
}

impl Tool {
    fn binary(self) -> &'static str {
        match self {
            Tool::Topics => env!("CARGO_BIN_EXE_kafka-topics"),
            Tool::Producer => env!("CARGO_BIN_EXE_kafka-console-producer"),
            Tool::Consumer => env!("CARGO_BIN_EXE_kafka-console-consumer"),
            Tool::Groups => env!("CARGO_BIN_EXE_kafka-consumer-groups"),
        }
    }
}

/// Where a case sends its bootstrap option.
#[derive(Debug, Clone, Copy)]
enum Target {
    Broker,
    Unreachable,
}

struct Case {
    tool: Tool,
    target: Target,
    args: &'static [&'static str],
    /// Text the output (stdout and stderr together) must contain; `{addr}` and `{plan}` are
    /// replaced by the bootstrap address and the malformed plan file.
    names: &'static str,
}

const fn case(
    tool: Tool,
    target: Target,
    args: &'static [&'static str],
    names: &'static str,
) -> Case {
    Case {
        tool,
        target,
        args,
        names,
    }
}

use Target::{Broker, Unreachable};
use Tool::{Consumer, Groups, Producer, Topics};

const CASES: &[Case] = &[
    case(Topics, Broker, &["--list", "--bogus"], "bogus"),
    case(
        Topics,
        Broker,
        &["--create", "--topic", "n1", "--partitions", "abc"],
        "abc",
    ),
    case(
        Topics,
        Broker,
        &["--create", "--topic", "n2", "--partitions", "0"],
        "partitions",
    ),
    case(
        Topics,
        Broker,
        &["--create", "--topic", "bad/name"],
        "bad/name",
    ),
    case(Topics, Broker, &["--create", "--topic", "../up"], "../up"),
    case(
        Topics,
        Broker,
        &["--create", "--topic", TOPIC],
        "already exists",
    ),
    case(
        Topics,
        Broker,
        &["--create", "--topic", "n3", "--config", "retention.ms=soon"],
        "retention.ms",
    ),
    case(
        Topics,
        Broker,
        &["--create", "--topic", "n4", "--config", "no.such.config=1"],
        "no.such.config",
    ),
    case(
        Topics,
        Broker,
        &["--alter", "--topic", TOPIC, "--partitions", "1"],
        "1",
    ),
    case(
        Topics,
        Broker,
        &["--alter", "--topic", "absent", "--partitions", "3"],
        "absent",
    ),
    case(Topics, Broker, &["--delete", "--topic", "absent"], "absent"),
    case(
        Topics,
        Broker,
        &["--describe", "--topic", "absent"],
        "absent",
    ),
    case(
        Topics,
        Unreachable,
        &["--create", "--topic", "n5"],
        "{addr}",
    ),
    case(Producer, Broker, &["--topic", TOPIC, "--bogus"], "bogus"),
    case(
        Producer,
        Broker,
        &["--topic", TOPIC, "--compression-codec", "zip"],
        "zip",
    ),
    case(
        Producer,
        Broker,
        &["--topic", TOPIC, "--request-required-acks", "7"],
        "acks",
    ),
    case(
        Producer,
        Broker,
        &["--topic", TOPIC, "--batch-size", "big"],
        "big",
    ),
    case(Producer, Broker, &["--topic", "bad/name"], "bad/name"),
    case(
        Producer,
        Unreachable,
        &["--topic", TOPIC, "--max-block-ms", "500"],
        "{addr}",
    ),
    case(Consumer, Broker, &["--topic", TOPIC, "--bogus"], "bogus"),
    case(
        Consumer,
        Broker,
        &["--topic", TOPIC, "--max-messages", "many"],
        "many",
    ),
    case(
        Consumer,
        Broker,
        &["--topic", TOPIC, "--partition", "0", "--offset", "soon"],
        "soon",
    ),
    case(
        Consumer,
        Broker,
        &["--topic", TOPIC, "--formatter", "no.Such"],
        "no.Such",
    ),
    case(Consumer, Unreachable, &["--topic", TOPIC], "{addr}"),
    case(Groups, Broker, &["--list", "--bogus"], "bogus"),
    case(
        Groups,
        Broker,
        &["--describe", "--group", "absent-group"],
        "absent-group",
    ),
    case(
        Groups,
        Broker,
        &["--delete", "--group", "absent-group"],
        "absent-group",
    ),
    case(
        Groups,
        Broker,
        &[
            "--reset-offsets",
            "--group",
            GROUP,
            "--topic",
            TOPIC,
            "--to-offset",
            "far",
            "--execute",
        ],
        "far",
    ),
    case(
        Groups,
        Broker,
        &[
            "--reset-offsets",
            "--group",
            GROUP,
            "--topic",
            TOPIC,
            "--to-datetime",
            "yesterday",
            "--execute",
        ],
        "Error parsing timestamp",
    ),
    case(
        Groups,
        Broker,
        &[
            "--reset-offsets",
            "--group",
            GROUP,
            "--from-file",
            "{plan}",
            "--execute",
        ],
        "\"1.5\"",
    ),
    case(
        Groups,
        Broker,
        &[
            "--reset-offsets",
            "--group",
            GROUP,
            "--from-file",
            "/nonexistent/plan.csv",
            "--execute",
        ],
        "/nonexistent/plan.csv",
    ),
    case(Groups, Unreachable, &["--list"], "{addr}"),
];

/// What must not change: topics with partition counts, and committed offsets. (Records: the
/// producer cases that must fail send to a missing or unreachable target, and the topic's
/// partitions are read back empty at the end.)
#[derive(Debug, PartialEq)]
struct State {
    topics: Vec<(String, usize)>,
    committed: Vec<i64>,
}

async fn state(addr: SocketAddr) -> State {
    let mut client = RawClient::connect(addr).await;
    let response = client
        .send(MetadataRequest::default().with_topics(None), 12)
        .await;
    let mut topics: Vec<(String, usize)> = response
        .topics
        .iter()
        .filter_map(|t| Some((t.name.as_ref()?.to_string(), t.partitions.len())))
        .collect();
    topics.sort();
    State {
        topics,
        committed: committed(addr, GROUP, TOPIC, PARTITIONS).await,
    }
}

fn run(tool: Tool, args: Vec<String>) -> Output {
    let mut child = Command::new(tool.binary())
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tool");
    // The producer gets one record to send (with no input it has nothing to fail on); stdin is
    // closed for the others.
    if let Some(mut stdin) = child.stdin.take() {
        if matches!(tool, Tool::Producer) {
            let _ = std::io::Write::write_all(&mut stdin, b"x\n");
        }
    }
    let deadline = std::time::Instant::now() + TOOL_TIMEOUT;
    while matches!(child.try_wait(), Ok(None)) {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{tool:?} {args:?} still running after {TOOL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("tool output")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_refuses_bad_input_clearly_and_changes_nothing() {
    let broker = TestBroker::start_with(|c| c.auto_create_topics_enable = false).await;
    broker
        .state
        .create_topic(TOPIC, PARTITIONS, 1, Default::default())
        .expect("create topic");
    let mut client = broker.connect().await;
    let commit = OffsetCommitRequest::default()
        .with_group_id(GroupId(s(GROUP)))
        .with_generation_id_or_member_epoch(-1)
        .with_member_id(s(""))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic_name(TOPIC))
            .with_partitions(
                (0..PARTITIONS)
                    .map(|p| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(p)
                            .with_committed_offset(COMMITTED[p as usize])
                    })
                    .collect(),
            )]);
    client.send(commit, 8).await;
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").to_string()
    };
    let plan_dir = tempfile::tempdir().expect("temp dir");
    let plan = plan_dir.path().join("plan.csv");
    std::fs::write(&plan, format!("{TOPIC},0,1.5\n")).expect("write plan");
    let before = state(broker.addr).await;
    assert_eq!(before.committed, COMMITTED.to_vec());

    let mut failures = Vec::new();
    for case in CASES {
        let addr = match case.target {
            Broker => broker.addr.to_string(),
            Unreachable => unreachable.clone(),
        };
        let fill = |text: &str| {
            text.replace("{addr}", &addr)
                .replace("{plan}", &plan.display().to_string())
        };
        let mut args = vec!["--bootstrap-server".to_string(), addr.clone()];
        args.extend(case.args.iter().map(|a| fill(a)));
        let tool = case.tool;
        let shown = args.clone();
        let out = tokio::task::spawn_blocking(move || run(tool, args))
            .await
            .expect("tool thread");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let names = fill(case.names);
        if out.status.success() || !said.contains(&names) {
            failures.push(format!(
                "{tool:?} {shown:?}: exit {:?}, expected a message naming {names:?}, got:\n{said}",
                out.status.code()
            ));
        }
        let after = state(broker.addr).await;
        if after != before {
            failures.push(format!(
                "{tool:?} {shown:?} changed {before:?} into {after:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let end = crate::reliability::latest_offsets(broker.addr, TOPIC, PARTITIONS).await;
    assert_eq!(end, vec![0; PARTITIONS as usize], "records were written");
}

/// A server setting that cannot be used: the server exits non-zero naming key and value, and
/// writes nothing into its log directory.
#[test]
fn a_bad_server_setting_fails_before_touching_the_log_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for bad in [
        "num.partitions=many",
        "max.connections=-3",
        "socket.request.max.bytes=0",
        "log.segment.bytes=10",
    ] {
        let out = run_server(&data, bad);
        let said = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let (key, value) = bad.split_once('=').expect("key=value");
        assert!(!out.status.success(), "{bad} accepted:\n{said}");
        assert!(said.contains(key) && said.contains(value), "{bad}:\n{said}");
        assert!(!data.exists(), "{bad} created {}", data.display());
    }
}

fn run_server(data: &Path, setting: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-server-start"))
        .args(["--override", &format!("log.dirs={}", data.display())])
        .args(["--override", "listeners=PLAINTEXT://127.0.0.1:0"])
        .args(["--override", setting])
        .stdin(Stdio::null())
        .output()
        .expect("run kafka-server-start")
}
