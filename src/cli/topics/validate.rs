//! Apache's `TopicCommandOptions.checkArgs`: which options go together, in Apache's order, with
//! its messages. Only presence counts here; values are read by the actions.

use super::{TopicsArgs, ALTER_HINT};
use crate::cli::common::UsageError;

/// Apache's `checkArgs`, in its order.
pub(super) fn check_args(args: &TopicsArgs) -> Result<(), UsageError> {
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
    if args.bootstrap_server.is_empty() {
        return Err(UsageError::plain("--bootstrap-server must be specified"));
    }
    if args.describe && args.if_exists {
        if args.topic.is_empty() && args.topic_id.is_empty() {
            return Err(UsageError::with_usage(
                "--topic or --topic-id is required to describe a topic",
            ));
        }
        if !args.topic.is_empty() && !args.topic_id.is_empty() {
            println!("Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID");
        }
    }
    if !args.list && !args.describe && args.topic.is_empty() {
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
        if args.partitions.is_empty() {
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
        !args.partitions.is_empty(),
        "partitions",
        &["alter", "create"],
    )?;
    only_with(
        !args.replication_factor.is_empty(),
        "replication-factor",
        &["create"],
    )?;
    only_with(
        !args.replica_assignment.is_empty(),
        "replica-assignment",
        &["alter", "create"],
    )?;
    if args.create && !args.replica_assignment.is_empty() {
        if !args.partitions.is_empty() {
            return conflict("replica-assignment", "partitions");
        }
        if !args.replication_factor.is_empty() {
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
