//! Durable group-coordinator state under `log.dirs`: an append-only journal of records plus a
//! snapshot written atomically by compaction. Owns the file formats, loading (a torn or corrupt
//! journal tail is cut off) and appending; never interprets the records.
//!
//! Both files are a header (magic, format version, epoch) followed by frames
//! `[u32 length][u32 CRC-32C of payload][payload = one JSON record]`. Compaction writes a
//! snapshot with the next epoch, then an empty journal with that epoch; a journal whose epoch
//! is older than the snapshot's was already folded into it and is ignored.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::types::CommittedOffset;
use crate::broker::logging;
use crate::broker::state::write_atomically;
use crate::{Error, Result};

/// The journal file under `log.dirs`.
pub const JOURNAL_FILE: &str = "kafkit-groups.journal";
/// The snapshot file under `log.dirs`.
pub const SNAPSHOT_FILE: &str = "kafkit-groups.snapshot";

const MAGIC: &[u8; 8] = b"KKGROUPS";
const FORMAT_VERSION: u32 = 1;
const HEADER_BYTES: usize = 8 + 4 + 8;
const FRAME_HEADER_BYTES: usize = 8;
/// Compaction starts once the journal passes this size...
const COMPACT_MIN_BYTES: u64 = 16 * 1024 * 1024;
/// ...and is this many times larger than the last snapshot.
const COMPACT_RATIO: u64 = 4;

/// One change to the coordinator's durable state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A group's durable metadata (written when it is created and at each generation).
    Group {
        group: String,
        protocol_type: Option<String>,
        generation: i32,
        /// When the group became Empty, if it is.
        empty_since_ms: Option<i64>,
    },
    GroupDeleted {
        group: String,
    },
    /// One OffsetCommit batch.
    Offsets {
        group: String,
        offsets: Vec<OffsetEntry>,
    },
    OffsetsDeleted {
        group: String,
        partitions: Vec<(String, i32)>,
    },
    /// A deleted topic's offsets are dropped from every group.
    TopicDeleted {
        topic: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetEntry {
    pub topic: String,
    pub partition: i32,
    #[serde(flatten)]
    pub committed: CommittedOffset,
}

/// The open journal, positioned for appends.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    file: File,
    epoch: u64,
    len: u64,
    snapshot_len: u64,
}

/// What loading found.
#[derive(Debug)]
pub struct Loaded {
    pub journal: Journal,
    /// Snapshot records, then journal records, in order.
    pub records: Vec<Record>,
    /// Bytes cut off a torn or corrupt journal tail.
    pub truncated_bytes: u64,
}

impl Journal {
    /// Reads the snapshot and journal in `dir` (both may be missing) and opens the journal for
    /// appending. A corrupt snapshot is an error (it is written atomically, so that is not a
    /// crash artefact); a torn journal tail is cut off.
    pub fn load(dir: &Path) -> Result<Loaded> {
        let snapshot_path = dir.join(SNAPSHOT_FILE);
        let (epoch, mut records, snapshot_len) = match read_file(&snapshot_path)? {
            None => (0, Vec::new(), 0),
            Some(bytes) => {
                let corrupt = |reason: String| Error::Corrupt {
                    path: snapshot_path.clone(),
                    reason,
                };
                let epoch = parse_header(&bytes).ok_or_else(|| corrupt("bad header".into()))?;
                let frames = parse_frames(&bytes[HEADER_BYTES..]);
                if frames.valid_len != bytes.len() - HEADER_BYTES {
                    return Err(corrupt(format!(
                        "bad frame at byte {}",
                        HEADER_BYTES + frames.valid_len
                    )));
                }
                let records = decode_all(frames.payloads).map_err(corrupt)?;
                (epoch, records, bytes.len() as u64)
            }
        };
        let journal_path = dir.join(JOURNAL_FILE);
        let mut truncated_bytes = 0;
        let existing = read_file(&journal_path)?.filter(|bytes| !bytes.is_empty());
        let journal_epoch = existing.as_deref().map(parse_header);
        let len = match (existing, journal_epoch) {
            (Some(_), Some(None)) => {
                return Err(Error::Corrupt {
                    path: journal_path,
                    reason: "bad header".into(),
                })
            }
            (Some(_), Some(Some(newer))) if newer > epoch => {
                return Err(Error::Corrupt {
                    path: journal_path,
                    reason: format!("journal epoch {newer} is newer than the snapshot's ({epoch})"),
                })
            }
            (Some(bytes), Some(Some(current))) if current == epoch => {
                let frames = parse_frames(&bytes[HEADER_BYTES..]);
                records.extend(
                    decode_all(frames.payloads).map_err(|reason| Error::Corrupt {
                        path: journal_path.clone(),
                        reason,
                    })?,
                );
                let valid = (HEADER_BYTES + frames.valid_len) as u64;
                truncated_bytes = bytes.len() as u64 - valid;
                if truncated_bytes > 0 {
                    truncate(&journal_path, valid)?;
                }
                valid
            }
            // Missing, or older than the snapshot (already folded into it): start afresh.
            _ => {
                write_atomically(&journal_path, &header(epoch))?;
                HEADER_BYTES as u64
            }
        };
        let file = OpenOptions::new()
            .append(true)
            .open(&journal_path)
            .map_err(|e| Error::io(format!("cannot open {}", journal_path.display()), e))?;
        Ok(Loaded {
            journal: Journal {
                dir: dir.to_path_buf(),
                file,
                epoch,
                len,
                snapshot_len,
            },
            records,
            truncated_bytes,
        })
    }

    /// Appends one record (no fsync: the page cache survives a process crash). A failed write
    /// is rolled back so the journal never holds a torn frame followed by good ones.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        let frame = frame(record)?;
        let path = self.dir.join(JOURNAL_FILE);
        if let Err(e) = self.file.write_all(&frame) {
            let _ = self.file.set_len(self.len);
            return Err(Error::io(format!("cannot append to {}", path.display()), e));
        }
        self.len += frame.len() as u64;
        Ok(())
    }

    /// Whether the journal has grown enough to be folded into a snapshot.
    pub fn wants_compaction(&self) -> bool {
        self.len > COMPACT_MIN_BYTES && self.len > COMPACT_RATIO * self.snapshot_len
    }

    /// Replaces snapshot and journal by a snapshot of `records` (the whole current state) and an
    /// empty journal, each written atomically.
    pub fn compact(&mut self, records: &[Record]) -> Result<()> {
        let epoch = self.epoch + 1;
        let mut snapshot = header(epoch);
        for record in records {
            snapshot.extend_from_slice(&frame(record)?);
        }
        write_atomically(&self.dir.join(SNAPSHOT_FILE), &snapshot)?;
        let journal_path = self.dir.join(JOURNAL_FILE);
        write_atomically(&journal_path, &header(epoch))?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&journal_path)
            .map_err(|e| Error::io(format!("cannot open {}", journal_path.display()), e))?;
        self.epoch = epoch;
        self.len = HEADER_BYTES as u64;
        self.snapshot_len = snapshot.len() as u64;
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

fn truncate(path: &Path, len: u64) -> Result<()> {
    let context = || format!("cannot truncate {}", path.display());
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(context(), e))?;
    file.set_len(len).map_err(|e| Error::io(context(), e))?;
    file.sync_all().map_err(|e| Error::io(context(), e))
}

fn header(epoch: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out
}

/// The epoch of a well-formed header.
fn parse_header(bytes: &[u8]) -> Option<u64> {
    if bytes.len() < HEADER_BYTES || &bytes[..8] != MAGIC {
        return None;
    }
    let version = u32::from_be_bytes(bytes[8..12].try_into().ok()?);
    if version != FORMAT_VERSION {
        return None;
    }
    Some(u64::from_be_bytes(bytes[12..20].try_into().ok()?))
}

fn frame(record: &Record) -> Result<Vec<u8>> {
    let payload = serde_json::to_vec(record)
        .map_err(|e| Error::Protocol(format!("cannot encode a group record: {e}")))?;
    let len = u32::try_from(payload.len())
        .map_err(|_| Error::Protocol("group record too large".into()))?;
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(&payload).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

struct Frames<'a> {
    payloads: Vec<&'a [u8]>,
    /// Bytes covered by complete frames with a good CRC, from the start.
    valid_len: usize,
}

/// Splits frames until the end or the first incomplete or CRC-failing one.
fn parse_frames(bytes: &[u8]) -> Frames<'_> {
    let mut payloads = Vec::new();
    let mut pos = 0;
    while bytes.len() - pos >= FRAME_HEADER_BYTES {
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let len = word(pos) as usize;
        let crc = word(pos + 4);
        let start = pos + FRAME_HEADER_BYTES;
        let Some(payload) = start.checked_add(len).and_then(|end| bytes.get(start..end)) else {
            break;
        };
        if crc32c::crc32c(payload) != crc {
            break;
        }
        payloads.push(payload);
        pos = start + len;
    }
    Frames {
        payloads,
        valid_len: pos,
    }
}

/// Decodes CRC-checked payloads; one that does not decode was written by something else, so it
/// is an error rather than a torn tail.
fn decode_all(payloads: Vec<&[u8]>) -> std::result::Result<Vec<Record>, String> {
    payloads
        .into_iter()
        .map(|p| serde_json::from_slice(p).map_err(|e| format!("undecodable record: {e}")))
        .collect()
}

/// Logs what loading had to repair.
pub fn log_repair(dir: &Path, truncated_bytes: u64) {
    if truncated_bytes > 0 {
        logging::warn(&format!(
            "Cut {truncated_bytes} byte(s) of torn or corrupt data off {}",
            dir.join(JOURNAL_FILE).display()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(group: &str, offset: i64) -> Record {
        Record::Offsets {
            group: group.into(),
            offsets: vec![OffsetEntry {
                topic: "t".into(),
                partition: 0,
                committed: CommittedOffset {
                    offset,
                    leader_epoch: 3,
                    metadata: "m".into(),
                    commit_timestamp_ms: 42,
                    expire_timestamp_ms: None,
                },
            }],
        }
    }

    #[test]
    fn appended_records_come_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Journal::load(dir.path()).unwrap();
        assert!(loaded.records.is_empty());
        loaded.journal.append(&commit("g", 1)).unwrap();
        loaded
            .journal
            .append(&Record::TopicDeleted { topic: "t".into() })
            .unwrap();
        drop(loaded);
        let again = Journal::load(dir.path()).unwrap();
        assert_eq!(
            again.records,
            vec![commit("g", 1), Record::TopicDeleted { topic: "t".into() }]
        );
        assert_eq!(again.truncated_bytes, 0);
    }

    #[test]
    fn a_torn_or_corrupt_tail_is_cut_off_and_appends_continue_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Journal::load(dir.path()).unwrap();
        loaded.journal.append(&commit("g", 1)).unwrap();
        loaded.journal.append(&commit("g", 2)).unwrap();
        drop(loaded);
        let path = dir.path().join(JOURNAL_FILE);
        let full = std::fs::read(&path).unwrap();
        // Torn: the last frame lost its final bytes.
        std::fs::write(&path, &full[..full.len() - 3]).unwrap();
        let mut loaded = Journal::load(dir.path()).unwrap();
        assert_eq!(loaded.records, vec![commit("g", 1)]);
        assert!(loaded.truncated_bytes > 0);
        loaded.journal.append(&commit("g", 3)).unwrap();
        drop(loaded);
        assert_eq!(
            Journal::load(dir.path()).unwrap().records,
            vec![commit("g", 1), commit("g", 3)]
        );
        // Corrupt: a flipped byte fails the CRC; that frame and everything after is dropped.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            Journal::load(dir.path()).unwrap().records,
            vec![commit("g", 1)]
        );
    }

    #[test]
    fn compaction_replaces_the_journal_and_a_stale_journal_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Journal::load(dir.path()).unwrap();
        loaded.journal.append(&commit("g", 1)).unwrap();
        let stale = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();
        loaded.journal.compact(&[commit("g", 1)]).unwrap();
        loaded.journal.append(&commit("g", 2)).unwrap();
        drop(loaded);
        assert_eq!(
            Journal::load(dir.path()).unwrap().records,
            vec![commit("g", 1), commit("g", 2)]
        );
        // A crash between writing the snapshot and the new journal leaves the old journal.
        std::fs::write(dir.path().join(JOURNAL_FILE), stale).unwrap();
        assert_eq!(
            Journal::load(dir.path()).unwrap().records,
            vec![commit("g", 1)]
        );
    }

    #[test]
    fn a_damaged_snapshot_or_journal_header_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Journal::load(dir.path()).unwrap();
        loaded.journal.compact(&[commit("g", 1)]).unwrap();
        drop(loaded);
        let path = dir.path().join(SNAPSHOT_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(Journal::load(dir.path()).is_err());
        std::fs::write(&path, bytes).unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE), b"not a journal").unwrap();
        assert!(Journal::load(dir.path()).is_err());
    }
}
