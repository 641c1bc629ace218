//! Helpers for the group tests: a cluster handle, topic creation through our admin client,
//! members of ours driven by their own task (as a consumer's poll loop would drive them), peer
//! consumers (confluent-kafka, Java) run as child processes that report their assignments, and
//! waiting until a group's shares are disjoint and complete.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafkit::client::admin::{Admin, NewTopic};
use kafkit::client::group::{GroupConfig, GroupMember, OffsetAndMetadata, Rebalance, Subscription};
use kafkit::client::{ClientConfig, Cluster};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub type TopicPartition = (String, i32);

/// How long a test waits for a group to reach the expected shape. Generous: two cores are
/// shared by parallel tests and JVMs; this bounds a hang, it does not time anything.
pub const PATIENCE: Duration = Duration::from_secs(120);
/// How often a waiting test looks again.
const LOOK_EVERY: Duration = Duration::from_millis(50);
/// How often a member task calls `poll` (a consumer's fetch loop calls it about this often).
const POLL_EVERY: Duration = Duration::from_millis(50);
/// How long a peer process may take to leave after its stdin closes.
const PEER_EXIT: Duration = Duration::from_secs(60);

/// A cluster handle for `bootstrap` with a short API timeout, so a broken retry loop fails fast.
pub fn cluster(bootstrap: &str) -> Arc<Cluster> {
    let mut config = ClientConfig::new(bootstrap);
    config.api_timeout = Duration::from_secs(60);
    Arc::new(Cluster::new(config).expect("cluster"))
}

/// Creates `name` with `partitions` partitions (replication 1) through our admin client.
pub async fn create_topic(cluster: &Cluster, name: &str, partitions: i32) {
    let created = Admin::new(cluster)
        .create_topics(
            &[NewTopic {
                name: name.to_string(),
                partitions,
                replication_factor: -1,
                ..NewTopic::default()
            }],
            false,
        )
        .await
        .expect("CreateTopics");
    for (topic, result) in created {
        result.unwrap_or_else(|e| panic!("creating {topic}: {e}"));
    }
}

/// Member settings for tests: short session and heartbeat so deaths are noticed quickly.
pub fn member_config(group: &str, session_ms: u64) -> GroupConfig {
    let mut config = GroupConfig::new(group);
    config.session_timeout = Duration::from_millis(session_ms);
    config.heartbeat_interval = Duration::from_millis(session_ms / 5);
    config.max_poll_interval = Duration::from_secs(30);
    config
}

/// Every partition of `topic` (0..count).
pub fn partitions(topic: &str, count: i32) -> BTreeSet<TopicPartition> {
    (0..count).map(|p| (topic.to_string(), p)).collect()
}

/// What a member task last saw.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub generation_id: i32,
    pub member_id: String,
    pub protocol: String,
    pub assigned: BTreeSet<TopicPartition>,
    pub rebalances: Vec<Rebalance>,
    pub error: Option<String>,
}

enum Control {
    Positions(BTreeMap<TopicPartition, OffsetAndMetadata>),
    Commit(
        BTreeMap<TopicPartition, OffsetAndMetadata>,
        tokio::sync::oneshot::Sender<Result<(), String>>,
    ),
    Pause(Duration),
    Close,
    Crash,
}

/// A member of ours polled by its own task, as a consumer's loop would.
pub struct RunningMember {
    pub name: String,
    view: watch::Receiver<View>,
    control: mpsc::UnboundedSender<Control>,
    task: Option<JoinHandle<Result<(), String>>>,
}

impl RunningMember {
    pub fn spawn(
        name: &str,
        cluster: Arc<Cluster>,
        config: GroupConfig,
        subscription: Subscription,
    ) -> RunningMember {
        let (view_tx, view) = watch::channel(View::default());
        let (control, mut commands) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut member =
                GroupMember::new(cluster, config, subscription).map_err(|e| e.to_string())?;
            let mut positions = BTreeMap::new();
            loop {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(Control::Positions(p)) => positions = p,
                        Some(Control::Pause(pause)) => tokio::time::sleep(pause).await,
                        Some(Control::Commit(offsets, reply)) => {
                            let _ = reply.send(member.commit(&offsets).await.map_err(|e| e.to_string()));
                        }
                        Some(Control::Close) => {
                            return member.close(&positions).await.map_err(|e| e.to_string());
                        }
                        Some(Control::Crash) | None => {
                            drop(member);
                            return Ok(());
                        }
                    },
                    _ = tokio::time::sleep(POLL_EVERY) => match member.poll(&positions).await {
                        Ok(Some(rebalance)) => view_tx.send_modify(|v| {
                            v.generation_id = rebalance.generation_id;
                            v.member_id = rebalance.member_id.clone();
                            v.protocol = rebalance.protocol.clone();
                            v.assigned = rebalance.assigned.iter().cloned().collect();
                            v.rebalances.push(rebalance);
                        }),
                        Ok(None) => {}
                        Err(e) => {
                            view_tx.send_modify(|v| v.error = Some(e.to_string()));
                            return Err(e.to_string());
                        }
                    },
                }
            }
        });
        RunningMember {
            name: name.to_string(),
            view,
            control,
            task: Some(task),
        }
    }

    pub fn view(&self) -> View {
        self.view.borrow().clone()
    }

    /// The positions auto-commit should commit from now on.
    pub fn set_positions(&self, positions: BTreeMap<TopicPartition, OffsetAndMetadata>) {
        let _ = self.control.send(Control::Positions(positions));
    }

    /// Stops calling `poll` for `pause` (a consumer stuck processing records).
    pub fn pause(&self, pause: Duration) {
        let _ = self.control.send(Control::Pause(pause));
    }

    /// A manual commit through the member.
    pub async fn commit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = self.control.send(Control::Commit(offsets, tx));
        rx.await.map_err(|_| "member task ended".to_string())?
    }

    /// Closes the member (final auto-commit and LeaveGroup) and waits for its task.
    pub async fn close(mut self) -> Result<(), String> {
        let _ = self.control.send(Control::Close);
        self.finish().await
    }

    /// Drops the member without leaving, as a crashed consumer would vanish.
    pub async fn crash(mut self) {
        let _ = self.control.send(Control::Crash);
        let _ = self.finish().await;
    }

    async fn finish(&mut self) -> Result<(), String> {
        match self.task.take() {
            Some(task) => tokio::time::timeout(PATIENCE, task)
                .await
                .map_err(|_| format!("member {} did not stop", self.name))?
                .map_err(|e| e.to_string())?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningMember {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What a peer consumer process last reported.
#[derive(Debug, Clone, Default)]
pub struct PeerView {
    pub member_id: String,
    pub assigned: BTreeSet<TopicPartition>,
    pub assignments: usize,
    pub exited: bool,
    pub output: Vec<String>,
}

/// A consumer of another client library in a child process. It prints
/// `ASSIGNED [[topic, partition], ...]`, `REVOKED` and `MEMBER <id>` lines; closing its stdin
/// makes it close its consumer (leave the group) and exit.
pub struct PeerMember {
    pub name: String,
    view: Arc<Mutex<PeerView>>,
    stdin: Option<ChildStdin>,
    child: Child,
}

impl PeerMember {
    pub fn spawn(name: &str, mut command: Command) -> PeerMember {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start peer {name}: {e}"));
        let view = Arc::new(Mutex::new(PeerView::default()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let seen = view.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut v = seen.lock().unwrap();
                if let Some(json) = line.strip_prefix("ASSIGNED ") {
                    let parsed: Vec<(String, i32)> = serde_json::from_str(json).unwrap_or_default();
                    v.assigned = parsed.into_iter().collect();
                    v.assignments += 1;
                } else if line == "REVOKED" {
                    v.assigned.clear();
                } else if let Some(id) = line.strip_prefix("MEMBER ") {
                    v.member_id = id.to_string();
                }
                v.output.push(line);
            }
            seen.lock().unwrap().exited = true;
        });
        let logged = view.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                logged
                    .lock()
                    .unwrap()
                    .output
                    .push(format!("stderr: {line}"));
            }
        });
        PeerMember {
            name: name.to_string(),
            view,
            stdin: child.stdin.take(),
            child,
        }
    }

    pub fn view(&self) -> PeerView {
        self.view.lock().unwrap().clone()
    }

    /// Closes its stdin (the peer closes its consumer) and waits for a clean exit.
    pub async fn close(mut self) {
        self.stdin.take();
        let status = tokio::time::timeout(PEER_EXIT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("peer {} did not exit", self.name))
            .expect("wait for peer");
        // Give the output readers a moment to drain before judging.
        tokio::time::sleep(LOOK_EVERY).await;
        assert!(
            status.success(),
            "peer {} failed ({status}):\n{}",
            self.name,
            self.view().output.join("\n")
        );
    }
}

/// One member's share of a group as a test sees it.
#[derive(Debug, Clone)]
pub struct Share {
    pub name: String,
    pub member_id: String,
    /// `None` for peers, whose generation is not visible.
    pub generation_id: Option<i32>,
    pub assigned: BTreeSet<TopicPartition>,
}

impl From<&RunningMember> for Share {
    fn from(member: &RunningMember) -> Share {
        let view = member.view();
        if let Some(e) = &view.error {
            panic!("member {} failed: {e}", member.name);
        }
        Share {
            name: member.name.clone(),
            member_id: view.member_id,
            generation_id: Some(view.generation_id),
            assigned: view.assigned,
        }
    }
}

impl From<&PeerMember> for Share {
    fn from(peer: &PeerMember) -> Share {
        let view = peer.view();
        assert!(
            !view.exited,
            "peer {} exited:\n{}",
            peer.name,
            view.output.join("\n")
        );
        Share {
            name: peer.name.clone(),
            member_id: view.member_id,
            generation_id: None,
            assigned: view.assigned,
        }
    }
}

/// Whether `shares` split `all` disjointly and completely, each member holding something, our
/// members agreeing on the generation.
pub fn is_split(shares: &[Share], all: &BTreeSet<TopicPartition>) -> bool {
    let generations: BTreeSet<i32> = shares.iter().filter_map(|s| s.generation_id).collect();
    let total: usize = shares.iter().map(|s| s.assigned.len()).sum();
    let union: BTreeSet<&TopicPartition> = shares.iter().flat_map(|s| &s.assigned).collect();
    generations.len() <= 1
        && shares
            .iter()
            .all(|s| !s.assigned.is_empty() && !s.member_id.is_empty())
        && total == all.len()
        && union.len() == all.len()
        && union.into_iter().all(|tp| all.contains(tp))
}

/// Waits until `shares()` split `all`; panics with the last shares after [`PATIENCE`].
pub async fn wait_for_split(
    what: &str,
    all: &BTreeSet<TopicPartition>,
    mut shares: impl FnMut() -> Vec<Share>,
) -> Vec<Share> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = shares();
        if is_split(&now, all) {
            return now;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("{what}: the group never split {all:?}; last shares: {now:#?}");
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}
