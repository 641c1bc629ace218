//! Heartbeat (key 12, v0–4): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
//! rejoin.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use super::group_support::{optional, string};
use super::RequestContext;
use crate::broker::coordinator::types;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: HeartbeatRequest,
) -> HeartbeatResponse {
    let error = if request.group_id.is_empty() {
        ResponseError::InvalidGroupId.code()
    } else {
        broker.groups.heartbeat(types::HeartbeatRequest {
            group_id: string(&request.group_id),
            generation_id: request.generation_id,
            member_id: string(&request.member_id),
            group_instance_id: optional(&request.group_instance_id),
        })
    };
    HeartbeatResponse::default().with_error_code(error)
}
