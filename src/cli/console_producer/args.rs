//! `kafka-console-producer` options (Apache Kafka 4.x names and help texts, plus the 3.x
//! `--broker-list` and kafkit's `--input`), their validation in Apache's order, and the merge of
//! producer and reader properties (Apache's `ConsoleProducer.producerProps` rules).

use std::collections::BTreeMap;

use clap::{CommandFactory, Parser};
use regex::Regex;

use super::line_reader::java_split;
use super::Settings;
use crate::cli::common::{self, UsageError};

pub const DESCRIPTION: &str =
    "This tool helps to read data from standard input and publish it to Kafka.";
/// The reader class names that mean "the default line reader" (4.x and 3.x).
const DEFAULT_READERS: [&str; 3] = [
    "org.apache.kafka.tools.LineMessageReader",
    "kafka.tools.LineMessageReader",
    "kafka.tools.ConsoleProducer$LineMessageReader",
];
/// `Utils.getPort`'s pattern, applied to each bootstrap entry.
const HOST_PORT_PATTERN: &str = r"^(?:[0-9a-zA-Z\-%._]*://)?\[?([0-9a-zA-Z\-%._:]*)]?:([0-9]+)$";

/// The Java defaults of the options that map to producer properties.
const DEFAULT_BATCH_SIZE: i32 = 16_384;
const DEFAULT_RETRIES: i32 = 3;
const DEFAULT_RETRY_BACKOFF_MS: i64 = 100;
const DEFAULT_LINGER_MS: i64 = 1000;
const DEFAULT_ACKS: &str = "-1";
const DEFAULT_REQUEST_TIMEOUT_MS: i32 = 1500;
const DEFAULT_METADATA_EXPIRY_MS: i64 = 300_000;
const DEFAULT_MAX_BLOCK_MS: i64 = 60_000;
const DEFAULT_MAX_MEMORY_BYTES: i64 = 33_554_432;
const DEFAULT_SOCKET_BUFFER_SIZE: i32 = 102_400;
const CLIENT_ID: &str = "console-producer";

/// How input lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Apache's `LineMessageReader`.
    Text,
    /// kafkit's JSON-lines envelope.
    Json,
}

/// `kafka-console-producer` options.
#[derive(Debug, Parser)]
#[command(name = "kafka-console-producer", about = DESCRIPTION, version)]
pub struct ConsoleProducerArgs {
    /// REQUIRED: The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(
        long,
        value_name = "String: server to connect to",
        allow_hyphen_values = true
    )]
    pub bootstrap_server: Option<String>,
    /// DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The broker list string in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(long, value_name = "String: broker-list", allow_hyphen_values = true)]
    pub broker_list: Option<String>,
    /// REQUIRED: The topic name to produce messages to.
    #[arg(long, value_name = "String: topic", allow_hyphen_values = true)]
    pub topic: Option<String>,
    /// If set message send requests to the brokers are synchronously, one at a time as they arrive.
    #[arg(long)]
    pub sync: bool,
    /// The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'
    #[arg(
        long,
        value_name = "String: compression-codec",
        num_args = 0..=1,
        default_missing_value = "gzip"
    )]
    pub compression_codec: Option<String>,
    /// Number of messages to send in a single batch if they are not being sent synchronously. please note that this option will be replaced if max-partition-memory-bytes is also set (default: 16384)
    #[arg(long, value_name = "Integer: size", allow_hyphen_values = true)]
    pub batch_size: Option<i32>,
    /// The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached. This is the option to control `batch.size` in producer configs. (default: 16384)
    #[arg(
        long,
        value_name = "Integer: memory in bytes per partition",
        allow_hyphen_values = true
    )]
    pub max_partition_memory_bytes: Option<i32>,
    /// Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message. This is the option to control `retries` in producer configs. (default: 3)
    #[arg(long, value_name = "Integer", allow_hyphen_values = true)]
    pub message_send_max_retries: Option<i32>,
    /// Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata. This is the option to control `retry.backoff.ms` in producer configs. (default: 100)
    #[arg(long, value_name = "Long", allow_hyphen_values = true)]
    pub retry_backoff_ms: Option<i64>,
    /// If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in producer configs. (default: 1000)
    #[arg(long, value_name = "Long: timeout_ms", allow_hyphen_values = true)]
    pub timeout: Option<i64>,
    /// The required `acks` of the producer requests (default: -1)
    #[arg(
        long,
        value_name = "String: request required acks",
        allow_hyphen_values = true
    )]
    pub request_required_acks: Option<String>,
    /// The ack timeout of the producer requests. Value must be non-negative and non-zero. (default: 1500)
    #[arg(
        long,
        value_name = "Integer: request timeout ms",
        allow_hyphen_values = true
    )]
    pub request_timeout_ms: Option<i32>,
    /// The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes. This is the option to control `metadata.max.age.ms` in producer configs. (default: 300000)
    #[arg(
        long,
        value_name = "Long: metadata expiration interval",
        allow_hyphen_values = true
    )]
    pub metadata_expiry_ms: Option<i64>,
    /// The max time that the producer will block for during a send request. (default: 60000)
    #[arg(
        long,
        value_name = "Long: max block on send",
        allow_hyphen_values = true
    )]
    pub max_block_ms: Option<i64>,
    /// The total memory used by the producer to buffer records waiting to be sent to the server. This is the option to control `buffer.memory` in producer configs. (default: 33554432)
    #[arg(
        long,
        value_name = "Long: total memory in bytes",
        allow_hyphen_values = true
    )]
    pub max_memory_bytes: Option<i64>,
    /// The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in producer configs. (default: 102400)
    #[arg(long, value_name = "Integer: size", allow_hyphen_values = true)]
    pub socket_buffer_size: Option<i32>,
    /// The class name of the class to use for reading lines from standard in. By default each line is read as a separate message. (default: org.apache.kafka.tools.LineMessageReader)
    #[arg(long, value_name = "String: reader_class", allow_hyphen_values = true)]
    pub line_reader: Option<String>,
    /// A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader. Default properties include: parse.key=false, parse.headers=false, ignore.error=false, key.separator=\t, headers.delimiter=\t, headers.separator=,, headers.key.separator=:, null.marker= (when set, any fields (key, value and headers) equal to this will be replaced by null). Default parsing pattern when parse.headers=true and parse.key=true: "h1:v1,h2:v2...\tkey\tvalue"; parse.key=true: "key\tvalue"; parse.headers=true: "h1:v1,h2:v2...\tvalue"
    #[arg(long, value_name = "String: reader_prop", allow_hyphen_values = true)]
    pub reader_property: Vec<String>,
    /// DEPRECATED: use --reader-property instead.
    #[arg(long, value_name = "String: prop", allow_hyphen_values = true)]
    pub property: Vec<String>,
    // Apache's help text names `[property]`, which rustdoc would take for a link: set as `help`.
    #[arg(
        long,
        value_name = "String: config file",
        allow_hyphen_values = true,
        help = "Config properties file for the message reader. Note that [property] takes precedence over this config."
    )]
    pub reader_config: Option<String>,
    /// Producer config properties in the form key=value.
    #[arg(long, value_name = "String: producer_prop", allow_hyphen_values = true)]
    pub command_property: Vec<String>,
    /// DEPRECATED: use --command-property instead.
    #[arg(long, value_name = "String: producer_prop", allow_hyphen_values = true)]
    pub producer_property: Vec<String>,
    /// Producer config properties file. Note that [command-property] takes precedence over this config.
    #[arg(long, value_name = "String: config file", allow_hyphen_values = true)]
    pub command_config: Option<String>,
    /// DEPRECATED: use --command-config instead.
    #[arg(
        long = "producer.config",
        value_name = "String: config file",
        allow_hyphen_values = true
    )]
    pub producer_config: Option<String>,
    /// kafkit extension: the input format: `text` (Apache's line reader, default) or `json` (the JSON-lines envelope written by kafka-console-consumer --output json).
    #[arg(
        long,
        value_name = "String: text|json",
        allow_hyphen_values = true,
        help_heading = common::EXTENSION_HEADING
    )]
    pub input: Option<String>,
    /// Words that are not options are ignored, as Apache's tool does.
    #[arg(hide = true)]
    pub ignored: Vec<String>,
}

/// The clap command: what the binary parses and prints in its help table, and what the
/// completions and man page are generated from.
pub fn command() -> clap::Command {
    ConsoleProducerArgs::command()
}

/// The help table.
pub fn help() -> String {
    common::jopt_help(&command())
}

fn deprecated(old: &str, new: &str) {
    eprintln!(
        "Warning: --{old} is deprecated and will be removed in a future version. Use --{new} instead."
    );
}

/// Apache's `validateBootstrapServer`.
fn validate_bootstrap(servers: Option<&str>) -> Result<(), UsageError> {
    let servers = servers.unwrap_or_default();
    if servers.trim().is_empty() {
        return Err(UsageError::with_usage(
            "Error while validating the bootstrap address\n",
        ));
    }
    let pattern = Regex::new(HOST_PORT_PATTERN).map_err(|e| UsageError::plain(e.to_string()))?;
    let comma = Regex::new(",").map_err(|e| UsageError::plain(e.to_string()))?;
    let entries = java_split(&comma, servers);
    if entries.is_empty() || !entries.iter().all(|e| pattern.is_match(e)) {
        return Err(UsageError::with_usage(
            "Please provide valid host:port like host1:9091,host2:9092\n",
        ));
    }
    Ok(())
}

/// Apache's checks, in its order; prints the deprecation notices (to stderr: a deliberate
/// deviation, stdout carries only prompts).
pub fn validate(args: &ConsoleProducerArgs) -> Result<Settings, UsageError> {
    let Some(topic) = args.topic.clone() else {
        return Err(UsageError::with_usage(
            "Missing required argument \"[topic]\"",
        ));
    };
    let pairs = [
        (
            args.command_config.is_some(),
            args.producer_config.is_some(),
            "command-config",
            "producer.config",
        ),
        (
            !args.command_property.is_empty(),
            !args.producer_property.is_empty(),
            "command-property",
            "producer-property",
        ),
        (
            !args.reader_property.is_empty(),
            !args.property.is_empty(),
            "reader-property",
            "property",
        ),
    ];
    for (new, old, new_name, old_name) in pairs {
        if new && old {
            return Err(UsageError::with_usage(format!(
                "Options --{new_name} and --{old_name} cannot be specified together."
            )));
        }
    }
    for (_, old, new_name, old_name) in pairs {
        if old {
            deprecated(old_name, new_name);
        }
    }
    if args.max_partition_memory_bytes.is_some() {
        eprintln!("Warning: --max-partition-memory-bytes is deprecated and will be removed in Apache Kafka 5.0. Use --batch-size instead.");
    }
    let bootstrap = args
        .bootstrap_server
        .clone()
        .or_else(|| args.broker_list.clone());
    validate_bootstrap(bootstrap.as_deref())?;
    if let Some(reader) = &args.line_reader {
        if !DEFAULT_READERS.contains(&reader.as_str()) {
            // What Apache prints for a class it cannot load (ClassNotFoundException's
            // message): kafkit loads no Java classes, so any other reader is "not found".
            return Err(UsageError::plain(reader.clone()));
        }
    }
    let input = match args.input.as_deref() {
        None | Some("text") => Input::Text,
        Some("json") => Input::Json,
        Some(other) => {
            return Err(UsageError::with_usage(format!(
                "Invalid value {other} for option input: must be text or json"
            )))
        }
    };
    Ok(Settings {
        bootstrap: bootstrap.unwrap_or_default(),
        topic,
        input,
    })
}

fn overlay(target: &mut BTreeMap<String, String>, entries: &[String]) {
    for entry in entries {
        let (key, value) = common::split_property(entry);
        target.insert(key, value);
    }
}

/// A property map.
pub type Properties = BTreeMap<String, String>;

/// Producer and reader properties, merged as Apache's `ConsoleProducer` does.
pub fn properties(
    args: &ConsoleProducerArgs,
    settings: &Settings,
) -> Result<(Properties, Properties), String> {
    let mut producer = match args
        .command_config
        .as_ref()
        .or(args.producer_config.as_ref())
    {
        Some(path) => common::load_properties(path)?,
        None => BTreeMap::new(),
    };
    overlay(&mut producer, &args.command_property);
    overlay(&mut producer, &args.producer_property);
    producer.insert("bootstrap.servers".into(), settings.bootstrap.clone());
    let codec = match args.compression_codec.as_deref() {
        None => "none",
        Some("") => "gzip",
        Some(codec) => codec,
    };
    producer.insert("compression.type".into(), codec.to_string());
    producer
        .entry("client.id".into())
        .or_insert_with(|| CLIENT_ID.to_string());
    let batch_size = args.max_partition_memory_bytes.or(args.batch_size);
    let options: [(&str, Option<String>, String); 10] = [
        (
            "linger.ms",
            args.timeout.map(|v| v.to_string()),
            DEFAULT_LINGER_MS.to_string(),
        ),
        (
            "acks",
            args.request_required_acks.clone(),
            DEFAULT_ACKS.to_string(),
        ),
        (
            "request.timeout.ms",
            args.request_timeout_ms.map(|v| v.to_string()),
            DEFAULT_REQUEST_TIMEOUT_MS.to_string(),
        ),
        (
            "retries",
            args.message_send_max_retries.map(|v| v.to_string()),
            DEFAULT_RETRIES.to_string(),
        ),
        (
            "retry.backoff.ms",
            args.retry_backoff_ms.map(|v| v.to_string()),
            DEFAULT_RETRY_BACKOFF_MS.to_string(),
        ),
        (
            "send.buffer.bytes",
            args.socket_buffer_size.map(|v| v.to_string()),
            DEFAULT_SOCKET_BUFFER_SIZE.to_string(),
        ),
        (
            "buffer.memory",
            args.max_memory_bytes.map(|v| v.to_string()),
            DEFAULT_MAX_MEMORY_BYTES.to_string(),
        ),
        (
            "batch.size",
            batch_size.map(|v| v.to_string()),
            DEFAULT_BATCH_SIZE.to_string(),
        ),
        (
            "metadata.max.age.ms",
            args.metadata_expiry_ms.map(|v| v.to_string()),
            DEFAULT_METADATA_EXPIRY_MS.to_string(),
        ),
        (
            "max.block.ms",
            args.max_block_ms.map(|v| v.to_string()),
            DEFAULT_MAX_BLOCK_MS.to_string(),
        ),
    ];
    for (key, explicit, default) in options {
        match explicit {
            Some(value) => {
                producer.insert(key.to_string(), value);
            }
            None => {
                producer.entry(key.to_string()).or_insert(default);
            }
        }
    }
    let mut reader = match &args.reader_config {
        Some(path) => common::load_properties(path)?,
        None => BTreeMap::new(),
    };
    overlay(&mut reader, &args.reader_property);
    overlay(&mut reader, &args.property);
    Ok((producer, reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn parse(argv: &[&str]) -> ConsoleProducerArgs {
        match common::parse::<ConsoleProducerArgs>(
            command(),
            argv.iter().map(OsString::from).collect(),
        ) {
            common::Parsed::Run(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn merge_rules() {
        let args = parse(&[
            "--bootstrap-server",
            "localhost:9092",
            "--topic",
            "t",
            "--producer-property",
            "linger.ms=5",
            "--producer-property",
            "acks=1",
            "--request-required-acks",
            "all",
            "--compression-codec",
        ]);
        let settings = validate(&args).unwrap();
        let (producer, reader) = properties(&args, &settings).unwrap();
        assert_eq!(producer["linger.ms"], "5");
        assert_eq!(producer["acks"], "all");
        assert_eq!(producer["compression.type"], "gzip");
        assert_eq!(producer["client.id"], "console-producer");
        assert_eq!(producer["batch.size"], "16384");
        assert_eq!(producer["request.timeout.ms"], "1500");
        assert!(reader.is_empty());
    }

    #[test]
    fn bootstrap_validation() {
        assert!(validate_bootstrap(Some("localhost:9092,[::1]:9093")).is_ok());
        assert!(validate_bootstrap(Some("PLAINTEXT://broker:9092")).is_ok());
        assert!(validate_bootstrap(Some("a:1,")).is_ok());
        for bad in ["localhost", "a:1,b", ",a:1"] {
            assert_eq!(
                validate_bootstrap(Some(bad)).unwrap_err().message,
                "Please provide valid host:port like host1:9091,host2:9092\n",
                "{bad}"
            );
        }
        assert_eq!(
            validate_bootstrap(Some("  ")).unwrap_err().message,
            "Error while validating the bootstrap address\n"
        );
    }

    #[test]
    fn codec_without_value_is_gzip_and_next_option_is_not_taken() {
        let args = parse(&["--compression-codec", "--topic", "t"]);
        assert_eq!(args.compression_codec.as_deref(), Some("gzip"));
        assert_eq!(args.topic.as_deref(), Some("t"));
        let args = parse(&["--compression-codec", "lz4", "--topic", "t"]);
        assert_eq!(args.compression_codec.as_deref(), Some("lz4"));
    }
}
