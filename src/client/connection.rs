//! One pipelined connection to one broker: requests are written as they come, each registered
//! under its correlation id, and a reader task hands every response to its waiter. A framing or
//! socket error fails every pending request on the connection. ApiVersions is negotiated on
//! connect (with the KIP-511 fallback), and each request goes out at the highest version both
//! sides support. The stream is plain TCP or TLS, and on SASL listeners the connection
//! authenticates ([`super::sasl`]) before it is handed out, as [`Security`] asks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::error::{ClientError, ClientResult};
use super::sasl;
use super::security::Security;
use crate::protocol::frame::read_frame;

/// Largest response frame accepted (Kafka's fetch.max.bytes default is 55 MiB; leave headroom).
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;
/// UNSUPPORTED_VERSION: the ApiVersions answer to a too-new request version (KIP-511).
const UNSUPPORTED_VERSION: i16 = 35;
/// The ApiVersions version first tried (v3 introduced flexible encoding and client software info).
const API_VERSIONS_PREFERRED: i16 = 3;
/// How rustls words an alert received from the peer.
const TLS_ALERT: &str = "received fatal alert";
/// The client software name sent in ApiVersions v3+.
const CLIENT_SOFTWARE_NAME: &str = "kafkit";

/// Timeouts that bound every wait on a connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

type Waiter = oneshot::Sender<Result<Bytes, ClientError>>;
/// The read and write halves of a plain TCP or a TLS stream.
type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

#[derive(Default)]
struct Pending {
    waiters: HashMap<i32, Waiter>,
    /// Set once the connection failed: later requests fail at once with this reason.
    failed: Option<String>,
}

/// A connection to one broker. Cheap to share (`Arc`); requests from many tasks are pipelined.
pub struct Connection {
    broker: String,
    client_id: String,
    timeouts: Timeouts,
    writer: tokio::sync::Mutex<Writer>,
    pending: Arc<Mutex<Pending>>,
    next_correlation_id: AtomicI32,
    /// Broker's (min, max) per API key, from ApiVersions.
    versions: HashMap<i16, (i16, i16)>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.broker)
            .finish()
    }
}

impl Connection {
    /// Connects to `broker` (`host:port`) with `security` (TLS handshake, then SASL after the
    /// ApiVersions negotiation).
    pub async fn connect(
        broker: &str,
        client_id: &str,
        timeouts: Timeouts,
        security: &Security,
    ) -> ClientResult<Connection> {
        let connect_error = |reason: String| ClientError::Connect {
            broker: broker.to_string(),
            reason,
        };
        let stream = tokio::time::timeout(timeouts.connect, TcpStream::connect(broker))
            .await
            .map_err(|_| {
                connect_error(format!(
                    "timed out after {} ms",
                    timeouts.connect.as_millis()
                ))
            })?
            .map_err(|e| connect_error(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (read_half, write_half): (Reader, Writer) = match &security.tls {
            None => {
                let (r, w) = stream.into_split();
                (Box::new(r), Box::new(w))
            }
            Some(config) => {
                let host = host_of(broker);
                let name = ServerName::try_from(host.to_string())
                    .map_err(|e| connect_error(format!("invalid host name {host}: {e}")))?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let tls = tokio::time::timeout(timeouts.connect, connector.connect(name, stream))
                    .await
                    .map_err(|_| {
                        connect_error(format!(
                            "TLS handshake timed out after {} ms",
                            timeouts.connect.as_millis()
                        ))
                    })?
                    // A certificate that does not verify will not verify on a retry either.
                    .map_err(|e| ClientError::Authentication {
                        broker: broker.to_string(),
                        message: format!("SSL handshake failed: {e}"),
                    })?;
                let (r, w) = tokio::io::split(tls);
                (Box::new(r), Box::new(w))
            }
        };
        let pending = Arc::new(Mutex::new(Pending::default()));
        tokio::spawn(read_loop(
            BufReader::new(read_half),
            pending.clone(),
            broker.to_string(),
        ));
        let mut connection = Connection {
            broker: broker.to_string(),
            client_id: client_id.to_string(),
            timeouts,
            writer: tokio::sync::Mutex::new(write_half),
            pending,
            next_correlation_id: AtomicI32::new(0),
            versions: HashMap::new(),
        };
        connection.versions = match connection.negotiate().await {
            Ok(versions) => versions,
            // In TLS 1.3 the broker checks the client certificate after the client finished its
            // handshake: a rejection arrives as an alert on the first read. It is final, as a
            // failed handshake is.
            Err(ClientError::Disconnected { reason, .. })
                if security.tls.is_some() && reason.contains(TLS_ALERT) =>
            {
                return Err(ClientError::Authentication {
                    broker: broker.to_string(),
                    message: format!("SSL handshake failed: {reason}"),
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(credentials) = &security.sasl {
            sasl::authenticate(&connection, credentials).await?;
        }
        Ok(connection)
    }

    /// The `host:port` this connection talks to.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    async fn negotiate(&self) -> ClientResult<HashMap<i16, (i16, i16)>> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str(CLIENT_SOFTWARE_NAME))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response: ApiVersionsResponse = self
            .send_at(request.clone(), API_VERSIONS_PREFERRED)
            .await?;
        if response.error_code == UNSUPPORTED_VERSION {
            // KIP-511: retry at the highest version the broker said it knows.
            let broker_max = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                .map_or(0, |k| k.max_version);
            response = self
                .send_at(request, broker_max.min(API_VERSIONS_PREFERRED))
                .await?;
        }
        if response.error_code != 0 {
            return Err(ClientError::kafka(
                response.error_code,
                None,
                format!("ApiVersions from broker {}", self.broker),
            ));
        }
        Ok(response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect())
    }

    /// The version to use for `R`: the highest both sides support.
    pub fn version_for<R: Request>(&self) -> ClientResult<i16> {
        self.version_in::<R>(R::VERSIONS.min, R::VERSIONS.max)
    }

    /// The highest version of `R` within `[min, max]` that the broker supports.
    pub fn version_in<R: Request>(&self, min: i16, max: i16) -> ClientResult<i16> {
        let api = api_key::<R>();
        let unsupported = |detail: String| ClientError::UnsupportedVersion {
            api,
            broker: self.broker.clone(),
            detail,
        };
        let &(broker_min, broker_max) = self
            .versions
            .get(&R::KEY)
            .ok_or_else(|| unsupported("not advertised".to_string()))?;
        let version = max.min(broker_max);
        if version < min.max(broker_min) {
            return Err(unsupported(format!(
                "broker {broker_min}..{broker_max}, client {min}..{max}"
            )));
        }
        Ok(version)
    }

    /// Whether the broker advertises `R` at all.
    pub fn supports<R: Request>(&self) -> bool {
        self.versions.contains_key(&R::KEY)
    }

    /// Sends `request` at the negotiated version and waits for its response.
    pub async fn send<R: Request>(&self, request: R) -> ClientResult<R::Response> {
        let version = self.version_for::<R>()?;
        self.send_at(request, version).await
    }

    /// Sends `request` at `version` and waits (bounded by the request timeout) for the response.
    pub async fn send_at<R: Request>(&self, request: R, version: i16) -> ClientResult<R::Response> {
        self.write_request(&request, version)
            .await?
            .response()
            .await
    }

    /// Writes `request` at `version` now and returns its response to wait for later. Requests
    /// go on the wire in the order of these calls, so a caller can pipeline requests whose order
    /// matters (idempotent produce) without waiting for each response.
    pub async fn write_request<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> ClientResult<PendingResponse<R>> {
        let (tx, rx) = oneshot::channel();
        self.write::<R>(request, version, Some(tx)).await?;
        Ok(PendingResponse {
            rx,
            broker: self.broker.clone(),
            version,
            timeout: self.timeouts.request,
            request: std::marker::PhantomData,
        })
    }

    /// Sends a request that gets no response (Produce with acks=0).
    pub async fn send_without_response<R: Request>(&self, request: R) -> ClientResult<()> {
        let version = self.version_for::<R>()?;
        self.write::<R>(&request, version, None).await
    }

    async fn write<R: Request>(
        &self,
        request: &R,
        version: i16,
        waiter: Option<Waiter>,
    ) -> ClientResult<()> {
        let api = api_key::<R>();
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_string(self.client_id.clone())));
        // Sized up front: a produce request carries whole batches, and growing the buffer
        // step by step would copy them several times.
        const HEADER_ROOM: usize = 64;
        let body_size = request.compute_size(version).unwrap_or(0);
        let mut buf = BytesMut::with_capacity(HEADER_ROOM + body_size);
        buf.extend_from_slice(&[0; 4]);
        let encoded = header
            .encode(&mut buf, R::header_version(version))
            .and_then(|_| request.encode(&mut buf, version));
        if let Err(e) = encoded {
            return Err(ClientError::Protocol {
                api,
                broker: self.broker.clone(),
                reason: format!("cannot encode v{version} request: {e}"),
            });
        }
        let size = (buf.len() - 4) as i32;
        buf[..4].copy_from_slice(&size.to_be_bytes());
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(reason) = &pending.failed {
                return Err(self.disconnected(reason));
            }
            if let Some(waiter) = waiter {
                pending.waiters.insert(correlation_id, waiter);
            }
        }
        let mut writer = self.writer.lock().await;
        if let Err(e) = writer.write_all(&buf).await {
            let reason = e.to_string();
            fail_all(&self.pending, &self.broker, &reason);
            return Err(self.disconnected(&reason));
        }
        Ok(())
    }

    fn disconnected(&self, reason: &str) -> ClientError {
        ClientError::Disconnected {
            broker: self.broker.clone(),
            reason: reason.to_string(),
        }
    }

    /// Whether the connection has failed (a new one is needed).
    pub fn is_closed(&self) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .failed
            .is_some()
    }
}

/// A request on the wire whose response has not been read yet.
pub struct PendingResponse<R: Request> {
    rx: oneshot::Receiver<Result<Bytes, ClientError>>,
    broker: String,
    version: i16,
    timeout: Duration,
    request: std::marker::PhantomData<fn() -> R>,
}

impl<R: Request> std::fmt::Debug for PendingResponse<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingResponse")
            .field("broker", &self.broker)
            .finish()
    }
}

impl<R: Request> PendingResponse<R> {
    /// Waits (bounded by the request timeout) for the response and decodes it.
    pub async fn response(self) -> ClientResult<R::Response> {
        let api = api_key::<R>();
        let frame = match tokio::time::timeout(self.timeout, self.rx).await {
            Err(_) => {
                return Err(ClientError::Timeout {
                    api,
                    broker: self.broker,
                    timeout_ms: self.timeout.as_millis() as u64,
                })
            }
            Ok(Err(_)) => {
                return Err(ClientError::Disconnected {
                    broker: self.broker,
                    reason: "reader stopped".to_string(),
                })
            }
            Ok(Ok(result)) => result?,
        };
        decode::<R>(&self.broker, frame, self.version)
    }
}

fn decode<R: Request>(broker: &str, mut frame: Bytes, version: i16) -> ClientResult<R::Response> {
    let api = api_key::<R>();
    // ApiVersions responses always use header v0 (KIP-511).
    let header_version = if R::KEY == ApiKey::ApiVersions as i16 {
        0
    } else {
        R::Response::header_version(version)
    };
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ResponseHeader::decode(&mut frame, header_version)
            .and_then(|_| R::Response::decode(&mut frame, version))
    }));
    match decoded {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(ClientError::Protocol {
            api,
            broker: broker.to_string(),
            reason: format!("undecodable v{version} response: {e}"),
        }),
        Err(_) => Err(ClientError::Protocol {
            api,
            broker: broker.to_string(),
            reason: format!("undecodable v{version} response"),
        }),
    }
}

fn api_key<R: Request>() -> ApiKey {
    ApiKey::try_from(R::KEY).unwrap_or(ApiKey::ApiVersions)
}

/// The host part of `host:port` (`[v6]:port` gives the bare IPv6 address).
fn host_of(broker: &str) -> &str {
    let host = broker.rsplit_once(':').map_or(broker, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

async fn read_loop(mut reader: BufReader<Reader>, pending: Arc<Mutex<Pending>>, broker: String) {
    const CORRELATION_ID_BYTES: usize = 4;
    let reason = loop {
        let frame = match read_frame(&mut reader, MAX_RESPONSE_BYTES).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break "closed by the broker".to_string(),
            Err(e) => break e.to_string(),
        };
        if frame.len() < CORRELATION_ID_BYTES {
            break format!("response of {} bytes is too short", frame.len());
        }
        let correlation_id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let waiter = pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiters
            .remove(&correlation_id);
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(Ok(frame));
            }
            None => break format!("unexpected correlation id {correlation_id}"),
        }
    };
    fail_all(&pending, &broker, &reason);
}

/// Marks the connection failed and fails every request still waiting on it.
fn fail_all(pending: &Mutex<Pending>, broker: &str, reason: &str) {
    let waiters: Vec<Waiter> = {
        let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.failed.get_or_insert_with(|| reason.to_string());
        pending.waiters.drain().map(|(_, w)| w).collect()
    };
    for waiter in waiters {
        let _ = waiter.send(Err(ClientError::Disconnected {
            broker: broker.to_string(),
            reason: reason.to_string(),
        }));
    }
}
