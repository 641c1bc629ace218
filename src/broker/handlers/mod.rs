//! Dispatch by API key, and one handler module per Kafka API. Handlers take decoded request
//! structs and return response structs; they never see bytes or sockets.

mod alter_configs;
mod alter_user_scram_credentials;
mod api_versions;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod describe_topic_partitions;
mod describe_user_scram_credentials;
mod fetch;
mod find_coordinator;
#[cfg(test)]
mod fuzz_tests;
mod group_support;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod produce;
mod sync_group;

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};

use super::connection::decode_guarded;
use super::state::Broker;
use crate::protocol::versions;

/// What the connection learned from the request header.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub api_key: ApiKey,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
    pub peer: SocketAddr,
    /// The broker's own address on this connection.
    pub local: SocketAddr,
}

/// What the connection should do after a request.
#[derive(Debug)]
pub enum Outcome {
    /// Send this encoded response body.
    Respond(BytesMut),
    /// Send nothing (acks=0 produce).
    NoResponse,
    /// Send this response, then close (a failed SASL authentication).
    RespondAndClose(BytesMut, String),
    /// Close the connection (unsupported version, undecodable body, failed acks=0 produce).
    Close(String),
}

/// Decodes the body for the API in `ctx`, runs its handler and encodes the response.
pub async fn dispatch(broker: &Broker, ctx: &RequestContext, body: Bytes) -> Outcome {
    if ctx.api_key == ApiKey::ApiVersions {
        return api_versions::dispatch(ctx, body);
    }
    if !versions::broker_accepts(ctx.api_key, ctx.api_version) {
        return Outcome::Close(format!(
            "unsupported request {:?} v{}",
            ctx.api_key, ctx.api_version
        ));
    }
    macro_rules! serve {
        ($request:ty, $handler:expr) => {{
            let request: $request = match decode_body(body, ctx.api_version) {
                Ok(request) => request,
                Err(reason) => return Outcome::Close(reason),
            };
            encode(&$handler(broker, ctx, request).await, ctx.api_version)
        }};
    }
    match ctx.api_key {
        ApiKey::Produce => {
            let request: ProduceRequest = match decode_body(body, ctx.api_version) {
                Ok(request) => request,
                Err(reason) => return Outcome::Close(reason),
            };
            produce::handle(broker, ctx, request).await
        }
        ApiKey::Fetch => serve!(FetchRequest, fetch::handle),
        ApiKey::ListOffsets => serve!(ListOffsetsRequest, list_offsets::handle),
        ApiKey::Metadata => serve!(MetadataRequest, metadata::handle),
        ApiKey::CreateTopics => serve!(CreateTopicsRequest, create_topics::handle),
        ApiKey::DeleteTopics => serve!(DeleteTopicsRequest, delete_topics::handle),
        ApiKey::InitProducerId => serve!(InitProducerIdRequest, init_producer_id::handle),
        ApiKey::DescribeConfigs => serve!(DescribeConfigsRequest, describe_configs::handle),
        ApiKey::AlterConfigs => serve!(AlterConfigsRequest, alter_configs::handle),
        ApiKey::CreatePartitions => serve!(CreatePartitionsRequest, create_partitions::handle),
        ApiKey::IncrementalAlterConfigs => {
            serve!(
                IncrementalAlterConfigsRequest,
                incremental_alter_configs::handle
            )
        }
        ApiKey::DescribeCluster => serve!(DescribeClusterRequest, describe_cluster::handle),
        ApiKey::DescribeUserScramCredentials => serve!(
            DescribeUserScramCredentialsRequest,
            describe_user_scram_credentials::handle
        ),
        ApiKey::AlterUserScramCredentials => serve!(
            AlterUserScramCredentialsRequest,
            alter_user_scram_credentials::handle
        ),
        ApiKey::FindCoordinator => serve!(FindCoordinatorRequest, find_coordinator::handle),
        ApiKey::JoinGroup => serve!(JoinGroupRequest, join_group::handle),
        ApiKey::SyncGroup => serve!(SyncGroupRequest, sync_group::handle),
        ApiKey::Heartbeat => serve!(HeartbeatRequest, heartbeat::handle),
        ApiKey::LeaveGroup => serve!(LeaveGroupRequest, leave_group::handle),
        ApiKey::OffsetCommit => serve!(OffsetCommitRequest, offset_commit::handle),
        ApiKey::OffsetFetch => serve!(OffsetFetchRequest, offset_fetch::handle),
        ApiKey::OffsetDelete => serve!(OffsetDeleteRequest, offset_delete::handle),
        ApiKey::ListGroups => serve!(ListGroupsRequest, list_groups::handle),
        ApiKey::DescribeGroups => serve!(DescribeGroupsRequest, describe_groups::handle),
        ApiKey::DeleteGroups => serve!(DeleteGroupsRequest, delete_groups::handle),
        ApiKey::DescribeTopicPartitions => {
            let request: DescribeTopicPartitionsRequest = match decode_body(body, ctx.api_version) {
                Ok(request) => request,
                Err(reason) => return Outcome::Close(reason),
            };
            match describe_topic_partitions::handle(broker, ctx, request).await {
                Ok(response) => encode(&response, ctx.api_version),
                Err(reason) => Outcome::Close(reason),
            }
        }
        other => Outcome::Close(format!("no handler for {other:?}")),
    }
}

/// Decodes a request body, requiring that it is consumed exactly.
pub(crate) fn decode_body<T: Decodable>(mut body: Bytes, version: i16) -> Result<T, String> {
    let request = decode_guarded(|| T::decode(&mut body, version))
        .map_err(|e| format!("undecodable request body: {e}"))?;
    Ok(request)
}

/// Encodes a response; an encoding failure (a handler filled a field the version cannot carry)
/// closes the connection rather than sending garbage.
pub(crate) fn encode<T: Encodable>(response: &T, version: i16) -> Outcome {
    // Sized up front: a Fetch response carrying megabytes of records would otherwise be copied
    // again at every doubling of the buffer.
    let mut buf = BytesMut::with_capacity(response.compute_size(version).unwrap_or(0));
    match response.encode(&mut buf, version) {
        Ok(()) => Outcome::Respond(buf),
        Err(e) => Outcome::Close(format!("cannot encode response: {e}")),
    }
}

/// Milliseconds since the Unix epoch, the broker's clock for timestamps.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
