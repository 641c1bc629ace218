//! InitProducerId (key 22) for idempotent producers: a fresh producer id with epoch 0 from the
//! broker's persisted allocator. Transactions are not implemented, so a transactional id is
//! refused rather than half-served.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use super::RequestContext;
use crate::broker::logging;
use crate::broker::state::Broker;

/// Sentinel for "no producer id / epoch" in the request.
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    let failed = |error: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(error.code())
            .with_producer_id(ProducerId(NO_PRODUCER_ID))
            .with_producer_epoch(NO_PRODUCER_EPOCH)
    };
    match request.transactional_id.as_deref().map(|s| s.as_str()) {
        None => {}
        Some("") => return failed(ResponseError::InvalidRequest),
        // No transaction coordinator: an explicit refusal the client reports, not a retry loop.
        Some(_) => return failed(ResponseError::UnsupportedVersion),
    }
    let id_given = request.producer_id.0 != NO_PRODUCER_ID;
    let epoch_given = request.producer_epoch != NO_PRODUCER_EPOCH;
    if id_given != epoch_given {
        return failed(ResponseError::InvalidRequest);
    }
    match broker.allocate_producer_id() {
        Ok(id) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Err(e) => {
            logging::error(&format!("Cannot allocate a producer id: {e}"));
            failed(ResponseError::KafkaStorageError)
        }
    }
}
