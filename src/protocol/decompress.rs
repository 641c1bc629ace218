//! Decompression of the records section of a v2 record batch, for the codecs Kafka defines
//! (attributes bits 0–2): gzip, snappy (xerial framing, or raw snappy as Java falls back to),
//! lz4 (the LZ4 frame format) and zstd. Writes into a caller-owned buffer so a reader can reuse
//! one allocation for every batch. Owns byte transformations only: no record parsing.

use std::io::Read;

/// Codec ids in the batch attributes.
pub const CODEC_NONE: i16 = 0;
pub const CODEC_GZIP: i16 = 1;
pub const CODEC_SNAPPY: i16 = 2;
pub const CODEC_LZ4: i16 = 3;
pub const CODEC_ZSTD: i16 = 4;

/// The xerial snappy-java stream header: magic, then version and compatible version (both 1).
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";
const XERIAL_HEADER_SIZE: usize = 16;
/// Each xerial block is preceded by its compressed length as a big-endian u32.
const XERIAL_BLOCK_LENGTH_SIZE: usize = 4;

/// Why a records section could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecompressError {
    #[error("unknown compression codec id {0}")]
    UnknownCodec(i16),
    #[error("{codec} decompression failed: {reason}")]
    Corrupt { codec: &'static str, reason: String },
}

/// The codec's name as Kafka spells it (`compression.type`).
pub fn codec_name(codec: i16) -> &'static str {
    match codec {
        CODEC_NONE => "none",
        CODEC_GZIP => "gzip",
        CODEC_SNAPPY => "snappy",
        CODEC_LZ4 => "lz4",
        CODEC_ZSTD => "zstd",
        _ => "unknown",
    }
}

fn corrupt(codec: i16, reason: impl std::fmt::Display) -> DecompressError {
    DecompressError::Corrupt {
        codec: codec_name(codec),
        reason: reason.to_string(),
    }
}

/// Decompresses `input` (compressed with `codec`) into `out`, replacing its contents.
pub fn decompress(codec: i16, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecompressError> {
    out.clear();
    let result = match codec {
        CODEC_NONE => {
            out.extend_from_slice(input);
            Ok(())
        }
        // Java's GZIPInputStream reads concatenated members, so read them all too.
        CODEC_GZIP => flate2::read::MultiGzDecoder::new(input)
            .read_to_end(out)
            .map(drop),
        CODEC_SNAPPY => return snappy(input, out),
        CODEC_LZ4 => lz4::Decoder::new(input).and_then(|mut d| d.read_to_end(out).map(drop)),
        CODEC_ZSTD => {
            zstd::stream::read::Decoder::with_buffer(input).and_then(|mut d| {
                // A batch is one zstd frame; stop there rather than expect more frames.
                d.read_to_end(out).map(drop)
            })
        }
        other => return Err(DecompressError::UnknownCodec(other)),
    };
    result.map_err(|e| corrupt(codec, e))
}

/// snappy-java's framing: a 16-byte header, then blocks of (u32 length, raw snappy block).
/// Without the header the input is one raw snappy block (as `SnappyInputStream` falls back).
fn snappy(input: &[u8], out: &mut Vec<u8>) -> Result<(), DecompressError> {
    let mut decoder = snap::raw::Decoder::new();
    let mut block = |compressed: &[u8], out: &mut Vec<u8>| -> Result<(), DecompressError> {
        let length = snap::raw::decompress_len(compressed).map_err(|e| corrupt(CODEC_SNAPPY, e))?;
        let start = out.len();
        out.resize(start + length, 0);
        decoder
            .decompress(compressed, &mut out[start..])
            .map_err(|e| corrupt(CODEC_SNAPPY, e))?;
        Ok(())
    };
    if input.len() < XERIAL_HEADER_SIZE || &input[..XERIAL_MAGIC.len()] != XERIAL_MAGIC {
        return block(input, out);
    }
    let mut rest = &input[XERIAL_HEADER_SIZE..];
    while !rest.is_empty() {
        if rest.len() < XERIAL_BLOCK_LENGTH_SIZE {
            return Err(corrupt(CODEC_SNAPPY, "truncated block length"));
        }
        let mut raw = [0u8; XERIAL_BLOCK_LENGTH_SIZE];
        raw.copy_from_slice(&rest[..XERIAL_BLOCK_LENGTH_SIZE]);
        let length = u32::from_be_bytes(raw) as usize;
        rest = &rest[XERIAL_BLOCK_LENGTH_SIZE..];
        if length > rest.len() {
            return Err(corrupt(
                CODEC_SNAPPY,
                format!("block of {length} bytes but only {} remain", rest.len()),
            ));
        }
        block(&rest[..length], out)?;
        rest = &rest[length..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"hello hello hello hello kafka records";

    #[test]
    fn gzip_including_concatenated_members() {
        let member = || {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(TEXT).unwrap();
            e.finish().unwrap()
        };
        let mut two = member();
        two.extend(member());
        let mut out = Vec::new();
        decompress(CODEC_GZIP, &two, &mut out).unwrap();
        assert_eq!(out, [TEXT, TEXT].concat());
    }

    #[test]
    fn snappy_xerial_and_raw() {
        let raw = snap::raw::Encoder::new().compress_vec(TEXT).unwrap();
        let mut out = vec![1, 2, 3];
        decompress(CODEC_SNAPPY, &raw, &mut out).unwrap();
        assert_eq!(out, TEXT);

        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend(1i32.to_be_bytes());
        framed.extend(1i32.to_be_bytes());
        for _ in 0..2 {
            framed.extend((raw.len() as u32).to_be_bytes());
            framed.extend(&raw);
        }
        decompress(CODEC_SNAPPY, &framed, &mut out).unwrap();
        assert_eq!(out, [TEXT, TEXT].concat());

        framed.truncate(framed.len() - 1);
        assert!(decompress(CODEC_SNAPPY, &framed, &mut out).is_err());
    }

    #[test]
    fn lz4_frame_and_zstd() {
        let mut e = lz4::EncoderBuilder::new().build(Vec::new()).unwrap();
        e.write_all(TEXT).unwrap();
        let (lz4, result) = e.finish();
        result.unwrap();
        let mut out = Vec::new();
        decompress(CODEC_LZ4, &lz4, &mut out).unwrap();
        assert_eq!(out, TEXT);

        let zstd = zstd::encode_all(TEXT, 3).unwrap();
        decompress(CODEC_ZSTD, &zstd, &mut out).unwrap();
        assert_eq!(out, TEXT);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        for codec in [CODEC_GZIP, CODEC_SNAPPY, CODEC_LZ4, CODEC_ZSTD] {
            assert!(
                decompress(codec, b"\x00\x01garbage", &mut out).is_err(),
                "{codec}"
            );
        }
        assert_eq!(
            decompress(7, b"", &mut out),
            Err(DecompressError::UnknownCodec(7))
        );
    }
}
