//! CONTRACT ONLY (skeleton): AlterConfigs, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: AlterConfigsRequest,
) -> AlterConfigsResponse {
    todo!()
}
