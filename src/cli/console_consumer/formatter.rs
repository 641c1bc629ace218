//! What one record looks like on stdout: Apache's `DefaultMessageFormatter` byte for byte (its
//! properties, field order and separator rules), the no-op formatter, and kafkit's JSON lines.
//! Writes straight into the output buffer: no allocation per record (deserializers reuse one
//! scratch buffer).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::deserializer::Deserializer;
use super::json;
use super::log;
use crate::client::consumer::ConsumerRecord;
use crate::protocol::record_decode::TimestampType;

/// Apache's formatter classes (4.x names, and the 3.x `kafka.tools` names).
const DEFAULT_CLASS: &str = "org.apache.kafka.tools.consumer.DefaultMessageFormatter";
const LOGGING_CLASS: &str = "org.apache.kafka.tools.consumer.LoggingMessageFormatter";
const NO_OP_CLASS: &str = "org.apache.kafka.tools.consumer.NoOpMessageFormatter";
const OLD_PACKAGE: &str = "kafka.tools.";
const NEW_PACKAGE: &str = "org.apache.kafka.tools.consumer.";
/// Formatters of Kafka's internal topics, which kafkit does not have.
const INTERNAL_TOPIC_FORMATTERS: &[&str] = &[
    "OffsetsMessageFormatter",
    "GroupMetadataMessageFormatter",
    "TransactionLogMessageFormatter",
];

/// Why a record could not be written.
#[derive(Debug)]
pub enum FormatError {
    /// Writing to stdout failed.
    Io(io::Error),
    /// A deserializer failed: the Java exception's `toString()`.
    Record(String),
}

impl From<io::Error> for FormatError {
    fn from(e: io::Error) -> Self {
        FormatError::Io(e)
    }
}

/// Which formatter `--formatter` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatterKind {
    Default,
    NoOp,
}

/// Resolves a `--formatter` class name. `Err` is the usage-error text (Java's
/// `ClassNotFoundException` message is the class name).
pub fn formatter_by_class(name: &str) -> Result<FormatterKind, String> {
    let current = match name.strip_prefix(OLD_PACKAGE) {
        Some(simple) if !simple.contains('.') => {
            eprintln!(
                "WARNING: {name} is deprecated and will be removed in the next major release. Please use {NEW_PACKAGE}{simple} instead"
            );
            format!("{NEW_PACKAGE}{simple}")
        }
        _ => name.to_string(),
    };
    match current.as_str() {
        // LoggingMessageFormatter prints what the default one does (its INFO log is off).
        DEFAULT_CLASS | LOGGING_CLASS => Ok(FormatterKind::Default),
        NO_OP_CLASS => Ok(FormatterKind::NoOp),
        other => match other.strip_prefix(NEW_PACKAGE) {
            Some(simple) if INTERNAL_TOPIC_FORMATTERS.contains(&simple) => Err(format!(
                "{other} formats Kafka's internal topics, which kafkit does not support"
            )),
            _ => Err(name.to_string()),
        },
    }
}

/// The output format of the whole run.
#[derive(Debug)]
pub enum Formatter {
    Default(Box<DefaultFormatter>),
    NoOp,
    Json(json::JsonFormatter),
}

impl Formatter {
    /// Writes `record` to `out`.
    #[inline]
    pub fn write<W: Write>(
        &mut self,
        record: &ConsumerRecord<'_>,
        out: &mut W,
    ) -> Result<(), FormatError> {
        match self {
            Formatter::Default(f) => f.write(record, out),
            Formatter::NoOp => Ok(()),
            Formatter::Json(f) => f.write(record, out).map_err(FormatError::Io),
        }
    }
}

/// Apache's `DefaultMessageFormatter`.
#[derive(Debug)]
pub struct DefaultFormatter {
    print_timestamp: bool,
    print_partition: bool,
    print_offset: bool,
    print_delivery: bool,
    print_epoch: bool,
    print_headers: bool,
    print_key: bool,
    print_value: bool,
    key_separator: Vec<u8>,
    line_separator: Vec<u8>,
    headers_separator: Vec<u8>,
    null_literal: Vec<u8>,
    key_deserializer: Option<Deserializer>,
    value_deserializer: Option<Deserializer>,
    headers_deserializer: Option<Deserializer>,
    scratch: Vec<u8>,
}

/// Java's boolean property rule: trimmed, case-insensitive `true`; anything else is false.
fn flag(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

impl DefaultFormatter {
    /// `configure(configs)`: properties override the defaults; a deserializer that cannot be
    /// created is logged and ignored, as in Java.
    pub fn configure(props: &BTreeMap<String, String>) -> DefaultFormatter {
        let mut f = DefaultFormatter {
            print_timestamp: false,
            print_partition: false,
            print_offset: false,
            print_delivery: false,
            print_epoch: false,
            print_headers: false,
            print_key: false,
            print_value: true,
            key_separator: b"\t".to_vec(),
            line_separator: b"\n".to_vec(),
            headers_separator: b",".to_vec(),
            null_literal: b"null".to_vec(),
            key_deserializer: None,
            value_deserializer: None,
            headers_deserializer: None,
            scratch: Vec::new(),
        };
        let flags: [(&str, &mut bool); 8] = [
            ("print.timestamp", &mut f.print_timestamp),
            ("print.key", &mut f.print_key),
            ("print.offset", &mut f.print_offset),
            ("print.delivery", &mut f.print_delivery),
            ("print.epoch", &mut f.print_epoch),
            ("print.partition", &mut f.print_partition),
            ("print.headers", &mut f.print_headers),
            ("print.value", &mut f.print_value),
        ];
        for (key, target) in flags {
            if let Some(v) = props.get(key) {
                *target = flag(v);
            }
        }
        let texts: [(&str, &mut Vec<u8>); 4] = [
            ("key.separator", &mut f.key_separator),
            ("line.separator", &mut f.line_separator),
            ("headers.separator", &mut f.headers_separator),
            ("null.literal", &mut f.null_literal),
        ];
        for (key, target) in texts {
            if let Some(v) = props.get(key) {
                *target = v.as_bytes().to_vec();
            }
        }
        f.key_deserializer = deserializer(props, "key.deserializer");
        f.value_deserializer = deserializer(props, "value.deserializer");
        f.headers_deserializer = deserializer(props, "headers.deserializer");
        f
    }

    /// Writes `bytes` (or null.literal) through `deserializer`.
    #[inline]
    fn field<W: Write>(
        &mut self,
        bytes: Option<&[u8]>,
        deserializer: Option<Deserializer>,
        out: &mut W,
    ) -> Result<(), FormatError> {
        let bytes = bytes.unwrap_or(&self.null_literal);
        match deserializer {
            None => out.write_all(bytes)?,
            Some(d) => {
                self.scratch.clear();
                d.write(bytes, &mut self.scratch)
                    .map_err(|e| FormatError::Record(e.0))?;
                out.write_all(&self.scratch)?;
            }
        }
        Ok(())
    }

    #[inline]
    fn separator<W: Write>(&self, more: bool, out: &mut W) -> io::Result<()> {
        out.write_all(if more {
            &self.key_separator
        } else {
            &self.line_separator
        })
    }

    /// `writeTo(record, output)`: the enabled fields in Apache's order, each followed by the
    /// key separator when a later field is enabled, else by the line separator.
    pub fn write<W: Write>(
        &mut self,
        record: &ConsumerRecord<'_>,
        out: &mut W,
    ) -> Result<(), FormatError> {
        let r = &record.record;
        let after_headers = self.print_key || self.print_value;
        let after_epoch = self.print_headers || after_headers;
        let after_delivery = self.print_epoch || after_epoch;
        let after_offset = self.print_delivery || after_delivery;
        let after_partition = self.print_offset || after_offset;
        let after_timestamp = self.print_partition || after_partition;
        let mut number = itoa::Buffer::new();
        if self.print_timestamp {
            if r.timestamp_type == TimestampType::NoTimestamp {
                out.write_all(b"NO_TIMESTAMP")?;
            } else {
                out.write_all(r.timestamp_type.name().as_bytes())?;
                out.write_all(b":")?;
                out.write_all(number.format(r.timestamp).as_bytes())?;
            }
            self.separator(after_timestamp, out)?;
        }
        if self.print_partition {
            out.write_all(b"Partition:")?;
            out.write_all(number.format(record.partition).as_bytes())?;
            self.separator(after_partition, out)?;
        }
        if self.print_offset {
            out.write_all(b"Offset:")?;
            out.write_all(number.format(r.offset).as_bytes())?;
            self.separator(after_offset, out)?;
        }
        if self.print_delivery {
            // The console consumer is not a share consumer: there is no delivery count.
            out.write_all(b"Delivery:NOT_PRESENT")?;
            self.separator(after_delivery, out)?;
        }
        if self.print_epoch {
            // Apache's console consumer passes records on without their leader epoch.
            out.write_all(b"Epoch:NOT_PRESENT")?;
            self.separator(after_epoch, out)?;
        }
        if self.print_headers {
            if r.headers.is_empty() {
                out.write_all(b"NO_HEADERS")?;
            } else {
                let mut headers = r.headers.iter().peekable();
                while let Some((key, value)) = headers.next() {
                    // Java holds header keys as Strings (decoded from UTF-8).
                    out.write_all(String::from_utf8_lossy(key).as_bytes())?;
                    out.write_all(b":")?;
                    self.field(value, self.headers_deserializer, out)?;
                    if headers.peek().is_some() {
                        out.write_all(&self.headers_separator)?;
                    }
                }
            }
            self.separator(after_headers, out)?;
        }
        if self.print_key {
            self.field(r.key, self.key_deserializer, out)?;
            self.separator(self.print_value, out)?;
        }
        if self.print_value {
            self.field(r.value, self.value_deserializer, out)?;
            out.write_all(&self.line_separator)?;
        }
        Ok(())
    }
}

fn deserializer(props: &BTreeMap<String, String>, key: &str) -> Option<Deserializer> {
    let name = props.get(key)?;
    let found = Deserializer::by_class(name);
    if found.is_none() {
        log::error(
            log::FORMATTER,
            &format!("Unable to instantiate a deserializer from {name}"),
            Some(&format!("java.lang.ClassNotFoundException: {name}")),
        );
    }
    found
}

#[cfg(test)]
mod tests;
