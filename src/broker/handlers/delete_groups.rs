//! DeleteGroups (key 42, v0–2): deletes Empty groups with their committed offsets; groups with
//! members get NON_EMPTY_GROUP, unknown ones GROUP_ID_NOT_FOUND. Duplicates are answered once.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId};

use super::group_support::{str_bytes, string};
use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: DeleteGroupsRequest,
) -> DeleteGroupsResponse {
    let ids: Vec<String> = request.groups_names.iter().map(|g| string(g)).collect();
    let results = broker
        .groups
        .delete_groups(&ids)
        .into_iter()
        .map(|(group_id, error)| {
            DeletableGroupResult::default()
                .with_group_id(GroupId(str_bytes(group_id)))
                .with_error_code(error)
        })
        .collect();
    DeleteGroupsResponse::default().with_results(results)
}
