//! The broker's shared state: the topic registry (persisted atomically under `log.dirs`), the
//! partitions with their logs, the producer-id allocator, the append notifier that wakes
//! long-polling fetches, and the group coordinator.
//!
//! Locks here are std locks held only for in-memory work or a short synchronous file operation,
//! never across an `.await`. Each partition has its own lock, so unrelated partitions never wait
//! for each other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use super::config::BrokerConfig;
use super::coordinator::GroupCoordinator;
use super::log::{LogConfig, LogLocation, PartitionLog, RecoveryReport};
use super::logging;
use super::security::{self, scram_store::ScramStore};
use super::topic_config;
use crate::protocol::topic as topic_rules;
use crate::{Error, Result};

/// File under `log.dirs` holding the topic registry and the producer-id high-water mark.
pub const METADATA_FILE: &str = "kafkit-metadata.json";
/// Below this many partitions per thread, loading them in parallel costs more than it saves.
const MIN_PARTITIONS_PER_LOADER: usize = 64;
/// How many producer ids are reserved (and persisted) at a time, as Kafka's controller does.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

/// One partition: its index and its log behind a lock of its own.
#[derive(Debug)]
pub struct Partition {
    pub topic: String,
    pub index: i32,
    log: Mutex<PartitionLog>,
}

impl Partition {
    /// Locks this partition's log. Never hold the guard across an `.await`.
    pub fn log(&self) -> MutexGuard<'_, PartitionLog> {
        // A panic while holding the lock leaves the log as it was on disk; keep serving.
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A topic as registered: immutable once published; changes publish a new `Topic`.
#[derive(Debug)]
pub struct Topic {
    pub name: String,
    pub id: Uuid,
    pub replication_factor: i16,
    /// Non-default configs given at creation or altered since.
    pub configs: BTreeMap<String, String>,
    pub partitions: Vec<Arc<Partition>>,
}

impl Topic {
    pub fn is_internal(&self) -> bool {
        topic_rules::is_internal(&self.name)
    }

    pub fn partition(&self, index: i32) -> Option<&Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }
}

#[derive(Debug, Serialize, Deserialize, Clone)]
struct TopicRecord {
    name: String,
    topic_id: Uuid,
    partitions: i32,
    replication_factor: i16,
    configs: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, Default)]
struct MetadataFile {
    topics: Vec<TopicRecord>,
    /// Every producer id below this may have been handed out already.
    producer_id_block_end: i64,
}

/// Why a topic operation was refused: a Kafka error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicError {
    pub code: i16,
    pub message: Option<String>,
}

impl TopicError {
    pub fn new(code: i16, message: impl Into<String>) -> Self {
        TopicError {
            code,
            message: Some(message.into()),
        }
    }
}

/// The whole broker's state, shared by every connection.
#[derive(Debug)]
pub struct Broker {
    pub config: BrokerConfig,
    pub cluster_id: String,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Serialises topic creation/deletion/alteration and metadata-file writes.
    admin: Mutex<()>,
    producer_ids: Mutex<ProducerIdAllocator>,
    appends: watch::Sender<u64>,
    /// Consumer groups and committed offsets.
    pub groups: Arc<GroupCoordinator>,
    /// SCRAM credentials for SASL/SCRAM listeners.
    pub scram: Arc<ScramStore>,
}

#[derive(Debug)]
struct ProducerIdAllocator {
    next: i64,
    block_end: i64,
}

impl Broker {
    /// Opens the broker's state in `config.log_dir`: reads the registry, opens (and, after an
    /// unclean shutdown, recovers) every partition log, and removes directories of deleted topics.
    pub fn open(config: BrokerConfig, cluster_id: String, clean_shutdown: bool) -> Result<Self> {
        let metadata = read_metadata(&config.log_dir)?;
        let log_configs = metadata
            .topics
            .iter()
            .map(|record| {
                topic_config::log_config(&config, &record.configs)
                    .map_err(|e| Error::Config(format!("topic {}: {e}", record.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut opened = open_partitions(
            &config.log_dir,
            &metadata.topics,
            &log_configs,
            clean_shutdown,
        )?
        .into_iter();
        let mut topics = BTreeMap::new();
        for record in &metadata.topics {
            let partitions = opened
                .by_ref()
                .take(usize::try_from(record.partitions).unwrap_or(0))
                .map(Arc::new)
                .collect();
            topics.insert(
                record.name.clone(),
                Arc::new(Topic {
                    name: record.name.clone(),
                    id: record.topic_id,
                    replication_factor: record.replication_factor,
                    configs: record.configs.clone(),
                    partitions,
                }),
            );
        }
        remove_orphan_partition_dirs(&config.log_dir, &topics);
        let block_end = metadata.producer_id_block_end;
        let groups = Arc::new(GroupCoordinator::open(&config)?);
        let scram = Arc::new(ScramStore::open(
            &config.log_dir,
            &security::scram_seeds(&config)?,
        )?);
        let broker = Broker {
            config,
            cluster_id,
            topics: RwLock::new(topics),
            admin: Mutex::new(()),
            producer_ids: Mutex::new(ProducerIdAllocator {
                next: block_end,
                block_end,
            }),
            appends: watch::channel(0).0,
            groups,
            scram,
        };
        Ok(broker)
    }

    /// The topic called `name`, if it exists.
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.read_topics().get(name).cloned()
    }

    /// The topic with id `id`, if it exists.
    pub fn topic_by_id(&self, id: Uuid) -> Option<Arc<Topic>> {
        self.read_topics().values().find(|t| t.id == id).cloned()
    }

    /// All topics, sorted by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.read_topics().values().cloned().collect()
    }

    fn read_topics(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Topic>>> {
        self.topics.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_topics(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Topic>>> {
        self.topics.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_admin(&self) -> MutexGuard<'_, ()> {
        self.admin.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a new topic name against Kafka's rules and the existing topics, in Kafka's order:
    /// invalid name, collision, already exists.
    pub fn check_new_topic_name(&self, name: &str) -> Result<(), TopicError> {
        use kafka_protocol::error::ResponseError;
        topic_rules::validate(name)
            .map_err(|m| TopicError::new(ResponseError::InvalidTopicException.code(), m))?;
        let topics = self.read_topics();
        if topics.contains_key(name) {
            return Err(TopicError::new(
                ResponseError::TopicAlreadyExists.code(),
                format!("Topic '{name}' already exists."),
            ));
        }
        let unified = topic_rules::unify_collision_chars(name);
        if let Some(existing) = topics
            .keys()
            .find(|t| topic_rules::unify_collision_chars(t) == unified)
        {
            return Err(TopicError::new(
                ResponseError::InvalidTopicException.code(),
                format!("Topic '{name}' collides with existing topic: {existing}"),
            ));
        }
        Ok(())
    }

    /// Creates a topic (name already validated by the caller, or validated here again under the
    /// admin lock), persists the registry, then creates the partition logs.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
    ) -> Result<Arc<Topic>, TopicError> {
        use kafka_protocol::error::ResponseError;
        let _admin = self.lock_admin();
        self.check_new_topic_name(name)?;
        let log_config = topic_config::log_config(&self.config, &configs)
            .map_err(|e| TopicError::new(ResponseError::InvalidConfig.code(), e.0))?;
        let id = Uuid::new_v4();
        let record = TopicRecord {
            name: name.to_string(),
            topic_id: id,
            partitions,
            replication_factor,
            configs: configs.clone(),
        };
        let mut snapshot = self.metadata_snapshot();
        snapshot.topics.push(record);
        self.persist(&snapshot).map_err(storage_error)?;
        let parts = (0..partitions)
            .map(|i| {
                open_partition(&self.config.log_dir, name, i, &log_config, true)
                    .map(|(p, _)| Arc::new(p))
            })
            .collect::<Result<Vec<_>>>()
            .map_err(storage_error)?;
        let topic = Arc::new(Topic {
            name: name.to_string(),
            id,
            replication_factor,
            configs,
            partitions: parts,
        });
        self.write_topics().insert(name.to_string(), topic.clone());
        logging::info(&format!(
            "Created topic {name} with topic id {} and {partitions} partition(s)",
            crate::protocol::topic::encode_topic_id(id)
        ));
        Ok(topic)
    }

    /// Deletes a topic: unregisters and persists first, then removes its logs.
    pub fn delete_topic(&self, name: &str) -> Result<(), TopicError> {
        let _admin = self.lock_admin();
        let topic = self.write_topics().remove(name).ok_or_else(|| TopicError {
            code: kafka_protocol::error::ResponseError::UnknownTopicOrPartition.code(),
            message: None,
        })?;
        let snapshot = self.metadata_snapshot();
        self.persist(&snapshot).map_err(storage_error)?;
        self.groups.on_topic_deleted(name);
        for partition in &topic.partitions {
            let dir = partition_dir(&self.config.log_dir, name, partition.index);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    logging::warn(&format!("Could not remove {}: {e}", dir.display()));
                }
            }
        }
        logging::info(&format!("Deleted topic {name}"));
        Ok(())
    }

    /// Grows a topic to `count` partitions.
    pub fn add_partitions(&self, name: &str, count: i32) -> Result<(), TopicError> {
        use kafka_protocol::error::ResponseError;
        let _admin = self.lock_admin();
        let topic = self.topic(name).ok_or(TopicError {
            code: ResponseError::UnknownTopicOrPartition.code(),
            message: None,
        })?;
        let current = topic.partitions.len() as i32;
        if count <= current {
            return Err(partition_count_error(name, current, count));
        }
        let log_config = topic_config::log_config(&self.config, &topic.configs)
            .map_err(|e| TopicError::new(ResponseError::InvalidConfig.code(), e.0))?;
        let mut partitions = topic.partitions.clone();
        for i in current..count {
            let (p, _) = open_partition(&self.config.log_dir, name, i, &log_config, true)
                .map_err(storage_error)?;
            partitions.push(Arc::new(p));
        }
        self.publish(Topic {
            name: topic.name.clone(),
            id: topic.id,
            replication_factor: topic.replication_factor,
            configs: topic.configs.clone(),
            partitions,
        })
    }

    /// Replaces a topic's config overrides and applies them to its logs.
    pub fn set_topic_configs(
        &self,
        name: &str,
        configs: BTreeMap<String, String>,
    ) -> Result<(), TopicError> {
        use kafka_protocol::error::ResponseError;
        let _admin = self.lock_admin();
        let topic = self.topic(name).ok_or(TopicError {
            code: ResponseError::UnknownTopicOrPartition.code(),
            message: None,
        })?;
        self.apply_topic_configs(&topic, configs)
    }

    /// Alters a topic's config overrides to what `change` computes from the current ones (empty
    /// for a missing topic, so that validation errors come before "unknown topic", as in Kafka),
    /// all under the admin lock so that concurrent alterations never lose an update. With
    /// `validate_only` nothing is applied.
    pub fn alter_topic_configs<F>(
        &self,
        name: &str,
        validate_only: bool,
        change: F,
    ) -> Result<(), TopicError>
    where
        F: FnOnce(&BTreeMap<String, String>) -> Result<BTreeMap<String, String>, TopicError>,
    {
        use kafka_protocol::error::ResponseError;
        let _admin = self.lock_admin();
        let topic = self.topic(name);
        let none = BTreeMap::new();
        let configs = change(topic.as_ref().map_or(&none, |t| &t.configs))?;
        let topic = topic.ok_or(TopicError {
            code: ResponseError::UnknownTopicOrPartition.code(),
            message: None,
        })?;
        if validate_only {
            return Ok(());
        }
        self.apply_topic_configs(&topic, configs)
    }

    /// Applies new config overrides to a topic's logs and publishes it (admin lock held).
    fn apply_topic_configs(
        &self,
        topic: &Topic,
        configs: BTreeMap<String, String>,
    ) -> Result<(), TopicError> {
        use kafka_protocol::error::ResponseError;
        let log_config = topic_config::log_config(&self.config, &configs)
            .map_err(|e| TopicError::new(ResponseError::InvalidConfig.code(), e.0))?;
        for partition in &topic.partitions {
            partition.log().set_config(log_config.clone());
        }
        self.publish(Topic {
            name: topic.name.clone(),
            id: topic.id,
            replication_factor: topic.replication_factor,
            configs,
            partitions: topic.partitions.clone(),
        })
    }

    /// Swaps in a changed topic and persists the registry (admin lock held by the caller).
    fn publish(&self, topic: Topic) -> Result<(), TopicError> {
        let name = topic.name.clone();
        let previous = self.write_topics().insert(name.clone(), Arc::new(topic));
        if let Err(e) = self.persist(&self.metadata_snapshot()) {
            if let Some(previous) = previous {
                self.write_topics().insert(name, previous);
            }
            return Err(storage_error(e));
        }
        Ok(())
    }

    /// Hands out a fresh producer id, persisting a new block reservation when one runs out, so an
    /// id is never reused across restarts.
    pub fn allocate_producer_id(&self) -> Result<i64> {
        let _admin = self.lock_admin();
        let mut ids = self.producer_ids.lock().unwrap_or_else(|p| p.into_inner());
        if ids.next >= ids.block_end {
            let new_end = ids.block_end + PRODUCER_ID_BLOCK_SIZE;
            let snapshot = self.metadata_with_block_end(new_end);
            self.persist(&snapshot)?;
            ids.block_end = new_end;
        }
        let id = ids.next;
        ids.next += 1;
        Ok(id)
    }

    fn metadata_snapshot(&self) -> MetadataFile {
        let block_end = self
            .producer_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .block_end;
        self.metadata_with_block_end(block_end)
    }

    /// The registry as persisted, with `producer_id_block_end` given by the caller (which may
    /// hold the allocator's lock).
    fn metadata_with_block_end(&self, producer_id_block_end: i64) -> MetadataFile {
        let topics = self
            .read_topics()
            .values()
            .map(|t| TopicRecord {
                name: t.name.clone(),
                topic_id: t.id,
                partitions: t.partitions.len() as i32,
                replication_factor: t.replication_factor,
                configs: t.configs.clone(),
            })
            .collect();
        MetadataFile {
            topics,
            producer_id_block_end,
        }
    }

    fn persist(&self, metadata: &MetadataFile) -> Result<()> {
        let json = serde_json::to_vec_pretty(metadata)
            .map_err(|e| Error::Protocol(format!("cannot encode metadata: {e}")))?;
        write_atomically(&self.config.log_dir.join(METADATA_FILE), &json)
    }

    /// A receiver that changes whenever any partition is appended to.
    pub fn subscribe_appends(&self) -> watch::Receiver<u64> {
        self.appends.subscribe()
    }

    /// Wakes parked fetches after an append.
    pub fn notify_append(&self) {
        self.appends.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Runs retention on every partition log.
    pub fn enforce_retention(&self, now_ms: i64) {
        for topic in self.topics() {
            for partition in &topic.partitions {
                let result = partition.log().enforce_retention(now_ms);
                match result {
                    Ok(report) if report.segments_deleted > 0 => logging::info(&format!(
                        "Deleted {} segment(s) ({} bytes) of {}-{} by retention",
                        report.segments_deleted, report.bytes_deleted, topic.name, partition.index
                    )),
                    Ok(_) => {}
                    Err(e) => logging::warn(&format!(
                        "Retention failed for {}-{}: {e}",
                        topic.name, partition.index
                    )),
                }
            }
        }
    }

    /// Flushes every log (used at shutdown).
    pub fn flush_all(&self) -> Result<()> {
        for topic in self.topics() {
            for partition in &topic.partitions {
                partition.log().flush()?;
            }
        }
        Ok(())
    }
}

/// Kafka's INVALID_PARTITIONS error for a partition count that is not an increase.
pub fn partition_count_error(name: &str, current: i32, count: i32) -> TopicError {
    let code = kafka_protocol::error::ResponseError::InvalidPartitions.code();
    if count == current {
        TopicError::new(code, format!("Topic already has {current} partition(s)."))
    } else {
        TopicError::new(
            code,
            format!(
                "The topic {name} currently has {current} partition(s); {count} would not be an increase."
            ),
        )
    }
}

fn storage_error(e: Error) -> TopicError {
    logging::error(&format!("Storage failure: {e}"));
    TopicError::new(
        kafka_protocol::error::ResponseError::KafkaStorageError.code(),
        e.to_string(),
    )
}

fn log_recovery(topic: &str, index: i32, report: &RecoveryReport) {
    if report.truncated_bytes > 0 || report.indexes_rebuilt > 0 {
        logging::warn(&format!(
            "Recovered {topic}-{index}: scanned {} segment(s), truncated {} byte(s) of torn or corrupt data, rebuilt {} index(es)",
            report.segments_scanned, report.truncated_bytes, report.indexes_rebuilt
        ));
    }
}

/// `<log_dir>/<topic>-<partition>`.
pub fn partition_dir(log_dir: &Path, topic: &str, index: i32) -> PathBuf {
    log_dir.join(format!("{topic}-{index}"))
}

/// Opens every partition of `records` (in registry order, each topic's partitions in index
/// order) on up to [`available_parallelism`](std::thread::available_parallelism) threads: a
/// start-up with thousands of partitions is thousands of small directory reads and file opens,
/// which the cores can overlap. The first failure (in that order) is the result.
fn open_partitions(
    log_dir: &Path,
    records: &[TopicRecord],
    log_configs: &[LogConfig],
    clean_shutdown: bool,
) -> Result<Vec<Partition>> {
    let jobs: Vec<(&TopicRecord, &LogConfig, i32)> = records
        .iter()
        .zip(log_configs)
        .flat_map(|(record, config)| (0..record.partitions).map(move |i| (record, config, i)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().div_ceil(MIN_PARTITIONS_PER_LOADER).max(1));
    let open = |&(record, config, index): &(&TopicRecord, &LogConfig, i32)| {
        let (partition, report) =
            open_partition(log_dir, &record.name, index, config, clean_shutdown)?;
        log_recovery(&record.name, index, &report);
        Ok(partition)
    };
    if threads <= 1 {
        return jobs.iter().map(open).collect();
    }
    // Interleaved shares, so a few large topics do not all land on one thread.
    let shares: Vec<Vec<Result<Partition>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let jobs = &jobs;
                let open = &open;
                scope.spawn(move || jobs.iter().skip(t).step_by(threads).map(open).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(Error::Config(
                        "a partition loader panicked".to_string(),
                    ))]
                })
            })
            .collect()
    });
    let mut shares: Vec<_> = shares.into_iter().map(Vec::into_iter).collect();
    let mut partitions = Vec::with_capacity(jobs.len());
    for i in 0..jobs.len() {
        let next = shares[i % threads].next();
        partitions.push(next.unwrap_or_else(|| {
            Err(Error::Config(
                "a partition loader stopped early".to_string(),
            ))
        })?);
    }
    Ok(partitions)
}

fn open_partition(
    log_dir: &Path,
    topic: &str,
    index: i32,
    config: &LogConfig,
    clean_shutdown: bool,
) -> Result<(Partition, RecoveryReport)> {
    let location = LogLocation {
        dir: partition_dir(log_dir, topic, index),
        name: format!("{topic}-{index}"),
    };
    let (log, report) = PartitionLog::open(location, config.clone(), clean_shutdown)?;
    Ok((
        Partition {
            topic: topic.to_string(),
            index,
            log: Mutex::new(log),
        },
        report,
    ))
}

fn read_metadata(log_dir: &Path) -> Result<MetadataFile> {
    let path = log_dir.join(METADATA_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
            path,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MetadataFile::default()),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

/// Removes `<topic>-<n>` directories that belong to no registered topic (left by a crash between
/// unregistering a topic and deleting its files).
fn remove_orphan_partition_dirs(log_dir: &Path, topics: &BTreeMap<String, Arc<Topic>>) {
    let Ok(entries) = std::fs::read_dir(log_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Some((topic, index)) = name.rsplit_once('-') else {
            continue;
        };
        let Ok(index) = index.parse::<i32>() else {
            continue;
        };
        // The entry's own type (from the directory listing): no stat per partition directory.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || topic_rules::validate(topic).is_err() {
            continue;
        }
        let known = topics
            .get(topic)
            .is_some_and(|t| (index as usize) < t.partitions.len());
        if !known {
            logging::warn(&format!("Removing orphaned partition directory {name}"));
            if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                logging::warn(&format!("Could not remove {name}: {e}"));
            }
        }
    }
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let context = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(context(), e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(context(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(context(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(context(), e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enough partitions for the parallel loader (more than one share per thread): the reopened
    /// broker has every topic, each partition under its own topic, at its own index, in order.
    #[test]
    fn reopening_many_partitions_keeps_each_in_its_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = [("a", 3), ("b", 200), ("c", 1)];
        let broker =
            Broker::open(BrokerConfig::with_log_dir(dir.path()), "c".into(), false).expect("open");
        for (name, partitions) in layout {
            broker
                .create_topic(name, partitions, 1, BTreeMap::new())
                .expect("create");
        }
        drop(broker);
        for clean_shutdown in [true, false] {
            let reopened = Broker::open(
                BrokerConfig::with_log_dir(dir.path()),
                "c".into(),
                clean_shutdown,
            )
            .expect("reopen");
            let shape: Vec<(String, Vec<(String, i32)>)> = reopened
                .topics()
                .iter()
                .map(|t| {
                    let parts = t.partitions.iter().map(|p| (p.topic.clone(), p.index));
                    (t.name.clone(), parts.collect())
                })
                .collect();
            let expected: Vec<(String, Vec<(String, i32)>)> = layout
                .iter()
                .map(|&(name, n)| {
                    (
                        name.to_string(),
                        (0..n).map(|i| (name.to_string(), i)).collect(),
                    )
                })
                .collect();
            assert_eq!(shape, expected);
        }
    }
}
