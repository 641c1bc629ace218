//! A view of one Kafka cluster: bootstrap, one connection per broker (reconnected when lost), a
//! metadata cache, and leader / any-broker routing with bounded, backed-off retries. Callers ask
//! for "the leader of t-p" or "the controller"; this module decides which broker that is.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;
use uuid::Uuid;

use super::connection::{Connection, Timeouts};
use super::error::{ClientError, ClientResult};
use super::security::Security;

/// Client settings shared by every tool.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` entries.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`.
    pub client_id: String,
    /// `socket.connection.setup.timeout.ms` and `request.timeout.ms`.
    pub timeouts: Timeouts,
    /// `retry.backoff.ms`: first wait before a retry.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`: the longest wait between retries.
    pub retry_backoff_max: Duration,
    /// `default.api.timeout.ms`: how long an operation may retry in total.
    pub api_timeout: Duration,
    /// `security.protocol`, `sasl.*`, `ssl.*`.
    pub security: Security,
}

impl ClientConfig {
    pub fn new(bootstrap_servers: &str) -> ClientConfig {
        ClientConfig {
            bootstrap_servers: bootstrap_servers
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            client_id: "kafkit".to_string(),
            timeouts: Timeouts::default(),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            api_timeout: Duration::from_secs(60),
            security: Security::plaintext(),
        }
    }
}

/// A broker as listed in Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition as listed in Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub error_code: i16,
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic as listed in Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub topic_id: Uuid,
    pub error_code: i16,
    pub is_internal: bool,
    /// Sorted by partition id.
    pub partitions: Vec<PartitionInfo>,
}

/// A Metadata snapshot.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, TopicInfo>,
}

impl ClusterMetadata {
    /// The snapshot a Metadata response describes (topics without a name are left out).
    pub(crate) fn from_response(response: MetadataResponse) -> ClusterMetadata {
        let brokers = response
            .brokers
            .into_iter()
            .map(|b| {
                let info = BrokerInfo {
                    node_id: b.node_id.0,
                    host: b.host.to_string(),
                    port: b.port,
                    rack: b.rack.map(|r| r.to_string()),
                };
                (info.node_id, info)
            })
            .collect();
        let topics = response
            .topics
            .into_iter()
            .filter_map(|t| {
                let name = t.name?.to_string();
                let mut partitions: Vec<PartitionInfo> = t
                    .partitions
                    .into_iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader: p.leader_id.0,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes.into_iter().map(|b| b.0).collect(),
                        isr: p.isr_nodes.into_iter().map(|b| b.0).collect(),
                        offline_replicas: p.offline_replicas.into_iter().map(|b| b.0).collect(),
                    })
                    .collect();
                partitions.sort_by_key(|p| p.partition);
                Some((
                    name.clone(),
                    TopicInfo {
                        name,
                        topic_id: t.topic_id,
                        error_code: t.error_code,
                        is_internal: t.is_internal,
                        partitions,
                    },
                ))
            })
            .collect();
        ClusterMetadata {
            cluster_id: response.cluster_id.map(|c| c.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            topics,
        }
    }
}

/// Connections and metadata for one cluster.
pub struct Cluster {
    config: ClientConfig,
    /// Connections by broker address (bootstrap entries and brokers from Metadata alike).
    connections: tokio::sync::Mutex<HashMap<String, Arc<Connection>>>,
    metadata: Mutex<Arc<ClusterMetadata>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("bootstrap", &self.config.bootstrap_servers)
            .finish()
    }
}

impl Cluster {
    /// A cluster handle; nothing is connected until the first request.
    pub fn new(config: ClientConfig) -> ClientResult<Cluster> {
        if config.bootstrap_servers.is_empty() {
            return Err(ClientError::Config(
                "No resolvable bootstrap urls given in bootstrap.servers".to_string(),
            ));
        }
        Ok(Cluster {
            config,
            connections: tokio::sync::Mutex::new(HashMap::new()),
            metadata: Mutex::new(Arc::new(ClusterMetadata::default())),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The last metadata fetched.
    pub fn cached_metadata(&self) -> Arc<ClusterMetadata> {
        self.metadata
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A connection to `address`, reusing a live one.
    pub async fn connection_to(&self, address: &str) -> ClientResult<Arc<Connection>> {
        let mut connections = self.connections.lock().await;
        if let Some(existing) = connections.get(address) {
            if !existing.is_closed() {
                return Ok(existing.clone());
            }
        }
        let connection = Arc::new(
            Connection::connect(
                address,
                &self.config.client_id,
                self.config.timeouts,
                &self.config.security,
            )
            .await?,
        );
        connections.insert(address.to_string(), connection.clone());
        Ok(connection)
    }

    /// A connection to broker `node_id` (refreshing metadata if the broker is unknown).
    pub async fn connection_to_node(&self, node_id: i32) -> ClientResult<Arc<Connection>> {
        let mut metadata = self.cached_metadata();
        if !metadata.brokers.contains_key(&node_id) {
            metadata = self.refresh_metadata(Some(&[])).await?;
        }
        let broker = metadata.brokers.get(&node_id).ok_or_else(|| {
            ClientError::Other(format!("broker {node_id} is not in the cluster metadata"))
        })?;
        self.connection_to(&broker.address())
            .await
            .map_err(|e| match e {
                ClientError::Connect { broker, reason } => ClientError::BrokerUnreachable {
                    node_id,
                    broker,
                    reason,
                },
                other => other,
            })
    }

    /// A connection to any reachable broker: known brokers first, then the bootstrap list.
    pub async fn any_connection(&self) -> ClientResult<Arc<Connection>> {
        let metadata = self.cached_metadata();
        let mut candidates: Vec<String> = metadata.brokers.values().map(|b| b.address()).collect();
        candidates.extend(self.config.bootstrap_servers.iter().cloned());
        let mut failures = Vec::new();
        for address in &candidates {
            match self.connection_to(address).await {
                Ok(connection) => return Ok(connection),
                Err(e) => failures.push(e),
            }
        }
        Err(match failures.len() {
            1 => failures.remove(0),
            _ => ClientError::Connect {
                broker: candidates.join(","),
                reason: failures
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        })
    }

    /// Fetches metadata for `topics` (`None` = all topics, `Some(&[])` = brokers only) from any
    /// broker, without creating topics, and caches it.
    pub async fn refresh_metadata(
        &self,
        topics: Option<&[String]>,
    ) -> ClientResult<Arc<ClusterMetadata>> {
        self.refresh_metadata_with(topics, false).await
    }

    /// [`Cluster::refresh_metadata`], letting the broker auto-create the named topics if
    /// `allow_auto_topic_creation` (what producers ask for, as Java's producer does).
    pub async fn refresh_metadata_with(
        &self,
        topics: Option<&[String]>,
        allow_auto_topic_creation: bool,
    ) -> ClientResult<Arc<ClusterMetadata>> {
        let connection = self.any_connection().await?;
        let request = MetadataRequest::default()
            .with_topics(topics.map(|names| {
                names
                    .iter()
                    .map(|n| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(n.clone()))))
                    })
                    .collect()
            }))
            .with_allow_auto_topic_creation(allow_auto_topic_creation);
        let response = connection.send(request).await?;
        let fresh = ClusterMetadata::from_response(response);
        let merged = {
            let mut cached = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
            let mut merged = (**cached).clone();
            merged.cluster_id = fresh.cluster_id;
            merged.controller_id = fresh.controller_id;
            merged.brokers = fresh.brokers;
            if topics.is_none() {
                merged.topics.clear();
            }
            merged.topics.extend(fresh.topics);
            let merged = Arc::new(merged);
            *cached = merged.clone();
            merged
        };
        Ok(merged)
    }

    /// A connection to the controller (where CreateTopics / DeleteTopics / CreatePartitions go).
    pub async fn controller(&self) -> ClientResult<Arc<Connection>> {
        let metadata = self.refresh_metadata(Some(&[])).await?;
        if metadata.brokers.contains_key(&metadata.controller_id) {
            self.connection_to_node(metadata.controller_id).await
        } else {
            self.any_connection().await
        }
    }

    /// A connection to the current leader of `topic`-`partition` (from cached metadata, refreshed
    /// when unknown).
    pub async fn leader_connection(
        &self,
        topic: &str,
        partition: i32,
    ) -> ClientResult<Arc<Connection>> {
        let leader = self.leader(topic, partition).await?;
        self.connection_to_node(leader).await
    }

    /// The leader's node id of `topic`-`partition`.
    pub async fn leader(&self, topic: &str, partition: i32) -> ClientResult<i32> {
        let find = |m: &ClusterMetadata| {
            m.topics
                .get(topic)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == partition))
                .filter(|p| p.leader >= 0 && m.brokers.contains_key(&p.leader))
                .map(|p| p.leader)
        };
        if let Some(leader) = find(&self.cached_metadata()) {
            return Ok(leader);
        }
        let metadata = self.refresh_metadata(Some(&[topic.to_string()])).await?;
        if let Some(leader) = find(&metadata) {
            return Ok(leader);
        }
        let code = metadata
            .topics
            .get(topic)
            .map(|t| {
                if t.error_code != 0 {
                    t.error_code
                } else if t.partitions.iter().any(|p| p.partition == partition) {
                    ResponseError::LeaderNotAvailable.code()
                } else {
                    ResponseError::UnknownTopicOrPartition.code()
                }
            })
            .unwrap_or(ResponseError::UnknownTopicOrPartition.code());
        Err(ClientError::kafka(
            code,
            None,
            format!("topic {topic} partition {partition}"),
        ))
    }

    /// Forgets cached leaders so the next lookup asks the cluster again.
    pub fn invalidate_topic(&self, topic: &str) {
        let mut cached = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
        if cached.topics.contains_key(topic) {
            let mut copy = (**cached).clone();
            copy.topics.remove(topic);
            *cached = Arc::new(copy);
        }
    }

    /// Runs `operation` until it succeeds, fails with a non-retriable error, or the API timeout
    /// passes; waits with exponential backoff between tries.
    pub async fn retry<T, F, Fut>(&self, what: &str, mut operation: F) -> ClientResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ClientResult<T>>,
    {
        let deadline = Instant::now() + self.config.api_timeout;
        let mut backoff = self.config.retry_backoff;
        loop {
            match operation().await {
                Ok(value) => return Ok(value),
                Err(e) if e.is_retriable() && Instant::now() + backoff < deadline => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.config.retry_backoff_max);
                }
                Err(e) if e.is_retriable() => {
                    return Err(ClientError::Other(format!(
                        "{what} did not succeed within {} ms: {e}",
                        self.config.api_timeout.as_millis()
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }
}
