//! How the coordinator's state maps to journal records: replaying records when loading,
//! applying journalled changes at run time, and writing the whole state as a snapshot. Owns the
//! mapping only; the file format is `journal.rs`.

use std::collections::BTreeMap;

use super::group::{ClassicGroup, GroupState};
use super::journal::{OffsetEntry, Record};
use super::offsets::OffsetStore;
use super::{Entry, Persisted, State};
use crate::Result;

impl State {
    /// Applies a journalled change to the in-memory state (group records only matter when
    /// loading; at run time the live group is the source).
    pub(super) fn apply(&mut self, record: &Record) {
        match record {
            Record::Group { .. } => {}
            other => replay_data(&mut self.groups, &mut self.offsets, other),
        }
    }
}

/// Rebuilds state from one record while loading.
pub(super) fn replay(
    groups: &mut BTreeMap<String, Entry>,
    offsets: &mut OffsetStore,
    record: &Record,
    now_ms: i64,
) {
    if let Record::Group {
        group,
        protocol_type,
        generation,
        empty_since_ms,
    } = record
    {
        // Members are not restored: the group waits Empty for them to rejoin.
        let restored = ClassicGroup::restored(
            group,
            protocol_type.clone(),
            *generation,
            empty_since_ms.unwrap_or(now_ms),
        );
        // What the journal says; a group that had members comes back Empty, which the
        // coordinator records once it is open.
        let persisted = Persisted {
            protocol_type: protocol_type.clone(),
            generation: *generation,
            empty: empty_since_ms.is_some(),
        };
        groups.insert(
            group.clone(),
            Entry {
                group: restored,
                persisted: Some(persisted),
            },
        );
        return;
    }
    if let Record::Offsets { group, .. } = record {
        // Offsets without group metadata belong to a simple group.
        groups.entry(group.clone()).or_insert_with(|| Entry {
            group: ClassicGroup::new(group, now_ms),
            persisted: None,
        });
    }
    replay_data(groups, offsets, record);
}

/// The effect of a non-metadata record, shared by loading and run time.
fn replay_data(groups: &mut BTreeMap<String, Entry>, offsets: &mut OffsetStore, record: &Record) {
    match record {
        Record::Group { .. } => {}
        Record::GroupDeleted { group } => {
            groups.remove(group);
            offsets.delete_group(group);
        }
        Record::Offsets {
            group,
            offsets: entries,
        } => {
            for e in entries {
                offsets.commit(group, &e.topic, e.partition, e.committed.clone());
            }
        }
        Record::OffsetsDeleted { group, partitions } => {
            for (topic, partition) in partitions {
                offsets.delete(group, topic, *partition);
            }
        }
        Record::TopicDeleted { topic } => offsets.delete_topic(topic),
    }
}

/// Writes the whole durable state as a snapshot and starts an empty journal.
pub(super) fn compact(state: &mut State) -> Result<()> {
    let mut records = Vec::with_capacity(state.groups.len() * 2);
    for (group_id, entry) in &state.groups {
        let group = &entry.group;
        let empty = group.state() == GroupState::Empty;
        records.push(Record::Group {
            group: group_id.clone(),
            protocol_type: group.protocol_type().map(str::to_string),
            generation: group.generation(),
            empty_since_ms: empty.then(|| group.state_timestamp_ms()),
        });
        if let Some(topics) = state.offsets.group(group_id) {
            let offsets = topics
                .iter()
                .flat_map(|(topic, partitions)| {
                    partitions.iter().map(|(p, o)| OffsetEntry {
                        topic: topic.clone(),
                        partition: *p,
                        committed: o.clone(),
                    })
                })
                .collect();
            records.push(Record::Offsets {
                group: group_id.clone(),
                offsets,
            });
        }
    }
    state.journal.compact(&records)
}
