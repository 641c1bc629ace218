//! `--describe`: the offsets, members and state views of an inactive and a live group, the
//! unknown-group error, `--lag-totals`, JSON, and a 1,000-partition group.

use super::support::{
    assert_output, broker, cluster, commit, create_topic, join, pad, produce, text, tool,
    BASE_TIMESTAMP_MS,
};

#[tokio::test(flavor = "multi_thread")]
async fn inactive_group_views() {
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "orders", 3).await;
    produce(broker.addr, "orders", 0, 10, BASE_TIMESTAMP_MS).await;
    produce(broker.addr, "orders", 1, 4, BASE_TIMESTAMP_MS).await;
    commit(&cluster, "billing", &[("orders", 0, 5), ("orders", 1, 4)]).await;

    let empty_notice = "\nConsumer group 'billing' has no active members.\n";
    let offsets = "\n\
        GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n\
        billing         orders          0          5               10              5               -               -               -\n\
        billing         orders          1          4               4               0               -               -               -\n";
    assert_output(
        &tool(&broker, &["--describe", "--group", "billing"]).await,
        0,
        offsets,
        empty_notice,
    );
    assert_output(
        &tool(&broker, &["--describe", "--group", "billing", "--offsets"]).await,
        0,
        offsets,
        empty_notice,
    );
    assert_output(
        &tool(&broker, &["--describe", "--group", "billing", "--verbose"]).await,
        0,
        "\n\
        GROUP           TOPIC           PARTITION  LEADER-EPOCH    CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n\
        billing         orders          0          -               5               10              5               -               -               -\n\
        billing         orders          1          -               4               4               0               -               -               -\n",
        empty_notice,
    );
    // Apache prints the members header even for a group without members.
    assert_output(
        &tool(&broker, &["--describe", "--group", "billing", "--members"]).await,
        0,
        "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n",
        empty_notice,
    );
    let coordinator = format!("{}  (1)", broker.addr);
    let coordinator_w = coordinator.len().max(25);
    assert_output(
        &tool(&broker, &["--describe", "--group", "billing", "--state"]).await,
        0,
        &format!(
            "\nGROUP           {} ASSIGNMENT-STRATEGY  STATE                #MEMBERS\
             \nbilling         {} -                    Empty                0\n",
            pad("COORDINATOR (ID)", coordinator_w),
            pad(&coordinator, coordinator_w),
        ),
        empty_notice,
    );
    assert_output(
        &tool(
            &broker,
            &["--describe", "--group", "billing", "--lag-totals"],
        )
        .await,
        0,
        &format!(
            "{offsets}\n\
             GROUP           TOPIC           TOTAL-LAG\n\
             billing         orders          5\n\
             billing         (all)           5\n"
        ),
        empty_notice,
    );
    let json = tool(
        &broker,
        &["--describe", "--group", "billing", "--output", "json"],
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(parsed["groups"][0]["state"], "Empty");
    assert_eq!(parsed["groups"][0]["lag"]["total"], 5);
    assert_eq!(
        parsed["groups"][0]["partitions"][0],
        serde_json::json!({"topic": "orders", "partition": 0, "current_offset": 5,
            "leader_epoch": null, "log_end_offset": 10, "lag": 5, "consumer_id": null,
            "host": null, "client_id": null})
    );

    assert_output(
        &tool(&broker, &["--describe", "--group", "missing"]).await,
        1,
        "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.GroupIdNotFoundException: Group missing not found.\n",
        "",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn live_group_views() {
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "orders", 2).await;
    create_topic(&cluster, "payments", 1).await;
    create_topic(&cluster, "legacy", 1).await;
    produce(broker.addr, "orders", 0, 3, BASE_TIMESTAMP_MS).await;
    commit(&cluster, "shop", &[("orders", 0, 1), ("legacy", 0, 7)]).await;
    let member = join(&cluster, "shop", &["orders", "payments"]).await;
    let id = member.member_id();
    let id_w = id.len().max(15);

    let row = |topic: &str, p: i32, offset: &str, end: &str, lag: &str, who: bool| {
        let (consumer, host, client) = if who {
            (id.as_str(), "/127.0.0.1", "kafkit")
        } else {
            ("-", "-", "-")
        };
        format!(
            "\nshop            {} {} {} {} {} {} {} {client}",
            pad(topic, 15),
            pad(&p.to_string(), 10),
            pad(offset, 15),
            pad(end, 15),
            pad(lag, 15),
            pad(consumer, id_w),
            pad(host, 15),
        )
    };
    let expected = format!(
        "\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             {} HOST            CLIENT-ID{}{}{}{}\n",
        pad("CONSUMER-ID", id_w),
        row("orders", 0, "1", "3", "2", true),
        row("orders", 1, "-", "0", "-", true),
        row("payments", 0, "-", "0", "-", true),
        row("legacy", 0, "7", "0", "-7", false),
    );
    assert_output(
        &tool(&broker, &["--describe", "--group", "shop"]).await,
        0,
        &expected,
        "",
    );

    assert_output(
        &tool(&broker, &["--describe", "--group", "shop", "--members", "--verbose"]).await,
        0,
        &format!(
            "\nGROUP           {} HOST            CLIENT-ID       #PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT    TARGET-EPOCH    TARGET-ASSIGNMENT   \
             \nshop            {} /127.0.0.1      kafkit          3               -               orders:0,1;payments:0 -               -                   \n",
            pad("CONSUMER-ID", id_w),
            pad(&id, id_w),
        ),
        "",
    );
    let coordinator = format!("{}  (1)", broker.addr);
    let coordinator_w = coordinator.len().max(25);
    assert_output(
        &tool(&broker, &["--describe", "--group", "shop", "--state", "--verbose"]).await,
        0,
        &format!(
            "\nGROUP           {} ASSIGNMENT-STRATEGY  STATE                GROUP-EPOCH     TARGET-ASSIGNMENT-EPOCH   #MEMBERS\
             \nshop            {} range                Stable               -               -                         1\n",
            pad("COORDINATOR (ID)", coordinator_w),
            pad(&coordinator, coordinator_w),
        ),
        "",
    );
    let json = tool(
        &broker,
        &[
            "--describe",
            "--all-groups",
            "--members",
            "--output",
            "json",
        ],
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        parsed["groups"][0]["members"][0]["consumer_id"],
        id.as_str()
    );
    assert_eq!(
        parsed["groups"][0]["members"][0]["assignment"],
        serde_json::json!([{"topic": "orders", "partitions": [0, 1]},
                           {"topic": "payments", "partitions": [0]}])
    );
    member.close(&Default::default()).await.expect("leave");
}

#[tokio::test(flavor = "multi_thread")]
async fn thousand_partitions() {
    const PARTITIONS: i32 = 1000;
    let broker = broker().await;
    let cluster = cluster(&broker);
    create_topic(&cluster, "wide", PARTITIONS).await;
    let offsets: Vec<(&str, i32, i64)> = (0..PARTITIONS).map(|p| ("wide", p, 0)).collect();
    commit(&cluster, "wide-readers", &offsets).await;
    let out = tool(&broker, &["--describe", "--group", "wide-readers"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("wide-readers"))
        .collect();
    assert_eq!(rows.len(), PARTITIONS as usize);
    assert!(rows[999].starts_with(
        "wide-readers    wide            999        0               0               0 "
    ));
}
