//! `kafka-consumer-groups`: list, describe, delete consumer groups and manage their committed
//! offsets, drop-in for `kafka-consumer-groups.sh` (Apache's `ConsumerGroupCommand`, 4.4): same
//! options, validation order, messages, streams and output bytes. Deliberate deviation: every
//! failure exits 1 (Apache exits 0 after most), while the text and its stream stay Apache's.
//!
//! kafkit extensions (left out of the jopt help table): `--output json` for `--list`, every
//! `--describe` view and reset plans (shapes in [`json`]), `--lag-totals` for per-topic and
//! per-group lag totals after the offsets view, humantime durations for `--by-duration`, and a
//! plan plus confirmation before `--execute` when stdin and stderr are terminals.
//!
//! This module owns the options, their validation and the dispatch; the actions live in
//! [`list`], [`describe`], [`reset`] and [`delete`], Java's text conventions in [`text`].

mod csv;
mod delete;
mod describe;
pub mod json;
mod list;
mod reset;
mod text;
pub mod time;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use super::common::{self, Parsed, UsageError, EXIT_FAILURE};
use crate::client::{ClientError, Cluster};

const DESCRIPTION: &str =
    "This tool helps to list, describe, delete and manage the offsets of consumer groups.";
/// `--timeout` default (Apache 4.1+).
const DEFAULT_TIMEOUT_MS: &str = "30000";

const BOOTSTRAP_SERVER_DOC: &str =
    "The server(s) to connect to. REQUIRED for all options except for --validate-regex.";
const TOPIC_DOC: &str = "The topic whose offset information should be deleted or reset. In `reset-offsets` case, partitions can be specified using this format: `topic:0,1,2`, where 0,1,2 are the partitions to be included. Reset-offsets also supports multiple topics.";
const DESCRIBE_DOC: &str = "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.";
const DELETE_DOC: &str =
    "Delete topic partition offsets and ownership information for one or more consumer groups.";
const TIMEOUT_DOC: &str = "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).";
const COMMAND_CONFIG_DOC: &str =
    "Property file containing configs to be passed to Admin Client and Consumer.";
const RESET_OFFSETS_DOC: &str = "Reset offsets of consumer group. Supports one consumer group at a time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. \nAdditionally, the --export option can be used to generate the offsets in CSV format for export to a file.\nYou must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset.\nTo define the scope, use --all-topics or --topic. The scope must be specified unless you use --from-file.";
const DRY_RUN_DOC: &str = "Output offset reset information without executing the operation. Supported operation: reset-offsets.";
const EXECUTE_DOC: &str = "Execute the offset reset operation. Supported operation: reset-offsets.";
const EXPORT_DOC: &str = "Generate offset reset information in CSV format for export to a file. Supported operation: reset-offsets.";
const SHIFT_BY_DOC: &str =
    "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.";
const MEMBERS_DOC: &str = "Describe members of the group. This option may be used with the --describe option only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members";
const VERBOSE_DOC: &str = "Provide additional information, if any, when describing the group. This option may be used with the --describe option only.";
const OFFSETS_DOC: &str = "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with the --describe option only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets";
const STATE_DOC: &str = "When specified with --describe, it displays the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with --list, it displays the states of the groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with --describe and --list options only.";
const TYPE_DOC: &str = "When specified with --list, it displays the types of the groups. It can also be used to list groups with specific types.\nExample: --bootstrap-server localhost:9092 --list --type classic,consumer\nThis option may be used with the --list option only.";
const DELETE_OFFSETS_DOC: &str =
    "Delete offsets of consumer group. Supports one consumer group at a time, and multiple topics.";
const VALIDATE_REGEX_DOC: &str =
    "Validate the syntax of the regular expression according to the RE2 format.";
const OUTPUT_DOC: &str = "kafkit extension: output format of --list, --describe and --reset-offsets plans: `text` (Apache's, the default) or `json`.";
const LAG_TOTALS_DOC: &str = "kafkit extension: after each group's offsets table, print the lag summed per topic and for the whole group.";

/// `kafka-consumer-groups` options (Apache Kafka 4.4 names and help texts).
#[derive(Debug, Parser)]
#[command(name = "kafka-consumer-groups", about = DESCRIPTION, version)]
pub struct ConsumerGroupsArgs {
    #[arg(long, help = BOOTSTRAP_SERVER_DOC, value_name = "String: server to connect to", allow_hyphen_values = true)]
    pub bootstrap_server: Vec<String>,
    #[arg(
        long,
        help = "The consumer group id.",
        value_name = "String: group id",
        allow_hyphen_values = true
    )]
    pub group: Vec<String>,
    #[arg(long, help = TOPIC_DOC, value_name = "String: topic", allow_hyphen_values = true)]
    pub topic: Vec<String>,
    #[arg(long, help = "Apply to all topics.")]
    pub all_topics: bool,
    #[arg(long, help = "List all consumer groups.")]
    pub list: bool,
    #[arg(long, help = DESCRIBE_DOC)]
    pub describe: bool,
    #[arg(long, help = "Apply to all consumer groups.")]
    pub all_groups: bool,
    #[arg(long, help = DELETE_DOC)]
    pub delete: bool,
    /// Parsed at run time, as Apache converts it only when the action starts.
    #[arg(long, help = TIMEOUT_DOC, value_name = "Long: timeout (ms)", default_value = DEFAULT_TIMEOUT_MS, allow_hyphen_values = true)]
    pub timeout: Vec<String>,
    #[arg(long, help = COMMAND_CONFIG_DOC, value_name = "String: command config property file", allow_hyphen_values = true)]
    pub command_config: Option<String>,
    #[arg(long, help = RESET_OFFSETS_DOC)]
    pub reset_offsets: bool,
    #[arg(long, help = DELETE_OFFSETS_DOC)]
    pub delete_offsets: bool,
    #[arg(long, help = DRY_RUN_DOC)]
    pub dry_run: bool,
    #[arg(long, help = EXECUTE_DOC)]
    pub execute: bool,
    #[arg(long, help = EXPORT_DOC)]
    pub export: bool,
    #[arg(
        long,
        help = "Reset offsets to a specific offset.",
        value_name = "Long: offset",
        allow_hyphen_values = true
    )]
    pub to_offset: Vec<String>,
    #[arg(
        long,
        help = "Reset offsets to values defined in CSV file.",
        value_name = "String: path to CSV file",
        allow_hyphen_values = true
    )]
    pub from_file: Vec<String>,
    #[arg(
        long,
        help = "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDThh:mm:ss.sss'",
        value_name = "String: datetime",
        allow_hyphen_values = true
    )]
    pub to_datetime: Vec<String>,
    #[arg(
        long,
        help = "Reset offsets by duration from current timestamp. Format: 'PnDTnHnMnS'",
        value_name = "String: duration",
        allow_hyphen_values = true
    )]
    pub by_duration: Vec<String>,
    #[arg(long, help = "Reset offsets to earliest offset.")]
    pub to_earliest: bool,
    #[arg(long, help = "Reset offsets to latest offset.")]
    pub to_latest: bool,
    #[arg(long, help = "Reset offsets to current offset.")]
    pub to_current: bool,
    #[arg(long, help = SHIFT_BY_DOC, value_name = "Long: number-of-offsets", allow_hyphen_values = true)]
    pub shift_by: Vec<String>,
    #[arg(long, help = MEMBERS_DOC)]
    pub members: bool,
    #[arg(long, help = VERBOSE_DOC)]
    pub verbose: bool,
    #[arg(long, help = OFFSETS_DOC)]
    pub offsets: bool,
    /// Present without a value, or with one (a comma-separated list of states).
    #[arg(long, help = STATE_DOC, value_name = "String", num_args = 0..=1)]
    pub state: Option<Option<String>>,
    #[arg(long = "type", help = TYPE_DOC, value_name = "String", num_args = 0..=1)]
    pub group_type: Option<Option<String>>,
    #[arg(long, help = VALIDATE_REGEX_DOC, value_name = "String: regex", allow_hyphen_values = true)]
    pub validate_regex: Option<String>,
    #[arg(long, help = OUTPUT_DOC, help_heading = common::EXTENSION_HEADING, value_name = "String: text|json", allow_hyphen_values = true)]
    pub output: Option<String>,
    #[arg(long, help = LAG_TOTALS_DOC, help_heading = common::EXTENSION_HEADING)]
    pub lag_totals: bool,
    /// Words that are not options are ignored, as Apache's tool does.
    #[arg(hide = true)]
    pub ignored: Vec<String>,
}

impl ConsumerGroupsArgs {
    fn json(&self) -> bool {
        self.output.as_deref() == Some("json")
    }

    /// The groups to act on from `--group`s (None with `--all-groups`: list them first).
    fn named_groups(&self) -> Option<&[String]> {
        (!self.all_groups).then_some(self.group.as_slice())
    }
}

/// The clap command: what the binary parses and prints in its help table, and what the
/// completions and man page are generated from.
pub fn command() -> clap::Command {
    <ConsumerGroupsArgs as clap::CommandFactory>::command()
}

/// Entry point: parse `argv` (without the program name) and run.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let command = command();
    if argv.is_empty() {
        eprintln!("{DESCRIPTION}");
        eprint!("{}", common::jopt_help(&command));
        return ExitCode::from(EXIT_FAILURE);
    }
    let args = match common::parse::<ConsumerGroupsArgs>(command.clone(), argv) {
        Parsed::Run(args) => args,
        Parsed::Help => {
            eprintln!("{DESCRIPTION}");
            eprint!("{}", common::jopt_help(&command));
            return ExitCode::SUCCESS;
        }
        Parsed::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Parsed::Error(e) => return common::usage_failure_of(&command, &e),
    };
    if let Err(e) = validate(&args) {
        return common::usage_failure_of(&command, &e);
    }
    if let Some(regex) = &args.validate_regex {
        return validate_regex(regex);
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

/// `Option "[a]" can't be used with option "[b]"`.
fn conflict(used: &str, with: &str) -> UsageError {
    UsageError::with_usage(format!(
        "Option \"[{used}]\" can't be used with option \"[{with}]\""
    ))
}

/// Apache's `checkArgs` and then its action count, in their order.
fn validate(args: &ConsumerGroupsArgs) -> Result<(), UsageError> {
    fn usage(message: impl Into<String>) -> UsageError {
        UsageError::with_usage(message)
    }
    let has_group = !args.group.is_empty();
    let has_topic = !args.topic.is_empty();
    let scope = "[group], [all-groups]";
    // jopt's availableIf: these options are refused outright without their parent action.
    let unavailable = |present: bool, name: &str, allowed: bool| {
        if present && !allowed {
            Err(UsageError::plain(format!(
                "Option(s) [{name}] are unavailable given other options on the command line"
            )))
        } else {
            Ok(())
        }
    };
    unavailable(args.members, "members", args.describe)?;
    unavailable(args.verbose, "verbose", args.describe)?;
    unavailable(args.offsets, "offsets", args.describe)?;
    unavailable(args.state.is_some(), "state", args.describe || args.list)?;
    unavailable(args.group_type.is_some(), "type", args.list)?;
    if args.validate_regex.is_none() && args.bootstrap_server.is_empty() {
        return Err(usage("Missing required argument \"[bootstrap-server]\""));
    }
    if args.describe {
        if !has_group && !args.all_groups {
            return Err(usage(format!(
                "Option [describe] takes one of these options: {scope}"
            )));
        }
        let views = [args.members, args.offsets, args.state.is_some()];
        if views.iter().filter(|&&v| v).count() > 1 {
            return Err(usage(
                "Option [describe] takes at most one of these options: [members], [offsets], [state]",
            ));
        }
        if matches!(args.state, Some(Some(_))) {
            return Err(usage("Option [describe] does not take a value for [state]"));
        }
    }
    if args.delete {
        if !has_group && !args.all_groups {
            return Err(usage(format!(
                "Option [delete] takes one of these options: {scope}"
            )));
        }
        if has_topic {
            return Err(usage(
                "The consumer does not support topic-specific offset deletion from a consumer group.",
            ));
        }
    }
    if args.delete_offsets && (!has_group || !has_topic) {
        return Err(usage(
            "Option [delete-offsets] takes the following options: [group], [topic]",
        ));
    }
    if args.reset_offsets {
        if args.dry_run && args.execute {
            return Err(usage(
                "Option [reset-offsets] only accepts one of [execute] and [dry-run]",
            ));
        }
        if !args.dry_run && !args.execute {
            eprintln!("WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.");
        }
        if !has_group && !args.all_groups {
            return Err(usage(format!(
                "Option [reset-offsets] takes one of these options: {scope}"
            )));
        }
        let scenarios = reset::scenarios_given(args);
        if let [first, second, ..] = scenarios.as_slice() {
            return Err(conflict(first, second));
        }
    }
    if has_group && args.all_groups {
        return Err(conflict("group", "all-groups"));
    }
    if has_group && args.list {
        return Err(conflict("group", "list"));
    }
    if has_topic && (args.list || args.describe) {
        return Err(conflict(
            "topic",
            if args.list { "list" } else { "describe" },
        ));
    }
    let actions = [
        args.list,
        args.describe,
        args.delete,
        args.reset_offsets,
        args.delete_offsets,
        args.validate_regex.is_some(),
    ];
    if actions.iter().filter(|&&a| a).count() != 1 {
        return Err(usage("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex"));
    }
    if let Some(output) = &args.output {
        if output != "text" && output != "json" {
            return Err(usage(format!(
                "Invalid value {output} for option output: must be text or json"
            )));
        }
    }
    Ok(())
}

/// `--validate-regex`: compiles the pattern (RE2 syntax, which the `regex` crate shares) and
/// says whether it is valid; an invalid one is a failure (exit 1).
fn validate_regex(pattern: &str) -> ExitCode {
    match text::regex_problem(pattern) {
        None => {
            println!("The regular expression `{pattern}` is valid.");
            ExitCode::SUCCESS
        }
        Some(problem) => {
            println!("The regular expression `{pattern}` is invalid: {problem}.");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Why an action stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Apache's `IllegalArgumentException` / `printUsageAndExit` during the action: the message
    /// and the help table on stderr.
    Usage(String),
    /// Anything else: `\nError: Executing consumer group command failed due to <message>` on
    /// stdout.
    Command(String),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Command(text::java_exception(&e))
    }
}

pub(crate) type ActionResult<T = ()> = Result<T, Failure>;

/// Where an action's results go: stdout (buffered, flushed before anything goes to stderr so
/// the order stays), stderr, and whether a per-group error was already reported (the exit code
/// is then a failure although the action went on, as Apache's does).
pub(crate) struct Output {
    out: BufWriter<Stdout>,
    pub failed: bool,
}

impl Output {
    fn new() -> Output {
        Output {
            out: BufWriter::new(std::io::stdout()),
            failed: false,
        }
    }

    /// Text for stdout.
    pub fn print(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
    }

    /// A line for stderr.
    pub fn eprintln(&mut self, text: &str) {
        let _ = self.out.flush();
        eprintln!("{text}");
    }

    /// Apache's `printError`: an empty line and `Error: <message>` on stdout; the command
    /// goes on, but will exit 1.
    pub fn print_error(&mut self, message: &str) {
        self.failed = true;
        self.print(&format!("\nError: {message}\n"));
    }

    /// A warning in the layout of Apache's log4j tools configuration (stderr), where Apache
    /// logs one through a logger.
    pub fn log_warn(&mut self, message: &str, logger: &str) {
        let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
        self.eprintln(&format!("[{stamp}] WARN {message} ({logger})"));
    }

    fn finish(mut self, result: ActionResult) -> ExitCode {
        match result {
            Ok(()) => {
                let _ = self.out.flush();
                if self.failed {
                    ExitCode::from(EXIT_FAILURE)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(Failure::Command(message)) => {
                self.print(&format!(
                    "\nError: Executing consumer group command failed due to {message}\n"
                ));
                let _ = self.out.flush();
                ExitCode::from(EXIT_FAILURE)
            }
            Err(Failure::Usage(message)) => {
                let _ = self.out.flush();
                common::usage_failure_of(&command(), &UsageError::with_usage(message))
            }
        }
    }
}

/// What every action works with: the options, the cluster and the output.
pub(crate) struct Context {
    pub args: ConsumerGroupsArgs,
    pub cluster: Cluster,
    pub out: Output,
}

impl Context {
    /// Whether the user is at a terminal (stdin and stderr), for the `--execute` confirmation.
    pub fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// The groups to act on: `--group`s, or every consumer group with `--all-groups`.
    pub async fn groups(&self) -> ActionResult<Vec<String>> {
        match self.args.named_groups() {
            Some(groups) => Ok(groups.to_vec()),
            None => {
                let types = ["Classic".to_string(), "Consumer".to_string()];
                Ok(list::list_groups(self, &[], &types)
                    .await?
                    .into_iter()
                    .map(|g| g.group_id)
                    .collect())
            }
        }
    }
}

/// Parses a jopt `Long` option value the way Apache reports a bad one (at run time).
fn long_value(values: &[String], name: &str) -> ActionResult<Option<i64>> {
    match values {
        [] => Ok(None),
        [value, ..] => value.parse().map(Some).map_err(|_| {
            Failure::Command(format!("Cannot parse argument '{value}' of option {name}"))
        }),
    }
}

/// A jopt `valueOf` on an option given more than once.
fn single<'a>(values: &'a [String], name: &str) -> ActionResult<Option<&'a String>> {
    match values {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Failure::Command(format!(
            "Found multiple arguments for option {name}, but you asked for only one"
        ))),
    }
}

/// The client, set up as Apache's `ConsumerGroupService` constructor does (which is also where
/// the numeric options are converted).
fn connect(args: &ConsumerGroupsArgs) -> ActionResult<Cluster> {
    let properties = match &args.command_config {
        Some(path) => common::load_properties(path)
            .map_err(|e| Failure::Command(text::properties_error(path, &e)))?,
        None => BTreeMap::new(),
    };
    let bootstrap = single(&args.bootstrap_server, "bootstrap-server")?;
    long_value(&args.to_offset, "to-offset")?;
    if let Some(shift) = single(&args.shift_by, "shift-by")? {
        long_value(std::slice::from_ref(shift), "shift-by")?;
    }
    let timeout = match single(&args.timeout, "timeout")? {
        Some(t) => long_value(std::slice::from_ref(t), "timeout")?.unwrap_or_default(),
        None => 0,
    };
    let mut config = common::client_config(bootstrap.map(String::as_str), &properties)
        .map_err(Failure::Command)?;
    // Every admin call is bounded by --timeout, as Apache sets it on each call's options.
    let timeout = Duration::from_millis(u64::try_from(timeout).unwrap_or_default());
    config.api_timeout = timeout;
    config.timeouts.request = config.timeouts.request.min(timeout);
    Cluster::new(config).map_err(Failure::from)
}

async fn run(args: ConsumerGroupsArgs) -> ExitCode {
    let cluster = match connect(&args) {
        Ok(cluster) => cluster,
        Err(failure) => return Output::new().finish(Err(failure)),
    };
    let mut context = Context {
        args,
        cluster,
        out: Output::new(),
    };
    let result = if context.args.list {
        list::run(&mut context).await
    } else if context.args.describe {
        describe::run(&mut context).await
    } else if context.args.delete {
        delete::delete_groups(&mut context).await
    } else if context.args.reset_offsets {
        reset::run(&mut context).await
    } else {
        delete::delete_offsets(&mut context).await
    };
    context.out.finish(result)
}
