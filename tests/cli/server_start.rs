//! `kafka-server-start` as a process: start-up on port 0, serving, SIGTERM/SIGINT shutdown with the
//! clean-shutdown marker, restart identity, configuration errors and warnings, Apache's stock
//! `server.properties`, `-daemon`, and the log-directory lock.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};

use crate::common::RawClient;

const BIN: &str = env!("CARGO_BIN_EXE_kafka-server-start");
/// An upper bound on waiting for the broker; reaching it means it hung, not that it was slow.
const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);
const ADDRESS_LINE: &str = "Awaiting socket connections on ";
const STARTED_LINE: &str = "] started";
const CLEAN_SHUTDOWN_MARKER: &str = ".kafka_cleanshutdown";

/// A `kafka-server-start` process whose stdout and stderr lines are collected as they arrive.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(args: &[String]) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kafka-server-start");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for (stream, prefix) in [
            (Box::new(stdout) as Box<dyn std::io::Read + Send>, ""),
            (Box::new(stderr), "stderr: "),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(format!("{prefix}{line}"));
                }
            });
        }
        Server {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Returns the first line containing `needle`, waiting for it if it has not arrived yet.
    fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits until the broker has started and returns the address it reported.
    fn started(&mut self) -> SocketAddr {
        let line = self.wait_for(ADDRESS_LINE);
        self.wait_for(STARTED_LINE);
        address_in(&line)
    }

    fn signal(&self, name: &str) {
        send_signal(self.child.id(), name);
    }

    /// Waits for the process to exit, collecting the rest of its output.
    fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "kafka-server-start did not exit");
            std::thread::sleep(POLL);
        };
        // The reader threads end at EOF, which follows the exit.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        status
    }

    fn output(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn send_signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// The address in an `Awaiting socket connections on ADDR. (...)` line.
fn address_in(line: &str) -> SocketAddr {
    let rest = &line[line.find(ADDRESS_LINE).expect("address line") + ADDRESS_LINE.len()..];
    let addr = rest.split(". ").next().unwrap();
    addr.parse()
        .unwrap_or_else(|_| panic!("not an address: {addr} in {line}"))
}

/// `--override` arguments for a free loopback port and `dir` as the log directory.
fn isolated(dir: &Path) -> Vec<String> {
    vec![
        "--override".into(),
        "listeners=PLAINTEXT://127.0.0.1:0".into(),
        format!("--override=log.dirs={}", dir.display()),
    ]
}

fn cluster_id_in(line: &str) -> String {
    line.split("cluster id ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("cluster id")
        .to_string()
}

fn stored_cluster_id(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("meta.properties")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("cluster.id="))
        .expect("cluster.id in meta.properties")
        .to_string()
}

#[tokio::test]
async fn serves_until_sigterm_and_restarts_with_the_same_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&isolated(&data));
    let addr = server.started();
    let cluster_id = cluster_id_in(&server.wait_for("cluster id "));
    assert!(server
        .output()
        .contains(&format!("log dir {}", data.display())));

    let mut client = RawClient::connect(addr).await;
    assert_eq!(
        client
            .send(ApiVersionsRequest::default(), 0)
            .await
            .error_code,
        0
    );
    let metadata = client.send(MetadataRequest::default(), 12).await;
    assert_eq!(metadata.brokers.len(), 1);
    assert_eq!(metadata.brokers[0].host.as_str(), "127.0.0.1");
    assert_eq!(metadata.brokers[0].port, i32::from(addr.port()));
    assert_eq!(metadata.cluster_id.as_deref(), Some(cluster_id.as_str()));
    drop(client);

    server.signal("TERM");
    assert!(server.exit().success(), "{}", server.output());
    assert!(data.join(CLEAN_SHUTDOWN_MARKER).exists());
    assert_eq!(stored_cluster_id(&data), cluster_id);

    let mut again = Server::start(&isolated(&data));
    again.started();
    assert_eq!(cluster_id_in(&again.wait_for("cluster id ")), cluster_id);
    assert!(
        !again.output().contains("No clean shutdown marker"),
        "{}",
        again.output()
    );
    again.signal("INT");
    assert!(again.exit().success(), "{}", again.output());
    assert!(data.join(CLEAN_SHUTDOWN_MARKER).exists());
}

#[test]
fn malformed_value_fails_naming_key_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = isolated(tmp.path());
    args.push("--override".into());
    args.push("num.partitions=abc".into());
    let mut server = Server::start(&args);
    let status = server.exit();
    assert!(!status.success());
    let message = "Invalid value abc for configuration num.partitions: Not a number of type INT";
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.starts_with("stderr: ") && l.contains(message)),
        "{}",
        server.output()
    );
    assert!(!server.output().contains(STARTED_LINE));
}

#[test]
fn properties_syntax_errors_name_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("broken.properties");
    std::fs::write(&file, "num.partitions=1\nbad=\\uZZZZ\n").unwrap();
    let mut args = vec![file.display().to_string()];
    args.extend(isolated(tmp.path()));
    let mut server = Server::start(&args);
    assert!(!server.exit().success());
    let expected = format!("{}, line 2: Malformed \\uxxxx encoding", file.display());
    assert!(server.output().contains(&expected), "{}", server.output());
}

#[test]
fn ssl_listener_without_key_store_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let args = vec![
        "--override".to_string(),
        "listeners=SSL://127.0.0.1:0".to_string(),
        format!("--override=log.dirs={}", tmp.path().display()),
    ];
    let mut server = Server::start(&args);
    assert!(!server.exit().success());
    assert!(
        server
            .output()
            .contains("uses security protocol SSL but no key store is configured"),
        "{}",
        server.output()
    );
}

#[test]
fn unknown_key_warns_and_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = isolated(tmp.path());
    args.push("--override=no.such.key=1".into());
    let mut server = Server::start(&args);
    server.wait_for("WARN The configuration 'no.such.key' was supplied but isn't a known config.");
    server.started();
    // A hang-up (terminal closed) also shuts a foreground broker down cleanly.
    server.signal("HUP");
    assert!(server.exit().success(), "{}", server.output());
    assert!(tmp.path().join(CLEAN_SHUTDOWN_MARKER).exists());
}

#[tokio::test]
async fn apache_stock_server_properties_starts_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("server.properties");
    std::fs::write(&file, include_str!("apache-server.properties")).unwrap();
    let data = tmp.path().join("kraft-combined-logs");
    // Only the port and the directory differ from the stock file, so tests stay hermetic; the
    // CONTROLLER listener is kept and must be ignored for serving.
    let args = vec![
        file.display().to_string(),
        "--override".into(),
        "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://:9093".into(),
        "--override".into(),
        "advertised.listeners=PLAINTEXT://localhost:0,CONTROLLER://localhost:9093".into(),
        "--override".into(),
        format!("log.dirs={}", data.display()),
    ];
    let mut server = Server::start(&args);
    let addr = server.started();
    let output = server.output();
    assert!(!output.contains("WARN"), "{output}");
    assert!(!output.contains("stderr:"), "{output}");
    assert_eq!(output.matches(ADDRESS_LINE).count(), 1, "{output}");

    let mut client = RawClient::connect(addr).await;
    let metadata = client.send(MetadataRequest::default(), 12).await;
    assert_eq!(metadata.brokers[0].host.as_str(), "localhost");
    assert_eq!(metadata.brokers[0].port, i32::from(addr.port()));
    assert_eq!(metadata.brokers[0].node_id.0, 1);
    drop(client);

    server.signal("TERM");
    assert!(server.exit().success(), "{}", server.output());
}

#[test]
fn second_broker_on_the_same_directory_fails_on_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = Server::start(&isolated(tmp.path()));
    first.started();

    let mut second = Server::start(&isolated(tmp.path()));
    assert!(!second.exit().success());
    let expected = format!(
        "Failed to acquire lock on file .lock in {}. A Kafka instance in another process or thread is using this directory.",
        tmp.path().display()
    );
    assert!(second.output().contains(&expected), "{}", second.output());

    first.signal("TERM");
    assert!(first.exit().success(), "{}", first.output());
}

#[test]
fn port_in_use_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = Server::start(&isolated(&tmp.path().join("a")));
    let addr = first.started();

    let args = vec![
        format!("--override=listeners=PLAINTEXT://{addr}"),
        format!("--override=log.dirs={}", tmp.path().join("b").display()),
    ];
    let mut second = Server::start(&args);
    assert!(!second.exit().success());
    let expected = format!("Socket server failed to bind to {addr}: ");
    assert!(second.output().contains(&expected), "{}", second.output());

    first.signal("TERM");
    assert!(first.exit().success(), "{}", first.output());
}

/// Kills a detached broker if the test fails before stopping it.
struct DaemonGuard(Option<u32>);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// Polls `path` until it contains `needle`; returns the file's text.
fn wait_for_file_text(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} never appeared in {}:\n{text}",
            path.display()
        );
        std::thread::sleep(POLL);
    }
}

/// The process group of `pid`, from `/proc/<pid>/stat` (fields after the command name: state,
/// ppid, pgrp).
fn process_group(pid: u32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 1..];
    after_name
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn daemon_detaches_and_writes_the_log_file_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let logs = tmp.path().join("logs");
    let output = Command::new(BIN)
        .arg("-daemon")
        .args(isolated(&data))
        .env("LOG_DIR", &logs)
        .stdin(Stdio::null())
        .output()
        .expect("run kafka-server-start -daemon");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{stdout}");
    let pid: u32 = stdout
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout}"));
    let guard = DaemonGuard(Some(pid));
    let out_file: PathBuf = logs.join("kafkaServer.out");
    assert!(
        stdout.trim_end().ends_with(&out_file.display().to_string()),
        "{stdout}"
    );

    let text = wait_for_file_text(&out_file, STARTED_LINE);
    assert_eq!(
        process_group(pid),
        pid,
        "the daemon leads its own process group"
    );
    // Detached as under nohup: a hang-up is ignored.
    send_signal(pid, "HUP");
    wait_for_file_text(&out_file, "Ignoring SIGHUP");
    let line = text.lines().find(|l| l.contains(ADDRESS_LINE)).unwrap();
    let mut client = RawClient::connect(address_in(line)).await;
    assert_eq!(
        client
            .send(ApiVersionsRequest::default(), 0)
            .await
            .error_code,
        0
    );
    drop(client);

    send_signal(pid, "TERM");
    wait_for_file_text(&out_file, "Shut down completed");
    let deadline = Instant::now() + PATIENCE;
    while !data.join(CLEAN_SHUTDOWN_MARKER).exists() {
        assert!(Instant::now() < deadline, "no clean-shutdown marker");
        std::thread::sleep(POLL);
    }
    drop(guard);
}

#[test]
fn help_exits_zero_with_apache_usage() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "kafka-server-start [-daemon] [server.properties] [--override property=value]..."
        ),
        "{stdout}"
    );
}
