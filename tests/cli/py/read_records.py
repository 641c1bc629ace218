"""Reads every record of some topics with confluent-kafka (librdkafka), a consumer nobody here
wrote, so the console-producer goldens compare what Apache's producer and ours stored without
trusting kafkit's own client to read it back.

Usage: read_records.py <bootstrap> <topic>...
Prints one JSON object: {"<topic>": [record, ...]} with the records of each topic in partition,
then offset order. A record is {"partition", "offset", "key", "value", "headers",
"timestamp_type"}; key, value and header values are base64 strings or null, headers a list of
[key, value] pairs in record order. Exits non-zero if a partition cannot be read to its end.
"""

import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

CALL_TIMEOUT_S = 30.0
POLL_S = 0.5
TIMESTAMP_TYPES = {1: "CreateTime", 2: "LogAppendTime"}


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def end_offsets(consumer, topic):
    """{partition: high watermark} of `topic`."""
    metadata = consumer.list_topics(topic, timeout=CALL_TIMEOUT_S).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    ends = {}
    for p in sorted(metadata.partitions):
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=CALL_TIMEOUT_S)
        ends[p] = high
    return ends


def read_topics(consumer, topics):
    """Every record of `topics`, all partitions assigned at once (one fetch wait for all)."""
    ends = {(t, p): high for t in topics for p, high in end_offsets(consumer, t).items()}
    positions = {tp: 0 for tp in ends}
    records = {t: [] for t in topics}
    wanted = [TopicPartition(t, p, OFFSET_BEGINNING) for (t, p), high in ends.items() if high > 0]
    if wanted:
        consumer.assign(wanted)
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while any(positions[tp] < ends[tp] for tp in ends):
        if time.monotonic() > deadline:
            raise RuntimeError(f"read {positions} of {ends} in time")
        for message in consumer.consume(num_messages=1000, timeout=POLL_S):
            if message.error() is not None:
                raise KafkaException(message.error())
            kind, _ = message.timestamp()
            records[message.topic()].append(
                {
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "key": b64(message.key()),
                    "value": b64(message.value()),
                    "headers": [[k, b64(v)] for k, v in (message.headers() or [])],
                    "timestamp_type": TIMESTAMP_TYPES.get(kind, "NoTimestamp"),
                }
            )
            positions[(message.topic(), message.partition())] = message.offset() + 1
    for topic_records in records.values():
        topic_records.sort(key=lambda r: (r["partition"], r["offset"]))
    return records


def main():
    bootstrap, topics = sys.argv[1], sys.argv[2:]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "kafkit-read-records",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            # Partitions that are read to their end should not hold up the others' fetches.
            "fetch.wait.max.ms": 10,
        }
    )
    try:
        print(json.dumps(read_topics(consumer, topics)))
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
