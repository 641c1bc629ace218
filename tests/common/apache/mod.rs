//! Apache Kafka 4.4 itself as a test peer: its command-line tools, its broker (one shared
//! single-node KRaft broker per test process, or a 3-node cluster on demand) and the Java client
//! interop driver, all run with `java -cp tests/apache/.cache/lib/*` after `scripts/fetch-apache`.
//!
//! Owns finding the installation, the skip-or-fail policy (`KAFKIT_REQUIRE_INTEROP=1` turns a
//! missing Java or cache into a failure), broker configuration and start-up on free loopback
//! ports (`cluster.rs`), and making sure no JVM outlives the test run (see `ParentWatch.java`).
//! It does not compare outputs (`golden.rs` does) and never uses fixed ports.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::golden::{
    filter_jvm_noise, run_captured, run_captured_blocking, ToolOutput, TOOL_TIMEOUT,
};

mod cluster;
pub use cluster::{shared_broker, ApacheCluster};

/// Set to `1` (as `.ci/run` does) to make a missing Java, Maven or cache fail the tests.
pub const REQUIRE_INTEROP_ENV: &str = "KAFKIT_REQUIRE_INTEROP";
/// A log4j level for the Java side (`debug` to see what the Java client sent and received).
pub const JAVA_LOG_ENV: &str = "KAFKIT_JAVA_LOG";
/// The Java client driver (tests/apache/src/main/java).
const INTEROP_MAIN: &str = "kafkit.interop.Interop";
/// Runs many invocations of one tool in one JVM (tests/apache/src/main/java).
const TOOL_BATCH_MAIN: &str = "kafkit.interop.ToolBatch";
/// Time allowed per command of a batch, on top of one tool's limit for the JVM itself.
const BATCH_TIME_PER_COMMAND: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether interop peers are required (missing ones fail instead of skipping).
pub fn interop_required() -> bool {
    std::env::var(REQUIRE_INTEROP_ENV).is_ok_and(|v| v == "1")
}

/// Apache's command-line tools, by main class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApacheTool {
    Topics,
    ConsoleProducer,
    ConsoleConsumer,
    ConsumerGroups,
}

impl ApacheTool {
    pub fn main_class(self) -> &'static str {
        match self {
            ApacheTool::Topics => "org.apache.kafka.tools.TopicCommand",
            ApacheTool::ConsoleProducer => "org.apache.kafka.tools.ConsoleProducer",
            ApacheTool::ConsoleConsumer => "org.apache.kafka.tools.consumer.ConsoleConsumer",
            ApacheTool::ConsumerGroups => {
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
            }
        }
    }
}

/// A prepared Apache Kafka 4.4: `java` plus the cached jars and compiled driver.
#[derive(Debug)]
pub struct Apache {
    java: PathBuf,
    classpath: OsString,
    log_config: PathBuf,
    /// The `ParentWatch` agent jar.
    agent: PathBuf,
    /// The class-data-sharing archive of Apache's tools, when fetch-apache could make one.
    shared_archive: Option<PathBuf>,
}

static APACHE: OnceLock<Result<Apache, String>> = OnceLock::new();

/// The Apache Kafka peer, prepared once per test process (`scripts/fetch-apache`, a no-op when
/// the cache is current). `None` means "skip this test": a note says why. When interop is
/// required, an unprepared peer panics instead.
pub async fn apache() -> Option<&'static Apache> {
    let prepared = tokio::task::spawn_blocking(|| APACHE.get_or_init(prepare))
        .await
        .expect("prepare Apache Kafka");
    match prepared {
        Ok(apache) => Some(apache),
        Err(why) if interop_required() => {
            panic!("{REQUIRE_INTEROP_ENV}=1 but Apache Kafka is not usable: {why}")
        }
        Err(why) => {
            // libtest names each test's thread after the test.
            let test = std::thread::current().name().unwrap_or("test").to_string();
            eprintln!(
                "SKIPPED {test}: Apache Kafka 4.4 is not prepared ({why}; \
                 {REQUIRE_INTEROP_ENV}=1 makes this a failure)"
            );
            None
        }
    }
}

fn apache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apache")
}

fn prepare() -> Result<Apache, String> {
    let dir = apache_dir();
    let cache = dir.join(".cache");
    let java = find_java().ok_or("no `java` on PATH or in JAVA_HOME")?;
    // Without a cache and without the requirement, do not download anything from a test run.
    if !interop_required() && !cache.join("lib").is_dir() {
        return Err("run scripts/fetch-apache first".into());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-apache");
    let fetched = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !fetched.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}{}",
            script.display(),
            fetched.status,
            String::from_utf8_lossy(&fetched.stdout),
            String::from_utf8_lossy(&fetched.stderr)
        ));
    }
    // Exactly the class path scripts/fetch-apache dumped the class-data-sharing archive with.
    let mut classpath = OsString::from(cache.join("lib").join("*"));
    classpath.push(":");
    classpath.push(cache.join("kafkit-tests.jar"));
    let archive = cache.join("apache.jsa");
    Ok(Apache {
        java,
        classpath,
        log_config: dir.join("log4j2.xml"),
        agent: cache.join("supervise.jar"),
        shared_archive: archive.is_file().then_some(archive),
    })
}

fn find_java() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = PathBuf::from(home).join("bin/java");
        if java.is_file() {
            return Some(java);
        }
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|p| p.join("java"))
            .find(|p| p.is_file())
    })
}

impl Apache {
    /// `java <flags> -cp <cache> <main_class>`; the caller adds arguments. The JVM halts by
    /// itself if this process goes away (the `ParentWatch` agent).
    pub fn java(&self, main_class: &str) -> Command {
        self.java_with(&[], "", main_class)
    }

    /// [`java`](Self::java) with extra JVM flags (heap size) and more `ParentWatch` agent
    /// options (`stdin`, `cleanup=<dir>`).
    pub fn java_with(&self, jvm_flags: &[&str], agent_args: &str, main_class: &str) -> Command {
        // Our pid, not "whoever is the parent when the agent starts": we may die meanwhile.
        let mut agent = OsString::from("-javaagent:");
        agent.push(&self.agent);
        agent.push(format!("=parent={}", std::process::id()));
        if !agent_args.is_empty() {
            agent.push(",");
            agent.push(agent_args);
        }
        let mut command = Command::new(&self.java);
        // C1 only: these JVMs live seconds to minutes, where C2's compile threads cost more
        // CPU than they save (a broker start-up takes about half the CPU without them).
        command.arg("-XX:TieredStopAtLevel=1").args(jvm_flags);
        if let Some(archive) = &self.shared_archive {
            let mut flag = OsString::from("-XX:SharedArchiveFile=");
            flag.push(archive);
            command.arg(flag);
        }
        command
            .arg(agent)
            // The JVM's own warnings go to stderr (filtered there), never into stdout data.
            .arg("-Xlog:disable")
            .arg("-Xlog:all=warning:stderr")
            .arg("-Djava.awt.headless=true")
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                self.log_config.display()
            ))
            .arg("-cp")
            .arg(&self.classpath);
        if let Ok(level) = std::env::var(JAVA_LOG_ENV) {
            command.arg(format!("-Dkafkit.log.level={level}"));
        }
        command.arg(main_class);
        command
    }

    /// Runs one of Apache's tools with `args` and no input.
    pub async fn run_tool(&self, tool: ApacheTool, args: &[&str]) -> ToolOutput {
        let mut command = self.java(tool.main_class());
        command.args(args);
        run_captured(command, None).await
    }

    /// Runs one of Apache's tools with `args`, feeding `input` to its stdin.
    pub async fn run_tool_with_input(
        &self,
        tool: ApacheTool,
        args: &[&str],
        input: &[u8],
    ) -> ToolOutput {
        let mut command = self.java(tool.main_class());
        command.args(args);
        run_captured(command, Some(input.to_vec())).await
    }

    /// Runs one of Apache's tools once per argument list, all in one JVM (`ToolBatch.java`):
    /// each run calls the tool's real `main` with its own captured stdout/stderr and its
    /// `Exit.exit` code, so the outputs are what separate `kafka-*.sh` runs print, at the cost
    /// of one JVM start-up. log4j records go to the batch's own stderr, not to a run's (the
    /// goldens filter them out anyway).
    pub async fn run_tool_batch(
        &self,
        tool: ApacheTool,
        commands: &[Vec<String>],
    ) -> Vec<ToolOutput> {
        let with_input: Vec<(Vec<String>, Vec<u8>)> = commands
            .iter()
            .map(|args| (args.clone(), Vec::new()))
            .collect();
        self.run_tool_batch_with_input(tool, &with_input).await
    }

    /// [`run_tool_batch`](Self::run_tool_batch) with each run's standard input: the bytes
    /// beside its arguments. Shutdown hooks a run registers (ConsoleProducer's flush and
    /// close) run when that run ends, as at the end of a JVM of its own.
    pub async fn run_tool_batch_with_input(
        &self,
        tool: ApacheTool,
        commands: &[(Vec<String>, Vec<u8>)],
    ) -> Vec<ToolOutput> {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut input = String::new();
        for (args, stdin) in commands {
            let mut line: Vec<String> = args
                .iter()
                .map(|a| format!("-{}", engine.encode(a.as_bytes())))
                .collect();
            if !stdin.is_empty() {
                line.push(format!("<{}", engine.encode(stdin)));
            }
            input.push_str(&line.join(" "));
            input.push('\n');
        }
        let mut command = self.java(TOOL_BATCH_MAIN);
        command.arg(tool.main_class());
        let count = u32::try_from(commands.len()).unwrap_or(u32::MAX);
        let timeout = TOOL_TIMEOUT + BATCH_TIME_PER_COMMAND * count;
        let batch = tokio::task::spawn_blocking(move || {
            run_captured_blocking(command, Some(input.into_bytes()), timeout)
        })
        .await
        .expect("tool batch runner thread");
        let decode = |text: &str| {
            let bytes = engine
                .decode(text.trim_end())
                .unwrap_or_else(|e| panic!("ToolBatch printed bad base64 ({e}):\n{batch}"));
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let lines: Vec<&str> = batch.stdout.lines().collect();
        let outputs: Vec<ToolOutput> = lines
            .chunks(3)
            .zip(commands)
            .map(|(chunk, (args, _))| {
                let code = chunk
                    .first()
                    .and_then(|l| l.strip_prefix("exit "))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| panic!("ToolBatch output out of step:\n{batch}"));
                let stdout = decode(chunk.get(1).copied().unwrap_or_default());
                let raw_stderr = decode(chunk.get(2).copied().unwrap_or_default());
                ToolOutput {
                    command: format!("{} {} (batched)", tool.main_class(), args.join(" ")),
                    code: Some(code),
                    stdout,
                    stderr: filter_jvm_noise(&raw_stderr),
                    raw_stderr,
                    timed_out: false,
                }
            })
            .collect();
        assert!(
            batch.code == Some(0) && outputs.len() == commands.len(),
            "ToolBatch ran {} of {} commands:\n{batch}",
            outputs.len(),
            commands.len()
        );
        outputs
    }

    /// Runs the Java client driver (`Interop.java`) against `bootstrap` with the given scenarios.
    pub async fn interop(&self, bootstrap: &str, scenarios: &[&str]) -> ToolOutput {
        let mut command = self.java(INTEROP_MAIN);
        command.arg(bootstrap).args(scenarios);
        run_captured(command, None).await
    }
}
