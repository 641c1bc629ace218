//! CONTRACT ONLY (skeleton): DeleteTopics, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    todo!()
}
