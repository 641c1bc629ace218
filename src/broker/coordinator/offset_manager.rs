//! The coordinator's committed-offset operations, as Kafka 4.x's OffsetMetadataManager runs
//! them: OffsetCommit (membership checks, simple groups, metadata size), OffsetFetch, OffsetDelete
//! (subscribed topics are protected), dropping a deleted topic's offsets, and offset retention.
//! Every change is journalled before it is applied.

use kafka_protocol::error::ResponseError;

use super::group::{ClassicGroup, GroupState, Now};
use super::journal::{OffsetEntry, Record};
use super::types::*;
use super::{Entry, GroupCoordinator};
use crate::broker::logging;

fn code(error: ResponseError) -> ErrorCode {
    error.code()
}

/// OffsetCommit v9+ answers GROUP_ID_NOT_FOUND for member commits to a missing group; older
/// versions ILLEGAL_GENERATION.
const COMMIT_GROUP_ID_NOT_FOUND_MIN_VERSION: i16 = 9;

impl GroupCoordinator {
    /// OffsetCommit for partitions of existing topics; one error code per offset, in order.
    pub fn commit_offsets(
        &self,
        request: &CommitRequest,
        offsets: Vec<OffsetToCommit>,
    ) -> Vec<ErrorCode> {
        let mut state = self.lock();
        let all = |error: ResponseError| vec![error.code(); offsets.len()];
        if !state.active {
            return all(ResponseError::CoordinatorNotAvailable);
        }
        let now = Now::current();
        let group_id = request.group_id.as_str();
        match state.groups.get_mut(group_id) {
            Some(entry) => {
                let checked = entry.group.validate_offset_commit(
                    &request.member_id,
                    request.group_instance_id.as_deref(),
                    request.generation_id,
                    now,
                );
                if let Err(error) = checked {
                    return vec![error; offsets.len()];
                }
            }
            None if request.generation_id < 0 => {
                // A commit outside group management creates a "simple" group.
                logging::info(&format!(
                    "[GroupId {group_id}] Creating a simple consumer group via manual offset commit."
                ));
                state.groups.insert(
                    group_id.to_string(),
                    Entry {
                        group: ClassicGroup::new(group_id, now.wall_ms),
                        persisted: None,
                    },
                );
            }
            None if request.api_version >= COMMIT_GROUP_ID_NOT_FOUND_MIN_VERSION => {
                return all(ResponseError::GroupIdNotFound);
            }
            None => return all(ResponseError::IllegalGeneration),
        }
        self.after_change(&mut state, group_id);

        let expire_timestamp_ms = (request.retention_time_ms != -1)
            .then(|| now.wall_ms.saturating_add(request.retention_time_ms));
        let mut errors = Vec::with_capacity(offsets.len());
        let mut entries = Vec::new();
        for o in offsets {
            let metadata = o.metadata.unwrap_or_default();
            if metadata.encode_utf16().count() > self.config.offset_metadata_max_bytes {
                errors.push(code(ResponseError::OffsetMetadataTooLarge));
                continue;
            }
            errors.push(NONE);
            entries.push(OffsetEntry {
                topic: o.topic,
                partition: o.partition,
                committed: CommittedOffset {
                    offset: o.offset,
                    leader_epoch: o.leader_epoch,
                    metadata,
                    commit_timestamp_ms: now.wall_ms,
                    expire_timestamp_ms,
                },
            });
        }
        if entries.is_empty() {
            return errors;
        }
        let record = Record::Offsets {
            group: group_id.to_string(),
            offsets: entries,
        };
        if let Err(e) = self.write(&mut state, &record) {
            logging::error(&format!("Cannot store offsets of group {group_id}: {e}"));
            // Storage failed: the client looks for the coordinator again and retries.
            for error in errors.iter_mut().filter(|e| **e == NONE) {
                *error = code(ResponseError::NotCoordinator);
            }
            return errors;
        }
        errors
    }

    /// OffsetFetch for one group: the requested partitions (`None` = every committed one).
    /// Unknown groups and partitions without a commit are not errors.
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        topics: FetchTopics,
    ) -> Result<Vec<FetchedTopic>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let known = state.groups.contains_key(group_id);
        Ok(match topics {
            None => state
                .offsets
                .group(group_id)
                .filter(|_| known)
                .map(|topics| {
                    topics
                        .iter()
                        .map(|(topic, partitions)| {
                            let partitions = partitions
                                .iter()
                                .map(|(p, o)| (*p, Some(o.clone())))
                                .collect();
                            (topic.clone(), partitions)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(topics) => topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let partitions = partitions
                        .into_iter()
                        .map(|p| {
                            let found = state.offsets.get(group_id, &topic, p).filter(|_| known);
                            (p, found.cloned())
                        })
                        .collect();
                    (topic, partitions)
                })
                .collect(),
        })
    }

    /// OffsetDelete for partitions of existing topics: a group-level error, or per topic the
    /// partitions with their errors.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<Vec<TopicErrors>, ErrorCode> {
        let mut state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let group = match state.groups.get(group_id) {
            None => return Err(code(ResponseError::GroupIdNotFound)),
            Some(entry) => &entry.group,
        };
        group.validate_offset_delete()?;
        let mut deleted = Vec::new();
        let mut results = Vec::with_capacity(topics.len());
        for (topic, partitions) in topics {
            let subscribed = group.is_subscribed_to(&topic);
            let errors = partitions
                .into_iter()
                .map(|p| {
                    if subscribed {
                        return (p, code(ResponseError::GroupSubscribedToTopic));
                    }
                    if state.offsets.get(group_id, &topic, p).is_some() {
                        deleted.push((topic.clone(), p));
                    }
                    (p, NONE)
                })
                .collect();
            results.push((topic, errors));
        }
        if !deleted.is_empty() {
            let record = Record::OffsetsDeleted {
                group: group_id.to_string(),
                partitions: deleted,
            };
            if let Err(e) = self.write(&mut state, &record) {
                logging::error(&format!("Cannot delete offsets of group {group_id}: {e}"));
                return Err(code(ResponseError::NotCoordinator));
            }
        }
        Ok(results)
    }

    /// A topic was deleted: its committed offsets go too.
    pub fn on_topic_deleted(&self, topic: &str) {
        let mut state = self.lock();
        if !state.offsets.has_topic(topic) {
            return;
        }
        let record = Record::TopicDeleted {
            topic: topic.to_string(),
        };
        if let Err(e) = self.write(&mut state, &record) {
            // The topic is gone either way; its offsets must not be served any more.
            logging::error(&format!(
                "Cannot record the removal of offsets of deleted topic {topic}: {e}"
            ));
            state.apply(&record);
        }
    }

    /// Offset retention: expired offsets are deleted, then Empty groups left without offsets.
    pub fn expire_offsets(&self, now_ms: i64) {
        let mut state = self.lock();
        if !state.active {
            return;
        }
        let retention_ms = self.config.offsets_retention_ms;
        let mut expired_count = 0;
        let group_ids: Vec<String> = state.groups.keys().cloned().collect();
        for group_id in group_ids {
            let Some(entry) = state.groups.get(&group_id) else {
                continue;
            };
            let (expired, all_expired) = state.offsets.expired(&entry.group, retention_ms, now_ms);
            let deletable = all_expired && entry.group.state() == GroupState::Empty;
            if !expired.is_empty() {
                expired_count += expired.len();
                let record = Record::OffsetsDeleted {
                    group: group_id.clone(),
                    partitions: expired,
                };
                if let Err(e) = self.write(&mut state, &record) {
                    logging::error(&format!("Cannot expire offsets of group {group_id}: {e}"));
                    continue;
                }
            }
            if deletable {
                self.delete_group(&mut state, &group_id);
            }
        }
        if expired_count > 0 {
            logging::info(&format!("Removed {expired_count} expired offset(s)"));
        }
    }
}
