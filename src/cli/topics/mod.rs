//! `kafka-topics`: create, list, describe, alter and delete topics, drop-in for
//! `kafka-topics.sh` (Apache's `TopicCommand`): same options, same validation order and
//! messages, same output bytes. `--output json` is an opt-in extension.
//!
//! - `mod.rs` — options, entry point, reading option values the jopt way.
//! - [`validate`] — Apache's `checkArgs`, in its order.
//! - [`actions`] — topic selection, `--list`, `--create`, `--alter`, `--delete`.
//! - [`describe`] — `--describe`.

mod actions;
mod describe;
mod validate;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use super::common::{self, Parsed, UsageError, EXIT_FAILURE};
use crate::client::{ClientError, Cluster};
use crate::protocol::topic as topic_rules;

const ALTER_HINT: &str = " (To alter topic configurations, the kafka-configs tool can be used.)";
const DESCRIPTION: &str = "This tool helps to create, delete, describe, or change a topic.";
const NO_ARGS_MESSAGE: &str = "Create, delete, describe, or change a topic.";

/// `kafka-topics` options (Apache Kafka 4.x names and help texts). Like jopt-simple, parsing
/// only collects values: a value is checked (a number? given once?) when the action reads it,
/// so such errors come out where Apache's do (see [`Values`]).
#[derive(Debug, Parser)]
#[command(name = "kafka-topics", about = DESCRIPTION, version, args_override_self = true)]
pub struct TopicsArgs {
    /// REQUIRED: The Kafka server to connect to.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: server to connect to",
        allow_hyphen_values = true
    )]
    pub bootstrap_server: Vec<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: command config property file",
        allow_hyphen_values = true
    )]
    pub command_config: Vec<String>,
    /// List all available topics.
    #[arg(long, verbatim_doc_comment)]
    pub list: bool,
    /// Create a new topic.
    #[arg(long, verbatim_doc_comment)]
    pub create: bool,
    /// Delete a topic.
    #[arg(long, verbatim_doc_comment)]
    pub delete: bool,
    /// Alter the number of partitions and replica assignment. (To alter topic configurations, the kafka-configs tool can be used.)
    #[arg(long, verbatim_doc_comment)]
    pub alter: bool,
    /// List details for the given topics.
    #[arg(long, verbatim_doc_comment)]
    pub describe: bool,
    /// The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: topic",
        allow_hyphen_values = true
    )]
    pub topic: Vec<String>,
    /// The topic-id to describe.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: topic-id",
        allow_hyphen_values = true
    )]
    pub topic_id: Vec<String>,
    /// A topic configuration override for the topic being created. It is supported only in combination with --create. (To alter topic configurations, the kafka-configs tool can be used.)
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: name=value",
        allow_hyphen_values = true
    )]
    pub config: Vec<String>,
    /// This option is no longer supported and has been deprecated since 4.0
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: name",
        allow_hyphen_values = true
    )]
    pub delete_config: Vec<String>,
    /// The number of partitions for the topic being created or altered. If not supplied with --create, the topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected).
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "Integer: # of partitions",
        allow_hyphen_values = true
    )]
    pub partitions: Vec<String>,
    /// The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "Integer: replication factor",
        allow_hyphen_values = true
    )]
    pub replication_factor: Vec<String>,
    /// A list of manual partition-to-broker assignments for the topic being created or altered.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
        allow_hyphen_values = true
    )]
    pub replica_assignment: Vec<String>,
    /// If set when describing topics, only show under-replicated partitions.
    #[arg(long, verbatim_doc_comment)]
    pub under_replicated_partitions: bool,
    /// If set when describing topics, only show partitions whose leader is not available.
    #[arg(long, verbatim_doc_comment)]
    pub unavailable_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is less than the configured minimum.
    #[arg(long, verbatim_doc_comment)]
    pub under_min_isr_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is equal to the configured minimum.
    #[arg(long, verbatim_doc_comment)]
    pub at_min_isr_partitions: bool,
    /// If set when describing topics, only show topics that have overridden configs.
    #[arg(long, verbatim_doc_comment)]
    pub topics_with_overrides: bool,
    /// If set when altering or deleting or describing topics, the action will only execute if the topic exists.
    #[arg(long, verbatim_doc_comment)]
    pub if_exists: bool,
    /// If set when creating topics, the create request will not fail if the topic already exists, but the request will still be sent.
    #[arg(long, verbatim_doc_comment)]
    pub if_not_exists: bool,
    /// Exclude internal topics when listing or describing topics. By default, the internal topics are included.
    #[arg(long, verbatim_doc_comment)]
    pub exclude_internal: bool,
    /// The maximum partition size to be included in one DescribeTopicPartitions response.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "Integer: maximum number of partitions per response",
        allow_hyphen_values = true
    )]
    pub partition_size_limit_per_response: Vec<String>,
    /// Output format for --list and --describe: text (Apache's, the default) or json.
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

/// `--config`'s help as Apache prints it: the short text around the list of every topic config.
fn config_help() -> String {
    let names: Vec<String> = topic_rules::TOPIC_CONFIG_NAMES
        .iter()
        .map(|name| format!("\t{name}"))
        .collect();
    format!(
        "A topic configuration override for the topic being created. The following is a list of \
         valid configurations: \n{}\nSee the Kafka documentation for full details on the topic \
         configs. It is supported only in combination with --create.{ALTER_HINT}",
        names.join("\n")
    )
}

/// The clap command with Apache's full help texts: what the binary parses and prints in its help
/// table, and what the completions and man page are generated from.
pub fn command() -> clap::Command {
    <TopicsArgs as clap::CommandFactory>::command().mut_arg("config", |a| a.help(config_help()))
}

/// Entry point: parse `argv` (without the program name) and run.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    if argv.is_empty() {
        return common::usage_failure_of(&command(), &UsageError::with_usage(NO_ARGS_MESSAGE));
    }
    let args = match common::parse::<TopicsArgs>(command(), argv) {
        Parsed::Run(args) => args,
        Parsed::Help => {
            eprintln!("{DESCRIPTION}");
            eprint!("{}", common::jopt_help(&command()));
            return ExitCode::SUCCESS;
        }
        Parsed::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Parsed::Error(e) => return common::usage_failure_of(&command(), &e),
    };
    if let Err(e) = validate::check_args(&args) {
        return common::usage_failure_of(&command(), &e);
    }
    let runtime = match common::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(run(args))
}

/// A failure during the action: printed as Apache does, on stdout, with exit 1.
#[derive(Debug)]
struct CommandError(String);

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        CommandError(e.to_string())
    }
}

/// Reading an option's values as jopt-simple's `OptionSet.valueOf` does: a value given more
/// than once, or one that is not a number where a number is wanted, fails only when read.
struct Values;

impl Values {
    /// The one value of option `name`, if given.
    fn single<'a>(values: &'a [String], name: &str) -> Result<Option<&'a str>, CommandError> {
        match values {
            [] => Ok(None),
            [one] => Ok(Some(one.as_str())),
            _ => Err(CommandError(format!(
                "Found multiple arguments for option {name}, but you asked for only one"
            ))),
        }
    }

    /// The one value of option `name` as a Java `Integer`.
    fn integer(values: &[String], name: &str) -> Result<Option<i32>, CommandError> {
        Values::single(values, name)?
            .map(|v| {
                v.parse::<i32>().map_err(|_| {
                    CommandError(format!("Cannot parse argument '{v}' of option {name}"))
                })
            })
            .transpose()
    }
}

/// Before the action: the admin client's settings (`--command-config` is read first, then
/// `--bootstrap-server`). Failures here print the message alone on stderr, as Apache's do
/// (followed there by a stack trace).
fn connect(args: &TopicsArgs) -> Result<Cluster, String> {
    let properties = match Values::single(&args.command_config, "command-config") {
        Ok(Some(path)) => common::load_properties(path)?,
        Ok(None) => BTreeMap::new(),
        Err(CommandError(message)) => return Err(message),
    };
    let bootstrap = Values::single(&args.bootstrap_server, "bootstrap-server").map_err(|e| e.0)?;
    let config = common::client_config(bootstrap, &properties)?;
    Cluster::new(config).map_err(|e| e.to_string())
}

async fn run(args: TopicsArgs) -> ExitCode {
    let cluster = match connect(&args) {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let mut out = Vec::new();
    let result = if args.create {
        actions::create(&cluster, &args, &mut out).await
    } else if args.list {
        actions::list(&cluster, &args, &mut out).await
    } else if args.describe {
        describe::describe(&cluster, &args, &mut out).await
    } else if args.alter {
        actions::alter(&cluster, &args).await
    } else {
        actions::delete(&cluster, &args).await
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&out);
    match result {
        Ok(()) => {
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(CommandError(message)) => {
            let _ = writeln!(stdout, "Error while executing topic command : {message}");
            let _ = stdout.flush();
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
