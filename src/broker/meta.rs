//! What identifies and guards a log directory: `meta.properties` (node id, cluster id), the `.lock`
//! file that keeps two brokers out of one directory, and the clean-shutdown marker that lets the
//! next start skip recovery. No format step: the first start writes `meta.properties`.

use std::fs::File;
use std::path::Path;

use super::state::write_atomically;
use crate::protocol::topic::encode_topic_id;
use crate::{Error, Result};

pub const META_PROPERTIES: &str = "meta.properties";
pub const LOCK_FILE: &str = ".lock";
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";

/// The identity stored in `meta.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    pub node_id: i32,
    pub cluster_id: String,
    pub directory_id: String,
}

/// A locked, identified log directory. Dropping it releases the lock.
#[derive(Debug)]
pub struct LogDir {
    pub meta: MetaProperties,
    /// Whether the previous run ended with a clean shutdown (recovery can be skipped).
    pub clean_shutdown: bool,
    _lock: File,
}

impl LogDir {
    /// Creates the directory if needed, takes its lock, reads or writes `meta.properties`, and
    /// consumes the clean-shutdown marker.
    pub fn open(dir: &Path, node_id: i32) -> Result<LogDir> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create log directory {}", dir.display()), e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(format!("cannot open {}", lock_path.display()), e))?;
        lock.try_lock().map_err(|_| {
            Error::Config(format!(
                "Failed to acquire lock on file .lock in {}. A Kafka instance in another process or thread is using this directory.",
                dir.display()
            ))
        })?;
        let meta = read_or_create_meta(dir, node_id)?;
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean_shutdown = marker.exists() || !has_partition_dirs(dir);
        if marker.exists() {
            std::fs::remove_file(&marker)
                .map_err(|e| Error::io(format!("cannot remove {}", marker.display()), e))?;
        }
        Ok(LogDir {
            meta,
            clean_shutdown,
            _lock: lock,
        })
    }

    /// Writes the clean-shutdown marker (after every log was flushed and closed).
    pub fn mark_clean_shutdown(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join(CLEAN_SHUTDOWN_FILE), b"{\"version\":0}\n")
    }
}

fn has_partition_dirs(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().any(|e| e.path().is_dir()))
        .unwrap_or(false)
}

fn read_or_create_meta(dir: &Path, node_id: i32) -> Result<MetaProperties> {
    let path = dir.join(META_PROPERTIES);
    match File::open(&path) {
        Ok(file) => {
            let props = java_properties::read(std::io::BufReader::new(file)).map_err(|e| {
                Error::Corrupt {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
            let field = |key: &str| {
                props.get(key).cloned().ok_or_else(|| Error::Corrupt {
                    path: path.clone(),
                    reason: format!("missing {key}"),
                })
            };
            let stored: i32 = field("node.id")?.parse().map_err(|_| Error::Corrupt {
                path: path.clone(),
                reason: "node.id is not a number".into(),
            })?;
            if stored != node_id {
                return Err(Error::Config(format!(
                    "Stored node id {stored} doesn't match previous node id {node_id} in {}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.",
                    path.display()
                )));
            }
            Ok(MetaProperties {
                node_id,
                cluster_id: field("cluster.id")?,
                directory_id: props.get("directory.id").cloned().unwrap_or_default(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let meta = MetaProperties {
                node_id,
                cluster_id: encode_topic_id(uuid::Uuid::new_v4()),
                directory_id: encode_topic_id(uuid::Uuid::new_v4()),
            };
            let text = format!(
                "#\n#{}\nnode.id={}\ndirectory.id={}\nversion=1\ncluster.id={}\n",
                chrono::Local::now().format("%a %b %d %H:%M:%S %Z %Y"),
                meta.node_id,
                meta.directory_id,
                meta.cluster_id
            );
            write_atomically(&path, text.as_bytes())?;
            Ok(meta)
        }
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_writes_identity_and_second_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = LogDir::open(dir.path(), 7).unwrap();
        assert!(first.clean_shutdown);
        let meta = first.meta.clone();
        assert!(
            LogDir::open(dir.path(), 7).is_err(),
            "second open must fail on the lock"
        );
        first.mark_clean_shutdown(dir.path()).unwrap();
        drop(first);
        let second = LogDir::open(dir.path(), 7).unwrap();
        assert_eq!(second.meta, meta);
        assert!(!dir.path().join(CLEAN_SHUTDOWN_FILE).exists());
        drop(second);
        assert!(LogDir::open(dir.path(), 8).is_err(), "node id mismatch");
    }
}
