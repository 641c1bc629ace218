//! `--describe`: topics by name (DescribeTopicPartitions, paged) or by id (Metadata, as Java's
//! admin client does), their non-default configs, live brokers for the `Leader: none` and
//! unavailable checks, the four partition filters, and Apache's tab layout in the order of
//! the Java `HashMap` its admin client returns.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::actions::{ensure_topic_exists, topics_matching};
use super::{CommandError, TopicsArgs, Values};
use crate::cli::java_order;
use crate::client::admin::{
    Admin, ConfigEntry, PartitionDescription, TopicDescription, DEFAULT_PARTITION_PAGE,
    RESOURCE_TOPIC, SOURCE_DEFAULT,
};
use crate::client::Cluster;
use crate::protocol::topic as topic_rules;

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

/// Apache's `describeTopic`.
pub(super) async fn describe(
    cluster: &Cluster,
    args: &TopicsArgs,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let admin = Admin::new(cluster);
    let topic_id = Values::single(&args.topic_id, "topic-id")?
        .map(topic_rules::decode_topic_id)
        .transpose()
        .map_err(CommandError)?
        // The all-zero id means "not given".
        .filter(|id| !id.is_nil());
    let topics: Vec<TopicDescription> = match topic_id {
        Some(id) => {
            let listed = topics_matching(cluster, None, args.exclude_internal).await?;
            if !listed.iter().any(|t| t.topic_id == id) {
                if args.if_exists {
                    return Ok(());
                }
                return Err(CommandError(format!(
                    "TopicId '{}' does not exist as expected",
                    topic_rules::encode_topic_id(id)
                )));
            }
            let mut described = Vec::new();
            for d in admin.describe_topics_by_id(&[id]).await? {
                described.push(d?);
            }
            described
        }
        None => {
            let topic = Values::single(&args.topic, "topic")?;
            let listed = topics_matching(cluster, topic, args.exclude_internal).await?;
            ensure_topic_exists(&listed, topic, args.if_exists)?;
            if listed.is_empty() {
                return Ok(());
            }
            let names: Vec<String> = listed.into_iter().map(|t| t.name).collect();
            let page = Values::integer(
                &args.partition_size_limit_per_response,
                "partition-size-limit-per-response",
            )?
            .unwrap_or(DEFAULT_PARTITION_PAGE);
            let mut described = Vec::new();
            for d in admin.describe_topics(&names, page).await? {
                described.push(d?);
            }
            described
        }
    };
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
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
    let order = java_order::admin_topic_order(names);
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

    fn partition_shown(&self, p: &PartitionDescription) -> bool {
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
