//! CONTRACT ONLY (skeleton): Produce.

#![allow(clippy::todo, unused_variables)]

use kafka_protocol::messages::ProduceRequest;

use super::{Outcome, RequestContext};
use crate::broker::state::Broker;

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: ProduceRequest) -> Outcome {
    todo!()
}
