//! `kafka-topics`: create, list, describe, alter and delete topics, drop-in for
//! `kafka-topics.sh` (Apache's `TopicCommand`): same options, same validation order and
//! messages, same output bytes. `--output json` is an opt-in extension.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use regex::Regex;
use uuid::Uuid;

use super::common::{self, Parsed, UsageError, EXIT_FAILURE};
use super::java_order;
use crate::client::admin::{
    Admin, ConfigEntry, NewTopic, TopicDescription, DEFAULT_PARTITION_PAGE, RESOURCE_TOPIC,
    SOURCE_DEFAULT,
};
use crate::client::{ClientError, Cluster};
use crate::protocol::topic as topic_rules;

const ALTER_HINT: &str = " (To alter topic configurations, the kafka-configs tool can be used.)";
const DESCRIPTION: &str = "This tool helps to create, delete, describe, or change a topic.";
const NO_ARGS_MESSAGE: &str = "Create, delete, describe, or change a topic.";
const COLLISION_WARNING: &str = "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.";
const MAX_REPLICATION_FACTOR: i32 = 32767;

/// `kafka-topics` options (Apache Kafka 4.x names and help texts).
#[derive(Debug, Parser)]
#[command(name = "kafka-topics", about = DESCRIPTION, version)]
pub struct TopicsArgs {
    /// REQUIRED: The Kafka server to connect to.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: server to connect to",
        allow_hyphen_values = true
    )]
    pub bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: command config property file",
        allow_hyphen_values = true
    )]
    pub command_config: Option<String>,
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
    pub topic: Option<String>,
    /// The topic-id to describe.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: topic-id",
        allow_hyphen_values = true
    )]
    pub topic_id: Option<String>,
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
    pub partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "Integer: replication factor",
        allow_hyphen_values = true
    )]
    pub replication_factor: Option<i32>,
    /// A list of manual partition-to-broker assignments for the topic being created or altered.
    #[arg(
        long,
        verbatim_doc_comment,
        value_name = "String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
        allow_hyphen_values = true
    )]
    pub replica_assignment: Option<String>,
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
    pub partition_size_limit_per_response: Option<i32>,
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

/// The clap command with Apache's full help texts (for the jopt help table).
pub fn command() -> clap::Command {
    <TopicsArgs as clap::CommandFactory>::command().mut_arg("config", |a| a.help(config_help()))
}

/// Entry point: parse `argv` (without the program name) and run.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    if argv.is_empty() {
        return common::usage_failure_of(&command(), &UsageError::with_usage(NO_ARGS_MESSAGE));
    }
    let args = match common::parse::<TopicsArgs>(argv) {
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
    if let Err(e) = validate(&args) {
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

/// Apache's `checkArgs`, in its order.
fn validate(args: &TopicsArgs) -> Result<(), UsageError> {
    let actions = [
        args.create,
        args.list,
        args.alter,
        args.describe,
        args.delete,
    ];
    if actions.iter().filter(|&&a| a).count() != 1 {
        return Err(UsageError::with_usage(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
        ));
    }
    if !args.delete_config.is_empty() {
        eprintln!("delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.");
    }
    if args.bootstrap_server.is_none() {
        return Err(UsageError::plain("--bootstrap-server must be specified"));
    }
    if args.describe && args.if_exists {
        if args.topic.is_none() && args.topic_id.is_none() {
            return Err(UsageError::with_usage(
                "--topic or --topic-id is required to describe a topic",
            ));
        }
        if args.topic.is_some() && args.topic_id.is_some() {
            println!("Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID");
        }
    }
    if !args.list && !args.describe && args.topic.is_none() {
        return Err(UsageError::with_usage(
            "Missing required argument \"[topic]\"",
        ));
    }
    if args.alter {
        if !args.config.is_empty() {
            return Err(UsageError::with_usage(format!(
                "Option combination \"[[bootstrap-server], [config]]\" can't be used with option \"[alter]\"{ALTER_HINT}"
            )));
        }
        if args.partitions.is_none() {
            return Err(UsageError::with_usage(
                "Missing required argument \"[partitions]\"",
            ));
        }
    }
    let action = if args.create {
        "create"
    } else if args.list {
        "list"
    } else if args.alter {
        "alter"
    } else if args.describe {
        "describe"
    } else {
        "delete"
    };
    let conflict = |used: &str, with: &str| {
        Err(UsageError::with_usage(format!(
            "Option \"[{used}]\" can't be used with option \"[{with}]\""
        )))
    };
    let only_with = |present: bool, used: &str, allowed: &[&str]| -> Result<(), UsageError> {
        if present && !allowed.contains(&action) {
            return conflict(used, action);
        }
        Ok(())
    };
    only_with(!args.config.is_empty(), "config", &["alter", "create"])?;
    only_with(
        args.partitions.is_some(),
        "partitions",
        &["alter", "create"],
    )?;
    only_with(
        args.replication_factor.is_some(),
        "replication-factor",
        &["create"],
    )?;
    only_with(
        args.replica_assignment.is_some(),
        "replica-assignment",
        &["alter", "create"],
    )?;
    if args.create && args.replica_assignment.is_some() {
        if args.partitions.is_some() {
            return conflict("replica-assignment", "partitions");
        }
        if args.replication_factor.is_some() {
            return conflict("replica-assignment", "replication-factor");
        }
    }
    let reports = [
        (
            args.under_replicated_partitions,
            "under-replicated-partitions",
        ),
        (args.under_min_isr_partitions, "under-min-isr-partitions"),
        (args.at_min_isr_partitions, "at-min-isr-partitions"),
        (args.unavailable_partitions, "unavailable-partitions"),
    ];
    for (present, name) in reports {
        only_with(present, name, &["describe"])?;
        if present && args.topics_with_overrides {
            return conflict(name, "topics-with-overrides");
        }
    }
    only_with(
        args.topics_with_overrides,
        "topics-with-overrides",
        &["describe"],
    )?;
    only_with(
        args.if_exists,
        "if-exists",
        &["alter", "delete", "describe"],
    )?;
    only_with(args.if_not_exists, "if-not-exists", &["create"])?;
    only_with(
        args.exclude_internal,
        "exclude-internal",
        &["list", "describe"],
    )?;
    if let Some(output) = &args.output {
        if output != "text" && output != "json" {
            return Err(UsageError::with_usage(format!(
                "Invalid value {output} for option output: must be text or json"
            )));
        }
    }
    Ok(())
}

/// A failure during the action: printed as Apache does, on stdout, with exit 1.
struct CommandError(String);

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        CommandError(e.to_string())
    }
}

async fn run(args: TopicsArgs) -> ExitCode {
    let properties = match &args.command_config {
        Some(path) => match common::load_properties(path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(EXIT_FAILURE);
            }
        },
        None => BTreeMap::new(),
    };
    let cluster = match common::client_config(args.bootstrap_server.as_deref(), &properties)
        .and_then(|c| Cluster::new(c).map_err(|e| e.to_string()))
    {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let mut out = Vec::new();
    let result = if args.create {
        create(&cluster, &args, &mut out).await
    } else if args.list {
        list(&cluster, &args, &mut out).await
    } else if args.describe {
        describe(&cluster, &args, &mut out).await
    } else if args.alter {
        alter(&cluster, &args).await
    } else {
        delete(&cluster, &args).await
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

/// Turns `--topic` into Apache's full-match regex: commas become alternation, spaces and
/// surrounding quotes are dropped.
fn topic_regex(topic: &str) -> Result<Regex, CommandError> {
    let pattern: String = topic
        .trim()
        .replace(',', "|")
        .replace(' ', "")
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|_| CommandError(format!("{pattern} is an invalid regex.")))
}

/// Topics selected by `--topic` (or all), sorted, internal ones dropped with `--exclude-internal`.
async fn selected_topics(
    cluster: &Cluster,
    args: &TopicsArgs,
) -> Result<Vec<crate::client::cluster::TopicInfo>, CommandError> {
    let all = Admin::new(cluster).list_topics().await?;
    let regex = args.topic.as_deref().map(topic_regex).transpose()?;
    let selected: Vec<_> = all
        .into_iter()
        .filter(|t| !(args.exclude_internal && topic_rules::is_internal(&t.name)))
        .filter(|t| regex.as_ref().is_none_or(|r| r.is_match(&t.name)))
        .collect();
    if let Some(topic) = &args.topic {
        if selected.is_empty() && !args.if_exists && !topic.is_empty() {
            return Err(CommandError(format!(
                "Topic '{topic}' does not exist as expected"
            )));
        }
    }
    Ok(selected)
}

async fn list(cluster: &Cluster, args: &TopicsArgs, out: &mut Vec<u8>) -> Result<(), CommandError> {
    let topics = selected_topics(cluster, args).await?;
    let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
    if args.output.as_deref() == Some("json") {
        let json = serde_json::json!({ "topics": names });
        let _ = writeln!(out, "{json}");
    } else {
        let _ = writeln!(out, "{}", names.join("\n"));
    }
    Ok(())
}

/// Parses `--replica-assignment`: partitions separated by `,`, replicas by `:`.
fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, CommandError> {
    let mut partitions: Vec<Vec<i32>> = Vec::new();
    for (index, group) in text.split(',').enumerate() {
        let mut brokers = Vec::new();
        for item in group.split(':') {
            let item = item.trim();
            let broker: i32 = item
                .parse()
                .map_err(|_| CommandError(format!("For input string: \"{item}\"")))?;
            if brokers.contains(&broker) {
                return Err(CommandError(format!(
                    "Partition replica lists may not contain duplicate entries: {broker}"
                )));
            }
            brokers.push(broker);
        }
        if let Some(first) = partitions.first() {
            if first.len() != brokers.len() {
                let list = brokers
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(CommandError(format!(
                    "Partition {index} has different replication factor: [{list}]"
                )));
            }
        }
        partitions.push(brokers);
    }
    Ok(partitions)
}

async fn create(
    cluster: &Cluster,
    args: &TopicsArgs,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let name = args.topic.clone().unwrap_or_default();
    if let Some(rf) = args.replication_factor {
        if !(1..=MAX_REPLICATION_FACTOR).contains(&rf) {
            return Err(CommandError(format!(
                "The replication factor must be between 1 and {MAX_REPLICATION_FACTOR} inclusive"
            )));
        }
    }
    if let Some(p) = args.partitions {
        if p < 1 {
            return Err(CommandError(
                "The partitions must be greater than 0".to_string(),
            ));
        }
    }
    let config_format = Regex::new(r"\s*=\s*").expect("static regex");
    let mut configs = Vec::new();
    for entry in &args.config {
        let parts: Vec<&str> = config_format.split(entry).collect();
        if parts.len() != 2 || parts[1].trim().is_empty() || parts[0].trim().is_empty() {
            return Err(CommandError("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".".to_string()));
        }
        configs.push((parts[0].trim().to_string(), parts[1].trim().to_string()));
    }
    let assignments = match args.replica_assignment.as_deref() {
        Some(text) if !text.is_empty() => parse_replica_assignment(text)?,
        _ => Vec::new(),
    };
    if topic_rules::has_collision_chars(&name) {
        let _ = writeln!(out, "{COLLISION_WARNING}");
    }
    let new_topic = NewTopic {
        name: name.clone(),
        partitions: if assignments.is_empty() {
            args.partitions.unwrap_or(-1)
        } else {
            -1
        },
        replication_factor: if assignments.is_empty() {
            args.replication_factor.map_or(-1, |rf| rf as i16)
        } else {
            -1
        },
        assignments,
        configs,
    };
    let results = Admin::new(cluster)
        .create_topics(&[new_topic], false)
        .await?;
    for (_, result) in results {
        match result {
            Ok(_) => {
                let _ = writeln!(out, "Created topic {name}.");
            }
            Err(e)
                if args.if_not_exists
                    && e.code()
                        == Some(kafka_protocol::error::ResponseError::TopicAlreadyExists) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn alter(cluster: &Cluster, args: &TopicsArgs) -> Result<(), CommandError> {
    let topics = selected_topics(cluster, args).await?;
    let count = args.partitions.unwrap_or_default();
    let assignment = match args.replica_assignment.as_deref() {
        Some(text) if !text.is_empty() => Some(parse_replica_assignment(text)?),
        _ => None,
    };
    let admin = Admin::new(cluster);
    for topic in topics {
        let new_assignments = assignment.as_ref().map(|all| {
            all.iter()
                .skip(topic.partitions.len())
                .cloned()
                .collect::<Vec<_>>()
        });
        admin
            .create_partitions(&topic.name, count, new_assignments)
            .await?;
    }
    Ok(())
}

async fn delete(cluster: &Cluster, args: &TopicsArgs) -> Result<(), CommandError> {
    let topics = selected_topics(cluster, args).await?;
    if topics.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = topics.into_iter().map(|t| t.name).collect();
    for (_, result) in Admin::new(cluster).delete_topics(&names).await? {
        result?;
    }
    Ok(())
}

/// The `Configs:` entries Apache prints: every entry not from DEFAULT_CONFIG, broker order.
fn non_default_configs(configs: &[ConfigEntry]) -> Vec<(String, String)> {
    configs
        .iter()
        .filter(|c| c.source != SOURCE_DEFAULT)
        .map(|c| {
            let value = if c.is_sensitive {
                "null".to_string()
            } else {
                c.value.clone().unwrap_or_else(|| "null".to_string())
            };
            (c.name.clone(), value)
        })
        .collect()
}

fn join_ids(ids: &[i32]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

async fn describe(
    cluster: &Cluster,
    args: &TopicsArgs,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let admin = Admin::new(cluster);
    let names: Vec<String> = match &args.topic_id {
        Some(id_text) => {
            let id = parse_topic_id(id_text)?;
            let all = admin.list_topics().await?;
            match all
                .into_iter()
                .filter(|t| !(args.exclude_internal && t.is_internal))
                .find(|t| t.topic_id == id)
            {
                Some(t) => vec![t.name],
                None if args.if_exists => Vec::new(),
                None => {
                    return Err(CommandError(format!(
                        "TopicId '{id_text}' does not exist as expected"
                    )))
                }
            }
        }
        None => selected_topics(cluster, args)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
    };
    if names.is_empty() {
        return Ok(());
    }
    let page = args
        .partition_size_limit_per_response
        .unwrap_or(DEFAULT_PARTITION_PAGE);
    let descriptions = admin.describe_topics(&names, page).await?;
    let mut topics = Vec::new();
    for d in descriptions {
        topics.push(d?);
    }
    let configs = admin.describe_configs(RESOURCE_TOPIC, &names).await?;
    let mut config_map: BTreeMap<String, Vec<ConfigEntry>> = BTreeMap::new();
    for (name, c) in names.iter().zip(configs) {
        config_map.insert(name.clone(), c?);
    }
    let live: BTreeSet<i32> = admin
        .describe_cluster()
        .await?
        .into_iter()
        .map(|b| b.node_id)
        .collect();
    let order = java_order::hash_map_order(topics.iter().map(|t| t.name.clone()).collect());
    let by_name: BTreeMap<String, TopicDescription> =
        topics.into_iter().map(|t| (t.name.clone(), t)).collect();
    let json = args.output.as_deref() == Some("json");
    let mut json_topics = Vec::new();
    for name in order {
        let Some(topic) = by_name.get(&name) else {
            continue;
        };
        let configs = config_map.get(&name).map(Vec::as_slice).unwrap_or_default();
        let view = TopicView::new(topic, configs, &live, args);
        if json {
            json_topics.push(view.json());
        } else {
            view.print(out);
        }
    }
    if json {
        let _ = writeln!(out, "{}", serde_json::json!({ "topics": json_topics }));
    }
    Ok(())
}

fn parse_topic_id(text: &str) -> Result<Uuid, CommandError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .filter(|b| b.len() == 16)
        .ok_or_else(|| CommandError(format!("Invalid topic id: {text}")))?;
    let mut raw = [0u8; 16];
    raw.copy_from_slice(&bytes);
    Ok(Uuid::from_bytes(raw))
}

/// One topic ready to print.
struct TopicView<'a> {
    topic: &'a TopicDescription,
    configs: Vec<(String, String)>,
    min_isr: usize,
    live: &'a BTreeSet<i32>,
    args: &'a TopicsArgs,
}

impl<'a> TopicView<'a> {
    fn new(
        topic: &'a TopicDescription,
        all_configs: &[ConfigEntry],
        live: &'a BTreeSet<i32>,
        args: &'a TopicsArgs,
    ) -> Self {
        let min_isr = all_configs
            .iter()
            .find(|c| c.name == "min.insync.replicas")
            .and_then(|c| c.value.as_deref())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        TopicView {
            topic,
            configs: non_default_configs(all_configs),
            min_isr,
            live,
            args,
        }
    }

    fn replication_factor(&self) -> usize {
        self.topic
            .partitions
            .first()
            .map_or(0, |p| p.info.replicas.len())
    }

    fn reporting(&self) -> bool {
        self.args.under_replicated_partitions
            || self.args.unavailable_partitions
            || self.args.under_min_isr_partitions
            || self.args.at_min_isr_partitions
    }

    fn partition_shown(&self, p: &crate::client::admin::PartitionDescription) -> bool {
        if !self.reporting() {
            return true;
        }
        let has_leader = p.info.leader >= 0 && self.live.contains(&p.info.leader);
        let isr = p.info.isr.len();
        (self.args.under_replicated_partitions && p.info.replicas.len() > isr)
            || (self.args.unavailable_partitions && !has_leader)
            || (self.args.under_min_isr_partitions && (p.info.leader < 0 || isr < self.min_isr))
            || (self.args.at_min_isr_partitions && isr == self.min_isr)
    }

    fn print(&self, out: &mut Vec<u8>) {
        if self.args.topics_with_overrides && self.configs.is_empty() {
            return;
        }
        if !self.reporting() {
            let mut header = format!("Topic: {}", self.topic.name);
            if !self.topic.topic_id.is_nil() {
                header.push_str(&format!(
                    "\tTopicId: {}",
                    topic_rules::encode_topic_id(self.topic.topic_id)
                ));
            }
            let configs = self
                .configs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            header.push_str(&format!(
                "\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {configs}",
                self.topic.partitions.len(),
                self.replication_factor()
            ));
            let _ = writeln!(out, "{header}");
        }
        if self.args.topics_with_overrides {
            return;
        }
        for p in self
            .topic
            .partitions
            .iter()
            .filter(|p| self.partition_shown(p))
        {
            let leader = if p.info.leader >= 0 && self.live.contains(&p.info.leader) {
                p.info.leader.to_string()
            } else {
                "none".to_string()
            };
            let elr = |list: &Option<Vec<i32>>| list.as_deref().map_or("N/A".to_string(), join_ids);
            let _ = writeln!(
                out,
                "\tTopic: {}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}\tElr: {}\tLastKnownElr: {}",
                self.topic.name,
                p.info.partition,
                join_ids(&p.info.replicas),
                join_ids(&p.info.isr),
                elr(&p.eligible_leader_replicas),
                elr(&p.last_known_elr),
            );
        }
    }

    fn json(&self) -> serde_json::Value {
        let partitions: Vec<serde_json::Value> = self
            .topic
            .partitions
            .iter()
            .filter(|p| self.partition_shown(p))
            .map(|p| {
                serde_json::json!({
                    "partition": p.info.partition,
                    "leader": (p.info.leader >= 0 && self.live.contains(&p.info.leader)).then_some(p.info.leader),
                    "replicas": p.info.replicas,
                    "isr": p.info.isr,
                    "elr": p.eligible_leader_replicas,
                    "last_known_elr": p.last_known_elr,
                })
            })
            .collect();
        let configs: serde_json::Map<String, serde_json::Value> = self
            .configs
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::json!({
            "name": self.topic.name,
            "topic_id": (!self.topic.topic_id.is_nil()).then(|| topic_rules::encode_topic_id(self.topic.topic_id)),
            "internal": self.topic.is_internal,
            "partition_count": self.topic.partitions.len(),
            "replication_factor": self.replication_factor(),
            "configs": configs,
            "partitions": partitions,
        })
    }
}
