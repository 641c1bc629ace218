//! Validation of a produced `records` blob before anything is written (Kafka's
//! `UnifiedLog.analyzeAndValidateRecords` and `LogValidator`, steps 10-16 of the behaviour
//! reference §3.2), with Kafka's error codes, `log_start_offset` rule and record errors. Works from
//! the batch headers only; a batch is decoded only on the error path, to name the offending
//! records. Producer-sequence checks live in `producer_state`; nothing here touches files.

use std::ops::Range;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::RecordBatchDecoder;

use super::partition::AppendError;
use super::{LogConfig, TimestampType};
use crate::protocol::batch::{self, BatchError, BatchHeader, NO_TIMESTAMP};

/// `log_start_offset` in responses for errors Kafka answers without it.
pub const NO_LOG_START_OFFSET: i64 = -1;

/// Kafka's `segment.bytes` is an int: positions in a segment must fit one.
pub const MAX_SEGMENT_BYTES: u64 = i32::MAX as u64;

/// A refused append: what goes on the wire, plus Kafka's exception text (which Kafka only puts
/// on the wire for record-validation errors, as `error.message`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub error: AppendError,
    pub reason: String,
}

fn refuse(error_code: i16, log_start_offset: i64, reason: String) -> Refusal {
    Refusal {
        error: AppendError {
            error_code,
            message: None,
            log_start_offset,
            record_errors: Vec::new(),
        },
        reason,
    }
}

/// One batch that passed validation.
#[derive(Debug, Clone)]
pub struct ValidBatch {
    pub header: BatchHeader,
    pub range: Range<usize>,
}

/// What validation needs to know about the partition.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub config: &'a LogConfig,
    /// `topic-partition`, for messages.
    pub partition: &'a str,
    pub log_start_offset: i64,
    pub now_ms: i64,
}

/// Validates every batch of a client's `blob`; returns the batches to append, or Kafka's answer.
/// A trailing incomplete batch is dropped, as Kafka's `trimInvalidBytes` does.
pub fn validate(blob: &[u8], target: Target<'_>) -> Result<Vec<ValidBatch>, Refusal> {
    let partition = target.partition;
    let log_start = target.log_start_offset;
    let mut batches = Vec::with_capacity(1);
    for item in batch::batches(blob) {
        let (header, range) = match item {
            Ok(found) => found,
            // Kafka's batch iterator stops at an incomplete batch and the rest is trimmed.
            Err(BatchError::Truncated { .. }) if !batches.is_empty() => break,
            Err(BatchError::Truncated { .. }) => {
                return Err(refuse(
                    ResponseError::InvalidRecord.code(),
                    NO_LOG_START_OFFSET,
                    "Produce requests must have at least one record batch per partition"
                        .to_string(),
                ))
            }
            Err(BatchError::BadMagic(magic)) => {
                // The first batch is checked with the request (no log start offset); a later one
                // by the log validator (with it).
                let log_start = if batches.is_empty() {
                    NO_LOG_START_OFFSET
                } else {
                    log_start
                };
                return Err(refuse(
                    ResponseError::InvalidRecord.code(),
                    log_start,
                    format!(
                        "Produce requests are only allowed to contain record batches with magic version 2, got {magic} in topic partition {partition}."
                    ),
                ));
            }
            Err(e) => {
                return Err(refuse(
                    ResponseError::CorruptMessage.code(),
                    NO_LOG_START_OFFSET,
                    format!("Record is corrupt ({e}) in topic partition {partition}."),
                ))
            }
        };
        check_framing(blob, &header, &range, target)?;
        batches.push(ValidBatch { header, range });
    }
    if batches.is_empty() {
        return Err(refuse(
            ResponseError::InvalidRecord.code(),
            NO_LOG_START_OFFSET,
            "Produce requests must have at least one record batch per partition".to_string(),
        ));
    }
    for batch in &batches {
        check_batch(&batch.header, target)?;
        check_timestamps(&blob[batch.range.clone()], &batch.header, target)?;
    }
    let total: u64 = batches.iter().map(|b| b.header.size() as u64).sum();
    let segment_bytes = target.config.segment_bytes.min(MAX_SEGMENT_BYTES);
    if total > segment_bytes {
        return Err(refuse(
            ResponseError::RecordListTooLarge.code(),
            NO_LOG_START_OFFSET,
            format!(
                "Message batch size is {total} bytes in append to partition {partition} which exceeds the maximum configured segment size of {segment_bytes}."
            ),
        ));
    }
    Ok(batches)
}

/// Steps 10-12: base offset, size, CRC.
fn check_framing(
    blob: &[u8],
    header: &BatchHeader,
    range: &Range<usize>,
    target: Target<'_>,
) -> Result<(), Refusal> {
    let partition = target.partition;
    if header.base_offset != 0 {
        return Err(refuse(
            ResponseError::InvalidRecord.code(),
            target.log_start_offset,
            format!(
                "The baseOffset of the record batch in the append to {partition} should be 0, but it is {}",
                header.base_offset
            ),
        ));
    }
    let max = target.config.max_message_bytes;
    if header.size() as u64 > u64::from(max) {
        return Err(refuse(
            ResponseError::MessageTooLarge.code(),
            NO_LOG_START_OFFSET,
            format!(
                "The record batch size in the append to {partition} is {} bytes which exceeds the maximum configured value of {max}.",
                header.size()
            ),
        ));
    }
    if batch::verify_crc(&blob[range.clone()]).is_err() {
        return Err(refuse(
            ResponseError::CorruptMessage.code(),
            NO_LOG_START_OFFSET,
            format!(
                "Record is corrupt (stored crc = {}) in topic partition {partition}.",
                header.crc
            ),
        ));
    }
    Ok(())
}

/// Step 13: the batch-level checks of `LogValidator.validateBatch` for client appends.
fn check_batch(header: &BatchHeader, target: Target<'_>) -> Result<(), Refusal> {
    let partition = target.partition;
    let invalid = |reason: String| {
        refuse(
            ResponseError::InvalidRecord.code(),
            target.log_start_offset,
            reason,
        )
    };
    let count_from_offsets = i64::from(header.last_offset_delta) + 1;
    if count_from_offsets <= 0 {
        return Err(invalid(format!(
            "Batch has an invalid offset range: [{}, {}] in topic partition {partition}.",
            header.base_offset,
            header.last_offset()
        )));
    }
    let count = header.record_count;
    if count <= 0 {
        return Err(invalid(format!(
            "Invalid reported count for record batch: {count} in topic partition {partition}."
        )));
    }
    if count_from_offsets != i64::from(count) {
        return Err(invalid(format!(
            "Inconsistent batch offset range [{}, {}] and count of records {count} in topic partition {partition}.",
            header.base_offset,
            header.last_offset()
        )));
    }
    if header.is_control() {
        return Err(invalid(format!(
            "Clients are not allowed to write control records in topic partition {partition}."
        )));
    }
    if header.has_producer_id() && header.base_sequence < 0 {
        return Err(invalid(format!(
            "Invalid sequence number {} in record batch with producerId {} in topic partition {partition}.",
            header.base_sequence, header.producer_id
        )));
    }
    Ok(())
}

/// Kafka's `recordHasInvalidTimestamp`, with Java's wrapping arithmetic.
fn out_of_range(timestamp: i64, config: &LogConfig, now_ms: i64) -> bool {
    let diff = now_ms.wrapping_sub(timestamp);
    diff > config.timestamp_before_max_ms || diff.wrapping_neg() > config.timestamp_after_max_ms
}

/// Step 14 for timestamps, decided from the header: a CreateTime topic checks the batch's base
/// and max timestamps against `message.timestamp.{before,after}.max.ms`; a batch claiming
/// LogAppendTime is refused where Kafka refuses it. Only when something is wrong is the batch
/// decoded, to report the offending records as Kafka does.
fn check_timestamps(bytes: &[u8], header: &BatchHeader, target: Target<'_>) -> Result<(), Refusal> {
    let config = target.config;
    let now = target.now_ms;
    let create_time = config.timestamp_type == TimestampType::CreateTime;
    let suspicious = if header.is_log_append_time() {
        // Every record of a LogAppendTime batch carries the batch max timestamp.
        !create_time
            || header.max_timestamp == NO_TIMESTAMP
            || out_of_range(header.max_timestamp, config, now)
    } else {
        create_time
            && [header.base_timestamp, header.max_timestamp]
                .iter()
                .any(|&ts| ts != NO_TIMESTAMP && out_of_range(ts, config, now))
    };
    if !suspicious {
        return Ok(());
    }
    let records = match RecordBatchDecoder::decode(&mut Bytes::copy_from_slice(bytes)) {
        Ok(set) => set.records,
        Err(e) => {
            return Err(refuse(
                ResponseError::InvalidRecord.code(),
                target.log_start_offset,
                format!(
                    "Found invalid record in topic partition {}: {e}",
                    target.partition
                ),
            ))
        }
    };
    let lower = now.wrapping_sub(config.timestamp_before_max_ms);
    let upper = now.wrapping_add(config.timestamp_after_max_ms);
    let mut record_errors = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let timestamp = if header.is_log_append_time() {
            header.max_timestamp
        } else {
            record.timestamp
        };
        let message = if create_time && timestamp != NO_TIMESTAMP {
            out_of_range(timestamp, config, now).then(|| {
                format!(
                    "Timestamp {timestamp} of message with offset {} is out of range. The timestamp should be within [{lower}, {upper}]",
                    record.offset
                )
            })
        } else if header.is_log_append_time() {
            Some(format!(
                "Invalid timestamp type in message DefaultRecord(offset={}, timestamp={timestamp}, key={} bytes, value={} bytes). Producer should not set timestamp type to LogAppendTime.",
                record.offset,
                record.key.as_ref().map_or(0, |k| k.len()),
                record.value.as_ref().map_or(0, |v| v.len()),
            ))
        } else {
            None
        };
        if let Some(message) = message {
            record_errors.push((index as i32, Some(message)));
        }
    }
    if record_errors.is_empty() {
        // The header claimed more than the records hold; Kafka validates records, so do we.
        return Ok(());
    }
    let text = "One or more records have been rejected due to invalid timestamp".to_string();
    Err(Refusal {
        error: AppendError {
            error_code: ResponseError::InvalidTimestamp.code(),
            message: Some(text.clone()),
            log_start_offset: target.log_start_offset,
            record_errors,
        },
        reason: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::log::test_support::{encode, BatchSpec};
    use crate::protocol::batch::{set_log_append_time, CONTROL_FLAG, LENGTH_OFFSET};

    const NOW: i64 = 1_700_000_000_000;

    fn target(config: &LogConfig) -> Target<'_> {
        Target {
            config,
            partition: "t-0",
            log_start_offset: 5,
            now_ms: NOW,
        }
    }

    fn refusal(blob: &[u8], config: &LogConfig) -> Refusal {
        validate(blob, target(config)).expect_err("should be refused")
    }

    fn spec() -> BatchSpec {
        BatchSpec::new(3, NOW)
    }

    #[test]
    fn accepts_good_batches_and_trims_a_partial_tail() {
        let config = LogConfig::default();
        let mut blob = encode(&spec()).to_vec();
        blob.extend(encode(&spec()));
        let full = validate(&blob, target(&config)).expect("valid");
        assert_eq!(full.len(), 2);
        blob.truncate(blob.len() - 3);
        let trimmed = validate(&blob, target(&config)).expect("valid");
        assert_eq!(trimmed.len(), 1);
    }

    #[test]
    fn nonzero_base_offset_is_invalid_record() {
        let config = LogConfig::default();
        let mut blob = encode(&spec()).to_vec();
        batch::set_base_offset(&mut blob, 7).expect("patch");
        let r = refusal(&blob, &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidRecord.code());
        assert_eq!(r.error.log_start_offset, 5);
        assert_eq!(r.error.message, None);
        assert_eq!(
            r.reason,
            "The baseOffset of the record batch in the append to t-0 should be 0, but it is 7"
        );
    }

    #[test]
    fn oversized_batch_is_message_too_large() {
        let config = LogConfig {
            max_message_bytes: 100,
            ..LogConfig::default()
        };
        let blob = encode(&spec());
        let r = refusal(&blob, &config);
        assert_eq!(r.error.error_code, ResponseError::MessageTooLarge.code());
        assert_eq!(r.error.log_start_offset, NO_LOG_START_OFFSET);
        assert!(r
            .reason
            .ends_with("exceeds the maximum configured value of 100."));
    }

    #[test]
    fn bad_crc_and_bad_framing_are_corrupt_message() {
        let config = LogConfig::default();
        let mut blob = encode(&spec()).to_vec();
        let last = blob.len() - 1;
        blob[last] ^= 0xff;
        let r = refusal(&blob, &config);
        assert_eq!(r.error.error_code, ResponseError::CorruptMessage.code());
        assert_eq!(r.error.log_start_offset, NO_LOG_START_OFFSET);
        assert!(r.reason.starts_with("Record is corrupt (stored crc = "));

        let mut garbled = encode(&spec()).to_vec();
        garbled[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&(-1i32).to_be_bytes());
        let r = refusal(&garbled, &config);
        assert_eq!(r.error.error_code, ResponseError::CorruptMessage.code());
    }

    #[test]
    fn empty_or_legacy_input_is_invalid_record() {
        let config = LogConfig::default();
        let r = refusal(&[], &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidRecord.code());
        let mut legacy = encode(&spec()).to_vec();
        legacy[batch::MAGIC_OFFSET] = 1;
        let r = refusal(&legacy, &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidRecord.code());
        assert_eq!(r.error.log_start_offset, NO_LOG_START_OFFSET);
        let mut second = encode(&spec()).to_vec();
        second.extend_from_slice(&legacy);
        let r = refusal(&second, &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidRecord.code());
        assert_eq!(r.error.log_start_offset, 5);
    }

    fn patched(mut blob: Vec<u8>, at: usize, value: &[u8]) -> Vec<u8> {
        blob[at..at + value.len()].copy_from_slice(value);
        let crc = batch::compute_crc(&blob).expect("crc");
        blob[batch::CRC_OFFSET..batch::CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
        blob
    }

    #[test]
    fn batch_level_checks_are_invalid_record() {
        let config = LogConfig::default();
        let base = encode(&spec()).to_vec();
        let cases = [
            (
                patched(base.clone(), batch::LAST_OFFSET_DELTA_OFFSET, &(-1i32).to_be_bytes()),
                "Batch has an invalid offset range: [0, -1] in topic partition t-0.",
            ),
            (
                patched(base.clone(), batch::RECORD_COUNT_OFFSET, &0i32.to_be_bytes()),
                "Invalid reported count for record batch: 0 in topic partition t-0.",
            ),
            (
                patched(base.clone(), batch::RECORD_COUNT_OFFSET, &4i32.to_be_bytes()),
                "Inconsistent batch offset range [0, 2] and count of records 4 in topic partition t-0.",
            ),
            (
                patched(base.clone(), batch::ATTRIBUTES_OFFSET, &CONTROL_FLAG.to_be_bytes()),
                "Clients are not allowed to write control records in topic partition t-0.",
            ),
        ];
        for (blob, reason) in cases {
            let r = refusal(&blob, &config);
            assert_eq!(r.error.error_code, ResponseError::InvalidRecord.code());
            assert_eq!(r.error.log_start_offset, 5);
            assert_eq!(r.reason, reason);
        }
        let idempotent = encode(&BatchSpec {
            producer: Some((4, 0, -3)),
            ..spec()
        });
        let r = refusal(&idempotent, &config);
        assert_eq!(
            r.reason,
            "Invalid sequence number -3 in record batch with producerId 4 in topic partition t-0."
        );
    }

    #[test]
    fn future_timestamps_are_invalid_timestamp_with_record_errors() {
        let config = LogConfig::default();
        let mut spec = spec();
        spec.timestamps = vec![NOW, NOW + 2 * 3_600_000, NOW];
        let r = refusal(&encode(&spec), &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidTimestamp.code());
        assert_eq!(r.error.log_start_offset, 5);
        assert_eq!(
            r.error.message.as_deref(),
            Some("One or more records have been rejected due to invalid timestamp")
        );
        assert_eq!(
            r.error.record_errors,
            vec![(
                1,
                Some(format!(
                    "Timestamp {} of message with offset 1 is out of range. The timestamp should be within [{}, {}]",
                    NOW + 2 * 3_600_000,
                    NOW.wrapping_sub(i64::MAX),
                    NOW + 3_600_000
                ))
            )]
        );
        let old = LogConfig {
            timestamp_before_max_ms: 1000,
            ..LogConfig::default()
        };
        spec.timestamps = vec![NOW - 5000, NOW, NOW];
        let r = refusal(&encode(&spec), &old);
        assert_eq!(r.error.record_errors.len(), 1);
        assert_eq!(r.error.record_errors[0].0, 0);
        // -1 means "no timestamp" and is never out of range.
        spec.timestamps = vec![-1, -1, -1];
        assert!(validate(&encode(&spec), target(&old)).is_ok());
    }

    #[test]
    fn log_append_time_from_a_client_is_refused() {
        let config = LogConfig {
            timestamp_type: TimestampType::LogAppendTime,
            ..LogConfig::default()
        };
        let mut blob = encode(&spec()).to_vec();
        set_log_append_time(&mut blob, NOW).expect("patch");
        let r = refusal(&blob, &config);
        assert_eq!(r.error.error_code, ResponseError::InvalidTimestamp.code());
        assert_eq!(r.error.record_errors.len(), 3);
        assert_eq!(
            r.error.record_errors[0].1.as_deref(),
            Some(format!("Invalid timestamp type in message DefaultRecord(offset=0, timestamp={NOW}, key=2 bytes, value=100 bytes). Producer should not set timestamp type to LogAppendTime.").as_str())
        );
        // On a CreateTime topic Kafka only refuses it when it carries no timestamp.
        assert!(validate(&blob, target(&LogConfig::default())).is_ok());
    }

    #[test]
    fn append_larger_than_a_segment_is_record_list_too_large() {
        let one = encode(&spec());
        let config = LogConfig {
            segment_bytes: one.len() as u64 + 10,
            ..LogConfig::default()
        };
        let mut blob = one.to_vec();
        blob.extend_from_slice(&one);
        let r = refusal(&blob, &config);
        assert_eq!(r.error.error_code, ResponseError::RecordListTooLarge.code());
        assert_eq!(r.error.log_start_offset, NO_LOG_START_OFFSET);
    }
}
