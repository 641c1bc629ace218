//! Load: a dozen producer and a dozen consumer processes (kcat and confluent-kafka) against one
//! `kafka-server-start` at once. Every producer must be acknowledged for every record, every
//! full reader must see each record exactly once, slow consumers must not hold producers back,
//! and the broker's resident memory must stay bounded. CI runs one round; `scripts/soak` sets
//! `KAFKIT_SOAK_SECONDS` to repeat rounds (with fresh topics) for that long.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use super::server::ServerProcess;
use super::{kcat_read, try_create_topic};
use crate::common::RawClient;
use crate::interop::peers::{self, PEER_TIMEOUT};

/// Set by `scripts/soak`: keep starting rounds until this many seconds have passed.
pub const SOAK_ENV: &str = "KAFKIT_SOAK_SECONDS";
const PARTITIONS: i32 = 6;
const KCAT_PRODUCERS: usize = 6;
const PY_PRODUCERS: usize = 6;
const RECORDS_PER_PRODUCER: usize = 5000;
const KCAT_READERS: usize = 6;
const PY_READERS: usize = 3;
/// Slow consumers: a sleep per record keeps them far behind for the whole round.
const SLOW_READERS: usize = 3;
const SLOW_MS: &str = "2";
/// The broker's resident memory must stay below this during the load.
const RSS_LIMIT_KIB: u64 = 256 * 1024;
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(100);

fn total() -> usize {
    (KCAT_PRODUCERS + PY_PRODUCERS) * RECORDS_PER_PRODUCER
}

#[tokio::test(flavor = "multi_thread")]
async fn dozens_of_peer_processes_lose_and_duplicate_nothing() {
    let test = "dozens_of_peer_processes_lose_and_duplicate_nothing";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let soak = std::env::var(SOAK_ENV)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    // The soak runs as long as it was asked to; the watchdog bounds the CI round only.
    let _watchdog = soak.is_none().then(|| peers::Watchdog::arm(test));
    let data = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(data.path(), &[]).await;
    let pid = server.pid().expect("pid");
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::SeqCst) {
                if let Some(rss) = rss_kib(pid) {
                    peak.fetch_max(rss, Ordering::SeqCst);
                }
                tokio::time::sleep(RSS_SAMPLE_EVERY).await;
            }
        })
    };
    let started = Instant::now();
    let mut round = 0;
    loop {
        run_round(&python, &kcat, server.addr, round).await;
        round += 1;
        let peak_now = peak.load(Ordering::SeqCst);
        eprintln!(
            "{test}: round {round} done after {:?}; broker peak RSS {peak_now} KiB",
            started.elapsed()
        );
        assert!(
            peak_now < RSS_LIMIT_KIB,
            "broker RSS peaked at {peak_now} KiB (limit {RSS_LIMIT_KIB})"
        );
        if soak.is_none_or(|d| started.elapsed() >= d) {
            break;
        }
    }
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.await;
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn spawn(command: &mut Command, what: &str) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"))
}

async fn finished(child: Child, what: &str) -> String {
    let out = tokio::time::timeout(PEER_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} still running after {PEER_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn run_round(python: &Path, kcat: &PathBuf, addr: SocketAddr, round: usize) {
    let topic = format!("load-{round}");
    let mut admin = RawClient::connect(addr).await;
    assert_eq!(
        try_create_topic(&mut admin, &topic, PARTITIONS, &[]).await,
        Some(0)
    );
    let bootstrap = addr.to_string();
    let expect = total().to_string();

    let mut readers = Vec::new();
    for i in 0..KCAT_READERS {
        let child = spawn(
            Command::new(kcat)
                .args(["-b", &bootstrap, "-C", "-t", &topic, "-o", "beginning"])
                .args(["-c", &expect, "-q", "-f", "%s\\n"])
                .stdin(Stdio::null()),
            "kcat -C",
        );
        readers.push((format!("kcat reader {i}"), child, true));
    }
    for i in 0..PY_READERS + SLOW_READERS {
        let slow = i >= PY_READERS;
        let mut command = peers::python_command(python, "load.py");
        command
            .args(["consume", "--bootstrap", &bootstrap, "--topic", &topic])
            .args(["--expect", &expect])
            .stdin(Stdio::null());
        if slow {
            command.args(["--slow-ms", SLOW_MS]);
        }
        let child = spawn(&mut command, "load.py consume");
        readers.push((format!("confluent reader {i}"), child, !slow));
    }

    let mut producers = Vec::new();
    for i in 0..KCAT_PRODUCERS {
        let mut child = spawn(
            Command::new(kcat)
                .args(["-b", &bootstrap, "-P", "-t", &topic])
                .args(["-X", "acks=all", "-X", "enable.idempotence=true"])
                .stdin(Stdio::piped()),
            "kcat -P",
        );
        let mut stdin = child.stdin.take().expect("stdin piped");
        let lines: String = (0..RECORDS_PER_PRODUCER)
            .map(|n| format!("kcat{i}-{n}\n"))
            .collect();
        producers.push((
            format!("kcat producer {i}"),
            child,
            Some(tokio::spawn(async move {
                let _ = stdin.write_all(lines.as_bytes()).await;
            })),
        ));
    }
    for i in 0..PY_PRODUCERS {
        let child = spawn(
            peers::python_command(python, "load.py")
                .args(["produce", "--bootstrap", &bootstrap, "--topic", &topic])
                .args(["--name", &format!("py{i}")])
                .args(["--count", &RECORDS_PER_PRODUCER.to_string()])
                .stdin(Stdio::null()),
            "load.py produce",
        );
        producers.push((format!("confluent producer {i}"), child, None));
    }
    for (what, child, feeder) in producers {
        if let Some(feeder) = feeder {
            let _ = feeder.await;
        }
        finished(child, &what).await;
    }
    // Every producer is done while the slow readers are still far behind: they held no one up.
    for (what, child, full) in readers {
        if !full {
            drop(child);
            continue;
        }
        let out = finished(child, &what).await;
        if what.starts_with("kcat") {
            let values: Vec<&str> = out.lines().collect();
            let distinct: HashSet<&str> = values.iter().copied().collect();
            assert_eq!(values.len(), total(), "{what} read count");
            assert_eq!(distinct.len(), total(), "{what}: duplicates");
        } else {
            let result = peers::result_of(&out).unwrap_or_else(|| panic!("{what}: no RESULT"));
            assert_eq!(result["distinct"], total(), "{what}: {result}");
        }
    }
    let read = kcat_read(kcat, addr, &topic).await;
    let got: HashSet<String> = read.into_iter().map(|r| r.value).collect();
    let want: HashSet<String> = (0..KCAT_PRODUCERS)
        .flat_map(|i| (0..RECORDS_PER_PRODUCER).map(move |n| format!("kcat{i}-{n}")))
        .chain(
            (0..PY_PRODUCERS)
                .flat_map(|i| (0..RECORDS_PER_PRODUCER).map(move |n| format!("py{i}-{n}"))),
        )
        .collect();
    assert_eq!(got.len(), want.len(), "records in {topic}");
    assert!(
        got == want,
        "{topic} holds other records than were produced"
    );
}
