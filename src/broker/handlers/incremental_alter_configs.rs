//! CONTRACT ONLY (skeleton): IncrementalAlterConfigs, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    todo!()
}
