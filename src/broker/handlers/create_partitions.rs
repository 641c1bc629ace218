//! CONTRACT ONLY (skeleton): CreatePartitions, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    todo!()
}
