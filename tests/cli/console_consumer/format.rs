//! Formatter output, byte for byte: every DefaultMessageFormatter property, both option
//! spellings, the formatter-config file, deserializers, the no-op formatter, every codec and
//! `--output json`.

use kafka_protocol::records::Compression;

use super::*;

/// Three records in `t`: keyed with two headers (one null), keyless without headers, and a
/// null value. Returns the first timestamp.
async fn three_records(broker: &TestBroker) -> i64 {
    let mut client = broker.connect().await;
    create_topic(&mut client, "t", 1).await;
    let ts = now_ms();
    let records = [
        Rec::keyed("k1", "v1")
            .header("h1", Some("x"))
            .header("h2", None),
        Rec::value("v2"),
        Rec {
            key: Some(b"k3".to_vec()),
            ..Rec::default()
        },
    ];
    produce(&mut client, "t", 0, batch(&records, ts, Compression::None)).await;
    ts
}

async fn formatted(broker: &TestBroker, props: &[&str]) -> Output {
    let mut args = vec!["--topic", "t", "--from-beginning", "--max-messages", "3"];
    for p in props {
        args.extend(["--formatter-property", p]);
    }
    consume(broker, &args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_formatter_property() {
    let broker = TestBroker::start().await;
    let ts = three_records(&broker).await;
    let (t0, t1, t2) = (ts, ts + 1, ts + 2);

    assert_consumed(&formatted(&broker, &[]).await, "v1\nv2\nnull\n", 3);
    assert_consumed(
        &formatted(&broker, &["print.key=true"]).await,
        "k1\tv1\nnull\tv2\nk3\tnull\n",
        3,
    );
    let all = [
        "print.timestamp=true",
        "print.partition=true",
        "print.offset=true",
        "print.headers=true",
        "print.key=true",
        "print.value=true",
    ];
    assert_consumed(
        &formatted(&broker, &all).await,
        &format!(
            "CreateTime:{t0}\tPartition:0\tOffset:0\th1:x,h2:null\tk1\tv1\n\
             CreateTime:{t1}\tPartition:0\tOffset:1\tNO_HEADERS\tnull\tv2\n\
             CreateTime:{t2}\tPartition:0\tOffset:2\tNO_HEADERS\tk3\tnull\n"
        ),
        3,
    );
    let mut custom = all.to_vec();
    custom.extend([
        "key.separator=<sep>",
        "line.separator=<end>",
        "headers.separator=|",
        "null.literal=<null>",
        "print.value=false",
    ]);
    assert_consumed(
        &formatted(&broker, &custom).await,
        &format!(
            "CreateTime:{t0}<sep>Partition:0<sep>Offset:0<sep>h1:x|h2:<null><sep>k1<end>\
             CreateTime:{t1}<sep>Partition:0<sep>Offset:1<sep>NO_HEADERS<sep><null><end>\
             CreateTime:{t2}<sep>Partition:0<sep>Offset:2<sep>NO_HEADERS<sep>k3<end>"
        ),
        3,
    );
    assert_consumed(
        &formatted(&broker, &["print.value=false", "print.offset=TRUE "]).await,
        "Offset:0\nOffset:1\nOffset:2\n",
        3,
    );
    assert_consumed(
        &formatted(
            &broker,
            &[
                "print.partition=true",
                "print.delivery=true",
                "print.epoch=true",
            ],
        )
        .await,
        "Partition:0\tDelivery:NOT_PRESENT\tEpoch:NOT_PRESENT\tv1\n\
         Partition:0\tDelivery:NOT_PRESENT\tEpoch:NOT_PRESENT\tv2\n\
         Partition:0\tDelivery:NOT_PRESENT\tEpoch:NOT_PRESENT\tnull\n",
        3,
    );
    // Every flag off: nothing at all, not even newlines.
    assert_consumed(&formatted(&broker, &["print.value=false"]).await, "", 3);
    // A value containing '=' and an empty value (`key` alone).
    assert_consumed(
        &formatted(
            &broker,
            &["print.key=true", "key.separator==>", "null.literal"],
        )
        .await,
        "k1=>v1\n=>v2\nk3=>\n",
        3,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn both_spellings_and_the_config_file() {
    let broker = TestBroker::start().await;
    three_records(&broker).await;
    let out = consume(
        &broker,
        &[
            "--topic",
            "t",
            "--from-beginning",
            "--max-messages",
            "1",
            "--property",
            "print.key=true",
        ],
    )
    .await;
    assert_eq!(text(&out.stdout), "k1\tv1\n");
    assert!(text(&out.stderr).starts_with(
        "Option --property is deprecated and will be removed in a future version. Use --formatter-property instead.\n"
    ));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("formatter.properties");
    std::fs::write(
        &file,
        "print.key=true\nkey.separator=\\t|\\t\n# comment\nprint.offset = true\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = consume(
        &broker,
        &[
            "--topic",
            "t",
            "--from-beginning",
            "--max-messages",
            "2",
            "--formatter-config",
            file,
        ],
    )
    .await;
    assert_consumed(
        &out,
        "Offset:0\t|\tk1\t|\tv1\nOffset:1\t|\tnull\t|\tv2\n",
        2,
    );
    // Inline properties win over the file.
    let out = consume(
        &broker,
        &[
            "--topic",
            "t",
            "--from-beginning",
            "--max-messages",
            "1",
            "--formatter-config",
            file,
            "--formatter-property",
            "print.offset=false",
        ],
    )
    .await;
    assert_consumed(&out, "k1\t|\tv1\n", 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deserializers_and_formatter_classes() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "n", 1).await;
    let records = [
        Rec {
            key: Some(7i64.to_be_bytes().to_vec()),
            value: Some((-3i32).to_be_bytes().to_vec()),
            ..Rec::default()
        },
        Rec::keyed("short", "abc"),
        Rec {
            key: Some(9i64.to_be_bytes().to_vec()),
            value: Some(5i32.to_be_bytes().to_vec()),
            ..Rec::default()
        },
    ];
    produce(
        &mut client,
        "n",
        0,
        batch(&records, now_ms(), Compression::None),
    )
    .await;
    let base = [
        "--topic",
        "n",
        "--from-beginning",
        "--max-messages",
        "3",
        "--key-deserializer",
        "org.apache.kafka.common.serialization.LongDeserializer",
        "--value-deserializer",
        "org.apache.kafka.common.serialization.IntegerDeserializer",
        "--formatter-property",
        "print.key=true",
    ];
    // The second record fails in the key deserializer: without --skip-message-on-error the run
    // stops (after counting it), prints the count, then the error, and exits 1.
    let out = consume(&broker, &base).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "7\t-3\n");
    let stderr = text(&out.stderr);
    let processed = stderr.find("Processed a total of 2 messages\n").unwrap();
    let error = stderr.find("ERROR Unknown error when running consumer:  (org.apache.kafka.tools.consumer.ConsoleConsumer)\norg.apache.kafka.common.errors.SerializationException: Size of data received by LongDeserializer is not 8\n").unwrap();
    assert!(processed < error, "{stderr}");

    let mut skipping = base.to_vec();
    skipping.push("--skip-message-on-error");
    let out = consume(&broker, &skipping).await;
    assert_consumed(&out, "7\t-3\n9\t5\n", 3);
    assert!(text(&out.stderr).contains("ERROR Error processing message, skipping this message:  (org.apache.kafka.tools.consumer.ConsoleConsumer)\norg.apache.kafka.common.errors.SerializationException: Size of data received by LongDeserializer is not 8\n"));

    // An unknown deserializer is logged and ignored: raw bytes.
    let out = consume(
        &broker,
        &[
            "--topic",
            "n",
            "--from-beginning",
            "--max-messages",
            "3",
            "--value-deserializer",
            "com.example.Nope",
            "--formatter",
            "org.apache.kafka.tools.consumer.NoOpMessageFormatter",
        ],
    )
    .await;
    assert_consumed(&out, "", 3);
    let out = consume(
        &broker,
        &[
            "--topic",
            "n",
            "--max-messages",
            "1",
            "--from-beginning",
            "--value-deserializer",
            "com.example.Nope",
        ],
    )
    .await;
    assert_eq!(
        out.stdout,
        [(-3i32).to_be_bytes().as_slice(), b"\n"].concat()
    );
    assert!(text(&out.stderr).contains("ERROR Unable to instantiate a deserializer from com.example.Nope (org.apache.kafka.tools.consumer.DefaultMessageFormatter)\njava.lang.ClassNotFoundException: com.example.Nope\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_codec() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "c", 1).await;
    let mut expected = String::new();
    for (i, codec) in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ]
    .into_iter()
    .enumerate()
    {
        let records: Vec<Rec> = (0..50)
            .map(|j| {
                Rec::keyed(
                    &format!("k{i}-{j}"),
                    &format!("{codec:?} value {j} {}", "x".repeat(j)),
                )
            })
            .collect();
        for r in &records {
            expected.push_str(&format!(
                "{}\t{}\n",
                text(r.key.as_ref().unwrap()),
                text(r.value.as_ref().unwrap())
            ));
        }
        produce(&mut client, "c", 0, batch(&records, now_ms(), codec)).await;
    }
    let out = consume(
        &broker,
        &[
            "--topic",
            "c",
            "--from-beginning",
            "--max-messages",
            "250",
            "--formatter-property",
            "print.key=true",
        ],
    )
    .await;
    assert_consumed(&out, &expected, 250);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "j", 1).await;
    let ts = now_ms();
    let records = [
        Rec::keyed("k", "line \"one\"\n")
            .header("h", Some("v"))
            .header("n", None),
        Rec {
            value: Some(vec![0xff, 0x00, 0x80]),
            ..Rec::default()
        },
    ];
    produce(&mut client, "j", 0, batch(&records, ts, Compression::Lz4)).await;
    let out = consume(
        &broker,
        &[
            "--topic",
            "j",
            "--from-beginning",
            "--max-messages",
            "2",
            "--output",
            "json",
        ],
    )
    .await;
    assert_consumed(
        &out,
        &format!(
            "{{\"topic\":\"j\",\"partition\":0,\"offset\":0,\"timestamp\":{ts},\"timestamp_type\":\"CreateTime\",\"key\":\"k\",\"value\":\"line \\\"one\\\"\\n\",\"headers\":[[\"h\",\"v\"],[\"n\",null]]}}\n\
             {{\"topic\":\"j\",\"partition\":0,\"offset\":1,\"timestamp\":{},\"timestamp_type\":\"CreateTime\",\"key\":null,\"value\":{{\"base64\":\"/wCA\"}},\"headers\":[]}}\n",
            ts + 1
        ),
        2,
    );
    for line in text(&out.stdout).lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    let out = consume(
        &broker,
        &[
            "--topic",
            "j",
            "--output",
            "json",
            "--formatter",
            "org.apache.kafka.tools.consumer.DefaultMessageFormatter",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("Option --output json cannot be used with --formatter\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn log_append_time_topics() {
    use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let request = kafka_protocol::messages::CreateTopicsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_static_str("lat")))
            .with_num_partitions(1)
            .with_replication_factor(1)
            .with_configs(vec![CreatableTopicConfig::default()
                .with_name(StrBytes::from_static_str("message.timestamp.type"))
                .with_value(Some(StrBytes::from_static_str("LogAppendTime")))])]);
    assert_eq!(client.send(request, 7).await.topics[0].error_code, 0);
    let before = now_ms();
    produce(
        &mut client,
        "lat",
        0,
        batch(
            &[Rec::value("a"), Rec::value("b")],
            1_000,
            Compression::None,
        ),
    )
    .await;
    let after = now_ms();
    let out = consume(
        &broker,
        &[
            "--topic",
            "lat",
            "--from-beginning",
            "--max-messages",
            "2",
            "--formatter-property",
            "print.timestamp=true",
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    let stamps: Vec<i64> = stdout
        .lines()
        .map(|l| {
            let (kind, rest) = l.split_once(':').unwrap();
            assert_eq!(kind, "LogAppendTime", "{stdout}");
            rest.split_once('\t').unwrap().0.parse().unwrap()
        })
        .collect();
    assert_eq!(stamps.len(), 2);
    // The broker's append time, the same for the whole batch, not the records' 1000 and 1001.
    assert_eq!(stamps[0], stamps[1]);
    assert!((before..=after).contains(&stamps[0]), "{stdout}");
}
