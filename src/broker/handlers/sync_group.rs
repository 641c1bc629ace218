//! SyncGroup (key 14, v0–5): the leader hands in the assignment, every member waits for its
//! share (without holding any lock). v5+ requests must name protocol type and name.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};

use super::group_support::{optional, optional_str_bytes, string};
use super::RequestContext;
use crate::broker::coordinator::types::{SyncRequest, SyncResult};
use crate::broker::state::Broker;

/// v5 added protocol type and name, which become mandatory.
const PROTOCOL_FIELDS_MIN_VERSION: i16 = 5;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: SyncGroupRequest,
) -> SyncGroupResponse {
    let result = if ctx.api_version >= PROTOCOL_FIELDS_MIN_VERSION
        && (request.protocol_type.is_none() || request.protocol_name.is_none())
    {
        SyncResult::error(ResponseError::InconsistentGroupProtocol.code())
    } else if request.group_id.is_empty() {
        SyncResult::error(ResponseError::InvalidGroupId.code())
    } else {
        let sync = SyncRequest {
            group_id: string(&request.group_id),
            generation_id: request.generation_id,
            member_id: string(&request.member_id),
            group_instance_id: optional(&request.group_instance_id),
            protocol_type: optional(&request.protocol_type),
            protocol_name: optional(&request.protocol_name),
            assignments: request
                .assignments
                .iter()
                .map(|a| (string(&a.member_id), a.assignment.clone()))
                .collect(),
        };
        // A dropped answer means the member was removed while it waited.
        broker
            .groups
            .sync_group(sync)
            .await
            .unwrap_or_else(|_| SyncResult::error(ResponseError::UnknownMemberId.code()))
    };
    SyncGroupResponse::default()
        .with_error_code(result.error)
        .with_protocol_type(optional_str_bytes(result.protocol_type))
        .with_protocol_name(optional_str_bytes(result.protocol_name))
        .with_assignment(result.assignment)
}
