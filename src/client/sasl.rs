//! The client side of Kafka's SASL exchange (SaslHandshake v1, then SaslAuthenticate), for
//! PLAIN and SCRAM-SHA-256/512, with the messages of Kafka's `SaslClientAuthenticator`. Runs
//! once on a freshly negotiated connection; must not retry (a failed authentication is final).

use bytes::Bytes;
use kafka_protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::connection::Connection;
use super::error::{ClientError, ClientResult};
use super::security::SaslCredentials;
use crate::protocol::scram::{self, ClientFinal, ClientFirst, ServerFirst};

const NONE: i16 = 0;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const ILLEGAL_SASL_STATE: i16 = 34;
/// SaslHandshake v1: tokens travel in SaslAuthenticate requests (KIP-152).
const HANDSHAKE_VERSION: i16 = 1;

/// Authenticates `connection` with `credentials`.
pub async fn authenticate(
    connection: &Connection,
    credentials: &SaslCredentials,
) -> ClientResult<()> {
    let failed = |message: String| ClientError::Authentication {
        broker: connection.broker().to_string(),
        message,
    };
    let mechanism = credentials.mechanism_name();
    let handshake =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
    let version =
        connection.version_in::<SaslHandshakeRequest>(HANDSHAKE_VERSION, HANDSHAKE_VERSION)?;
    let response = connection.send_at(handshake, version).await?;
    let enabled = || {
        let names: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
        format!("[{}]", names.join(", "))
    };
    match response.error_code {
        NONE => {}
        UNSUPPORTED_SASL_MECHANISM => {
            return Err(failed(format!(
                "Client SASL mechanism '{mechanism}' not enabled in the server, enabled mechanisms are {}",
                enabled()
            )))
        }
        ILLEGAL_SASL_STATE => {
            return Err(failed(format!(
                "Unexpected handshake request with client mechanism {mechanism}, enabled mechanisms are {}",
                enabled()
            )))
        }
        code => {
            return Err(ClientError::kafka(
                code,
                None,
                format!("SaslHandshake with broker {}", connection.broker()),
            ))
        }
    }
    match credentials.scram {
        None => {
            let token = format!("\0{}\0{}", credentials.username, credentials.password);
            exchange(connection, token.into_bytes()).await?;
            Ok(())
        }
        Some(mechanism) => {
            let first = ClientFirst::new(&credentials.username, scram::nonce());
            let reply = exchange(connection, first.to_message().into_bytes()).await?;
            let server = std::str::from_utf8(&reply)
                .ok()
                .and_then(ServerFirst::parse)
                .ok_or_else(|| failed("Invalid SCRAM server first message".into()))?;
            if !server.nonce.starts_with(&first.nonce) || server.nonce.len() == first.nonce.len() {
                return Err(failed(
                    "Invalid server nonce: does not start with client nonce".into(),
                ));
            }
            if server.iterations < scram::MIN_ITERATIONS {
                return Err(failed(format!(
                    "Requested iterations {} is less than the minimum {} for {}",
                    server.iterations,
                    scram::MIN_ITERATIONS,
                    mechanism.name()
                )));
            }
            let (last, expected) =
                ClientFinal::create(mechanism, &credentials.password, &first, &server);
            let reply = exchange(connection, last.to_message().into_bytes()).await?;
            let text = String::from_utf8_lossy(&reply);
            let signature = scram::parse_server_final(&text).map_err(|e| {
                failed(format!(
                    "Sasl authentication using {} failed with error: {e}",
                    mechanism.name()
                ))
            })?;
            if !scram::verify_server_signature(&expected, &signature) {
                return Err(failed(
                    "Invalid server signature in server final message".into(),
                ));
            }
            Ok(())
        }
    }
}

/// Sends one token in a SaslAuthenticate request and returns the broker's token.
async fn exchange(connection: &Connection, token: Vec<u8>) -> ClientResult<Bytes> {
    let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token));
    let response: SaslAuthenticateResponse = connection.send(request).await?;
    if response.error_code != NONE {
        let message = response
            .error_message
            .map(|m| m.to_string())
            .unwrap_or_else(|| "Authentication failed".to_string());
        return Err(ClientError::Authentication {
            broker: connection.broker().to_string(),
            message,
        });
    }
    Ok(response.auth_bytes)
}
