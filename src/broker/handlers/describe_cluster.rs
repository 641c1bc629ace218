//! DescribeCluster (key 60, v0–2), as Apache's broker listener answers it: the cluster id, this
//! node as the only (never fenced) broker and as the controller, and the cluster's authorized
//! operations when asked (all of them: there is no authorizer). Asking this endpoint for
//! controllers, or for an unknown endpoint type, is an error.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::broker::state::Broker;

/// `EndpointType` ids.
const ENDPOINT_BROKER: i8 = 1;
const ENDPOINT_CONTROLLER: i8 = 2;
/// `cluster_authorized_operations` when the client did not ask for them.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;
/// The `AclOperation` codes Kafka supports on the CLUSTER resource: CREATE(5), ALTER(7),
/// DESCRIBE(8), CLUSTER_ACTION(9), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11),
/// IDEMPOTENT_WRITE(12).
const CLUSTER_OPERATIONS: &[u32] = &[5, 7, 8, 9, 10, 11, 12];

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    // v0 cannot name an endpoint type, and has no codes for a wrong one.
    let wrong_endpoint_code = |v1_code: ResponseError| {
        if ctx.api_version == 0 {
            ResponseError::InvalidRequest.code()
        } else {
            v1_code.code()
        }
    };
    match request.endpoint_type {
        ENDPOINT_BROKER => {}
        ENDPOINT_CONTROLLER => {
            return DescribeClusterResponse::default()
                .with_error_code(wrong_endpoint_code(ResponseError::MismatchedEndpointType))
                .with_error_message(Some(StrBytes::from_static_str(
                    "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                )));
        }
        other => {
            return DescribeClusterResponse::default()
                .with_error_code(wrong_endpoint_code(ResponseError::UnsupportedEndpointType))
                .with_error_message(Some(StrBytes::from_string(format!(
                    "Unsupported endpoint type {other}"
                ))));
        }
    }
    let node = BrokerId(broker.config.node_id);
    let brokers = broker
        .config
        .advertised_listeners
        .iter()
        .take(1)
        .map(|l| {
            DescribeClusterBroker::default()
                .with_broker_id(node)
                .with_host(StrBytes::from_string(advertised_host(&l.host, ctx)))
                .with_port(i32::from(l.port))
                .with_rack(None)
                .with_is_fenced(false)
        })
        .collect();
    let operations = if request.include_cluster_authorized_operations {
        CLUSTER_OPERATIONS
            .iter()
            .fold(0i32, |bits, op| bits | (1 << op))
    } else {
        AUTHORIZED_OPERATIONS_OMITTED
    };
    DescribeClusterResponse::default()
        .with_endpoint_type(ENDPOINT_BROKER)
        .with_cluster_id(StrBytes::from_string(broker.cluster_id.clone()))
        .with_controller_id(node)
        .with_brokers(brokers)
        .with_cluster_authorized_operations(operations)
}

/// The same rule as Metadata: an empty or wildcard advertised host is not reachable, so the
/// address the client connected to is answered instead.
fn advertised_host(host: &str, ctx: &RequestContext) -> String {
    if host.is_empty() || host == "0.0.0.0" || host == "::" {
        ctx.local.ip().to_string()
    } else {
        host.to_string()
    }
}
