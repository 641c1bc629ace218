//! The `Consumer` API as a group-membership component will drive it: assign, seek, poll with a
//! handler that stops, positions to commit, reassignment, and the reset policies.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::records::Compression;
use kafkit::client::consumer::{
    Consumer, ConsumerConfig, OffsetReset, StartPosition, TopicPartition, TopicSelection,
};
use kafkit::client::{ClientConfig, Cluster};

use crate::cli::console_consumer::{batch, create_topic, now_ms, produce, Rec};
use crate::common::TestBroker;

const WAIT: Duration = Duration::from_secs(10);

fn consumer(broker: &TestBroker, config: ConsumerConfig) -> Consumer {
    let cluster = Cluster::new(ClientConfig::new(&broker.addr.to_string())).unwrap();
    Consumer::new(Arc::new(cluster), config)
}

/// `topic` with 2 partitions of 5 records each, values `<partition>:<offset>`.
async fn two_partitions(broker: &TestBroker, topic: &str) {
    let mut client = broker.connect().await;
    create_topic(&mut client, topic, 2).await;
    for p in 0..2 {
        let records: Vec<Rec> = (0..5).map(|o| Rec::value(&format!("{p}:{o}"))).collect();
        produce(
            &mut client,
            topic,
            p,
            batch(&records, now_ms(), Compression::Gzip),
        )
        .await;
    }
}

/// Polls until `want` records arrived (stopping exactly there), returning their values.
async fn take(consumer: &mut Consumer, want: usize) -> Vec<String> {
    let mut seen = Vec::new();
    while seen.len() < want {
        let n = consumer
            .poll(WAIT, |r| {
                seen.push(String::from_utf8_lossy(r.record.value.unwrap_or_default()).into_owned());
                if seen.len() == want {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await
            .unwrap();
        assert!(n > 0, "nothing arrived within {WAIT:?}");
    }
    seen
}

#[tokio::test]
async fn assign_seek_poll_and_positions() {
    let broker = TestBroker::start().await;
    two_partitions(&broker, "a").await;
    let p0 = TopicPartition::new("a", 0);
    let p1 = TopicPartition::new("a", 1);
    let mut c = consumer(&broker, ConsumerConfig::default());
    c.assign([p0.clone(), p1.clone()]);
    // As committed offsets would be: p0 from 3; p1 has none and starts from its beginning.
    c.seek(&p0, StartPosition::Offset(3));
    c.seek(&p1, StartPosition::Earliest);
    let mut seen = take(&mut c, 4).await;
    // Stopping after 4 records leaves exactly those consumed: positions add up to 4 records.
    let positions = c.positions();
    let consumed: i64 = positions
        .iter()
        .map(|(tp, o)| o - if *tp == p0 { 3 } else { 0 })
        .sum();
    assert_eq!(consumed, 4, "{positions:?}");
    seen.extend(take(&mut c, 3).await);
    seen.sort();
    assert_eq!(seen, ["0:3", "0:4", "1:0", "1:1", "1:2", "1:3", "1:4"]);
    assert_eq!(c.positions(), vec![(p0.clone(), 5), (p1.clone(), 5)]);
    let offsets = c.offsets(&p1).unwrap();
    assert_eq!((offsets.high_watermark, offsets.log_start_offset), (5, 0));

    // Seeking back re-delivers; a reassignment drops the partition no longer assigned.
    c.seek(&p1, StartPosition::Offset(4));
    assert_eq!(take(&mut c, 1).await, ["1:4"]);
    c.assign([p0.clone()]);
    assert_eq!(c.assignment(), vec![p0.clone()]);
    assert_eq!(c.positions(), vec![(p0, 5)]);
    // Caught up: a poll times out with nothing.
    assert_eq!(
        c.poll(Duration::from_millis(300), |_| ControlFlow::Continue(()))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn reset_policies() {
    let broker = TestBroker::start().await;
    two_partitions(&broker, "r").await;
    let p0 = TopicPartition::new("r", 0);

    let mut latest = consumer(&broker, ConsumerConfig::default());
    latest.assign([p0.clone()]);
    assert_eq!(
        latest
            .poll(Duration::from_millis(500), |_| ControlFlow::Continue(()))
            .await
            .unwrap(),
        0
    );
    assert_eq!(latest.positions(), vec![(p0.clone(), 5)]);

    let none = ConsumerConfig {
        auto_offset_reset: OffsetReset::None,
        ..ConsumerConfig::default()
    };
    let mut strict = consumer(&broker, none.clone());
    strict.assign([p0.clone()]);
    let error = strict
        .poll(WAIT, |_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Undefined offset with no reset policy for partitions: [r-0]"
    );
    // Out of range with no policy is an error too; with `earliest` it starts over.
    let mut strict = consumer(&broker, none);
    strict.assign([p0.clone()]);
    strict.seek(&p0, StartPosition::Offset(50));
    let error = strict
        .poll(WAIT, |_| ControlFlow::Continue(()))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is out of range for partition r-0"),
        "{error}"
    );
    let mut earliest = consumer(
        &broker,
        ConsumerConfig {
            auto_offset_reset: OffsetReset::Earliest,
            ..ConsumerConfig::default()
        },
    );
    earliest.assign([p0.clone()]);
    earliest.seek(&p0, StartPosition::Offset(50));
    assert_eq!(
        take(&mut earliest, 5).await,
        ["0:0", "0:1", "0:2", "0:3", "0:4"]
    );
}

#[tokio::test]
async fn subscriptions_assign_every_matching_partition() {
    let broker = TestBroker::start().await;
    two_partitions(&broker, "s1").await;
    two_partitions(&broker, "other").await;
    let mut c = consumer(
        &broker,
        ConsumerConfig {
            auto_offset_reset: OffsetReset::Earliest,
            ..ConsumerConfig::default()
        },
    );
    c.subscribe(TopicSelection::pattern("s.*").unwrap());
    assert_eq!(take(&mut c, 10).await.len(), 10);
    assert_eq!(
        c.assignment(),
        vec![TopicPartition::new("s1", 0), TopicPartition::new("s1", 1)]
    );
}
