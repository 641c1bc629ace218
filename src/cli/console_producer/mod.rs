//! `kafka-console-producer`: reads standard input line by line and produces each line to a
//! topic, drop-in for Apache's `ConsoleProducer`: same options (old and new spellings, and the
//! 3.x `--broker-list`), the same producer-property merge, the `LineMessageReader` rules and
//! messages, the `>` prompt on terminals. Deviations (see the README): every failure exits
//! non-zero, deprecation notices go to stderr. Extensions: `--input json` and a progress line on
//! stderr when it is a terminal.
//!
//! - [`args`] — the options and their validation.
//! - [`line_reader`] — Apache's line-to-record rules.
//! - [`lines`] — stdin as Java-style lines.
//! - [`json_input`] — the JSON-lines envelope.

pub mod args;
pub mod json_input;
pub mod line_reader;
pub mod lines;
mod progress;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use self::args::{ConsoleProducerArgs, Input};
use self::line_reader::ReaderConfig;
use self::lines::LineSplitter;
use super::common::{self, Parsed, EXIT_FAILURE};
use crate::client::producer::{Delivery, Producer, ProducerConfig, Record, RecordHeader};
use crate::client::{ClientConfig, Cluster};

/// Where the run stands, shared with the delivery callback and the progress line.
#[derive(Debug, Default)]
pub struct Counters {
    pub sent_records: AtomicU64,
    pub sent_bytes: AtomicU64,
    pub failed_records: AtomicU64,
}

/// Entry point: parse `argv` (without the program name) and run.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let no_args = argv.is_empty();
    let args = match common::parse::<ConsoleProducerArgs>(args::command(), argv) {
        Parsed::Run(args) if !no_args => args,
        Parsed::Help => {
            eprintln!("{}", args::DESCRIPTION);
            eprint!("{}", args::help());
            return ExitCode::SUCCESS;
        }
        Parsed::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Parsed::Run(_) => {
            return common::usage_failure_of(
                &args::command(),
                &common::UsageError::with_usage(args::DESCRIPTION),
            )
        }
        Parsed::Error(e) => return parse_failure(e.message),
    };
    let settings = match args::validate(&args) {
        Ok(settings) => settings,
        Err(e) => return common::usage_failure_of(&args::command(), &e),
    };
    let runtime = match common::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(run(args, settings))
}

/// A parser error the Apache way: jopt-simple rejects unknown options and missing arguments
/// while parsing (message, then the help table), but a value of the wrong type or a repeated
/// single-valued option only fails when `ConsoleProducer` reads it, and it prints the message
/// alone.
fn parse_failure(message: String) -> ExitCode {
    const READ_ERRORS: [&str; 2] = ["Cannot parse argument", "Found multiple arguments"];
    let error = if READ_ERRORS.iter().any(|start| message.starts_with(start)) {
        common::UsageError::plain(message)
    } else {
        common::UsageError::with_usage(message)
    };
    common::usage_failure_of(&args::command(), &error)
}

/// Everything `run` needs that validation produced.
#[derive(Debug)]
pub struct Settings {
    pub bootstrap: String,
    pub topic: String,
    pub input: Input,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(EXIT_FAILURE)
}

/// Java's log line for a failed send (`ErrorLoggingCallback`), followed by the error.
fn error_line(topic: &str, key: Option<u32>, value: Option<u32>, error: &dyn std::fmt::Display) {
    let size = |s: Option<u32>| match s {
        None => "null".to_string(),
        Some(n) => format!("{n} bytes"),
    };
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
    eprintln!(
        "[{now}] ERROR Error when sending message to topic {topic} with key: {}, value: {} with error: (org.apache.kafka.clients.producer.internals.ErrorLoggingCallback)\n{error}",
        size(key),
        size(value)
    );
}

async fn run(args: ConsoleProducerArgs, settings: Settings) -> ExitCode {
    let (producer_properties, reader_properties) = match args::properties(&args, &settings) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let reader = match settings.input {
        Input::Text => match ReaderConfig::from_properties(&reader_properties) {
            Ok(r) => Some(r),
            Err(e) => return fail(e),
        },
        Input::Json => None,
    };
    let producer_config = match ProducerConfig::from_properties(&producer_properties) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let client_config: ClientConfig =
        match common::client_config(Some(&settings.bootstrap), &producer_properties) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
    let cluster = match Cluster::new(client_config) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e),
    };
    let counters = Arc::new(Counters::default());
    let callback_counters = counters.clone();
    let producer = Producer::new(
        cluster,
        producer_config,
        Box::new(move |delivery: &Delivery<'_>| {
            let records = delivery.records.len() as u64;
            match delivery.result {
                Ok(()) => {
                    let bytes: u64 = delivery
                        .records
                        .iter()
                        .map(|r| u64::from(r.key_size.unwrap_or(0) + r.value_size.unwrap_or(0)))
                        .sum();
                    callback_counters
                        .sent_records
                        .fetch_add(records, Ordering::Relaxed);
                    callback_counters
                        .sent_bytes
                        .fetch_add(bytes, Ordering::Relaxed);
                }
                Err(error) => {
                    callback_counters
                        .failed_records
                        .fetch_add(records, Ordering::Relaxed);
                    for record in delivery.records {
                        error_line(delivery.topic, record.key_size, record.value_size, error);
                    }
                }
            }
        }),
    );
    let progress = progress::Progress::start(counters.clone());
    let prompt = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let outcome = produce_stdin(
        &producer,
        &settings,
        reader.as_ref(),
        prompt,
        args.sync,
        &counters,
    )
    .await;
    producer.close().await;
    progress.finish();
    let failed = counters.failed_records.load(Ordering::Relaxed);
    match outcome {
        Err(message) if message.is_empty() => ExitCode::from(EXIT_FAILURE),
        Err(message) => fail(message),
        Ok(()) if failed > 0 => ExitCode::from(EXIT_FAILURE),
        Ok(()) => ExitCode::SUCCESS,
    }
}

fn print_prompt() {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(b">");
    let _ = stdout.flush();
}

/// Reads stdin to the end, sending one record per line. Returns the message of an error that
/// ends the run (a parse error, a `--sync` failure, a read error).
async fn produce_stdin(
    producer: &Producer,
    settings: &Settings,
    reader: Option<&ReaderConfig>,
    prompt: bool,
    sync: bool,
    counters: &Counters,
) -> Result<(), String> {
    let mut chunks = lines::spawn_stdin_reader();
    let mut splitter = LineSplitter::new();
    let mut line_number: u64 = 0;
    let mut finished = false;
    loop {
        if prompt {
            print_prompt();
        }
        // The next line, reading more input as needed.
        let span = loop {
            if let Some(span) = splitter.next_line() {
                break Some(span);
            }
            if finished {
                break None;
            }
            match chunks.recv().await {
                Some(Ok(chunk)) => splitter.push(chunk),
                Some(Err(e)) => return Err(format!("Error reading standard input: {e}")),
                None => {
                    splitter.finish();
                    finished = true;
                }
            }
        };
        let Some(span) = span else {
            return Ok(());
        };
        line_number += 1;
        let bytes = splitter.bytes(span);
        // Apache decodes stdin as UTF-8, replacing malformed bytes with U+FFFD (checked with
        // the fast validator first: almost every line is valid).
        let line = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let result = match reader {
            Some(reader) => {
                // Empty vectors do not allocate: only lines with headers pay for them.
                let mut slices = Vec::new();
                let (key, value) = reader.parse(&line, line_number, &mut slices)?;
                let headers: Vec<RecordHeader<'_>> = slices
                    .iter()
                    .map(|(k, v)| RecordHeader {
                        key: k.as_bytes(),
                        value: v.map(str::as_bytes),
                    })
                    .collect();
                let record = Record {
                    topic: &settings.topic,
                    partition: None,
                    timestamp: None,
                    key: key.map(str::as_bytes),
                    value: value.map(str::as_bytes),
                    headers: &headers,
                };
                send_one(producer, &record, sync, counters).await
            }
            None => {
                if line.trim().is_empty() {
                    continue;
                }
                let parsed = json_input::parse(&line, line_number)?;
                let headers: Vec<RecordHeader<'_>> = parsed
                    .headers
                    .iter()
                    .map(|(k, v)| RecordHeader {
                        key: k,
                        value: v.as_deref(),
                    })
                    .collect();
                let record = Record {
                    topic: &settings.topic,
                    partition: parsed.partition,
                    timestamp: parsed.timestamp,
                    key: parsed.key.as_deref(),
                    value: parsed.value.as_deref(),
                    headers: &headers,
                };
                send_one(producer, &record, sync, counters).await
            }
        };
        result?;
    }
}

/// Sends one record; with `--sync`, waits for its acknowledgement.
async fn send_one(
    producer: &Producer,
    record: &Record<'_>,
    sync: bool,
    counters: &Counters,
) -> Result<(), String> {
    let key = record.key.map(|k| k.len() as u32);
    let value = record.value.map(|v| v.len() as u32);
    if let Err(e) = producer.send(record).await {
        counters.failed_records.fetch_add(1, Ordering::Relaxed);
        error_line(record.topic, key, value, &e);
        // With --sync the run ends here; the error was printed above.
        return if sync { Err(String::new()) } else { Ok(()) };
    }
    if sync {
        producer.flush().await;
        if counters.failed_records.load(Ordering::Relaxed) > 0 {
            // The delivery callback already printed the error.
            return Err(String::new());
        }
    }
    Ok(())
}
