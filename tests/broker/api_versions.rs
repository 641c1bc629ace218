use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, MetadataRequest};
use kafka_protocol::protocol::StrBytes;

use crate::common::TestBroker;

#[tokio::test]
async fn advertises_ranges_and_handles_too_new_versions() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let response = client.send(ApiVersionsRequest::default(), 0).await;
    assert_eq!(response.error_code, 0);
    let produce = response
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::Produce as i16)
        .unwrap();
    assert_eq!((produce.min_version, produce.max_version), (0, 13));

    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("kafkit-tests"))
        .with_client_software_version(StrBytes::from_static_str("1.0"));
    let response = client.send(request, 3).await;
    assert_eq!(response.error_code, 0);
    assert!(response.api_keys.len() > 5);

    let bad = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("-bad name"))
        .with_client_software_version(StrBytes::from_static_str("1"));
    assert_eq!(client.send(bad, 3).await.error_code, 42);

    // KIP-511: a version newer than the broker knows is answered as v0 with UNSUPPORTED_VERSION.
    let mut header = vec![0u8, 18, 0, 99, 0, 0, 0, 7, 0, 0];
    header.extend_from_slice(&[0, 0]); // arbitrary body the broker must not parse
    let raw = client.raw(&header).await.expect("answered");
    assert_eq!(&raw[0..4], &7i32.to_be_bytes()); // correlation id, header v0
    assert_eq!(&raw[4..6], &35i16.to_be_bytes()); // UNSUPPORTED_VERSION
}

#[tokio::test]
async fn unsupported_version_or_garbage_closes_only_that_connection() {
    let broker = TestBroker::start().await;
    let mut bad = broker.connect().await;
    // Metadata v14 does not exist: the connection is closed, not answered.
    assert!(bad.raw(&[0, 3, 0, 14, 0, 0, 0, 1, 0, 0, 0]).await.is_none());

    let mut garbage = broker.connect().await;
    assert!(garbage.raw(&[0xff, 0x7f, 0, 0, 0, 0, 0, 1]).await.is_none());

    let mut good = broker.connect().await;
    let response = good.send(MetadataRequest::default(), 12).await;
    assert_eq!(response.controller_id.0, broker.state.config.node_id);
}
