//! CONTRACT ONLY (skeleton): CreateTopics, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    todo!()
}
