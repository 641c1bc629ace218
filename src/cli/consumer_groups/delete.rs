//! `--delete` (groups, with a report of partial failure) and `--delete-offsets` (one group's
//! committed offsets of whole topics or listed partitions, with a per-partition table).

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;

use super::text::{self, java_len, row};
use super::{single, ActionResult, Context};
use crate::client::group::TopicPartition;
use crate::client::group_admin::GroupAdmin;
use crate::client::ClientError;

const MIN_TOPIC_WIDTH: usize = 15;
const PARTITION_WIDTH: usize = 10;
const STATUS_WIDTH: usize = 15;

fn quoted(groups: &[String]) -> String {
    groups
        .iter()
        .map(|g| format!("'{g}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn delete_groups(context: &mut Context) -> ActionResult {
    let mut ids = Vec::new();
    for id in context.groups().await? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let results = GroupAdmin::new(&context.cluster)
        .delete_groups(&ids)
        .await?;
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for (group, result) in results {
        match result {
            Ok(()) => succeeded.push(group),
            Err(e) => failed.push((group, e)),
        }
    }
    let succeeded = text::string_order(succeeded);
    if failed.is_empty() {
        context.out.print(&format!(
            "Deletion of requested consumer groups ({}) was successful.\n",
            quoted(&succeeded)
        ));
        return Ok(());
    }
    context
        .out
        .print_error("Deletion of some consumer groups failed:");
    let failed = text::hash_map_order(failed, |(g, _)| crate::cli::java_order::string_hash(g));
    for (group, error) in failed {
        context.out.print(&format!(
            "* Group '{group}' could not be deleted due to: {}\n",
            text::java_exception(&error)
        ));
    }
    if !succeeded.is_empty() {
        context.out.print(&format!(
            "\nThese consumer groups were deleted successfully: {}\n",
            quoted(&succeeded)
        ));
    }
    Ok(())
}

/// `Errors.name()` of an error code (e.g. `UNKNOWN_SERVER_ERROR`).
fn error_name(error: ResponseError) -> String {
    let camel = format!("{error:?}");
    let mut name = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

pub async fn delete_offsets(context: &mut Context) -> ActionResult {
    let group = single(&context.args.group, "group")?
        .cloned()
        .unwrap_or_default();
    let mut partitions: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut whole_topics = Vec::new();
    for arg in &context.args.topic {
        if arg.contains(':') {
            partitions.extend(super::reset::parse_topic_partitions(arg)?);
        } else {
            whole_topics.push(arg.clone());
        }
    }
    // Per partition: None = deleted; Some(text) = the error shown.
    let mut statuses: Vec<(String, i32, Option<String>)> = Vec::new();
    if !whole_topics.is_empty() {
        let cluster = &context.cluster;
        let metadata = cluster
            .retry("describeTopics", || {
                cluster.refresh_metadata(Some(&whole_topics))
            })
            .await?;
        for topic in &whole_topics {
            match metadata.topics.get(topic) {
                Some(t) if t.error_code == 0 => {
                    partitions.extend(t.partitions.iter().map(|p| (topic.clone(), p.partition)))
                }
                other => {
                    let code = other.map_or(ResponseError::UnknownTopicOrPartition.code(), |t| {
                        t.error_code
                    });
                    let error = ClientError::kafka(code, None, "");
                    if !statuses.iter().any(|(t, p, _)| t == topic && *p == -1) {
                        statuses.push((topic.clone(), -1, Some(text::java_exception(&error))));
                    }
                }
            }
        }
    }
    let partitions: Vec<TopicPartition> = partitions.into_iter().collect();
    let outcome = GroupAdmin::new(&context.cluster)
        .delete_group_offsets(&group, &partitions)
        .await;
    let top_level = match &outcome {
        Ok(results) => results
            .values()
            .find_map(|r| r.as_ref().err())
            .map(|e| e.code().unwrap_or(ResponseError::UnknownServerError)),
        Err(e) => Some(e.code().unwrap_or(ResponseError::UnknownServerError)),
    };
    for tp in &partitions {
        let status = match &outcome {
            Ok(results) => match results.get(tp) {
                Some(Ok(())) => None,
                Some(Err(e)) => Some(text::java_exception(e)),
                None => None,
            },
            Err(e) => Some(text::java_exception(e)),
        };
        statuses.push((tp.0.clone(), tp.1, status));
    }
    match top_level {
        None => context.out.print(&format!(
            "Request succeeded for deleting offsets from group {group}.\n"
        )),
        Some(
            code @ (ResponseError::InvalidGroupId
            | ResponseError::GroupIdNotFound
            | ResponseError::GroupAuthorizationFailed
            | ResponseError::NonEmptyGroup),
        ) => context
            .out
            .print_error(crate::client::errors::default_message(code)),
        Some(
            ResponseError::GroupSubscribedToTopic
            | ResponseError::TopicAuthorizationFailed
            | ResponseError::UnknownTopicOrPartition,
        ) => context
            .out
            .print_error("Encountered some partition-level error, see the follow-up details."),
        Some(other) => context.out.print_error(&format!(
            "Encountered some unknown error: {}",
            error_name(other)
        )),
    }
    if statuses.iter().any(|(_, _, s)| s.is_some()) {
        context.out.failed = true;
    }
    // Sorted by the string topic + partition, as Apache sorts them.
    statuses.sort_by(|a, b| {
        format!("{}{}", a.0, a.1)
            .encode_utf16()
            .cmp(format!("{}{}", b.0, b.1).encode_utf16())
    });
    let topic_w = statuses
        .iter()
        .map(|(t, _, _)| java_len(t))
        .max()
        .unwrap_or(0)
        .max(MIN_TOPIC_WIDTH);
    let line = |topic: &str, partition: &str, status: &str| {
        format!(
            "\n{}",
            row(&[
                (topic, Some(topic_w)),
                (partition, Some(PARTITION_WIDTH)),
                (status, Some(STATUS_WIDTH)),
            ])
        )
    };
    let mut out = line("TOPIC", "PARTITION", "STATUS");
    for (topic, partition, status) in &statuses {
        let partition = if *partition >= 0 {
            partition.to_string()
        } else {
            "-".to_string()
        };
        let status = status
            .as_ref()
            .map_or_else(|| "Successful".to_string(), |e| format!("Error: {e}"));
        out.push_str(&line(topic, &partition, &status));
    }
    out.push('\n');
    context.out.print(&out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names() {
        assert_eq!(
            error_name(ResponseError::UnknownServerError),
            "UNKNOWN_SERVER_ERROR"
        );
        assert_eq!(error_name(ResponseError::NotCoordinator), "NOT_COORDINATOR");
    }
}
