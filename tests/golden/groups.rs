//! Apache Kafka 4.4's own kafka-consumer-groups (`ConsumerGroupCommand`) and ours, same
//! arguments, same broker, same groups: stdout and (filtered) stderr must be identical for the
//! list, describe, reset and delete views and their error paths, on our in-process broker and on
//! Apache's broker. Exit codes differ only where DESIGN.md says so (Apache exits 0 after a
//! failure, we exit 1). Mutating commands run against the same starting state: what Apache's
//! run changed is put back before ours runs, and both leave the same committed offsets behind.
//! Skipped with a note unless Apache Kafka is prepared (`scripts/fetch-apache`);
//! `KAFKIT_REQUIRE_INTEROP=1` makes that a failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafkit::client::Cluster;

use crate::cli::consumer_groups::support::{
    cluster_at, commit, committed, create_topic, join, produce, BASE_TIMESTAMP_MS,
};
use crate::common::apache::{apache, shared_broker, Apache, ApacheTool};
use crate::common::golden::{run_captured, strip_java_stack_traces, ToolOutput};
use crate::common::TestBroker;

/// The start of jopt's help table, which a usage error prints after its message: compared
/// only up to there (the table's wrapping is another module's concern).
const HELP_TABLE: &str = "\nOption ";

/// What Apache's exit code becomes in ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Both exit with the same code.
    Same,
    /// Apache reports a failure but exits 0; we exit 1.
    FailureOurs1,
}

struct Golden<'a> {
    apache: &'a Apache,
    bootstrap: String,
    /// Unique per run, so the shared Apache broker's other tests never see our groups.
    prefix: String,
}

impl Golden<'_> {
    fn name(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    fn args(&self, args: &[&str]) -> Vec<String> {
        let mut full = vec!["--bootstrap-server".to_string(), self.bootstrap.clone()];
        full.extend(args.iter().map(|a| a.replace('@', &self.prefix)));
        full
    }

    async fn theirs(&self, args: &[&str]) -> ToolOutput {
        let args = self.args(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.apache
            .run_tool(ApacheTool::ConsumerGroups, &args)
            .await
    }

    async fn ours(&self, args: &[&str]) -> ToolOutput {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-consumer-groups"));
        command.args(self.args(args));
        run_captured(command, None).await
    }

    /// Runs both with `args` (`@` stands for the run's group prefix) and compares.
    async fn same(&self, args: &[&str], exit: Exit) {
        let theirs = self.theirs(args).await;
        let ours = self.ours(args).await;
        compare(&theirs, &ours, exit);
    }
}

fn normalise(text: &str) -> String {
    // A cause without frames of its own (Kafka's exceptions from responses carry none) is left
    // behind by the stack-trace filter.
    let text: String = strip_java_stack_traces(text)
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("Caused by: "))
        .collect();
    match text.find(HELP_TABLE) {
        Some(at) => text[..at + 1].to_string(),
        None => text,
    }
}

/// stderr: also without exception lines a Java tool printed with `printStackTrace` for an
/// exception that has no frames (Kafka's exceptions built from responses carry none).
fn normalise_stderr(text: &str) -> String {
    normalise(text)
        .split_inclusive('\n')
        .filter(|line| !names_frameless_exception(line.trim_end()))
        .collect()
}

fn names_frameless_exception(line: &str) -> bool {
    let class = line.split_once(": ").map_or(line, |(class, _)| class);
    let simple = class.rsplit('.').next().unwrap_or_default();
    class.contains('.')
        && class.starts_with(|c: char| c.is_ascii_lowercase())
        && class
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
        && (simple.ends_with("Exception") || simple.ends_with("Error"))
}

#[track_caller]
fn compare(theirs: &ToolOutput, ours: &ToolOutput, exit: Exit) {
    let expected_code = match exit {
        Exit::Same => theirs.code,
        Exit::FailureOurs1 => {
            assert_eq!(theirs.code, Some(0), "Apache's run:\n{theirs}");
            Some(1)
        }
    };
    assert!(
        normalise(&theirs.stdout) == normalise(&ours.stdout)
            && normalise_stderr(&theirs.stderr) == normalise_stderr(&ours.stderr)
            && ours.code == expected_code,
        "Apache's tool and ours differ:\n=== Apache\n{theirs}\n=== ours\n{ours}"
    );
}

/// Topic `orders` (3 partitions: 10 records with CreateTime 2024-01-01T00:00:00Z + 0..9 s in
/// partition 0, 4 in partition 1), groups `@g` (5 / 2 / 0 committed) and `@h` (9 on
/// partition 0), `@d` (1 on partition 1), and `@live` with one member of ours.
async fn setup(
    golden: &Golden<'_>,
    cluster: &Arc<Cluster>,
    addr: std::net::SocketAddr,
) -> kafkit::client::group::GroupMember {
    let topic = golden.name("orders");
    create_topic(cluster, &topic, 3).await;
    produce(addr, &topic, 0, 10, BASE_TIMESTAMP_MS).await;
    produce(addr, &topic, 1, 4, BASE_TIMESTAMP_MS).await;
    commit(
        cluster,
        &golden.name("g"),
        &[(&topic, 0, 5), (&topic, 1, 2), (&topic, 2, 0)],
    )
    .await;
    commit(cluster, &golden.name("h"), &[(&topic, 0, 9)]).await;
    commit(cluster, &golden.name("d"), &[(&topic, 1, 1)]).await;
    join(cluster, &golden.name("live"), &[&topic]).await
}

async fn read_only_views(golden: &Golden<'_>) {
    use Exit::*;
    let cases: &[(&[&str], Exit)] = &[
        (&["--describe", "--group", "@g"], Same),
        (
            &["--describe", "--group", "@g", "--offsets", "--verbose"],
            Same,
        ),
        (
            &[
                "--describe",
                "--group",
                "@g",
                "--group",
                "@live",
                "--members",
                "--verbose",
            ],
            Same,
        ),
        (&["--describe", "--group", "@live", "--group", "@h"], Same),
        (
            &["--describe", "--group", "@live", "--state", "--verbose"],
            Same,
        ),
        (&["--describe", "--group", "@g", "--state"], Same),
        (&["--describe", "--group", "@missing"], FailureOurs1),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--all-topics",
                "--to-earliest",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--all-topics",
                "--to-latest",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@orders:0,1",
                "--to-offset",
                "7",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--all-topics",
                "--shift-by",
                "-1",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--group",
                "@h",
                "--all-topics",
                "--to-current",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@orders",
                "--to-datetime",
                "2024-01-01T00:00:03.000",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@orders",
                "--by-duration",
                "PT1H",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--group",
                "@h",
                "--all-topics",
                "--to-earliest",
                "--dry-run",
                "--export",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--all-topics",
                "--to-offset",
                "1",
                "--dry-run",
                "--export",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@live",
                "--all-topics",
                "--to-earliest",
                "--dry-run",
            ],
            FailureOurs1,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@orders:7",
                "--to-earliest",
                "--dry-run",
            ],
            FailureOurs1,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@nope",
                "--to-earliest",
                "--dry-run",
            ],
            FailureOurs1,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--all-topics",
                "--to-datetime",
                "2024-01-01T00:00:00",
                "--dry-run",
            ],
            FailureOurs1,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--topic",
                "@orders:x",
                "--to-earliest",
                "--dry-run",
            ],
            Same,
        ),
        (
            &[
                "--reset-offsets",
                "--group",
                "@g",
                "--to-earliest",
                "--dry-run",
            ],
            Same,
        ),
        (
            &["--delete-offsets", "--group", "@live", "--topic", "@orders"],
            FailureOurs1,
        ),
        (&["--validate-regex", "a(b"], FailureOurs1),
    ];
    for (args, exit) in cases {
        golden.same(args, *exit).await;
    }
    malformed_plans(golden).await;
}

/// `--from-file` plans with bad lines: Jackson's messages (and its lenient defaults) for one
/// and for two groups. Apache exits 0 after an error line; ours exits 1.
async fn malformed_plans(golden: &Golden<'_>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let plans = [
        ("t,x,1\n", false),
        ("@orders,0\n", false),
        ("\"@orders,0,1\n", false),
        ("@orders,0,1\n\n@orders,1,1\n", false),
        ("@orders,0,1\n@orders,x,1\n", false),
        ("@g,@orders,0,1,2\n", true),
        ("@g,@orders,99999999999,1\n", true),
        ("@g,@orders,0,1.5\n", true),
    ];
    for (index, (plan, two_groups)) in plans.iter().enumerate() {
        let path = dir.path().join(format!("plan-{index}.csv"));
        std::fs::write(&path, plan.replace('@', &golden.prefix)).expect("write plan");
        let path = path.to_string_lossy().to_string();
        let mut args = vec!["--reset-offsets", "--group", "@g"];
        if *two_groups {
            args.extend(["--group", "@h"]);
        }
        args.extend(["--dry-run", "--from-file", &path]);
        let theirs = golden.theirs(&args).await;
        // Any error line (also "No reset plan for group") makes ours exit 1.
        let exit = if theirs.stdout.contains("Error: ") {
            Exit::FailureOurs1
        } else {
            Exit::Same
        };
        compare(&theirs, &golden.ours(&args).await, exit);
    }
}

/// A mutating command: Apache's run, then the starting offsets of `groups` put back, then ours;
/// both must print the same and leave the same offsets.
async fn mutating(
    golden: &Golden<'_>,
    cluster: &Cluster,
    args: &[&str],
    groups: &[&str],
    exit: Exit,
) {
    let mut before = BTreeMap::new();
    for group in groups {
        before.insert(
            group.to_string(),
            committed(cluster, &golden.name(group)).await,
        );
    }
    let theirs = golden.theirs(args).await;
    let mut after_theirs = BTreeMap::new();
    for (group, offsets) in &before {
        let name = golden.name(group);
        after_theirs.insert(group.clone(), committed(cluster, &name).await);
        let restore: Vec<(&str, i32, i64)> = offsets
            .iter()
            .map(|((t, p), o)| (t.as_str(), *p, *o))
            .collect();
        if !restore.is_empty() {
            commit(cluster, &name, &restore).await;
        }
    }
    let ours = golden.ours(args).await;
    compare(&theirs, &ours, exit);
    for group in groups {
        assert_eq!(
            committed(cluster, &golden.name(group)).await,
            after_theirs[*group],
            "committed offsets of {group} after {args:?}"
        );
    }
}

async fn mutations(golden: &Golden<'_>, cluster: &Cluster) {
    mutating(
        golden,
        cluster,
        &[
            "--reset-offsets",
            "--group",
            "@g",
            "--topic",
            "@orders:0,2",
            "--to-offset",
            "3",
            "--execute",
        ],
        &["g"],
        Exit::Same,
    )
    .await;
    mutating(
        golden,
        cluster,
        &[
            "--delete-offsets",
            "--group",
            "@h",
            "--topic",
            "@orders",
            "--topic",
            "@nope",
        ],
        &["h"],
        Exit::FailureOurs1,
    )
    .await;
    mutating(
        golden,
        cluster,
        &[
            "--delete", "--group", "@d", "--group", "@live", "--group", "@missing",
        ],
        &["d"],
        Exit::FailureOurs1,
    )
    .await;
}

async fn run_all(apache: &Apache, bootstrap: String, addr: std::net::SocketAddr, prefix: &str) {
    let golden = Golden {
        apache,
        bootstrap: bootstrap.clone(),
        prefix: prefix.to_string(),
    };
    let cluster = cluster_at(&bootstrap);
    let member = setup(&golden, &cluster, addr).await;
    read_only_views(&golden).await;
    mutations(&golden, &cluster).await;
    member.close(&Default::default()).await.expect("leave");
}

#[tokio::test(flavor = "multi_thread")]
async fn same_as_apache_on_our_broker() {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = TestBroker::start_with(|c| c.group_initial_rebalance_delay_ms = 0).await;
    run_all(apache, broker.addr.to_string(), broker.addr, "").await;
    // --list sees every group of the broker: only meaningful on a broker of our own.
    let golden = Golden {
        apache,
        bootstrap: broker.addr.to_string(),
        prefix: String::new(),
    };
    golden.same(&["--list"], Exit::Same).await;
    golden
        .same(&["--list", "--type", "--state"], Exit::Same)
        .await;
}

/// How long a KIP-848 consumer may take to join and get its partitions.
const JOIN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(90);
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Apache's console consumer in group `@kip848` with `group.protocol=consumer` (KIP-848), until
/// it owns all partitions of `@orders`; the describe views of such a group then must match.
async fn consumer_protocol_group(golden: &Golden<'_>, cluster: &Arc<Cluster>) {
    use kafkit::client::consumer_groups::ConsumerGroups;
    let group = golden.name("kip848");
    let mut command = golden.apache.java(ApacheTool::ConsoleConsumer.main_class());
    command
        .args(golden.args(&["--topic", "@orders", "--group", "@kip848"]))
        .args(["--consumer-property", "group.protocol=consumer"])
        .args(["--consumer-property", "client.id=kip848-client"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut consumer = command.spawn().expect("start Apache's console consumer");
    let deadline = std::time::Instant::now() + JOIN_PATIENCE;
    loop {
        let described = ConsumerGroups::new(cluster)
            .describe(std::slice::from_ref(&group))
            .await;
        let ready = matches!(&described, Ok(groups) if groups.iter().any(|(_, g)| matches!(g,
            Ok(info) if info.state == "Stable"
                && info.members.iter().map(|m| m.assignment.len()).sum::<usize>() == 3)));
        if ready {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the KIP-848 group never became stable: {described:?}"
        );
        tokio::time::sleep(LOOK_EVERY).await;
    }
    for args in [
        &["--describe", "--group", "@kip848"][..],
        &["--describe", "--group", "@kip848", "--members", "--verbose"],
        &["--describe", "--group", "@kip848", "--state", "--verbose"],
        &[
            "--reset-offsets",
            "--group",
            "@kip848",
            "--all-topics",
            "--to-earliest",
            "--dry-run",
        ],
    ] {
        let exit = if args[0] == "--reset-offsets" {
            Exit::FailureOurs1
        } else {
            Exit::Same
        };
        golden.same(args, exit).await;
    }
    let _ = consumer.kill();
    let _ = consumer.wait();
}

/// A random group-name prefix (the shared Apache broker outlives runs) under which the groups
/// one `--delete` names fall in different buckets of a 16-slot Java `HashMap`. Within a bucket
/// Apache's order follows the admin client's futures map, keyed by a `CoordinatorKey` whose hash
/// includes an enum's identity hash: it changes from JVM to JVM, so no tool can match it.
fn unambiguous_prefix() -> String {
    const BUCKETS: u32 = 16;
    const DELETED_TOGETHER: [&str; 3] = ["d", "live", "missing"];
    loop {
        let prefix = format!("cg{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
        let mut buckets: Vec<u32> = DELETED_TOGETHER
            .iter()
            .map(|group| {
                let h = kafkit::cli::java_order::string_hash(&format!("{prefix}{group}")) as u32;
                (h ^ (h >> 16)) % BUCKETS
            })
            .collect();
        buckets.sort_unstable();
        buckets.dedup();
        if buckets.len() == DELETED_TOGETHER.len() {
            return prefix;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn same_as_apache_on_apache_broker() {
    let Some(apache) = apache().await else {
        return;
    };
    let Some(cluster) = shared_broker().await else {
        return;
    };
    let node = &cluster.nodes[0];
    let prefix = unambiguous_prefix();
    run_all(apache, cluster.bootstrap(), node.addr, &prefix).await;
    let golden = Golden {
        apache,
        bootstrap: cluster.bootstrap(),
        prefix,
    };
    consumer_protocol_group(&golden, &cluster_at(&cluster.bootstrap())).await;
}
