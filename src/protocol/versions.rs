//! The API versions the bundled broker implements, and version negotiation helpers. Only APIs with
//! a handler are listed: advertising an API and mis-implementing it is worse than leaving it out.

use kafka_protocol::messages::ApiKey;

/// One advertised API: key and inclusive version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRange {
    pub key: ApiKey,
    pub min: i16,
    pub max: i16,
}

const fn range(key: ApiKey, min: i16, max: i16) -> ApiRange {
    ApiRange { key, min, max }
}

/// What the broker advertises in ApiVersions, with Apache Kafka 4.x's minimums. Produce keeps
/// min 0 because librdkafka disables compression otherwise (KAFKA-18659); v0–2 are still refused.
pub const BROKER_APIS: &[ApiRange] = &[
    range(ApiKey::Produce, 0, 13),
    range(ApiKey::Fetch, 4, 17),
    range(ApiKey::ListOffsets, 1, 10),
    range(ApiKey::Metadata, 0, 13),
    range(ApiKey::ApiVersions, 0, 4),
    range(ApiKey::CreateTopics, 2, 7),
    range(ApiKey::DeleteTopics, 1, 6),
    range(ApiKey::InitProducerId, 0, 5),
    range(ApiKey::DescribeConfigs, 1, 4),
    range(ApiKey::AlterConfigs, 0, 2),
    range(ApiKey::CreatePartitions, 0, 3),
    range(ApiKey::IncrementalAlterConfigs, 0, 1),
    range(ApiKey::DescribeCluster, 0, 2),
    range(ApiKey::DescribeTopicPartitions, 0, 0),
    // SASL (answered by the connection's SASL gate) and SCRAM credential administration.
    range(ApiKey::SaslHandshake, 0, 1),
    range(ApiKey::SaslAuthenticate, 0, 2),
    range(ApiKey::DescribeUserScramCredentials, 0, 0),
    range(ApiKey::AlterUserScramCredentials, 0, 0),
    // The classic group coordinator; KIP-848's ConsumerGroupHeartbeat/Describe are left out, so
    // clients and tools use these.
    range(ApiKey::OffsetCommit, 2, 9),
    range(ApiKey::OffsetFetch, 1, 9),
    range(ApiKey::FindCoordinator, 0, 6),
    range(ApiKey::JoinGroup, 0, 9),
    range(ApiKey::Heartbeat, 0, 4),
    range(ApiKey::LeaveGroup, 0, 5),
    range(ApiKey::SyncGroup, 0, 5),
    range(ApiKey::DescribeGroups, 0, 6),
    range(ApiKey::ListGroups, 0, 5),
    range(ApiKey::DeleteGroups, 0, 2),
    range(ApiKey::OffsetDelete, 0, 0),
];

/// The lowest Produce version the broker really accepts (v0–2 carry old message formats).
pub const PRODUCE_MIN_ACCEPTED: i16 = 3;

/// The advertised range for `key`, if the broker implements it.
pub fn broker_range(key: ApiKey) -> Option<ApiRange> {
    BROKER_APIS.iter().copied().find(|r| r.key == key)
}

/// Whether a request at `version` of `key` is served (the connection is closed otherwise).
pub fn broker_accepts(key: ApiKey, version: i16) -> bool {
    let floor = if key == ApiKey::Produce {
        PRODUCE_MIN_ACCEPTED
    } else {
        i16::MIN
    };
    broker_range(key).is_some_and(|r| version >= r.min.max(floor) && version <= r.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_ranges_are_within_what_the_codec_supports() {
        for r in BROKER_APIS {
            let codec = r.key.valid_versions();
            // Produce v0-2 are advertised but never decoded (see BROKER_APIS).
            let min = if r.key == ApiKey::Produce {
                PRODUCE_MIN_ACCEPTED
            } else {
                r.min
            };
            assert!(min >= codec.min && r.max <= codec.max, "{:?}", r.key);
        }
        assert!(broker_accepts(ApiKey::Produce, 3));
        assert!(!broker_accepts(ApiKey::Produce, 2));
        assert!(!broker_accepts(ApiKey::Fetch, 3));
        assert!(!broker_accepts(ApiKey::ConsumerGroupHeartbeat, 0));
    }
}
