//! Apache Kafka brokers for the tests: one or more KRaft combined nodes on free loopback ports,
//! formatted and started in one JVM each (`FormatAndStart`), ready once every node reports the
//! whole cluster; the single-node broker shared by a test process; stopping and restarting a
//! node. Owns server.properties, ports and readiness; how a JVM is launched is `mod.rs`'s.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::{Buf, BytesMut};
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

use super::{apache, Apache};

/// How long a broker or cluster may take to format, start and report all its brokers.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// Start-up attempts when a released port was taken before the JVM could bind it.
const START_ATTEMPTS: u32 = 3;
/// What Kafka's log says when a listener port is taken.
const PORT_TAKEN: &str = "Address already in use";
/// How long a node asked to stop may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);
/// Socket timeouts of one readiness probe.
const PROBE_IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Metadata version of the readiness probe (Kafka 2.8+ and 4.x all serve it).
const PROBE_METADATA_VERSION: i16 = 12;
/// Heap of one broker JVM: small, so a 3-node cluster fits beside the tests.
const BROKER_HEAP: &str = "-Xmx512m";
/// How much of a broker's log a start-up failure shows.
const LOG_TAIL_BYTES: usize = 4000;
/// Formats a node's storage, then runs the broker, in one JVM (tests/apache/src/main/java).
const FORMAT_AND_START_MAIN: &str = "kafkit.interop.FormatAndStart";

/// One Apache Kafka node in KRaft combined mode (broker and controller in one JVM).
#[derive(Debug)]
pub struct ApacheNode {
    pub node_id: i32,
    /// The PLAINTEXT (client) listener.
    pub addr: SocketAddr,
    /// The CONTROLLER listener.
    pub controller_addr: SocketAddr,
    pub dir: PathBuf,
    child: Option<Child>,
    /// Held open so the JVM knows we are alive; `ParentWatch` halts it at end of input.
    control: Option<ChildStdin>,
}

impl ApacheNode {
    fn properties(&self) -> PathBuf {
        self.dir.join("server.properties")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("kafka.log")
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

/// A running Apache Kafka cluster of one or more combined nodes on loopback.
#[derive(Debug)]
pub struct ApacheCluster {
    pub cluster_id: String,
    pub nodes: Vec<ApacheNode>,
    pub dir: PathBuf,
    apache: &'static Apache,
    _tempdir: Option<tempfile::TempDir>,
}

static SHARED_BROKER: OnceLock<Result<ApacheCluster, String>> = OnceLock::new();

/// The single-node Apache Kafka 4.4 broker shared by the whole test process, started on first
/// use. `None` means skip (see [`apache`]). Its JVM ends when this process ends.
pub async fn shared_broker() -> Option<&'static ApacheCluster> {
    let apache = apache().await?;
    let started = tokio::task::spawn_blocking(move || {
        SHARED_BROKER.get_or_init(|| {
            // Static: never dropped. The node deletes this directory itself when orphaned.
            let dir = tempfile::Builder::new()
                .prefix("kafkit-apache-")
                .tempdir()
                .map_err(|e| format!("temp dir: {e}"))?
                .keep();
            let started = ApacheCluster::start_blocking(apache, 1, &[], dir.clone(), None);
            if started.is_err() {
                let _ = fs::remove_dir_all(&dir);
            }
            started
        })
    })
    .await
    .expect("start the shared Apache broker");
    match started {
        Ok(cluster) => Some(cluster),
        Err(why) => panic!("the shared Apache Kafka broker did not start: {why}"),
    }
}

impl ApacheCluster {
    /// Starts `nodes` combined KRaft nodes (ids 1..=nodes, all voters) with `extra`
    /// server.properties on top of the defaults; owned by the caller, killed on drop.
    pub async fn start(
        apache: &'static Apache,
        nodes: usize,
        extra: &[(&str, &str)],
    ) -> ApacheCluster {
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let tempdir = tempfile::Builder::new()
                .prefix("kafkit-apache-cluster-")
                .tempdir()
                .expect("temp dir");
            let dir = tempdir.path().to_path_buf();
            let extra: Vec<(&str, &str)> = extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            ApacheCluster::start_blocking(apache, nodes, &extra, dir, Some(tempdir))
                .unwrap_or_else(|why| panic!("Apache Kafka cluster did not start: {why}"))
        })
        .await
        .expect("start an Apache Kafka cluster")
    }

    /// Every node's client listener, comma-separated, as `--bootstrap-server` wants it.
    pub fn bootstrap(&self) -> String {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .map(|n| n.addr.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The end of one node's log (WARN and above), for failure messages.
    pub fn log_tail(&self, node_id: i32) -> String {
        tail(&self.node(node_id).log())
    }

    pub fn node(&self, node_id: i32) -> &ApacheNode {
        self.nodes
            .iter()
            .find(|n| n.node_id == node_id)
            .unwrap_or_else(|| panic!("no node {node_id}"))
    }

    fn start_blocking(
        apache: &'static Apache,
        count: usize,
        extra: &[(&str, &str)],
        dir: PathBuf,
        tempdir: Option<tempfile::TempDir>,
    ) -> Result<ApacheCluster, String> {
        let begun = Instant::now();
        let cluster_id = random_cluster_id();
        let mut attempt = 1;
        let nodes = loop {
            match launch(apache, &cluster_id, count, extra, &dir) {
                Ok(nodes) => break nodes,
                // A port we released was taken before the JVM bound it: try fresh ones.
                Err(why) if attempt < START_ATTEMPTS && why.contains(PORT_TAKEN) => {
                    eprintln!("apache: a port was taken during start-up, retrying: {why}");
                    attempt += 1;
                }
                Err(why) => return Err(why),
            }
        };
        let cluster = ApacheCluster {
            cluster_id,
            nodes,
            dir,
            apache,
            _tempdir: tempdir,
        };
        eprintln!(
            "apache: {count}-node Kafka 4.4 cluster ready at {} in {:.1} s",
            cluster.bootstrap(),
            begun.elapsed().as_secs_f64()
        );
        Ok(cluster)
    }

    /// Stops one node cleanly (Kafka's controlled shutdown) and waits for its JVM to end.
    pub async fn stop_node(&mut self, node_id: i32) {
        let node = self.node_mut(node_id);
        let control = node.control.take();
        let child = node.child.take();
        tokio::task::spawn_blocking(move || stop_child(control, child))
            .await
            .expect("stop node");
    }

    /// Starts a node stopped by [`stop_node`](Self::stop_node) again, on the same ports and data,
    /// and waits until every node reports the whole cluster.
    pub async fn restart_node(&mut self, node_id: i32) {
        let (apache, cleanup) = (self.apache, self.dir.clone());
        let cluster_id = self.cluster_id.clone();
        let node = self.node_mut(node_id);
        assert!(!node.is_running(), "node {node_id} is running");
        spawn_node(apache, &cluster_id, &cleanup, node).expect("restart node");
        let mut nodes = std::mem::take(&mut self.nodes);
        let expected = nodes.len();
        let (nodes, ready) = tokio::task::spawn_blocking(move || {
            let ready = wait_ready(&mut nodes, expected);
            (nodes, ready)
        })
        .await
        .expect("wait for the restarted node");
        self.nodes = nodes;
        ready.expect("restarted node ready");
    }

    fn node_mut(&mut self, node_id: i32) -> &mut ApacheNode {
        self.nodes
            .iter_mut()
            .find(|n| n.node_id == node_id)
            .unwrap_or_else(|| panic!("no node {node_id}"))
    }
}

/// Where Linux says its ephemeral ports (those port 0 hands out) are.
const EPHEMERAL_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";
/// The lowest port picked below the ephemeral range.
const LOWEST_PORT: u16 = 10_000;
/// How many random ports below the ephemeral range are tried before falling back to port 0.
const PORT_TRIES: usize = 64;

/// A free loopback port below the ephemeral range, picked at random and held. A stopped node
/// restarts on its old ports; had they come from port 0, any test binding port 0 meanwhile could
/// take one (seen in CI: "Address already in use" on restart). Falls back to port 0 when the
/// range is unknown or nothing below it is free.
fn bind_below_ephemeral() -> Result<TcpListener, String> {
    use rand::Rng as _;
    let first_ephemeral = fs::read_to_string(EPHEMERAL_RANGE)
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok());
    if let Some(first) = first_ephemeral.filter(|first| *first > LOWEST_PORT) {
        let mut rng = rand::thread_rng();
        for _ in 0..PORT_TRIES {
            let port = rng.gen_range(LOWEST_PORT..first);
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                return Ok(listener);
            }
        }
    }
    TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))
}

/// Picks free loopback ports, writes every node's server.properties under `dir` (anew) and starts
/// the nodes; returns them once all report the whole cluster, or kills them and says why.
fn launch(
    apache: &Apache,
    cluster_id: &str,
    count: usize,
    extra: &[(&str, &str)],
    dir: &Path,
) -> Result<Vec<ApacheNode>, String> {
    let count_i32 = i32::try_from(count).map_err(|_| "too many nodes".to_string())?;
    // Bind every port before releasing any, so no two listeners get the same one.
    let mut held = Vec::new();
    for _ in 0..count * 2 {
        held.push(bind_below_ephemeral()?);
    }
    let addrs: Vec<SocketAddr> = held
        .iter()
        .map(|l| l.local_addr().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let mut nodes = Vec::new();
    for (index, pair) in addrs.chunks(2).enumerate() {
        let node_id = i32::try_from(index).unwrap_or(i32::MAX - 1) + 1;
        let node_dir = dir.join(format!("node-{node_id}"));
        // A retry starts from scratch: no half-formatted directory from the last attempt.
        let _ = fs::remove_dir_all(&node_dir);
        fs::create_dir_all(&node_dir).map_err(|e| format!("{}: {e}", node_dir.display()))?;
        nodes.push(ApacheNode {
            node_id,
            addr: pair[0],
            controller_addr: pair[1],
            dir: node_dir,
            child: None,
            control: None,
        });
    }
    let voters = nodes
        .iter()
        .map(|n| format!("{}@{}", n.node_id, n.controller_addr))
        .collect::<Vec<_>>()
        .join(",");
    for node in &nodes {
        let text = server_properties(node, count_i32, &voters, extra);
        fs::write(node.properties(), text).map_err(|e| format!("server.properties: {e}"))?;
    }
    drop(held);
    let mut started = Ok(());
    for node in &mut nodes {
        started = started.and_then(|()| spawn_node(apache, cluster_id, dir, node));
    }
    match started.and_then(|()| wait_ready(&mut nodes, count)) {
        Ok(()) => Ok(nodes),
        Err(why) => {
            kill_nodes(&mut nodes);
            Err(why)
        }
    }
}

/// Kills every node's JVM at once (no clean shutdown) and reaps it.
fn kill_nodes(nodes: &mut [ApacheNode]) {
    for node in nodes {
        node.control.take();
        if let Some(mut child) = node.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts one node's JVM: `FormatAndStart` formats its log directory (kept if already
/// formatted) and runs `kafka.Kafka`, its log4j output in `<node dir>/kafka.log`. Its stdin is
/// the `ParentWatch` control pipe; orphaned, it deletes `cleanup` and halts.
fn spawn_node(
    apache: &Apache,
    cluster_id: &str,
    cleanup: &Path,
    node: &mut ApacheNode,
) -> Result<(), String> {
    let log = File::create(node.log()).map_err(|e| format!("{}: {e}", node.log().display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let agent_args = format!("stdin,cleanup={}", cleanup.display());
    let mut java = apache.java_with(&[BROKER_HEAP], &agent_args, FORMAT_AND_START_MAIN);
    java.arg(cluster_id)
        .arg(node.properties())
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err);
    let mut child = java
        .spawn()
        .map_err(|e| format!("cannot start node {}: {e}", node.node_id))?;
    node.control = child.stdin.take();
    node.child = Some(child);
    Ok(())
}

/// Waits until every running node answers Metadata listing at least `expected` brokers.
fn wait_ready(nodes: &mut [ApacheNode], expected: usize) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let mut all_ready = true;
        for node in nodes.iter_mut() {
            let Some(child) = node.child.as_mut() else {
                continue;
            };
            if let Ok(Some(status)) = child.try_wait() {
                node.child = None;
                let log = fs::read_to_string(node.log()).unwrap_or_default();
                // Named up front: the stack trace can push it out of the tail shown.
                let port_taken = if log.contains(PORT_TAKEN) {
                    format!(" ({PORT_TAKEN})")
                } else {
                    String::new()
                };
                return Err(format!(
                    "node {} exited ({status}) during start-up{port_taken}; its log ends:\n{}",
                    node.node_id,
                    tail(&node.log())
                ));
            }
            all_ready &= probe_brokers(node.addr).is_ok_and(|n| n >= expected);
        }
        if all_ready {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let logs: String = nodes.iter().fold(String::new(), |mut s, n| {
                let _ = write!(s, "\n--- node {} log:\n{}", n.node_id, tail(&n.log()));
                s
            });
            return Err(format!("not ready after {START_TIMEOUT:?}{logs}"));
        }
        thread::sleep(PROBE_INTERVAL);
    }
}

impl Drop for ApacheCluster {
    fn drop(&mut self) {
        kill_nodes(&mut self.nodes);
    }
}

fn stop_child(control: Option<ChildStdin>, child: Option<Child>) {
    let Some(mut child) = child else {
        return;
    };
    if let Some(mut control) = control {
        let _ = control.write_all(b"stop\n");
        let _ = control.flush();
        // Keep the pipe open while Kafka shuts down: end of input would halt it at once.
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(PROBE_INTERVAL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// server.properties for one combined node: KRaft, PLAINTEXT on loopback, internal topics
/// replicated as far as the cluster allows, no rebalance delay (tests wait for groups).
fn server_properties(
    node: &ApacheNode,
    cluster_size: i32,
    voters: &str,
    extra: &[(&str, &str)],
) -> String {
    let replication = cluster_size.min(3);
    let min_isr = if cluster_size >= 3 { 2 } else { 1 };
    let mut props = vec![
        ("process.roles".to_string(), "broker,controller".to_string()),
        ("node.id".into(), node.node_id.to_string()),
        ("controller.quorum.voters".into(), voters.to_string()),
        (
            "listeners".into(),
            format!(
                "PLAINTEXT://{},CONTROLLER://{}",
                node.addr, node.controller_addr
            ),
        ),
        (
            "advertised.listeners".into(),
            format!("PLAINTEXT://{}", node.addr),
        ),
        ("controller.listener.names".into(), "CONTROLLER".into()),
        ("inter.broker.listener.name".into(), "PLAINTEXT".into()),
        (
            "listener.security.protocol.map".into(),
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT".into(),
        ),
        (
            "log.dirs".into(),
            node.dir.join("data").display().to_string(),
        ),
        (
            "offsets.topic.replication.factor".into(),
            replication.to_string(),
        ),
        (
            "transaction.state.log.replication.factor".into(),
            replication.to_string(),
        ),
        ("transaction.state.log.min.isr".into(), min_isr.to_string()),
        (
            "share.coordinator.state.topic.replication.factor".into(),
            replication.to_string(),
        ),
        (
            "share.coordinator.state.topic.min.isr".into(),
            min_isr.to_string(),
        ),
        ("group.initial.rebalance.delay.ms".into(), "0".into()),
    ];
    for (key, value) in extra {
        props.retain(|(k, _)| k != key);
        props.push((key.to_string(), value.to_string()));
    }
    props.iter().fold(String::new(), |mut s, (k, v)| {
        let _ = writeln!(s, "{k}={v}");
        s
    })
}

/// A cluster id as `kafka-storage.sh random-uuid` makes one: 16 random bytes in URL-safe base64
/// without padding, never starting with '-' (Kafka avoids ids that look like options).
fn random_cluster_id() -> String {
    loop {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4());
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// One Metadata round trip: how many brokers the node reports (only unfenced brokers appear).
fn probe_brokers(addr: SocketAddr) -> io::Result<usize> {
    let mut stream = TcpStream::connect_timeout(&addr, PROBE_IO_TIMEOUT)?;
    stream.set_read_timeout(Some(PROBE_IO_TIMEOUT))?;
    stream.set_write_timeout(Some(PROBE_IO_TIMEOUT))?;
    let version = PROBE_METADATA_VERSION;
    let header = RequestHeader::default()
        .with_request_api_key(MetadataRequest::KEY)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("kafkit-tests-probe")));
    let request = MetadataRequest::default().with_topics(Some(Vec::new()));
    let mut body = BytesMut::new();
    let invalid = |e: anyhow::Error| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    header
        .encode(&mut body, MetadataRequest::header_version(version))
        .map_err(invalid)?;
    request.encode(&mut body, version).map_err(invalid)?;
    let len = u32::try_from(body.len()).map_err(|e| io::Error::other(e.to_string()))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(&body)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut frame)?;
    let mut frame = bytes::Bytes::from(frame);
    ResponseHeader::decode(&mut frame, MetadataResponse::header_version(version))
        .map_err(invalid)?;
    let response = MetadataResponse::decode(&mut frame, version).map_err(invalid)?;
    if frame.has_remaining() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "trailing bytes"));
    }
    Ok(response.brokers.len())
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| format!("<{}: {e}>", path.display()));
    let start = text.len().saturating_sub(LOG_TAIL_BYTES);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_string()
}
