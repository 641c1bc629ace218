//! The Java client's default message for each Kafka error code (`Errors.java`), which Apache's
//! tools print when the broker sent no message of its own. Owns the table only.

use kafka_protocol::error::ResponseError;

/// Java's default message for `error`, or its code name when the table has none.
pub fn default_message(error: ResponseError) -> &'static str {
    match error.code() {
        -1 => "The server experienced an unexpected error when processing the request.",
        1 => "The requested offset is not within the range of offsets maintained by the server.",
        2 => "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.",
        3 => "This server does not host this topic-partition.",
        5 => "There is no leader for this topic-partition as we are in the middle of a leadership election.",
        6 => "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
        7 => "The request timed out.",
        9 => "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.",
        10 => "The request included a message larger than the max message size the server will accept.",
        12 => "The metadata field of the offset request was too large.",
        13 => "The server disconnected before a response was received.",
        14 => "The coordinator is loading and hence can't process requests.",
        15 => "The coordinator is not available.",
        16 => "This is not the correct coordinator.",
        17 => "The request attempted to perform an operation on an invalid topic.",
        18 => "The request included message batch larger than the configured segment size on the server.",
        19 => "Messages are rejected since there are fewer in-sync replicas than required.",
        20 => "Messages are written to the log, but to fewer in-sync replicas than required.",
        21 => "Produce request specified an invalid value for required acks.",
        22 => "Specified group generation id is not valid.",
        23 => "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.",
        24 => "The group id is invalid.",
        25 => "The coordinator is not aware of this member.",
        26 => "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).",
        27 => "The group is rebalancing, so a rejoin is needed.",
        29 => "Topic authorization failed.",
        30 => "Group authorization failed.",
        31 => "Cluster authorization failed.",
        32 => "The timestamp of the message is out of acceptable range.",
        35 => "The version of API is not supported.",
        36 => "Topic with this name already exists.",
        37 => "Number of partitions is below 1.",
        38 => "Replication factor is below 1 or larger than the number of available brokers.",
        39 => "Replica assignment is invalid.",
        40 => "Configuration is invalid.",
        42 => "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
        44 => "Request parameters do not satisfy the configured policy.",
        45 => "The broker received an out of order sequence number.",
        46 => "The broker received a duplicate sequence number.",
        47 => "Producer attempted to produce with an old epoch.",
        48 => "The producer attempted a transactional operation in an invalid state.",
        49 => "The producer attempted to use a producer id which is not currently assigned to its transactional id.",
        50 => "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).",
        51 => "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.",
        52 => "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.",
        53 => "Transactional Id authorization failed.",
        56 => "Disk error when trying to access log file on the disk.",
        59 => "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception.",
        68 => "The group is not empty.",
        69 => "The group id does not exist.",
        70 => "The fetch session ID was not found.",
        71 => "The fetch session epoch is invalid.",
        72 => "There is no listener on the leader broker that matches the listener on which metadata request was processed.",
        73 => "Topic deletion is disabled.",
        74 => "The leader epoch in the request is older than the epoch on the broker.",
        75 => "The leader epoch in the request is newer than the epoch on the broker.",
        76 => "The requesting client does not support the compression type of given partition.",
        78 => "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.",
        79 => "The group member needs to have a valid member id before actually entering a consumer group.",
        81 => "The group has reached its maximum size.",
        82 => "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.",
        86 => "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.",
        87 => "This record has failed the validation on broker and hence will be rejected.",
        88 => "There are unstable offsets that need to be cleared.",
        89 => "The throttling quota has been exceeded.",
        90 => "There is a newer producer with the same transactionalId which fences the current one.",
        100 => "This server does not host this topic ID.",
        103 => "The log's topic ID did not match the topic ID in the request.",
        106 => "The fetch session encountered inconsistent topic ID usage.",
        110 => "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.",
        113 => "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.",
        120 => "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.",
        129 => "Client metadata is stale. The client should rebootstrap to obtain new metadata.",
        _ => "Unexpected error from the broker.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_messages() {
        assert_eq!(
            default_message(ResponseError::UnknownTopicOrPartition),
            "This server does not host this topic-partition."
        );
        assert_eq!(
            default_message(ResponseError::TopicAlreadyExists),
            "Topic with this name already exists."
        );
    }
}
