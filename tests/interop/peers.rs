//! Finding and running the third-party peers (kcat, confluent-kafka, kafka-python, kafkajs) with
//! bounded time. Owns peer discovery, the require-or-skip rule and the `RESULT` protocol of the
//! Python scripts; it knows nothing about any scenario.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

/// Set to `1` (as `.ci/run` does) to make a missing peer fail the test instead of skipping it.
pub const REQUIRE_ENV: &str = "KAFKIT_REQUIRE_INTEROP";
/// Overrides the kcat binary (default: `kcat`, then `kafkacat`, on PATH).
pub const KCAT_ENV: &str = "KAFKIT_KCAT";
/// Overrides the Python interpreter (default: the repo's `.venv/bin/python`, then `python3`).
pub const PYTHON_ENV: &str = "KAFKIT_PYTHON";
/// Overrides the Node.js binary (default: `node` on PATH).
pub const NODE_ENV: &str = "KAFKIT_NODE";
/// The Node.js peers' directory: `package.json`, its lock, the scripts, and `node_modules`
/// (installed there by `scripts/install-peers` with `npm ci`).
pub const NODE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/node");
/// How long one peer invocation may run before the test fails as stuck. Generous: two cores are
/// shared by parallel tests, and a stuck peer is what this bounds, not speed.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a whole interop test may run before the [`Watchdog`] ends the test binary.
pub const TEST_DEADLINE: Duration = Duration::from_secs(900);

const INSTALL_HINT: &str = "run scripts/install-peers";
const SCRIPT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/py");
const VENV_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// `Some(found)`, or `None` after a skip note; panics if interop is required.
fn require(peer: &str, found: Option<PathBuf>, test: &str) -> Option<PathBuf> {
    match found {
        Some(path) => Some(path),
        None if required() => {
            panic!("{peer} is required ({REQUIRE_ENV}=1) but missing: {INSTALL_HINT}")
        }
        None => {
            // Written to the stderr handle, not with eprintln!, which the test harness captures
            // and hides for passing tests: a skip must be visible in a plain `cargo test`.
            // One write call for the whole line, so it does not interleave with the harness's.
            let note = format!(
                "SKIPPED {test}: {peer} not found ({INSTALL_HINT}, or set {REQUIRE_ENV}=1 to fail instead)\n"
            );
            let _ = std::io::stderr().write_all(note.as_bytes());
            None
        }
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The kcat binary, or `None` (skip) when it is missing and not required.
pub fn kcat(test: &str) -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| match std::env::var_os(KCAT_ENV) {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => on_path("kcat").or_else(|| on_path("kafkacat")),
    });
    require("kcat", found.clone(), test)
}

/// A Python interpreter that can import `module`, or `None` (skip).
pub fn python_with(module: &str, test: &str) -> Option<PathBuf> {
    static INTERPRETER: OnceLock<Option<PathBuf>> = OnceLock::new();
    let interpreter = INTERPRETER.get_or_init(|| match std::env::var_os(PYTHON_ENV) {
        Some(path) => Some(PathBuf::from(path)),
        None if Path::new(VENV_PYTHON).is_file() => Some(PathBuf::from(VENV_PYTHON)),
        None => on_path("python3"),
    });
    let usable = interpreter.clone().filter(|python| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    require(&format!("python module {module}"), usable, test)
}

/// A Node.js binary that can load `package` from [`NODE_DIR`], or `None` (skip).
pub fn node_with(package: &str, test: &str) -> Option<PathBuf> {
    let node = match std::env::var_os(NODE_ENV) {
        Some(path) => Some(PathBuf::from(path)),
        None => on_path("node"),
    };
    let usable = node.filter(|node| {
        std::process::Command::new(node)
            .args(["-e", &format!("require.resolve('{package}')")])
            .current_dir(NODE_DIR)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    require(&format!("node package {package}"), usable, test)
}

/// A command running `script` from [`NODE_DIR`] with `node` (in that directory, so the
/// scripts find their `node_modules`).
pub fn node_command(node: &Path, script: &str) -> Command {
    let mut command = Command::new(node);
    command
        .arg(Path::new(NODE_DIR).join(script))
        .current_dir(NODE_DIR);
    command
}

/// What a finished peer process left behind.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Panics with the peer's output unless it exited 0.
    pub fn expect_success(self, what: &str) -> Finished {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n--- stderr ---\n{}\n--- stdout (tail) ---\n{}",
            self.status,
            self.stderr,
            tail(&self.stdout, 40)
        );
        self
    }
}

/// The last `lines` lines of `text`, for failure messages that stay readable.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs a command to completion, bounded by [`PEER_TIMEOUT`]; the child is killed if the test
/// gives up on it.
pub async fn run(command: &mut Command, what: &str) -> Finished {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let output = tokio::time::timeout(PEER_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} still running after {PEER_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    Finished {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A command running `script` from `tests/interop/py` with `python`.
pub fn python_command(python: &Path, script: &str) -> Command {
    let mut command = Command::new(python);
    command
        .arg(Path::new(SCRIPT_DIR).join(script))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    command
}

/// Runs a Python scenario script with `args`, requires exit 0, and returns its `RESULT` JSON.
pub async fn run_script<I, S>(python: &Path, script: &str, args: I) -> serde_json::Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let finished = run(python_command(python, script).args(args), script)
        .await
        .expect_success(script);
    result_of(&finished.stdout)
        .unwrap_or_else(|| panic!("{script} printed no RESULT line:\n{}", finished.stdout))
}

/// The JSON of the last `RESULT {...}` line of a script's stdout.
pub fn result_of(stdout: &str) -> Option<serde_json::Value> {
    stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("RESULT "))
        .and_then(|json| serde_json::from_str(json).ok())
}

/// Ends the whole test process if a test outlives [`TEST_DEADLINE`]. The in-process broker shares
/// the test's runtime: a broker bug that blocks every worker thread (a deadlock on a std lock)
/// also stops the timers behind [`PEER_TIMEOUT`], and CI would hang instead of failing. This
/// plain thread does not depend on the runtime. Dropping the guard disarms it.
pub struct Watchdog {
    disarm: mpsc::Sender<()>,
}

impl Watchdog {
    pub fn arm(test: &'static str) -> Watchdog {
        let (disarm, armed) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = armed.recv_timeout(TEST_DEADLINE) {
                eprintln!(
                    "{test} still running after {TEST_DEADLINE:?}: the broker or a peer is stuck \
                     (a blocked runtime stops the test's own timeouts); ending the test binary"
                );
                std::process::exit(1);
            }
        });
        Watchdog { disarm }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.disarm.send(());
    }
}
