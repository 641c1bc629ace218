//! `kill -9` of a real `kafka-server-start` under mixed load, twice at different moments. Tiny
//! index files and a short `log.roll.ms` make segments roll every few batches, a topic with a
//! 1 ms `retention.ms` (its records carry 2024 timestamps) loses sealed segments on every
//! retention check, and loops create and delete topics and commit offsets throughout, so the kill
//! lands among rolls, deletions and commits. After each restart:
//!
//! - every record acknowledged to confluent-kafka (idempotent and plain acks=all), to our own
//!   producer and to kcat is at its acknowledged partition and offset, unchanged, exactly once;
//! - records under retention are either deleted by it (below the log start) or intact;
//! - committed offsets (a confluent-kafka group consumer's and raw OffsetCommits) are at least the
//!   last acknowledged ones, and no topic whose deletion was acknowledged comes back;
//! - the log accepts new writes at the next offset.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{GroupId, OffsetCommitRequest};
use kafkit::client::producer::{Delivery, Producer, ProducerConfig, Record};
use kafkit::client::{ClientConfig, Cluster};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

use super::server::{drain, ServerProcess};
use super::{
    committed, kcat_produce, kcat_read, s, topic_name, topic_names, try_create_topic,
    try_delete_topic,
};
use crate::common::RawClient;
use crate::interop::peers::{self, tail, PEER_TIMEOUT};

/// Overrides that make the log busy: an offset index of a few entries (an entry per batch)
/// rolls a segment every few batches, `log.roll.ms` rolls idle-ish ones, and retention runs
/// every few milliseconds.
const BUSY_LOG: &[&str] = &[
    "log.index.size.max.bytes=64",
    "log.index.interval.bytes=1",
    "log.roll.ms=200",
    "log.retention.check.interval.ms=20",
    "group.initial.rebalance.delay.ms=0",
];
const IDEMPOTENT: &str = "idem";
const PLAIN: &str = "plain";
const RETAINED: &str = "retained";
const OURS: &str = "ours";
const KCAT: &str = "kcatlog";
const PARTITIONS: i32 = 3;
const GROUP: &str = "crash-group";
const RAW_GROUP: &str = "raw-commits";
/// Acknowledgements of the idempotent producer to wait for before each kill: the two rounds
/// kill at different points of the load.
const KILL_AFTER_ACKS: [usize; 2] = [400, 1500];
/// Upper bound on what a producer would send if never interrupted.
const PRODUCE_LIMIT: &str = "1000000";
/// Records per kcat run (one run = one acknowledged unit).
const KCAT_RUN_RECORDS: usize = 40;
/// Our producer's records between pauses, so it does not outrun the others.
const OURS_PAUSE_EVERY: usize = 50;
const OURS_PAUSE: Duration = Duration::from_millis(5);
const OURS_PARTITIONS: i32 = 2;
/// How long our producer's `send` may wait for buffer space once the broker is gone.
const OURS_MAX_BLOCK: Duration = Duration::from_secs(2);
/// Acknowledgements every other load loop must have before a kill.
const MIN_PROGRESS: usize = 100;
/// How often the test looks at a producer's acknowledgement count.
const ACK_POLL: Duration = Duration::from_millis(10);
/// First record index of each round's Python producers (rounds must not reuse indexes).
const ROUND_INDEX_SPAN: usize = 10_000_000;

/// Acknowledged `(partition, offset) -> record index`.
type Acks = Arc<Mutex<BTreeMap<(i32, i64), u64>>>;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_mixed_load_keeps_every_acknowledgement() {
    let test = "kill_9_under_mixed_load_keeps_every_acknowledgement";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = ServerProcess::start(data.path(), BUSY_LOG).await;
    let mut admin = RawClient::connect(server.addr).await;
    // The Python producers' records carry 2024 timestamps: only RETAINED lets retention see them.
    let keep = &[("retention.ms", "-1")][..];
    for (name, partitions, configs) in [
        (IDEMPOTENT, PARTITIONS, keep),
        (PLAIN, PARTITIONS, keep),
        (RETAINED, PARTITIONS, &[("retention.ms", "1")][..]),
        (OURS, OURS_PARTITIONS, keep),
        (KCAT, 1, keep),
    ] {
        let code = try_create_topic(&mut admin, name, partitions, configs).await;
        assert_eq!(code, Some(0), "create {name}");
    }
    let mut acked_files = HashMap::new();
    let mut kcat_acked = 0usize;
    let ours_acks: Acks = Arc::default();
    let mut last_raw_commit = -1i64;
    let mut deleted_topics: Vec<String> = Vec::new();
    let mut live_churn: Vec<String> = Vec::new();
    let mut churn_base = 0usize;

    for (round, &kill_after) in KILL_AFTER_ACKS.iter().enumerate() {
        let addr = server.addr;
        let mut producers = Vec::new();
        for (topic, idempotence) in [(IDEMPOTENT, "true"), (PLAIN, "false"), (RETAINED, "true")] {
            producers.push((
                topic,
                Peer::start(peers::python_command(&python, "durability.py").args([
                    "produce",
                    "--bootstrap",
                    &addr.to_string(),
                    "--topic",
                    topic,
                    "--count",
                    PRODUCE_LIMIT,
                    "--idempotence",
                    idempotence,
                    "--start",
                    &(round * ROUND_INDEX_SPAN).to_string(),
                ])),
            ));
        }
        let committer = Peer::start(peers::python_command(&python, "committer.py").args([
            "--bootstrap",
            &addr.to_string(),
            "--group",
            GROUP,
            "--topic",
            IDEMPOTENT,
        ]));
        let stop = Arc::new(AtomicBool::new(false));
        let ours = {
            let (acks, stop) = (ours_acks.clone(), stop.clone());
            // Its send future is not Send: a thread of its own with a current-thread runtime.
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(produce_ours(addr, acks, round, stop))
            })
        };
        let kcat_progress = Arc::new(AtomicUsize::new(kcat_acked));
        let kcat_loop = tokio::spawn(kcat_runs(
            kcat.clone(),
            addr,
            stop.clone(),
            kcat_progress.clone(),
        ));
        let raw_commit = Arc::new(AtomicI64::new(last_raw_commit));
        let commits = tokio::spawn(commit_loop(addr, raw_commit.clone()));
        let churn_state: Arc<Mutex<Churn>> = Arc::default();
        let churn = tokio::spawn(churn_loop(addr, churn_base, churn_state.clone()));

        // Wait for the idempotent producer to reach this round's kill point, and for every other
        // loop to have had something acknowledged (Python start-up takes a while on busy CI).
        let ours_before = ours_acks.lock().expect("acks").len();
        for (i, (topic, producer)) in producers.iter_mut().enumerate() {
            let want = if i == 0 { kill_after } else { MIN_PROGRESS };
            let reached = producer.wait_for_acks(want).await;
            assert!(
                reached,
                "{topic} producer stalled before {want} acks:\n{}\nserver log:\n{}",
                producer.stderr_tail(),
                server.log_tail()
            );
        }
        let progressed = tokio::time::timeout(PEER_TIMEOUT, async {
            loop {
                let ours = ours_acks.lock().expect("acks").len();
                let deleted = churn_state.lock().expect("churn").deleted.len();
                if ours >= ours_before + MIN_PROGRESS
                    && kcat_progress.load(Ordering::SeqCst) > kcat_acked
                    && raw_commit.load(Ordering::SeqCst) > last_raw_commit
                    && deleted > 0
                    && committer.printed("COMMIT ")
                {
                    return;
                }
                tokio::time::sleep(ACK_POLL).await;
            }
        })
        .await;
        assert!(
            progressed.is_ok(),
            "a load loop made no progress:\n{}",
            server.log_tail()
        );
        stop.store(true, Ordering::SeqCst);
        server.kill_9().await;

        // Everything acknowledged before the kill is what the broker promised to keep.
        for (topic, producer) in producers {
            let stderr = producer.stderr_tail();
            let acks = producer.finish().await;
            assert!(
                acks.contains("ACK "),
                "the {topic} producer got no acknowledgement before the kill:\n{stderr}"
            );
            acked_files
                .entry(topic)
                .or_insert_with(String::new)
                .push_str(&acks);
        }
        let commit_lines = committer.finish().await;
        tokio::task::spawn_blocking(move || ours.join())
            .await
            .expect("join")
            .expect("our producer thread");
        kcat_loop.await.expect("kcat loop");
        kcat_acked = kcat_progress.load(Ordering::SeqCst);
        stopped(commits).await;
        last_raw_commit = raw_commit.load(Ordering::SeqCst);
        stopped(churn).await;
        let Churn { created, deleted } = std::mem::take(&mut *churn_state.lock().expect("churn"));
        assert!(
            !deleted.is_empty(),
            "no topic deletion completed before the kill"
        );
        churn_base += CHURN_ROUND_SPAN;

        // Verify on a broker without the busy settings, so retention does not move the log
        // start while the verifier reads; then stop it cleanly and go on busy.
        server = ServerProcess::start(data.path(), &[]).await;
        let addr = server.addr;
        assert!(
            server.log_text().contains("No clean shutdown marker"),
            "the restart did not recover:\n{}",
            server.log_tail()
        );
        for topic in [IDEMPOTENT, PLAIN, RETAINED] {
            let acked = tempfile::NamedTempFile::new().expect("temp file");
            std::fs::write(acked.path(), &acked_files[topic]).expect("write acks");
            let mut args = vec![
                "verify".to_string(),
                "--bootstrap".into(),
                addr.to_string(),
                "--topic".into(),
                topic.into(),
                "--acked".into(),
                acked.path().to_string_lossy().into_owned(),
            ];
            if topic == RETAINED {
                args.push("--retention".into());
            }
            let result = peers::run_script(&python, "durability.py", &args).await;
            eprintln!("{test} round {round}: {topic} after the restart: {result}");
        }
        verify_ours(&kcat, addr, &ours_acks).await;
        kcat_acked = verify_kcat(&kcat, addr, kcat_acked).await;
        verify_group_commits(addr, &commit_lines).await;
        let raw = committed(addr, RAW_GROUP, IDEMPOTENT, 1).await[0];
        assert!(
            raw >= last_raw_commit,
            "raw commit {raw} < acknowledged {last_raw_commit}"
        );
        last_raw_commit = raw;
        deleted_topics.extend(deleted);
        live_churn.retain(|t| !deleted_topics.contains(t));
        live_churn.extend(created.into_iter().filter(|t| !deleted_topics.contains(t)));
        verify_topics(addr, data.path(), &deleted_topics, &live_churn).await;
        if round + 1 < KILL_AFTER_ACKS.len() {
            server.stop().await;
            server = ServerProcess::start(data.path(), BUSY_LOG).await;
        }
    }
    // The log takes new writes after the last crash, at the next offset.
    let mut client = RawClient::connect(server.addr).await;
    let code = try_create_topic(&mut client, "after-crash", 1, &[]).await;
    assert_eq!(code, Some(0), "create after the crash");
    let before = kcat_read(&kcat, server.addr, KCAT).await.len();
    kcat_produce(&kcat, server.addr, KCAT, &["one-more"]).await;
    let after = kcat_read(&kcat, server.addr, KCAT).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().map(|r| r.value.as_str()), Some("one-more"));
}

/// A peer process whose stdout lines are collected (and `ACK` lines counted) as they come.
struct Peer {
    child: tokio::process::Child,
    lines: super::server::Lines,
    acks: Arc<AtomicUsize>,
    reader: JoinHandle<()>,
    stderr: super::server::Lines,
}

impl Peer {
    fn start(command: &mut Command) -> Peer {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start peer");
        let stderr = drain(child.stderr.take().expect("stderr piped"));
        let stdout = child.stdout.take().expect("stdout piped");
        let lines: super::server::Lines = Arc::default();
        let acks = Arc::new(AtomicUsize::new(0));
        let (sink, counter) = (lines.clone(), acks.clone());
        let reader = tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if line.starts_with("ACK ") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                if let Ok(mut sink) = sink.lock() {
                    sink.push(line);
                }
            }
        });
        Peer {
            child,
            lines,
            acks,
            reader,
            stderr,
        }
    }

    /// Whether some printed line starts with `prefix`.
    fn printed(&self, prefix: &str) -> bool {
        self.lines
            .lock()
            .is_ok_and(|lines| lines.iter().any(|l| l.starts_with(prefix)))
    }

    /// Waits until `count` ACK lines were printed; false if the peer ended or stalled first.
    async fn wait_for_acks(&mut self, count: usize) -> bool {
        let deadline = tokio::time::Instant::now() + PEER_TIMEOUT;
        while self.acks.load(Ordering::SeqCst) < count {
            if tokio::time::Instant::now() > deadline || !matches!(self.child.try_wait(), Ok(None))
            {
                return false;
            }
            tokio::time::sleep(ACK_POLL).await;
        }
        true
    }

    fn stderr_tail(&self) -> String {
        tail(&super::server::text_of(&self.stderr), 20)
    }

    /// Kills the peer and returns every line it printed.
    async fn finish(mut self) -> String {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let _ = self.reader.await;
        let lines = super::server::text_of(&self.lines);
        lines + "\n"
    }
}

/// Our producer: idempotent, acks=all, explicit partitions; records `ours-<round>-<i>` and
/// their acknowledged offsets.
async fn produce_ours(addr: SocketAddr, acks: Acks, round: usize, stop: Arc<AtomicBool>) {
    let Ok(cluster) = Cluster::new(ClientConfig::new(&addr.to_string())) else {
        return;
    };
    // Per partition, the record indexes sent and not yet reported, in send order: with one
    // request in flight, reports come back in that order.
    let pending: Arc<Mutex<HashMap<i32, VecDeque<u64>>>> = Arc::default();
    let reported = pending.clone();
    let sink = acks.clone();
    let producer = Producer::new(
        Arc::new(cluster),
        ProducerConfig {
            max_in_flight: 1,
            max_block: OURS_MAX_BLOCK,
            ..ProducerConfig::default()
        },
        Box::new(move |delivery: &Delivery<'_>| {
            let Ok(mut pending) = reported.lock() else {
                return;
            };
            let queue = pending.entry(delivery.partition).or_default();
            let sent: Vec<u64> = (0..delivery.records.len())
                .filter_map(|_| queue.pop_front())
                .collect();
            if delivery.result.is_ok() && delivery.base_offset >= 0 {
                if let Ok(mut acks) = sink.lock() {
                    for (i, index) in sent.into_iter().enumerate() {
                        acks.insert((delivery.partition, delivery.base_offset + i as i64), index);
                    }
                }
            }
        }),
    );
    let base = (round as u64) << 32;
    for i in 0u64.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let index = base + i;
        let partition = (i % OURS_PARTITIONS as u64) as i32;
        let value = format!("ours-{index}");
        if let Ok(mut pending) = pending.lock() {
            pending.entry(partition).or_default().push_back(index);
        }
        let sent = producer
            .send(&Record {
                topic: OURS,
                partition: Some(partition),
                timestamp: None,
                key: None,
                value: Some(value.as_bytes()),
                headers: &[],
            })
            .await;
        if sent.is_err() {
            return;
        }
        if i % OURS_PAUSE_EVERY as u64 == 0 {
            tokio::time::sleep(OURS_PAUSE).await;
        }
    }
}

async fn verify_ours(kcat: &Path, addr: SocketAddr, acks: &Acks) {
    let read = kcat_read(kcat, addr, OURS).await;
    let acks = acks.lock().expect("acks").clone();
    assert!(!acks.is_empty(), "our producer got no acknowledgement");
    let mut seen = std::collections::HashSet::new();
    let mut at: HashMap<(i32, i64), String> = HashMap::new();
    for r in &read {
        assert!(seen.insert(r.value.clone()), "{} stored twice", r.value);
        at.insert((r.partition, r.offset), r.value.clone());
    }
    for ((partition, offset), index) in &acks {
        assert_eq!(
            at.get(&(*partition, *offset)).map(String::as_str),
            Some(format!("ours-{index}").as_str()),
            "acknowledged record ours-{index} at {OURS}[{partition}]@{offset}"
        );
    }
}

/// Runs kcat producers of `KCAT_RUN_RECORDS` records each, one after another, until `stop`;
/// `progress` counts the records of runs that exited 0 before `stop`. Records are `kcat-<n>` in order, to partition 0.
async fn kcat_runs(
    kcat: std::path::PathBuf,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    progress: Arc<AtomicUsize>,
) {
    let mut acked = progress.load(Ordering::SeqCst);
    while !stop.load(Ordering::SeqCst) {
        let values: Vec<String> = (acked..acked + KCAT_RUN_RECORDS)
            .map(|n| format!("kcat-{n}"))
            .collect();
        let mut child = match Command::new(&kcat)
            .args(["-b", &addr.to_string(), "-P", "-t", KCAT, "-p", "0"])
            .args(["-X", "acks=all", "-X", "message.timeout.ms=5000"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(_) => return,
        };
        let Some(mut stdin) = child.stdin.take() else {
            return;
        };
        let _ = stdin.write_all(values.join("\n").as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
        drop(stdin);
        // Stop waiting (and kill the run, uncounted) as soon as the kill is announced.
        let status = loop {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(_) => return,
            }
        };
        if !status.success() || stop.load(Ordering::SeqCst) {
            return;
        }
        acked += KCAT_RUN_RECORDS;
        progress.store(acked, Ordering::SeqCst);
    }
}

/// The kcat topic holds `kcat-0`, `kcat-1`, ... in order, with nothing missing or repeated, at
/// least up to what was acknowledged. Returns how many it holds: a run cut off by the kill may
/// have written records it never saw acknowledged, and the next round numbers on from them.
async fn verify_kcat(kcat: &Path, addr: SocketAddr, acked: usize) -> usize {
    let read = kcat_read(kcat, addr, KCAT).await;
    assert!(acked > 0, "no kcat run completed before the kill");
    for (n, r) in read.iter().enumerate() {
        assert_eq!(r.value, format!("kcat-{n}"), "{KCAT}[0]@{}", r.offset);
        assert_eq!(r.offset, n as i64);
    }
    assert!(
        read.len() >= acked,
        "{} kcat records after the restart, {acked} acknowledged",
        read.len()
    );
    read.len()
}

/// Commits offsets 0, 1, 2, ... of the idempotent topic's partition 0 for a group with no
/// members (simple commits), storing the last one acknowledged.
async fn commit_loop(addr: SocketAddr, acknowledged: Arc<AtomicI64>) {
    let mut client = RawClient::connect(addr).await;
    let mut offset = acknowledged.load(Ordering::SeqCst).max(0);
    loop {
        offset += 1;
        let request = OffsetCommitRequest::default()
            .with_group_id(GroupId(s(RAW_GROUP)))
            .with_generation_id_or_member_epoch(-1)
            .with_member_id(s(""))
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_name(topic_name(IDEMPOTENT))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(offset)])]);
        let Some(response) = client.try_send(request, 8).await else {
            return;
        };
        let ok = response
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .all(|p| p.error_code == 0);
        assert!(ok, "OffsetCommit refused: {response:?}");
        acknowledged.store(offset, Ordering::SeqCst);
    }
}

/// Churn topic names of one round are `churn-<base + i>`; rounds use disjoint ranges.
const CHURN_ROUND_SPAN: usize = 1_000_000;

/// What the churn loop got acknowledged.
#[derive(Debug, Default)]
struct Churn {
    created: Vec<String>,
    deleted: Vec<String>,
}

/// Creates and deletes topics one after another, recording what the broker acknowledged.
async fn churn_loop(addr: SocketAddr, base: usize, churn: Arc<Mutex<Churn>>) {
    let mut client = RawClient::connect(addr).await;
    for i in base.. {
        let name = format!("churn-{i}");
        match try_create_topic(&mut client, &name, 1, &[]).await {
            Some(0) => {}
            Some(code) => panic!("create {name}: error {code}"),
            None => return,
        }
        churn.lock().expect("churn").created.push(name.clone());
        match try_delete_topic(&mut client, &name).await {
            Some(0) => {}
            Some(code) => panic!("delete {name}: error {code}"),
            None => return,
        }
        churn.lock().expect("churn").deleted.push(name.clone());
    }
}

/// Waits for a loop task after the kill: it ends when its connection breaks; a panic in it (a
/// refused request) fails the test.
async fn stopped(task: JoinHandle<()>) {
    if let Err(e) = task.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// Acknowledged deletions stay deleted (in metadata and on disk); acknowledged creations that
/// were not deleted exist.
async fn verify_topics(addr: SocketAddr, dir: &Path, deleted: &[String], live: &[String]) {
    let names = topic_names(addr).await;
    for name in deleted {
        assert!(!names.contains(name), "deleted topic {name} came back");
        assert!(
            !dir.join(format!("{name}-0")).exists(),
            "deleted topic {name} left its partition directory"
        );
    }
    for name in live {
        assert!(names.contains(name), "created topic {name} is gone");
    }
}

/// The group's committed offsets are at least the last ones the consumer saw acknowledged.
async fn verify_group_commits(addr: SocketAddr, lines: &str) {
    let mut last: HashMap<i32, i64> = HashMap::new();
    for line in lines.lines() {
        let mut parts = line.split_whitespace();
        if parts.next() != Some("COMMIT") {
            continue;
        }
        let (Some(p), Some(o)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let (Ok(p), Ok(o)) = (p.parse::<i32>(), o.parse::<i64>()) {
            last.insert(p, o);
        }
    }
    let found = committed(addr, GROUP, IDEMPOTENT, PARTITIONS).await;
    for (partition, offset) in last {
        assert!(
            found[partition as usize] >= offset,
            "{GROUP} {IDEMPOTENT}[{partition}]: committed {} after the restart, {offset} acknowledged",
            found[partition as usize]
        );
    }
}
