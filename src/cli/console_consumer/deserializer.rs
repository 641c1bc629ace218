//! The Java deserializers Apache's formatter can be given (`key.deserializer`,
//! `value.deserializer`, `headers.deserializer`, `--key-deserializer`, `--value-deserializer`),
//! re-implemented for the types Kafka ships: the formatter prints `deserialize(bytes).toString()`
//! in UTF-8, so each one here writes exactly that text, or fails with the exception Java throws.
//! Owns the byte-to-text rules only.

use std::io::Write;

/// Kafka's serialization package.
const PACKAGE: &str = "org.apache.kafka.common.serialization.";
const SERIALIZATION_EXCEPTION: &str = "org.apache.kafka.common.errors.SerializationException";

/// A deserializer class Kafka ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deserializer {
    String,
    /// `byte[]`'s `toString()` is an identity hash (`[B@1b6d3586`): not reproducible, so the
    /// raw bytes are written, as without a deserializer.
    ByteArray,
    ByteBuffer,
    Bytes,
    Integer,
    Long,
    Short,
    Float,
    Double,
    Boolean,
    Uuid,
    Void,
}

/// A deserialization failure: the Java exception's `toString()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeserializeError(pub String);

fn serialization(message: &str) -> DeserializeError {
    DeserializeError(format!("{SERIALIZATION_EXCEPTION}: {message}"))
}

impl Deserializer {
    /// The deserializer named by a Java class name, if Kafka ships it.
    pub fn by_class(name: &str) -> Option<Deserializer> {
        let simple = name.strip_prefix(PACKAGE)?;
        Some(match simple {
            "StringDeserializer" => Deserializer::String,
            "ByteArrayDeserializer" => Deserializer::ByteArray,
            "ByteBufferDeserializer" => Deserializer::ByteBuffer,
            "BytesDeserializer" => Deserializer::Bytes,
            "IntegerDeserializer" => Deserializer::Integer,
            "LongDeserializer" => Deserializer::Long,
            "ShortDeserializer" => Deserializer::Short,
            "FloatDeserializer" => Deserializer::Float,
            "DoubleDeserializer" => Deserializer::Double,
            "BooleanDeserializer" => Deserializer::Boolean,
            "UUIDDeserializer" => Deserializer::Uuid,
            "VoidDeserializer" => Deserializer::Void,
            _ => return None,
        })
    }

    /// Appends the text Java would print for `data` to `out` (which may already hold text).
    pub fn write(self, data: &[u8], out: &mut Vec<u8>) -> Result<(), DeserializeError> {
        fn fixed<const N: usize>(data: &[u8], message: &str) -> Result<[u8; N], DeserializeError> {
            data.try_into().map_err(|_| serialization(message))
        }
        match self {
            Deserializer::String => {
                out.extend_from_slice(String::from_utf8_lossy(data).as_bytes());
            }
            Deserializer::ByteArray => out.extend_from_slice(data),
            Deserializer::ByteBuffer => {
                let _ = write!(
                    out,
                    "java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]",
                    data.len()
                );
            }
            Deserializer::Bytes => write_bytes_to_string(data, out),
            Deserializer::Integer => {
                let raw = fixed::<4>(
                    data,
                    "Size of data received by IntegerDeserializer is not 4",
                )?;
                let mut b = itoa::Buffer::new();
                out.extend_from_slice(b.format(i32::from_be_bytes(raw)).as_bytes());
            }
            Deserializer::Long => {
                let raw = fixed::<8>(data, "Size of data received by LongDeserializer is not 8")?;
                let mut b = itoa::Buffer::new();
                out.extend_from_slice(b.format(i64::from_be_bytes(raw)).as_bytes());
            }
            Deserializer::Short => {
                let raw = fixed::<2>(data, "Size of data received by ShortDeserializer is not 2")?;
                let mut b = itoa::Buffer::new();
                out.extend_from_slice(b.format(i16::from_be_bytes(raw)).as_bytes());
            }
            Deserializer::Float => {
                let raw = fixed::<4>(data, "Size of data received by Deserializer is not 4")?;
                java_float(
                    f64::from(f32::from_be_bytes(raw)),
                    &format!("{:e}", f32::from_be_bytes(raw)),
                    out,
                );
            }
            Deserializer::Double => {
                let raw = fixed::<8>(data, "Size of data received by Deserializer is not 8")?;
                let value = f64::from_be_bytes(raw);
                java_float(value, &format!("{value:e}"), out);
            }
            Deserializer::Boolean => match data {
                [0] => out.extend_from_slice(b"false"),
                [1] => out.extend_from_slice(b"true"),
                [other] => {
                    return Err(serialization(&format!(
                        "Unexpected byte received by BooleanDeserializer: {}",
                        *other as i8
                    )))
                }
                _ => {
                    return Err(serialization(
                        "Size of data received by BooleanDeserializer is not 1",
                    ))
                }
            },
            Deserializer::Uuid => {
                let text = String::from_utf8_lossy(data);
                let uuid = java_uuid(&text)
                    .ok_or_else(|| serialization("Error parsing data into UUID"))?;
                let _ = write!(out, "{}", uuid.hyphenated());
            }
            Deserializer::Void => {
                // The formatter feeds null.literal for null fields, so this always fails.
                return Err(DeserializeError(
                    "java.lang.IllegalArgumentException: Data should be null for a VoidDeserializer."
                        .to_string(),
                ));
            }
        }
        Ok(())
    }
}

/// `org.apache.kafka.common.utils.Bytes.toString()`: printable ASCII except `\` as is, every
/// other byte as `\xHH`.
fn write_bytes_to_string(data: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in data {
        if (b' '..=b'~').contains(&b) && b != b'\\' {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        }
    }
}

/// Java's `Double.toString` / `Float.toString` from Rust's shortest round-trip digits
/// (`scientific` is `{:e}` of the value): plain notation with at least one decimal for
/// 10^-3 <= |v| < 10^7, otherwise `d.dddE<exp>`.
fn java_float(value: f64, scientific: &str, out: &mut Vec<u8>) {
    if value.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        });
        return;
    }
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    if negative {
        out.push(b'-');
    }
    if value == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    const PLAIN_MIN_EXPONENT: i32 = -3;
    const PLAIN_MAX_EXPONENT: i32 = 7;
    if (PLAIN_MIN_EXPONENT..PLAIN_MAX_EXPONENT).contains(&exponent) {
        if exponent < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exponent - 1) as usize));
            out.extend_from_slice(digits.as_bytes());
        } else {
            let point = exponent as usize + 1;
            let padded = format!("{digits:0<point$}");
            let (whole, fraction) = padded.split_at(point);
            out.extend_from_slice(whole.as_bytes());
            out.push(b'.');
            out.extend_from_slice(if fraction.is_empty() {
                b"0"
            } else {
                fraction.as_bytes()
            });
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first.as_bytes());
        out.push(b'.');
        out.extend_from_slice(if rest.is_empty() {
            b"0"
        } else {
            rest.as_bytes()
        });
        let _ = write!(out, "E{exponent}");
    }
}

/// Java's `UUID.fromString`: five dash-separated hex fields, each masked to its width.
fn java_uuid(text: &str) -> Option<uuid::Uuid> {
    const MAX_LENGTH: usize = 36;
    if text.len() > MAX_LENGTH {
        return None;
    }
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let field = |i: usize| -> Option<u64> {
        let p = parts[i];
        // Long.parseLong(x, 16) accepts a sign; UUID parts never carry one in practice.
        if p.len() > 16 {
            return None;
        }
        u64::from_str_radix(p, 16).ok()
    };
    let most =
        ((field(0)? & 0xffff_ffff) << 32) | ((field(1)? & 0xffff) << 16) | (field(2)? & 0xffff);
    let least = ((field(3)? & 0xffff) << 48) | (field(4)? & 0xffff_ffff_ffff);
    Some(uuid::Uuid::from_u64_pair(most, least))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: Deserializer, data: &[u8]) -> Result<String, DeserializeError> {
        let mut out = Vec::new();
        d.write(data, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn numbers() {
        assert_eq!(
            text(Deserializer::Integer, &(-5i32).to_be_bytes()).unwrap(),
            "-5"
        );
        assert_eq!(
            text(Deserializer::Long, &(1i64 << 40).to_be_bytes()).unwrap(),
            "1099511627776"
        );
        assert_eq!(text(Deserializer::Short, &[0, 7]).unwrap(), "7");
        assert_eq!(
            text(Deserializer::Integer, b"abc").unwrap_err().0,
            "org.apache.kafka.common.errors.SerializationException: Size of data received by IntegerDeserializer is not 4"
        );
    }

    #[test]
    fn java_float_text() {
        let d = |v: f64| text(Deserializer::Double, &v.to_be_bytes()).unwrap();
        assert_eq!(d(1.0), "1.0");
        assert_eq!(d(-0.5), "-0.5");
        assert_eq!(d(1500.25), "1500.25");
        assert_eq!(d(1.0e7), "1.0E7");
        assert_eq!(d(12345678.9), "1.23456789E7");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.0001), "1.0E-4");
        assert_eq!(d(0.0), "0.0");
        assert_eq!(d(f64::NAN), "NaN");
        assert_eq!(d(f64::NEG_INFINITY), "-Infinity");
        let f = |v: f32| text(Deserializer::Float, &v.to_be_bytes()).unwrap();
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(3.0e10), "3.0E10");
    }

    #[test]
    fn others() {
        assert_eq!(text(Deserializer::String, b"caf\xc3\xa9").unwrap(), "café");
        assert_eq!(
            text(Deserializer::Bytes, b"a\\b\x00\xff~").unwrap(),
            "a\\x5Cb\\x00\\xFF~"
        );
        assert_eq!(text(Deserializer::Boolean, &[1]).unwrap(), "true");
        assert!(text(Deserializer::Boolean, &[2]).is_err());
        assert_eq!(
            text(Deserializer::Uuid, b"123E4567-E89B-12D3-A456-426614174000").unwrap(),
            "123e4567-e89b-12d3-a456-426614174000"
        );
        assert_eq!(
            text(Deserializer::Uuid, b"1-2-3-4-5").unwrap(),
            "00000001-0002-0003-0004-000000000005"
        );
        assert!(text(Deserializer::Uuid, b"nope").is_err());
        assert!(text(Deserializer::Void, b"null").is_err());
        assert_eq!(
            text(Deserializer::ByteBuffer, b"abc").unwrap(),
            "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"
        );
        assert_eq!(Deserializer::by_class("com.example.Custom"), None);
    }
}
