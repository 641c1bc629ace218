//! `--list`: plain ids, the state/type table, filters, JSON.

use super::support::{assert_output, broker, cluster, commit, create_topic, join, tool};

#[tokio::test(flavor = "multi_thread")]
async fn lists_groups_with_states_and_types() {
    let broker = broker().await;
    let cluster = cluster(&broker);
    assert_output(&tool(&broker, &["--list"]).await, 0, "", "");
    assert_output(
        &tool(&broker, &["--list", "--state"]).await,
        0,
        "GROUP                     STATE               \n",
        "",
    );

    create_topic(&cluster, "orders", 2).await;
    commit(&cluster, "idle", &[("orders", 0, 1)]).await;
    let member = join(&cluster, "busy-consumers", &["orders"]).await;

    // Java's HashMap order of the ids: "idle" before "busy-consumers".
    assert_output(
        &tool(&broker, &["--list"]).await,
        0,
        "idle\nbusy-consumers\n",
        "",
    );
    assert_output(
        &tool(&broker, &["--list", "--state"]).await,
        0,
        "GROUP                     STATE               \n\
         idle                      Empty               \n\
         busy-consumers            Stable              \n",
        "",
    );
    assert_output(
        &tool(&broker, &["--list", "--state", "stable"]).await,
        0,
        "GROUP                     STATE               \n\
         busy-consumers            Stable              \n",
        "",
    );
    assert_output(
        &tool(&broker, &["--list", "--type", "--state", "Empty,Stable"]).await,
        0,
        "GROUP                     TYPE                 STATE               \n\
         idle                      Classic              Empty               \n\
         busy-consumers            Classic              Stable              \n",
        "",
    );
    assert_output(
        &tool(&broker, &["--list", "--type", "consumer"]).await,
        0,
        "GROUP                     TYPE                \n",
        "",
    );
    let json = tool(&broker, &["--list", "--output", "json"]).await;
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        parsed,
        serde_json::json!({"groups": [
            {"group_id": "idle", "type": "Classic", "state": "Empty"},
            {"group_id": "busy-consumers", "type": "Classic", "state": "Stable"},
        ]})
    );

    let out = tool(&broker, &["--list", "--state", "bogus"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with(
        "Invalid state list 'bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Dead, Empty, Assigning, Stable, Reconciling\nOption "
    ));
    let out = tool(&broker, &["--list", "--type", "share"]).await;
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("Invalid types list 'share'. Valid types are: Consumer, Classic\nOption "));
    member.close(&Default::default()).await.expect("leave");
}
