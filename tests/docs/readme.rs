//! README.md cannot rot: every ```sh block runs, in document order, in a scratch directory with
//! the built binaries first on PATH, against a broker started from the `kafka-server-start`
//! binary (a `kafka-server-start` line restarts it on a free port, same data directory).
//! `localhost:9092` in a command becomes that broker's address. Each command must exit 0; a
//! ```text block after `<!-- output -->` lists lines the previous block must print (`...`
//! matches anything). The few commands that cannot run here are in [`COVERED_ELSEWHERE`] with
//! the file that runs them, which must contain them. Also: the README's API table is the
//! broker's [`BROKER_APIS`].

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kafkit::protocol::versions::BROKER_APIS;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BINARIES: [(&str, &str); 5] = [
    (
        "kafka-server-start",
        env!("CARGO_BIN_EXE_kafka-server-start"),
    ),
    ("kafka-topics", env!("CARGO_BIN_EXE_kafka-topics")),
    (
        "kafka-console-producer",
        env!("CARGO_BIN_EXE_kafka-console-producer"),
    ),
    (
        "kafka-console-consumer",
        env!("CARGO_BIN_EXE_kafka-console-consumer"),
    ),
    (
        "kafka-consumer-groups",
        env!("CARGO_BIN_EXE_kafka-consumer-groups"),
    ),
];
/// The address the README's commands use, replaced by the test broker's.
const README_BOOTSTRAP: &str = "localhost:9092";
/// Apache's stock `config/server.properties`, for README commands that name it.
const STOCK_SERVER_PROPERTIES: &str = "tests/cli/apache-server.properties";
/// The README command that starts the broker from a source checkout: the test runs the same
/// binary (built by `cargo test` rather than `--release`) as a broker start.
const CARGO_RUN_BROKER: &str = "cargo run --release --bin kafka-server-start";
/// README commands not run here, each with the file that runs it (which must contain it).
const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    // The test command itself: .ci/run runs exactly this.
    ("scripts/test", ".ci/run"),
    // A release build is minutes on CI's two cores; .ci/run installs with --debug, reusing the
    // test build, which exercises the same package and binary list.
    ("cargo install --path .", ".ci/run"),
    // Rewrites the generated docs; without the variable it is the drift test.
    (
        "KAFKIT_REGENERATE=1 cargo test generated_docs",
        "tests/docs/generated.rs",
    ),
];
/// An upper bound on one command or a broker start; reaching it means a hang, not slowness.
const PATIENCE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(20);
const OUTPUT_MARKER: &str = "<!-- output -->";
const ADDRESS_LINE: &str = "Awaiting socket connections on ";
const STARTED_LINE: &str = "] started";
/// Matches any text inside an expected output line.
const WILDCARD: &str = "...";

/// A piece of README.md the test acts on.
#[derive(Debug)]
enum Item {
    /// A ```sh block: its commands (continuation lines joined, comments dropped).
    Commands { line: usize, commands: Vec<String> },
    /// A ```text block after [`OUTPUT_MARKER`]: lines the previous commands must print.
    Output { line: usize, lines: Vec<String> },
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("read README.md")
}

/// The README's ```sh blocks and marked output blocks, in order.
fn items(text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut output_marked = false;
    while let Some((index, line)) = lines.next() {
        // A multi-line HTML comment is prose for README editors, even where a line of it
        // starts with a fence.
        if line.trim_start().starts_with("<!--") && !line.contains("-->") {
            lines.by_ref().find(|(_, l)| l.contains("-->"));
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                output_marked = line.trim() == OUTPUT_MARKER;
            }
            continue;
        };
        let body: Vec<String> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .map(str::to_string)
            .collect();
        match info.trim() {
            "sh" => items.push(Item::Commands {
                line: index + 1,
                commands: commands(&body),
            }),
            "text" if output_marked => items.push(Item::Output {
                line: index + 1,
                lines: body,
            }),
            _ => {}
        }
        output_marked = false;
    }
    items
}

/// Logical commands of a shell block: lines ending in `\` or `|` continue on the next one;
/// blank lines and comments are dropped.
fn commands(body: &[String]) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in body {
        let trimmed = without_comment(line).trim();
        if current.is_empty() && trimmed.is_empty() {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head.trim_end());
            current.push(' ');
        } else if trimmed.ends_with('|') {
            current.push_str(trimmed);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            commands.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

/// `line` without a shell comment (a `#` at the start of a word, outside quotes).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return &line[..at],
            _ => {}
        }
        previous = c;
    }
    line
}

/// Whether `actual` matches `expected`, where [`WILDCARD`] matches any text.
fn matches(expected: &str, actual: &str) -> bool {
    let (expected, actual) = (expected.trim_end(), actual.trim_end());
    let pieces: Vec<&str> = expected.split(WILDCARD).collect();
    let [first, middle @ .., last] = pieces.as_slice() else {
        return expected == actual;
    };
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The scratch directory the README's commands run in, with the binaries "installed" in
/// `bin/` (as `cargo install` would put them on PATH), `config/server.properties` and `scripts/`.
struct Sandbox {
    dir: tempfile::TempDir,
    data: PathBuf,
    path: std::ffi::OsString,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("mkdir bin");
        for (name, exe) in BINARIES {
            std::os::unix::fs::symlink(exe, bin.join(name)).expect("link a binary");
        }
        std::fs::create_dir(dir.path().join("config")).expect("mkdir config");
        std::fs::copy(
            Path::new(ROOT).join(STOCK_SERVER_PROPERTIES),
            dir.path().join("config/server.properties"),
        )
        .expect("copy server.properties");
        std::os::unix::fs::symlink(Path::new(ROOT).join("scripts"), dir.path().join("scripts"))
            .expect("link scripts");
        let data = dir.path().join("kafka-logs");
        let mut paths = vec![bin];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(paths).expect("PATH");
        Sandbox { dir, data, path }
    }

    fn shell(&self, command: &str) -> Command {
        let mut shell = Command::new("bash");
        shell
            .arg("-c")
            .arg(format!("set -o pipefail; {command}"))
            .current_dir(self.dir.path())
            .env("PATH", &self.path)
            .stdin(Stdio::null());
        shell
    }

    /// Runs `command` to completion (bounded by [`PATIENCE`]); returns stdout and stderr.
    fn run(&self, command: &str, bootstrap: &str) -> String {
        let command = command.replace(README_BOOTSTRAP, bootstrap);
        let out = self.dir.path().join(".out");
        let err = self.dir.path().join(".err");
        let mut child = self
            .shell(&command)
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("spawn bash");
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("README command hung: {command}");
            }
            std::thread::sleep(POLL);
        };
        let text = format!(
            "{}{}",
            std::fs::read_to_string(&out).unwrap_or_default(),
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        assert!(
            status.success(),
            "README command failed ({status}): {command}\n{text}"
        );
        text
    }
}

/// A broker started by a README command.
struct Broker {
    child: Child,
    address: String,
}

impl Broker {
    /// Runs a `kafka-server-start` command line from the README with a free port and the
    /// sandbox's data directory; waits until it serves.
    fn start(sandbox: &Sandbox, command: &str) -> Broker {
        // Apache's stock server.properties sets the same delay; it keeps group joins quick.
        let command = format!(
            "exec {command} --override listeners=PLAINTEXT://127.0.0.1:0 \
             --override advertised.listeners=PLAINTEXT://127.0.0.1:0 --override log.dirs={} \
             --override group.initial.rebalance.delay.ms=0",
            sandbox.data.display()
        );
        let mut child = sandbox
            .shell(&command)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kafka-server-start");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        let mut address = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                panic!("{command} did not start:\n{}", seen.join("\n"));
            };
            if let Some(rest) = line.split(ADDRESS_LINE).nth(1) {
                address = rest.split(". ").next().map(str::to_string);
            }
            let started = line.contains(STARTED_LINE);
            seen.push(line);
            if started {
                break;
            }
        }
        let address = address.expect("the broker logs its address");
        Broker { child, address }
    }

    /// SIGTERM, and a clean exit.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + PATIENCE;
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit;
            }
            assert!(Instant::now() < deadline, "the broker did not stop");
            std::thread::sleep(POLL);
        };
        assert!(exit.success(), "the broker exited with {exit}");
    }
}

#[test]
fn every_readme_command_runs() {
    let text = readme();
    let items = items(&text);
    assert!(
        items.iter().any(|i| matches!(i, Item::Output { .. })),
        "no output blocks found"
    );
    let sandbox = Sandbox::new();
    let mut broker: Option<Broker> = None;
    let mut last_output = String::new();
    let mut ran = 0;
    for item in &items {
        match item {
            Item::Commands { line, commands } => {
                last_output.clear();
                for command in commands {
                    let server = command
                        .strip_prefix(CARGO_RUN_BROKER)
                        .map(|rest| format!("kafka-server-start{rest}"))
                        .or_else(|| {
                            (command.split_whitespace().next() == Some("kafka-server-start"))
                                .then(|| command.clone())
                        });
                    if let Some(server) = server {
                        if let Some(previous) = broker.take() {
                            previous.stop();
                        }
                        broker = Some(Broker::start(&sandbox, &server));
                    } else if let Some((_, file)) =
                        COVERED_ELSEWHERE.iter().find(|(c, _)| c == command)
                    {
                        let runner = std::fs::read_to_string(Path::new(ROOT).join(file))
                            .expect("read the covering file");
                        assert!(
                            runner.contains(command.as_str()),
                            "README.md:{line}: {file} should run `{command}`"
                        );
                    } else {
                        let bootstrap = broker.as_ref().map(|b| b.address.clone());
                        let bootstrap = bootstrap.unwrap_or_else(|| {
                            panic!("README.md:{line}: `{command}` runs before any broker start")
                        });
                        last_output.push_str(&sandbox.run(command, &bootstrap));
                    }
                    ran += 1;
                }
            }
            Item::Output { line, lines } => {
                for expected in lines.iter().filter(|l| !l.trim().is_empty()) {
                    assert!(
                        last_output.lines().any(|actual| matches(expected, actual)),
                        "README.md:{line}: no line matches {expected:?} in:\n{last_output}"
                    );
                }
            }
        }
    }
    assert!(ran > 0);
    if let Some(broker) = broker {
        broker.stop();
    }
}

/// "0–13 (3–13 accepted)" → (0, 13); "0" → (0, 0).
fn parse_range(text: &str) -> Option<(i16, i16)> {
    let text = text.split('(').next()?.trim();
    match text.split_once('–') {
        Some((min, max)) => Some((min.trim().parse().ok()?, max.trim().parse().ok()?)),
        None => {
            let v = text.parse().ok()?;
            Some((v, v))
        }
    }
}

#[test]
fn readme_api_table_is_what_the_broker_advertises() {
    const SECTION: &str = "### Broker: Kafka APIs";
    let text = readme();
    let section = text
        .split(SECTION)
        .nth(1)
        .expect("the README has the API section");
    let mut listed = BTreeMap::new();
    for row in section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (names, versions) = (cells[1], cells[2]);
        let names: Vec<&str> = names.split(", ").collect();
        let ranges: Vec<&str> = versions.split(", ").collect();
        assert_eq!(names.len(), ranges.len(), "row {row}");
        for (name, range) in names.into_iter().zip(ranges) {
            let range = parse_range(range).unwrap_or_else(|| panic!("range in {row}"));
            assert!(
                listed.insert(name.to_string(), range).is_none(),
                "{name} twice"
            );
        }
    }
    let advertised: BTreeMap<String, (i16, i16)> = BROKER_APIS
        .iter()
        .map(|r| (format!("{:?}", r.key), (r.min, r.max)))
        .collect();
    assert_eq!(listed, advertised, "README.md's API table vs BROKER_APIS");
}

#[test]
fn readme_parsing() {
    let body: Vec<String> = [
        "# comment",
        "a \\",
        "  b",
        "",
        "x | # pipe",
        "  y",
        "z 'q # not a comment' # a comment",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(commands(&body), ["a b", "x | y", "z 'q # not a comment'"]);
    assert!(matches(
        "Topic: t\tTopicId: ...\tCount: 1",
        "Topic: t\tTopicId: abc\tCount: 1 "
    ));
    assert!(matches("GROUP  LAG ...", "GROUP  LAG  X"));
    assert!(!matches("GROUP  LAG ...", "GROUPS LAG"));
    assert!(!matches("abc", "abcd"));
    let items = items(
        "<!-- output -->\n```text\nx\n```\n```text\ny\n```\n<!-- a\n```sh\n-->\n```sh\nls\n```\n",
    );
    assert_eq!(items.len(), 2);
}
