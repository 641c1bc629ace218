//! kafka-topics goldens: every action and error path of Apache's `TopicCommand` against ours,
//! on Apache's shared broker and on our in-process broker. Fixture topics are created first
//! (with the same names on both brokers), then one phase runs every case, a second phase looks
//! at what the state-changing cases did. Each phase costs one JVM (`ToolBatch`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kafka_protocol::messages::FindCoordinatorRequest;
use kafka_protocol::protocol::StrBytes;
use kafkit::client::admin::{Admin, NewTopic};
use kafkit::client::{ClientConfig, Cluster};
use kafkit::protocol::topic::{encode_topic_id, GROUP_METADATA_TOPIC};

use super::runner::{run_cases, Broker, Case, Deviation, Run, Tool};
use crate::common::apache::{apache, shared_broker, ApacheTool};
use crate::common::{RawClient, TestBroker};

/// How long Apache's broker may take to create `__consumer_offsets` or elect fixture leaders.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const READY_POLL: Duration = Duration::from_millis(200);
/// FindCoordinator v3: the last version with a single key.
const FIND_COORDINATOR_VERSION: i16 = 3;
/// A well-formed topic id that no broker has.
const UNKNOWN_TOPIC_ID: &str = "vh3cWoCdRz2Iqqn9m8n2xA";

/// A topic created before the cases run: `name` is a template (`{run}`, `{own:KEY}`).
struct Fixture {
    name: &'static str,
    partitions: i32,
    configs: &'static [(&'static str, &'static str)],
}

const fn fixture(name: &'static str, partitions: i32) -> Fixture {
    Fixture {
        name,
        partitions,
        configs: &[],
    }
}

const FIXTURES: &[Fixture] = &[
    fixture("{run}-orders", 2),
    Fixture {
        name: "{run}-cfg",
        partitions: 1,
        configs: &[
            ("retention.ms", "86400000"),
            ("cleanup.policy", "compact"),
            ("max.message.bytes", "2000000"),
            ("segment.bytes", "2097152"),
        ],
    },
    Fixture {
        name: "{run}-minisr",
        partitions: 3,
        configs: &[("min.insync.replicas", "2")],
    },
    fixture("{run}-multi-alpha", 1),
    fixture("{run}-multi-beta", 2),
    fixture("{run}-multi-gamma", 1),
    fixture("{run}-multi-delta", 1),
    fixture("{run}-multi-epsilon", 1),
    fixture("{run}-multi-zeta", 1),
    fixture("{run}-col_x", 1),
    fixture("{run}-la", 1),
    fixture("{run}-lb", 1),
    fixture("{run}-many", 5),
    fixture("{own:alt-up}", 2),
    fixture("{own:alt-same}", 2),
    fixture("{own:alt-down}", 3),
    fixture("{own:alt-asg}", 1),
    fixture("{own:alt-asg-ok}", 1),
    fixture("{own:alt-re}-x", 1),
    fixture("{own:alt-re}-y", 1),
    fixture("{own:del}", 1),
    fixture("{own:del-re}-1", 1),
    fixture("{own:del-re}-2", 2),
];

/// `--bootstrap-server {B}` followed by `rest`.
fn with_bootstrap(rest: &[&str]) -> Case {
    let mut args = vec!["--bootstrap-server", "{B}"];
    args.extend_from_slice(rest);
    Case::new(&args)
}

/// Option parsing and validation, in Apache's order, and the no-broker paths.
fn usage_cases(command_config: &str, missing_file: &str) -> Vec<Case> {
    let b = with_bootstrap;
    vec![
        Case::new(&[]),
        Case::new(&["--help"]).deviation(Deviation::HelpExitsZero),
        b(&["--list", "--help"]).deviation(Deviation::HelpExitsZero),
        Case::new(&["--version"]).deviation(Deviation::OwnVersion),
        Case::new(&["--help", "--version"]).deviation(Deviation::HelpExitsZero),
        b(&[]),
        b(&["--list", "--describe"]),
        b(&["--create", "--delete", "--topic", "x"]),
        Case::new(&["--list"]),
        Case::new(&["--create", "--topic", "x"]),
        b(&["--describe", "--if-exists"]),
        b(&["--create"]),
        b(&["--alter", "--partitions", "2"]),
        b(&["--delete"]),
        // Apache names the two options from a HashSet of option objects: either order.
        b(&["--alter", "--topic", "x", "--config", "a=b"]).equivalent(
            "[[config], [bootstrap-server]]",
            "[[bootstrap-server], [config]]",
        ),
        b(&["--alter", "--topic", "x"]),
        b(&["--list", "--partitions", "3"]),
        b(&["--list", "--config", "a=b"]),
        b(&["--describe", "--topic", "x", "--replication-factor", "2"]),
        b(&[
            "--alter",
            "--topic",
            "x",
            "--partitions",
            "2",
            "--replication-factor",
            "2",
        ]),
        b(&["--delete", "--topic", "x", "--replica-assignment", "1"]),
        b(&[
            "--create",
            "--topic",
            "x",
            "--replica-assignment",
            "1",
            "--partitions",
            "2",
        ]),
        b(&[
            "--create",
            "--topic",
            "x",
            "--replica-assignment",
            "1",
            "--replication-factor",
            "1",
        ]),
        b(&["--list", "--under-replicated-partitions"]),
        b(&["--create", "--topic", "x", "--unavailable-partitions"]),
        b(&[
            "--describe",
            "--under-min-isr-partitions",
            "--topics-with-overrides",
        ]),
        b(&[
            "--describe",
            "--at-min-isr-partitions",
            "--topics-with-overrides",
        ]),
        b(&["--list", "--topics-with-overrides"]),
        b(&["--list", "--if-exists"]),
        b(&["--describe", "--if-not-exists"]),
        b(&["--create", "--topic", "x", "--exclude-internal"]),
        b(&["--describe", "--config", "a=b"]),
        b(&["--list", "--topic", "{run}-la", "--delete-config", "x"]),
        b(&["--list", "--foo"]),
        b(&["--list", "--topic"]),
        b(&["--list", "--bootstrap-server", "{B}"]),
        b(&["--create", "--topic", "x", "--partitions", "abc"]),
        b(&["--create", "--topic", "x", "--replication-factor", "1.5"]),
        b(&["--list", "--topic", "{run}-la", "--topic", "{run}-lb"]),
        Case::new(&["--bootstrap", "{B}", "--list"]),
        Case::new(&["-bootstrap-server", "{B}", "-list", "-topic", "{run}-la"]),
        Case::new(&["--bootstrap-server={B}", "--list", "--topic={run}-la"]),
        b(&["--list", "--topic", "{run}-la", "stray", "words"]),
        b(&["--list", "--topic", "--list"]),
        b(&[
            "--list",
            "--topic",
            "{run}-la",
            "--command-config",
            command_config,
        ]),
        b(&["--list", "--command-config", missing_file]),
        b(&[
            "--list",
            "--command-config",
            command_config,
            "--command-config",
            command_config,
        ]),
    ]
}

/// `--create` of a name one character longer than Kafka allows.
fn long_name_case() -> Case {
    let mut case = with_bootstrap(&["--create"]);
    let too_long = kafkit::protocol::topic::MAX_NAME_LENGTH + 1;
    case.args.push(format!("--topic={}", "x".repeat(too_long)));
    case
}

/// `--create`: what succeeds (own topics) and every error path (no state change).
fn create_cases() -> Vec<Case> {
    let b = with_bootstrap;
    vec![
        b(&["--create", "--topic", "{own:c-plain}"]),
        b(&[
            "--create",
            "--topic",
            "{own:c-parts}",
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ]),
        b(&[
            "--create",
            "--topic",
            "{own:c-cfg}",
            "--partitions",
            "2",
            "--config",
            "retention.ms=1000",
            "--config",
            "cleanup.policy=compact",
            "--config",
            "max.message.bytes = 2000",
        ]),
        b(&[
            "--create",
            "--topic",
            "{own:c-asg}",
            "--replica-assignment",
            "1,1,1",
        ]),
        b(&[
            "--create",
            "--topic",
            "{own:c-asg-sp}",
            "--replica-assignment",
            " 1 , 1 ",
        ]),
        b(&["--create", "--topic", "{own:c-ine}", "--if-not-exists"]),
        b(&["--create", "--topic", "{own:c-dot}.x"]),
        b(&["--create", "--topic", "{own:c-us}_x", "--partitions", "1"]),
        b(&["--create", "--topic", "{run}-orders"]),
        b(&["--create", "--topic", "{run}-orders", "--if-not-exists"]),
        b(&[
            "--create",
            "--topic",
            "{run}-orders",
            "--partitions",
            "5",
            "--if-not-exists",
        ]),
        b(&["--create", "--topic", "{run}-col.x"]),
        b(&[
            "--create",
            "--topic",
            "{run}-rf",
            "--replication-factor",
            "3",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-rf",
            "--replication-factor",
            "0",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-rf",
            "--replication-factor",
            "40000",
        ]),
        b(&["--create", "--topic", "{run}-p", "--partitions", "0"]),
        b(&["--create", "--topic", "{run}-p", "--partitions", "-3"]),
        b(&["--create", "--topic", "a b"]),
        b(&["--create", "--topic", "."]),
        b(&["--create", "--topic", ".."]),
        b(&["--create", "--topic", ""]),
        b(&["--create", "--topic", "bad/name"]),
        long_name_case(),
        b(&["--create", "--topic", "{run}-c", "--config", "foo=bar"]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--config",
            "retention.ms=abc",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--config",
            "segment.bytes=100",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--config",
            "cleanup.policy=nope",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--config",
            "segment.ms=x",
            "--config",
            "retention.ms=y",
        ]),
        b(&["--create", "--topic", "{run}-c", "--config", "x"]),
        b(&["--create", "--topic", "{run}-c", "--config", "a=b=c"]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--config",
            "retention.ms=",
        ]),
        b(&["--create", "--topic", "{run}-c", "--config", "=1000"]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--partitions",
            "0",
            "--config",
            "x",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c.x",
            "--partitions",
            "0",
            "--replica-assignment",
            "1:1",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--replica-assignment",
            "1:1",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--replica-assignment",
            "1,1:1",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--replica-assignment",
            "1,x",
        ]),
        b(&[
            "--create",
            "--topic",
            "{run}-c",
            "--replica-assignment",
            "2",
        ]),
    ]
}

/// `--list` and `--describe` over the fixtures (read-only).
fn read_cases() -> Vec<Case> {
    let b = with_bootstrap;
    vec![
        b(&["--list", "--topic", "{run}-l.*"]),
        b(&["--list", "--list", "--topic", "{run}-l.*"]),
        b(&["--list", "--topic", "{run}-la,{run}-lb"]),
        b(&["--list", "--topic", "\"{run}-la\""]),
        b(&["--list", "--topic", " {run}-la , {run}-lb "]),
        b(&["--list", "--topic", "{run}.orders"]),
        b(&["--list", "--topic", "{run}-nomatch"]),
        b(&["--list", "--topic", "{run}-["]),
        b(&["--list", "--topic", GROUP_METADATA_TOPIC]),
        b(&[
            "--list",
            "--topic",
            GROUP_METADATA_TOPIC,
            "--exclude-internal",
        ]),
        b(&["--describe", "--topic", "{run}-orders"]),
        b(&["--describe", "--topic", "{run}-cfg"]),
        b(&["--describe", "--topic", "{run}-multi-.*"]),
        b(&[
            "--describe",
            "--topic",
            "{run}-orders,{run}-cfg,{run}-minisr",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-minisr",
            "--under-min-isr-partitions",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-orders",
            "--at-min-isr-partitions",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-.*",
            "--under-replicated-partitions",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-.*",
            "--unavailable-partitions",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-(orders|minisr)",
            "--under-min-isr-partitions",
            "--at-min-isr-partitions",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-(orders|cfg)",
            "--topics-with-overrides",
        ]),
        b(&["--describe", "--topic-id", "{id:{run}-orders}"]),
        b(&["--describe", "--topic-id", UNKNOWN_TOPIC_ID]),
        b(&["--describe", "--topic-id", "not-a-topic-id"]),
        b(&["--describe", "--topic-id", "a"]),
        b(&[
            "--describe",
            "--topic-id",
            "{id:{run}-orders}",
            "--exclude-internal",
        ]),
        b(&[
            "--describe",
            "--topic-id",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "--topic",
            "{run}-orders",
        ]),
        b(&[
            "--describe",
            "--if-exists",
            "--topic-id",
            "{id:{run}-orders}",
            "--topic",
            "{run}-cfg",
        ]),
        b(&["--describe", "--topic", "{run}-nomatch"]),
        b(&["--describe", "--topic", "{run}-nomatch", "--if-exists"]),
        b(&[
            "--describe",
            "--topic",
            GROUP_METADATA_TOPIC,
            "--exclude-internal",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-many",
            "--partition-size-limit-per-response",
            "2",
        ]),
        b(&[
            "--describe",
            "--topic",
            "{run}-(orders|many)",
            "--partition-size-limit-per-response",
            "1",
        ]),
    ]
}

/// `--alter` and `--delete` on own topics, and their error paths.
fn change_cases() -> Vec<Case> {
    let b = with_bootstrap;
    vec![
        b(&["--alter", "--topic", "{own:alt-up}", "--partitions", "4"]),
        b(&["--alter", "--topic", "{own:alt-same}", "--partitions", "2"]),
        b(&["--alter", "--topic", "{own:alt-down}", "--partitions", "2"]),
        b(&[
            "--alter",
            "--topic",
            "{own:alt-asg}",
            "--partitions",
            "3",
            "--replica-assignment",
            "1,1",
        ]),
        b(&[
            "--alter",
            "--topic",
            "{own:alt-asg-ok}",
            "--partitions",
            "3",
            "--replica-assignment",
            "1,1,1",
        ]),
        b(&["--alter", "--topic", "{own:alt-re}-.*", "--partitions", "2"]),
        b(&["--alter", "--topic", "{run}-nomatch", "--partitions", "2"]),
        b(&["--alter", "--topic", "{run}-orders", "--partitions", "x"]),
        b(&[
            "--alter",
            "--topic",
            "{run}-nomatch",
            "--partitions",
            "3",
            "--replica-assignment",
            "1,x",
        ]),
        b(&["--delete", "--topic", "{run}-["]),
        b(&[
            "--alter",
            "--topic",
            "{run}-nomatch",
            "--partitions",
            "2",
            "--if-exists",
        ]),
        b(&["--delete", "--topic", "{own:del}"]),
        b(&["--delete", "--topic", "{own:del-re}-.*"]),
        b(&["--delete", "--topic", "{run}-nomatch"]),
        b(&["--delete", "--topic", "{run}-nomatch", "--if-exists"]),
    ]
}

/// What the state-changing cases left behind, looked at after all of them ran.
fn after_cases() -> Vec<Case> {
    let b = with_bootstrap;
    let mut cases: Vec<Case> = [
        "{own:c-plain}",
        "{own:c-parts}",
        "{own:c-cfg}",
        "{own:c-asg}",
        "{own:c-asg-sp}",
        "{own:c-ine}",
        "{own:c-dot}.x",
        "{own:c-us}_x",
        "{own:alt-up}",
        "{own:alt-same}",
        "{own:alt-down}",
        "{own:alt-asg}",
        "{own:alt-asg-ok}",
        "{own:alt-re}-x",
        "{own:alt-re}-y",
    ]
    .iter()
    .map(|topic| b(&["--describe", "--topic", topic]))
    .collect();
    cases.extend([
        b(&["--list", "--topic", "{own:del}.*"]),
        b(&["--list", "--topic", "{own:del-re}.*"]),
        b(&["--list"]),
        b(&["--list", "--exclude-internal"]),
        // Every topic of a broker: only ours, where no other test adds topics meanwhile.
        b(&["--describe"]).only_our_broker(),
        b(&["--describe", "--exclude-internal"]).only_our_broker(),
        b(&["--describe", "--topics-with-overrides"]).only_our_broker(),
        b(&["--describe", "--topic-id", "AAAAAAAAAAAAAAAAAAAAAA"]).only_our_broker(),
    ]);
    cases
}

async fn admin_cluster(bootstrap: &str) -> Cluster {
    Cluster::new(ClientConfig::new(bootstrap)).expect("cluster handle")
}

/// Creates every fixture (own ones once per tool) and returns the topic ids by name, once every
/// fixture has a leader.
async fn create_fixtures(run: &Run, bootstrap: &str) -> HashMap<String, String> {
    let cluster = admin_cluster(bootstrap).await;
    let admin = Admin::new(&cluster);
    let mut topics = Vec::new();
    for f in FIXTURES {
        let mut names = vec![run.name(f.name, Tool::Apache)];
        let ours = run.name(f.name, Tool::Ours);
        if ours != names[0] {
            names.push(ours);
        }
        for name in names {
            topics.push(NewTopic {
                name,
                partitions: f.partitions,
                replication_factor: 1,
                assignments: Vec::new(),
                configs: f
                    .configs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            });
        }
    }
    for (name, result) in admin.create_topics(&topics, false).await.expect("create") {
        result.unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let listed = admin.list_topics().await.expect("list topics");
        let ready: HashMap<&str, _> = listed.iter().map(|t| (t.name.as_str(), t)).collect();
        let all_led = topics.iter().all(|want| {
            ready.get(want.name.as_str()).is_some_and(|t| {
                t.partitions.len() == want.partitions as usize
                    && t.partitions.iter().all(|p| p.leader >= 0)
            })
        });
        if all_led {
            return listed
                .iter()
                .map(|t| (t.name.clone(), encode_topic_id(t.topic_id)))
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "fixtures not ready on {bootstrap}"
        );
        tokio::time::sleep(READY_POLL).await;
    }
}

/// Makes sure `__consumer_offsets` exists: Apache creates it for the first FindCoordinator;
/// our broker keeps offsets elsewhere, so there it is created like any topic.
async fn ensure_internal_topic(bootstrap: &str, apache_broker: bool) {
    if !apache_broker {
        let cluster = admin_cluster(bootstrap).await;
        let topic = NewTopic {
            name: GROUP_METADATA_TOPIC.to_string(),
            partitions: 1,
            replication_factor: 1,
            ..NewTopic::default()
        };
        let created = Admin::new(&cluster).create_topics(&[topic], false).await;
        created.expect("create")[0].1.as_ref().expect("created");
        return;
    }
    let mut client = RawClient::connect(bootstrap.parse().expect("address")).await;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let request = FindCoordinatorRequest::default()
            .with_key(StrBytes::from_static_str("kafkit-golden"))
            .with_key_type(0);
        let response = client.send(request, FIND_COORDINATOR_VERSION).await;
        if response.error_code == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no group coordinator on {bootstrap}: error {}",
            response.error_code
        );
        tokio::time::sleep(READY_POLL).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_topics_matches_apache() {
    let Some(apache) = apache().await else {
        return;
    };
    let began = Instant::now();
    let apache_broker = shared_broker().await.expect("shared broker");
    let our_broker = TestBroker::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let command_config = dir.path().join("admin.properties");
    std::fs::write(
        &command_config,
        "client.id=golden\nrequest.timeout.ms=30000\n",
    )
    .expect("write properties");
    let command_config = command_config.display().to_string();
    let missing_file = dir.path().join("missing.properties").display().to_string();

    let mut run = Run::new();
    let mut phase_one = usage_cases(&command_config, &missing_file);
    phase_one.extend(create_cases());
    phase_one.extend(read_cases());
    phase_one.extend(change_cases());
    let phase_two = after_cases();
    let templates: Vec<String> = phase_one
        .iter()
        .chain(&phase_two)
        .flat_map(|c| c.args.clone())
        .chain(FIXTURES.iter().map(|f| f.name.to_string()))
        .collect();
    run.learn_own_keys(&templates);

    let mut brokers = Vec::new();
    for (label, bootstrap, shared) in [
        ("Apache's broker", apache_broker.bootstrap(), true),
        ("our broker", our_broker.addr.to_string(), false),
    ] {
        ensure_internal_topic(&bootstrap, shared).await;
        let topic_ids = create_fixtures(&run, &bootstrap).await;
        brokers.push(Broker {
            label,
            bootstrap,
            topic_ids,
            shared,
        });
    }
    let ready = began.elapsed();

    let binary = env!("CARGO_BIN_EXE_kafka-topics");
    let mut failures = Vec::new();
    for (phase, cases) in [("changes", &phase_one), ("after", &phase_two)] {
        let started = Instant::now();
        failures.extend(run_cases(apache, ApacheTool::Topics, binary, &run, &brokers, cases).await);
        eprintln!(
            "golden kafka-topics: phase {phase}: {} cases in {:.1} s",
            cases.len(),
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "golden kafka-topics: fixtures ready after {:.1} s, all done after {:.1} s",
        ready.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} golden comparison(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
