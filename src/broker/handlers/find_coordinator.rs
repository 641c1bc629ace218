//! FindCoordinator (key 10, v0–6): this node coordinates every group. Transactions and share
//! groups are not run here, so their keys get COORDINATOR_NOT_AVAILABLE (clients keep looking).
//! v0–3 carry one key; v4+ a batch, each with its own error.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::metadata::{advertised_host, advertised_listener};
use super::RequestContext;
use crate::broker::state::Broker;

const GROUP_KEY_TYPE: i8 = 0;
const TRANSACTION_KEY_TYPE: i8 = 1;
const SHARE_KEY_TYPE: i8 = 2;
/// v4+ look up a batch of keys.
const BATCHED_MIN_VERSION: i16 = 4;
/// Share-group keys exist from v6.
const SHARE_MIN_VERSION: i16 = 6;
/// Kafka's "no node" in error answers.
const NO_NODE_ID: i32 = -1;
const NO_PORT: i32 = -1;
/// What a v1–3 success carries as its error message (Java's `Errors.NONE.message()`).
const NONE_MESSAGE: &str = "NONE";
/// Java's default messages for the errors a v1–3 answer can carry.
const COORDINATOR_NOT_AVAILABLE_MESSAGE: &str = "The coordinator is not available.";
const INVALID_REQUEST_MESSAGE: &str = "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.";

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let version = ctx.api_version;
    if version < BATCHED_MIN_VERSION {
        return match coordinator(broker, ctx, request.key_type) {
            Ok((host, port)) => FindCoordinatorResponse::default()
                .with_error_message(Some(StrBytes::from_static_str(NONE_MESSAGE)))
                .with_node_id(BrokerId(broker.config.node_id))
                .with_host(StrBytes::from_string(host))
                .with_port(port),
            Err(error) => FindCoordinatorResponse::default()
                .with_error_code(error.code())
                .with_error_message(Some(StrBytes::from_static_str(default_message(error))))
                .with_node_id(BrokerId(NO_NODE_ID))
                .with_port(NO_PORT),
        };
    }
    let coordinators = request
        .coordinator_keys
        .into_iter()
        .map(|key| {
            let entry = Coordinator::default().with_key(key);
            match coordinator(broker, ctx, request.key_type) {
                Ok((host, port)) => entry
                    .with_node_id(BrokerId(broker.config.node_id))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port),
                Err(error) => entry
                    .with_error_code(error.code())
                    .with_node_id(BrokerId(NO_NODE_ID))
                    .with_port(NO_PORT),
            }
        })
        .collect();
    FindCoordinatorResponse::default().with_coordinators(coordinators)
}

/// This node's address for a key of `key_type` (v0 requests decode it as 0, a group).
fn coordinator(
    broker: &Broker,
    ctx: &RequestContext,
    key_type: i8,
) -> Result<(String, i32), ResponseError> {
    match key_type {
        GROUP_KEY_TYPE => advertised_listener(broker, ctx)
            .map(|l| (advertised_host(&l.host, ctx), i32::from(l.port)))
            .ok_or(ResponseError::CoordinatorNotAvailable),
        TRANSACTION_KEY_TYPE => Err(ResponseError::CoordinatorNotAvailable),
        SHARE_KEY_TYPE if ctx.api_version >= SHARE_MIN_VERSION => {
            Err(ResponseError::CoordinatorNotAvailable)
        }
        _ => Err(ResponseError::InvalidRequest),
    }
}

fn default_message(error: ResponseError) -> &'static str {
    match error {
        ResponseError::InvalidRequest => INVALID_REQUEST_MESSAGE,
        _ => COORDINATOR_NOT_AVAILABLE_MESSAGE,
    }
}
