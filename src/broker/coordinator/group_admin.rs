//! The coordinator's admin operations on whole groups: ListGroups (state and type filters),
//! DescribeGroups and DeleteGroups (only groups without members, with their offsets).

use std::collections::HashSet;

use kafka_protocol::error::ResponseError;

use super::group::{ClassicGroup, CLASSIC_GROUP_TYPE};
use super::journal::Record;
use super::types::*;
use super::{GroupCoordinator, State};
use crate::broker::logging;

fn code(error: ResponseError) -> ErrorCode {
    error.code()
}

impl GroupCoordinator {
    /// ListGroups with Kafka's filters: states case-insensitively, types by name.
    pub fn list_groups(
        &self,
        states_filter: &[String],
        types_filter: &[String],
    ) -> Result<Vec<ListedGroup>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let states: HashSet<String> = states_filter
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        let classic_wanted = types_filter.is_empty()
            || types_filter
                .iter()
                .any(|t| t.to_lowercase() == CLASSIC_GROUP_TYPE);
        if !classic_wanted {
            return Ok(Vec::new());
        }
        Ok(state
            .groups
            .values()
            .map(|e| &e.group)
            .filter(|g| states.is_empty() || states.contains(&g.state().name().to_lowercase()))
            .map(ClassicGroup::listed)
            .collect())
    }

    /// DescribeGroups for one group; `None` if it does not exist.
    pub fn describe_group(&self, group_id: &str) -> Result<Option<DescribedGroup>, ErrorCode> {
        let state = self.lock();
        if !state.active {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        Ok(state.groups.get(group_id).map(|e| e.group.describe()))
    }

    /// DeleteGroups: Empty groups are deleted with their offsets; duplicates are answered once.
    pub fn delete_groups(&self, group_ids: &[String]) -> Vec<(String, ErrorCode)> {
        let mut state = self.lock();
        let mut seen = HashSet::new();
        let mut results = Vec::new();
        for group_id in group_ids {
            if !seen.insert(group_id.as_str()) {
                continue;
            }
            let error = if !state.active {
                code(ResponseError::CoordinatorNotAvailable)
            } else {
                match state.groups.get(group_id) {
                    None => code(ResponseError::GroupIdNotFound),
                    Some(entry) => match entry.group.validate_delete() {
                        Err(error) => error,
                        Ok(()) => self.delete_group(&mut state, group_id),
                    },
                }
            };
            results.push((group_id.clone(), error));
        }
        results
    }

    pub(super) fn delete_group(&self, state: &mut State, group_id: &str) -> ErrorCode {
        let record = Record::GroupDeleted {
            group: group_id.to_string(),
        };
        if let Err(e) = self.write(state, &record) {
            logging::error(&format!("Cannot delete group {group_id}: {e}"));
            return code(ResponseError::NotCoordinator);
        }
        logging::info(&format!(
            "Deleted group {group_id} and its committed offsets"
        ));
        NONE
    }
}
