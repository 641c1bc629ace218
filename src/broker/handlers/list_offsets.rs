//! ListOffsets (key 2): earliest, latest, max-timestamp and by-timestamp offsets per partition,
//! with Kafka's sentinel timestamps and their minimum versions.

use std::collections::HashSet;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::broker::state::Broker;

/// The sentinel timestamps of a ListOffsets partition request.
pub const LATEST: i64 = -1;
pub const EARLIEST: i64 = -2;
pub const MAX_TIMESTAMP: i64 = -3;
pub const EARLIEST_LOCAL: i64 = -4;
pub const LATEST_TIERED: i64 = -5;

/// First version whose response carries `leader_epoch`.
const LEADER_EPOCH_MIN_VERSION: i16 = 4;
/// The lowest request version at which each sentinel is allowed.
const MAX_TIMESTAMP_MIN_VERSION: i16 = 7;
const EARLIEST_LOCAL_MIN_VERSION: i16 = 8;
const LATEST_TIERED_MIN_VERSION: i16 = 9;

const UNKNOWN: i64 = -1;
const NO_EPOCH: i32 = -1;

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let found = broker.topic(topic.name.as_str());
            let mut seen = HashSet::new();
            let partitions = topic
                .partitions
                .into_iter()
                .map(|p| {
                    let index = p.partition_index;
                    let result = if !seen.insert(index) {
                        Err(ResponseError::InvalidRequest)
                    } else {
                        match found.as_ref().and_then(|t| t.partition(index)) {
                            None => Err(ResponseError::UnknownTopicOrPartition),
                            Some(_) if p.current_leader_epoch > LEADER_EPOCH => {
                                Err(ResponseError::UnknownLeaderEpoch)
                            }
                            Some(partition) => {
                                lookup(&partition.log(), p.timestamp, ctx.api_version)
                            }
                        }
                    };
                    let entry = ListOffsetsPartitionResponse::default().with_partition_index(index);
                    let (entry, epoch) = match result {
                        Ok((offset, timestamp, epoch)) => {
                            (entry.with_offset(offset).with_timestamp(timestamp), epoch)
                        }
                        Err(error) => (
                            entry
                                .with_error_code(error.code())
                                .with_offset(UNKNOWN)
                                .with_timestamp(UNKNOWN),
                            NO_EPOCH,
                        ),
                    };
                    // Older versions have no leader epoch field and refuse to encode one.
                    if ctx.api_version >= LEADER_EPOCH_MIN_VERSION {
                        entry.with_leader_epoch(epoch)
                    } else {
                        entry
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

/// (offset, timestamp, leader epoch) for one partition.
fn lookup(
    log: &crate::broker::log::PartitionLog,
    timestamp: i64,
    version: i16,
) -> Result<(i64, i64, i32), ResponseError> {
    let found = |hit: Option<(i64, i64)>| match hit {
        Some((offset, ts)) => (offset, ts, LEADER_EPOCH),
        None => (UNKNOWN, UNKNOWN, NO_EPOCH),
    };
    match timestamp {
        LATEST => Ok((log.log_end_offset(), UNKNOWN, LEADER_EPOCH)),
        EARLIEST => Ok((log.log_start_offset(), UNKNOWN, LEADER_EPOCH)),
        MAX_TIMESTAMP if version >= MAX_TIMESTAMP_MIN_VERSION => log
            .max_timestamp()
            .map(found)
            .map_err(|_| ResponseError::KafkaStorageError),
        EARLIEST_LOCAL if version >= EARLIEST_LOCAL_MIN_VERSION => {
            Ok((log.log_start_offset(), UNKNOWN, LEADER_EPOCH))
        }
        // No tiered storage: nothing has been tiered.
        LATEST_TIERED if version >= LATEST_TIERED_MIN_VERSION => Ok((UNKNOWN, UNKNOWN, NO_EPOCH)),
        t if t < 0 => Err(ResponseError::UnsupportedVersion),
        t => log
            .offset_for_timestamp(t)
            .map(found)
            .map_err(|_| ResponseError::KafkaStorageError),
    }
}
