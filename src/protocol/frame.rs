//! Length-prefixed framing: every Kafka request and response is a big-endian `i32` size followed by
//! that many bytes. This module reads and writes whole frames; it never looks inside them.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Size of the length prefix in front of every frame.
pub const SIZE_PREFIX_BYTES: usize = 4;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame size {size} is negative")]
    NegativeSize { size: i32 },
    #[error("frame size {size} is larger than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("connection closed in the middle of a frame")]
    Truncated,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one frame. `Ok(None)` means the peer closed the connection cleanly between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_size: usize,
) -> Result<Option<Bytes>, FrameError> {
    let mut prefix = [0u8; SIZE_PREFIX_BYTES];
    match reader.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let size = i32::from_be_bytes(prefix);
    if size < 0 {
        return Err(FrameError::NegativeSize { size });
    }
    let size = size as usize;
    if size > max_size {
        return Err(FrameError::TooLarge {
            size,
            limit: max_size,
        });
    }
    let mut body = BytesMut::zeroed(size);
    match reader.read_exact(&mut body).await {
        Ok(_) => Ok(Some(body.freeze())),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(FrameError::Truncated),
        Err(e) => Err(e.into()),
    }
}

/// Writes one frame: the size prefix, then each part in order (so a response header and a body
/// that were encoded separately need not be copied together first).
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    parts: &[&[u8]],
) -> std::io::Result<()> {
    let size: usize = parts.iter().map(|p| p.len()).sum();
    let size = i32::try_from(size).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "frame larger than 2 GiB")
    })?;
    writer.write_all(&size.to_be_bytes()).await?;
    for part in parts {
        writer.write_all(part).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_limits() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &[b"ab", b"cde"]).await.unwrap();
        assert_eq!(buf, b"\0\0\0\x05abcde");
        let mut r = &buf[..];
        assert_eq!(
            read_frame(&mut r, 10).await.unwrap().unwrap(),
            &b"abcde"[..]
        );
        assert!(read_frame(&mut r, 10).await.unwrap().is_none());
        let mut r = &buf[..];
        assert!(matches!(
            read_frame(&mut r, 4).await,
            Err(FrameError::TooLarge { size: 5, limit: 4 })
        ));
        let neg = (-1i32).to_be_bytes();
        assert!(matches!(
            read_frame(&mut &neg[..], 10).await,
            Err(FrameError::NegativeSize { size: -1 })
        ));
        let torn = b"\0\0\0\x05ab";
        assert!(matches!(
            read_frame(&mut &torn[..], 10).await,
            Err(FrameError::Truncated)
        ));
    }
}
