//! CONTRACT ONLY (skeleton): DescribeConfigs, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    todo!()
}
