//! The formatter against Apache's `DefaultMessageFormatterTest` expectations.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record as Encoded, RecordBatchEncoder, RecordEncodeOptions, TimestampType as Ts,
};

use super::*;
use crate::protocol::record_decode::BatchCursor;

/// Encodes one record at offset 123 with timestamp 123 and decodes it again.
fn with_record(
    key: Option<&str>,
    value: Option<&str>,
    headers: &[(&str, Option<&str>)],
    check: impl FnOnce(&ConsumerRecord<'_>),
) {
    let mut map = IndexMap::new();
    for (k, v) in headers {
        map.insert(
            StrBytes::from_string(k.to_string()),
            v.map(|v| Bytes::from(v.to_string())),
        );
    }
    let record = Encoded {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: Ts::Creation,
        offset: 123,
        sequence: -1,
        timestamp: 123,
        key: key.map(|k| Bytes::from(k.to_string())),
        value: value.map(|v| Bytes::from(v.to_string())),
        headers: map,
    };
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        [&record],
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    let mut scratch = Vec::new();
    let batch = BatchCursor::new().next(&buf).unwrap().unwrap();
    let decoded = batch
        .records(&mut scratch)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    check(&ConsumerRecord {
        topic: "topic",
        partition: 0,
        record: decoded,
    });
}

fn format(props: &[(&str, &str)], record: &ConsumerRecord<'_>) -> String {
    let props: BTreeMap<String, String> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut formatter = DefaultFormatter::configure(&props);
    let mut out = Vec::new();
    formatter.write(record, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

const ALL: &[(&str, &str)] = &[
    ("print.timestamp", "true"),
    ("print.partition", "true"),
    ("print.offset", "true"),
    ("print.headers", "true"),
    ("print.key", "true"),
    ("print.value", "true"),
];

#[test]
fn defaults_print_the_value() {
    with_record(Some("key"), Some("value"), &[], |r| {
        assert_eq!(format(&[], r), "value\n");
        assert_eq!(format(&[("print.key", "true")], r), "key\tvalue\n");
        assert_eq!(format(&[("print.key", " TRUE ")], r), "key\tvalue\n");
        assert_eq!(format(&[("print.key", "yes")], r), "value\n");
    });
}

#[test]
fn every_field() {
    with_record(Some("key"), Some("value"), &[], |r| {
        assert_eq!(
            format(ALL, r),
            "CreateTime:123\tPartition:0\tOffset:123\tNO_HEADERS\tkey\tvalue\n"
        );
    });
    with_record(
        Some("key"),
        Some("value"),
        &[("h1", Some("v1")), ("h2", Some("v2"))],
        |r| {
            assert_eq!(
                format(ALL, r),
                "CreateTime:123\tPartition:0\tOffset:123\th1:v1,h2:v2\tkey\tvalue\n"
            );
            let mut props = ALL.to_vec();
            props.push(("print.value", "false"));
            assert_eq!(
                format(&props, r),
                "CreateTime:123\tPartition:0\tOffset:123\th1:v1,h2:v2\tkey\n"
            );
        },
    );
}

#[test]
fn separators_and_null_literal() {
    with_record(
        Some("KEY"),
        None,
        &[("h1", Some("V1")), ("h2", Some("V2"))],
        |r| {
            let mut props = ALL.to_vec();
            props.extend([
                ("key.separator", "<sep>"),
                ("line.separator", "<end>"),
                ("headers.separator", "|"),
                ("null.literal", "<null>"),
            ]);
            assert_eq!(
                format(&props, r),
                "CreateTime:123<sep>Partition:0<sep>Offset:123<sep>h1:V1|h2:V2<sep>KEY<sep><null><end>"
            );
        },
    );
}

#[test]
fn null_header_values_and_keys_and_no_fields() {
    with_record(None, Some("v"), &[("h", None)], |r| {
        assert_eq!(
            format(&[("print.headers", "true"), ("print.key", "true")], r),
            "h:null\tnull\tv\n"
        );
        assert_eq!(format(&[("print.value", "false")], r), "");
        assert_eq!(
            format(&[("print.value", "false"), ("print.offset", "true")], r),
            "Offset:123\n"
        );
        assert_eq!(
            format(&[("print.delivery", "true"), ("print.epoch", "true")], r),
            "Delivery:NOT_PRESENT\tEpoch:NOT_PRESENT\tv\n"
        );
    });
}

#[test]
fn deserializers() {
    with_record(Some("k"), Some("\u{0}\u{0}\u{0}\u{7}"), &[], |r| {
        assert_eq!(
            format(
                &[(
                    "value.deserializer",
                    "org.apache.kafka.common.serialization.IntegerDeserializer"
                )],
                r
            ),
            "7\n"
        );
        let props: BTreeMap<String, String> = [
            (
                "key.deserializer".to_string(),
                "org.apache.kafka.common.serialization.LongDeserializer".to_string(),
            ),
            ("print.key".to_string(), "true".to_string()),
        ]
        .into_iter()
        .collect();
        let mut formatter = DefaultFormatter::configure(&props);
        let mut out = Vec::new();
        match formatter.write(r, &mut out) {
            Err(FormatError::Record(e)) => assert_eq!(
                e,
                "org.apache.kafka.common.errors.SerializationException: Size of data received by LongDeserializer is not 8"
            ),
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty());
    });
}

#[test]
fn formatter_classes() {
    assert_eq!(
        formatter_by_class("org.apache.kafka.tools.consumer.DefaultMessageFormatter"),
        Ok(FormatterKind::Default)
    );
    assert_eq!(
        formatter_by_class("kafka.tools.NoOpMessageFormatter"),
        Ok(FormatterKind::NoOp)
    );
    assert_eq!(
        formatter_by_class("com.example.Mine"),
        Err("com.example.Mine".to_string())
    );
    assert!(formatter_by_class("org.apache.kafka.tools.consumer.OffsetsMessageFormatter").is_err());
}
