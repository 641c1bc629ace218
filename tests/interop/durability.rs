//! Acknowledged data survives a clean restart of the in-process broker, and a `kill -9` of a real
//! `kafka-server-start` process in the middle of an idempotent acks=all load. The writer is
//! confluent-kafka (`py/durability.py`), which prints each acknowledgement as it arrives; the
//! reader, after the restart, checks every acknowledged record at its partition and offset.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::peers::{self, tail, PEER_TIMEOUT};
use super::{bootstrap, create_topic};
use crate::common::TestBroker;
use crate::reliability::server::{drain, text_of, ServerProcess};

const TOPIC: &str = "durable";
const PARTITIONS: i32 = 3;
/// Records produced before the clean restart.
const RESTART_RECORDS: u64 = 5000;
/// Acknowledgements to wait for before the broker is killed: enough that many batches in every
/// partition are on disk and more are in flight.
const KILL_AFTER_ACKS: usize = 4000;
/// Upper bound on what the crash-test producer would send if never interrupted.
const CRASH_PRODUCE_LIMIT: u64 = 1_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_records_survive_a_clean_restart() {
    let test = "acknowledged_records_survive_a_clean_restart";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    create_topic(broker.addr, TOPIC, PARTITIONS, &[]).await;
    let count = RESTART_RECORDS.to_string();
    let produced = peers::run(
        peers::python_command(&python, "durability.py").args([
            "produce",
            "--bootstrap",
            &bootstrap(broker.addr),
            "--topic",
            TOPIC,
            "--count",
            &count,
        ]),
        "durability.py produce",
    )
    .await
    .expect_success("durability.py produce");
    let summary = peers::result_of(&produced.stdout).expect("produce RESULT line");
    assert_eq!(summary["acked"], RESTART_RECORDS, "{summary}");

    let (config, _keep_dir) = broker.stop().await;
    let broker = TestBroker::start_in(config).await;
    let acked = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(acked.path(), &produced.stdout).expect("write acks");
    let result = verify(&python, broker.addr, acked.path()).await;
    assert_eq!(result["read"], RESTART_RECORDS, "{result}");
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_records_survive_kill_9_of_the_server_process() {
    let test = "acknowledged_records_survive_kill_9_of_the_server_process";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(data.path(), &[]).await;
    create_topic(server.addr, TOPIC, PARTITIONS, &[]).await;

    let limit = CRASH_PRODUCE_LIMIT.to_string();
    let mut producer = peers::python_command(&python, "durability.py")
        .args([
            "produce",
            "--bootstrap",
            &bootstrap(server.addr),
            "--topic",
            TOPIC,
            "--count",
            &limit,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start durability.py produce");
    let stderr = drain(producer.stderr.take().expect("stderr piped"));
    let mut stdout = BufReader::new(producer.stdout.take().expect("stdout piped")).lines();
    let mut acks = String::new();
    let mut acked = 0;
    let reached = tokio::time::timeout(PEER_TIMEOUT, async {
        while let Ok(Some(line)) = stdout.next_line().await {
            acked += usize::from(line.starts_with("ACK "));
            acks.push_str(&line);
            acks.push('\n');
            if acked >= KILL_AFTER_ACKS {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        reached == Ok(true),
        "producer stopped or stalled after {acked} acks:\n{}\nserver log:\n{}",
        tail(&text_of(&stderr), 30),
        server.log_tail()
    );

    // The crash: no clean shutdown, no flush the broker chose to do.
    server.kill_9().await;
    producer.start_kill().expect("kill producer");
    // Acknowledgements already printed before the producer died still count.
    while let Ok(Some(line)) = stdout.next_line().await {
        acked += usize::from(line.starts_with("ACK "));
        acks.push_str(&line);
        acks.push('\n');
    }
    let _ = producer.wait().await;

    let restarted = ServerProcess::start(data.path(), &[]).await;
    let acked_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(acked_file.path(), &acks).expect("write acks");
    let result = verify(&python, restarted.addr, acked_file.path()).await;
    let read = result["read"].as_u64().unwrap_or(0);
    assert!(
        read >= acked as u64,
        "read {read} < {acked} acknowledged: {result}"
    );
    eprintln!("{test}: killed after {acked} acknowledgements; after restart: {result}");
}

async fn verify(python: &Path, addr: SocketAddr, acked: &Path) -> serde_json::Value {
    let acked = acked.to_string_lossy().into_owned();
    peers::run_script(
        python,
        "durability.py",
        [
            "verify",
            "--bootstrap",
            &bootstrap(addr),
            "--topic",
            TOPIC,
            "--acked",
            &acked,
        ],
    )
    .await
}
