//! Topic selection (`--topic` as Apache's include-list regex) and the `--list`, `--create`,
//! `--alter` and `--delete` actions, reading option values in the order Apache's
//! `TopicCommand` reads them (so the first error reported is Apache's).

use std::io::Write;

use regex::Regex;

use super::{CommandError, TopicsArgs, Values};
use crate::client::admin::{Admin, NewTopic};
use crate::client::cluster::TopicInfo;
use crate::client::Cluster;
use crate::protocol::topic as topic_rules;
use kafka_protocol::error::ResponseError;

const COLLISION_WARNING: &str = "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.";
/// `Short.MAX_VALUE`: the largest replication factor a CreateTopics request can carry.
const MAX_REPLICATION_FACTOR: i32 = i16::MAX as i32;
/// Partition count and replication factor that mean "the broker's default".
const BROKER_DEFAULT: i32 = -1;

/// Java's `String.split` with a literal separator: trailing empty strings are dropped, and a
/// string without the separator is returned whole.
pub(super) fn java_split(text: &str, separator: char) -> Vec<&str> {
    if !text.contains(separator) {
        return vec![text];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// The `\s` of a Java regex.
fn is_java_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{B}' | '\u{C}' | '\r')
}

/// Java's `String.trim()`.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Turns `--topic` into Apache's `IncludeList` regex (trimmed, commas become alternation,
/// spaces and surrounding quotes dropped), matched against whole names.
fn topic_regex(topic: &str) -> Result<Regex, CommandError> {
    let pattern: String = java_trim(topic)
        .replace(',', "|")
        .replace(' ', "")
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|_| CommandError(format!("{pattern} is an invalid regex.")))
}

/// Apache's `getTopics`: every topic (internal ones unless `--exclude-internal`; internal is
/// what the broker flags and what Kafka's names say), sorted, filtered by `--topic`.
pub(super) async fn topics_matching(
    cluster: &Cluster,
    topic: Option<&str>,
    exclude_internal: bool,
) -> Result<Vec<TopicInfo>, CommandError> {
    let all = Admin::new(cluster).list_topics().await?;
    let regex = topic.map(topic_regex).transpose()?;
    Ok(all
        .into_iter()
        .filter(|t| !(exclude_internal && (t.is_internal || topic_rules::is_internal(&t.name))))
        .filter(|t| regex.as_ref().is_none_or(|r| r.is_match(&t.name)))
        .collect())
}

/// Apache's `ensureTopicExists`: a named `--topic` that matched nothing is an error unless
/// `--if-exists`.
pub(super) fn ensure_topic_exists(
    found: &[TopicInfo],
    topic: Option<&str>,
    if_exists: bool,
) -> Result<(), CommandError> {
    match topic {
        Some(topic) if found.is_empty() && !topic.is_empty() && !if_exists => Err(CommandError(
            format!("Topic '{topic}' does not exist as expected"),
        )),
        _ => Ok(()),
    }
}

/// `--list`: the selected names, one per line. Nothing selected prints one empty line; a
/// `--topic` that matches nothing is not an error here (Apache does not check).
pub(super) async fn list(
    cluster: &Cluster,
    args: &TopicsArgs,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let topic = Values::single(&args.topic, "topic")?;
    let topics = topics_matching(cluster, topic, args.exclude_internal).await?;
    let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
    if args.output.as_deref() == Some("json") {
        let json = serde_json::json!({ "topics": names });
        let _ = writeln!(out, "{json}");
    } else {
        let _ = writeln!(out, "{}", names.join("\n"));
    }
    Ok(())
}

/// Parses `--replica-assignment` as Apache's `parseReplicaAssignment`: partitions separated by
/// `,`, replicas by `:`, each a trimmed Java `Integer`.
fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, CommandError> {
    let mut partitions: Vec<Vec<i32>> = Vec::new();
    for (index, group) in java_split(text, ',').into_iter().enumerate() {
        let mut brokers = Vec::new();
        for item in java_split(group, ':') {
            let item = java_trim(item);
            let broker: i32 = item
                .parse()
                .map_err(|_| CommandError(format!("For input string: \"{item}\"")))?;
            brokers.push(broker);
        }
        let duplicates = duplicates(&brokers);
        if !duplicates.is_empty() {
            let list: Vec<String> = duplicates.iter().map(i32::to_string).collect();
            return Err(CommandError(format!(
                "Partition replica lists may not contain duplicate entries: {}",
                list.join(",")
            )));
        }
        if let Some(first) = partitions.first() {
            if first.len() != brokers.len() {
                let list: Vec<String> = brokers.iter().map(i32::to_string).collect();
                return Err(CommandError(format!(
                    "Partition {index} has different replication factor: [{}]",
                    list.join(", ")
                )));
            }
        }
        partitions.push(brokers);
    }
    Ok(partitions)
}

/// Apache's `ToolsUtils.duplicates`: the repeated ids, in the order of the Java `HashSet`
/// holding them (bucket of `Integer.hashCode`, then insertion).
fn duplicates(ids: &[i32]) -> Vec<i32> {
    const MIN_CAPACITY: usize = 16;
    let mut repeated: Vec<i32> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) && !repeated.contains(id) {
            repeated.push(*id);
        }
    }
    let mut capacity = MIN_CAPACITY;
    while repeated.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |id: i32| {
        let h = id as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut ordered: Vec<(usize, usize, i32)> = repeated
        .iter()
        .enumerate()
        .map(|(i, &id)| (bucket(id), i, id))
        .collect();
    ordered.sort_unstable();
    ordered.into_iter().map(|(_, _, id)| id).collect()
}

/// Java's `String.split("\\s*=\\s*")`: split at every `=` with the whitespace around it,
/// trailing empty strings dropped.
fn split_config(entry: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = entry;
    while let Some(at) = rest.find('=') {
        parts.push(rest[..at].trim_end_matches(is_java_regex_space));
        rest = rest[at + 1..].trim_start_matches(is_java_regex_space);
    }
    parts.push(rest);
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// What Apache's `CommandTopicPartition` reads from the options, in its order.
struct TopicPartitionOptions {
    name: String,
    partitions: Option<i32>,
    replication_factor: Option<i32>,
    assignment: Vec<Vec<i32>>,
    configs: Vec<(String, String)>,
}

impl TopicPartitionOptions {
    fn read(args: &TopicsArgs) -> Result<Self, CommandError> {
        let name = Values::single(&args.topic, "topic")?
            .unwrap_or_default()
            .to_string();
        let partitions = Values::integer(&args.partitions, "partitions")?;
        let replication_factor = Values::integer(&args.replication_factor, "replication-factor")?;
        let assignment = match Values::single(&args.replica_assignment, "replica-assignment")? {
            Some(text) if !text.is_empty() => parse_replica_assignment(text)?,
            _ => Vec::new(),
        };
        let mut configs: Vec<(String, String)> = Vec::new();
        let split: Vec<Vec<&str>> = args.config.iter().map(|c| split_config(c)).collect();
        if split.iter().any(|parts| parts.len() != 2) {
            return Err(CommandError("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".".to_string()));
        }
        for parts in split {
            let (key, value) = (java_trim(parts[0]), java_trim(parts[1]));
            // A java.util.Properties: a repeated key keeps its last value.
            configs.retain(|(k, _)| k != key);
            configs.push((key.to_string(), value.to_string()));
        }
        Ok(TopicPartitionOptions {
            name,
            partitions,
            replication_factor,
            assignment,
            configs,
        })
    }
}

/// `--create`: one CreateTopics request; `Created topic X.` on success.
pub(super) async fn create(
    cluster: &Cluster,
    args: &TopicsArgs,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let topic = TopicPartitionOptions::read(args)?;
    if topic_rules::has_collision_chars(&topic.name) {
        let _ = writeln!(out, "{COLLISION_WARNING}");
    }
    if topic
        .replication_factor
        .is_some_and(|rf| !(1..=MAX_REPLICATION_FACTOR).contains(&rf))
    {
        return Err(CommandError(format!(
            "The replication factor must be between 1 and {MAX_REPLICATION_FACTOR} inclusive"
        )));
    }
    if topic.partitions.is_some_and(|p| p < 1) {
        return Err(CommandError(
            "The partitions must be greater than 0".to_string(),
        ));
    }
    let manual = !topic.assignment.is_empty();
    let new_topic = NewTopic {
        name: topic.name.clone(),
        partitions: match topic.partitions {
            Some(p) if !manual => p,
            _ => BROKER_DEFAULT,
        },
        replication_factor: match topic.replication_factor {
            // In range: checked above.
            Some(rf) if !manual => i16::try_from(rf).unwrap_or(i16::MAX),
            _ => BROKER_DEFAULT as i16,
        },
        assignments: topic.assignment,
        configs: topic.configs,
    };
    let results = Admin::new(cluster)
        .create_topics(&[new_topic], false)
        .await?;
    for (_, result) in results {
        match result {
            Ok(_) => {
                let _ = writeln!(out, "Created topic {}.", topic.name);
            }
            Err(e) if args.if_not_exists && e.code() == Some(ResponseError::TopicAlreadyExists) => {
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `--alter`: grows every selected topic to `--partitions`; with `--replica-assignment`, the
/// entries past a topic's current partitions place the new ones. Prints nothing on success.
pub(super) async fn alter(cluster: &Cluster, args: &TopicsArgs) -> Result<(), CommandError> {
    let options = TopicPartitionOptions::read(args)?;
    let topic = Some(options.name.as_str());
    let topics = topics_matching(cluster, topic, args.exclude_internal).await?;
    ensure_topic_exists(&topics, topic, args.if_exists)?;
    let count = options.partitions.unwrap_or_default();
    let admin = Admin::new(cluster);
    for topic in topics {
        let new_assignments = (!options.assignment.is_empty()).then(|| {
            options
                .assignment
                .iter()
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

/// `--delete`: one DeleteTopics request for every selected topic. Prints nothing on success.
pub(super) async fn delete(cluster: &Cluster, args: &TopicsArgs) -> Result<(), CommandError> {
    let topic = Values::single(&args.topic, "topic")?;
    let topics = topics_matching(cluster, topic, args.exclude_internal).await?;
    ensure_topic_exists(&topics, topic, args.if_exists)?;
    if topics.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = topics.into_iter().map(|t| t.name).collect();
    for (_, result) in Admin::new(cluster).delete_topics(&names).await? {
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_java() {
        assert_eq!(java_split("1,1,", ','), ["1", "1"]);
        assert_eq!(java_split("", ','), [""]);
        assert_eq!(java_split("1::2", ':'), ["1", "", "2"]);
        assert_eq!(split_config("a = b"), ["a", "b"]);
        assert_eq!(split_config("a="), ["a"]);
        assert_eq!(split_config("a=b=c"), ["a", "b", "c"]);
        assert_eq!(split_config("=v"), ["", "v"]);
        assert_eq!(split_config("x"), ["x"]);
    }

    #[test]
    fn replica_assignment_errors_read_as_apache_s() {
        assert_eq!(parse_replica_assignment(" 1 , 2 ").unwrap(), [[1], [2]]);
        assert_eq!(
            parse_replica_assignment("1:2:1:2").unwrap_err().0,
            "Partition replica lists may not contain duplicate entries: 1,2"
        );
        assert_eq!(
            parse_replica_assignment("1,2:3").unwrap_err().0,
            "Partition 1 has different replication factor: [2, 3]"
        );
        assert_eq!(
            parse_replica_assignment("1,x").unwrap_err().0,
            "For input string: \"x\""
        );
    }
}
