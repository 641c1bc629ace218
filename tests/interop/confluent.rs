//! confluent-kafka (librdkafka 2.x via PyPI) against the broker: AdminClient topic management and
//! offsets by time, and the idempotent acks=all producer under every compression codec.

use super::peers;
use super::{bootstrap, create_topic};
use crate::common::TestBroker;

const CODECS: [&str; 5] = ["none", "gzip", "snappy", "lz4", "zstd"];
const CODEC_TOPIC_PREFIX: &str = "codec-";
const CODEC_PARTITIONS: i32 = 3;
/// Records per codec: enough for many batches per partition.
const RECORDS_PER_CODEC: u64 = 3000;

#[tokio::test(flavor = "multi_thread")]
async fn confluent_admin_manages_topics_and_lists_offsets_by_time() {
    let test = "confluent_admin_manages_topics_and_lists_offsets_by_time";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    let result = peers::run_script(
        &python,
        "confluent_admin.py",
        ["--bootstrap", &bootstrap(broker.addr), "--prefix", "admin-"],
    )
    .await;
    assert_eq!(result["created"], 3, "{result}");
    assert_eq!(result["deleted"], 3, "{result}");
    // The by-time answers are checked in the script; the Rust side pins the main ones again so
    // the summary cannot drift from what was asserted.
    assert_eq!(
        result["by_time"]["latest"],
        serde_json::json!([10, -1]),
        "{result}"
    );
    assert_eq!(
        result["by_time"]["past_all"],
        serde_json::json!([-1, -1]),
        "{result}"
    );
    for name in ["admin-multi", "admin-compact", "admin-bytime"] {
        assert!(
            !broker.path().join(format!("{name}-0")).exists(),
            "{name}-0 still on disk after delete"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_idempotent_producer_round_trips_every_codec() {
    let test = "confluent_idempotent_producer_round_trips_every_codec";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    for codec in CODECS {
        create_topic(
            broker.addr,
            &format!("{CODEC_TOPIC_PREFIX}{codec}"),
            CODEC_PARTITIONS,
            &[],
        )
        .await;
    }
    let count = RECORDS_PER_CODEC.to_string();
    let codecs = CODECS.join(",");
    let result = peers::run_script(
        &python,
        "confluent_codecs.py",
        [
            "--bootstrap",
            &bootstrap(broker.addr),
            "--topic-prefix",
            CODEC_TOPIC_PREFIX,
            "--count",
            &count,
            "--codecs",
            &codecs,
        ],
    )
    .await;
    for codec in CODECS {
        assert_eq!(
            result["codecs"][codec]["records"], RECORDS_PER_CODEC,
            "{codec}: {result}"
        );
        assert!(
            result["codecs"][codec]["partitions_used"].as_u64() > Some(1),
            "{codec}: {result}"
        );
    }
}
