//! From parsed arguments to what the run needs, checked in Apache's order
//! (`ConsoleConsumerOptions`): which topics, where to start, the consumer properties (file, then
//! inline, then `auto.offset.reset`, `bootstrap.servers`, `client.id`, `isolation.level` and the
//! group id), the formatter and its properties. Every usage error carries Apache's text.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rand::Rng;

use super::formatter::{self, DefaultFormatter, Formatter, FormatterKind};
use super::json::JsonFormatter;
use super::start::{self, OffsetArg};
use super::ConsoleConsumerArgs;
use crate::cli::common::{self, UsageError};
use crate::cli::java_order;

/// Apache's random group ids are `console-consumer-` and a number below this.
const RANDOM_GROUP_BOUND: u32 = 100_000;
const DEFAULT_CLIENT_ID: &str = "console-consumer";

/// What to consume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Topic(String),
    /// A Java regex matched against whole topic names.
    Include(String),
    /// `--topic` with `--partition`: that partition only, no group.
    Partition(String, i32),
}

/// Everything the run needs, validated.
#[derive(Debug)]
pub struct Settings {
    pub selection: Selection,
    /// `--offset` (or `--from-beginning` with `--partition`); for subscriptions only a time.
    pub start: Option<OffsetArg>,
    /// The consumer properties, as Apache builds them.
    pub consumer_props: BTreeMap<String, String>,
    /// Whether the user named a group (`--group` or `group.id`).
    pub user_group: bool,
    /// `None`: unlimited.
    pub max_messages: Option<i32>,
    /// `None`: wait forever.
    pub timeout: Option<Duration>,
    pub skip_message_on_error: bool,
    pub systest_events: bool,
    pub formatter: Formatter,
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError::with_usage(message)
}

/// Reads a properties file; a missing file reports its path (Java's `NoSuchFileException`).
fn load(path: &str) -> Result<BTreeMap<String, String>, String> {
    if !Path::new(path).exists() {
        return Err(path.to_string());
    }
    common::load_properties(path)
}

fn inline(entries: &[String]) -> BTreeMap<String, String> {
    entries.iter().map(|e| common::split_property(e)).collect()
}

impl Settings {
    pub fn from_args(args: ConsoleConsumerArgs) -> Result<Settings, UsageError> {
        let include = args.include.clone().or_else(|| args.whitelist.clone());
        if args.topic.is_some() == include.is_some() {
            return Err(usage(
                "Exactly one of the following arguments is required: [topic], [include]",
            ));
        }
        // kafkit's time forms of --offset work without --partition (on every partition).
        let offset_is_time = args.offset.as_deref().and_then(start::parse_time).is_some();
        if args.partition.is_some() {
            if args.topic.is_none() {
                return Err(usage("The topic is required when partition is specified."));
            }
            if args.from_beginning && args.offset.is_some() {
                return Err(usage(
                    "Options from-beginning and offset cannot be specified together.",
                ));
            }
        } else if args.offset.is_some() {
            if !offset_is_time {
                return Err(usage("The partition is required when offset is specified."));
            }
            if args.from_beginning {
                return Err(usage(
                    "Options from-beginning and offset cannot be specified together.",
                ));
            }
        }
        let Some(bootstrap) = args.bootstrap_server.clone() else {
            return Err(usage("Missing required argument \"[bootstrap-server]\""));
        };
        if !args.consumer_property.is_empty() && !args.command_property.is_empty() {
            return Err(usage(
                "Options --consumer-property and --command-property cannot be specified together.",
            ));
        }
        if args.consumer_config.is_some() && args.command_config.is_some() {
            return Err(usage(
                "Options --consumer.config and --command-config cannot be specified together.",
            ));
        }
        // Apache prints these on stdout; kafkit keeps stdout for records.
        if !args.consumer_property.is_empty() {
            eprintln!("Option --consumer-property is deprecated and will be removed in a future version. Use --command-property instead.");
        }
        if args.consumer_config.is_some() {
            eprintln!("Option --consumer.config is deprecated and will be removed in a future version. Use --command-config instead.");
        }
        let config_file = args
            .command_config
            .as_deref()
            .or(args.consumer_config.as_deref());
        let from_file = match config_file {
            Some(path) => load(path).map_err(UsageError::plain)?,
            None => BTreeMap::new(),
        };
        let extra = inline(if args.command_property.is_empty() {
            &args.consumer_property
        } else {
            &args.command_property
        });
        let groups = group_ids(&args, &from_file, &extra);
        if groups.len() > 1 {
            let detected: Vec<String> = groups.iter().map(|g| format!("'{g}'")).collect();
            return Err(usage(format!(
                "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: {}",
                detected.join(", ")
            )));
        }
        if !groups.is_empty() && args.partition.is_some() {
            return Err(usage(
                "Options group and partition cannot be specified together.",
            ));
        }
        let consumer_props = consumer_props(&args, &bootstrap, from_file, extra, groups.first())?;
        let start = match &args.offset {
            Some(value) => Some(start::parse_offset(value).ok_or_else(|| {
                usage(format!("The provided offset value '{value}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."))
            })?),
            None if args.partition.is_some() => Some(if args.from_beginning {
                OffsetArg::Earliest
            } else {
                OffsetArg::Latest
            }),
            None => None,
        };
        let timeout = args
            .timeout_ms
            .filter(|&t| t >= 0)
            .map(|t| Duration::from_millis(t as u64));
        let formatter = build_formatter(&args)?;
        let selection = match (&args.topic, args.partition, include) {
            (Some(topic), Some(partition), _) => Selection::Partition(topic.clone(), partition),
            (Some(topic), None, _) => Selection::Topic(topic.clone()),
            (None, _, Some(include)) => Selection::Include(include),
            (None, _, None) => unreachable_selection()?,
        };
        Ok(Settings {
            selection,
            start,
            consumer_props,
            user_group: !groups.is_empty(),
            // Apache: -1 means unlimited; any other value stops at that count.
            max_messages: args.max_messages.filter(|&m| m != -1),
            timeout,
            skip_message_on_error: args.skip_message_on_error,
            systest_events: args.enable_systest_events,
            formatter,
        })
    }
}

/// Exactly one of topic/include was checked above; this keeps the match total without a panic.
fn unreachable_selection() -> Result<Selection, UsageError> {
    Err(usage(
        "Exactly one of the following arguments is required: [topic], [include]",
    ))
}

/// The distinct group ids given, in Java `HashSet` order.
fn group_ids(
    args: &ConsoleConsumerArgs,
    from_file: &BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let given = [
        args.group.clone(),
        from_file.get("group.id").cloned(),
        extra.get("group.id").cloned(),
    ];
    for id in given.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    java_order::hash_map_order(ids)
}

fn consumer_props(
    args: &ConsoleConsumerArgs,
    bootstrap: &str,
    from_file: BTreeMap<String, String>,
    extra: BTreeMap<String, String>,
    group: Option<&String>,
) -> Result<BTreeMap<String, String>, UsageError> {
    let mut props = from_file;
    props.extend(extra);
    match props.get("auto.offset.reset") {
        Some(reset) if args.from_beginning && reset != "earliest" => {
            return Err(UsageError::plain(format!(
                "Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', please remove one option"
            )));
        }
        Some(_) => {}
        None => {
            let reset = if args.from_beginning {
                "earliest"
            } else {
                "latest"
            };
            props.insert("auto.offset.reset".into(), reset.into());
        }
    }
    props.insert("bootstrap.servers".into(), bootstrap.into());
    props
        .entry("client.id".into())
        .or_insert_with(|| DEFAULT_CLIENT_ID.into());
    if args.isolation_level.is_some() || !props.contains_key("isolation.level") {
        let level = args
            .isolation_level
            .clone()
            .unwrap_or_else(|| "read_uncommitted".into());
        props.insert("isolation.level".into(), level);
    }
    match group {
        Some(group) => {
            props.insert("group.id".into(), group.clone());
        }
        None => {
            let n = rand::thread_rng().gen_range(0..RANDOM_GROUP_BOUND);
            props.insert("group.id".into(), format!("console-consumer-{n}"));
            // Apache: the random group's offsets are not meant to be used again.
            props
                .entry("enable.auto.commit".into())
                .or_insert_with(|| "false".into());
        }
    }
    Ok(props)
}

fn build_formatter(args: &ConsoleConsumerArgs) -> Result<Formatter, UsageError> {
    let json = match args.output.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            return Err(usage(format!(
                "Invalid value {other} for option output: must be text or json"
            )))
        }
    };
    if json && args.formatter.is_some() {
        return Err(usage(
            "Option --output json cannot be used with --formatter",
        ));
    }
    let kind = match &args.formatter {
        Some(class) => formatter::formatter_by_class(class).map_err(usage)?,
        None => FormatterKind::Default,
    };
    if !args.property.is_empty() && !args.formatter_property.is_empty() {
        return Err(usage(
            "Options --property and --formatter-property cannot be specified together.",
        ));
    }
    if !args.property.is_empty() {
        eprintln!("Option --property is deprecated and will be removed in a future version. Use --formatter-property instead.");
    }
    let mut props = match &args.formatter_config {
        Some(path) => load(path).map_err(usage)?,
        None => BTreeMap::new(),
    };
    if let Some(d) = args.key_deserializer.as_ref().filter(|d| !d.is_empty()) {
        props.insert("key.deserializer".into(), d.clone());
    }
    if let Some(d) = args.value_deserializer.as_ref().filter(|d| !d.is_empty()) {
        props.insert("value.deserializer".into(), d.clone());
    }
    props.extend(inline(if args.formatter_property.is_empty() {
        &args.property
    } else {
        &args.formatter_property
    }));
    if json {
        return Ok(Formatter::Json(JsonFormatter::default()));
    }
    Ok(match kind {
        FormatterKind::Default => Formatter::Default(Box::new(DefaultFormatter::configure(&props))),
        FormatterKind::NoOp => Formatter::NoOp,
    })
}
