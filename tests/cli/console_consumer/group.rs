//! `--group`: real group membership — the run reads from committed offsets, commits what it
//! printed when it ends, and a second run of the same group resumes after it.

use kafka_protocol::records::Compression;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_group_resumes_where_the_previous_run_stopped() {
    resumes_where_the_previous_run_stopped(&[]).await;
}

/// The same with the cooperative-sticky assignor, named as Java users name it.
#[tokio::test(flavor = "multi_thread")]
async fn a_cooperative_sticky_group_resumes_where_the_previous_run_stopped() {
    resumes_where_the_previous_run_stopped(&[
        "--consumer-property",
        "partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    ])
    .await;
}

async fn resumes_where_the_previous_run_stopped(extra: &[&str]) {
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "grouped", 2).await;
    for p in 0..2 {
        let records: Vec<Rec> = (0..5).map(|i| Rec::value(&format!("p{p}-{i}"))).collect();
        produce(
            &mut client,
            "grouped",
            p,
            batch(&records, now_ms(), Compression::None),
        )
        .await;
    }
    let mut args = vec![
        "--topic",
        "grouped",
        "--group",
        "printers",
        "--from-beginning",
        "--max-messages",
        "6",
    ];
    args.extend(extra);
    let first = consume(&broker, &args).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let first_lines: Vec<String> = text(&first.stdout).lines().map(str::to_string).collect();
    assert_eq!(first_lines.len(), 6);

    // The group committed exactly what was printed: the rest comes out on the next run.
    let mut args = vec![
        "--topic",
        "grouped",
        "--group",
        "printers",
        "--timeout-ms",
        "5000",
    ];
    args.extend(extra);
    let second = consume(&broker, &args).await;
    let second_lines: Vec<String> = text(&second.stdout).lines().map(str::to_string).collect();
    assert_eq!(second_lines.len(), 4, "{}", text(&second.stderr));
    let mut all: Vec<String> = first_lines.into_iter().chain(second_lines).collect();
    all.sort();
    let mut expected: Vec<String> = (0..2)
        .flat_map(|p| (0..5).map(move |i| format!("p{p}-{i}")))
        .collect();
    expected.sort();
    assert_eq!(
        all, expected,
        "every record exactly once across the two runs"
    );
}
