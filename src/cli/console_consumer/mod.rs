//! `kafka-console-consumer`: read records from Kafka topics and print them, drop-in for
//! `kafka-console-consumer.sh` (Apache's `ConsoleConsumer`): same options (4.x names, the
//! deprecated 4.2 spellings and 3.x's `--whitelist`), same validation order and messages, same
//! formatter bytes. Extensions: `--output json` and `--offset` as a timestamp or a duration.
//!
//! - `options` — turning the parsed arguments into consumer and formatter settings.
//! - `start` — `--offset` values.
//! - `formatter`, `deserializer`, `json` — what a record looks like on stdout.
//! - `run` — the consume loop, termination and exit codes.
//! - `log` — log4j-style lines on stderr.

mod deserializer;
mod formatter;
mod json;
mod log;
mod options;
mod run;
mod start;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use super::common::{self, Parsed, UsageError, EXIT_FAILURE};

const DESCRIPTION: &str =
    "This tool helps to read data from Kafka topics and outputs it to standard output.";

const PROPERTY_HELP: &str = "The properties to initialize the message formatter. Default properties include: \n print.timestamp=true|false\n print.key=true|false\n print.offset=true|false\n print.epoch=true|false\n print.partition=true|false\n print.headers=true|false\n print.value=true|false\n key.separator=<key.separator>\n line.separator=<line.separator>\n headers.separator=<headers.separator>\n null.literal=<null.literal>\n key.deserializer=<key.deserializer>\n value.deserializer=<value.deserializer>\n header.deserializer=<header.deserializer>\n\nUsers can also pass in customized properties for their formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', 'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers.";

/// `kafka-console-consumer` options (Apache Kafka 4.x names and help texts).
#[derive(Debug, Parser)]
#[command(name = "kafka-console-consumer", about = DESCRIPTION, version)]
pub struct ConsoleConsumerArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(
        long,
        value_name = "String: server to connect to",
        allow_hyphen_values = true
    )]
    pub bootstrap_server: Option<String>,
    /// The topic to consume from.
    #[arg(long, value_name = "String: topic", allow_hyphen_values = true)]
    pub topic: Option<String>,
    /// Regular expression specifying list of topics to include for consumption.
    #[arg(
        long,
        value_name = "String: Java regex (String)",
        allow_hyphen_values = true
    )]
    pub include: Option<String>,
    /// DEPRECATED, use --include instead; ignored if --include specified. Regular expression specifying list of topics to include for consumption.
    #[arg(
        long,
        value_name = "String: Java regex (String)",
        allow_hyphen_values = true,
        hide = true
    )]
    pub whitelist: Option<String>,
    /// The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.
    #[arg(long, value_name = "Integer: partition", allow_hyphen_values = true)]
    pub partition: Option<i32>,
    /// The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end (default: latest). kafkit also accepts a time, '@2024-01-31T10:00:00Z' or '@1706695200000' (epoch milliseconds), or a duration back from now, '-1h'.
    #[arg(
        long,
        value_name = "String: consume offset",
        allow_hyphen_values = true
    )]
    pub offset: Option<String>,
    /// (DEPRECATED) Consumer config properties in the form key=value. This option will be removed in a future version. Use --command-property instead.
    #[arg(long, value_name = "String: consumer_prop", allow_hyphen_values = true)]
    pub consumer_property: Vec<String>,
    /// Consumer config properties in the form key=value.
    #[arg(long, value_name = "String: consumer_prop", allow_hyphen_values = true)]
    pub command_property: Vec<String>,
    /// (DEPRECATED) Consumer config properties file. Note that [command-property] takes precedence over this config. This option will be removed in a future version. Use --command-config instead.
    #[arg(
        long = "consumer.config",
        value_name = "String: config file",
        allow_hyphen_values = true
    )]
    pub consumer_config: Option<String>,
    /// Consumer config properties file. Note that [command-property] takes precedence over this config.
    #[arg(long, value_name = "String: config file", allow_hyphen_values = true)]
    pub command_config: Option<String>,
    /// The name of a class to use for formatting kafka messages for display. (default: org.apache.kafka.tools.consumer.DefaultMessageFormatter)
    #[arg(long, value_name = "String: class", allow_hyphen_values = true)]
    pub formatter: Option<String>,
    #[arg(
        long,
        value_name = "String: prop",
        allow_hyphen_values = true,
        help = format!("(DEPRECATED) {PROPERTY_HELP} \nThis option will be removed in a future version. Use --formatter-property instead.")
    )]
    pub property: Vec<String>,
    #[arg(
        long,
        value_name = "String: prop",
        allow_hyphen_values = true,
        help = PROPERTY_HELP
    )]
    pub formatter_property: Vec<String>,
    /// Config properties file to initialize the message formatter. Note that [formatter-property] takes precedence over this config.
    #[arg(long, value_name = "String: config file", allow_hyphen_values = true)]
    pub formatter_config: Option<String>,
    /// If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.
    #[arg(long)]
    pub from_beginning: bool,
    /// The maximum number of messages to consume before exiting. If not set, consumption is continual.
    #[arg(long, value_name = "Integer: num_messages", allow_hyphen_values = true)]
    pub max_messages: Option<i32>,
    /// If specified, exit if no message is available for consumption for the specified interval.
    #[arg(long, value_name = "Long: timeout_ms", allow_hyphen_values = true)]
    pub timeout_ms: Option<i64>,
    /// If there is an error when processing a message, skip it instead of halt.
    #[arg(long)]
    pub skip_message_on_error: bool,
    /// The name of the class to use for deserializing keys.
    #[arg(
        long,
        value_name = "String: deserializer for keys",
        allow_hyphen_values = true
    )]
    pub key_deserializer: Option<String>,
    /// The name of the class to use for deserializing values.
    #[arg(
        long,
        value_name = "String: deserializer for values",
        allow_hyphen_values = true
    )]
    pub value_deserializer: Option<String>,
    /// Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)
    #[arg(long)]
    pub enable_systest_events: bool,
    /// Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages. (default: read_uncommitted)
    #[arg(long, value_name = "String", allow_hyphen_values = true)]
    pub isolation_level: Option<String>,
    /// The consumer group id of the consumer.
    #[arg(
        long,
        value_name = "String: consumer group id",
        allow_hyphen_values = true
    )]
    pub group: Option<String>,
    /// kafkit extension: `text` (the formatter's output, default) or `json` (one JSON object per record: topic, partition, offset, timestamp, timestamp_type, key, value, headers; bytes that are not UTF-8 as {"base64": ...}).
    #[arg(
        long,
        value_name = "String: text|json",
        allow_hyphen_values = true,
        help_heading = common::EXTENSION_HEADING
    )]
    pub output: Option<String>,
    /// Words that are not options are ignored, as Apache's tool does.
    #[arg(hide = true)]
    pub ignored: Vec<String>,
}

fn print_help() {
    eprintln!("{DESCRIPTION}");
    eprint!("{}", common::jopt_help(&command()));
}

/// A parser error the Apache way. jopt-simple rejects unknown options and missing arguments
/// while parsing (a usage error: message, then the help table); a value of the wrong type or a
/// repeated single-valued option only fails when the tool reads it, as an uncaught exception.
fn parse_failure(message: String) -> ExitCode {
    const MAX_MESSAGES_OPTION: &str = "option max-messages";
    const UNCAUGHT: [(&str, &str); 2] = [
        (
            "Cannot parse argument",
            "joptsimple.OptionArgumentConversionException",
        ),
        (
            "Found multiple arguments",
            "joptsimple.MultipleArgumentsForOptionException",
        ),
    ];
    match UNCAUGHT
        .iter()
        .find(|(start, _)| message.starts_with(start))
    {
        // Apache reads `--max-messages` only when the consume loop starts, inside its
        // try/finally: the count line comes first, then the error is logged.
        Some((_, exception)) if message.contains(MAX_MESSAGES_OPTION) => {
            eprintln!("Processed a total of 0 messages");
            log::error(
                log::CONSOLE_CONSUMER,
                "Unknown error when running consumer: ",
                Some(&format!("{exception}: {message}")),
            );
            ExitCode::from(EXIT_FAILURE)
        }
        Some((_, exception)) => {
            eprintln!("Exception in thread \"main\" {exception}: {message}");
            ExitCode::from(EXIT_FAILURE)
        }
        None => common::usage_failure_of(&command(), &UsageError::with_usage(message)),
    }
}

/// The clap command: what the binary parses and prints in its help table, and what the
/// completions and man page are generated from.
pub fn command() -> clap::Command {
    <ConsoleConsumerArgs as clap::CommandFactory>::command()
}

/// Entry point: parse `argv` (without the program name) and run.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    if argv.is_empty() {
        return common::usage_failure_of(&command(), &UsageError::with_usage(DESCRIPTION));
    }
    let args = match common::parse::<ConsoleConsumerArgs>(command(), argv) {
        Parsed::Run(args) => args,
        Parsed::Help => {
            print_help();
            return ExitCode::SUCCESS;
        }
        Parsed::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        // Apache's console tools print the parser's message and then the usage.
        Parsed::Error(e) => return parse_failure(e.message),
    };
    let settings = match options::Settings::from_args(args) {
        Ok(settings) => settings,
        Err(e) => return common::usage_failure_of(&command(), &e),
    };
    let runtime = match common::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(run::run(settings))
}
