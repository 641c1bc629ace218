//! How a run ends: `--max-messages` (including Apache's -1 and non-positive values), the idle
//! `--timeout-ms`, a closed stdout pipe, SIGINT and SIGTERM, `--enable-systest-events`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use kafka_protocol::records::Compression;

use super::*;

async fn numbered(broker: &TestBroker, topic: &str, count: usize) {
    let mut client = broker.connect().await;
    create_topic(&mut client, topic, 1).await;
    let records: Vec<Rec> = (0..count).map(|i| Rec::value(&format!("m{i}"))).collect();
    for chunk in records.chunks(1000) {
        produce(
            &mut client,
            topic,
            0,
            batch(chunk, now_ms(), Compression::None),
        )
        .await;
    }
}

fn expected(range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("m{i}\n")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn max_messages_and_the_idle_timeout() {
    let broker = TestBroker::start().await;
    numbered(&broker, "m", 5).await;
    let out = consume(
        &broker,
        &["--topic", "m", "--from-beginning", "--max-messages", "2"],
    )
    .await;
    assert_consumed(&out, &expected(0..2), 2);
    assert_eq!(text(&out.stderr), "Processed a total of 2 messages\n");
    // -1 is "unlimited" (Apache's sentinel); the idle timeout ends the run.
    let out = consume(
        &broker,
        &[
            "--topic",
            "m",
            "--from-beginning",
            "--max-messages",
            "-1",
            "--timeout-ms",
            "1000",
        ],
    )
    .await;
    assert_consumed(&out, &expected(0..5), 5);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("] ERROR Error processing message, terminating consumer process:  (org.apache.kafka.tools.consumer.ConsoleConsumer)\norg.apache.kafka.common.errors.TimeoutException\nProcessed a total of 5 messages\n"),
        "{stderr}"
    );
    // Zero or another negative number: nothing is consumed.
    for max in ["0", "-5"] {
        let out = consume(
            &broker,
            &["--topic", "m", "--from-beginning", "--max-messages", max],
        )
        .await;
        assert_consumed(&out, "", 0);
    }
    // A negative timeout means no timeout: max-messages ends this one.
    let out = consume(
        &broker,
        &[
            "--topic",
            "m",
            "--from-beginning",
            "--max-messages",
            "5",
            "--timeout-ms",
            "-1",
        ],
    )
    .await;
    assert_consumed(&out, &expected(0..5), 5);
    // Systest events: shutdown_complete on stdout after the run.
    let out = consume(
        &broker,
        &[
            "--topic",
            "m",
            "--from-beginning",
            "--max-messages",
            "1",
            "--enable-systest-events",
        ],
    )
    .await;
    assert_consumed(&out, "m0\nshutdown_complete\n", 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_quietly() {
    let broker = TestBroker::start().await;
    numbered(&broker, "pipe", 20_000).await;
    let script = format!(
        "'{BIN}' --bootstrap-server {} --topic pipe --from-beginning 2>\"$ERR\" | head -1; echo \"${{PIPESTATUS[0]}}\"",
        broker.addr
    );
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr");
    let err_path = err.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-c", &script])
            .env("ERR", &err_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(text(&out.stdout), "m0\n0\n");
    let stderr = std::fs::read_to_string(err).unwrap();
    assert!(
        stderr.starts_with(
            "Unable to write to standard out, closing consumer.\nProcessed a total of "
        ),
        "{stderr}"
    );
}

/// Starts a consumer on `topic`, waits for its first line, sends `signal`, returns the output.
async fn interrupted(broker: &TestBroker, topic: &str, signal: &'static str) -> (Output, String) {
    let addr = broker.addr.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args([
                "--bootstrap-server",
                &addr,
                "--topic",
                &topic,
                "--from-beginning",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let output = child.wait_with_output().unwrap();
        (output, first + &rest)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_end_cleanly() {
    let broker = TestBroker::start().await;
    numbered(&broker, "sig", 3).await;
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let (out, stdout) = interrupted(&broker, "sig", signal).await;
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
        assert_eq!(stdout, expected(0..3));
        assert_eq!(text(&out.stderr), "Processed a total of 3 messages\n");
    }
}
