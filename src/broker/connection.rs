//! One client connection: read frames, decode the request header, hand the body to the
//! dispatcher, write responses in request order. A framing or decoding failure closes this
//! connection only; nothing a client sends can take the broker down. The transport (plain TCP
//! or TLS) is chosen by [`super::security::transport`]; on SASL listeners every request passes
//! the connection's SASL [`Gate`] first.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::watch;

use super::handlers::{self, Outcome, RequestContext};
use super::limits;
use super::logging;
use super::security::sasl::{Gate, Intercept};
use super::state::Broker;
use crate::protocol::frame::{read_frame, write_frame};

/// Socket buffer sizes: large enough to batch many small pipelined responses into one write.
const IO_BUFFER_BYTES: usize = 64 * 1024;
/// The smallest request header: api key, api version, correlation id.
const MIN_HEADER_BYTES: usize = 8;

/// Serves one connection until the client closes it, sends something unservable, or the broker
/// stops.
pub async fn serve<R, W>(
    read_half: R,
    write_half: W,
    peer: SocketAddr,
    local: SocketAddr,
    mut gate: Gate,
    broker: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::with_capacity(IO_BUFFER_BYTES, read_half);
    let mut writer = BufWriter::with_capacity(IO_BUFFER_BYTES, write_half);
    let max_request = broker.config.socket_request_max_bytes;
    let idle = broker.config.limits.idle_timeout;
    loop {
        let frame = tokio::select! {
            frame = limits::unless_idle(idle, read_frame(&mut reader, gate.max_frame(max_request))) => frame,
            _ = stop.changed() => break,
        };
        let frame = match frame {
            None => {
                logging::info(&format!(
                    "Closing connection from {peer}: idle for connections.max.idle.ms"
                ));
                break;
            }
            Some(frame) => frame,
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                logging::warn(&format!("Closing connection from {peer}: {e}"));
                break;
            }
        };
        if gate.expects_raw_token() {
            // After a v0 SaslHandshake, SASL tokens travel without a Kafka request header.
            match gate.raw_token(&frame) {
                Ok(reply) => {
                    if write_frame(&mut writer, &[&reply]).await.is_err()
                        || writer.flush().await.is_err()
                    {
                        break;
                    }
                    continue;
                }
                Err(reason) => {
                    logging::warn(&format!("Failed authentication with {peer} ({reason})"));
                    break;
                }
            }
        }
        let (api_key, header, body) = match decode_header(frame) {
            Ok(parts) => parts,
            Err(reason) => {
                logging::warn(&format!("Closing connection from {peer}: {reason}"));
                break;
            }
        };
        let ctx = RequestContext {
            api_key,
            api_version: header.request_api_version,
            correlation_id: header.correlation_id,
            client_id: header.client_id.as_ref().map(|s| s.to_string()),
            peer,
            local,
        };
        let outcome = match gate.intercept(&ctx, body) {
            Intercept::Pass(body) => handlers::dispatch(&broker, &ctx, body).await,
            Intercept::Done(outcome) => outcome,
        };
        match outcome {
            Outcome::Respond(body) => {
                let header = encode_response_header(&ctx);
                if write_frame(&mut writer, &[&header, &body]).await.is_err() {
                    break;
                }
            }
            Outcome::RespondAndClose(body, reason) => {
                // An authentication failure: the client gets the error, then the connection ends.
                let header = encode_response_header(&ctx);
                let _ = write_frame(&mut writer, &[&header, &body]).await;
                let _ = writer.flush().await;
                logging::warn(&format!("Failed authentication with {peer} ({reason})"));
                break;
            }
            Outcome::NoResponse => {}
            Outcome::Close(reason) => {
                logging::warn(&format!(
                    "Closing connection from {peer} ({:?} v{}): {reason}",
                    ctx.api_key, ctx.api_version
                ));
                break;
            }
        }
        // Pipelined requests already buffered are answered before the socket write.
        if reader.buffer().is_empty() && writer.flush().await.is_err() {
            break;
        }
    }
    let _ = writer.shutdown().await;
}

/// Splits a frame into its API key, header and body. Unknown API keys and undecodable headers
/// are errors (the caller closes the connection, as Kafka's SocketServer does).
fn decode_header(frame: Bytes) -> Result<(ApiKey, RequestHeader, Bytes), String> {
    if frame.len() < MIN_HEADER_BYTES {
        return Err(format!("request of {} bytes is too short", frame.len()));
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let api_key = ApiKey::try_from(raw_key).map_err(|_| format!("unknown API key {raw_key}"))?;
    // ApiVersions is read at any version (KIP-511); the header is v1 below v3 and v2 from v3 on,
    // and a too-new version keeps the v2 header shape.
    let header_version = if api_key == ApiKey::ApiVersions && version > api_key.valid_versions().max
    {
        api_key.request_header_version(api_key.valid_versions().max)
    } else {
        api_key.request_header_version(version)
    };
    let mut body = frame;
    let header = decode_guarded(|| RequestHeader::decode(&mut body, header_version))
        .map_err(|e| format!("undecodable request header for {api_key:?} v{version}: {e}"))?;
    Ok((api_key, header, body))
}

/// Runs a decoder, turning both its errors and any panic inside it into an error string, so a
/// malformed request can never unwind through the connection task.
pub fn decode_guarded<T>(decode: impl FnOnce() -> anyhow::Result<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("decoder panicked".to_string()),
    }
}

fn encode_response_header(ctx: &RequestContext) -> BytesMut {
    // ApiVersions responses always use header v0 (KIP-511), whatever the request version.
    let version = if ctx.api_key == ApiKey::ApiVersions {
        0
    } else {
        ctx.api_key.response_header_version(ctx.api_version)
    };
    let header = ResponseHeader::default().with_correlation_id(ctx.correlation_id);
    let mut buf = BytesMut::with_capacity(8);
    header
        .encode(&mut buf, version)
        .expect("a response header always encodes");
    buf
}
