//! `kafka-topics` against the in-process broker: exact stdout, stderr and exit codes.

use std::process::Output;

use crate::common::TestBroker;

/// Runs `kafka-topics` with `args` (bootstrap server first) off the async runtime.
async fn topics(broker: &TestBroker, args: &[&str]) -> Output {
    let mut full = vec!["--bootstrap-server".to_string(), broker.addr.to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    run(full).await
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kafka-topics"))
            .args(&args)
            .output()
            .expect("run kafka-topics")
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_output(output: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            output.status.code(),
            text(&output.stdout).as_str(),
            text(&output.stderr).as_str()
        ),
        (Some(code), stdout, stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_list_describe_alter_delete() {
    let broker = TestBroker::start().await;
    let out = topics(
        &broker,
        &["--create", "--topic", "orders", "--partitions", "2"],
    )
    .await;
    assert_output(&out, 0, "Created topic orders.\n", "");
    let out = topics(&broker, &["--create", "--topic", "my.events"]).await;
    assert_output(
        &out,
        0,
        "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\nCreated topic my.events.\n",
        "",
    );
    assert_output(
        &topics(&broker, &["--list"]).await,
        0,
        "my.events\norders\n",
        "",
    );
    assert_output(
        &topics(&broker, &["--list", "--topic", "ord.*"]).await,
        0,
        "orders\n",
        "",
    );

    let id = broker.state.topic("orders").unwrap().id;
    let id = kafkit::protocol::topic::encode_topic_id(id);
    let out = topics(&broker, &["--describe", "--topic", "orders"]).await;
    assert_output(
        &out,
        0,
        &format!(
            "Topic: orders\tTopicId: {id}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: min.insync.replicas=1\n\
             \tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n\
             \tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n"
        ),
        "",
    );

    assert_output(
        &topics(
            &broker,
            &["--alter", "--topic", "orders", "--partitions", "3"],
        )
        .await,
        0,
        "",
        "",
    );
    assert_eq!(broker.state.topic("orders").unwrap().partitions.len(), 3);
    let out = topics(
        &broker,
        &["--alter", "--topic", "orders", "--partitions", "3"],
    )
    .await;
    assert_output(
        &out,
        1,
        "Error while executing topic command : Topic already has 3 partition(s).\n",
        "",
    );

    assert_output(
        &topics(&broker, &["--delete", "--topic", "orders"]).await,
        0,
        "",
        "",
    );
    assert_output(&topics(&broker, &["--list"]).await, 0, "my.events\n", "");
    let out = topics(&broker, &["--delete", "--topic", "orders"]).await;
    assert_output(
        &out,
        1,
        "Error while executing topic command : Topic 'orders' does not exist as expected\n",
        "",
    );
    assert_output(
        &topics(&broker, &["--delete", "--topic", "orders", "--if-exists"]).await,
        0,
        "",
        "",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_errors_go_through_the_error_path() {
    let broker = TestBroker::start().await;
    topics(&broker, &["--create", "--topic", "dup"]).await;
    let out = topics(&broker, &["--create", "--topic", "dup"]).await;
    assert_output(
        &out,
        1,
        "Error while executing topic command : Topic 'dup' already exists.\n",
        "",
    );
    assert_output(
        &topics(&broker, &["--create", "--topic", "dup", "--if-not-exists"]).await,
        0,
        "",
        "",
    );
    let out = topics(
        &broker,
        &["--create", "--topic", "x", "--replication-factor", "0"],
    )
    .await;
    assert_output(&out, 1, "Error while executing topic command : The replication factor must be between 1 and 32767 inclusive\n", "");
    let out = topics(
        &broker,
        &["--create", "--topic", "x", "--config", "retention.ms"],
    )
    .await;
    assert_output(&out, 1, "Error while executing topic command : requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".\n", "");
    let out = topics(
        &broker,
        &["--create", "--topic", "x", "--replication-factor", "3"],
    )
    .await;
    assert_output(&out, 1, "Error while executing topic command : Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.\n", "");
    let out = topics(&broker, &["--create", "--topic", "a b"]).await;
    assert_output(&out, 1, "Error while executing topic command : Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'\n", "");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_in_apaches_order() {
    let broker = TestBroker::start().await;
    let out = topics(&broker, &["--list", "--describe"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with(
        "Command must include exactly one action: --list, --describe, --create, --alter or --delete\nOption"
    ));
    let out = run(vec!["--list".into()]).await;
    assert_output(&out, 1, "", "--bootstrap-server must be specified\n");
    let out = topics(&broker, &["--create"]).await;
    assert!(text(&out.stderr).starts_with("Missing required argument \"[topic]\"\n"));
    let out = topics(&broker, &["--alter", "--topic", "t", "--config", "a=b"]).await;
    assert!(text(&out.stderr).starts_with("Option combination \"[[bootstrap-server], [config]]\" can't be used with option \"[alter]\" (To alter topic configurations, the kafka-configs tool can be used.)\n"));
    let out = topics(&broker, &["--list", "--partitions", "2"]).await;
    assert!(text(&out.stderr)
        .starts_with("Option \"[partitions]\" can't be used with option \"[list]\"\n"));
    let out = topics(&broker, &["--list", "--bogus"]).await;
    assert_output(&out, 1, "", "bogus is not a recognized option\n");
    let out = topics(
        &broker,
        &["--create", "--topic", "t", "--partitions", "abc"],
    )
    .await;
    // jopt-simple converts a value when the action reads it: an action error (Apache 4.4).
    assert_output(
        &out,
        1,
        "Error while executing topic command : Cannot parse argument 'abc' of option partitions\n",
        "",
    );
    let out = run(vec![]).await;
    assert!(text(&out.stderr).starts_with("Create, delete, describe, or change a topic.\nOption"));
    let out = run(vec!["--version".into()]).await;
    assert_output(&out, 0, &format!("{}\n", env!("CARGO_PKG_VERSION")), "");
    // Single-dash long options and stray words, as jopt-simple allows.
    assert_output(&topics(&broker, &["-list", "junk"]).await, 0, "\n", "");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_broker_fails_fast_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let out = run(vec![
        "--bootstrap-server".into(),
        addr.clone(),
        "--list".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&addr), "{}", text(&out.stdout));
}
