//! `--reset-offsets`: per group (refused while it has active members), the partitions in scope
//! (`--all-topics`, `--topic t`, `--topic t:0,2`, or a `--from-file` plan), checked to exist and
//! have leaders, then the new offsets of the scenario (`--to-offset`, `--to-earliest`,
//! `--to-latest`, `--shift-by`, `--to-datetime`, `--by-duration`, `--from-file`,
//! `--to-current`) clamped into [log start, log end] with Apache's warnings. `--execute`
//! commits them from outside the group; the plan is printed as Apache's table, as CSV
//! (`--export`) or as JSON. Rows come in Java's `HashMap` order, as Apache prints them.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};

use super::csv;
use super::json::{self, PlannedOffset};
use super::list::canonical_state;
use super::text::{self, java_len, row, topic_partition, topic_partition_hash};
use super::time;
use super::{long_value, single, ActionResult, ConsumerGroupsArgs, Context, Failure};
use crate::client::admin::{Admin, OffsetSpec};
use crate::client::consumer_groups::ConsumerGroups;
use crate::client::group::{OffsetAndMetadata, TopicPartition};
use crate::client::group_admin::GroupAdmin;
use kafka_protocol::error::ResponseError;

/// The logger Apache's clamping warnings come from.
const RESETTER_LOGGER: &str = "org.apache.kafka.tools.GroupOffsetsResetter";
const MIN_WIDTH: usize = 15;
const PARTITION_WIDTH: usize = 10;

/// A group's plan: partitions and new offsets, in the order Apache prints them.
type Plan = Vec<(TopicPartition, i64)>;
/// Per group: its plan and (for JSON output) its committed offsets before any change.
type Plans = Vec<(String, Plan, BTreeMap<TopicPartition, i64>)>;

/// The reset scenarios given, in Apache's check order.
pub fn scenarios_given(args: &ConsumerGroupsArgs) -> Vec<&'static str> {
    [
        (!args.to_offset.is_empty(), "to-offset"),
        (!args.to_datetime.is_empty(), "to-datetime"),
        (!args.by_duration.is_empty(), "by-duration"),
        (args.to_earliest, "to-earliest"),
        (args.to_latest, "to-latest"),
        (args.to_current, "to-current"),
        (!args.shift_by.is_empty(), "shift-by"),
        (!args.from_file.is_empty(), "from-file"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect()
}

/// Orders partitions as a Java `HashMap<TopicPartition, _>` filled in this order iterates them.
fn java_order(plan: Plan) -> Plan {
    text::hash_map_order(plan, |((t, p), _)| topic_partition_hash(t, *p))
}

pub async fn run(context: &mut Context) -> ActionResult {
    let mut ids = Vec::new();
    for id in context.groups().await? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let described: HashMap<String, _> = ConsumerGroups::new(&context.cluster)
        .describe(&ids)
        .await?
        .into_iter()
        .collect();
    let execute = context.args.execute && !context.args.dry_run;
    let mut plans: Plans = Vec::new();
    let mut described = described;
    for group in text::string_order(ids) {
        let inactive = match described.remove(&group) {
            Some(Ok(info)) => {
                let state = canonical_state(&info.state);
                if state == "Empty" || state == "Dead" {
                    true
                } else {
                    context.out.print_error(&format!(
                        "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
                    ));
                    false
                }
            }
            Some(Err(e)) if e.code() == Some(ResponseError::GroupIdNotFound) => true,
            Some(Err(e)) => return Err(Failure::Command(text::execution_exception(&e))),
            None => true,
        };
        let mut before = BTreeMap::new();
        let plan = if inactive {
            let plan = plan_for(context, &group).await?;
            if context.args.json() {
                before = committed_offsets(context, &group).await?;
            }
            if execute && !execute_plan(context, &group, &plan).await? {
                // Declined at the confirmation: nothing was reset for this group.
                Vec::new()
            } else {
                plan
            }
        } else {
            Vec::new()
        };
        plans.push((group, plan, before));
    }
    print(context, &plans, execute)
}

/// The plan for an inactive group (Apache's `resetOffsetsForInactiveGroup` before the commit).
async fn plan_for(context: &mut Context, group: &str) -> ActionResult<Plan> {
    let scope = partitions_to_reset(context, group).await?;
    check_partitions(context, &scope).await?;
    let args = &context.args;
    if let Some(offset) = long_value(&args.to_offset, "to-offset")? {
        let requested = scope.into_iter().map(|tp| (tp, offset)).collect();
        return clamp(context, java_order(requested)).await;
    }
    if args.to_earliest || args.to_latest {
        let (spec, what) = if args.to_earliest {
            (OffsetSpec::Earliest, "starting")
        } else {
            (OffsetSpec::Latest, "ending")
        };
        let found = log_offsets(context, &scope, spec).await?;
        let mut plan = Vec::new();
        for tp in scope {
            match found.get(&tp) {
                Some(&offset) => plan.push((tp, offset)),
                None => {
                    return Err(Failure::Usage(format!(
                        "Error getting {what} offset of topic partition: {}",
                        topic_partition(&tp.0, tp.1)
                    )))
                }
            }
        }
        return Ok(java_order(plan));
    }
    if let Some(shift) = single(&args.shift_by, "shift-by")? {
        let shift = long_value(std::slice::from_ref(shift), "shift-by")?.unwrap_or_default();
        let committed = committed_offsets(context, group).await?;
        let mut requested = Vec::new();
        for tp in scope {
            let Some(current) = committed.get(&tp) else {
                return Err(Failure::Usage(format!(
                    "Cannot shift offset for partition {} since there is no current committed offset",
                    topic_partition(&tp.0, tp.1)
                )));
            };
            requested.push((tp, current.saturating_add(shift)));
        }
        return clamp(context, java_order(requested)).await;
    }
    if let Some(datetime) = args.to_datetime.first() {
        let timestamp = time::parse_datetime(datetime).map_err(Failure::Command)?;
        return by_timestamp(context, scope, timestamp).await;
    }
    if let Some(duration) = single(&args.by_duration, "by-duration")? {
        let ms = time::parse_duration_ms(duration).map_err(Failure::Command)?;
        let now = chrono::Utc::now().timestamp_millis();
        return by_timestamp(context, scope, now.saturating_sub(ms)).await;
    }
    if let Some(path) = args.from_file.first() {
        let path = path.clone();
        return from_file(context, group, &path).await;
    }
    if args.to_current {
        let committed = committed_offsets(context, group).await?;
        let (with, without): (Vec<_>, Vec<_>) =
            scope.into_iter().partition(|tp| committed.contains_key(tp));
        let mut plan: Plan = with
            .into_iter()
            .map(|tp| {
                let offset = committed.get(&tp).copied().unwrap_or_default();
                (tp, offset)
            })
            .collect();
        let latest = log_offsets(context, &without, OffsetSpec::Latest).await?;
        for tp in without {
            match latest.get(&tp) {
                Some(&offset) => plan.push((tp, offset)),
                None => {
                    return Err(Failure::Command(format!(
                        "Error getting ending offset of topic partition: {}",
                        topic_partition(&tp.0, tp.1)
                    )))
                }
            }
        }
        return Ok(java_order(plan));
    }
    Err(Failure::Usage("Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]]".to_string()))
}

/// Apache's `getPartitionsToReset`.
async fn partitions_to_reset(context: &Context, group: &str) -> ActionResult<Vec<TopicPartition>> {
    let args = &context.args;
    if args.all_topics {
        return Ok(committed_offsets(context, group)
            .await?
            .into_keys()
            .collect());
    }
    if !args.topic.is_empty() {
        let mut specified = Vec::new();
        let mut whole_topics = Vec::new();
        for arg in &args.topic {
            if arg.contains(':') {
                specified.extend(parse_topic_partitions(arg)?);
            } else {
                whole_topics.push(arg.clone());
            }
        }
        if !whole_topics.is_empty() {
            let cluster = &context.cluster;
            let metadata = cluster
                .retry("describeTopics", || {
                    cluster.refresh_metadata(Some(&whole_topics))
                })
                .await?;
            // describeTopics answers in a HashMap keyed by topic name.
            let mut names = whole_topics.clone();
            names.dedup();
            for topic in text::string_order(names) {
                match metadata.topics.get(&topic) {
                    Some(t) if t.error_code == 0 => {
                        let mut partitions: Vec<i32> =
                            t.partitions.iter().map(|p| p.partition).collect();
                        partitions.sort_unstable();
                        specified.extend(partitions.into_iter().map(|p| (topic.clone(), p)));
                    }
                    other => {
                        let code = other
                            .map_or(ResponseError::UnknownTopicOrPartition.code(), |t| {
                                t.error_code
                            });
                        let error = crate::client::ClientError::kafka(code, None, "");
                        return Err(Failure::Command(text::java_message(&error)));
                    }
                }
            }
        }
        return Ok(specified);
    }
    if args.from_file.is_empty() {
        return Err(Failure::Usage(
            "One of the reset scopes should be defined: --all-topics, --topic.".to_string(),
        ));
    }
    Ok(Vec::new())
}

/// `t:0,2` into its partitions (Apache's `parseTopicsWithPartitions`, messages included).
pub(super) fn parse_topic_partitions(arg: &str) -> ActionResult<Vec<TopicPartition>> {
    // Java's split(":") drops trailing empty strings.
    let mut parts: Vec<&str> = arg.split(':').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let [topic, partitions] = parts.as_slice() else {
        return Err(Failure::Usage(format!(
            "Invalid topic arg '{arg}', expected topic name and partitions"
        )));
    };
    let mut items: Vec<&str> = partitions.split(',').collect();
    while items.last().is_some_and(|p| p.is_empty()) {
        items.pop();
    }
    items
        .into_iter()
        .map(|p| {
            p.parse::<i32>()
                .map(|n| (topic.to_string(), n))
                .map_err(|_| {
                    Failure::Usage(format!(
                        "Invalid partition '{p}' specified in topic arg '{arg}''"
                    ))
                })
        })
        .collect()
}

/// Apache 4.2+'s `checkAllTopicPartitionsValid`: every partition exists and has a leader.
async fn check_partitions(context: &Context, partitions: &[TopicPartition]) -> ActionResult {
    if partitions.is_empty() {
        return Ok(());
    }
    let mut topics: Vec<String> = partitions.iter().map(|(t, _)| t.clone()).collect();
    topics.sort();
    topics.dedup();
    let cluster = &context.cluster;
    let metadata = cluster
        .retry("describeTopics", || cluster.refresh_metadata(Some(&topics)))
        .await?;
    let mut missing = Vec::new();
    let mut leaderless = Vec::new();
    for (topic, partition) in partitions {
        let info = match metadata.topics.get(topic) {
            Some(t) if t.error_code == 0 => t,
            other => {
                let code = other.map_or(ResponseError::UnknownTopicOrPartition.code(), |t| {
                    t.error_code
                });
                let error = crate::client::ClientError::kafka(code, None, "");
                return Err(Failure::Command(text::execution_exception(&error)));
            }
        };
        match info.partitions.iter().find(|p| p.partition == *partition) {
            None => missing.push(topic_partition(topic, *partition)),
            Some(p) if p.leader < 0 => leaderless.push(topic_partition(topic, *partition)),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        return Err(Failure::Command(format!(
            "The partitions \"{}\" do not exist",
            missing.join(",")
        )));
    }
    if !leaderless.is_empty() {
        return Err(Failure::Command(format!(
            "The partitions \"{}\" have no leader",
            leaderless.join(",")
        )));
    }
    Ok(())
}

/// The committed offsets of `group` (partitions with one).
async fn committed_offsets(
    context: &Context,
    group: &str,
) -> ActionResult<BTreeMap<TopicPartition, i64>> {
    let committed = GroupAdmin::new(&context.cluster)
        .list_group_offsets(group, None)
        .await
        .map_err(|e| Failure::Command(text::execution_exception(&e)))?;
    Ok(committed
        .into_iter()
        .filter_map(|(tp, o)| o.map(|o| (tp, o.offset)))
        .collect())
}

/// ListOffsets for `partitions` (Apache's `getLogOffsets`): partitions the broker did not
/// answer for are left out; an error fails the command.
async fn log_offsets(
    context: &Context,
    partitions: &[TopicPartition],
    spec: OffsetSpec,
) -> ActionResult<BTreeMap<TopicPartition, i64>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let listed = Admin::new(&context.cluster)
        .list_offsets(partitions, spec)
        .await
        .map_err(|e| Failure::Command(text::execution_exception(&e)))?;
    let mut out = BTreeMap::new();
    for (tp, result) in listed {
        match result {
            Ok(found) => {
                out.insert(tp, found.offset);
            }
            Err(e) => return Err(Failure::Command(text::execution_exception(&e))),
        }
    }
    Ok(out)
}

/// Apache's `checkOffsetsRange`: offsets above the log end or below the log start are moved
/// to it, with a warning each.
async fn clamp(context: &mut Context, requested: Plan) -> ActionResult<Plan> {
    let partitions: Vec<TopicPartition> = requested.iter().map(|(tp, _)| tp.clone()).collect();
    let starts = log_offsets(context, &partitions, OffsetSpec::Earliest).await?;
    let ends = log_offsets(context, &partitions, OffsetSpec::Latest).await?;
    let mut plan = Vec::with_capacity(requested.len());
    for (tp, offset) in requested {
        let name = topic_partition(&tp.0, tp.1);
        let new = match (ends.get(&tp), starts.get(&tp)) {
            (Some(&end), _) if offset > end => {
                context.out.log_warn(
                    &format!("New offset ({offset}) is higher than latest offset for topic partition {name}. Value will be set to {end}."),
                    RESETTER_LOGGER,
                );
                end
            }
            (_, Some(&start)) if offset < start => {
                context.out.log_warn(
                    &format!("New offset ({offset}) is lower than earliest offset for topic partition {name}. Value will be set to {start}."),
                    RESETTER_LOGGER,
                );
                start
            }
            _ => offset,
        };
        plan.push((tp, new));
    }
    Ok(java_order(plan))
}

/// `--to-datetime` / `--by-duration`: the first offset at or after `timestamp`; partitions
/// with none fall back to the log end, with Apache's notice on stdout.
async fn by_timestamp(
    context: &mut Context,
    scope: Vec<TopicPartition>,
    timestamp: i64,
) -> ActionResult<Plan> {
    let listed = Admin::new(&context.cluster)
        .list_offsets(&scope, OffsetSpec::Timestamp(timestamp))
        .await
        .map_err(|e| Failure::Command(text::execution_exception(&e)))?;
    let mut found = Vec::new();
    let mut empty = Vec::new();
    for (tp, result) in listed {
        match result {
            Ok(o) if o.offset != -1 => found.push((tp, o.offset)),
            Ok(_) => empty.push((tp, 0)),
            Err(e) => return Err(Failure::Command(text::execution_exception(&e))),
        }
    }
    let empty: Vec<TopicPartition> = java_order(empty).into_iter().map(|(tp, _)| tp).collect();
    for (topic, partition) in &empty {
        context.out.print(&format!(
            "\nWarn: Partition {partition} from topic {topic} is empty. Falling back to latest known offset.\n"
        ));
    }
    let latest = log_offsets(context, &empty, OffsetSpec::Latest).await?;
    found.extend(latest);
    let mut plan = Vec::new();
    for tp in scope {
        match found.iter().find(|(known, _)| *known == tp) {
            Some((_, offset)) => plan.push((tp, *offset)),
            None => {
                return Err(Failure::Usage(format!(
                    "Error getting offset by timestamp of topic partition: {}",
                    topic_partition(&tp.0, tp.1)
                )))
            }
        }
    }
    Ok(java_order(plan))
}

/// `--from-file`: this group's lines of the CSV plan, clamped.
async fn from_file(context: &mut Context, group: &str, path: &str) -> ActionResult<Plan> {
    let text = std::fs::read(path).map_err(|_| {
        Failure::Command(format!("java.io.IOException: Unable to read file {path}"))
    })?;
    let text = String::from_utf8_lossy(&text);
    let single_group = match context.args.group.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let mut plans = csv::parse_plan(&text, single_group).map_err(Failure::Command)?;
    let Some(requested) = plans.remove(group) else {
        context
            .out
            .print_error(&format!("No reset plan for group {group} found."));
        return Ok(Vec::new());
    };
    clamp(context, java_order(requested)).await
}

/// Commits `plan` for `group` from outside the group; any failure fails the command. Returns
/// false when the user declined at the confirmation (nothing committed).
async fn execute_plan(context: &mut Context, group: &str, plan: &Plan) -> ActionResult<bool> {
    if plan.is_empty() {
        return Ok(true);
    }
    if context.interactive() && !context.args.json() && !confirm(context, group, plan).await? {
        context.out.eprintln("Aborted: no offsets were changed.");
        context.out.failed = true;
        return Ok(false);
    }
    let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = plan
        .iter()
        .map(|(tp, offset)| (tp.clone(), OffsetAndMetadata::new(*offset)))
        .collect();
    let results = GroupAdmin::new(&context.cluster)
        .alter_group_offsets(group, &offsets)
        .await
        .map_err(|e| Failure::Command(text::java_message(&e)))?;
    for (_, result) in results {
        result.map_err(|e| Failure::Command(text::java_message(&e)))?;
    }
    Ok(true)
}

/// kafkit's interactive safety: at a terminal, shows the plan (current, new, change) on
/// stderr and asks before committing. Never reached when stdin is not a terminal.
async fn confirm(context: &mut Context, group: &str, plan: &Plan) -> ActionResult<bool> {
    let committed = committed_offsets(context, group).await?;
    context
        .out
        .eprintln(&confirmation_text(group, plan, &committed));
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "Reset these offsets of group '{group}'? [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// The plan shown before an interactive `--execute`.
fn confirmation_text(
    group: &str,
    plan: &Plan,
    committed: &BTreeMap<TopicPartition, i64>,
) -> String {
    let topic_w = plan
        .iter()
        .map(|((t, _), _)| java_len(t))
        .max()
        .unwrap_or(0)
        .max(MIN_WIDTH);
    let mut out = row(&[
        ("TOPIC", Some(topic_w)),
        ("PARTITION", Some(PARTITION_WIDTH)),
        ("CURRENT-OFFSET", Some(MIN_WIDTH)),
        ("NEW-OFFSET", Some(MIN_WIDTH)),
        ("CHANGE", None),
    ]);
    let mut sorted = plan.clone();
    sorted.sort();
    for (tp, new) in sorted {
        let current = committed.get(&tp);
        let change = current.map_or_else(|| "-".to_string(), |c| format!("{:+}", new - c));
        out.push('\n');
        out.push_str(&row(&[
            (&tp.0, Some(topic_w)),
            (&tp.1.to_string(), Some(PARTITION_WIDTH)),
            (
                &current.map_or_else(|| "-".to_string(), |c| c.to_string()),
                Some(MIN_WIDTH),
            ),
            (&new.to_string(), Some(MIN_WIDTH)),
            (&change, None),
        ]));
    }
    format!("Offsets of group '{group}' after the reset:\n{out}")
}

/// The plan as Apache prints it (table or `--export` CSV), or as JSON.
fn print(context: &mut Context, plans: &Plans, executed: bool) -> ActionResult {
    if context.args.json() {
        let mut all = BTreeMap::new();
        for (group, plan, before) in plans {
            let entries: BTreeMap<TopicPartition, PlannedOffset> = plan
                .iter()
                .map(|(tp, new)| {
                    let current = before.get(tp).copied();
                    (tp.clone(), PlannedOffset { current, new: *new })
                })
                .collect();
            all.insert(group.clone(), entries);
        }
        context.out.print(&json::reset_plan(&all, executed));
        return Ok(());
    }
    if context.args.export {
        let single = context.args.group.len() == 1;
        let mut text = String::new();
        for (group, plan, _) in plans {
            for ((topic, partition), offset) in plan {
                if !single {
                    text.push_str(&csv::field(group));
                    text.push(',');
                }
                text.push_str(&format!("{},{partition},{offset}\n", csv::field(topic)));
            }
        }
        text.push('\n');
        context.out.print(&text);
        return Ok(());
    }
    let group_w = plans
        .iter()
        .map(|(g, _, _)| java_len(g))
        .max()
        .unwrap_or(0)
        .max(MIN_WIDTH);
    let topic_w = plans
        .iter()
        .flat_map(|(_, plan, _)| plan.iter().map(|((t, _), _)| java_len(t)))
        .max()
        .unwrap_or(0)
        .max(MIN_WIDTH);
    let line = |group: &str, topic: &str, partition: &str, offset: &str| {
        format!(
            "\n{}",
            row(&[
                (group, Some(group_w)),
                (topic, Some(topic_w)),
                (partition, Some(PARTITION_WIDTH)),
                (offset, None),
            ])
        )
    };
    let mut out = String::new();
    if !plans.is_empty() {
        out.push_str(&line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    }
    for (group, plan, _) in plans {
        for ((topic, partition), offset) in plan {
            out.push_str(&line(
                group,
                topic,
                &partition.to_string(),
                &offset.to_string(),
            ));
        }
    }
    out.push('\n');
    context.out.print(&out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_args() {
        assert_eq!(
            parse_topic_partitions("t:0,2").ok(),
            Some(vec![("t".to_string(), 0), ("t".to_string(), 2)])
        );
        let message = |arg: &str| match parse_topic_partitions(arg) {
            Err(Failure::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message("t:0:1"),
            "Invalid topic arg 't:0:1', expected topic name and partitions"
        );
        assert_eq!(
            message("t:x"),
            "Invalid partition 'x' specified in topic arg 't:x''"
        );
    }

    #[test]
    fn confirmation_shows_the_change() {
        let plan = vec![(("t".to_string(), 0), 2), (("t".to_string(), 1), 5)];
        let committed = BTreeMap::from([(("t".to_string(), 0), 7)]);
        assert_eq!(
            confirmation_text("g", &plan, &committed),
            "Offsets of group 'g' after the reset:\n\
             TOPIC           PARTITION  CURRENT-OFFSET  NEW-OFFSET      CHANGE\n\
             t               0          7               2               -5\n\
             t               1          -               5               -"
        );
    }
}
