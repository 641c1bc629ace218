//! The consume loop (Apache's `ConsoleConsumer.process`): count each record, then format it to
//! a buffered stdout (flushed whenever no fetched data is waiting, so a pipe sees records
//! promptly), until `--max-messages`, `--timeout-ms` of idleness, a signal, a closed stdout or an
//! error; then `Processed a total of N messages` on stderr.
//!
//! Exit codes: 0 after max-messages, the idle timeout or a closed stdout pipe (as Apache);
//! 130 / 143 after SIGINT / SIGTERM (as the JVM); 1 for every failure (Apache exits 0 after a
//! receive error: a deliberate deviation).

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};
use tokio::time::Instant;

use super::formatter::{FormatError, Formatter};
use super::log::{self, CONSOLE_CONSUMER};
use super::options::{Selection, Settings};
use crate::cli::common::{self, EXIT_FAILURE};
use crate::client::consumer::{
    Consumer, ConsumerConfig, ConsumerRecord, TopicPartition, TopicSelection,
};
use crate::client::Cluster;

/// stdout buffer: large enough that writes are rare system calls.
const OUTPUT_BUFFER_BYTES: usize = 256 * 1024;
/// How long one poll waits when there is no idle timeout.
const POLL_WAIT: Duration = Duration::from_secs(1);
const EXIT_SIGINT: u8 = 130;
const EXIT_SIGTERM: u8 = 143;
const TIMEOUT_EXCEPTION: &str = "org.apache.kafka.common.errors.TimeoutException";
const CONFIG_EXCEPTION: &str = "org.apache.kafka.common.config.ConfigException";
const KAFKA_EXCEPTION: &str = "org.apache.kafka.common.KafkaException";

/// Why consuming stopped.
enum Ending {
    MaxMessages,
    Timeout,
    Signal(u8),
    /// stdout was closed by its reader.
    BrokenPipe,
    /// Writing to stdout failed otherwise (e.g. a full disk).
    WriteFailed,
    /// A record could not be formatted (Java exception text).
    FormatFailed(String),
    /// Fetching failed.
    ReceiveFailed,
}

/// Logs a failure before consuming started (Apache: "Unknown error when running consumer").
fn startup_failure(exception: &str) -> ExitCode {
    log::error(
        CONSOLE_CONSUMER,
        "Unknown error when running consumer: ",
        Some(exception),
    );
    ExitCode::from(EXIT_FAILURE)
}

fn consumer(settings: &Settings) -> Result<Consumer, ExitCode> {
    let props = &settings.consumer_props;
    let config = ConsumerConfig::from_properties(props)
        .map_err(|e| startup_failure(&format!("{CONFIG_EXCEPTION}: {e}")))?;
    let client_config =
        common::client_config(props.get("bootstrap.servers").map(String::as_str), props)
            .map_err(|e| startup_failure(&format!("{CONFIG_EXCEPTION}: {e}")))?;
    if settings.user_group {
        eprintln!(
            "kafkit: consumer group membership (--group, or group.id in the consumer properties) is not available yet; consume without a group, or use --partition"
        );
        return Err(ExitCode::from(EXIT_FAILURE));
    }
    let cluster = Cluster::new(client_config)
        .map_err(|e| startup_failure(&format!("{KAFKA_EXCEPTION}: {e}")))?;
    let mut consumer = Consumer::new(Arc::new(cluster), config);
    let now_ms = chrono::Utc::now().timestamp_millis();
    match &settings.selection {
        Selection::Partition(topic, partition) => {
            let tp = TopicPartition::new(topic, *partition);
            consumer.assign([tp.clone()]);
            if let Some(start) = settings.start {
                consumer.seek(&tp, start.start_position(now_ms));
            }
        }
        Selection::Topic(topic) => {
            consumer.subscribe(TopicSelection::Topics(vec![topic.clone()]));
        }
        Selection::Include(pattern) => {
            let selection = TopicSelection::pattern(pattern).map_err(|e| {
                startup_failure(&format!("java.util.regex.PatternSyntaxException: {e}"))
            })?;
            consumer.subscribe(selection);
        }
    }
    if !matches!(settings.selection, Selection::Partition(..)) {
        if let Some(start) = settings.start {
            consumer.set_initial_position(start.start_position(now_ms));
        }
    }
    Ok(consumer)
}

pub async fn run(settings: Settings) -> ExitCode {
    let mut consumer = match consumer(&settings) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("cannot install signal handlers");
        return ExitCode::from(EXIT_FAILURE);
    };
    let Settings {
        max_messages,
        timeout,
        skip_message_on_error,
        systest_events,
        mut formatter,
        ..
    } = settings;
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, io::stdout());
    let mut count: u64 = 0;
    let limit: Option<u64> = max_messages.map(|m| u64::try_from(m).unwrap_or(0));
    let mut last_record = Instant::now();
    let ending = loop {
        if limit.is_some_and(|l| count >= l) {
            break Ending::MaxMessages;
        }
        if !consumer.has_buffered_records() {
            if let Err(e) = out.flush() {
                break write_ending(&e);
            }
        }
        let wait = match timeout {
            Some(t) => t.saturating_sub(last_record.elapsed()),
            None => POLL_WAIT,
        };
        let mut failure: Option<FormatError> = None;
        let polled = {
            let handler = |record: &ConsumerRecord<'_>| {
                handle(
                    record,
                    &mut formatter,
                    &mut out,
                    &mut count,
                    limit,
                    skip_message_on_error,
                    &mut failure,
                )
            };
            tokio::select! {
                polled = consumer.poll(wait, handler) => polled,
                _ = interrupt.recv() => break Ending::Signal(EXIT_SIGINT),
                _ = terminate.recv() => break Ending::Signal(EXIT_SIGTERM),
            }
        };
        match failure {
            Some(FormatError::Io(e)) => break write_ending(&e),
            Some(FormatError::Record(e)) => break Ending::FormatFailed(e),
            None => {}
        }
        match polled {
            Ok(0) => {
                if timeout.is_some_and(|t| last_record.elapsed() >= t) {
                    log::error(
                        CONSOLE_CONSUMER,
                        "Error processing message, terminating consumer process: ",
                        Some(TIMEOUT_EXCEPTION),
                    );
                    break Ending::Timeout;
                }
            }
            Ok(_) => last_record = Instant::now(),
            Err(e) => {
                log::error(
                    CONSOLE_CONSUMER,
                    "Error processing message, terminating consumer process: ",
                    Some(&format!("{KAFKA_EXCEPTION}: {e}")),
                );
                break Ending::ReceiveFailed;
            }
        }
    };
    finish(ending, out, count, systest_events)
}

/// One record: count it, then format it (Apache's order).
fn handle<W: Write>(
    record: &ConsumerRecord<'_>,
    formatter: &mut Formatter,
    out: &mut W,
    count: &mut u64,
    limit: Option<u64>,
    skip_message_on_error: bool,
    failure: &mut Option<FormatError>,
) -> ControlFlow<()> {
    *count += 1;
    match formatter.write(record, out) {
        Ok(()) => {}
        Err(FormatError::Record(e)) if skip_message_on_error => log::error(
            CONSOLE_CONSUMER,
            "Error processing message, skipping this message: ",
            Some(&e),
        ),
        Err(e) => {
            *failure = Some(e);
            return ControlFlow::Break(());
        }
    }
    if limit.is_some_and(|l| *count >= l) {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}

fn write_ending(error: &io::Error) -> Ending {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Ending::BrokenPipe
    } else {
        eprintln!("{error}");
        Ending::WriteFailed
    }
}

fn finish<W: Write>(ending: Ending, mut out: W, count: u64, systest_events: bool) -> ExitCode {
    let mut ending = ending;
    if !matches!(ending, Ending::BrokenPipe | Ending::WriteFailed) {
        if let Err(e) = out.flush() {
            let failed = write_ending(&e);
            if !matches!(ending, Ending::FormatFailed(_) | Ending::ReceiveFailed) {
                ending = failed;
            }
        }
    }
    if matches!(ending, Ending::BrokenPipe | Ending::WriteFailed) {
        eprintln!("Unable to write to standard out, closing consumer.");
    }
    // The buffer is dropped unflushed after a write error (flushing again would fail again).
    drop(out);
    eprintln!("Processed a total of {count} messages");
    if systest_events {
        println!("shutdown_complete");
    }
    match ending {
        Ending::MaxMessages | Ending::Timeout | Ending::BrokenPipe => ExitCode::SUCCESS,
        Ending::Signal(code) => ExitCode::from(code),
        Ending::FormatFailed(exception) => {
            log::error(
                CONSOLE_CONSUMER,
                "Unknown error when running consumer: ",
                Some(&exception),
            );
            ExitCode::from(EXIT_FAILURE)
        }
        Ending::WriteFailed | Ending::ReceiveFailed => ExitCode::from(EXIT_FAILURE),
    }
}
