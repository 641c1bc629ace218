//! CONTRACT ONLY (skeleton): Fetch, replaced by its implementation.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::{FetchRequest, FetchResponse};

use super::RequestContext;
use crate::broker::state::Broker;

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: FetchRequest) -> FetchResponse {
    todo!()
}
