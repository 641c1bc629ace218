//! A real `kafka-server-start` process on `127.0.0.1:0` for crash, corruption and load tests:
//! started with `--override`s, its log collected, its memory read from `/proc`, and ended with
//! `kill -9` (a crash) or SIGTERM (a clean shutdown). Owns process handling only.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::interop::peers::{tail, PEER_TIMEOUT};

const SERVER_BIN: &str = env!("CARGO_BIN_EXE_kafka-server-start");
const LOOPBACK_PREFIX: &str = "127.0.0.1:";
/// Lines of server log shown in a failure message.
const LOG_TAIL_LINES: usize = 40;
/// How long a SIGTERM'd server gets to shut down cleanly.
const CLEAN_STOP_TIMEOUT: Duration = Duration::from_secs(30);
const LOG_WAIT: Duration = Duration::from_secs(10);
const LOG_POLL: Duration = Duration::from_millis(20);

pub type Lines = Arc<Mutex<Vec<String>>>;

/// Collects a child's output stream in the background, so a full pipe never blocks the child.
pub fn drain<R: AsyncRead + Unpin + Send + 'static>(stream: R) -> Lines {
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

pub fn text_of(lines: &Lines) -> String {
    lines.lock().map(|l| l.join("\n")).unwrap_or_default()
}

/// A running server process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    log: Lines,
}

impl ServerProcess {
    /// Starts the server on `log_dir` with extra `key=value` overrides and waits for its start-up
    /// log to name the bound port.
    pub async fn start(log_dir: &Path, overrides: &[&str]) -> ServerProcess {
        let mut command = Command::new(SERVER_BIN);
        command
            .arg("--override")
            .arg(format!("log.dirs={}", log_dir.display()))
            .arg("--override")
            .arg(format!("listeners=PLAINTEXT://{LOOPBACK_PREFIX}0"));
        for o in overrides {
            command.arg("--override").arg(o);
        }
        let mut child = command
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
        let server_log = text_of(&log);
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

    /// The crash: SIGKILL, no flush the broker chose to do.
    pub async fn kill_9(&mut self) {
        self.child.start_kill().expect("SIGKILL the server");
        let _ = self.child.wait().await;
    }

    /// A clean shutdown (SIGTERM), waiting for the process to exit 0.
    pub async fn stop(mut self) {
        let pid = self.pid().expect("server running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = tokio::time::timeout(CLEAN_STOP_TIMEOUT, self.child.wait())
            .await
            .expect("server stops after SIGTERM")
            .expect("wait for server");
        assert!(
            status.success(),
            "clean stop exited {status}:\n{}",
            self.log_tail()
        );
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory of the server process, in KiB (from `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    pub fn log_text(&self) -> String {
        text_of(&self.log)
    }

    /// Whether the server's log says `needle` within `LOG_WAIT`: its output is read by a
    /// separate task, so a line written just before a response may not be here yet.
    pub async fn log_says(&self, needle: &str) -> bool {
        let deadline = tokio::time::Instant::now() + LOG_WAIT;
        loop {
            if self.log_text().contains(needle) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(LOG_POLL).await;
        }
    }

    pub fn log_tail(&self) -> String {
        tail(&self.log_text(), LOG_TAIL_LINES)
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
