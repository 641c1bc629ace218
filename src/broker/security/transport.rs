//! The transport under a broker connection: plain TCP, or TLS accepted with the listener's
//! rustls configuration. Hands the connection loop a read half and a write half of one stream
//! type-erased behind `AsyncRead`/`AsyncWrite`, so the loop does not care which it is. Owns the
//! TLS handshake (bounded in time, abandoned on shutdown); must not parse Kafka requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;

use super::sasl::Gate;
use super::ListenerSecurity;
use crate::broker::connection;
use crate::broker::logging;
use crate::broker::state::Broker;

/// How long a client gets to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one accepted connection on a listener with `security`.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    security: Arc<ListenerSecurity>,
    broker: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let gate = Gate::new(&security, broker.scram.clone());
    let Some(acceptor) = &security.tls else {
        let (reader, writer) = stream.into_split();
        connection::serve(reader, writer, peer, local, gate, broker, stop).await;
        return;
    };
    let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let tls = tokio::select! {
        result = handshake => result,
        _ = stop.changed() => return,
    };
    match tls {
        Ok(Ok(tls)) => {
            let (reader, writer) = tokio::io::split(tls);
            connection::serve(reader, writer, peer, local, gate, broker, stop).await;
        }
        Ok(Err(e)) => logging::warn(&format!(
            "Failed authentication with {peer} (SSL handshake failed on listener {}): {e}",
            security.listener
        )),
        Err(_) => logging::warn(&format!(
            "Closing connection from {peer}: no TLS handshake within {} s",
            TLS_HANDSHAKE_TIMEOUT.as_secs()
        )),
    }
}
