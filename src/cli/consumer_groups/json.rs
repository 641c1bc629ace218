//! `--output json` (a kafkit extension): one JSON document per run on stdout, with a stable
//! shape scripts and lag exporters can rely on. Fields are only ever added, never renamed;
//! unknown values are `null`. Errors and notices stay Apache's text (stdout / stderr).
//!
//! - `--list`: `{"groups": [{"group_id", "type", "state"}]}` (`type`: `Classic`, `Consumer` or
//!   `Unknown`; `state`: Java's state name or `Unknown`), in listing order.
//! - `--describe` (offsets view): `{"groups": [{"group_id", "state", "coordinator": {"id",
//!   "host", "port"}, "partitions": [{"topic", "partition", "current_offset", "leader_epoch",
//!   "log_end_offset", "lag", "consumer_id", "host", "client_id"}], "lag": {"total",
//!   "unknown_partitions", "topics": [{"topic", "total", "unknown_partitions"}]}}]}`, sorted by
//!   group id; `lag.total` sums the known lags (`null` when none is known).
//! - `--describe --members`: `{"groups": [{"group_id", "state", "members": [{"consumer_id",
//!   "group_instance_id", "host", "client_id", "partitions", "assignment": [{"topic",
//!   "partitions"}], "member_epoch", "target_assignment", "upgraded"}]}]}`.
//! - `--describe --state`: `{"groups": [{"group_id", "coordinator", "assignment_strategy",
//!   "state", "members", "group_epoch", "target_assignment_epoch"}]}`.
//! - `--reset-offsets`: `{"executed": bool, "groups": [{"group_id", "partitions": [{"topic",
//!   "partition", "current_offset", "new_offset"}]}]}`, groups and partitions sorted.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::describe::{totals, Described};
use super::list::listed_type_and_state;
use crate::client::consumer_groups::{ConsumerGroupInfo, ListedGroup};
use crate::client::group::TopicPartition;

fn document(groups: Vec<Value>) -> String {
    format!("{}\n", json!({ "groups": groups }))
}

pub fn list(groups: &[ListedGroup]) -> String {
    document(
        groups
            .iter()
            .map(|g| {
                let (group_type, state) = listed_type_and_state(g);
                json!({ "group_id": g.group_id, "type": group_type, "state": state })
            })
            .collect(),
    )
}

fn coordinator(info: &ConsumerGroupInfo) -> Value {
    let c = &info.coordinator;
    json!({ "id": c.node_id, "host": c.host, "port": c.port })
}

pub fn offsets(described: &[Described]) -> String {
    document(
        described
            .iter()
            .map(|d| {
                let (per_topic, all) = totals(&d.rows);
                let partitions: Vec<Value> = d
                    .rows
                    .iter()
                    .map(|r| {
                        json!({
                            "topic": r.topic,
                            "partition": r.partition,
                            "current_offset": r.offset,
                            "leader_epoch": r.leader_epoch,
                            "log_end_offset": r.log_end_offset,
                            "lag": r.lag,
                            "consumer_id": r.consumer_id,
                            "host": r.host,
                            "client_id": r.client_id,
                        })
                    })
                    .collect();
                let topics: Vec<Value> = per_topic
                    .iter()
                    .map(|(topic, (total, unknown))| {
                        json!({ "topic": topic, "total": total, "unknown_partitions": unknown })
                    })
                    .collect();
                json!({
                    "group_id": d.info.group_id,
                    "state": d.state,
                    "coordinator": coordinator(&d.info),
                    "partitions": partitions,
                    "lag": { "total": all.0, "unknown_partitions": all.1, "topics": topics },
                })
            })
            .collect(),
    )
}

fn assignment(partitions: &[TopicPartition]) -> Value {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in partitions {
        by_topic.entry(t).or_default().push(*p);
    }
    Value::Array(
        by_topic
            .into_iter()
            .map(|(topic, mut ps)| {
                ps.sort_unstable();
                json!({ "topic": topic, "partitions": ps })
            })
            .collect(),
    )
}

pub fn members(described: &[Described]) -> String {
    document(
        described
            .iter()
            .map(|d| {
                let members: Vec<Value> = d
                    .info
                    .members
                    .iter()
                    .map(|m| {
                        json!({
                            "consumer_id": m.member_id,
                            "group_instance_id": m.group_instance_id,
                            "host": m.host,
                            "client_id": m.client_id,
                            "partitions": m.assignment.len(),
                            "assignment": assignment(&m.assignment),
                            "member_epoch": m.member_epoch,
                            "target_assignment": m.target_assignment.as_deref().map(assignment),
                            "upgraded": m.upgraded,
                        })
                    })
                    .collect();
                json!({ "group_id": d.info.group_id, "state": d.state, "members": members })
            })
            .collect(),
    )
}

pub fn states(described: &[Described]) -> String {
    document(
        described
            .iter()
            .map(|d| {
                json!({
                    "group_id": d.info.group_id,
                    "coordinator": coordinator(&d.info),
                    "assignment_strategy": (!d.info.assignor.is_empty()).then_some(&d.info.assignor),
                    "state": d.state,
                    "members": d.info.members.len(),
                    "group_epoch": d.info.group_epoch,
                    "target_assignment_epoch": d.info.target_assignment_epoch,
                })
            })
            .collect(),
    )
}

/// One partition of a reset plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOffset {
    pub current: Option<i64>,
    pub new: i64,
}

pub fn reset_plan(
    plans: &BTreeMap<String, BTreeMap<TopicPartition, PlannedOffset>>,
    executed: bool,
) -> String {
    let groups: Vec<Value> = plans
        .iter()
        .map(|(group, plan)| {
            let partitions: Vec<Value> = plan
                .iter()
                .map(|((topic, partition), o)| {
                    json!({
                        "topic": topic,
                        "partition": partition,
                        "current_offset": o.current,
                        "new_offset": o.new,
                    })
                })
                .collect();
            json!({ "group_id": group, "partitions": partitions })
        })
        .collect();
    format!("{}\n", json!({ "executed": executed, "groups": groups }))
}
