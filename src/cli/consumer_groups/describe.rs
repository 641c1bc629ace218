//! `--describe` (`--group`s or `--all-groups`, output sorted by group id): the offsets view
//! (default and `--offsets`, `--verbose` adds LEADER-EPOCH), `--members` (`--verbose` adds
//! epochs and assignments) and `--state` (`--verbose` adds epochs), in Apache 4.4's printf
//! layouts with computed widths, the group-state notices on stderr, and `--lag-totals`.

use std::collections::{BTreeMap, BTreeSet};

use super::list::canonical_state;
use super::text::{self, java_len, row};
use super::{json, ActionResult, Context, Failure};
use crate::client::admin::{Admin, OffsetSpec};
use crate::client::consumer_groups::{ConsumerGroupInfo, ConsumerGroups};
use crate::client::group::TopicPartition;
use crate::client::group_admin::GroupAdmin;

/// What Apache prints for a missing value.
pub const MISSING: &str = "-";
/// Minimum widths of the computed columns.
const MIN_WIDTH: usize = 15;
const MIN_INSTANCE_ID_WIDTH: usize = 17;
const MIN_ASSIGNMENT_WIDTH: usize = 20;
const MIN_COORDINATOR_WIDTH: usize = 25;
/// Fixed widths of Apache's formats.
const PARTITION_WIDTH: usize = 10;
const NUMBER_WIDTH: usize = 15;
const STRATEGY_WIDTH: usize = 20;
const TARGET_EPOCH_WIDTH: usize = 25;
/// The TOPIC cell of a group's total in `--lag-totals` (not a valid topic name).
const ALL_TOPICS: &str = "(all)";

/// One row of the offsets view (Java's `PartitionAssignmentState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    pub topic: String,
    pub partition: i32,
    pub offset: Option<i64>,
    pub leader_epoch: Option<i32>,
    pub log_end_offset: Option<i64>,
    pub lag: Option<i64>,
    /// `None` for committed partitions no member owns (printed `-`).
    pub consumer_id: Option<String>,
    pub host: Option<String>,
    pub client_id: Option<String>,
}

/// A described group with what the chosen view needs.
pub struct Described {
    pub info: ConsumerGroupInfo,
    /// Java's `GroupState` name of the group's state.
    pub state: &'static str,
    /// Offsets view only.
    pub rows: Vec<OffsetRow>,
}

pub async fn run(context: &mut Context) -> ActionResult {
    let mut ids = Vec::new();
    for id in context.groups().await? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let infos = describe_all(context, &ids).await?;
    let offsets_view = !context.args.members && context.args.state.is_none();
    let mut described = Vec::new();
    for info in infos.into_values() {
        let rows = if offsets_view {
            offset_rows(context, &info).await?
        } else {
            Vec::new()
        };
        described.push(Described {
            state: canonical_state(&info.state),
            info,
            rows,
        });
    }
    if context.args.json() {
        let text = if context.args.members {
            json::members(&described)
        } else if context.args.state.is_some() {
            json::states(&described)
        } else {
            json::offsets(&described)
        };
        for d in &described {
            notice(context, d)?;
        }
        context.out.print(&text);
        return Ok(());
    }
    for d in &described {
        if context.args.members {
            print_members(context, d)?;
        } else if context.args.state.is_some() {
            print_state(context, d)?;
        } else {
            print_offsets(context, d)?;
        }
    }
    Ok(())
}

/// Describes `ids`; the first failure (in Java's `HashMap` order, as Apache meets them) fails
/// the whole command with the exception Apache names.
pub async fn describe_all(
    context: &Context,
    ids: &[String],
) -> ActionResult<BTreeMap<String, ConsumerGroupInfo>> {
    let results = ConsumerGroups::new(&context.cluster).describe(ids).await?;
    let mut by_id: BTreeMap<String, _> = results.into_iter().collect();
    let mut infos = BTreeMap::new();
    for id in text::string_order(by_id.keys().cloned().collect()) {
        match by_id.remove(&id) {
            Some(Ok(info)) => {
                infos.insert(id, info);
            }
            Some(Err(e)) => return Err(Failure::Command(text::java_exception(&e))),
            None => {}
        }
    }
    Ok(infos)
}

/// The rows of the offsets view: owned partitions member by member (members with the most
/// partitions first), then committed partitions nobody owns; each block sorted by topic and
/// partition. Log-end offsets come from ListOffsets LATEST at the leaders; partitions without
/// a leader show `-`.
async fn offset_rows(context: &Context, info: &ConsumerGroupInfo) -> ActionResult<Vec<OffsetRow>> {
    let committed = GroupAdmin::new(&context.cluster)
        .list_group_offsets(&info.group_id, None)
        .await
        .map_err(|e| Failure::Command(text::java_exception(&e)))?;
    let committed: BTreeMap<TopicPartition, _> = committed
        .into_iter()
        .filter_map(|(tp, o)| o.map(|o| (tp, o)))
        .collect();
    let mut members: Vec<_> = info
        .members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .collect();
    members.sort_by_key(|m| std::cmp::Reverse(m.assignment.len()));
    let mut blocks: Vec<(
        Vec<TopicPartition>,
        Option<&crate::client::consumer_groups::ConsumerMember>,
    )> = Vec::new();
    let mut assigned = BTreeSet::new();
    for m in members {
        let mut partitions = m.assignment.clone();
        partitions.sort();
        partitions.dedup();
        assigned.extend(partitions.iter().cloned());
        blocks.push((partitions, Some(m)));
    }
    let unassigned: Vec<TopicPartition> = committed
        .keys()
        .filter(|tp| !assigned.contains(*tp))
        .cloned()
        .collect();
    if !unassigned.is_empty() {
        blocks.push((unassigned, None));
    }
    let all: Vec<TopicPartition> = blocks
        .iter()
        .flat_map(|(ps, _)| ps.iter().cloned())
        .collect();
    let log_ends = log_end_offsets(context, &all).await?;
    let mut rows = Vec::with_capacity(all.len());
    for (partitions, member) in blocks {
        for tp in partitions {
            let commit = committed.get(&tp);
            let offset = commit.map(|c| c.offset);
            let log_end_offset = log_ends.get(&tp).copied().flatten();
            rows.push(OffsetRow {
                lag: offset
                    .filter(|&o| o != -1)
                    .and_then(|o| log_end_offset.map(|end| end - o)),
                leader_epoch: commit.and_then(|c| c.leader_epoch),
                offset,
                log_end_offset,
                consumer_id: member.map(|m| m.member_id.clone()),
                host: member.map(|m| m.host.clone()),
                client_id: member.map(|m| m.client_id.clone()),
                topic: tp.0,
                partition: tp.1,
            });
        }
    }
    Ok(rows)
}

/// LATEST offsets of `partitions`: `None` for partitions without a leader. A topic that does
/// not exist fails the command, as Apache's leader check does.
pub async fn log_end_offsets(
    context: &Context,
    partitions: &[TopicPartition],
) -> ActionResult<BTreeMap<TopicPartition, Option<i64>>> {
    let leaderless = leaderless_partitions(context, partitions, true).await?;
    let with_leader: Vec<TopicPartition> = partitions
        .iter()
        .filter(|tp| !leaderless.contains(*tp))
        .cloned()
        .collect();
    let mut out: BTreeMap<TopicPartition, Option<i64>> =
        leaderless.into_iter().map(|tp| (tp, None)).collect();
    if with_leader.is_empty() {
        return Ok(out);
    }
    let listed = Admin::new(&context.cluster)
        .list_offsets(&with_leader, OffsetSpec::Latest)
        .await?;
    for tp in with_leader {
        match listed.get(&tp) {
            Some(Ok(found)) => {
                out.insert(tp, Some(found.offset));
            }
            Some(Err(e)) => return Err(Failure::Command(text::execution_exception(e))),
            None => {
                out.insert(tp, None);
            }
        }
    }
    Ok(out)
}

/// The partitions of `partitions` whose topic exists but which have no leader. With
/// `fail_unknown`, a topic that does not exist fails the command (Apache's describeTopics).
pub async fn leaderless_partitions(
    context: &Context,
    partitions: &[TopicPartition],
    fail_unknown: bool,
) -> ActionResult<BTreeSet<TopicPartition>> {
    let topics: Vec<String> = partitions
        .iter()
        .map(|(t, _)| t.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if topics.is_empty() {
        return Ok(BTreeSet::new());
    }
    let cluster = &context.cluster;
    let metadata = cluster
        .retry("describeTopics", || cluster.refresh_metadata(Some(&topics)))
        .await?;
    let mut leaderless = BTreeSet::new();
    for (topic, partition) in partitions {
        match metadata.topics.get(topic) {
            Some(t) if t.error_code == 0 => {
                let has_leader = t
                    .partitions
                    .iter()
                    .any(|p| p.partition == *partition && p.leader >= 0);
                let exists = t.partitions.iter().any(|p| p.partition == *partition);
                if exists && !has_leader {
                    leaderless.insert((topic.clone(), *partition));
                }
            }
            other if fail_unknown => {
                let code = other.map_or(
                    kafka_protocol::error::ResponseError::UnknownTopicOrPartition.code(),
                    |t| t.error_code,
                );
                let error = crate::client::ClientError::kafka(code, None, "");
                return Err(Failure::Command(text::execution_exception(&error)));
            }
            _ => {}
        }
    }
    Ok(leaderless)
}

/// Apache's `shouldPrintMemberState`: the notices and errors a group's state calls for, and
/// whether its table is printed.
fn should_print(
    context: &mut Context,
    group: &str,
    state: &str,
    count: usize,
) -> ActionResult<bool> {
    match state {
        "Dead" => {
            context
                .out
                .print_error(&format!("Consumer group '{group}' does not exist."));
            return Ok(false);
        }
        "Empty" => context.out.eprintln(&format!(
            "\nConsumer group '{group}' has no active members."
        )),
        "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => {
            context.out.eprintln(&format!(
                "\nWarning: Consumer group '{group}' is rebalancing."
            ))
        }
        "Stable" => {}
        other => {
            return Err(Failure::Command(format!(
                "Expected a valid consumer group state, but found '{other}'."
            )))
        }
    }
    Ok(count > 0)
}

/// The stderr notices of a group's state (for JSON output, where no table follows).
fn notice(context: &mut Context, d: &Described) -> ActionResult {
    let count = d.rows.len().max(d.info.members.len());
    should_print(context, &d.info.group_id, d.state, count).map(|_| ())
}

fn print_offsets(context: &mut Context, d: &Described) -> ActionResult {
    if !should_print(context, &d.info.group_id, d.state, d.rows.len())? {
        return Ok(());
    }
    let verbose = context.args.verbose;
    let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| MISSING.to_string());
    let width =
        |f: &dyn Fn(&OffsetRow) -> usize| d.rows.iter().map(f).max().unwrap_or(0).max(MIN_WIDTH);
    let group_w = java_len(&d.info.group_id).max(MIN_WIDTH);
    let topic_w = width(&|r| java_len(&r.topic));
    let consumer_w = width(&|r| java_len(&cell(&r.consumer_id)));
    let host_w = width(&|r| java_len(&cell(&r.host)));
    let line = |cells: [&str; 10]| {
        let [group, topic, partition, epoch, offset, end, lag, consumer, host, client] = cells;
        let mut parts = vec![
            (group, Some(group_w)),
            (topic, Some(topic_w)),
            (partition, Some(PARTITION_WIDTH)),
        ];
        if verbose {
            parts.push((epoch, Some(NUMBER_WIDTH)));
        }
        parts.extend([
            (offset, Some(NUMBER_WIDTH)),
            (end, Some(NUMBER_WIDTH)),
            (lag, Some(NUMBER_WIDTH)),
            (consumer, Some(consumer_w)),
            (host, Some(host_w)),
            (client, None),
        ]);
        format!("\n{}", row(&parts))
    };
    let mut out = line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "LEADER-EPOCH",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]);
    let num = |v: Option<i64>| v.map_or_else(|| MISSING.to_string(), |n| n.to_string());
    for r in &d.rows {
        out.push_str(&line([
            &d.info.group_id,
            &r.topic,
            &r.partition.to_string(),
            &r.leader_epoch
                .map_or_else(|| MISSING.to_string(), |e| e.to_string()),
            &num(r.offset),
            &num(r.log_end_offset),
            &num(r.lag),
            &cell(&r.consumer_id),
            &cell(&r.host),
            &cell(&r.client_id),
        ]));
    }
    out.push('\n');
    if context.args.lag_totals {
        out.push_str(&lag_totals(&d.info.group_id, &d.rows));
    }
    context.out.print(&out);
    Ok(())
}

/// A lag total: the sum of the known lags (`None` when none is known) and how many partitions
/// had no known lag.
pub type LagTotal = (Option<i64>, usize);

/// Lag summed per topic and for the whole group.
pub fn totals(rows: &[OffsetRow]) -> (BTreeMap<&str, LagTotal>, LagTotal) {
    let add = |acc: &mut LagTotal, lag: Option<i64>| match lag {
        Some(l) => acc.0 = Some(acc.0.unwrap_or(0).saturating_add(l)),
        None => acc.1 += 1,
    };
    let mut per_topic: BTreeMap<&str, LagTotal> = BTreeMap::new();
    let mut group = (None, 0);
    for r in rows {
        add(per_topic.entry(r.topic.as_str()).or_default(), r.lag);
        add(&mut group, r.lag);
    }
    (per_topic, group)
}

/// The `--lag-totals` table after a group's offsets table.
fn lag_totals(group: &str, rows: &[OffsetRow]) -> String {
    let (per_topic, all) = totals(rows);
    let group_w = java_len(group).max(MIN_WIDTH);
    let topic_w = per_topic
        .keys()
        .map(|t| java_len(t))
        .chain([java_len(ALL_TOPICS)])
        .max()
        .unwrap_or(0)
        .max(MIN_WIDTH);
    let line = |topic: &str, lag: &str| {
        format!(
            "\n{}",
            row(&[(group, Some(group_w)), (topic, Some(topic_w)), (lag, None)])
        )
    };
    let lag = |l: Option<i64>| l.map_or_else(|| MISSING.to_string(), |n| n.to_string());
    let mut out = format!(
        "\n{}",
        row(&[
            ("GROUP", Some(group_w)),
            ("TOPIC", Some(topic_w)),
            ("TOTAL-LAG", None)
        ])
    );
    for (topic, (sum, _)) in &per_topic {
        out.push_str(&line(topic, &lag(*sum)));
    }
    out.push_str(&line(ALL_TOPICS, &lag(all.0)));
    out.push('\n');
    out
}

/// Apache's assignment string: `topic:p1,p2` per topic (partitions ascending), the per-topic
/// strings sorted and joined with `;`; `-` when empty.
pub fn assignment_string(partitions: &[TopicPartition]) -> String {
    if partitions.is_empty() {
        return MISSING.to_string();
    }
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in partitions {
        by_topic.entry(t).or_default().push(*p);
    }
    let mut parts: Vec<String> = by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort_unstable();
            let list: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
            format!("{t}:{}", list.join(","))
        })
        .collect();
    parts.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    parts.join(";")
}

fn print_members(context: &mut Context, d: &Described) -> ActionResult {
    let members = &d.info.members;
    let verbose = context.args.verbose;
    let printable = should_print(context, &d.info.group_id, d.state, members.len())?;
    let mut group_w = MIN_WIDTH;
    let mut consumer_w = MIN_WIDTH;
    let mut instance_w = MIN_INSTANCE_ID_WIDTH;
    let mut host_w = MIN_WIDTH;
    let mut client_w = MIN_WIDTH;
    let mut current_w = MIN_ASSIGNMENT_WIDTH;
    let mut target_w = MIN_ASSIGNMENT_WIDTH;
    let mut with_instance = false;
    let (mut classic_member, mut consumer_member) = (false, false);
    if printable {
        for m in members {
            group_w = group_w.max(java_len(&d.info.group_id));
            consumer_w = consumer_w.max(java_len(&m.member_id));
            let instance = m.group_instance_id.as_deref().unwrap_or_default();
            instance_w = instance_w.max(java_len(instance));
            host_w = host_w.max(java_len(&m.host));
            client_w = client_w.max(java_len(&m.client_id));
            with_instance |= !instance.is_empty();
            current_w = current_w.max(java_len(&assignment_string(&m.assignment)));
            let target = m.target_assignment.as_deref().unwrap_or_default();
            target_w = target_w.max(java_len(&assignment_string(target)));
            classic_member |= m.upgraded == Some(false);
            consumer_member |= m.upgraded == Some(true);
        }
    }
    let migrating = classic_member && consumer_member;
    let base =
        |group: &str, consumer: &str, instance: &str, host: &str, client: &str, count: &str| {
            let mut cells = vec![(group, Some(group_w)), (consumer, Some(consumer_w))];
            if with_instance {
                cells.push((instance, Some(instance_w)));
            }
            cells.extend([
                (host, Some(host_w)),
                (client, Some(client_w)),
                (count, Some(NUMBER_WIDTH)),
            ]);
            format!("{} ", row(&cells))
        };
    let extra =
        |current_epoch: &str, current: &str, target_epoch: &str, target: &str, upgraded: &str| {
            let mut cells = vec![
                (current_epoch, Some(NUMBER_WIDTH)),
                (current, Some(current_w)),
                (target_epoch, Some(NUMBER_WIDTH)),
                (target, Some(target_w)),
            ];
            if migrating {
                cells.push((upgraded, None));
            }
            row(&cells)
        };
    let mut out = String::from("\n");
    out.push_str(&base(
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    ));
    if verbose {
        out.push_str(&extra(
            "CURRENT-EPOCH",
            "CURRENT-ASSIGNMENT",
            "TARGET-EPOCH",
            "TARGET-ASSIGNMENT",
            "UPGRADED",
        ));
    }
    out.push('\n');
    let epoch = |e: Option<i32>| e.map_or_else(|| MISSING.to_string(), |n| n.to_string());
    for m in members {
        out.push_str(&base(
            &d.info.group_id,
            &m.member_id,
            m.group_instance_id.as_deref().unwrap_or_default(),
            &m.host,
            &m.client_id,
            &m.assignment.len().to_string(),
        ));
        if verbose {
            out.push_str(&extra(
                &epoch(m.member_epoch),
                &assignment_string(&m.assignment),
                &epoch(d.info.target_assignment_epoch),
                &assignment_string(m.target_assignment.as_deref().unwrap_or_default()),
                &m.upgraded
                    .map_or_else(|| MISSING.to_string(), |u| u.to_string()),
            ));
        }
        out.push('\n');
    }
    context.out.print(&out);
    Ok(())
}

/// `host:port  (id)`, as Apache shows a coordinator.
pub fn coordinator_string(info: &ConsumerGroupInfo) -> String {
    let c = &info.coordinator;
    format!("{}:{}  ({})", c.host, c.port, c.node_id)
}

fn print_state(context: &mut Context, d: &Described) -> ActionResult {
    if !should_print(context, &d.info.group_id, d.state, 1)? {
        return Ok(());
    }
    let coordinator = coordinator_string(&d.info);
    let coordinator_w = java_len(&coordinator).max(MIN_COORDINATOR_WIDTH);
    let group_w = java_len(&d.info.group_id).max(MIN_WIDTH);
    let strategy = if d.info.assignor.is_empty() {
        MISSING
    } else {
        d.info.assignor.as_str()
    };
    let verbose = context.args.verbose;
    let line = |cells: [&str; 7]| {
        let [group, coordinator, strategy, state, epoch, target_epoch, members] = cells;
        let mut parts = vec![
            (group, Some(group_w)),
            (coordinator, Some(coordinator_w)),
            (strategy, Some(STRATEGY_WIDTH)),
            (state, Some(STRATEGY_WIDTH)),
        ];
        if verbose {
            parts.push((epoch, Some(NUMBER_WIDTH)));
            parts.push((target_epoch, Some(TARGET_EPOCH_WIDTH)));
        }
        parts.push((members, None));
        format!("\n{}", row(&parts))
    };
    let epoch = |e: Option<i32>| e.map_or_else(|| MISSING.to_string(), |n| n.to_string());
    let mut out = line([
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "GROUP-EPOCH",
        "TARGET-ASSIGNMENT-EPOCH",
        "#MEMBERS",
    ]);
    out.push_str(&line([
        &d.info.group_id,
        &coordinator,
        strategy,
        d.state,
        &epoch(d.info.group_epoch),
        &epoch(d.info.target_assignment_epoch),
        &d.info.members.len().to_string(),
    ]));
    out.push('\n');
    context.out.print(&out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_strings() {
        let tps = |v: &[(&str, i32)]| {
            v.iter()
                .map(|(t, p)| (t.to_string(), *p))
                .collect::<Vec<_>>()
        };
        assert_eq!(assignment_string(&[]), "-");
        assert_eq!(
            assignment_string(&tps(&[("payments", 0), ("orders", 10), ("orders", 2)])),
            "orders:2,10;payments:0"
        );
    }

    #[test]
    fn totals_skip_unknown_lags() {
        let r = |topic: &str, lag: Option<i64>| OffsetRow {
            topic: topic.into(),
            partition: 0,
            offset: None,
            leader_epoch: None,
            log_end_offset: None,
            lag,
            consumer_id: None,
            host: None,
            client_id: None,
        };
        let rows = [r("a", Some(2)), r("a", Some(3)), r("b", None)];
        let (per_topic, all) = totals(&rows);
        assert_eq!(per_topic["a"], (Some(5), 0));
        assert_eq!(per_topic["b"], (None, 1));
        assert_eq!(all, (Some(5), 1));
        assert_eq!(
            lag_totals("g", &rows),
            "\nGROUP           TOPIC           TOTAL-LAG\
             \ng               a               5\
             \ng               b               -\
             \ng               (all)           5\n"
        );
    }
}
