//! The SASL exchange on the wire, as Kafka's `SaslServerAuthenticator` runs it: before
//! authentication only ApiVersions and SaslHandshake/SaslAuthenticate are served and anything
//! else closes the connection; failures carry Kafka's error codes and messages.

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, MetadataRequest, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;
use kafkit::protocol::frame::{read_frame, write_frame};

use super::fixture::{SecureBroker, PLAIN_PASSWORD, PLAIN_USER};
use crate::common::RawClient;

const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const ILLEGAL_SASL_STATE: i16 = 34;
const SASL_AUTHENTICATION_FAILED: i16 = 58;
const METADATA_VERSION: i16 = 12;
/// ApiVersions v2: no client software fields to fill in.
const API_VERSIONS_VERSION: i16 = 2;
/// How long a test waits for the broker to close a connection it must close.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn handshake(mechanism: &'static str) -> SaslHandshakeRequest {
    SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism))
}

/// The broker closed the connection: the next read sees end of stream (or a reset).
async fn assert_closed(client: &mut RawClient, what: &str) {
    let read = tokio::time::timeout(CLOSE_TIMEOUT, read_frame(&mut client.stream, 1024))
        .await
        .unwrap_or_else(|_| panic!("{what}: connection still open"));
    assert!(!matches!(read, Ok(Some(_))), "{what}: got a frame");
}

fn plain_token(user: &str, password: &str) -> SaslAuthenticateRequest {
    SaslAuthenticateRequest::default()
        .with_auth_bytes(Bytes::from(format!("\0{user}\0{password}").into_bytes()))
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthenticated_clients_get_nothing_on_a_sasl_listener() {
    let broker = SecureBroker::start().await;
    for listener in ["SASL_PLAINTEXT"] {
        // A Metadata request as the first request: the connection is closed, nothing answered.
        let mut client = RawClient::connect(broker.addr(listener)).await;
        let answer = client
            .try_send(MetadataRequest::default(), METADATA_VERSION)
            .await;
        assert!(
            answer.is_none(),
            "{listener} answered Metadata before authentication"
        );

        // ApiVersions is served (with the SASL APIs advertised), Metadata still is not.
        let mut client = RawClient::connect(broker.addr(listener)).await;
        let versions = client
            .send(ApiVersionsRequest::default(), API_VERSIONS_VERSION)
            .await;
        assert_eq!(versions.error_code, 0);
        for key in [ApiKey::SaslHandshake, ApiKey::SaslAuthenticate] {
            assert!(versions.api_keys.iter().any(|k| k.api_key == key as i16));
        }
        let answer = client
            .try_send(MetadataRequest::default(), METADATA_VERSION)
            .await;
        assert!(answer.is_none());

        // After a handshake, a non-SASL request closes the connection too.
        let mut client = RawClient::connect(broker.addr(listener)).await;
        assert_eq!(client.send(handshake("PLAIN"), 1).await.error_code, 0);
        let answer = client
            .try_send(MetadataRequest::default(), METADATA_VERSION)
            .await;
        assert!(answer.is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sasl_errors_have_kafka_codes_and_messages() {
    let broker = SecureBroker::start().await;
    let addr = broker.addr("SASL_PLAINTEXT");

    let mut client = RawClient::connect(addr).await;
    let response = client.send(handshake("GSSAPI"), 1).await;
    assert_eq!(response.error_code, UNSUPPORTED_SASL_MECHANISM);
    let enabled: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
    assert_eq!(enabled, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    assert_closed(&mut client, "after an unsupported mechanism").await;

    // SaslAuthenticate before SaslHandshake: closed without an answer.
    let mut client = RawClient::connect(addr).await;
    assert!(client
        .try_send(plain_token(PLAIN_USER, PLAIN_PASSWORD), 2)
        .await
        .is_none());

    // A wrong password: SASL_AUTHENTICATION_FAILED with PlainSaslServer's message, then closed.
    let mut client = RawClient::connect(addr).await;
    assert_eq!(client.send(handshake("PLAIN"), 1).await.error_code, 0);
    let response = client.send(plain_token(PLAIN_USER, "wrong"), 2).await;
    assert_eq!(response.error_code, SASL_AUTHENTICATION_FAILED);
    assert_eq!(
        response.error_message.as_deref(),
        Some("Authentication failed: Invalid username or password")
    );
    assert_closed(&mut client, "after a failed authentication").await;

    // The right password: authenticated, then everything is served and a second handshake
    // or authenticate is ILLEGAL_SASL_STATE (the connection stays open).
    let mut client = RawClient::connect(addr).await;
    let response = client.send(handshake("PLAIN"), 1).await;
    assert_eq!(response.error_code, 0);
    let response = client
        .send(plain_token(PLAIN_USER, PLAIN_PASSWORD), 2)
        .await;
    assert_eq!(response.error_code, 0, "{:?}", response.error_message);
    assert_eq!(response.session_lifetime_ms, 0);
    let metadata = client
        .send(MetadataRequest::default(), METADATA_VERSION)
        .await;
    assert_eq!(metadata.brokers.len(), 1);
    assert_eq!(metadata.brokers[0].port, i32::from(addr.port()));
    assert_eq!(
        client.send(handshake("PLAIN"), 1).await.error_code,
        ILLEGAL_SASL_STATE
    );
    let again = client
        .send(plain_token(PLAIN_USER, PLAIN_PASSWORD), 2)
        .await;
    assert_eq!(again.error_code, ILLEGAL_SASL_STATE);

    // SASL requests on a PLAINTEXT listener: ILLEGAL_SASL_STATE, as Kafka's request handler.
    let mut client = RawClient::connect(broker.addr("PLAINTEXT")).await;
    assert_eq!(
        client.send(handshake("PLAIN"), 1).await.error_code,
        ILLEGAL_SASL_STATE
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn large_frames_before_authentication_are_refused() {
    let broker = SecureBroker::start().await;
    let mut client = RawClient::connect(broker.addr("SASL_PLAINTEXT")).await;
    // Only the size prefix: Kafka's sasl.server.max.receive.size (512 KiB) is over, so the
    // broker closes without waiting for the body.
    let oversized: i32 = 1024 * 1024;
    tokio::io::AsyncWriteExt::write_all(&mut client.stream, &oversized.to_be_bytes())
        .await
        .unwrap();
    assert_closed(&mut client, "after an oversized unauthenticated frame").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v0_handshake_takes_raw_tokens() {
    let broker = SecureBroker::start().await;
    let mut client = RawClient::connect(broker.addr("SASL_PLAINTEXT")).await;
    assert_eq!(client.send(handshake("PLAIN"), 0).await.error_code, 0);
    let token = format!("\0{PLAIN_USER}\0{PLAIN_PASSWORD}");
    write_frame(&mut client.stream, &[token.as_bytes()])
        .await
        .unwrap();
    let reply = read_frame(&mut client.stream, 1024).await.unwrap();
    assert_eq!(
        reply.as_deref(),
        Some(&[][..]),
        "PLAIN answers an empty token"
    );
    let metadata = client
        .send(MetadataRequest::default(), METADATA_VERSION)
        .await;
    assert_eq!(metadata.brokers.len(), 1);

    // A wrong raw token just closes the connection (a v0 client cannot read an error).
    let mut client = RawClient::connect(broker.addr("SASL_PLAINTEXT")).await;
    assert_eq!(client.send(handshake("PLAIN"), 0).await.error_code, 0);
    let token = format!("\0{PLAIN_USER}\0nope");
    write_frame(&mut client.stream, &[token.as_bytes()])
        .await
        .unwrap();
    assert!(read_frame(&mut client.stream, 1024)
        .await
        .unwrap()
        .is_none());
}
