//! Apache Kafka 4.4's own kafka-console-consumer and ours, same arguments, same broker (the
//! in-process one), same records: stdout must be byte-identical for every formatter property,
//! and usage errors must print the same first line with the same exit code. Skipped with a note
//! unless Apache Kafka is prepared (`scripts/fetch-apache`); `KAFKIT_REQUIRE_INTEROP=1` makes
//! that a failure.

use kafka_protocol::records::Compression;

use super::*;
use crate::common::apache::{apache, ApacheTool};
use crate::common::golden::{run_captured, ToolOutput};

async fn ours(args: &[&str]) -> ToolOutput {
    let mut command = std::process::Command::new(BIN);
    command.args(args);
    run_captured(command, None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn formatter_output_matches_apache() {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "golden", 1).await;
    let records = [
        Rec::keyed("k1", "v1")
            .header("h1", Some("x"))
            .header("h2", None),
        Rec::value("v2"),
        Rec {
            key: Some(b"k3".to_vec()),
            ..Rec::default()
        },
        Rec::keyed("ünï", "cödé\ttab").header("ключ", Some("значение")),
    ];
    produce(
        &mut client,
        "golden",
        0,
        batch(&records, now_ms(), Compression::Snappy),
    )
    .await;
    let bootstrap = broker.addr.to_string();
    // Assign mode (no group): Apache's run then does not wait for a rebalance.
    let base = [
        "--bootstrap-server",
        bootstrap.as_str(),
        "--topic",
        "golden",
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        "4",
    ];
    let property_sets: &[&[&str]] = &[
        &[],
        &[
            "print.timestamp=true",
            "print.partition=true",
            "print.offset=true",
            "print.headers=true",
            "print.key=true",
        ],
        &[
            "print.headers=true",
            "print.key=true",
            "print.value=false",
            "key.separator= | ",
            "line.separator=;",
            "headers.separator=&",
            "null.literal=<null>",
            "print.delivery=true",
            "print.epoch=true",
        ],
        &[
            "print.key=true",
            "key.deserializer=org.apache.kafka.common.serialization.BytesDeserializer",
            "value.deserializer=org.apache.kafka.common.serialization.StringDeserializer",
        ],
    ];
    for properties in property_sets {
        let mut args = base.to_vec();
        for p in *properties {
            args.extend(["--formatter-property", p]);
        }
        let theirs = apache.run_tool(ApacheTool::ConsoleConsumer, &args).await;
        let mine = ours(&args).await;
        assert_eq!(
            (theirs.code, &theirs.stdout),
            (mine.code, &mine.stdout),
            "stdout differs:\n=== Apache\n{theirs}\n=== ours\n{mine}"
        );
        assert!(
            mine.stderr.ends_with("Processed a total of 4 messages\n")
                && theirs.stderr.ends_with("Processed a total of 4 messages\n"),
            "=== Apache\n{theirs}\n=== ours\n{mine}"
        );
    }

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
            "--formatter",
            "a.B",
        ],
        &["--topic", "t"],
    ];
    for args in usage_errors {
        let theirs = apache.run_tool(ApacheTool::ConsoleConsumer, args).await;
        let mine = ours(args).await;
        assert_eq!(
            (theirs.code, theirs.stderr.lines().next()),
            (mine.code, mine.stderr.lines().next()),
            "=== Apache\n{theirs}\n=== ours\n{mine}"
        );
    }
}
