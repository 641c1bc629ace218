use kafka_protocol::messages::DescribeClusterRequest;

use crate::common::TestBroker;

#[tokio::test]
async fn describes_this_node_at_every_version() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let node = broker.state.config.node_id;
    for version in 0..=2 {
        let response = client
            .send(DescribeClusterRequest::default(), version)
            .await;
        assert_eq!(response.error_code, 0, "v{version}");
        assert_eq!(response.cluster_id.as_str(), broker.state.cluster_id);
        assert_eq!(response.controller_id.0, node);
        assert_eq!(response.cluster_authorized_operations, i32::MIN);
        assert_eq!(response.brokers.len(), 1);
        let b = &response.brokers[0];
        assert_eq!(
            (b.broker_id.0, b.host.as_str(), b.port),
            (node, "127.0.0.1", i32::from(broker.addr.port()))
        );
        assert!(b.rack.is_none() && !b.is_fenced);
    }
    let with_ops =
        DescribeClusterRequest::default().with_include_cluster_authorized_operations(true);
    let response = client.send(with_ops, 2).await;
    // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
    assert_eq!(response.cluster_authorized_operations, 8096);
}

#[tokio::test]
async fn wrong_endpoint_types_are_errors() {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    let controllers = DescribeClusterRequest::default().with_endpoint_type(2);
    let response = client.send(controllers, 1).await;
    assert_eq!(response.error_code, 114);
    assert_eq!(
        response.error_message.as_deref(),
        Some("The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER")
    );
    assert!(response.brokers.is_empty());
    let unknown = DescribeClusterRequest::default().with_endpoint_type(9);
    let response = client.send(unknown, 2).await;
    assert_eq!(response.error_code, 115);
    assert_eq!(
        response.error_message.as_deref(),
        Some("Unsupported endpoint type 9")
    );
}
