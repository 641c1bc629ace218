//! CONTRACT ONLY (skeleton): ListOffsets, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    todo!()
}
