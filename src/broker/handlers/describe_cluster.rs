//! CONTRACT ONLY (skeleton): DescribeCluster, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    todo!()
}
