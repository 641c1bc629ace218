"""Writes committed, aborted, open and non-transactional records with confluent-kafka
(librdkafka) to a broker that has a transaction coordinator (Apache Kafka), so the
kafka-console-consumer tests can check `--isolation-level` against markers nobody here wrote.

Usage: produce_transactions.py <bootstrap> <topic> <partitions>
Creates the topic. Then, one step at a time (each flushed before the next, so the offsets
interleave in this order in every partition):
  plain-0, txn A committed, plain-1, txn B aborted, plain-2, txn C committed, plain-3,
  txn D left open (a second transactional producer, never committed nor aborted), plain-4.
"plain" records come from a non-transactional idempotent producer. Every step writes one record
to each partition; each commit or abort adds one control record per partition, and the next
step waits for it, so the offsets are the same in every run.
The open transaction keeps the last stable offset at D's first offset until the coordinator
times it out (OPEN_TRANSACTION_TIMEOUT_MS), far beyond the test.

Prints one `RESULT {json}` line (kit.run): {"records": [record, ...]} in write order, a record
being {"partition", "offset", "value", "outcome"} with outcome one of "plain", "committed",
"aborted", "open".
"""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "interop", "py"))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

import kit  # noqa: E402  (after the path set-up above)

# Bound on every flush, transaction call and topic creation.
CALL_TIMEOUT_S = kit.CALL_TIMEOUT_S
# Pause between high-watermark probes while a commit or abort marker is being written.
MARKER_POLL_S = 0.05
# How long the broker keeps the open transaction before aborting it: long past the test's end.
OPEN_TRANSACTION_TIMEOUT_MS = 600_000


class Writer:
    """One producer plus the delivery reports of what it wrote."""

    def __init__(self, config, topic, partitions, produced):
        self.producer = Producer(config)
        self.topic = topic
        self.partitions = partitions
        self.produced = produced
        self.errors = []

    def write(self, label, outcome):
        """One record per partition, value `<label>-p<partition>`, then a flush."""
        for partition in range(self.partitions):
            entry = {"partition": partition, "value": f"{label}-p{partition}", "outcome": outcome}
            self.produced.append(entry)

            def on_delivery(err, msg, entry=entry):
                if err is not None:
                    self.errors.append(f"{entry['value']}: {err}")
                else:
                    entry["offset"] = msg.offset()

            self.producer.produce(
                self.topic, value=entry["value"].encode(), partition=partition,
                on_delivery=on_delivery,
            )
        remaining = self.producer.flush(CALL_TIMEOUT_S)
        kit.check(remaining == 0, f"{label}: {remaining} records undelivered")
        kit.check(not self.errors, f"delivery failed: {self.errors}")


def wait_for_markers(watcher, topic, partitions, produced, markers):
    """Waits until every partition holds its records plus `markers` control records: the
    coordinator writes markers after EndTxn returns, and a plain record written before the
    marker lands would make the offsets differ from run to run."""
    deadline = time.monotonic() + CALL_TIMEOUT_S
    for partition in range(partitions):
        want = markers + sum(1 for e in produced if e["partition"] == partition)
        while True:
            _, high = watcher.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=CALL_TIMEOUT_S, cached=False
            )
            if high == want:
                break
            kit.check(high < want, f"partition {partition}: high watermark {high} > {want}")
            kit.check(time.monotonic() < deadline, f"partition {partition}: marker missing")
            time.sleep(MARKER_POLL_S)


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=CALL_TIMEOUT_S)
    futures[topic].result(CALL_TIMEOUT_S)


def main():
    bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    create_topic(bootstrap, topic, partitions)
    produced = []
    plain = Writer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"},
        topic, partitions, produced,
    )

    def transactional(timeout_ms=None):
        config = {"bootstrap.servers": bootstrap, "transactional.id": f"kafkit-{uuid.uuid4()}"}
        if timeout_ms is not None:
            config["transaction.timeout.ms"] = timeout_ms
        writer = Writer(config, topic, partitions, produced)
        writer.producer.init_transactions(CALL_TIMEOUT_S)
        return writer

    watcher = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kafkit-{uuid.uuid4()}"})
    txn = transactional()
    plain.write("plain-0", "plain")
    for step, (label, commit) in enumerate([("A", True), ("B", False), ("C", True)], 1):
        txn.producer.begin_transaction()
        txn.write(f"txn-{label}", "committed" if commit else "aborted")
        if commit:
            txn.producer.commit_transaction(CALL_TIMEOUT_S)
        else:
            txn.producer.abort_transaction(CALL_TIMEOUT_S)
        wait_for_markers(watcher, topic, partitions, produced, step)
        plain.write(f"plain-{step}", "plain")

    open_txn = transactional(OPEN_TRANSACTION_TIMEOUT_MS)
    open_txn.producer.begin_transaction()
    open_txn.write("txn-D", "open")
    plain.write("plain-4", "plain")
    missing = [e["value"] for e in produced if "offset" not in e]
    kit.check(not missing, f"no delivery report for {missing}")
    # Kept from the destructors: os._exit below ends the process without closing them.
    KEEP_OPEN.extend([open_txn, txn, plain, watcher])
    return {"records": produced}


# The producers, alive until the process ends, so nothing ends transaction D on the way out.
KEEP_OPEN = []

if __name__ == "__main__":
    kit.run(main)
    # Skips librdkafka's destructors: D stays open on the broker (see the module comment).
    os._exit(0)
