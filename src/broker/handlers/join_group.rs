//! JoinGroup (key 11, v0–9): checks the group id and the session-timeout bounds, hands the
//! request to the group coordinator and waits (without holding any lock) for the join phase to
//! answer it. Translates the result to the request's version.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};

use super::group_support::{
    client_host, client_id, optional, optional_str_bytes, str_bytes, string,
};
use super::RequestContext;
use crate::broker::coordinator::types::{JoinRequest, JoinResult, Protocol};
use crate::broker::state::Broker;

/// v1 added a rebalance timeout; v0 uses the session timeout for both.
const REBALANCE_TIMEOUT_MIN_VERSION: i16 = 1;
/// Below v7 the protocol name is not nullable: "" stands for none.
const NULLABLE_PROTOCOL_NAME_MIN_VERSION: i16 = 7;
/// `skip_assignment` exists from v9.
const SKIP_ASSIGNMENT_MIN_VERSION: i16 = 9;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: JoinGroupRequest,
) -> JoinGroupResponse {
    let version = ctx.api_version;
    let config = broker.groups.config();
    let member_id = string(&request.member_id);
    let result =
        if request.group_id.is_empty() {
            JoinResult::error(ResponseError::InvalidGroupId.code(), member_id)
        } else if request.session_timeout_ms < config.min_session_timeout_ms
            || request.session_timeout_ms > config.max_session_timeout_ms
        {
            JoinResult::error(ResponseError::InvalidSessionTimeout.code(), member_id)
        } else {
            let rebalance_timeout_ms = if version >= REBALANCE_TIMEOUT_MIN_VERSION {
                request.rebalance_timeout_ms
            } else {
                request.session_timeout_ms
            };
            let join = JoinRequest {
                group_id: string(&request.group_id),
                member_id: member_id.clone(),
                group_instance_id: optional(&request.group_instance_id),
                session_timeout_ms: request.session_timeout_ms,
                rebalance_timeout_ms,
                protocol_type: string(&request.protocol_type),
                protocols: request
                    .protocols
                    .iter()
                    .map(|p| Protocol {
                        name: string(&p.name),
                        metadata: p.metadata.clone(),
                    })
                    .collect(),
                client_id: client_id(ctx),
                client_host: client_host(ctx),
                api_version: version,
                reason: optional(&request.reason),
            };
            // A dropped answer means the member was removed while it waited.
            broker.groups.join_group(join).await.unwrap_or_else(|_| {
                JoinResult::error(ResponseError::UnknownMemberId.code(), member_id)
            })
        };
    response(result, version)
}

fn response(result: JoinResult, version: i16) -> JoinGroupResponse {
    let protocol_name = if version >= NULLABLE_PROTOCOL_NAME_MIN_VERSION {
        optional_str_bytes(result.protocol_name)
    } else {
        Some(str_bytes(result.protocol_name.unwrap_or_default()))
    };
    let members = result
        .members
        .into_iter()
        .map(|m| {
            JoinGroupResponseMember::default()
                .with_member_id(str_bytes(m.member_id))
                .with_group_instance_id(optional_str_bytes(m.group_instance_id))
                .with_metadata(m.metadata)
        })
        .collect();
    JoinGroupResponse::default()
        .with_error_code(result.error)
        .with_generation_id(result.generation_id)
        .with_protocol_type(optional_str_bytes(result.protocol_type))
        .with_protocol_name(protocol_name)
        .with_leader(str_bytes(result.leader))
        .with_skip_assignment(version >= SKIP_ASSIGNMENT_MIN_VERSION && result.skip_assignment)
        .with_member_id(str_bytes(result.member_id))
        .with_members(members)
}
