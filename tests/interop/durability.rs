//! Acknowledged data survives a clean restart of the in-process broker, and a `kill -9` of a real
//! `kafka-server-start` process in the middle of an idempotent acks=all load. The writer is
//! confluent-kafka (`py/durability.py`), which prints each acknowledgement as it arrives; the
//! reader, after the restart, checks every acknowledged record at its partition and offset.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::peers::{self, tail, PEER_TIMEOUT};
use super::{bootstrap, create_topic};
use crate::common::TestBroker;

const TOPIC: &str = "durable";
const PARTITIONS: i32 = 3;
/// Records produced before the clean restart.
const RESTART_RECORDS: u64 = 5000;
/// Acknowledgements to wait for before the broker is killed: enough that many batches in every
/// partition are on disk and more are in flight.
const KILL_AFTER_ACKS: usize = 4000;
/// Upper bound on what the crash-test producer would send if never interrupted.
const CRASH_PRODUCE_LIMIT: u64 = 1_000_000;
const SERVER_BIN: &str = env!("CARGO_BIN_EXE_kafka-server-start");
const LOOPBACK_PREFIX: &str = "127.0.0.1:";

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
    let mut server = ServerProcess::start(data.path()).await;
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
        tail(&stderr_text(&stderr), 30),
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

    let restarted = ServerProcess::start(data.path()).await;
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

type Lines = Arc<Mutex<Vec<String>>>;

/// Collects a child's output stream in the background, so a full pipe never blocks the child.
fn drain<R: AsyncRead + Unpin + Send + 'static>(stream: R) -> Lines {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if let Ok(mut sink) = sink.lock() {
                sink.push(line);
            }
        }
    });
    lines
}

fn stderr_text(lines: &Lines) -> String {
    lines.lock().map(|l| l.join("\n")).unwrap_or_default()
}

/// A real `kafka-server-start` process on `127.0.0.1:0`, killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: Lines,
}

impl ServerProcess {
    /// Starts the server on `log_dir` and waits for its start-up log to name the bound port.
    async fn start(log_dir: &Path) -> ServerProcess {
        let mut child = Command::new(SERVER_BIN)
            .arg("--override")
            .arg(format!("log.dirs={}", log_dir.display()))
            .arg("--override")
            .arg(format!("listeners=PLAINTEXT://{LOOPBACK_PREFIX}0"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start kafka-server-start");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let log: Lines = Arc::default();
        for stream in [
            Box::new(child.stdout.take().expect("stdout piped"))
                as Box<dyn AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().expect("stderr piped")),
        ] {
            let tx = tx.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut log) = log.lock() {
                        log.push(line.clone());
                    }
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let found = tokio::time::timeout(PEER_TIMEOUT, async {
            while let Some(line) = rx.recv().await {
                if let Some(addr) = bound_address(&line) {
                    return Some(addr);
                }
            }
            None
        })
        .await;
        let server_log = log.lock().map(|l| l.join("\n")).unwrap_or_default();
        match found {
            Ok(Some(addr)) => ServerProcess { child, addr, log },
            Ok(None) => panic!(
                "kafka-server-start exited ({:?}) without naming a bound port:\n{server_log}",
                child.try_wait()
            ),
            Err(_) => {
                panic!("kafka-server-start named no bound port in {PEER_TIMEOUT:?}:\n{server_log}")
            }
        }
    }

    async fn kill_9(&mut self) {
        self.child.start_kill().expect("SIGKILL the server");
        let _ = self.child.wait().await;
    }

    fn log_tail(&self) -> String {
        tail(&stderr_text(&self.log), 30)
    }
}

/// The first `127.0.0.1:<port>` with a non-zero port in a start-up log line (port 0 is the
/// configured listener echoed back, not the bound one).
fn bound_address(line: &str) -> Option<SocketAddr> {
    line.match_indices(LOOPBACK_PREFIX).find_map(|(at, _)| {
        let digits: String = line[at + LOOPBACK_PREFIX.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let port: u16 = digits.parse().ok().filter(|&p| p != 0)?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    })
}

#[test]
fn bound_address_skips_the_configured_port_zero() {
    let configured = "[2026-01-01 00:00:00,000] INFO listeners = PLAINTEXT://127.0.0.1:0 (x)";
    assert_eq!(bound_address(configured), None);
    let bound = "[..] INFO Awaiting socket connections on 127.0.0.1:40123. (kafkit.broker)";
    assert_eq!(
        bound_address(bound),
        Some(SocketAddr::from(([127, 0, 0, 1], 40123)))
    );
}
