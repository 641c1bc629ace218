//! `--output json`: one JSON object per record and line,
//! `{"topic","partition","offset","timestamp","timestamp_type","key","value","headers":[[k,v],...]}`.
//! Byte fields that are UTF-8 are JSON strings; others are `{"base64":"..."}`; nulls are `null`.
//! This is the envelope the console producer's `--input json` reads back. Written directly into
//! the output buffer with no allocation per record.

use std::io::{self, Write};

use base64::Engine;

use crate::client::consumer::ConsumerRecord;

/// JSON output state: a reusable buffer for base64 text.
#[derive(Debug, Default)]
pub struct JsonFormatter {
    base64: String,
}

impl JsonFormatter {
    pub fn write<W: Write>(&mut self, record: &ConsumerRecord<'_>, out: &mut W) -> io::Result<()> {
        let r = &record.record;
        let mut number = itoa::Buffer::new();
        out.write_all(b"{\"topic\":")?;
        write_string(record.topic.as_bytes(), out)?;
        out.write_all(b",\"partition\":")?;
        out.write_all(number.format(record.partition).as_bytes())?;
        out.write_all(b",\"offset\":")?;
        out.write_all(number.format(r.offset).as_bytes())?;
        out.write_all(b",\"timestamp\":")?;
        out.write_all(number.format(r.timestamp).as_bytes())?;
        out.write_all(b",\"timestamp_type\":\"")?;
        out.write_all(r.timestamp_type.name().as_bytes())?;
        out.write_all(b"\",\"key\":")?;
        self.bytes(r.key, out)?;
        out.write_all(b",\"value\":")?;
        self.bytes(r.value, out)?;
        out.write_all(b",\"headers\":[")?;
        for (i, (key, value)) in r.headers.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"[")?;
            self.bytes(Some(key), out)?;
            out.write_all(b",")?;
            self.bytes(value, out)?;
            out.write_all(b"]")?;
        }
        out.write_all(b"]}\n")
    }

    fn bytes<W: Write>(&mut self, data: Option<&[u8]>, out: &mut W) -> io::Result<()> {
        match data {
            None => out.write_all(b"null"),
            Some(data) if std::str::from_utf8(data).is_ok() => write_string(data, out),
            Some(data) => {
                self.base64.clear();
                base64::engine::general_purpose::STANDARD.encode_string(data, &mut self.base64);
                out.write_all(b"{\"base64\":\"")?;
                out.write_all(self.base64.as_bytes())?;
                out.write_all(b"\"}")
            }
        }
    }
}

/// A JSON string of valid UTF-8 `text`: quotes, backslashes and control characters escaped.
fn write_string<W: Write>(text: &[u8], out: &mut W) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            _ => continue,
        };
        out.write_all(&text[start..i])?;
        out.write_all(escape)?;
        start = i + 1;
    }
    out.write_all(&text[start..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = Vec::new();
        write_string("a\"b\\c\nd\u{1}é".as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_base64() {
        let mut f = JsonFormatter::default();
        let mut out = Vec::new();
        f.bytes(Some(b"\xff\x00"), &mut out).unwrap();
        f.bytes(None, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"base64":"/wA="}null"#);
    }
}
