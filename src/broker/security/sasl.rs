//! The server side of Kafka's SASL exchange on one connection, as `SaslServerAuthenticator`
//! runs it: ApiVersions and SaslHandshake (v0–1) first, then SaslAuthenticate (v0–2, KIP-152)
//! or, after a v0 handshake, raw size-prefixed tokens. Until authentication completes nothing
//! else is served: any other request closes the connection. PLAIN checks the listener's
//! `user_<name>` entries; SCRAM-SHA-256/512 check the stored credentials.
//!
//! On non-SASL listeners and after authentication, SaslHandshake and SaslAuthenticate get
//! ILLEGAL_SASL_STATE as Kafka's request handler answers them. Owns the per-connection state;
//! must not touch sockets (the connection loop writes what this returns).

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::scram_store::ScramStore;
use super::{ListenerSecurity, SaslMechanism, SaslSettings};
use crate::broker::handlers::{decode_body, encode, Outcome, RequestContext};
use crate::protocol::scram::{self, ClientFinal, ClientFirst, Credential, Mechanism, ServerFirst};

const NONE: i16 = 0;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const ILLEGAL_SASL_STATE: i16 = 34;
const SASL_AUTHENTICATION_FAILED: i16 = 58;
/// Kafka's `sasl.server.max.receive.size` default: the largest frame an unauthenticated client
/// may send, so nobody can make the broker buffer `socket.request.max.bytes` without logging in.
pub const MAX_RECEIVE_BEFORE_AUTHENTICATION: usize = 524_288;
/// The SaslHandshake version from which tokens travel in SaslAuthenticate requests.
const KAFKA_FRAMED_HANDSHAKE_VERSION: i16 = 1;

/// PLAIN's messages, as Kafka's `PlainSaslServer` words them.
const PLAIN_INVALID_CREDENTIALS: &str = "Authentication failed: Invalid username or password";
const PLAIN_NO_USERNAME: &str = "Authentication failed: username not specified";
const PLAIN_NO_PASSWORD: &str = "Authentication failed: password not specified";
const PLAIN_AUTHZID_MISMATCH: &str =
    "Authentication failed: Client requested an authorization id that is different from username";

enum State {
    /// Waiting for SaslHandshake (ApiVersions allowed).
    Handshake,
    /// Waiting for the first token of `mechanism`; `raw` after a v0 handshake.
    Authenticate { mechanism: SaslMechanism, raw: bool },
    /// SCRAM: server-first sent, waiting for client-final.
    ScramFinal(Box<ScramExchange>),
    /// Authenticated as this principal name (or a listener without SASL).
    Complete,
}

/// A SCRAM exchange between server-first and client-final.
struct ScramExchange {
    mechanism: Mechanism,
    raw: bool,
    credential: Credential,
    first: ClientFirst,
    server: ServerFirst,
}

/// What the connection loop does with a request.
pub enum Intercept {
    /// Not the gate's business: dispatch it as usual.
    Pass(Bytes),
    /// The gate answered (or refused) it.
    Done(Outcome),
}

/// One connection's SASL state.
pub struct Gate {
    settings: Option<Arc<SaslSettings>>,
    store: Arc<ScramStore>,
    state: State,
    /// The authenticated user, once there is one.
    principal: Option<String>,
}

impl Gate {
    pub fn new(security: &ListenerSecurity, store: Arc<ScramStore>) -> Gate {
        let state = if security.sasl.is_some() {
            State::Handshake
        } else {
            State::Complete
        };
        Gate {
            settings: security.sasl.clone(),
            store,
            state,
            principal: None,
        }
    }

    /// The user this connection authenticated as (SASL listeners only).
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// The largest frame to accept next: `socket_request_max_bytes` once authenticated (or on a
    /// listener without SASL), Kafka's SASL receive limit before.
    pub fn max_frame(&self, socket_request_max_bytes: usize) -> usize {
        match self.state {
            State::Complete => socket_request_max_bytes,
            _ => socket_request_max_bytes.min(MAX_RECEIVE_BEFORE_AUTHENTICATION),
        }
    }

    /// Whether the next frame is a raw SASL token (after a v0 SaslHandshake), not a request.
    pub fn expects_raw_token(&self) -> bool {
        matches!(self.state, State::Authenticate { raw: true, .. })
            || matches!(&self.state, State::ScramFinal(exchange) if exchange.raw)
    }

    /// Handles a raw token: `Ok(reply)` to send size-prefixed, `Err(reason)` to close (a v0
    /// client has no way to receive an error message).
    pub fn raw_token(&mut self, token: &[u8]) -> Result<Vec<u8>, String> {
        self.evaluate(token)
    }

    /// Looks at a request before dispatch.
    pub fn intercept(&mut self, ctx: &RequestContext, body: Bytes) -> Intercept {
        match ctx.api_key {
            ApiKey::SaslHandshake => Intercept::Done(self.handshake(ctx, body)),
            ApiKey::SaslAuthenticate => Intercept::Done(self.authenticate(ctx, body)),
            _ => match self.state {
                State::Complete => Intercept::Pass(body),
                State::Handshake if ctx.api_key == ApiKey::ApiVersions => Intercept::Pass(body),
                State::Handshake => Intercept::Done(Outcome::Close(format!(
                    "Unexpected Kafka request of type {:?} during SASL handshake.",
                    ctx.api_key
                ))),
                _ => Intercept::Done(Outcome::Close(format!(
                    "Unexpected Kafka request of type {:?} during SASL authentication.",
                    ctx.api_key
                ))),
            },
        }
    }

    fn enabled_names(&self) -> Vec<StrBytes> {
        self.settings
            .iter()
            .flat_map(|s| s.mechanisms.iter())
            .map(|m| StrBytes::from_static_str(m.name()))
            .collect()
    }

    fn handshake(&mut self, ctx: &RequestContext, body: Bytes) -> Outcome {
        let request: SaslHandshakeRequest = match decode_body(body, ctx.api_version) {
            Ok(request) => request,
            Err(reason) => return Outcome::Close(reason),
        };
        let response = |code: i16, mechanisms: Vec<StrBytes>| {
            SaslHandshakeResponse::default()
                .with_error_code(code)
                .with_mechanisms(mechanisms)
        };
        match self.state {
            State::Complete => encode(&response(ILLEGAL_SASL_STATE, vec![]), ctx.api_version),
            State::Handshake => {
                let enabled = self.enabled_names();
                let chosen = self.settings.as_ref().and_then(|s| {
                    s.mechanisms
                        .iter()
                        .copied()
                        .find(|m| m.name() == request.mechanism.as_str())
                });
                let Some(mechanism) = chosen else {
                    return respond_and_close(
                        encode(
                            &response(UNSUPPORTED_SASL_MECHANISM, enabled),
                            ctx.api_version,
                        ),
                        format!("Unsupported SASL mechanism {}", request.mechanism.as_str()),
                    );
                };
                self.state = State::Authenticate {
                    mechanism,
                    raw: ctx.api_version < KAFKA_FRAMED_HANDSHAKE_VERSION,
                };
                encode(&response(NONE, enabled), ctx.api_version)
            }
            _ => respond_and_close(
                encode(&response(ILLEGAL_SASL_STATE, vec![]), ctx.api_version),
                "SaslHandshake during SASL authentication".into(),
            ),
        }
    }

    fn authenticate(&mut self, ctx: &RequestContext, body: Bytes) -> Outcome {
        let request: SaslAuthenticateRequest = match decode_body(body, ctx.api_version) {
            Ok(request) => request,
            Err(reason) => return Outcome::Close(reason),
        };
        let failure = |message: &str| {
            SaslAuthenticateResponse::default()
                .with_error_code(SASL_AUTHENTICATION_FAILED)
                .with_error_message(Some(StrBytes::from_string(message.to_string())))
        };
        match self.state {
            State::Complete => {
                let response = SaslAuthenticateResponse::default()
                    .with_error_code(ILLEGAL_SASL_STATE)
                    .with_error_message(Some(StrBytes::from_static_str(
                        "SaslAuthenticate request received after successful authentication",
                    )));
                encode(&response, ctx.api_version)
            }
            State::Handshake => Outcome::Close(
                "Unexpected Kafka request of type SaslAuthenticate during SASL handshake.".into(),
            ),
            _ => match self.evaluate(&request.auth_bytes) {
                Ok(reply) => {
                    let response = SaslAuthenticateResponse::default()
                        .with_error_code(NONE)
                        .with_auth_bytes(Bytes::from(reply));
                    encode(&response, ctx.api_version)
                }
                Err(message) => {
                    respond_and_close(encode(&failure(&message), ctx.api_version), message)
                }
            },
        }
    }

    /// Runs one token through the mechanism; on failure the state is left failed (the caller
    /// closes the connection).
    fn evaluate(&mut self, token: &[u8]) -> Result<Vec<u8>, String> {
        let state = std::mem::replace(&mut self.state, State::Handshake);
        let (result, next) = match state {
            State::Authenticate {
                mechanism: SaslMechanism::Plain,
                ..
            } => {
                let result = self.plain(token);
                (result.map(|user| (Vec::new(), Some(user))), None)
            }
            State::Authenticate {
                mechanism: SaslMechanism::Scram(mechanism),
                raw,
            } => match self.scram_first(mechanism, token) {
                Ok((credential, first, server)) => {
                    let reply = server.to_message().into_bytes();
                    (
                        Ok((reply, None)),
                        Some(State::ScramFinal(Box::new(ScramExchange {
                            mechanism,
                            raw,
                            credential,
                            first,
                            server,
                        }))),
                    )
                }
                Err(e) => (Err(e), None),
            },
            State::ScramFinal(exchange) => {
                let ScramExchange {
                    mechanism,
                    credential,
                    first,
                    server,
                    ..
                } = *exchange;
                let result = std::str::from_utf8(token)
                    .ok()
                    .and_then(ClientFinal::parse)
                    .and_then(|last| {
                        scram::verify_client_final(mechanism, &credential, &first, &server, &last)
                    })
                    .map(|signature| {
                        (
                            scram::server_final(&signature).into_bytes(),
                            Some(first.user.clone()),
                        )
                    })
                    .ok_or_else(|| invalid_credentials(mechanism.name()));
                (result, None)
            }
            other => {
                self.state = other;
                return Err("SASL token outside of authentication".into());
            }
        };
        let (reply, principal) = result?;
        self.state = match (next, principal) {
            (Some(next), _) => next,
            (None, Some(user)) => {
                self.principal = Some(user);
                State::Complete
            }
            (None, None) => State::Handshake,
        };
        Ok(reply)
    }

    /// PLAIN: `authzid NUL user NUL password`.
    fn plain(&self, token: &[u8]) -> Result<String, String> {
        let text = std::str::from_utf8(token).map_err(|_| invalid_credentials("PLAIN"))?;
        let parts: Vec<&str> = text.split('\0').collect();
        let [authzid, user, password] = parts[..] else {
            return Err(invalid_credentials("PLAIN"));
        };
        if user.is_empty() {
            return Err(PLAIN_NO_USERNAME.into());
        }
        if password.is_empty() {
            return Err(PLAIN_NO_PASSWORD.into());
        }
        let expected = self.settings.as_ref().and_then(|s| s.plain_users.get(user));
        // Compare in constant time so a wrong password's length and prefix stay hidden.
        let matches = expected.is_some_and(|expected| {
            expected.len() == password.len()
                && expected
                    .bytes()
                    .zip(password.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if !matches {
            return Err(PLAIN_INVALID_CREDENTIALS.into());
        }
        if !authzid.is_empty() && authzid != user {
            return Err(PLAIN_AUTHZID_MISMATCH.into());
        }
        Ok(user.to_string())
    }

    fn scram_first(
        &self,
        mechanism: Mechanism,
        token: &[u8],
    ) -> Result<(Credential, ClientFirst, ServerFirst), String> {
        let first = std::str::from_utf8(token)
            .ok()
            .and_then(ClientFirst::parse)
            .ok_or_else(|| invalid_credentials(mechanism.name()))?;
        let credential = self
            .store
            .get(&first.user, mechanism)
            .ok_or_else(|| invalid_credentials(mechanism.name()))?;
        let server = ServerFirst {
            nonce: format!("{}{}", first.nonce, scram::nonce()),
            salt: credential.salt.clone(),
            iterations: credential.iterations,
        };
        Ok((credential, first, server))
    }
}

/// Kafka's message for any SaslException: it never says whether the user exists.
fn invalid_credentials(mechanism: &str) -> String {
    format!(
        "Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"
    )
}

fn respond_and_close(outcome: Outcome, reason: String) -> Outcome {
    match outcome {
        Outcome::Respond(body) => Outcome::RespondAndClose(body, reason),
        other => other,
    }
}
