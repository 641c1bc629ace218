//! The consume loop (Apache's `ConsoleConsumer.process`): count each record, then format it to
//! a buffered stdout (flushed whenever no fetched data is waiting, so a pipe sees records
//! promptly), until `--max-messages`, `--timeout-ms` of idleness, a signal, a closed stdout or an
//! error; then `Processed a total of N messages` on stderr.
//!
//! Exit codes: 0 after max-messages, the idle timeout or a closed stdout pipe (as Apache);
//! 130 / 143 after SIGINT / SIGTERM (as the JVM); 1 for every failure (Apache exits 0 after a
//! receive error: a deliberate deviation).

use std::collections::BTreeMap;
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
    Consumer, ConsumerConfig, ConsumerRecord, StartPosition, TopicPartition, TopicSelection,
};
use crate::client::group::config::{GroupConfig, Subscription, TopicPattern};
use crate::client::group::offsets::OffsetAndMetadata;
use crate::client::group::{GroupMember, Rebalance};
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

/// The consumer, and with `--group` (or `group.id`) the group member that assigns its partitions.
fn consumer(settings: &Settings) -> Result<(Consumer, Option<GroupMember>), ExitCode> {
    let props = &settings.consumer_props;
    let config = ConsumerConfig::from_properties(props)
        .map_err(|e| startup_failure(&format!("{CONFIG_EXCEPTION}: {e}")))?;
    let client_config =
        common::client_config(props.get("bootstrap.servers").map(String::as_str), props)
            .map_err(|e| startup_failure(&format!("{CONFIG_EXCEPTION}: {e}")))?;
    let cluster = Arc::new(
        Cluster::new(client_config)
            .map_err(|e| startup_failure(&format!("{KAFKA_EXCEPTION}: {e}")))?,
    );
    let mut consumer = Consumer::new(cluster.clone(), config);
    if settings.user_group {
        // The group decides the partitions; the consumer only fetches what it is given.
        let member = group_member(settings, cluster)?;
        return Ok((consumer, Some(member)));
    }
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
    Ok((consumer, None))
}

/// A member of the group named by `group.id`, subscribed to `--topic` or `--include`, with the
/// group settings of the consumer properties (session timeout, assignors, auto-commit, ...).
fn group_member(settings: &Settings, cluster: Arc<Cluster>) -> Result<GroupMember, ExitCode> {
    let props = &settings.consumer_props;
    let group_id = props.get("group.id").cloned().unwrap_or_default();
    let mut config = GroupConfig::new(&group_id);
    for (key, value) in props {
        config
            .set(key, value)
            .map_err(|e| startup_failure(&format!("{CONFIG_EXCEPTION}: {e}")))?;
    }
    let subscription = match &settings.selection {
        Selection::Topic(topic) => Subscription::Topics(vec![topic.clone()]),
        Selection::Include(pattern) => {
            Subscription::Pattern(TopicPattern::new(pattern).map_err(|e| {
                startup_failure(&format!("java.util.regex.PatternSyntaxException: {e}"))
            })?)
        }
        // Options validation refuses --group with --partition.
        Selection::Partition(topic, _) => Subscription::Topics(vec![topic.clone()]),
    };
    GroupMember::new(cluster, config, subscription)
        .map_err(|e| startup_failure(&format!("{KAFKA_EXCEPTION}: {e}")))
}

/// The consumer's positions as the offsets a group commits.
fn positions_of(consumer: &Consumer) -> BTreeMap<(String, i32), OffsetAndMetadata> {
    consumer
        .positions()
        .into_iter()
        .map(|(tp, offset)| {
            (
                (tp.topic.to_string(), tp.partition),
                OffsetAndMetadata::new(offset),
            )
        })
        .collect()
}

/// Applies a completed rebalance: fetch exactly the new assignment; partitions it kept keep
/// their positions (cooperative rebalances), new ones start from their committed offset or per
/// `auto.offset.reset`.
fn apply_rebalance(consumer: &mut Consumer, rebalance: &Rebalance) {
    consumer.assign(
        rebalance
            .assigned
            .iter()
            .map(|(topic, partition)| TopicPartition::new(topic, *partition)),
    );
    for key in &rebalance.added {
        let start = match rebalance.committed.get(key) {
            Some(Some(committed)) => StartPosition::Offset(committed.offset),
            _ => StartPosition::Reset,
        };
        consumer.seek(&TopicPartition::new(&key.0, key.1), start);
    }
}

pub async fn run(settings: Settings) -> ExitCode {
    let (mut consumer, mut member) = match consumer(&settings) {
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
        if let Some(member) = member.as_mut() {
            // Auto-commits, and blocks while the group rebalances (as Java's poll does).
            let positions = positions_of(&consumer);
            let changed = tokio::select! {
                changed = member.poll(&positions) => changed,
                _ = interrupt.recv() => break Ending::Signal(EXIT_SIGINT),
                _ = terminate.recv() => break Ending::Signal(EXIT_SIGTERM),
            };
            match changed {
                Ok(Some(rebalance)) => apply_rebalance(&mut consumer, &rebalance),
                Ok(None) => {}
                Err(e) => {
                    log::error(
                        CONSOLE_CONSUMER,
                        "Error processing message, terminating consumer process: ",
                        Some(&format!("{KAFKA_EXCEPTION}: {e}")),
                    );
                    break Ending::ReceiveFailed;
                }
            }
        }
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
    if let Some(member) = member {
        // Commit what was handed out, then leave the group (Java's close).
        if let Err(e) = member.close(&positions_of(&consumer)).await {
            log::error(
                CONSOLE_CONSUMER,
                "Error closing the consumer group membership: ",
                Some(&format!("{KAFKA_EXCEPTION}: {e}")),
            );
        }
    }
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
