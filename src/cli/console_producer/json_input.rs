//! `--input json` (a kafkit extension): one JSON object per line, the envelope that
//! `kafka-console-consumer --output json` writes:
//! `{"topic","partition","offset","timestamp","timestamp_type","key","value","headers":[[k,v],...]}`.
//! `key`, `value` and header keys and values are a string (UTF-8), `null` (not for header keys),
//! or `{"base64":"..."}` for bytes that are not UTF-8. Only key, value, headers, partition and
//! timestamp are used; the records go to `--topic`; offset, topic and timestamp_type are ignored.

use std::borrow::Cow;

use base64::Engine;
use serde::Deserialize;

/// A key, value or header value as the envelope writes it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Data<'a> {
    #[serde(borrow)]
    Text(Cow<'a, str>),
    Bytes {
        base64: String,
    },
}

#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    partition: Option<i32>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default, borrow)]
    key: Option<Data<'a>>,
    #[serde(default, borrow)]
    value: Option<Data<'a>>,
    #[serde(default, borrow)]
    headers: Option<Vec<(Data<'a>, Option<Data<'a>>)>>,
}

/// A header: its name and value.
pub type JsonHeader<'a> = (Cow<'a, [u8]>, Option<Cow<'a, [u8]>>);

/// One record read from a JSON line (owned only where the line had escapes or base64).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct JsonRecord<'a> {
    pub partition: Option<i32>,
    pub timestamp: Option<i64>,
    pub key: Option<Cow<'a, [u8]>>,
    pub value: Option<Cow<'a, [u8]>>,
    pub headers: Vec<JsonHeader<'a>>,
}

fn bytes<'a>(data: Data<'a>, field: &str) -> Result<Cow<'a, [u8]>, String> {
    match data {
        Data::Text(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s.as_bytes())),
        Data::Text(Cow::Owned(s)) => Ok(Cow::Owned(s.into_bytes())),
        Data::Bytes { base64 } => base64::engine::general_purpose::STANDARD
            .decode(base64.as_bytes())
            .map(Cow::Owned)
            .map_err(|e| format!("invalid base64 in {field}: {e}")),
    }
}

/// Parses one JSON line (number `line_number`).
pub fn parse(line: &str, line_number: u64) -> Result<JsonRecord<'_>, String> {
    let envelope: Envelope<'_> = serde_json::from_str(line)
        .map_err(|e| format!("Invalid JSON record on line number {line_number}: {e}"))?;
    let on_line = |e: String| format!("Invalid JSON record on line number {line_number}: {e}");
    let key = envelope
        .key
        .map(|k| bytes(k, "key"))
        .transpose()
        .map_err(on_line)?;
    let value = envelope
        .value
        .map(|v| bytes(v, "value"))
        .transpose()
        .map_err(on_line)?;
    let mut headers = Vec::new();
    for (name, value) in envelope.headers.unwrap_or_default() {
        let name = bytes(name, "a header key").map_err(on_line)?;
        let value = value
            .map(|v| bytes(v, "a header value"))
            .transpose()
            .map_err(on_line)?;
        headers.push((name, value));
    }
    Ok(JsonRecord {
        partition: envelope.partition,
        timestamp: envelope.timestamp,
        key,
        value,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_envelope_round_trip() {
        let line = r#"{"topic":"t","partition":2,"offset":7,"timestamp":1700000000000,"timestamp_type":"CreateTime","key":"k","value":{"base64":"/wA="},"headers":[["h1","v1"],["h2",null]]}"#;
        let record = parse(line, 1).unwrap();
        assert_eq!(record.partition, Some(2));
        assert_eq!(record.timestamp, Some(1_700_000_000_000));
        assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(record.value.as_deref(), Some(&[0xff, 0x00][..]));
        assert_eq!(record.headers.len(), 2);
        assert_eq!(record.headers[0].1.as_deref(), Some(&b"v1"[..]));
        assert_eq!(record.headers[1].1, None);
    }

    #[test]
    fn minimal_and_invalid() {
        let record = parse(r#"{"value":"a\tb"}"#, 1).unwrap();
        assert_eq!(record.key, None);
        assert_eq!(record.value.as_deref(), Some(&b"a\tb"[..]));
        assert_eq!(record.partition, None);
        let e = parse("nope", 3).unwrap_err();
        assert!(
            e.starts_with("Invalid JSON record on line number 3: "),
            "{e}"
        );
        let e = parse(r#"{"value":{"base64":"!!"}}"#, 4).unwrap_err();
        assert!(e.contains("invalid base64 in value"), "{e}");
    }
}
