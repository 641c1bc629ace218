//! `--delete` (one, several, all, partial failure) and `--delete-offsets`.

use super::support::{assert_output, broker, cluster, commit, committed, create_topic, join, tool};

#[tokio::test(flavor = "multi_thread")]
async fn delete_groups() {
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "orders", 1).await;
    for group in ["a", "b", "c", "d"] {
        commit(&cluster, group, &[("orders", 0, 1)]).await;
    }
    assert_output(
        &tool(&broker, &["--delete", "--group", "a"]).await,
        0,
        "Deletion of requested consumer groups ('a') was successful.\n",
        "",
    );
    let member = join(&cluster, "live", &["orders"]).await;
    assert_output(
        &tool(&broker, &["--delete", "--group", "b", "--group", "live", "--group", "a"]).await,
        1,
        "\nError: Deletion of some consumer groups failed:\n\
         * Group 'a' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n\
         * Group 'live' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n\
         \nThese consumer groups were deleted successfully: 'b'\n",
        "",
    );
    member.close(&Default::default()).await.expect("leave");
    assert_output(
        &tool(&broker, &["--delete", "--all-groups"]).await,
        0,
        "Deletion of requested consumer groups ('c', 'd', 'live') was successful.\n",
        "",
    );
    assert_output(&tool(&broker, &["--list"]).await, 0, "", "");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_offsets() {
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "orders", 2).await;
    create_topic(&cluster, "payments", 1).await;
    commit(
        &cluster,
        "g",
        &[("orders", 0, 1), ("orders", 1, 2), ("payments", 0, 3)],
    )
    .await;
    assert_output(
        &tool(&broker, &["--delete-offsets", "--group", "g", "--topic", "orders", "--topic", "nope"]).await,
        1,
        "Request succeeded for deleting offsets from group g.\n\
         \nTOPIC           PARTITION  STATUS         \
         \nnope            -          Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\
         \norders          0          Successful     \
         \norders          1          Successful     \n",
        "",
    );
    assert_eq!(
        committed(&cluster, "g").await,
        [(("payments".to_string(), 0), 3)].into_iter().collect()
    );

    let member = join(&cluster, "g", &["payments"]).await;
    assert_output(
        &tool(&broker, &["--delete-offsets", "--group", "g", "--topic", "payments:0"]).await,
        1,
        "\nError: Encountered some partition-level error, see the follow-up details.\n\
         \nTOPIC           PARTITION  STATUS         \
         \npayments        0          Error: org.apache.kafka.common.errors.GroupSubscribedToTopicException: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.\n",
        "",
    );
    member.close(&Default::default()).await.expect("leave");
    assert_output(
        &tool(&broker, &["--delete-offsets", "--group", "missing", "--topic", "orders:0"]).await,
        1,
        "\nError: The group id does not exist.\n\
         \nTOPIC           PARTITION  STATUS         \
         \norders          0          Error: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n",
        "",
    );
}
