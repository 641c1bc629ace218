//! LeaveGroup (key 13, v0–5): v0–2 name one member and carry its error at the top level; v3+
//! name a batch (an empty member id with an instance id removes that static member) and answer
//! per member.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use super::group_support::{optional, string};
use super::RequestContext;
use crate::broker::coordinator::types::{LeavingMember, NONE};
use crate::broker::state::Broker;

/// v3 replaced the single member id with a batch of members.
const BATCHED_MIN_VERSION: i16 = 3;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: LeaveGroupRequest,
) -> LeaveGroupResponse {
    let batched = ctx.api_version >= BATCHED_MIN_VERSION;
    if request.group_id.is_empty() {
        return LeaveGroupResponse::default().with_error_code(ResponseError::InvalidGroupId.code());
    }
    let leaving: Vec<LeavingMember> = if batched {
        request
            .members
            .iter()
            .map(|m| LeavingMember {
                member_id: string(&m.member_id),
                group_instance_id: optional(&m.group_instance_id),
                reason: optional(&m.reason),
            })
            .collect()
    } else {
        vec![LeavingMember {
            member_id: string(&request.member_id),
            group_instance_id: None,
            reason: None,
        }]
    };
    let result = broker
        .groups
        .leave_group(request.group_id.as_str(), &leaving);
    if !batched {
        let error = if result.error != NONE {
            result.error
        } else {
            result
                .members
                .iter()
                .copied()
                .find(|e| *e != NONE)
                .unwrap_or(NONE)
        };
        return LeaveGroupResponse::default().with_error_code(error);
    }
    let members = request
        .members
        .into_iter()
        .zip(result.members)
        .map(|(m, error)| {
            MemberResponse::default()
                .with_member_id(m.member_id)
                .with_group_instance_id(m.group_instance_id)
                .with_error_code(error)
        })
        .collect();
    LeaveGroupResponse::default()
        .with_error_code(result.error)
        .with_members(members)
}
