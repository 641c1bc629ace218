//! kafka-python (pure Python, PyPI) against the broker: acks=all produce, uncompressed and gzip,
//! read back with an assign()-based consumer. Group consumers come with the group coordinator.

use super::peers;
use super::{bootstrap, create_topic};
use crate::common::TestBroker;

const TOPIC: &str = "kafka-python";
const PARTITIONS: i32 = 3;
const RECORDS: u64 = 2000;

#[tokio::test(flavor = "multi_thread")]
async fn kafka_python_produces_and_consumes() {
    let test = "kafka_python_produces_and_consumes";
    let Some(python) = peers::python_with("kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = TestBroker::start().await;
    create_topic(broker.addr, TOPIC, PARTITIONS, &[]).await;
    let count = RECORDS.to_string();
    let result = peers::run_script(
        &python,
        "kafka_python_roundtrip.py",
        [
            "--bootstrap",
            &bootstrap(broker.addr),
            "--topic",
            TOPIC,
            "--count",
            &count,
        ],
    )
    .await;
    assert_eq!(result["records"], RECORDS, "{result}");
    assert!(result["partitions_used"].as_u64() > Some(1), "{result}");
}
