//! CONTRACT ONLY (skeleton): InitProducerId, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    todo!()
}
