//! DescribeGroups (key 15, v0–6): state, protocol and members of each group. An unknown group
//! is "Dead"; from v6 it also carries GROUP_ID_NOT_FOUND and "Group <id> not found.", as
//! Kafka 4 answers.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::group_support::{optional_str_bytes, str_bytes};
use super::RequestContext;
use crate::broker::coordinator::GroupState;
use crate::broker::state::Broker;

/// v6 reports unknown groups as errors, with a message.
const NOT_FOUND_ERROR_MIN_VERSION: i16 = 6;
/// `authorized_operations` exists from v3.
const AUTHORIZED_OPERATIONS_MIN_VERSION: i16 = 3;
/// `authorized_operations` when not requested.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;
/// Without an authorizer everything a group supports is allowed: READ(3), DELETE(6),
/// DESCRIBE(8), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), as a bit field.
const ALL_GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let version = ctx.api_version;
    let operations =
        if version >= AUTHORIZED_OPERATIONS_MIN_VERSION && request.include_authorized_operations {
            ALL_GROUP_OPERATIONS
        } else {
            AUTHORIZED_OPERATIONS_OMITTED
        };
    let groups = request
        .groups
        .into_iter()
        .map(|group_id| {
            let entry = DescribedGroup::default()
                .with_group_id(group_id.clone())
                .with_authorized_operations(operations);
            match broker.groups.describe_group(group_id.as_str()) {
                Err(error) => entry.with_error_code(error),
                Ok(None) if version >= NOT_FOUND_ERROR_MIN_VERSION => entry
                    .with_error_code(ResponseError::GroupIdNotFound.code())
                    .with_error_message(Some(str_bytes(format!(
                        "Group {} not found.",
                        group_id.as_str()
                    ))))
                    .with_group_state(StrBytes::from_static_str(GroupState::Dead.name())),
                Ok(None) => {
                    entry.with_group_state(StrBytes::from_static_str(GroupState::Dead.name()))
                }
                Ok(Some(group)) => entry
                    .with_group_state(StrBytes::from_static_str(group.state))
                    .with_protocol_type(str_bytes(group.protocol_type))
                    .with_protocol_data(str_bytes(group.protocol_data))
                    .with_members(
                        group
                            .members
                            .into_iter()
                            .map(|m| {
                                DescribedGroupMember::default()
                                    .with_member_id(str_bytes(m.member_id))
                                    .with_group_instance_id(optional_str_bytes(m.group_instance_id))
                                    .with_client_id(str_bytes(m.client_id))
                                    .with_client_host(str_bytes(m.client_host))
                                    .with_member_metadata(m.metadata)
                                    .with_member_assignment(m.assignment)
                            })
                            .collect(),
                    ),
            }
        })
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}
