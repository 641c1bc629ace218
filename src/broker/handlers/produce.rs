//! Produce (key 0): request-level checks (acks, topic lookup by name or id, the single-batch and
//! codec rules), then one append per partition into its log. acks=0 sends no response, and
//! closes the connection if any partition failed so the producer notices.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use super::{encode, now_ms, Outcome, RequestContext};
use crate::broker::log::AppendError;
use crate::broker::state::{Broker, Topic};
use crate::protocol::batch::{self, BatchError};
use crate::protocol::decompress::CODEC_ZSTD;

/// The only client allowed to write to internal topics.
const ADMIN_CLIENT_ID: &str = "__admin_client";
/// First Produce version that may carry zstd-compressed batches.
const ZSTD_MIN_VERSION: i16 = 7;
/// First Produce version whose response carries `record_errors` and `error_message`.
const RECORD_ERRORS_MIN_VERSION: i16 = 8;
/// First Produce version that names topics by id.
const TOPIC_ID_MIN_VERSION: i16 = 13;
const UNKNOWN: i64 = -1;

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: ProduceRequest) -> Outcome {
    let version = ctx.api_version;
    let acks_valid = matches!(request.acks, -1..=1);
    let mut any_error = false;
    let mut appended = false;
    let mut responses = Vec::with_capacity(request.topic_data.len());
    for topic_data in request.topic_data {
        let topic = if version >= TOPIC_ID_MIN_VERSION {
            broker.topic_by_id(topic_data.topic_id)
        } else {
            broker.topic(topic_data.name.as_str())
        };
        let unknown_topic = if version >= TOPIC_ID_MIN_VERSION {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        let partition_responses = topic_data
            .partition_data
            .into_iter()
            .map(|data| {
                let result = if !acks_valid {
                    Err(refusal(ResponseError::InvalidRequiredAcks))
                } else {
                    match &topic {
                        None => Err(refusal(unknown_topic)),
                        Some(topic) => {
                            append(topic, data.index, data.records, version, ctx, &mut appended)
                        }
                    }
                };
                let entry = PartitionProduceResponse::default().with_index(data.index);
                match result {
                    Ok(done) => entry
                        .with_base_offset(done.base_offset)
                        .with_log_append_time_ms(done.log_append_time_ms)
                        .with_log_start_offset(done.log_start_offset),
                    Err(mut e) => {
                        any_error = true;
                        if version < RECORD_ERRORS_MIN_VERSION {
                            e.message = None;
                            e.record_errors.clear();
                        }
                        entry
                            .with_error_code(e.error_code)
                            .with_base_offset(UNKNOWN)
                            .with_log_append_time_ms(UNKNOWN)
                            .with_log_start_offset(e.log_start_offset)
                            .with_error_message(e.message.map(StrBytes::from_string))
                            .with_record_errors(
                                e.record_errors
                                    .into_iter()
                                    .map(|(index, message)| {
                                        BatchIndexAndErrorMessage::default()
                                            .with_batch_index(index)
                                            .with_batch_index_error_message(
                                                message.map(StrBytes::from_string),
                                            )
                                    })
                                    .collect(),
                            )
                    }
                }
            })
            .collect();
        responses.push(
            TopicProduceResponse::default()
                .with_name(topic_data.name)
                .with_topic_id(topic_data.topic_id)
                .with_partition_responses(partition_responses),
        );
    }
    if appended {
        broker.notify_append();
    }
    if request.acks == 0 {
        return if any_error {
            Outcome::Close("acks=0 produce failed".to_string())
        } else {
            Outcome::NoResponse
        };
    }
    encode(
        &ProduceResponse::default().with_responses(responses),
        version,
    )
}

/// An error decided before the log was involved (log start offset unknown).
fn refusal(error: ResponseError) -> AppendError {
    AppendError {
        error_code: error.code(),
        message: None,
        log_start_offset: UNKNOWN,
        record_errors: Vec::new(),
    }
}

fn append(
    topic: &Topic,
    index: i32,
    records: Option<Bytes>,
    version: i16,
    ctx: &RequestContext,
    appended: &mut bool,
) -> Result<crate::broker::log::AppendResult, AppendError> {
    let partition = topic
        .partition(index)
        .ok_or_else(|| refusal(ResponseError::UnknownTopicOrPartition))?;
    let records = records.unwrap_or_default();
    check_structure(&records, version)?;
    if topic.is_internal() && ctx.client_id.as_deref() != Some(ADMIN_CLIENT_ID) {
        return Err(AppendError {
            message: Some(format!("Cannot append to internal topic {}", topic.name)),
            ..refusal(ResponseError::InvalidTopicException)
        });
    }
    let result = partition.log().append(records, now_ms());
    if result.is_ok() {
        *appended = true;
    }
    result
}

/// Kafka's request-structure rules for one partition's records: exactly one magic-v2 batch, no
/// zstd before v7, and (no transactions here) no transactional batches.
fn check_structure(records: &[u8], version: i16) -> Result<(), AppendError> {
    let invalid = || refusal(ResponseError::InvalidRecord);
    let mut batches = batch::batches(records);
    let first = match batches.next() {
        Some(Ok((header, _))) => header,
        Some(Err(BatchError::BadMagic(_))) => return Err(invalid()),
        // Other framing problems are reported by the log's validation with Kafka's exact code.
        Some(Err(_)) => return Ok(()),
        None => return Err(invalid()),
    };
    if first.compression_codec() == CODEC_ZSTD && version < ZSTD_MIN_VERSION {
        return Err(refusal(ResponseError::UnsupportedCompressionType));
    }
    if batches.next().is_some() {
        return Err(invalid());
    }
    if first.is_transactional() {
        return Err(AppendError {
            message: Some("Record was not part of an ongoing transaction".to_string()),
            ..refusal(ResponseError::InvalidTxnState)
        });
    }
    Ok(())
}
