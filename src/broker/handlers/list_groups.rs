//! ListGroups (key 16, v0–5): every group this coordinator runs, filtered by state (v4+,
//! case-insensitive) and type (v5+; all groups here are "classic").

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::group_support::{str_bytes, string};
use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: ListGroupsRequest,
) -> ListGroupsResponse {
    // Filters of versions that lack them decode as empty, which means "all".
    let states: Vec<String> = request.states_filter.iter().map(string).collect();
    let types: Vec<String> = request.types_filter.iter().map(string).collect();
    match broker.groups.list_groups(&states, &types) {
        Ok(groups) => ListGroupsResponse::default().with_groups(
            groups
                .into_iter()
                .map(|g| {
                    ListedGroup::default()
                        .with_group_id(GroupId(str_bytes(g.group_id)))
                        .with_protocol_type(str_bytes(g.protocol_type))
                        .with_group_state(StrBytes::from_static_str(g.state))
                        .with_group_type(StrBytes::from_static_str(g.group_type))
                })
                .collect(),
        ),
        Err(error) => ListGroupsResponse::default().with_error_code(error),
    }
}
