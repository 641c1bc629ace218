"""confluent-kafka (librdkafka) helpers shared by the interop scripts: produce with delivery
reports, and read whole partitions back with an assign()-based consumer (no group)."""

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from kit import CALL_TIMEOUT_S, Failure, check, check_eq

# How long a consumer may go without reaching every partition's end before the read is failed.
READ_DEADLINE_S = 90.0
# Bound on the final flush of a producer: generous, since the whole run is bounded by the test.
FLUSH_TIMEOUT_S = 90.0


def produce(producer_config, topic, records, partition=None):
    """Produces `records` (from kit.record_set) and returns, per record, its (partition, offset).

    Every delivery report must be an error-free one; record order within a partition must be
    kept (offsets increase in send order), which an idempotent producer guarantees.
    """
    producer = Producer(producer_config)
    placed = [None] * len(records)
    errors = []

    def report(index):
        def on_delivery(err, msg):
            if err is not None:
                errors.append(f"record {index}: {err}")
            else:
                placed[index] = (msg.partition(), msg.offset())

        return on_delivery

    for index, record in enumerate(records):
        kwargs = {
            "value": record["value"],
            "key": record["key"],
            "headers": record["headers"],
            "timestamp": record["timestamp"],
            "on_delivery": report(index),
        }
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(FLUSH_TIMEOUT_S)
    check(remaining == 0, f"{remaining} records still undelivered after {FLUSH_TIMEOUT_S}s")
    check(not errors, f"delivery failed for {len(errors)} records, first: {errors[:3]}")
    missing = [i for i, p in enumerate(placed) if p is None]
    check(not missing, f"no delivery report for records {missing[:10]}")
    check_monotonic(placed)
    return placed


def check_monotonic(placed):
    """Offsets in each partition are contiguous from the first and follow send order."""
    last = {}
    for index, (partition, offset) in enumerate(placed):
        if partition in last:
            check(
                offset == last[partition] + 1,
                f"record {index} got offset {offset} in partition {partition}, "
                f"after {last[partition]}",
            )
        last[partition] = offset


def read_partitions(bootstrap, topic, partitions, extra_config=None):
    """Reads every listed partition from its beginning to its end (the high watermark seen at
    partition EOF) and returns {partition: [message, ...]} in offset order."""
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": "kafkit-interop-assign",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
    }
    config.update(extra_config or {})
    consumer = Consumer(config)
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages = {p: [] for p in partitions}
        at_end = set()
        deadline = time.monotonic() + READ_DEADLINE_S
        while len(at_end) < len(partitions):
            check(
                time.monotonic() < deadline,
                f"reading {topic}: partitions {sorted(set(partitions) - at_end)} did not reach "
                f"their end within {READ_DEADLINE_S}s (read so far: "
                f"{ {p: len(m) for p, m in messages.items()} })",
            )
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                raise Failure(f"consumer error on {topic}: {msg.error()}")
            at_end.discard(msg.partition())
            messages[msg.partition()].append(msg)
        return messages
    finally:
        consumer.close()


def compare(topic, records, placed, messages):
    """Every produced record is read back exactly once, at its reported partition and offset,
    with key, value, headers and timestamp unchanged. Returns the number of records compared."""
    expected = {}
    for record, (partition, offset) in zip(records, placed):
        expected.setdefault(partition, {})[offset] = record
    for partition, msgs in messages.items():
        want = expected.get(partition, {})
        check_eq(len(msgs), len(want), f"{topic}[{partition}] record count")
        for msg in msgs:
            where = f"{topic}[{partition}]@{msg.offset()}"
            record = want.get(msg.offset())
            check(record is not None, f"{where}: unexpected record (not produced)")
            check_eq(msg.key(), record["key"], f"{where} key")
            check_eq(msg.value(), record["value"], f"{where} value")
            check_eq(msg.headers() or [], record["headers"], f"{where} headers")
            check_eq(msg.timestamp()[1], record["timestamp"], f"{where} timestamp")
    check_eq(
        sum(len(m) for m in messages.values()), len(records), f"{topic} total records read"
    )
    return len(records)


def wait_for(description, probe, timeout_s=CALL_TIMEOUT_S):
    """Polls `probe()` until it returns a truthy value; fails naming `description`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        check(time.monotonic() < deadline, f"timed out waiting for {description}")
        time.sleep(0.1)
