//! Running a command-line tool as a child process and comparing what it printed: the capture
//! (stdout, stderr, exit code, with a time limit), the filter that drops JVM and log4j lines from
//! a Java tool's stderr, normalisations (what is random in Kafka's output, such as topic ids; Java
//! stack traces a native tool cannot print) and the comparison itself. Both sides of a golden
//! comparison (Apache's tool and ours) go through here. It does not know where Apache Kafka lives
//! or how brokers start (`apache.rs` does).

use std::fmt;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a tool may run before it is killed and the test fails.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a running child is polled for its exit.
const EXIT_POLL: Duration = Duration::from_millis(10);
/// What a normalised topic id reads as.
pub const TOPIC_ID_PLACEHOLDER: &str = "<topic-id>";
/// Kafka prints a topic id as 22 characters of URL-safe base64 without padding.
const TOPIC_ID_LEN: usize = 22;

/// What one run of a tool printed, and how it ended.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when the process was killed by a signal (or by the time limit).
    pub code: Option<i32>,
    pub stdout: String,
    /// stderr without JVM and log4j lines (see [`filter_jvm_noise`]).
    pub stderr: String,
    /// stderr as printed.
    pub raw_stderr: String,
    /// True when the run hit its time limit and was killed.
    pub timed_out: bool,
}

impl ToolOutput {
    /// Panics with the whole output unless the tool exited with code 0.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code, Some(0), "tool failed:\n{self}");
        self
    }
}

impl fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        match (self.timed_out, self.code) {
            (true, _) => writeln!(f, "-- killed after {TOOL_TIMEOUT:?}")?,
            (false, Some(code)) => writeln!(f, "-- exit code {code}")?,
            (false, None) => writeln!(f, "-- killed by a signal")?,
        }
        writeln!(f, "-- stdout:\n{}", self.stdout)?;
        write!(f, "-- stderr (unfiltered):\n{}", self.raw_stderr)
    }
}

/// Runs `command` to completion on a blocking thread (so an in-process broker on the caller's
/// runtime keeps serving meanwhile), feeding it `stdin` and capturing both output streams.
pub async fn run_captured(command: Command, stdin: Option<Vec<u8>>) -> ToolOutput {
    tokio::task::spawn_blocking(move || run_captured_blocking(command, stdin, TOOL_TIMEOUT))
        .await
        .expect("tool runner thread")
}

/// The blocking core of [`run_captured`].
pub fn run_captured_blocking(
    mut command: Command,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> ToolOutput {
    let shown = show_command(&command);
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{shown}`: {e}"));
    // Each stream on its own thread: a child blocked writing one pipe must never wait on us.
    let feeder = child.stdin.take().zip(stdin).map(|(mut pipe, bytes)| {
        thread::spawn(move || {
            // The tool may exit before reading everything; that is its answer, not our error.
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = read_to_end_thread(child.stdout.take());
    let stderr = read_to_end_thread(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(EXIT_POLL),
            Err(e) => panic!("waiting for `{shown}`: {e}"),
        }
    };
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    let stdout = join_text(stdout);
    let raw_stderr = join_text(stderr);
    ToolOutput {
        command: shown,
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout,
        stderr: filter_jvm_noise(&raw_stderr),
        raw_stderr,
        timed_out,
    }
}

fn read_to_end_thread<R: Read + Send + 'static>(
    pipe: Option<R>,
) -> Option<thread::JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    })
}

fn join_text(handle: Option<thread::JoinHandle<Vec<u8>>>) -> String {
    let bytes = handle.and_then(|h| h.join().ok()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn show_command(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Drops what the JVM and log4j add to a Java tool's stderr, keeping what the tool itself printed:
/// - log4j records in Apache's tools layout `[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger)`,
///   including multi-line messages (stack traces) up to the line that ends with ` (logger)`;
/// - JVM warnings (`OpenJDK 64-Bit Server VM warning: ...`, `WARNING: ...` from the JDK,
///   `Picked up JAVA_TOOL_OPTIONS: ...`) and unified-logging lines (`[0.012s][warning][cds] ...`);
/// - log4j's own status lines (`... StatusLogger ...`).
pub fn filter_jvm_noise(stderr: &str) -> String {
    let mut kept = String::new();
    let mut in_record = false;
    for line in stderr.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if in_record {
            in_record = !ends_with_logger(text);
            continue;
        }
        if let Some(rest) = log4j_record_start(text) {
            in_record = !ends_with_logger(rest);
            continue;
        }
        if is_jvm_line(text) {
            continue;
        }
        kept.push_str(line);
    }
    kept
}

/// The part after `[timestamp] LEVEL ` when `line` starts a log4j record in the tools layout.
fn log4j_record_start(line: &str) -> Option<&str> {
    const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    // "[2026-11-25 09:13:17,788] " is 26 bytes.
    const STAMP_LEN: usize = 26;
    let stamp = line.get(..STAMP_LEN)?;
    let shape_ok = stamp.bytes().enumerate().all(|(i, b)| match i {
        0 => b == b'[',
        5 | 8 => b == b'-',
        11 => b == b' ',
        14 | 17 => b == b':',
        20 => b == b',',
        24 => b == b']',
        25 => b == b' ',
        _ => b.is_ascii_digit(),
    });
    if !shape_ok {
        return None;
    }
    let rest = &line[STAMP_LEN..];
    LEVELS
        .iter()
        .find_map(|level| rest.strip_prefix(level)?.strip_prefix(' '))
}

/// True when a line ends with ` (logger.Name)`, the end of a record in the tools layout.
fn ends_with_logger(line: &str) -> bool {
    let Some(body) = line.strip_suffix(')') else {
        return false;
    };
    let Some(open) = body.rfind('(') else {
        return false;
    };
    let logger = &body[open + 1..];
    (open == 0 || body[..open].ends_with(' '))
        && !logger.is_empty()
        && logger
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
}

fn is_jvm_line(line: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "OpenJDK 64-Bit Server VM warning: ",
        "Java HotSpot(TM) 64-Bit Server VM warning: ",
        "WARNING: ",
        "Picked up ",
        "NOTE: Picked up ",
    ];
    PREFIXES.iter().any(|p| line.starts_with(p))
        || line.contains(" StatusLogger ")
        || is_unified_jvm_log(line)
}

/// `[0.012s][warning][cds] ...`: the JVM's unified logging with its default decorations.
fn is_unified_jvm_log(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((uptime, rest)) = rest.split_once("s][") else {
        return false;
    };
    !uptime.is_empty()
        && uptime.chars().all(|c| c.is_ascii_digit() || c == '.')
        && ["warning]", "error]", "info]"]
            .iter()
            .any(|l| rest.starts_with(l))
}

/// Asserts that two runs of "the same command line" (Apache's tool and ours) agree: exit code,
/// stdout and filtered stderr, each after `normalise` (which should touch only what is random:
/// topic ids, member ids, hosts, timestamps). The message shows both runs in full.
pub fn assert_same_output(
    apache: &ToolOutput,
    ours: &ToolOutput,
    normalise: impl Fn(&str) -> String,
) {
    let differences: Vec<&str> = [
        (apache.code != ours.code, "exit code"),
        (
            normalise(&apache.stdout) != normalise(&ours.stdout),
            "stdout",
        ),
        (
            normalise(&apache.stderr) != normalise(&ours.stderr),
            "stderr",
        ),
    ]
    .into_iter()
    .filter_map(|(differs, what)| differs.then_some(what))
    .collect();
    assert!(
        differences.is_empty(),
        "Apache's tool and ours differ in {}:\n=== Apache\n{apache}\n=== ours\n{ours}",
        differences.join(", ")
    );
}

/// Removes Java stack traces a tool printed itself (not through log4j), which no native tool
/// can reproduce: a line naming a Throwable class (`java.lang.IllegalArgumentException: ...`)
/// followed by `\tat ...` frames, with their `Caused by:` / `\t... N more` lines and the one
/// empty line Kafka's tools print after `Utils.stackTrace(e)`. Everything else stays.
pub fn strip_java_stack_traces(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_frame = |line: &str| line.starts_with("\tat ") || line.starts_with("\t... ");
    // Jackson's exception messages go on with a location line before the frames.
    let message_end = |from: usize| {
        let mut end = from;
        while lines
            .get(end)
            .is_some_and(|l| l.starts_with(" at [Source: "))
        {
            end += 1;
        }
        end
    };
    let mut kept = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let frames_from = message_end(i + 1);
        if names_throwable(lines[i]) && lines.get(frames_from).is_some_and(|l| is_frame(l)) {
            i = frames_from;
            loop {
                if lines.get(i).is_some_and(|l| is_frame(l)) {
                    i += 1;
                    continue;
                }
                let cause_frames = message_end(i + 1);
                if lines.get(i).is_some_and(|l| l.starts_with("Caused by: "))
                    && lines.get(cause_frames).is_some_and(|l| is_frame(l))
                {
                    i = cause_frames;
                    continue;
                }
                break;
            }
            if lines
                .get(i)
                .is_some_and(|l| l.trim_end_matches(['\n', '\r']).is_empty())
            {
                i += 1;
            }
            continue;
        }
        kept.push_str(lines[i]);
        i += 1;
    }
    kept
}

fn names_throwable(line: &str) -> bool {
    let line = line.trim_end_matches(['\n', '\r']);
    let class = line.split_once(": ").map_or(line, |(class, _)| class);
    let simple = class.rsplit('.').next().unwrap_or_default();
    class.contains('.')
        && class
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
        && (simple.ends_with("Exception") || simple.ends_with("Error"))
}

/// Replaces every topic id printed after `TopicId: ` with [`TOPIC_ID_PLACEHOLDER`].
pub fn normalise_topic_ids(text: &str) -> String {
    const LABEL: &str = "TopicId: ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(LABEL) {
        let (before, after) = rest.split_at(at + LABEL.len());
        out.push_str(before);
        let id_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            .count();
        if id_len == TOPIC_ID_LEN {
            out.push_str(TOPIC_ID_PLACEHOLDER);
            rest = &after[id_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_multi_line_log4j_records_and_keeps_tool_text() {
        // Verbatim from Apache's TopicCommand 4.4 (--describe of a missing topic), plus a
        // one-line WARN record and a JDK warning.
        let stderr = "[2026-11-25 09:13:17,000] WARN [AdminClient clientId=adminclient-1] \
                      Connection to node -1 (/127.0.0.1:1) could not be established. \
                      (org.apache.kafka.clients.NetworkClient)\n\
                      [2026-11-25 09:13:17,788] ERROR java.lang.IllegalArgumentException: \
                      Topic 'nope' does not exist as expected\n\
                      \tat org.apache.kafka.tools.TopicCommand.ensureTopicExists(TopicCommand.java:207)\n\
                      \tat org.apache.kafka.tools.TopicCommand.main(TopicCommand.java:85)\n \
                      (org.apache.kafka.tools.TopicCommand)\n\
                      WARNING: A terminally deprecated method in sun.misc.Unsafe has been called\n\
                      Missing required argument \"[bootstrap-server]\"\n";
        assert_eq!(
            filter_jvm_noise(stderr),
            "Missing required argument \"[bootstrap-server]\"\n"
        );
    }

    #[test]
    fn keeps_lines_that_only_look_like_log_lines() {
        let stderr = "[2026-11-25] not a record\nOption (a) is wrong\n[0.5x][warning] x\n";
        assert_eq!(filter_jvm_noise(stderr), stderr);
    }

    #[test]
    fn drops_unified_jvm_logging() {
        assert_eq!(
            filter_jvm_noise("[0.012s][warning][cds] archive mismatch\nkept\n"),
            "kept\n"
        );
    }

    fn output(code: i32, stdout: &str, raw_stderr: &str) -> ToolOutput {
        ToolOutput {
            command: "tool".into(),
            code: Some(code),
            stdout: stdout.into(),
            stderr: filter_jvm_noise(raw_stderr),
            raw_stderr: raw_stderr.into(),
            timed_out: false,
        }
    }

    #[test]
    fn same_output_ignores_log_lines_and_normalised_parts() {
        let apache = output(
            0,
            "Topic: t\tTopicId: f_m8OarfRreH9Q6z2MaKGg\n",
            "[2026-11-25 09:13:17,000] WARN x (org.apache.kafka.X)\n",
        );
        let ours = output(0, "Topic: t\tTopicId: AAAAAAAAAAAAAAAAAAAAAQ\n", "");
        assert_same_output(&apache, &ours, normalise_topic_ids);
    }

    #[test]
    #[should_panic(expected = "differ in exit code, stdout")]
    fn same_output_names_what_differs() {
        let apache = output(1, "Error while executing topic command : x\n", "");
        let ours = output(0, "", "");
        assert_same_output(&apache, &ours, |s| s.to_string());
    }

    #[test]
    fn strips_printed_stack_traces_and_keeps_the_message() {
        // Verbatim from Apache's TopicCommand 4.4: `--list` without --bootstrap-server.
        let stderr = "--bootstrap-server must be specified\n\
                      java.lang.IllegalArgumentException: --bootstrap-server must be specified\n\
                      \tat org.apache.kafka.tools.TopicCommand$TopicCommandOptions.checkRequiredArgs(TopicCommand.java:924)\n\
                      \tat org.apache.kafka.tools.TopicCommand.main(TopicCommand.java:85)\n\
                      Caused by: java.io.IOException: x\n\
                      \t... 3 more\n\
                      \n";
        assert_eq!(
            strip_java_stack_traces(stderr),
            "--bootstrap-server must be specified\n"
        );
    }

    #[test]
    fn keeps_exception_names_without_frames() {
        let text = "Error: java.lang.IllegalStateException: x\njava.io.IOException: y\n\n";
        assert_eq!(strip_java_stack_traces(text), text);
    }

    #[test]
    fn normalises_topic_ids_only_of_the_right_length() {
        assert_eq!(
            normalise_topic_ids("Topic: t\tTopicId: f_m8OarfRreH9Q6z2MaKGg\tPartitionCount: 2"),
            "Topic: t\tTopicId: <topic-id>\tPartitionCount: 2"
        );
        assert_eq!(normalise_topic_ids("TopicId: short"), "TopicId: short");
    }
}
